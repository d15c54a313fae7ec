// Plans as Stripe subscriptions (AssistLore): checkout in subscription mode, and the
// signed webhook events of subscribing, renewing, upgrading mid-cycle, downgrading and
// cancelling — in the order Stripe sends them and out of order. Credits are granted only
// by a paid invoice, once per invoice, as the ledger's plan rules say: the plan's credits
// for the paid cycle, expiring at its end; within one cycle a plan change grants only what
// the new plan has beyond the credits already granted in it (an upgrade the difference, a
// downgrade nothing until the next cycle: README, plan rule), and an upgrade carries the
// old plan's remaining credits forward. An account on a paid plan that subscribed before
// the ledger recorded subscriptions has its live subscription looked up at Stripe before a
// plan checkout. SQLite and PostgreSQL.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { backends, deviceToken, sign, sleep, startLedger, stripeStandIn, workDir } from './support.mjs';

const PLAN_PRICES = ['--stripe-plan-price', 'starter=price_starter', '--stripe-plan-price', 'pro=price_pro'];

/** An `invoice.paid` event for subscription `sub` of `account` with these lines ([price, amount, start s, end s]). */
function invoicePaid(eventId, { invoiceId, sub, account, lines }) {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    type: 'invoice.paid',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: invoiceId,
        object: 'invoice',
        status: 'paid',
        subscription: sub,
        subscription_details: { metadata: { accountId: account, planId: 'ignored: the paid line names the plan' } },
        lines: {
          object: 'list',
          data: lines.map(([price, amount, start, end], i) => ({
            id: `il_${invoiceId}_${i}`, object: 'line_item', amount, price: { id: price, object: 'price' }, period: { start, end },
          })),
        },
      },
    },
  });
}

function subscriptionEvent(eventId, type, { sub, account, status, price }) {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: sub, object: 'subscription', status, metadata: { accountId: account }, items: { data: [{ price: { id: price } }] } } },
  });
}

