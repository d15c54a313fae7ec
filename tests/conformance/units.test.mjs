// Conformance: the client package against the independent ledger (ledger.js, written from
// docs/PROTOCOL.md alone) in allowance units (§12): the allowances a snapshot lists,
// reserves and commits in units, onShortfall convert and refuse, releases, two devices on
// one allowance, the client's offline view (§12.5), lost answers, and §12.8's worked example.
// Expected amounts come from the document's own rule (§12.2, units.js), never from the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rejection, acks, openMeter, makeHost, ACCOUNT } from './host.js';
import { creditsOf } from './units.js';
import { M, fmt } from './money.js';

const TTS = 'ttsCharacters';
const LLM = 'llmTokens';
const OP = 'tts';
const RATE = { [TTS]: '300', [LLM]: '1000' };
const STEP = '0.001';
/** §12.2's credits(n) for `unit`, as a money string. */
const credits = (n, unit = TTS) => fmt(creditsOf(BigInt(n), M(RATE[unit]), M(STEP)));

/**
 * §12.8's account (AssistLore): `grant` credits, `convert` of them converted into TTS
 * characters at 300 per credit (step 0.001), LLM tokens at 1,000 per credit under `refuse`.
 */
function assist({ grant = '500', convert = '10', onShortfall = 'convert', llmTokens = null, agents, allowances } = {}) {
  return setup({
    grant,
    account: {
      allowances: allowances ?? [
        { kind: TTS, unitsPerCredit: RATE[TTS], onShortfall },
        { kind: LLM, unitsPerCredit: RATE[LLM], onShortfall: 'refuse' },
      ],
      creditStep: STEP,
      agents,
    },
    prepare: (ledger) => {
      if (convert) ledger.convert(ACCOUNT, TTS, convert);
      if (llmTokens) ledger.convert(ACCOUNT, LLM, llmTokens);
    },
  });
}
const allowance = (s, kind = TTS) => s.allowances.find((a) => a.kind === kind);
const ledgerAllowance = (f, kind = TTS, device = 'laptop') => allowance(f.ledger.view(ACCOUNT, device), kind);
const sent = (f) => f.host.pushes().flatMap((x) => x.request.mutations);
const phoneOf = async (f) => {
  const phone = await openMeter(f.ledger, makeHost(f.ledger, f.clock), { deviceId: 'phone' });
  await phone.sync();
  phone.takeEvents();
  return phone;
};

test('§12.1: the snapshot\'s allowances, creditStep-based rate and unit holds reach status() as signed', async () => {
  const f = await assist();
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.equal(view.creditStep, STEP);
  const s = f.meter.status();
  assert.deepEqual(s.allowances, view.allowances);
  assert.deepEqual(s.allowances.map((a) => [a.kind, a.remaining, a.unitsPerCredit, a.onShortfall]), [
    [TTS, 3000, '300', 'convert'],
    [LLM, 0, '1000', 'refuse'],
  ]);
  assert.equal(s.balance, '490');
  assert.deepEqual(s.agents, [], 'no agents in this policy');
  f.close();
});

test('§12.3: a reserve within the free units holds "0" credits and sets the units aside on the ledger', async () => {
  const f = await assist();
  const hold = await f.meter.reserve({ operation: OP, unit: TTS, units: 120 });
  assert.deepEqual([hold.amount, hold.unit, hold.units, hold.needsConfirmation], ['0', TTS, 120, false]);
  const s = await f.meter.sync();
  const [m] = sent(f);
  assert.deepEqual([m.type, m.unit, m.amount, m.operation, m.holdId], ['reserve', TTS, '120', OP, hold.holdId]);
  const [ack] = acks(f.meter);
  assert.deepEqual([ack.kind, ack.status, ack.confirmed], ['reserve', 'applied', true]);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual(view.holds.map((h) => [h.id, h.amount, h.unit, h.units]), [[hold.holdId, '0', TTS, 120]]);
  assert.deepEqual([view.held, allowance(view).held, allowance(view).remaining], ['0', 120, 3000]);
  assert.deepEqual([s.balance, s.available, s.heldOwn], ['490', '490', '0']);
  assert.deepEqual(allowance(s), allowance(view));
  f.close();
});

