// Conformance: the client package against the independent ledger (ledger.js, written from
// docs/PROTOCOL.md alone) in the everyday flows: reserve, commit, release, over-commit,
// offline spending, confirmation, lost answers, refusals and expired holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rejection, acks, ACCOUNT } from './host.js';

const OP = 'flashcards.generate';
const B64URL_ID = /^[A-Za-z0-9_-]{1,64}$/;

test('reserve → commit → sync: the push carries §5.1 mutations and the ledger charges the commit (§6.4)', async () => {
  const f = await setup();
  const hold = await f.meter.reserve({ operation: OP, amount: '12' });
  assert.match(hold.holdId, /^laptop:[A-Za-z0-9_-]{1,64}$/);
  assert.equal(hold.needsConfirmation, false);
  await f.meter.commit(hold.holdId, { credits: '9.5' });
  const status = await f.meter.sync();
  assert.equal(status.balance, '90.5');
  assert.equal(status.outbox, 0);

  const sent = f.host.pushes().flatMap((x) => x.request.mutations);
  assert.deepEqual(sent.map((m) => [m.type, m.seq, m.holdId, m.amount]), [
    ['reserve', 1, hold.holdId, '12'],
    ['commit', 2, hold.holdId, '9.5'],
  ]);
  assert.equal(sent[0].operation, OP);
  for (const m of sent) assert.match(m.id, B64URL_ID);
  for (const x of f.host.exchanges) assert.equal(x.request.v, 2);

  const [reserve, commit] = acks(f.meter);
  assert.equal(reserve.status, 'applied');
  assert.equal(reserve.confirmed, true);
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', '9.5', '0', '0']);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.equal(view.balance, '90.5');
  assert.equal(view.lastMutationSeq, 2);
  f.close();
});

test('release: the hold lowers available until released, then nothing is charged (§6.3)', async () => {
  const f = await setup();
  const hold = await f.meter.reserve({ operation: OP, amount: '10' });
  assert.equal(f.meter.status().available, '90');
  assert.equal(f.meter.status().heldOwn, '10');
  await f.meter.sync();
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').held, '10');
  await f.meter.release(hold.holdId);
  const status = await f.meter.sync();
  assert.equal(status.available, '100');
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'applied'], ['release', 'applied']]);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual([view.balance, view.held, view.holds.length], ['100', '0', 0]);
  f.close();
});

test('commit over the hold: the excess is charged, then overdraft within the offline limit (§6.4, §6.5)', async () => {
  const f = await setup({ grant: '20' });
  const small = await f.meter.reserve({ operation: OP, amount: '5' });
  await f.meter.commit(small.holdId, { credits: '8' });
  await f.meter.sync();
  const first = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([first.charged, first.overdraft, first.unpaid], ['8', '0', '0']);

  const big = await f.meter.reserve({ operation: OP, amount: '10' });
  await f.meter.commit(big.holdId, { credits: '30' });
  const status = await f.meter.sync();
  const second = acks(f.meter).find((e) => e.kind === 'commit');
  // 12 left: the hold's 10 plus 2 of the excess are drawn, 18 becomes overdraft.
  assert.deepEqual([second.status, second.charged, second.overdraft, second.unpaid], ['applied', '12', '18', '0']);
  assert.equal(status.balance, '0');
  assert.equal(status.room, '32');
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').offlineLimit, '32');
  f.close();
});

test('offline: spending within the offline limit goes ahead, beyond it is OFFLINE_LIMIT, and all of it reaches the ledger (§4, §6.5)', async () => {
  const f = await setup();
  f.host.offline = true;
  f.clock.advance(400000); // past the snapshot's 5 min TTL
  assert.equal(f.meter.status().freshness, 'stale');
  assert.equal(f.meter.status().room, '50');
  const a = await f.meter.reserve({ operation: OP, amount: '20' });
  assert.equal(a.needsConfirmation, false);
  await f.meter.commit(a.holdId, { credits: '15' });
  assert.equal(f.meter.status().exposure, '15');
  assert.equal(f.meter.status().room, '35');
  const refused = await rejection(f.meter.reserve({ operation: OP, amount: '40' }));
  assert.equal(refused.code, 'OFFLINE_LIMIT');
  const b = await f.meter.reserve({ operation: OP, amount: '35' });
  assert.equal(b.needsConfirmation, false);
  assert.equal(f.meter.status().room, '0');

  f.host.offline = false;
  const status = await f.meter.sync();
  assert.equal(status.outbox, 0);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual([view.balance, view.held], ['85', '35']);
  assert.deepEqual(view.holds.map((h) => h.id), [b.holdId]);
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'applied'], ['commit', 'applied'], ['reserve', 'applied']]);
  f.close();
});

test('a fresh reserve above the room needs confirmation, and the ledger confirms it (§4 Reserve, §5.5 step 4)', async () => {
  const f = await setup();
  const hold = await f.meter.reserve({ operation: OP, amount: '60' });
  assert.equal(hold.needsConfirmation, true);
  await f.meter.sync();
  const [ack] = acks(f.meter);
  assert.deepEqual([ack.kind, ack.status, ack.confirmed], ['reserve', 'applied', true]);
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.id, h.amount]), [[hold.holdId, '60']]);
  f.close();
});