for (const backend of backends()) {
  test(`${backend.name}: subscriptions grant exactly what was paid for, once per invoice`, async (t) => {
    const stand = await stripeStandIn();
    const dir = workDir(`subscription-${backend.name}`);
    const ledger = await startLedger({ dir, database: backend.database(dir), stripeBase: stand.url, extra: PLAN_PRICES });
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
    });
    const A = 'subscriber';
    await ledger.admin({ op: 'createAccount', accountId: A, policy: 'assistLore' });
    const deliver = async (payload) => (await ledger.webhook(payload, sign(payload))).json.result;
    const state = async () => {
      const res = await fetch(`${ledger.base}/v1/state?account=${A}`, { headers: { authorization: `Bearer ${deviceToken(A)}` } });
      const s = await res.json();
      return { plan: s.plan, balance: s.balance };
    };
    const now = () => Math.floor(Date.now() / 1000);
    const s0 = now() - 1;
    const e0 = s0 + 6; // a short first cycle, so its end passes during the test

    await t.test('checkout in subscription mode for the plan\'s price', async () => {
      const r = await ledger.post('/v1/checkout', { planId: 'starter' }, deviceToken(A));
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const [call] = stand.sessions();
      assert.equal(call.form.mode, 'subscription');
      assert.equal(call.form['line_items[0][price]'], 'price_starter');
      assert.equal(call.form.client_reference_id, A);
      assert.equal(call.form['subscription_data[metadata][accountId]'], A);
      assert.equal(call.form['subscription_data[metadata][planId]'], 'starter');
      assert.equal((await ledger.post('/v1/checkout', { planId: 'enterprise' }, deviceToken(A))).json.error.code, 'NOT_FOUND');
      assert.deepEqual(await state(), { plan: 'free', balance: '0' }, 'a checkout alone grants nothing');
    });

    const first = invoicePaid('evt_inv_1', { invoiceId: 'in_1', sub: 'sub_1', account: A, lines: [['price_starter', 1900, s0, e0]] });
    await t.test('subscribe: the paid invoice (before the session event, as Stripe may send it) starts the cycle once', async () => {
      assert.equal(await deliver(first), 'granted');
      assert.deepEqual(await state(), { plan: 'starter', balance: '2000' });
      const completed = JSON.stringify({ id: 'evt_cs_sub', object: 'event', type: 'checkout.session.completed', data: { object: {
        id: 'cs_sub_1', object: 'checkout.session', mode: 'subscription', payment_status: 'paid', client_reference_id: A, subscription: 'sub_1',
        metadata: { accountId: A, planId: 'starter' } } } });
      assert.match(await deliver(completed), /^ignored/);
      const again = await Promise.all(Array.from({ length: 5 }, () => deliver(first)));
      assert.deepEqual(again, ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
      assert.deepEqual(await state(), { plan: 'starter', balance: '2000' });
    });

    await t.test('upgrade mid-cycle: nothing until its invoice is paid, then Pro\'s difference and the carried Starter credits', async () => {
      const updated = subscriptionEvent('evt_upd_1', 'customer.subscription.updated', { sub: 'sub_1', account: A, status: 'active', price: 'price_pro' });
      assert.match(await deliver(updated), /^ignored/);
      assert.deepEqual(await state(), { plan: 'starter', balance: '2000' }, 'an unpaid plan change adds nothing');
      const t1 = now();
      const upgrade = invoicePaid('evt_inv_2', { invoiceId: 'in_2', sub: 'sub_1', account: A, lines: [['price_starter', -1000, t1, e0], ['price_pro', 4000, t1, e0]] });
      // Three deliveries at once: one grants; the others find the plan changed and the
      // cycle running (answered as a duplicate or a refused cycle), and grant nothing.
      const replies = await Promise.all([deliver(upgrade), deliver(upgrade), deliver(upgrade)]);
      assert.equal(replies.filter((r) => r === 'granted').length, 1, JSON.stringify(replies));
      assert.ok(replies.every((r) => r === 'granted' || r === 'duplicate' || r.startsWith('ignored')), JSON.stringify(replies));
      assert.deepEqual(await state(), { plan: 'pro', balance: '10000' }, '8,000 (Pro\'s 10,000 less the 2,000 granted in this cycle) + 2,000 carried forward');
    });

    await t.test('renewal: the next paid cycle; the last cycle\'s credits expired at its end', async () => {
      while (now() <= e0) await sleep(100);
      const renewal = invoicePaid('evt_inv_3', { invoiceId: 'in_3', sub: 'sub_1', account: A, lines: [['price_pro', 9900, e0, e0 + 30 * 86400]] });
      assert.equal(await deliver(renewal), 'granted');
      assert.equal(await deliver(renewal), 'duplicate');
      assert.deepEqual(await state(), { plan: 'pro', balance: '10000' });
      // A late redelivery of the first cycle's invoice under a new event id: its cycle is over.
      const late = invoicePaid('evt_inv_1_late', { invoiceId: 'in_1', sub: 'sub_1', account: A, lines: [['price_starter', 1900, s0, e0]] });
      assert.match(await deliver(late), /^ignored/);
      assert.deepEqual(await state(), { plan: 'pro', balance: '10000' });
    });

    await t.test('downgrade mid-cycle: the plan changes, nothing is granted until the next cycle; Pro\'s credits keep their expiry', async () => {
      const t2 = now();
      const down = invoicePaid('evt_inv_4', { invoiceId: 'in_4', sub: 'sub_1', account: A, lines: [['price_pro', -5000, t2, e0 + 30 * 86400], ['price_starter', 1000, t2, e0 + 30 * 86400]] });
      assert.equal(await deliver(down), 'granted');
      assert.deepEqual(await state(), { plan: 'starter', balance: '10000' });
    });

    await t.test('a plan checkout of an account that pays for a plan changes that subscription, never makes a second one', async () => {
      const sessions = stand.sessions().length;
      // An upgrade: a new cycle now, paid in full (no proration: a prorated difference
      // would buy a whole cycle's credits for part of its price), applied once paid.
      const r = await ledger.post('/v1/checkout', { planId: 'pro' }, deviceToken(A));
      assert.deepEqual([r.status, r.json.result], [200, { subscriptionId: 'sub_1', changed: true, takesEffect: 'now' }], JSON.stringify(r.json));
      assert.equal(stand.sessions().length, sessions, 'no Checkout Session: no second subscription');
      assert.deepEqual(stand.searches(), [], 'no search at Stripe: neither the free plan nor a recorded subscription needs one');
      const [up] = stand.subscriptionChanges();
      assert.equal(up.path, '/v1/subscriptions/sub_1', 'the subscription whose invoice set the plan');
      assert.equal(up.form['items[0][id]'], 'si_sub_1');
      assert.equal(up.form['items[0][price]'], 'price_pro');
      assert.equal(up.form.proration_behavior, 'none');
      assert.equal(up.form.billing_cycle_anchor, 'now');
      assert.equal(up.form.payment_behavior, 'pending_if_incomplete');
      assert.deepEqual(await state(), { plan: 'starter', balance: '10000' }, 'nothing changes until the change\'s invoice is paid');
      // A downgrade (or the plan already paid for): the price from the next renewal, no
      // credit back for credits already granted.
      const down = await ledger.post('/v1/checkout', { planId: 'starter' }, deviceToken(A));
      assert.deepEqual([down.status, down.json.result?.takesEffect], [200, 'renewal'], JSON.stringify(down.json));
      const [, renewal] = stand.subscriptionChanges();
      assert.equal(renewal.form.proration_behavior, 'none');
      assert.equal(renewal.form.billing_cycle_anchor, undefined, 'the cycle is not restarted');
      assert.equal(renewal.form['metadata[planId]'], 'starter');
    });

    await t.test('the end of a subscription for another plan than the current one leaves the plan as it is', async () => {
      // An older Pro subscription of the account (say, bought before this one) is cancelled:
      // the account is on Starter, paid by sub_1, and stays there.
      const other = subscriptionEvent('evt_del_other', 'customer.subscription.deleted', { sub: 'sub_old_pro', account: A, status: 'canceled', price: 'price_pro' });
      assert.equal(await deliver(other), 'ended; the account is on another plan, which stays');
      assert.deepEqual(await state(), { plan: 'starter', balance: '10000' });
    });

    await t.test('cancel: back to the free plan; a later invoice of the ended subscription grants nothing', async () => {
      const deleted = subscriptionEvent('evt_del_1', 'customer.subscription.deleted', { sub: 'sub_1', account: A, status: 'canceled', price: 'price_starter' });
      assert.equal(await deliver(deleted), 'ended');
      assert.equal(await deliver(deleted), 'duplicate');
      assert.deepEqual(await state(), { plan: 'free', balance: '10000' }, 'paid credits stay until their cycle ends');
      const t3 = now();
      const afterEnd = invoicePaid('evt_inv_5', { invoiceId: 'in_5', sub: 'sub_1', account: A, lines: [['price_starter', 1900, t3 - 1, t3 + 30 * 86400]] });
      assert.match(await deliver(afterEnd), /ended/);
      assert.deepEqual(await state(), { plan: 'free', balance: '10000' });
    });

    await t.test('a new subscription, then an upgrade billed in full: each paid period opens a cycle with its plan\'s full credits', async () => {
      // The cancelled subscription's cycle still runs (its credits keep their expiry), but
      // the new subscription's first invoice paid Starter in full for a new period: its
      // 2,000 credits are granted, not "the difference to the 10,000 of this cycle".
      const t4 = now();
      const resubscribe = invoicePaid('evt_inv_6', { invoiceId: 'in_6', sub: 'sub_2', account: A, lines: [['price_starter', 1900, t4, t4 + 30 * 86400]] });
      assert.equal(await deliver(resubscribe), 'granted');
      assert.equal(await deliver(resubscribe), 'duplicate');
      assert.deepEqual(await state(), { plan: 'starter', balance: '12000' });
      // The upgrade this ledger makes (billing_cycle_anchor: now, no proration): one full
      // Pro period, 10,000 credits; AssistLore carries the unexpired plan credits forward.
      const t5 = now() + 1;
      const upgrade = invoicePaid('evt_inv_7', { invoiceId: 'in_7', sub: 'sub_2', account: A, lines: [['price_pro', 9900, t5 - 1, t5 + 30 * 86400]] });
      assert.equal(await deliver(upgrade), 'granted');
      assert.deepEqual(await state(), { plan: 'pro', balance: '22000' });
    });
  });
}