test('§12.3 convert: a reserve beyond the free units holds credits(shortfall), rounded up to creditStep', async () => {
  const f = await assist();
  const hold = await f.meter.reserve({ operation: OP, unit: TTS, units: 3100 });
  assert.deepEqual([hold.units, hold.amount], [3000, credits(100)]);
  assert.equal(f.meter.status().heldOwn, credits(100));
  await f.meter.sync();
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual(view.holds.map((h) => [h.amount, h.units]), [[credits(100), 3000]]);
  assert.equal(view.held, credits(100));
  const s = f.meter.status();
  assert.equal(s.available, fmt(M('490') - M(credits(100))));
  // Beyond what the credits cover as well: INSUFFICIENT_CREDITS, with the credits needed.
  const short = await rejection(f.meter.reserve({ operation: OP, unit: TTS, units: 490 * 300 }));
  assert.equal(short.code, 'INSUFFICIENT_CREDITS');
  assert.deepEqual([short.needed, short.available], [credits(490 * 300), s.available]);
  f.close();
});

test('§12.3 refuse: INSUFFICIENT_ALLOWANCE locally (nothing saved), and from the ledger when another device took the units', async () => {
  const f = await assist({ llmTokens: '1' });
  assert.equal(allowance(f.meter.status(), LLM).remaining, 1000);
  const local = await rejection(f.meter.reserve({ operation: 'message', unit: LLM, units: 1001 }));
  assert.equal(local.code, 'INSUFFICIENT_ALLOWANCE');
  assert.equal(f.meter.status().outbox, 0);

  const phone = await phoneOf(f);
  await phone.reserve({ operation: 'message', unit: LLM, units: 600 });
  await phone.sync();
  const hold = await f.meter.reserve({ operation: 'message', unit: LLM, units: 500 }); // its snapshot still says 1000 free
  assert.equal(hold.amount, '0');
  await f.meter.sync();
  const [ack] = acks(f.meter);
  assert.deepEqual([ack.kind, ack.status, ack.code, ack.confirmed], ['reserve', 'refused', 'INSUFFICIENT_ALLOWANCE', false]);
  assert.deepEqual([allowance(f.meter.status(), LLM).held, f.ledger.view(ACCOUNT, 'laptop').holds.length], [600, 0]);
  // §12.5: a refused unit hold stays in exposure at credits(n); its commit is exposure credits(u) until acknowledged.
  assert.equal(f.meter.status().exposure, credits(500, LLM));
  await f.meter.commit(hold.holdId, { units: 500 });
  assert.deepEqual([f.meter.status().exposure, f.meter.status().pending], [credits(500, LLM), '0']);
  // §12.4 step 3: the usage happened, whatever onShortfall says: 400 free, credits(100) converted.
  const s = await f.meter.sync();
  const [commit] = acks(f.meter);
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', credits(100, LLM), '0', '0']);
  assert.deepEqual([allowance(s, LLM).remaining, allowance(s, LLM).held, s.exposure], [600, 600, '0']);
  phone.close();
  f.close();
});

