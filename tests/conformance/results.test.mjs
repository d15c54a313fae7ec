// Conformance: how the client matches push results to its mutations (PROTOCOL §5.4) and
// shows grants in the ledger's consumption order (§3, §6.4), against the independent ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, acks, ACCOUNT, makeClock, makeHost, openMeter } from './host.js';
import { Ledger } from './ledger.js';

const OP = 'flashcards.generate';
const rewriteResults = (edit) => (text) => {
  const r = JSON.parse(text);
  r.results = edit(r.results);
  return JSON.stringify(r);
};

test('§5.4: a result without id counts as the result of the mutation sent under that seq', async () => {
  const f = await setup();
  f.host.pushHook = rewriteResults((rs) => rs.map(({ id, ...r }) => r));
  const hold = await f.meter.reserve({ operation: OP, amount: '2' });
  await f.meter.commit(hold.holdId, { credits: '2' });
  const s = await f.meter.sync();
  assert.equal(s.outbox, 0);
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'applied'], ['commit', 'applied']]);
  assert.equal(f.host.pushes().length, 2, 'nothing was resent');
  f.close();
});

test('§5.4: a result with another id is ignored; the mutation is renumbered, resent and answered duplicate', async () => {
  const f = await setup();
  let once = true;
  f.host.pushHook = rewriteResults((rs) => (once ? ((once = false), rs.map((r) => ({ ...r, id: 'AAAAAAAAAAAAAAAAAAAAAA' }))) : rs));
  await f.meter.reserve({ operation: OP, amount: '2' });
  assert.equal(f.meter.status().outbox, 1, 'not acknowledged by a foreign id');
  for (let i = 0; i < 3 && f.meter.status().outbox > 0; i++) await f.meter.sync();
  assert.equal(f.meter.status().outbox, 0);
  const [first, second] = f.host.pushes();
  assert.equal(first.request.mutations[0].seq, 1);
  assert.equal(second.request.mutations[0].seq, 2, 'renumbered after lastMutationSeq 1');
  assert.equal(second.request.mutations[0].id, first.request.mutations[0].id);
  assert.equal(second.response.results[0].status, 'duplicate');
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').held, '2', 'held once');
  f.close();
});

test('§5.4: results out of request order: only the later seq is acknowledged, the other is resent and is a duplicate', async () => {
  const f = await setup();
  f.host.offline = true;
  const hold = await f.meter.reserve({ operation: OP, amount: '4' });
  await f.meter.commit(hold.holdId, { credits: '3' });
  f.host.offline = false;
  let once = true;
  f.host.pushHook = rewriteResults((rs) => (once ? ((once = false), rs.slice().reverse()) : rs));
  for (let i = 0; i < 3 && f.meter.status().outbox > 0; i++) await f.meter.sync().catch(() => {});
  assert.equal(f.meter.status().outbox, 0);
  const pushes = f.host.pushes();
  assert.deepEqual(pushes[0].request.mutations.map((m) => m.seq), [1, 2]);
  assert.deepEqual(pushes[1].request.mutations.map((m) => [m.type, m.seq]), [['reserve', 3]]);
  assert.equal(pushes[1].response.results[0].status, 'duplicate');
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').balance, '97', 'charged once');
  f.close();
});

test('§3/§6.4: the ledger lists grants in consumption order and the client shows them as received', async () => {
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t });
  ledger.createAccount(ACCOUNT);
  ledger.grant(ACCOUNT, { id: 'paid', kind: 'purchase', amount: '10' });
  clock.advance(1);
  ledger.grant(ACCOUNT, { id: 'bonus-later', kind: 'bonus', amount: '10' });
  ledger.grant(ACCOUNT, { id: 'expiring', kind: 'bonus', amount: '10', expiresAt: clock.t + 86400000 });
  ledger.grant(ACCOUNT, { id: 'promo', kind: 'promotion', amount: '10', priority: 5 });
  const order = ['promo', 'expiring', 'bonus-later', 'paid'];
  const meter = await openMeter(ledger, makeHost(ledger, clock));
  let s = await meter.sync();
  assert.deepEqual(s.grants.map((g) => g.id), order);
  assert.deepEqual(s.grants.map((g) => g.priority), [5, 0, 0, 0]);

  const hold = await meter.reserve({ operation: OP, amount: '12' });
  await meter.commit(hold.holdId, { credits: '12' });
  s = await meter.sync();
  assert.deepEqual(s.grants.map((g) => [g.id, g.remaining]), [['expiring', '8'], ['bonus-later', '10'], ['paid', '10']]);
  meter.close();
});