/** A subscription object as Stripe's search returns it. */
function stripeSubscription(id, account, status, price) {
  return { id, object: 'subscription', status, metadata: { accountId: account, planId: 'ignored' }, items: { object: 'list', data: [{ id: `si_${id}`, price: { id: price, object: 'price' } }] } };
}

/** A subscription of another product of the vendor's Stripe account for the same user:
 *  `metadata.accountId` only (no `planId`, which this ledger's checkout writes), a price no
 *  plan has. */
function foreignSubscription(id, account) {
  return { id, object: 'subscription', status: 'active', metadata: { accountId: account }, items: { object: 'list', data: [{ id: `si_${id}`, price: { id: 'price_newsletter', object: 'price' } }] } };
}

/** The search query the ledger sends for `account` (a quote escaped as `\'`). */
const searchFor = (account) => `metadata['accountId']:'${account.replaceAll("'", "\\'")}' AND -status:'canceled' AND -status:'incomplete_expired'`;

for (const backend of backends()) {
  test(`${backend.name}: a plan checkout finds at Stripe the subscription of an account that subscribed before the ledger recorded them`, async (t) => {
    const stand = await stripeStandIn();
    const dir = workDir(`subscription-search-${backend.name}`);
    const ledger = await startLedger({ dir, database: backend.database(dir), stripeBase: stand.url, extra: PLAN_PRICES });
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
    });
    /** An AssistLore account; on `plan` as an account that paid for it before the ledger recorded subscriptions: no record. */
    const account = async (id, plan) => {
      await ledger.admin({ op: 'createAccount', accountId: id, policy: 'assistLore' });
      if (plan) await ledger.admin({ op: 'changePlan', accountId: id, planId: plan, startsAt: Date.now(), endsAt: Date.now() + 30 * 86_400_000 });
    };
    const checkout = (id, planId) => ledger.post('/v1/checkout', { planId }, deviceToken(id));
    /** What a step sent to the stand-in: Checkout Sessions, subscription changes, searches. */
    const counts = () => [stand.sessions().length, stand.subscriptionChanges().length, stand.searches().length];

    await t.test('on the initial plan: no search, a Checkout Session as before', async () => {
      await account('legacy-free');
      const r = await checkout('legacy-free', 'pro');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.match(r.json.result.sessionId, /^cs_test_/);
      assert.deepEqual(counts(), [1, 0, 0]);
    });

    const P = "legacy-o'brien";
    await t.test('one live subscription at Stripe: its price changes, no Checkout; it is recorded, so the next checkout does not search', async () => {
      await account(P, 'starter');
      stand.subscriptions.push(
        stripeSubscription('sub_legacy', P, 'active', 'price_starter'),
        // Found by the search (it matches metadata without regard to case) but another account's.
        stripeSubscription('sub_other_case', P.toUpperCase(), 'active', 'price_pro'),
        // The account's, but billing no more: unpaid ends the plan; canceled is not searched for.
        stripeSubscription('sub_unpaid', P, 'unpaid', 'price_pro'),
        stripeSubscription('sub_gone', P, 'canceled', 'price_pro'),
        // The vendor's other product, keyed by the same user id: not a plan of this ledger.
        foreignSubscription('sub_newsletter', P),
      );
      const before = counts();
      const r = await checkout(P, 'pro');
      assert.deepEqual([r.status, r.json.result], [200, { subscriptionId: 'sub_legacy', changed: true, takesEffect: 'now' }], JSON.stringify(r.json));
      assert.deepEqual(stand.searches().slice(before[2]), [searchFor(P)], 'the account id quoted as Stripe documents');
      assert.deepEqual(counts(), [before[0], before[1] + 1, before[2] + 1], 'no Checkout Session: no second subscription');
      const up = stand.subscriptionChanges().at(-1);
      assert.equal(up.path, '/v1/subscriptions/sub_legacy');
      assert.equal(up.form['items[0][price]'], 'price_pro');
      assert.equal(up.form.billing_cycle_anchor, 'now', 'Starter (its item\'s price) to Pro is an upgrade');
      // Recorded as paying for Starter: back to Starter is the plan already paid for (at
      // renewal), and the ledger did not search again.
      const again = await checkout(P, 'starter');
      assert.deepEqual([again.status, again.json.result], [200, { subscriptionId: 'sub_legacy', changed: true, takesEffect: 'renewal' }], JSON.stringify(again.json));
      assert.deepEqual(counts(), [before[0], before[1] + 2, before[2] + 1], 'the record answered: no second search');
    });

    await t.test('only another product\'s subscription at Stripe: never repriced, the Checkout opens as for none', async () => {
      await account('legacy-news', 'starter');
      stand.subscriptions.push(foreignSubscription('sub_news_only', 'legacy-news'));
      const before = counts();
      const r = await checkout('legacy-news', 'pro');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.match(r.json.result.sessionId, /^cs_test_/);
      assert.deepEqual(counts(), [before[0] + 1, before[1], before[2] + 1], 'searched, nothing changed, a Checkout Session');
    });

    await t.test('two live subscriptions (past_due and trialing still bill): refused, nothing created, logged for the operator', async () => {
      await account('legacy-two', 'starter');
      stand.subscriptions.push(stripeSubscription('sub_two_a', 'legacy-two', 'past_due', 'price_starter'), stripeSubscription('sub_two_b', 'legacy-two', 'trialing', 'price_pro'));
      const before = counts();
      const r = await checkout('legacy-two', 'pro');
      assert.deepEqual([r.status, r.json.error?.code], [409, 'LIMIT_REACHED'], JSON.stringify(r.json));
      assert.deepEqual(counts(), [before[0], before[1], before[2] + 1], 'no session, no subscription changed');
      assert.match(ledger.stderr(), /more than one live subscription at Stripe.*sub_two_a.*sub_two_b|sub_two_a.*sub_two_b.*more than one live subscription at Stripe/);
    });

    await t.test('the search fails: 502, nothing created', async () => {
      await account('legacy-down', 'starter');
      stand.subscriptions.push(stripeSubscription('sub_down', 'legacy-down', 'active', 'price_starter'));
      stand.failSearch = true;
      const before = counts();
      const r = await checkout('legacy-down', 'pro');
      stand.failSearch = false;
      assert.deepEqual([r.status, r.json.error?.code], [502, 'PAYMENT_PROVIDER_FAILED'], JSON.stringify(r.json));
      assert.deepEqual(counts(), [before[0], before[1], before[2] + 1], 'no session, no subscription changed');
      const retry = await checkout('legacy-down', 'pro');
      assert.equal(retry.json.result?.subscriptionId, 'sub_down', 'once Stripe answers, the same request changes the subscription');
    });

    await t.test('none at Stripe (a plan the vendor granted): a Checkout Session as before', async () => {
      await account('legacy-granted', 'starter');
      const before = counts();
      const r = await checkout('legacy-granted', 'pro');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.match(r.json.result.sessionId, /^cs_test_/);
      assert.deepEqual(counts(), [before[0] + 1, before[1], before[2] + 1]);
      assert.equal(stand.sessions().at(-1).form['line_items[0][price]'], 'price_pro');
    });

    await t.test('an account id Stripe\'s query language cannot quote (a backslash): refused, nothing searched or created', async () => {
      await account('legacy\\slash', 'starter');
      const before = counts();
      const r = await checkout('legacy\\slash', 'pro');
      assert.deepEqual([r.status, r.json.error?.code], [409, 'LIMIT_REACHED'], JSON.stringify(r.json));
      assert.deepEqual(counts(), before);
    });

  });
}