test('§12.5: the device\'s view of unit commits: units an unacknowledged commit draws, and its exposure beyond an open hold\'s credits', async () => {
  const f = await assist();
  f.host.offline = true;
  f.clock.advance(400000); // stale: every figure below is the device's own
  // A released local unit hold sets nothing aside any more.
  const gone = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  await f.meter.release(gone.holdId);
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  assert.deepEqual([a.units, a.amount], [3000, '0']);
  await f.meter.commit(a.holdId, { units: 1000 });
  // free = 3000 − 0 − (no uncommitted local unit hold) − min(1000, 3000) = 2000.
  const b = await f.meter.reserve({ operation: OP, unit: TTS, units: 2500 });
  assert.deepEqual([b.units, b.amount], [2000, credits(500)]);
  // Exposure: the commit on a pending hold is credits(u); the pending unit hold b is credits(n).
  assert.equal(f.meter.status().exposure, fmt(M(credits(1000)) + M(credits(2500))));
  f.host.offline = false;
  await f.meter.sync();
  await f.meter.release(b.holdId);
  let s = await f.meter.sync();
  assert.deepEqual([allowance(s).remaining, s.exposure], [2000, '0']);
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status, e.charged]), [
    ...[['reserve', 'applied', null], ['release', 'applied', null]], // gone
    ...[['reserve', 'applied', null], ['commit', 'applied', '0']], // a
    ...[['reserve', 'applied', null], ['release', 'applied', null]], // b
  ]);

  // A hold open on the ledger with credits: its commit's exposure is what lies beyond them.
  const c = await f.meter.reserve({ operation: OP, unit: TTS, units: 2100 });
  assert.deepEqual([c.units, c.amount], [2000, credits(100)]);
  await f.meter.sync();
  assert.equal(f.meter.status().exposure, '0', 'a confirmed unit hold is no exposure');
  f.host.offline = true;
  await f.meter.commit(c.holdId, { units: 2300 });
  s = f.meter.status();
  assert.equal(s.pending, credits(300));
  assert.equal(s.exposure, fmt(M(credits(300)) - M(credits(100))));
  f.host.offline = false;
  s = await f.meter.sync();
  const commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.charged, commit.overdraft, commit.unpaid], [credits(300), '0', '0']);
  assert.deepEqual([allowance(s).remaining, s.balance, s.pending, s.exposure], [0, fmt(M('490') - M(credits(300))), '0', '0']);
  f.close();
});

test('§12.4: commit fewer units than set aside (the rest goes back), then more (the device counts credits pending, the ledger draws free units first)', async () => {
  const f = await assist();
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 120 });
  await f.meter.sync();
  await f.meter.commit(a.holdId, { units: 93 });
  assert.equal(f.meter.status().pending, '0', 'min(93, 120) units drawn, credits(0) pending');
  let s = await f.meter.sync();
  const c = sent(f).at(-1);
  assert.deepEqual([c.type, c.unit, c.amount, c.holdId], ['commit', TTS, '93', a.holdId]);
  let commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', '0', '0', '0']);
  assert.deepEqual([allowance(s).remaining, allowance(s).held, s.balance], [2907, 0, '490']);

  // 250 used on a hold of 100: the device counts min(250, 100) units and credits(150) pending.
  const b = await f.meter.reserve({ operation: OP, unit: TTS, units: 100 });
  await f.meter.sync();
  f.host.offline = true;
  await f.meter.commit(b.holdId, { units: 250 });
  s = f.meter.status();
  assert.equal(s.pending, credits(150));
  assert.equal(s.exposure, credits(150), 'beyond the open hold\'s own credits ("0")');
  // The ledger finds 2,907 free units once the hold is closed: nothing is converted.
  f.host.offline = false;
  s = await f.meter.sync();
  commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.charged, commit.overdraft, commit.unpaid], ['0', '0', '0']);
  assert.deepEqual([allowance(s).remaining, s.balance, s.pending, s.exposure], [2907 - 250, '490', '0', '0']);
  f.close();
});

test('§12.4: more units than the allowance has: credits(u − f) are converted; beyond the credits, overdraft', async () => {
  const f = await assist({ grant: '12', convert: '10' }); // 2 credits and 3,000 characters
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  await f.meter.sync();
  await f.meter.commit(a.holdId, { units: 3300 });
  let s = await f.meter.sync();
  let commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.charged, commit.overdraft, commit.unpaid], [credits(300), '0', '0']);
  assert.deepEqual([allowance(s).remaining, s.balance], [0, fmt(M('2') - M(credits(300)))]);
  // Now 1 credit is left and no units: 600 characters cost 2, so f = 0 units are drawn and
  // credits(600) charged by §6.4: 1 from the balance, 1 overdraft.
  const b = await f.meter.reserve({ operation: OP, unit: TTS, units: 300 });
  assert.equal(b.amount, credits(300));
  await f.meter.sync();
  await f.meter.commit(b.holdId, { units: 600 });
  s = await f.meter.sync();
  commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.charged, commit.overdraft, commit.unpaid], ['1', fmt(M(credits(600)) - M('1')), '0']);
  assert.equal(s.room, f.ledger.view(ACCOUNT, 'laptop').offlineLimit, 'the room the ledger signed (nothing unacknowledged)');
  f.close();
});

