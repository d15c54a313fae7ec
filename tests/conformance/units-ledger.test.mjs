// The independent ledger's own answers to raw requests in allowance units, from PROTOCOL
// §12 alone (the yardstick of units.test.mjs, kept faithful to the document here so it
// cannot drift toward whatever the client happens to accept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from './ledger.js';
import { creditsOf, unitsOf } from './units.js';
import { M, fmt } from './money.js';

// Not host.js's: these tests need no client package.
const ACCOUNT = 'acct-1';
const makeClock = (t = Date.UTC(2026, 0, 5, 9)) => ({ t, advance(ms) { this.t += ms; } });
const TTS = 'ttsCharacters';
const LLM = 'llmTokens';

/** §12.8's account: 500 credits, 10 of them converted into 3,000 TTS characters at 300 per credit. */
function assistLore({ onShortfall = 'convert', agents } = {}) {
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t });
  ledger.createAccount(ACCOUNT, {
    allowances: [
      { kind: TTS, unitsPerCredit: '300', onShortfall },
      { kind: LLM, unitsPerCredit: '1000', onShortfall: 'refuse' },
    ],
    creditStep: '0.001',
    agents,
  });
  ledger.grant(ACCOUNT, { id: 'g', amount: '500' });
  ledger.convert(ACCOUNT, TTS, '10');
  let seq = 0;
  const push = (device, ...mutations) => {
    const r = ledger.handle('push', JSON.stringify({ v: 2, accountId: ACCOUNT, deviceId: device, mutations }));
    return { ...r, payload: r.snapshot && JSON.parse(Buffer.from(r.snapshot.payload, 'base64url').toString('utf8')) };
  };
  const next = () => ++seq;
  return { clock, ledger, push, next };
}
const reserve = (seq, hold, amount, o = {}) => ({ type: 'reserve', seq, at: 1, id: 'r' + seq, holdId: hold, amount, operation: 'tts', unit: TTS, ...o });
const commit = (seq, hold, amount, o = {}) => ({ type: 'commit', seq, at: 1, id: 'c' + seq, holdId: hold, amount, unit: TTS, ...o });
const tts = (p) => p.allowances.find((x) => x.kind === TTS);

test('§12.2: the rate, both halves, as the document\'s examples say', () => {
  const r = M('300');
  const s = M('0.001');
  assert.deepEqual([93n, 1n, 3n, 0n].map((n) => fmt(creditsOf(n, r, s))), ['0.31', '0.004', '0.01', '0']);
  assert.equal(unitsOf(M('10'), r), 3000n);
  // Exact, not binary floating point: every n is covered by its credits, by less than one step more.
  for (const [rate, step] of [['300', '0.001'], ['3', '0.01'], ['1000', '0.001'], ['7', '0.001'], ['0.3', '1']]) {
    for (let n = 1n; n < 400n; n += 7n) {
      const c = creditsOf(n, M(rate), M(step));
      assert.ok(unitsOf(c, M(rate)) >= n && unitsOf(c - M(step), M(rate)) < n, `${rate}/${step}: ${n}`);
    }
  }
});

