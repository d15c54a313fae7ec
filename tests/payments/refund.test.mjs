// Refunds through POST /v1/admin/refund under the account's policy: True Recall refunds
// the unused part of a purchase within its window (computed by the ledger model: price ×
// remaining ÷ purchased, rounded down to the cent), voids the purchase's remaining
// credits, and sends exactly one Stripe refund per request id; outside the window, and
// always under AssistLore, it is refused with NOT_REFUNDABLE and Stripe hears nothing.
// A refund made in Stripe's dashboard (charge.refunded) voids the remaining credits the
// same way; one of a session the ledger refused for its price is acknowledged and changes
// nothing. SQLite and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_TOKEN, STRIPE_KEY, backends, chargeRefunded, deviceToken, sessionCompleted, sign, sleep, startLedger, stripeStandIn, workDir,
} from './support.mjs';

/** True Recall's terms with a refund window of `windowMs` (to see a window close without waiting 14 days). */
function trueRecallWithWindow(windowMs) {
  return {
    name: 'trueRecall',
    ownKeyAllowed: true,
    refunds: { windowMs },
    packages: [{ id: 'starter', name: 'Starter', credits: '500', bonus: '0', priceUsd: '2.5' }],
    lowBalance: [{ kind: 'percentOfLastTopUp', percent: '10' }],
    creditStep: '0.001',
    holdTtlMs: 600000,
  };
}

let n = 0;
async function buy(ledger, account, packageId, amount) {
  const id = ++n;
  const payload = sessionCompleted(`evt_refund_${id}`, {
    sessionId: `cs_refund_${id}`, account, packageId, paymentIntent: `pi_refund_${id}`, amount,
  });
  const r = await ledger.webhook(payload, sign(payload));
  assert.equal(r.json.result, 'granted');
  return { purchaseId: `cs_refund_${id}`, paymentIntent: `pi_refund_${id}` };
}