test('§12.4: a release of a unit hold gives its credits and units back', async () => {
  const f = await assist();
  const hold = await f.meter.reserve({ operation: OP, unit: TTS, units: 3100 });
  await f.meter.sync();
  assert.deepEqual([ledgerAllowance(f).held, f.ledger.view(ACCOUNT, 'laptop').held], [3000, credits(100)]);
  await f.meter.release(hold.holdId);
  const s = await f.meter.sync();
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'applied'], ['release', 'applied']]);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual([allowance(view).held, allowance(view).remaining, view.held, view.balance], [0, 3000, '0', '490']);
  assert.deepEqual([s.available, s.heldOwn, allowance(s).held], ['490', '0', 0]);
  f.close();
});

test('§12.1, §12.5: two devices share one allowance: units another device set aside are not free here', async () => {
  const f = await assist();
  const phone = await phoneOf(f);
  const big = await f.meter.reserve({ operation: OP, unit: TTS, units: 2500 });
  await f.meter.sync();
  await phone.sync();
  assert.equal(allowance(phone.status()).held, 2500, 'held by every device');
  const p = await phone.reserve({ operation: OP, unit: TTS, units: 600 });
  assert.deepEqual([p.units, p.amount], [500, credits(100)]);
  await phone.sync();
  assert.deepEqual(f.ledger.view(ACCOUNT, 'phone').holds.map((h) => [h.units, h.amount]), [[500, credits(100)]]);
  assert.deepEqual(acks(phone).map((e) => [e.status, e.confirmed]), [['applied', true]]);

  // The laptop's view: remaining − (held − its own listed holds) − its own holds = 0 free.
  const s = await f.meter.sync();
  assert.deepEqual([allowance(s).held, s.heldOther], [3000, credits(100)]);
  const l = await f.meter.reserve({ operation: OP, unit: TTS, units: 10 });
  assert.deepEqual([l.units, l.amount], [0, credits(10)]);
  await f.meter.commit(big.holdId, { units: 2500 });
  await f.meter.sync();
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.id, h.units, h.amount]), [[l.holdId, 0, credits(10)]]);
  assert.equal(ledgerAllowance(f).remaining, 500);
  phone.close();
  f.close();
});

test('§12.5: offline, a unit hold\'s exposure is credits(n); beyond the room it is OFFLINE_LIMIT (stale) or needs confirmation (fresh)', async () => {
  const f = await assist();
  // Fresh: credits(n) above the room (50) needs the ledger's confirmation, even within the free units.
  const fresh = await f.meter.reserve({ operation: OP, unit: TTS, units: 15001 });
  assert.deepEqual([fresh.units, fresh.amount, fresh.needsConfirmation], [3000, credits(12001), true]);
  await f.meter.sync();
  assert.equal(acks(f.meter)[0].confirmed, true);
  await f.meter.release(fresh.holdId);
  await f.meter.sync();
  acks(f.meter);

  f.host.offline = true;
  f.clock.advance(400000); // stale
  assert.equal(f.meter.status().freshness, 'stale');
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  assert.deepEqual([a.units, a.amount, a.needsConfirmation], [3000, '0', false]);
  assert.deepEqual([f.meter.status().exposure, f.meter.status().room], [credits(3000), fmt(M('50') - M(credits(3000)))]);
  // The local hold's units are not free for the next reserve.
  const b = await f.meter.reserve({ operation: OP, unit: TTS, units: 12000 });
  assert.deepEqual([b.units, b.amount, b.needsConfirmation], [0, credits(12000), false]);
  assert.equal(f.meter.status().room, '0');
  assert.equal((await rejection(f.meter.reserve({ operation: OP, unit: TTS, units: 1 }))).code, 'OFFLINE_LIMIT');
  // An unacknowledged commit of the first hold draws min(used, its units) from the device's view.
  await f.meter.commit(a.holdId, { units: 3000 });
  assert.equal(f.meter.status().pending, '0');

  f.host.offline = false;
  const s = await f.meter.sync();
  assert.equal(s.outbox, 0);
  assert.deepEqual(acks(f.meter).map((e) => [e.kind, e.status]), [['reserve', 'applied'], ['reserve', 'applied'], ['commit', 'applied']]);
  const view = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual(view.holds.map((h) => [h.id, h.units, h.amount]), [[b.holdId, 0, credits(12000)]]);
  assert.deepEqual([allowance(view).remaining, view.balance], [0, '490']);
  f.close();
});

