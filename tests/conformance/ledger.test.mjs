// The independent ledger's own answers to raw requests, from PROTOCOL §6.1–6.4 and §6.8.
// These keep ledger.js faithful to the document (it is the yardstick of the client tests),
// so it cannot drift toward whatever the client happens to accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from './ledger.js';
import { makeClock, ACCOUNT } from './host.js';

function fresh() {
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t });
  ledger.createAccount(ACCOUNT);
  ledger.grant(ACCOUNT, { id: 'g', amount: '10' });
  return { clock, ledger };
}
const body = (mutations, extra = {}) => JSON.stringify({ v: 2, accountId: ACCOUNT, deviceId: 'd', mutations, ...extra });
const reserve = (o = {}) => ({ type: 'reserve', seq: 1, at: 1, id: 'abc', holdId: 'd:h1', amount: '1', operation: 'op', ...o });

test('§6.8: whole-request defects are BAD_REQUEST and apply nothing', () => {
  const cases = {
    'not JSON': '{',
    'duplicate key': '{"v":2,"v":2,"accountId":"acct-1","deviceId":"d","mutations":[]}',
    'v 1': body([], { v: 1 }),
    'no v': JSON.stringify({ accountId: ACCOUNT, deviceId: 'd', mutations: [] }),
    'device id with ":"': body([], { deviceId: 'a:b' }),
    'mutations missing': JSON.stringify({ v: 2, accountId: ACCOUNT, deviceId: 'd' }),
    'unknown type': body([reserve({ type: 'refund' })]),
    'seq "1"': body([reserve({ seq: '1' })]),
    'seq 1e0': body([reserve()]).replace('"seq":1', '"seq":1e0'),
    'seq 2^53': body([reserve({ seq: 2 ** 53 })]),
    'at 1.5': body([reserve({ at: 1.5 })]),
    'amount "1e1"': body([reserve({ amount: '1e1' })]),
    'amount "010"': body([reserve({ amount: '010' })]),
    'amount ".5"': body([reserve({ amount: '.5' })]),
    'amount as a number': body([reserve({ amount: 1 })]),
    'amount above 10^15': body([reserve({ amount: '1000000000000000.1' })]),
    'amount with 29 fraction digits': body([reserve({ amount: '0.00000000000000000000000000001' })]),
    'amount whose digits reach 2^96 (trailing zeros count)': body([reserve({ amount: '12.5000000000000000000000000000' })]),
    'amount whose digits reach 2^96': body([reserve({ amount: '399.9999999999999999999999999999' })]),
    'release with amount 1 (a number)': body([{ type: 'release', seq: 1, at: 1, holdId: 'd:h1', amount: 1 }]),
    'operation missing': body([reserve({ operation: undefined })]),
    'malformed and unknown account': body([reserve({ seq: 0 })], { accountId: 'nobody' }),
  };
  for (const [name, text] of Object.entries(cases)) {
    const { ledger } = fresh();
    const r = ledger.handle('push', text);
    assert.equal(r.error?.code, 'BAD_REQUEST', name);
    assert.equal(ledger.view(ACCOUNT, 'd').lastMutationSeq, 0, name);
  }
});