test('a lost response: the retry is answered duplicate and the usage is charged once (§6.1)', async () => {
  const f = await setup();
  let drop = 1;
  f.host.pushHook = (text) => {
    if (drop-- > 0) throw new Error('connection reset after the ledger applied the push');
    return text;
  };
  // The reserve is pushed at once; its answer is lost after the ledger applied it.
  const hold = await f.meter.reserve({ operation: OP, amount: '12' });
  assert.equal(drop, 0, 'the push was sent and its answer dropped');
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').lastMutationSeq, 1, 'the ledger applied the lost push');
  assert.equal(f.meter.status().outbox, 1, 'unacknowledged, so kept');
  const failed = f.meter.takeEvents().find((e) => e.type === 'syncFailed');
  assert.equal(failed?.code, 'TRANSPORT_FAILED');
  await f.meter.commit(hold.holdId, { credits: '9.5' });
  const status = await f.meter.sync();
  assert.equal(status.outbox, 0);
  const resent = f.host.pushes().at(-1);
  const first = f.host.pushes()[0].request.mutations[0];
  assert.deepEqual(resent.request.mutations[0], first, 'the reserve is resent byte for byte');
  assert.deepEqual([resent.response.results[0].status, resent.response.results[0].original], ['duplicate', 'applied']);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual([view.balance, view.lastMutationSeq], ['90.5', 2]);
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'duplicate'], ['commit', 'applied']]);
  f.close();
});

test('insufficient credits: refused locally with the shortfall, and refused by the ledger when another device spent them (§4, §6.2)', async () => {
  const f = await setup({ grant: '10' });
  const local = await rejection(f.meter.reserve({ operation: OP, amount: '12' }));
  assert.equal(local.code, 'INSUFFICIENT_CREDITS');
  assert.deepEqual([local.needed, local.available, local.shortfall], ['12', '10', '2']);

  const { openMeter, makeHost } = await import('./host.js');
  const phone = await openMeter(f.ledger, makeHost(f.ledger, f.clock), { deviceId: 'phone' });
  await phone.sync();
  await phone.reserve({ operation: OP, amount: '9' });
  await phone.sync();

  const hold = await f.meter.reserve({ operation: OP, amount: '5' }); // its snapshot still says 10
  await f.meter.sync();
  const [ack] = acks(f.meter);
  assert.deepEqual([ack.kind, ack.status, ack.code, ack.confirmed], ['reserve', 'refused', 'INSUFFICIENT_CREDITS', false]);
  const s = f.meter.status();
  assert.deepEqual([s.heldOther, s.heldOwn, s.available, s.exposure, s.room], ['9', '0', '1', '5', '45']);

  // The host may have run the call within the room: its commit is still charged (§6.4).
  await f.meter.commit(hold.holdId, { credits: '4' });
  await f.meter.sync();
  const [commit] = acks(f.meter);
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', '1', '3', '0']);
  phone.close();
  f.close();
});

test('an expired hold: the ledger drops it, its late commit is charged once with the hold vouched, a second commit is NOT_FOUND (§6.3, §6.4)', async () => {
  const f = await setup({ grant: '10' });
  const hold = await f.meter.reserve({ operation: OP, amount: '8' });
  await f.meter.sync();
  const beforeCommit = f.host.state;
  f.clock.advance(600000); // the hold expires at reserve + holdTtlMs
  const pulled = await f.meter.sync();
  assert.equal(pulled.heldOwn, '0');
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').held, '0');

  f.ledger.debit(ACCOUNT, '8'); // the credits go elsewhere meanwhile: only 2 are left
  await f.meter.commit(hold.holdId, { credits: '7' });
  await f.meter.sync();
  const commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', '2', '5', '0']);
  // 5 vouched: the offline limit is untouched.
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').offlineLimit, '50');
  f.close();

  // A state restored from before the commit commits the same usage again, with another id.
  const { openMeter, makeHost } = await import('./host.js');
  const host = makeHost(f.ledger, f.clock, { state: beforeCommit });
  const copy = await openMeter(f.ledger, host);
  await copy.commit(hold.holdId, { credits: '7' });
  for (let i = 0; i < 3 && copy.status().outbox > 0; i++) await copy.sync().catch(() => {});
  assert.equal(copy.status().outbox, 0);
  const second = acks(copy).find((e) => e.kind === 'commit');
  assert.deepEqual([second.status, second.code], ['refused', 'NOT_FOUND']);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.equal(view.balance, '0');
  assert.equal(view.offlineLimit, '50', 'nothing more was charged');
  copy.close();
});

test('a reserve the ledger refused stays in exposure until reserve time + holdTtlMs, then frees the room (§4)', async () => {
  const f = await setup({ grant: '10' });
  const { openMeter, makeHost } = await import('./host.js');
  const phone = await openMeter(f.ledger, makeHost(f.ledger, f.clock), { deviceId: 'phone' });
  await phone.sync();
  await phone.reserve({ operation: OP, amount: '9' });
  await phone.sync();
  const t0 = f.clock.t;
  await f.meter.reserve({ operation: OP, amount: '5' });
  await f.meter.sync();
  assert.equal(acks(f.meter)[0].code, 'INSUFFICIENT_CREDITS');
  f.host.offline = true;
  f.clock.t = t0 + 599999;
  assert.deepEqual([f.meter.status().exposure, f.meter.status().room], ['5', '45']);
  f.clock.t = t0 + 600000;
  assert.deepEqual([f.meter.status().exposure, f.meter.status().room], ['0', '50']);
  phone.close();
  f.close();
});