test('§12.5: an open unit hold sets its units aside until its expiry; its late commit is charged as §12.4 step 2 says', async () => {
  const f = await assist();
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  await f.meter.sync();
  f.host.offline = true;
  f.clock.advance(600000 - 1);
  const b = await f.meter.reserve({ operation: OP, unit: TTS, units: 10 });
  assert.deepEqual([b.units, b.amount], [0, credits(10)], 'a\'s 3,000 units are still set aside');
  f.clock.advance(1); // a's expiresAt: the ledger lets it go, so does the device's view
  const c = await f.meter.reserve({ operation: OP, unit: TTS, units: 10 });
  assert.deepEqual([c.units, c.amount], [10, '0']);
  assert.equal(f.meter.status().exposure, fmt(M(credits(10)) * 2n));
  await f.meter.commit(a.holdId, { units: 3000 });
  assert.deepEqual([f.meter.status().exposure, f.meter.status().pending], [fmt(M(credits(10)) * 2n + M(credits(3000))), '0']);
  f.host.offline = false;
  const s = await f.meter.sync();
  // The ledger: b and c set aside 10 each (its hold a expired), so 2,980 are free: credits(20) converted.
  const commit = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['applied', credits(20), '0', '0']);
  assert.deepEqual([allowance(s).remaining, allowance(s).held, s.balance], [20, 20, fmt(M('490') - M(credits(20)))]);
  f.close();
});

test('§5.5, §9, §12: unit holds survive a saved state, and a restored copy\'s unit mutations are renumbered with their unit', async () => {
  const f = await assist();
  f.host.offline = true;
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 3100 });
  const saved = f.host.state;
  f.meter.close();
  const host = makeHost(f.ledger, f.clock, { state: saved });
  host.offline = true;
  const m = await openMeter(f.ledger, host);
  assert.equal(m.status().heldOwn, credits(100));
  await m.commit(a.holdId, { units: 3100 });
  assert.deepEqual([m.status().pending, m.status().exposure], [credits(100), credits(3100)]);
  host.offline = false;
  await m.sync();
  assert.deepEqual(acks(m).map((e) => [e.kind, e.status, e.charged]), [['reserve', 'applied', null], ['commit', 'applied', credits(100)]]);
  m.close();

  // The state saved before the reserve, restored: its next unit reserve reuses seq 1.
  const restored = makeHost(f.ledger, f.clock, { state: saved });
  restored.offline = true;
  const copy = await openMeter(f.ledger, restored);
  await copy.release(a.holdId); // the copy does not know a was committed
  const d = await copy.reserve({ operation: OP, unit: TTS, units: 40 });
  restored.offline = false;
  for (let i = 0; i < 3 && copy.status().outbox > 0; i++) await copy.sync().catch(() => {});
  assert.equal(copy.status().outbox, 0);
  const mutations = restored.pushes().flatMap((x) => x.request.mutations);
  const last = mutations.filter((x) => x.holdId === d.holdId).at(-1);
  assert.deepEqual([last.seq, last.unit, last.amount], [4, TTS, '40'], 'renumbered after lastMutationSeq, unit kept');
  // a's commit drew every unit (3,000 and the 100 credits(100) converted), so d's 40 are all shortfall.
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.id, h.units, h.amount]), [[d.holdId, 0, credits(40)]]);
  copy.close();
});