test('§6.8: per-mutation defects are refusals that advance the seq', () => {
  const cases = [
    ['bad mutation id', reserve({ id: 'a b' }), 'refused', 'BAD_INPUT'],
    ["another device's prefix", reserve({ holdId: 'e:h1' }), 'refused', 'BAD_INPUT'],
    ['no prefix', reserve({ holdId: 'h1' }), 'refused', 'BAD_INPUT'],
    ['zero amount', reserve({ amount: '0' }), 'refused', 'BAD_INPUT'],
    ['an agent that is not active', reserve({ agentId: 'bot' }), 'refused', 'AGENT_INACTIVE'],
    ['more than spendable', reserve({ amount: '10.5' }), 'refused', 'INSUFFICIENT_CREDITS'],
    ['empty operation', reserve({ operation: '' }), 'applied', undefined],
    ['an operation of 200 bytes', reserve({ operation: 'o'.repeat(200) }), 'applied', undefined],
    ['an operation over 200 bytes', reserve({ operation: 'o'.repeat(201) }), 'refused', 'BAD_INPUT'],
    ['an operation over 200 bytes in UTF-8 (67 × €)', reserve({ operation: '€'.repeat(67) }), 'refused', 'BAD_INPUT'],
    ['an agentId over 200 bytes', reserve({ agentId: 'a'.repeat(201) }), 'refused', 'BAD_INPUT'],
    ['an operation over 200 bytes the balance could not pay', reserve({ operation: 'o'.repeat(201), amount: '99' }), 'refused', 'BAD_INPUT'],
    ['negative at', reserve({ at: -5 }), 'applied', undefined],
    ['commit of an unknown hold', { type: 'commit', seq: 1, at: 1, holdId: 'e:h1', amount: '1' }, 'refused', 'NOT_FOUND'],
    ['release without prefix', { type: 'release', seq: 1, at: 1, holdId: 'nopfx' }, 'refused', 'NOT_FOUND'],
  ];
  for (const [name, m, status, code] of cases) {
    const { ledger } = fresh();
    const r = ledger.handle('push', body([m]));
    assert.deepEqual([r.results[0].status, r.results[0].code], [status, code], name);
    assert.equal(ledger.view(ACCOUNT, 'd').lastMutationSeq, 1, name);
  }
  const { ledger } = fresh();
  assert.equal(ledger.handle('pull', JSON.stringify({ v: 2, accountId: 'a\u0000b', deviceId: 'd' })).error.code, 'UNKNOWN_ACCOUNT', 'account id form is not checked (§1)');
  assert.deepEqual(ledger.handle('push', body([])).results, [], 'empty mutations: answered like a pull');
  const used = ledger.handle('push', body([reserve(), reserve({ seq: 2, id: 'abd', amount: '0' })]));
  assert.deepEqual(used.results.map((x) => x.code), [undefined, 'DUPLICATE_ID'], 'DUPLICATE_ID comes before the zero amount');
});

test('§6.1: duplicates whatever their seq, conflicts, gaps after a conflict', () => {
  const { ledger } = fresh();
  ledger.handle('push', body([reserve()]));
  const r = ledger.handle('push', body([reserve({ seq: 7 }), reserve({ seq: 1, id: 'other', holdId: 'd:h2' }), reserve({ seq: 2, id: 'x', holdId: 'd:h3' })]));
  assert.deepEqual(r.results.map((x) => [x.status, x.code ?? x.original]), [['duplicate', 'applied'], ['conflict', 'SEQ_CONFLICT'], ['gap', 'SEQ_GAP']]);
  const g = ledger.handle('push', body([reserve({ seq: 5, id: 'y', holdId: 'd:h4' })]));
  assert.deepEqual([g.results[0].status, g.results[0].code], ['gap', 'SEQ_GAP']);
  assert.equal(ledger.view(ACCOUNT, 'd').lastMutationSeq, 1);
});

test('§6.3/§6.4: an expired hold — releases change nothing, one commit is charged with the hold vouched, then NOT_FOUND', () => {
  const { ledger, clock } = fresh();
  const push = (seq, m) => ledger.handle('push', body([{ seq, at: 1, id: 'm' + seq, holdId: 'd:h1', ...m }])).results[0];
  assert.equal(push(1, { type: 'reserve', amount: '8', operation: 'op' }).status, 'applied');
  clock.advance(600000);
  assert.equal(ledger.view(ACCOUNT, 'd').held, '0', 'a hold expiring at T holds nothing at T');
  ledger.debit(ACCOUNT, '7');
  assert.equal(push(2, { type: 'release' }).status, 'applied');
  assert.equal(push(3, { type: 'release' }).status, 'applied', 'the release did not settle it');
  const c = push(4, { type: 'commit', amount: '9' });
  assert.deepEqual([c.status, c.charged, c.overdraft, c.unpaid], ['applied', '3', '6', '0']);
  assert.equal(ledger.view(ACCOUNT, 'd').offlineLimit, '50', 'the 6 are vouched (within the hold of 8): the device room is untouched');
  assert.deepEqual([push(5, { type: 'commit', amount: '9' }).code, push(6, { type: 'release' }).code], ['NOT_FOUND', 'NOT_FOUND']);
});

