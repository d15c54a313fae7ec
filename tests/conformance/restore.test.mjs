// Conformance: restored and copied client states (PROTOCOL §5.1, §5.5 step 5, §6.1, §11)
// against the independent ledger: old seqs resent, conflicts and gaps, renumbering, and
// every mutation applied exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, makeHost, openMeter, acks, ACCOUNT } from './host.js';

const OP = 'flashcards.generate';

test('a restored backup: its old seqs conflict, it renumbers after lastMutationSeq, and both timelines are charged exactly (§5.5, §6.1)', async () => {
  const f = await setup();
  const backup = f.host.state;
  const h1 = await f.meter.reserve({ operation: OP, amount: '15' });
  await f.meter.commit(h1.holdId, { credits: '11.2' });
  await f.meter.sync();
  f.close();
  assert.deepEqual([f.ledger.view(ACCOUNT, 'laptop').balance, f.ledger.view(ACCOUNT, 'laptop').lastMutationSeq], ['88.8', 2]);

  const host = makeHost(f.ledger, f.clock, { state: backup });
  host.offline = true; // the restored copy works offline first, so both its mutations go in one push
  const restored = await openMeter(f.ledger, host);
  const h2 = await restored.reserve({ operation: OP, amount: '10' });
  await restored.commit(h2.holdId, { credits: '7' });
  assert.notEqual(h2.holdId, h1.holdId, 'a restored state draws fresh hold ids');
  host.offline = false;
  for (let i = 0; i < 4 && restored.status().outbox > 0; i++) await restored.sync();
  assert.equal(restored.status().outbox, 0);

  const pushes = host.pushes();
  const first = pushes[0];
  assert.deepEqual(first.request.mutations.map((m) => m.seq), [1, 2]);
  assert.deepEqual(first.response.results.map((r) => [r.status, r.code]), [['conflict', 'SEQ_CONFLICT'], ['gap', 'SEQ_GAP']]);
  const last = pushes.at(-1);
  assert.deepEqual(last.request.mutations.map((m) => m.seq), [3, 4], 'renumbered from lastMutationSeq + 1');
  assert.deepEqual(last.request.mutations.map((m) => m.id), first.request.mutations.map((m) => m.id), 'ids unchanged');
  assert.deepEqual(last.response.results.map((r) => r.status), ['applied', 'applied']);

  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.equal(view.balance, '81.8', '100 − 11.2 − 7: each usage charged once');
  assert.equal(view.lastMutationSeq, 4);
  restored.close();
});

test('a copied state resends the same seqs byte for byte: duplicates, nothing charged twice (§5.1, §6.1)', async () => {
  const f = await setup({ deviceId: 'phone' });
  f.host.offline = true;
  const hold = await f.meter.reserve({ operation: OP, amount: '5' });
  await f.meter.commit(hold.holdId, { credits: '4' });
  const copiedState = f.host.state;
  f.host.offline = false;
  await f.meter.sync();
  f.close();
  const original = f.host.pushes().flatMap((x) => x.request.mutations);
  assert.equal(f.ledger.view(ACCOUNT, 'phone').balance, '96');

  const host = makeHost(f.ledger, f.clock, { state: copiedState });
  const copy = await openMeter(f.ledger, host, { deviceId: 'phone' });
  for (let i = 0; i < 3 && copy.status().outbox > 0; i++) await copy.sync();
  assert.equal(copy.status().outbox, 0);
  const resent = host.pushes().flatMap((x) => x.request.mutations);
  assert.deepEqual(resent, original.slice(0, resent.length), 'the copy resends what was sent, unchanged');
  const results = host.pushes().flatMap((x) => x.response.results);
  assert.ok(results.length >= 2);
  for (const r of results) assert.deepEqual([r.status, r.original], ['duplicate', 'applied']);
  const commit = acks(copy).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.status, commit.charged], ['duplicate', '4'], 'the duplicate repeats the original amounts');
  assert.equal(f.ledger.view(ACCOUNT, 'phone').balance, '96');
  copy.close();
});

test('a backup restored after the ledger applied its outbox but the answer was lost: all duplicates, the total charged exact (§11)', async () => {
  const f = await setup();
  f.host.offline = true;
  const holds = [];
  for (const amount of ['3', '4.25', '6']) holds.push(await f.meter.reserve({ operation: OP, amount }));
  for (const [i, h] of holds.entries()) await f.meter.commit(h.holdId, { credits: ['2.5', '4.25', '7.125'][i] });
  const saved = f.host.state; // six unacknowledged mutations
  assert.equal(f.meter.status().outbox, 6);
  f.host.offline = false;
  let answered = 0;
  f.host.pushHook = (text) => {
    if (answered++ === 0) throw new Error('device lost before it read the answer');
    return text;
  };
  await f.meter.sync().catch(() => {});
  f.close();
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').lastMutationSeq, 6, 'the ledger applied all six');

  const host = makeHost(f.ledger, f.clock, { state: saved });
  const restored = await openMeter(f.ledger, host);
  for (let i = 0; i < 4 && restored.status().outbox > 0; i++) await restored.sync();
  assert.equal(restored.status().outbox, 0);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.equal(view.balance, '86.125', '100 − 2.5 − 4.25 − 7.125');
  const statuses = host.pushes().flatMap((x) => x.response.results.map((r) => r.status));
  assert.deepEqual(statuses, Array(6).fill('duplicate'));
  assert.equal(view.held, '0');
  restored.close();
});