test('§4, §12.5: a copy of the state counts the units another copy\'s holds set aside, not as free', async () => {
  const f = await assist(); // 3,000 characters
  const saved = f.host.state;
  const a = await f.meter.reserve({ operation: OP, unit: TTS, units: 2000 });
  await f.meter.sync();
  assert.deepEqual([a.units, ledgerAllowance(f).held], [2000, 2000]);
  // A second installation of the same saved state (one device id): the snapshot lists a's
  // hold under this device id, and this copy does not know it.
  const host = makeHost(f.ledger, f.clock, { state: saved });
  const copy = await openMeter(f.ledger, host);
  await copy.sync();
  host.offline = true;
  const d = await copy.reserve({ operation: OP, unit: TTS, units: 2000 });
  assert.deepEqual([d.units, d.amount], [1000, credits(1000)], '1,000 free: 3,000 less the other copy\'s 2,000');
  copy.close();
  f.close();
});

test('§6.1, §12.3–12.4: lost answers of unit mutations: resent byte for byte, answered duplicate, drawn once', async () => {
  const f = await assist();
  let drop = 1;
  f.host.pushHook = (text) => {
    if (drop-- > 0) throw new Error('connection reset after the ledger applied the push');
    return text;
  };
  const hold = await f.meter.reserve({ operation: OP, unit: TTS, units: 3100 });
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').lastMutationSeq, 1, 'the ledger applied the lost push');
  assert.equal(f.meter.status().outbox, 1);
  await f.meter.commit(hold.holdId, { units: 3100 });
  await f.meter.sync();
  const [reserve, commit] = acks(f.meter);
  assert.deepEqual([reserve.status, commit.status, commit.charged], ['duplicate', 'applied', credits(100)]);

  // The commit's answer is lost too: the resend is a duplicate with the same amounts, charging nothing.
  const again = await f.meter.reserve({ operation: OP, unit: TTS, units: 50 });
  await f.meter.sync();
  drop = 1;
  await f.meter.commit(again.holdId, { units: 50 });
  await f.meter.sync().catch(() => {});
  const before = f.ledger.view(ACCOUNT, 'laptop');
  const s = await f.meter.sync();
  const dup = acks(f.meter).find((e) => e.kind === 'commit');
  assert.deepEqual([dup.status, dup.charged, dup.overdraft, dup.unpaid], ['duplicate', credits(50), '0', '0']);
  const after = f.ledger.view(ACCOUNT, 'laptop');
  assert.deepEqual([after.balance, allowance(after).remaining], [before.balance, allowance(before).remaining]);
  assert.deepEqual([s.balance, s.outbox], [fmt(M('490') - M(credits(100)) - M(credits(50))), 0]);
  f.close();
});