test('§6.4: over-commit whose hold part can no longer be drawn charges the whole amount with the hold vouched', () => {
  const { ledger, clock } = fresh();
  ledger.grant(ACCOUNT, { id: 'short', kind: 'bonus', amount: '5', expiresAt: clock.t + 1000, priority: 9 });
  const push = (seq, m) => ledger.handle('push', body([{ seq, at: 1, id: 'm' + seq, holdId: 'd:h1', ...m }])).results[0];
  push(1, { type: 'reserve', amount: '12', operation: 'op' });
  clock.advance(1000); // 'short' expires under the open hold: 10 left, hold part 12
  const c = push(2, { type: 'commit', amount: '20' });
  assert.deepEqual([c.charged, c.overdraft, c.unpaid], ['10', '10', '0']);
  assert.equal(ledger.view(ACCOUNT, 'd').offlineLimit, '50', 'all 10 vouched (≤ hold 12)');
});

test('§11: the worked exchange, fed to this ledger as written, gets the document\'s results and balances', async () => {
  const { readFileSync } = await import('node:fs');
  const { join, dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'PROTOCOL.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 11. A worked exchange'));
  const [push, answer, restoredPush] = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));

  // The state §11 starts from (§10's payload): 412.5 in two grants, lastMutationSeq 9, hold laptop:9 of 12 open.
  const clock = makeClock(1735689600000);
  const ledger = new Ledger({ now: () => clock.t });
  ledger.createAccount('acct-42');
  ledger.grant('acct-42', { id: 'p-7:bonus', kind: 'bonus', amount: '100' });
  ledger.grant('acct-42', { id: 'p-7', kind: 'purchase', amount: '312.5' });
  const before = [];
  for (let i = 1; i <= 4; i++) {
    before.push({ type: 'reserve', seq: 2 * i - 1, at: 1, id: 'r' + i, holdId: 'laptop:old' + i, amount: '1', operation: 'op' });
    before.push({ type: 'release', seq: 2 * i, at: 1, id: 'l' + i, holdId: 'laptop:old' + i });
  }
  before.push({ type: 'reserve', seq: 9, at: 1, id: 'r9', holdId: 'laptop:9', amount: '12', operation: 'op' });
  ledger.handle('push', JSON.stringify({ v: 2, accountId: 'acct-42', deviceId: 'laptop', mutations: before }));
  let view = ledger.view('acct-42', 'laptop');
  assert.deepEqual([view.balance, view.held, view.lastMutationSeq, view.holds.map((h) => h.id)], ['412.5', '12', 9, ['laptop:9']]);

  clock.advance(60000);
  const r1 = ledger.handle('push', JSON.stringify(push));
  assert.deepEqual(r1.results, answer.results);
  view = ledger.view('acct-42', 'laptop');
  assert.deepEqual([view.lastMutationSeq, view.balance, view.held, view.holds], [12, '401.3', '0', []]);

  const again = ledger.handle('push', JSON.stringify(push));
  assert.deepEqual(again.results, answer.results.map((r) => ({ ...r, status: 'duplicate', original: 'applied' })));
  assert.equal(ledger.view('acct-42', 'laptop').balance, '401.3');

  // The restored backup's push; the document abbreviates its ids ("Zb1x…"), so real ones stand in.
  const ids = { 'Zb1x…': 'Zb1xRestoredReserve', 'Wn7c…': 'Wn7cRestoredCommit', 'laptop:Hq4…': 'laptop:Hq4Restored' };
  const fix = (m) => ({ ...m, id: ids[m.id], holdId: ids[m.holdId] });
  const restored = { ...restoredPush, mutations: restoredPush.mutations.map(fix) };
  const r2 = ledger.handle('push', JSON.stringify(restored));
  assert.deepEqual(r2.results.map((r) => [r.seq, r.status, r.code]), [[10, 'conflict', 'SEQ_CONFLICT'], [11, 'gap', 'SEQ_GAP']]);
  const renumbered = { ...restored, mutations: restored.mutations.map((m, i) => ({ ...m, seq: 13 + i })) };
  const r3 = ledger.handle('push', JSON.stringify(renumbered));
  assert.deepEqual(r3.results.map((r) => r.status), ['applied', 'applied']);
  assert.equal(ledger.view('acct-42', 'laptop').balance, '394.3', '412.5 − 11.2 − 7');
});

