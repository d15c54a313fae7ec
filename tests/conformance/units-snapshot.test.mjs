// Conformance: how the client reads §12's payload fields (PROTOCOL §1.1 table, §1.2
// nullable fields, §3.1 what the client checks and what it accepts) and what it then does
// with values only the ledger guarantees (§12.1, §12.5, §12.6). Each case is a payload the
// independent ledger signs after a test edits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rejection, ACCOUNT } from './host.js';

const TTS = 'ttsCharacters';
const AGENT = { id: 'bot', cycleEnd: Date.UTC(2026, 1, 5) };

const base = () =>
  setup({
    grant: '500',
    account: { allowances: [{ kind: TTS, unitsPerCredit: '300', onShortfall: 'refuse' }], creditStep: '0.001', agents: [AGENT] },
    prepare: (ledger) => ledger.convert(ACCOUNT, TTS, '10'),
  });
const allowance = (o) => (p) => ({ ...p, allowances: p.allowances.map((a) => ({ ...a, ...o })) });
const without = (k) => (p) => ({ ...p, allowances: p.allowances.map(({ [k]: _, ...a }) => a) });
const agent = (o) => (p) => ({ ...p, agents: p.agents.map((g) => ({ ...g, ...o })) });
const agentWithout = (k) => (p) => ({ ...p, agents: p.agents.map(({ [k]: _, ...g }) => g) });
const hold = (o) => (p) => ({ ...p, holds: [{ id: 'laptop:other', amount: '0', expiresAt: p.expiresAt, ...o }] });

/** Syncs once with `edit` applied to the payload; resolves with the status or the error code. */
async function read(f, edit) {
  f.ledger.payloadHook = (p) => {
    const r = edit(p);
    return typeof r === 'string' ? r : JSON.stringify(r);
  };
  try {
    return await f.meter.sync();
  } catch (e) {
    return e.code;
  }
}

test('§1.1, §1.2, §3.1: the client reads §12\'s payload fields as the document says', async () => {
  const refused = {
    'allowances[].held as a string': allowance({ held: '5' }),
    'allowances[].held null (a default, not nullable)': allowance({ held: null }),
    'allowances[].held negative': allowance({ held: -1 }),
    'allowances[].held above 2^53 − 1': allowance({ held: 2 ** 53 }),
    'unitsPerCredit a JSON number': allowance({ unitsPerCredit: 300 }),
    'unitsPerCredit with an exponent': allowance({ unitsPerCredit: '3e2' }),
    'unitsPerCredit with white space': allowance({ unitsPerCredit: ' 300' }),
    'unitsPerCredit with 29 fractional digits': allowance({ unitsPerCredit: '0.' + '0'.repeat(28) + '1' }),
    'onShortfall not a string': allowance({ onShortfall: 5 }),
    'creditStep a JSON number': (p) => ({ ...p, creditStep: 0.001 }),
    'creditStep negative': (p) => ({ ...p, creditStep: '-0.001' }),
    'creditStep above 10^15': (p) => ({ ...p, creditStep: '1e16' }),
    'holds[].units fractional': hold({ unit: TTS, units: 1.5 }),
    'holds[].units a string': hold({ unit: TTS, units: '5' }),
    'holds[].unit not a string': hold({ unit: 5, units: 5 }),
    'an agent without id': agentWithout('id'),
    'an agent without status': agentWithout('status'),
    'an agent without cycleEnd': agentWithout('cycleEnd'),
    'an agent with a null counter': agent({ cycleLlmTokens: null }),
    'an agent with cycleCredits a JSON number': agent({ cycleCredits: 0 }),
    'an agent with cycleCredits negative': agent({ cycleCredits: '-1' }),
    'an agent with cycleEnd a string': agent({ cycleEnd: '1' }),
    '10,001 agents': (p) => ({ ...p, agents: Array.from({ length: 10001 }, (_, i) => ({ ...p.agents[0], id: 'a' + i })) }),
  };
  for (const [name, edit] of Object.entries(refused)) {
    const f = await base();
    assert.equal(await read(f, edit), 'BAD_SNAPSHOT', name);
    f.close();
  }
  const accepted = {
    'allowances[].held absent (0)': [without('held'), (s) => s.allowances[0].held === 0],
    'allowances[].held spelled 1.2e1': [(p) => JSON.stringify(allowance({ held: 7 })(p)).replace('"held":7', '"held":1.2e1'), (s) => s.allowances[0].held === 12],
    'unitsPerCredit null (absent)': [allowance({ unitsPerCredit: null }), (s) => s.allowances[0].unitsPerCredit === undefined],
    'unitsPerCredit "300."': [allowance({ unitsPerCredit: '300.' }), (s) => s.allowances[0].unitsPerCredit !== undefined],
    'unitsPerCredit "1_000"': [allowance({ unitsPerCredit: '1_000' }), (s) => s.allowances[0].unitsPerCredit !== undefined],
    'unitsPerCredit "-300" (value not checked)': [allowance({ unitsPerCredit: '-300' }), (s) => s.allowances[0].unitsPerCredit === '-300'],
    'unitsPerCredit above 10^15': [allowance({ unitsPerCredit: '1000000000000001' }), (s) => s.allowances[0].unitsPerCredit === '1000000000000001'],
    'onShortfall null': [allowance({ onShortfall: null }), (s) => s.allowances[0].onShortfall === undefined],
    'creditStep null': [(p) => ({ ...p, creditStep: null }), (s) => s.balance === '490'],
    'creditStep "1e-3" (money, lenient)': [(p) => ({ ...p, creditStep: '1e-3' }), (s) => s.balance === '490'],
    'holds[].unit and units null': [hold({ unit: null, units: null }), (s) => s.balance === '490'],
    'holds[].units spelled 5.0': [(p) => JSON.stringify(hold({ unit: TTS, units: 7 })(p)).replace('"units":7', '"units":5.0'), (s) => s.balance === '490'],
    'agents null (none)': [(p) => ({ ...p, agents: null }), (s) => s.agents.length === 0],
    'an agent without counters (0)': [(p) => agentWithout('cycleCredits')(agentWithout('cycleLlmTokens')(agentWithout('cycleTtsCharacters')(p))), (s) => s.agents[0].cycleCredits === '0' && s.agents[0].cycleTtsCharacters === 0],
    'an agent cycleCredits ".5" (money, lenient)': [agent({ cycleCredits: '.5' }), (s) => s.agents[0].cycleCredits === '0.5'],
    'an agent cycleEnd negative': [agent({ cycleEnd: -1 }), (s) => s.agents[0].cycleEnd === -1],
    '10,000 agents': [(p) => ({ ...p, agents: Array.from({ length: 10000 }, (_, i) => ({ ...p.agents[0], id: 'a' + i })) }), (s) => s.agents.length === 10000],
  };
  for (const [name, [edit, check]] of Object.entries(accepted)) {
    const f = await base();
    const s = await read(f, edit);
    assert.ok(typeof s === 'object' && check(s), `${name}: ${JSON.stringify(s).slice(0, 300)}`);
    f.close();
  }
});