test('§12.1, §12.8: the snapshot lists every allowance of the policy, and the worked example holds at the ledger', () => {
  const { push, next } = assistLore();
  let r = push('phone', reserve(next(), 'phone:a', '120'));
  assert.equal(r.results[0].status, 'applied');
  assert.deepEqual(r.payload.allowances, [
    { kind: TTS, remaining: 3000, held: 120, unitsPerCredit: '300', onShortfall: 'convert' },
    { kind: LLM, remaining: 0, held: 0, unitsPerCredit: '1000', onShortfall: 'refuse' },
  ]);
  assert.equal(r.payload.creditStep, '0.001');
  assert.deepEqual(r.payload.holds.map(({ expiresAt, ...h }) => h), [{ id: 'phone:a', amount: '0', unit: TTS, units: 120 }]);
  assert.deepEqual([r.payload.balance, r.payload.held], ['490', '0']);
  r = push('phone', commit(next(), 'phone:a', '93'));
  assert.deepEqual([tts(r.payload).remaining, tts(r.payload).held, r.payload.balance], [2907, 0, '490']);
  r = push('phone', reserve(next(), 'phone:b', '3000'));
  assert.deepEqual(r.payload.holds.map((h) => [h.amount, h.units]), [['0.31', 2907]]);
  assert.equal(r.payload.held, '0.31');
  const body = commit(next(), 'phone:b', '3000');
  r = push('phone', body);
  assert.deepEqual(r.results[0], { seq: 4, id: 'c4', status: 'applied', charged: '0.31', overdraft: '0', unpaid: '0' });
  assert.deepEqual([tts(r.payload).remaining, r.payload.balance], [0, '489.69']);
  const again = push('phone', body);
  assert.deepEqual(again.results[0], { seq: 4, id: 'c4', status: 'duplicate', original: 'applied', charged: '0.31', overdraft: '0', unpaid: '0' });
  assert.equal(again.payload.balance, '489.69');
});

test('§12.3, §12.7: unit reserves refused with BAD_INPUT, INSUFFICIENT_ALLOWANCE, INSUFFICIENT_CREDITS, AGENT_INACTIVE', () => {
  const cases = [
    ['an unknown unit', reserve(1, 'd:x', '5', { unit: 'imageCredits' }), 'BAD_INPUT'],
    ['a fractional number of units', reserve(1, 'd:x', '5.5'), 'BAD_INPUT'],
    ['zero units', reserve(1, 'd:x', '0'), 'BAD_INPUT'],
    ['units as a fraction of 10^15 + 1 (not whole)', reserve(1, 'd:x', '999999999999999.5'), 'BAD_INPUT'],
    ['beyond the free units under refuse', reserve(1, 'd:x', '1', { unit: LLM }), 'INSUFFICIENT_ALLOWANCE'],
    ['a shortfall the credits cannot cover', reserve(1, 'd:x', String(3000 + 490 * 300 + 1)), 'INSUFFICIENT_CREDITS'],
    ['an agent (the policy has none)', reserve(1, 'd:x', '5', { agentId: 'bot' }), 'AGENT_INACTIVE'],
  ];
  for (const [name, m, code] of cases) {
    const { push } = assistLore();
    const r = push('d', m);
    assert.deepEqual([r.results[0].status, r.results[0].code], ['refused', code], name);
    assert.equal(r.payload.lastMutationSeq, 1, name);
    assert.deepEqual([tts(r.payload).held, r.payload.held], [0, '0'], name);
  }
  // Above 10^15 an amount is not money: the whole push is BAD_REQUEST (§12.3, §6.8).
  const big = assistLore().push('d', reserve(1, 'd:x', '1000000000000001'));
  assert.equal(big.error?.code, 'BAD_REQUEST');
  // A whole number spelled with a fraction part is whole (§12.3: "93.0").
  const { push } = assistLore();
  const r = push('d', reserve(1, 'd:x', '3001.000'));
  assert.equal(r.results[0].status, 'applied');
  assert.deepEqual(r.payload.holds.map((h) => [h.amount, h.units]), [['0.004', 3000]]);
});