test('§6.2: refused reserves are remembered unless their form was refused; forgotten once committed or released', () => {
  const results = (ledger, ms) => ledger.handle('push', body(ms)).results.map((x) => [x.status, x.code, x.charged].filter(Boolean).join(' '));
  const cases = [
    // name, the refused reserve's fields, its code, remembered
    ['zero amount', { amount: '0' }, 'BAD_INPUT', true],
    ['unknown unit', { amount: '5', unit: 'pages' }, 'BAD_INPUT', true],
    ['an agent that is not active', { agentId: 'bot' }, 'AGENT_INACTIVE', true],
    ['more than spendable', { amount: '11' }, 'INSUFFICIENT_CREDITS', true],
    ['an agentId over 200 bytes', { agentId: 'a'.repeat(201) }, 'BAD_INPUT', false],
    ['a bad mutation id', { id: 'a b' }, 'BAD_INPUT', false],
  ];
  for (const [name, fields, code, remembered] of cases) {
    const { ledger } = fresh();
    assert.deepEqual(results(ledger, [reserve({ id: undefined, ...fields })]), [`refused ${code}`], name);
    // The last reserve differs in amount from the first two: an identical one is a duplicate (§6.1).
    const next = remembered
      ? [reserve({ seq: 2, id: undefined }), { type: 'commit', seq: 3, at: 1, holdId: 'd:h1', amount: '2' }, reserve({ seq: 4, id: undefined, amount: '0.5' })]
      : [{ type: 'commit', seq: 2, at: 1, holdId: 'd:h1', amount: '2' }, { type: 'release', seq: 3, at: 1, holdId: 'd:h1' }, reserve({ seq: 4, id: undefined, amount: '0.5' })];
    const want = remembered ? ['refused DUPLICATE_ID', 'applied 2', 'applied'] : ['refused NOT_FOUND', 'refused NOT_FOUND', 'applied'];
    assert.deepEqual(results(ledger, next), want, name);
  }
  const { ledger } = fresh();
  const released = [
    reserve({ id: undefined, amount: '0' }),
    { type: 'release', seq: 2, at: 1, holdId: 'd:h1' },
    { type: 'release', seq: 3, at: 1, holdId: 'd:h1', id: 'again' },
    reserve({ seq: 4, id: undefined, amount: '0.5' }),
  ];
  assert.deepEqual(results(ledger, released), ['refused BAD_INPUT', 'applied', 'refused NOT_FOUND', 'applied'], 'a released refused reserve is forgotten');
  const placed = [reserve({ id: undefined }), { type: 'commit', seq: 2, at: 1, holdId: 'd:h1', amount: '1' }, reserve({ seq: 3, id: undefined, amount: '0.5' })];
  assert.deepEqual(results(fresh().ledger, placed), ['applied', 'applied 1', 'refused DUPLICATE_ID'], "a placed hold's id is never reused");
});

test('§6.1, §6.8: a commit or release ignores the members of a reserve, and does not fingerprint them', () => {
  const { ledger } = fresh();
  const first = ledger.handle('push', body([
    reserve({ id: undefined, amount: '3' }),
    { type: 'commit', seq: 2, at: 1, holdId: 'd:h1', amount: '2', operation: 5, agentId: { x: 1 } },
    reserve({ seq: 3, id: undefined, holdId: 'd:h2' }),
    { type: 'release', seq: 4, at: 1, holdId: 'd:h2', agentId: 7, operation: null, unit: 'pages', amount: '4' },
  ]));
  assert.deepEqual(first.results.map((x) => x.status), ['applied', 'applied', 'applied', 'applied']);
  const again = ledger.handle('push', body([
    { type: 'commit', seq: 2, at: 1, holdId: 'd:h1', amount: '2', operation: 'else' },
    { type: 'release', seq: 4, at: 1, holdId: 'd:h2' },
  ]));
  assert.deepEqual(again.results.map((x) => x.status), ['duplicate', 'duplicate']);
  const badAmount = ledger.handle('push', body([{ type: 'release', seq: 5, at: 1, holdId: 'd:h1', amount: '1e1' }]));
  assert.equal(badAmount.error?.code, 'BAD_REQUEST', "a release's amount still has money's strict form");
});