test('§12.5, §12.7: the client refuses locally (BAD_INPUT, nothing saved) what the ledger would refuse or misread', async () => {
  // An allowance the ledger lists without unitsPerCredit (a ledger before §12): no unit mutation.
  const old = await assist({ allowances: [{ kind: TTS }], convert: null });
  assert.deepEqual(old.meter.status().allowances.map((a) => [a.kind, a.unitsPerCredit]), [[TTS, undefined]]);
  assert.equal((await rejection(old.meter.reserve({ operation: OP, unit: TTS, units: 5 }))).code, 'BAD_INPUT');
  assert.equal(old.meter.status().outbox, 0);
  old.close();

  const f = await assist();
  const bad = [
    ['an unknown unit', { unit: 'pixels', units: 5 }],
    ['a fractional number of units', { unit: TTS, units: 1.5 }],
    ['zero units', { unit: TTS, units: 0 }],
    ['a negative number', { unit: TTS, units: -1 }],
    ['above 10^15 (§12.3: an amount is money)', { unit: TTS, units: 1e15 + 1 }],
    ['above 2^53 − 1', { unit: TTS, units: 2 ** 53 }],
  ];
  for (const [name, args] of bad) {
    assert.equal((await rejection(f.meter.reserve({ operation: OP, ...args }))).code, 'BAD_INPUT', name);
  }
  const unitHold = await f.meter.reserve({ operation: OP, unit: TTS, units: 5 });
  const creditHold = await f.meter.reserve({ operation: OP, amount: '1' });
  await f.meter.sync();
  const outbox = f.meter.status().outbox;
  const wrong = [
    ['credits on a unit hold', unitHold.holdId, { credits: '1' }],
    ['units on a credit hold', creditHold.holdId, { units: 1 }],
    ['fractional units', unitHold.holdId, { units: 0.5 }],
    ['units above 10^15', unitHold.holdId, { units: 1e15 + 1 }],
  ];
  for (const [name, id, args] of wrong) {
    assert.equal((await rejection(f.meter.commit(id, args))).code, 'BAD_INPUT', name);
  }
  assert.equal(f.meter.status().outbox, outbox, 'nothing saved');
  f.close();
});

test('§12.3, §12.5: a decision on the TTS allowance (meter.decide) reserves in units: the allowance first, credits(shortfall) for the rest', async () => {
  const f = await assist();
  const d = f.meter.decide({ estimate: f.meter.estimate({ operation: OP, characters: 3100 }) });
  assert.deepEqual([d.funding, d.unit, d.units, d.reserve], ['credits', TTS, 3100, credits(100)]);
  const hold = await f.meter.reserve(d);
  assert.deepEqual([hold.unit, hold.units, hold.amount], [TTS, 3000, credits(100)]);
  await f.meter.sync();
  const [m] = sent(f);
  assert.deepEqual([m.type, m.unit, m.amount], ['reserve', TTS, '3100']);
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.units, h.amount]), [[3000, credits(100)]]);
  f.close();
});

test('§12.8: the worked example, step by step, through the client', async () => {
  const f = await assist(); // 500 credits, 10 converted into 3,000 characters: 490 left
  assert.equal(f.meter.status().balance, '490');
  // 1. Reserve 120 characters: reserved 120, credits "0".
  const one = await f.meter.reserve({ operation: OP, unit: TTS, units: 120 });
  assert.deepEqual([one.units, one.amount], [120, '0']);
  let s = await f.meter.sync();
  assert.deepEqual([allowance(s).remaining, allowance(s).held], [3000, 120]);
  const [h1] = f.ledger.view(ACCOUNT, 'laptop').holds;
  assert.deepEqual([h1.amount, h1.unit, h1.units], ['0', TTS, 120]);
  // 2. Commit 93: the hold closes, 93 drawn; allowance 2,907, balance 490.
  await f.meter.commit(one.holdId, { units: 93 });
  s = await f.meter.sync();
  assert.deepEqual([allowance(s).remaining, allowance(s).held, s.balance], [2907, 0, '490']);
  // 3. Reserve 3,000: reserved 2,907, credits(93) = "0.31" held.
  const three = await f.meter.reserve({ operation: OP, unit: TTS, units: 3000 });
  assert.deepEqual([three.units, three.amount], [2907, '0.31']);
  s = await f.meter.sync();
  assert.deepEqual([allowance(s).held, f.ledger.view(ACCOUNT, 'laptop').held], [2907, '0.31']);
  // 4. Commit 3,000: 0.31 converted (93 units), 3,000 drawn; charged "0.31"; allowance 0, balance 489.69.
  acks(f.meter);
  let lost = true;
  f.host.pushHook = (text) => {
    if (lost) throw new Error('the answer is lost');
    return text;
  };
  await f.meter.commit(three.holdId, { units: 3000 });
  await f.meter.sync().catch(() => {});
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').balance, '489.69');
  lost = false;
  s = await f.meter.sync();
  const [commit] = acks(f.meter);
  // The same push again is answered duplicate with the same amounts and charges nothing.
  assert.deepEqual([commit.status, commit.charged, commit.overdraft, commit.unpaid], ['duplicate', '0.31', '0', '0']);
  assert.deepEqual([allowance(s).remaining, allowance(s).held, s.balance, s.available], [0, 0, '489.69', '489.69']);
  f.close();
});