/** Deletes the account's `account_subscriptions` row, as a ledger that applied the account's
 *  invoices before it recorded subscriptions has none (SQLite through Python's sqlite3,
 *  PostgreSQL through psql). */
function forgetSubscriptionRecord(database, account) {
  const sql = 'DELETE FROM account_subscriptions WHERE account_id = ';
  if (database.startsWith('sqlite:')) {
    execFileSync('python3', ['-c', `import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute("${sql}?", (sys.argv[2],))\nc.commit()`, database.slice('sqlite:'.length), account]);
  } else {
    // psql quotes a variable only in a script it reads (not in -c).
    execFileSync('psql', [database, '-q', '-v', 'ON_ERROR_STOP=1', '-v', `account=${account}`], { input: `${sql}:'account';\n` });
  }
}

for (const backend of backends()) {
  test(`${backend.name}: the operator settles a plan checkout the search could not by sending the current paid invoice again from Stripe`, async (t) => {
    const stand = await stripeStandIn();
    const dir = workDir(`subscription-resend-${backend.name}`);
    const database = backend.database(dir);
    const ledger = await startLedger({ dir, database, stripeBase: stand.url, extra: PLAN_PRICES });
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
    });
    // An id with a backslash, which the search cannot quote: its checkout needs the record.
    const id = 'legacy\\resent';
    await ledger.admin({ op: 'createAccount', accountId: id, policy: 'assistLore' });
    const [start, end] = [Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) + 30 * 86_400];
    const paid = invoicePaid('evt_resent', { invoiceId: 'in_resent', sub: 'sub_resent', account: id, lines: [['price_starter', 1900, start, end]] });
    assert.equal((await ledger.webhook(paid, sign(paid))).json.result, 'granted');
    forgetSubscriptionRecord(database, id);
    const refused = await ledger.post('/v1/checkout', { planId: 'pro' }, deviceToken(id));
    assert.deepEqual([refused.status, refused.json.error?.code], [409, 'LIMIT_REACHED'], 'no record, and the id cannot be searched for');
    // The operator resends the same event (same id) from the dashboard.
    const resent = await ledger.webhook(paid, sign(paid));
    assert.deepEqual([resent.status, resent.json.result], [200, 'recorded: the subscription that pays for the account\'s plan'], JSON.stringify(resent.json));
    assert.equal((await ledger.webhook(paid, sign(paid))).json.result, 'duplicate', 'recorded once');
    const sessions = stand.sessions().length;
    const r = await ledger.post('/v1/checkout', { planId: 'pro' }, deviceToken(id));
    assert.deepEqual([r.status, r.json.result], [200, { subscriptionId: 'sub_resent', changed: true, takesEffect: 'now' }], JSON.stringify(r.json));
    assert.equal(stand.sessions().length, sessions, 'no second subscription');
    assert.match(ledger.stderr(), /delivered again recorded the subscription/);
  });
}

