// Low-balance email: the ledger's notice becomes an outbox row in the same transaction as
// the crossing, and a worker sends it over SMTP (a real SMTP server on loopback) — exactly
// one email per crossing, also across a kill -9 between the commit and the send; none
// without a crossing; none for an account without an address. SQLite and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, sessionCompleted, sign, sleep, smtpSink, startLedger, stripeStandIn, until, workDir } from './support.mjs';

let purchases = 0;
/** Buys Starter (500 credits, $2.50; True Recall's low level is 10 % of it: 50) through a signed webhook. */
async function buyStarter(ledger, account) {
  const n = ++purchases;
  const payload = sessionCompleted(`evt_email_${n}`, {
    sessionId: `cs_email_${n}`, account, packageId: 'starter', paymentIntent: `pi_email_${n}`, amount: 250,
  });
  const r = await ledger.webhook(payload, sign(payload));
  assert.equal(r.json.result, 'granted');
}

for (const backend of backends()) {
  test(`${backend.name}: one low-balance email per crossing, across kill -9, none without crossing or address`, async (t) => {
    const stand = await stripeStandIn();
    const sink = await smtpSink();
    const dir = workDir(`email-${backend.name}`);
    const database = backend.database(dir);
    const start = () => startLedger({ dir, database, stripeBase: stand.url, smtpPort: sink.port });
    let ledger = await start();
    t.after(async () => {
      await ledger.kill9();
      await stand.close();
      await sink.close();
    });
    for (const a of ['mailed', 'claimed', 'silent']) await ledger.admin({ op: 'createAccount', accountId: a, policy: 'trueRecall' });
    const set = await ledger.post('/v1/admin/email', { accountId: 'mailed', email: 'mailed@example.com' }, 'payments-test-admin-token-0123456789');
    assert.equal(set.status, 200);
    for (const a of ['mailed', 'claimed', 'silent']) await buyStarter(ledger, a);

    await t.test('no crossing, no email: spending and topping up while staying at or above the level', async () => {
      await ledger.spend('mailed', 100); // 400
      await ledger.spend('mailed', 200); // 200
      await buyStarter(ledger, 'mailed'); // 700, level 50
      await ledger.spend('mailed', 650); // 50: at the level is not low
      assert.equal(await ledger.balance('mailed'), '50');
      assert.deepEqual(await ledger.outbox(), { unsent: 0, sent: 0 }, 'no outbox row at all, so no email can ever go');
      assert.equal(sink.messages.length, 0);
    });

    await t.test('a crossing sends exactly one email, naming the balance and linking to buying', async () => {
      await ledger.spend('mailed', 10); // 40 < 50: crossed
      await until('the email', () => sink.to('mailed@example.com').length === 1);
      await ledger.spend('mailed', 5); // still low: no new crossing
      await until('the outbox to record it sent', async () => (await ledger.outbox()).sent === 1);
      assert.deepEqual(await ledger.outbox(), { unsent: 0, sent: 1 });
      const [mail] = sink.to('mailed@example.com');
      assert.match(mail.raw, /Subject: Your credit balance is low: 40 credits left/);
      assert.match(mail.raw, /text\/plain/);
      assert.match(mail.raw, /text\/html/);
      assert.match(mail.raw, /https:\/\/app\.example\/buy/);
    });

    await t.test('an account without an address gets none', async () => {
      await ledger.spend('silent', 460); // 40: crossed, but no address
      assert.deepEqual(await ledger.outbox(), { unsent: 0, sent: 1 });
    });

    await t.test('kill -9 between the commit and the send: exactly one email after restart', async () => {
      sink.reject = true; // the SMTP server answers 451: nothing can be sent yet
      const rejectedBefore = sink.rejected;
      // The address comes from the device token's `email` claim.
      await ledger.spend('claimed', 460, { email: 'claimed@example.com' });
      assert.deepEqual(await ledger.outbox(), { unsent: 1, sent: 1 }, 'the job is committed with the crossing');
      await until('a failed attempt', () => sink.rejected > rejectedBefore);
      await ledger.kill9();
      assert.equal(sink.to('claimed@example.com').length, 0);
      sink.reject = false;
      ledger = await start();
      await until('the email after the restart', () => sink.to('claimed@example.com').length >= 1);
      await until('the outbox to record it sent', async () => (await ledger.outbox()).sent === 2);
      // Restart once more: a sent row is never sent again.
      await ledger.kill9();
      ledger = await start();
      await sleep(1500); // several worker polls
      assert.deepEqual(await ledger.outbox(), { unsent: 0, sent: 2 });
      assert.equal(sink.to('claimed@example.com').length, 1, 'exactly one email for the crossing');
      assert.equal(sink.to('mailed@example.com').length, 1);
      assert.equal(sink.messages.length, 2, 'nothing for the account without an address');
    });

    await t.test('topping up re-arms the threshold: the next crossing sends the next email', async () => {
      await buyStarter(ledger, 'mailed'); // 535, level 50
      await ledger.spend('mailed', 500); // 35: crossed again
      await until('the second email', () => sink.to('mailed@example.com').length === 2);
      await sleep(600);
      assert.equal(sink.to('mailed@example.com').length, 2);
    });
  });
}