test('§12.4: commits in the wrong unit are BAD_INPUT and leave the hold; unit commits of other holds', () => {
  const { push, next, clock } = assistLore();
  push('d', reserve(next(), 'd:u', '100'), { type: 'reserve', seq: next(), at: 1, id: 'cr', holdId: 'd:c', amount: '5', operation: 'op' });
  const wrong = [
    ['credits on a unit hold', commit(next(), 'd:u', '5', { unit: undefined })],
    ['units on a credit hold', commit(next(), 'd:c', '5')],
    ['another unit', commit(next(), 'd:u', '5', { unit: LLM })],
    ['an unknown unit', commit(next(), 'd:u', '5', { unit: 'pixels' })],
    ['a fractional amount', commit(next(), 'd:u', '5.5')],
  ];
  for (const [name, m] of wrong) {
    const r = push('d', m);
    assert.deepEqual([r.results[0].status, r.results[0].code], ['refused', 'BAD_INPUT'], name);
    assert.deepEqual(r.payload.holds.map((h) => h.id), ['d:u', 'd:c'], name);
  }
  // An unknown hold in a known unit is NOT_FOUND.
  assert.equal(push('d', commit(next(), 'd:none', '5')).results[0].code, 'NOT_FOUND');
  // Commit less than set aside: the rest goes back; release of a unit hold gives everything back.
  let r = push('d', commit(next(), 'd:u', '40'));
  assert.deepEqual([r.results[0].charged, tts(r.payload).remaining, tts(r.payload).held], ['0', 2960, 0]);
  assert.equal(push('d', commit(next(), 'd:u', '1')).results[0].code, 'NOT_FOUND', 'committed once');
  push('d', reserve(next(), 'd:v', '2960'));
  r = push('d', { type: 'release', seq: next(), at: 1, id: 'rl', holdId: 'd:v' });
  assert.deepEqual([r.results[0].status, tts(r.payload).held, tts(r.payload).remaining], ['applied', 0, 2960]);

  // An expired unit hold: its units are drawn; what they cannot cover is charged with its credits vouched.
  push('d', reserve(next(), 'd:w', '3000')); // 2960 set aside, credits(40) = 0.134 held
  clock.advance(600000);
  r = push('d');
  assert.deepEqual([r.payload.holds.length, tts(r.payload).held, r.payload.held], [0, 0, '0']);
  r = push('d', commit(next(), 'd:w', '3000'));
  assert.deepEqual([r.results[0].charged, tts(r.payload).remaining], [fmt(creditsOf(40n, M('300'), M('0.001'))), 0]);
  assert.equal(push('d', commit(next(), 'd:w', '1')).results[0].code, 'NOT_FOUND', 'charged once');
});

test('§12.3–12.4: two devices share an allowance; a refused unit reserve\'s commit is charged, read in its own unit', () => {
  const { push } = assistLore({ onShortfall: 'refuse' });
  push('laptop', reserve(1, 'laptop:a', '2500'));
  let r = push('phone', reserve(1, 'phone:a', '501'));
  assert.deepEqual([r.results[0].status, r.results[0].code], ['refused', 'INSUFFICIENT_ALLOWANCE'], 'only 500 free');
  assert.deepEqual([tts(r.payload).held, r.payload.holds.length], [2500, 0], "the other device's units are held, its hold not listed");
  // The phone ran the call anyway (within its room): 501 units used, 500 free.
  r = push('phone', commit(2, 'phone:a', '501'));
  assert.deepEqual([r.results[0].status, r.results[0].charged], ['applied', '0.004'], 'converted credits(1), then drawn');
  assert.equal(tts(r.payload).remaining, 3000 - 501 + 1);
  assert.equal(r.payload.balance, '489.996');
});