// §12.5 ("the device's view is never more generous than the ledger's"): once the ledger
// confirms a unit hold, the snapshot's hold (`holds[].units`, `holds[].amount`) is what
// counts, not the device's guess. Here the ledger set aside MORE units than the device
// (another device released some meanwhile): no unit is free on the ledger afterwards, so
// the next reserve is decided all in credits.
test('§12.5: after the ledger confirmed a hold with more units than the local view, the device is not more generous than the ledger', async () => {
  const f = await setup({
    grant: '500',
    account: { allowances: [{ kind: TTS, unitsPerCredit: '300', onShortfall: 'convert' }], creditStep: '0.001' },
    prepare: (ledger) => ledger.convert(ACCOUNT, TTS, '10'), // 3,000 characters
  });
  const phone = await openMeter(f.ledger, makeHost(f.ledger, f.clock), { deviceId: 'phone' });
  await phone.sync();
  const p = await phone.reserve({ operation: 'tts', unit: TTS, units: 2000 });
  await phone.sync();
  await f.meter.sync(); // the laptop sees 2,000 of 3,000 held
  await phone.release(p.holdId);
  await phone.sync(); // the phone gives them back; the laptop does not know yet

  f.host.offline = true;
  const a = await f.meter.reserve({ operation: 'tts', unit: TTS, units: 3000 });
  assert.deepEqual([a.units, a.amount], [1000, credits(2000)], 'the device\'s own (cautious) view');
  f.host.offline = false;
  await f.meter.sync();
  // The ledger found all 3,000 free: the hold sets aside 3,000 units and "0" credits.
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.id, h.units, h.amount]), [[a.holdId, 3000, '0']]);

  // No unit is free on the ledger now. The device must not decide otherwise.
  f.host.offline = true;
  const b = await f.meter.reserve({ operation: 'tts', unit: TTS, units: 10 });
  assert.deepEqual([b.units, b.amount], [0, credits(10)], 'a confirmed hold counts the ledger\'s 3,000 units, not the device\'s 1,000');
  phone.close();
  f.close();
});

// The other way round: the ledger confirms the hold with FEWER units (another device took
// them) and credits for the shortfall; the device counts those credits (`available` is
// 490 − credits(2500), the ledger's spendable), not its own "0".
test('§4, §12.5: a confirmed unit hold holding credits on the ledger lowers available by them', async () => {
  const f = await setup({
    grant: '500',
    account: { allowances: [{ kind: TTS, unitsPerCredit: '300', onShortfall: 'convert' }], creditStep: '0.001' },
    prepare: (ledger) => ledger.convert(ACCOUNT, TTS, '10'),
  });
  const phone = await openMeter(f.ledger, makeHost(f.ledger, f.clock), { deviceId: 'phone' });
  await phone.sync();
  await phone.reserve({ operation: 'tts', unit: TTS, units: 2500 });
  await phone.sync();
  const a = await f.meter.reserve({ operation: 'tts', unit: TTS, units: 3000 }); // its snapshot still says 3,000 free
  assert.deepEqual([a.units, a.amount], [3000, '0']);
  await f.meter.sync();
  assert.deepEqual(f.ledger.view(ACCOUNT, 'laptop').holds.map((h) => [h.units, h.amount]), [[500, credits(2500)]]);
  const s = f.meter.status();
  assert.equal(s.available, fmt(M('490') - M(credits(2500))), 'the ledger holds credits(2500) for this hold; the device counts them');
  phone.close();
  f.close();
});