test('§3.1, §12.1, §12.5: values only the ledger guarantees — what the client does with them', async () => {
  const reserve = (f, units = 3100) => f.meter.reserve({ operation: 'tts', unit: TTS, units }).then((h) => [h.units, h.amount], (e) => e.code);
  // [payload edit, what a reserve of 3,100 characters (3,000 free) gives]
  const cases = {
    'onShortfall "refuse" (as signed)': [(p) => p, 'INSUFFICIENT_ALLOWANCE'],
    'onShortfall absent: read as convert': [without('onShortfall'), [3000, '0.334']],
    'onShortfall null: read as convert': [allowance({ onShortfall: null }), [3000, '0.334']],
    'onShortfall "other": read as convert': [allowance({ onShortfall: 'other' }), [3000, '0.334']],
    'no unitsPerCredit': [without('unitsPerCredit'), 'BAD_INPUT'],
    'unitsPerCredit "0"': [allowance({ unitsPerCredit: '0', onShortfall: 'convert' }), 'BAD_INPUT'],
    'unitsPerCredit "-300"': [allowance({ unitsPerCredit: '-300', onShortfall: 'convert' }), 'BAD_INPUT'],
    'no creditStep': [({ creditStep, ...p }) => allowance({ onShortfall: 'convert' })(p), 'BAD_INPUT'],
    'creditStep "0"': [(p) => allowance({ onShortfall: 'convert' })({ ...p, creditStep: '0' }), 'BAD_INPUT'],
    'creditStep "0" under refuse: the shortfall is found first': [(p) => ({ ...p, creditStep: '0' }), 'INSUFFICIENT_ALLOWANCE'],
    'held above remaining: nothing free': [allowance({ held: 4000, onShortfall: 'convert' }), [0, '10.334']],
  };
  for (const [name, [edit, expected]] of Object.entries(cases)) {
    const f = await base();
    const s = await read(f, edit);
    assert.equal(typeof s, 'object', name);
    f.host.offline = true; // the device's own decision, not the ledger's
    assert.deepEqual(await reserve(f), expected, name);
    f.close();
  }
  // Within the free units too, an unusable rate is BAD_INPUT (it prices the hold's exposure, §12.5).
  const g = await base();
  await read(g, (p) => ({ ...p, creditStep: '0' }));
  assert.equal(await reserve(g, 100), 'BAD_INPUT');
  g.close();
  // Any kind listed with unitsPerCredit is usable, not only the two of §12.1.
  const f = await base();
  await read(f, (p) => ({ ...p, allowances: [...p.allowances, { kind: 'imageCredits', remaining: 10, held: 0, unitsPerCredit: '2', onShortfall: 'convert' }] }));
  f.host.offline = true;
  const h = await f.meter.reserve({ operation: 'tts', unit: 'imageCredits', units: 12 });
  assert.deepEqual([h.unit, h.units, h.amount], ['imageCredits', 10, '1']);
  f.close();
});

test('§12.6: agents absent or null leave it to the ledger; an empty list, or a status other than "active", refuses locally', async () => {
  const cases = {
    'agents absent': [({ agents, ...p }) => p, 'sent'],
    'agents null': [(p) => ({ ...p, agents: null }), 'sent'],
    'agents []': [(p) => ({ ...p, agents: [] }), 'AGENT_INACTIVE'],
    'status "paused"': [agent({ status: 'paused' }), 'AGENT_INACTIVE'],
    'status "active"': [(p) => p, 'sent'],
  };
  for (const [name, [edit, expected]] of Object.entries(cases)) {
    const f = await base();
    await read(f, edit);
    f.host.offline = true;
    const got = await f.meter.reserve({ operation: 'tts', amount: '1', agentId: 'bot' }).then(
      () => (f.meter.status().outbox === 1 ? 'sent' : 'lost'),
      (e) => e.code,
    );
    assert.equal(got, expected, name);
    f.close();
  }
});