for (const backend of backends()) {
  test(`${backend.name}: two checkouts at once for the same plan change send Stripe one idempotent update`, async (t) => {
    const stand = await stripeStandIn();
    const dir = workDir(`subscription-twice-${backend.name}`);
    const ledger = await startLedger({ dir, database: backend.database(dir), stripeBase: stand.url, extra: PLAN_PRICES });
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
    });
    const id = 'twice';
    await ledger.admin({ op: 'createAccount', accountId: id, policy: 'assistLore' });
    const [start, end] = [Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) + 30 * 86_400];
    const paid = invoicePaid('evt_twice', { invoiceId: 'in_twice', sub: 'sub_twice', account: id, lines: [['price_starter', 1900, start, end]] });
    assert.equal((await ledger.webhook(paid, sign(paid))).json.result, 'granted');
    // A double click on the upgrade: both reach Stripe with the same key, which Stripe
    // applies once (one invoice, not two).
    const both = await Promise.all([0, 1].map(() => ledger.post('/v1/checkout', { planId: 'pro' }, deviceToken(id))));
    assert.deepEqual(both.map((r) => r.status), [200, 200], JSON.stringify(both.map((r) => r.json)));
    const [a, b] = stand.subscriptionChanges().slice(-2);
    assert.ok(a.key && a.key.startsWith('credit-meter-plan-sub_twice-'), `an idempotency key: ${a.key}`);
    assert.equal(b.key, a.key, 'the same change, the same key');
    // Another change is another request.
    assert.equal((await ledger.post('/v1/checkout', { planId: 'starter' }, deviceToken(id))).status, 200);
    assert.notEqual(stand.subscriptionChanges().at(-1).key, a.key);
  });
}