for (const backend of backends()) {
  test(`${backend.name}: refunds under the account's policy, once per request id`, async (t) => {
    const stand = await stripeStandIn();
    const dir = workDir(`refund-${backend.name}`);
    const ledger = await startLedger({ dir, database: backend.database(dir), stripeBase: stand.url });
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
    });
    const refund = (body) => ledger.post('/v1/admin/refund', body, ADMIN_TOKEN);
    for (const a of ['used', 'unused', 'dashboard']) await ledger.admin({ op: 'createAccount', accountId: a, policy: 'trueRecall' });
    await ledger.admin({ op: 'createAccount', accountId: 'short', policy: trueRecallWithWindow(1500) });
    await ledger.admin({ op: 'createAccount', accountId: 'lore', policy: 'assistLore' });

    await t.test('inside 14 days after partial use: the unused part, once, and Stripe gets exactly that refund', async () => {
      const p = await buy(ledger, 'used', 'starter', 250); // 500 credits for $2.50
      await ledger.spend('used', 100);
      const r = await refund({ accountId: 'used', purchaseId: p.purchaseId, requestId: 'rq-used' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.ok, true);
      assert.equal(r.json.result.remaining, '400');
      assert.equal(r.json.result.consumed, '100');
      assert.equal(r.json.result.refundUsd, '2', '$2.50 × 400 / 500');
      assert.match(r.json.result.stripeRefundId, /^re_/);
      assert.equal(await ledger.balance('used'), '0', 'the purchase\'s remaining credits are voided');
      assert.deepEqual(stand.refunds().map((c) => [c.form.payment_intent, c.form.amount, c.key, c.auth]), [
        [p.paymentIntent, '200', 'credit-meter-refund-rq-used', `Bearer ${STRIPE_KEY}`],
      ]);

      const again = await refund({ accountId: 'used', purchaseId: p.purchaseId, requestId: 'rq-used' });
      assert.deepEqual(again.json, r.json, 'the same request id answers the same');
      assert.equal(stand.refunds().length, 1, 'and sends nothing more to Stripe');
      const other = await refund({ accountId: 'used', purchaseId: p.purchaseId, requestId: 'rq-used-2' });
      assert.equal(other.json.error.code, 'NOT_REFUNDABLE', 'a second refund of the same purchase is refused');
      assert.match(other.json.error.message, /already refunded/);
      assert.equal(stand.refunds().length, 1);
    });

    await t.test('inside 14 days, unused: the whole price', async () => {
      const p = await buy(ledger, 'unused', 'pro', 1000);
      const r = await refund({ accountId: 'unused', purchaseId: p.purchaseId, requestId: 'rq-unused' });
      assert.equal(r.json.result.refundUsd, '10');
      assert.equal(r.json.result.remaining, '3000', 'bonus included');
      assert.equal(await ledger.balance('unused'), '0');
      assert.deepEqual(stand.refunds().slice(1).map((c) => [c.form.payment_intent, c.form.amount]), [[p.paymentIntent, '1000']]);
    });

    await t.test('outside the window: NOT_REFUNDABLE, the credits stay, Stripe hears nothing', async () => {
      const p = await buy(ledger, 'short', 'starter', 250);
      await sleep(1700); // the window (1.5 s under this policy; 14 days under True Recall's) has closed
      const r = await refund({ accountId: 'short', purchaseId: p.purchaseId, requestId: 'rq-late' });
      assert.equal(r.json.ok, false);
      assert.equal(r.json.error.code, 'NOT_REFUNDABLE');
      assert.match(r.json.error.message, /window/);
      assert.equal(await ledger.balance('short'), '500');
      assert.equal(stand.refunds().length, 2);
      // A dispute opened in Stripe now: recorded; the ledger's rule keeps the credits (logged for the operator).
      const dispute = JSON.stringify({ id: 'evt_dispute_late', object: 'event', type: 'charge.dispute.created',
        data: { object: { id: 'dp_1', object: 'dispute', payment_intent: p.paymentIntent, amount: 250, reason: 'fraudulent' } } });
      assert.match((await ledger.webhook(dispute, sign(dispute))).json.result, /^kept/);
      assert.equal((await ledger.webhook(dispute, sign(dispute))).json.result, 'duplicate');
      assert.equal(await ledger.balance('short'), '500');
    });

    await t.test('AssistLore: refused with the policy\'s code', async () => {
      await ledger.admin({ op: 'signup', accountId: 'lore' });
      const before = await ledger.balance('lore');
      const r = await refund({ accountId: 'lore', purchaseId: 'signup', requestId: 'rq-lore' });
      assert.equal(r.json.error.code, 'NOT_REFUNDABLE');
      assert.match(r.json.error.message, /cannot be refunded under this policy/);
      assert.equal(await ledger.balance('lore'), before);
      assert.equal(stand.refunds().length, 2);
    });

    await t.test('Stripe down: the credits are voided and the request recorded; the same request completes it', async () => {
      await ledger.admin({ op: 'createAccount', accountId: 'outage', policy: 'trueRecall' });
      const p = await buy(ledger, 'outage', 'starter', 250);
      stand.failRefunds = true;
      const failed = await refund({ accountId: 'outage', purchaseId: p.purchaseId, requestId: 'rq-outage' });
      assert.equal(failed.status, 502);
      assert.equal(failed.json.error.code, 'PAYMENT_PROVIDER_FAILED');
      assert.equal(await ledger.balance('outage'), '0');
      stand.failRefunds = false;
      const done = await refund({ accountId: 'outage', purchaseId: p.purchaseId, requestId: 'rq-outage' });
      assert.equal(done.status, 200);
      assert.equal(done.json.result.refundUsd, '2.5');
      assert.match(done.json.result.stripeRefundId, /^re_/);
      const calls = stand.refunds().filter((c) => c.form.payment_intent === p.paymentIntent);
      assert.deepEqual(calls.map((c) => [c.form.amount, c.key]), [['250', 'credit-meter-refund-rq-outage'], ['250', 'credit-meter-refund-rq-outage']],
        'the retry carries the same idempotency key, so Stripe refunds once');
      await refund({ accountId: 'outage', purchaseId: p.purchaseId, requestId: 'rq-outage' });
      assert.equal(stand.refunds().filter((c) => c.form.payment_intent === p.paymentIntent).length, 2, 'nothing more once Stripe took it');
    });

    await t.test('only the admin token refunds', async () => {
      const r = await ledger.post('/v1/admin/refund', { accountId: 'used', purchaseId: 'x', requestId: 'y' }, deviceToken('used'));
      assert.equal(r.status, 403);
    });

    await t.test('a refund made in Stripe (charge.refunded) voids the remaining credits once', async () => {
      const p = await buy(ledger, 'dashboard', 'starter', 250);
      await ledger.spend('dashboard', 50);
      for (const id of ['evt_dash_1', 'evt_dash_1', 'evt_dash_2']) {
        const payload = chargeRefunded(id, { paymentIntent: p.paymentIntent, amount: 250 });
        const r = await ledger.webhook(payload, sign(payload));
        assert.equal(r.status, 200);
      }
      assert.equal(await ledger.balance('dashboard'), '0');
      assert.equal(stand.refunds().length, 4, 'the ledger does not refund again what Stripe refunded');
    });

    await t.test('a partial refund made in Stripe voids nothing (the operator decides); the rest refunded voids the remaining credits', async () => {
      await ledger.admin({ op: 'createAccount', accountId: 'partial', policy: 'trueRecall' });
      const p = await buy(ledger, 'partial', 'starter', 250);
      const part = chargeRefunded('evt_part_1', { paymentIntent: p.paymentIntent, amount: 250, refunded: 25 });
      const r = await ledger.webhook(part, sign(part));
      assert.deepEqual([r.status, r.json.result], [200, 'ignored: a partial refund voids nothing (logged for the operator)']);
      assert.equal(await ledger.balance('partial'), '500', 'a $0.25 refund of $2.50 does not void 500 credits');
      const rest = chargeRefunded('evt_part_2', { paymentIntent: p.paymentIntent, amount: 250, refunded: 250 });
      assert.equal((await ledger.webhook(rest, sign(rest))).json.result, 'voided');
      assert.equal(await ledger.balance('partial'), '0');
    });

    await t.test('a refund that comes before its purchase is granted is sent again until it can void it (500), not lost', async () => {
      const intent = 'pi_early_refund';
      const refund = chargeRefunded('evt_early_refund', { paymentIntent: intent, amount: 250, metadata: { accountId: 'late', packageId: 'starter' } });
      const early = await ledger.webhook(refund, sign(refund));
      assert.equal(early.status, 500, JSON.stringify(early.json));
      // A charge of another product (no metadata of this ledger's checkout): ignored.
      const other = chargeRefunded('evt_other_refund', { paymentIntent: 'pi_other_product', amount: 999 });
      assert.equal((await ledger.webhook(other, sign(other))).json.result, 'ignored: not a purchase paid here');
      // The session's retry grants once the account exists; the refund's retry voids it.
      await ledger.admin({ op: 'createAccount', accountId: 'late', policy: 'trueRecall' });
      const paid = sessionCompleted('evt_late_paid', { sessionId: 'cs_late', account: 'late', packageId: 'starter', paymentIntent: intent, amount: 250 });
      assert.equal((await ledger.webhook(paid, sign(paid))).json.result, 'granted');
      const again = await ledger.webhook(refund, sign(refund));
      assert.deepEqual([again.status, again.json.result], [200, 'voided']);
      assert.equal(await ledger.balance('late'), '0', 'a refunded payment keeps no credits');
    });

    await t.test('a refund or dispute of a session refused for its price is acknowledged (never granted, so nothing to wait for) and changes nothing', async () => {
      await ledger.admin({ op: 'createAccount', accountId: 'wrongly', policy: 'trueRecall' });
      const [before, stripeRefunds] = [await ledger.balance('wrongly'), stand.refunds().length];
      const metadata = { accountId: 'wrongly', packageId: 'starter' };
      // Paid a cent for Starter ($2.50): refused; a redelivery finds it refused.
      const cent = sessionCompleted('evt_cent_paid', { sessionId: 'cs_cent', account: 'wrongly', packageId: 'starter', paymentIntent: 'pi_cent', amount: 1, priceCents: 250 });
      const first = await ledger.webhook(cent, sign(cent));
      assert.deepEqual([first.status, first.json.result], [200, 'ignored: paid another amount than its package\'s price'], JSON.stringify(first.json));
      const again = await ledger.webhook(cent, sign(cent));
      assert.deepEqual([again.status, again.json.result], [200, 'ignored: this session was refused before'], JSON.stringify(again.json));
      // Paid in yen: refused.
      const yen = sessionCompleted('evt_yen_paid', { sessionId: 'cs_yen', account: 'wrongly', packageId: 'starter', paymentIntent: 'pi_yen', amount: 250, currency: 'jpy' });
      assert.equal((await ledger.webhook(yen, sign(yen))).json.result, 'ignored: not paid in USD, the currency of its price');
      assert.equal(await ledger.balance('wrongly'), before, 'no credits');
      // The operator refunds the cent in Stripe (its charge carries the checkout's
      // metadata, which alone made this a 500 before); the buyer disputes the yen.
      const refunded = chargeRefunded('evt_cent_refund', { paymentIntent: 'pi_cent', amount: 1, metadata });
      const disputed = JSON.stringify({ id: 'evt_yen_dispute', object: 'event', type: 'charge.dispute.created',
        data: { object: { id: 'dp_yen', object: 'dispute', payment_intent: 'pi_yen', amount: 250, reason: 'fraudulent' } } });
      for (const e of [refunded, refunded, disputed]) {
        const r = await ledger.webhook(e, sign(e));
        assert.deepEqual([r.status, r.json.result], [200, 'ignored: the session this charge paid was refused, nothing was granted'], JSON.stringify(r.json));
      }
      assert.equal(await ledger.balance('wrongly'), before, 'nothing voided, nothing granted');
      assert.equal(stand.refunds().length, stripeRefunds, 'Stripe hears nothing');
      assert.match(ledger.stderr(), /refused session/);
    });

    await t.test('a refusal stands: a later delivery of a refused session that passes the check is not granted, so the refund acknowledged for it stays true', async () => {
      // A legacy session's check reads the package's price now, which can change between
      // deliveries (a dashboard "Resend"): the refund answered "nothing was granted" must not
      // be followed by a grant.
      await ledger.admin({ op: 'createAccount', accountId: 'after', policy: 'trueRecall' });
      const e = { sessionId: 'cs_after', account: 'after', packageId: 'starter', paymentIntent: 'pi_after', priceCents: 250 };
      const refused = sessionCompleted('evt_after_refused', { ...e, amount: 1 });
      assert.equal((await ledger.webhook(refused, sign(refused))).json.result, 'ignored: paid another amount than its package\'s price');
      const refund = chargeRefunded('evt_after_refund', { paymentIntent: 'pi_after', amount: 1, metadata: { accountId: 'after', packageId: 'starter' } });
      assert.equal((await ledger.webhook(refund, sign(refund))).json.result, 'ignored: the session this charge paid was refused, nothing was granted');
      const paid = sessionCompleted('evt_after_paid', { ...e, amount: 250 });
      const w = await ledger.webhook(paid, sign(paid));
      assert.deepEqual([w.status, w.json.result], [200, 'ignored: this session was refused before'], JSON.stringify(w.json));
      assert.equal(await ledger.balance('after'), '0', 'not granted after its refund was acknowledged');
      assert.match(ledger.stderr(), /refused before was delivered again/);
    });
  });
}