test('§12.6: agents — reserves of inactive or unknown agents refused, commits count toward an active agent\'s cycle', () => {
  const { push, ledger } = assistLore({ agents: [{ id: 'bot', cycleEnd: 1800000000000 }, { id: 'old', status: 'inactive', cycleEnd: 1 }] });
  assert.equal(push('d', reserve(1, 'd:a', '5', { agentId: 'old' })).results[0].code, 'AGENT_INACTIVE');
  assert.equal(push('d', reserve(2, 'd:b', '5', { agentId: 'nobody' })).results[0].code, 'AGENT_INACTIVE');
  push('d', reserve(3, 'd:c', '50', { agentId: 'bot' }), { type: 'reserve', seq: 4, at: 1, id: 'r4', holdId: 'd:k', amount: '2', operation: 'op', agentId: 'bot' });
  let r = push('d', commit(5, 'd:c', '30'), { type: 'commit', seq: 6, at: 1, id: 'c6', holdId: 'd:k', amount: '1.5' });
  assert.deepEqual(r.payload.agents, [
    { id: 'bot', status: 'active', cycleEnd: 1800000000000, cycleCredits: '1.5', cycleLlmTokens: 0, cycleTtsCharacters: 30 },
    { id: 'old', status: 'inactive', cycleEnd: 1, cycleCredits: '0', cycleLlmTokens: 0, cycleTtsCharacters: 0 },
  ]);
  // Once inactive, usage counts for the account only; the commit is never refused.
  push('d', reserve(7, 'd:e', '10', { agentId: 'bot' }));
  ledger.setAgentStatus(ACCOUNT, 'bot', 'inactive');
  r = push('d', commit(8, 'd:e', '10'));
  assert.equal(r.results[0].status, 'applied');
  assert.equal(r.payload.agents[0].cycleTtsCharacters, 30);
  assert.equal(tts(r.payload).remaining, 3000 - 40);
});

test('§6.1, §12.3: the fingerprint covers `unit`: the same mutation without it is a conflict, not a duplicate', () => {
  const { push } = assistLore();
  const m = reserve(1, 'd:a', '5');
  push('d', m);
  const { unit, ...credits } = m;
  const r = push('d', credits);
  assert.deepEqual([r.results[0].status, r.results[0].code], ['conflict', 'SEQ_CONFLICT']);
});

test('§1.2, §6.8: the codes and order of defects of `unit`, each on a fresh account', () => {
  const answer = (...mutations) => {
    const r = assistLore({ agents: [] }).push('d', ...mutations);
    return r.error ? ['error ' + r.error.code] : r.results.map((x) => `${x.status} ${x.code ?? '-'}`);
  };
  const ok = reserve(1, 'd:h1', '5');
  assert.deepEqual(answer(reserve(1, 'd:h1', '5', { unit: 5 })), ['error BAD_REQUEST'], 'a unit that is not a string');
  assert.deepEqual(answer(reserve(1, 'd:h1', '5', { unit: null })), ['applied -'], 'null is absent: a credit reserve');
  assert.deepEqual(answer(reserve(1, 'd:h1', '5', { unit: 'seconds', agentId: 'bot' })), ['refused BAD_INPUT'], 'the unit before the agent');
  assert.deepEqual(answer(reserve(1, 'd:h1', '5', { agentId: 'bot' })), ['refused AGENT_INACTIVE']);
  assert.deepEqual(answer(ok, commit(2, 'd:zz', '5', { unit: 'seconds' })), ['applied -', 'refused BAD_INPUT'], 'judged before the hold');
  assert.deepEqual(answer(ok, commit(2, 'd:zz', '5')), ['applied -', 'refused NOT_FOUND']);
  assert.deepEqual(answer(ok, commit(2, 'd:h1', '5', { unit: LLM })), ['applied -', 'refused BAD_INPUT'], "not the hold's unit");
  assert.deepEqual(answer(ok, commit(2, 'd:h1', '5', { unit: undefined })), ['applied -', 'refused BAD_INPUT'], 'a unit hold in credits');
  assert.deepEqual(answer(reserve(1, 'd:h1', '5', { unit: undefined }), commit(2, 'd:h1', '5')), ['applied -', 'refused BAD_INPUT'], 'a credit hold in units');
  assert.deepEqual(answer(ok, { type: 'release', seq: 2, at: 1, holdId: 'd:h1', unit: 'seconds' }), ['applied -', 'applied -'], 'ignored on a release');
  const closed = [ok, commit(2, 'd:h1', '5')];
  assert.deepEqual(answer(...closed, commit(3, 'd:h1', '6', { unit: undefined })), ['applied -', 'applied -', 'refused BAD_INPUT'], 'a closed unit hold in credits');
  assert.deepEqual(answer(...closed, commit(3, 'd:h1', '6')), ['applied -', 'applied -', 'refused NOT_FOUND'], 'a closed unit hold in units');
});
