// The demo's loop through scripts/stripe-stand-in.mjs (what ./scripts/demo.sh runs): buy
// → the test-mode checkout page → "Pay" → a signed webhook → the credits; the low-balance
// email in the stand-in's mailbox; a refund reaching the stand-in, by the admin route and
// by the demo page's /demo/refund; a plan bought as a subscription (checkout → invoice.paid)
// and cancelled in the stand-in's portal (found by the stand-in's subscription search
// while it lives); the demo's no-payment shop route refused. The stand-in signs with its
// own few lines of HMAC, so this also checks them against the ledger's verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { ADMIN_TOKEN, ROOT, STRIPE_KEY, startLedger, until, workDir } from './support.mjs';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('the demo stand-in: checkout page, signed webhook, mailbox, refunds', async (t) => {
  const dir = workDir('demo');
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const standIn = `http://127.0.0.1:${httpPort}`;
  const ledger = await startLedger({ dir, database: `sqlite:${path.join(dir, 'ledger.sqlite')}`, stripeBase: standIn, smtpPort, extra: ['--demo',
    '--stripe-plan-price', 'starter=price_demo_starter', '--stripe-plan-price', 'pro=price_demo_pro'] });
  const proc = spawn(process.execPath, [path.join(ROOT, 'scripts/stripe-stand-in.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STAND_IN_PORT: String(httpPort), SMTP_PORT: String(smtpPort), LEDGER_URL: ledger.base,
      STRIPE_SECRET_KEY_FILE: path.join(dir, 'sk'), STRIPE_WEBHOOK_SECRET_FILE: path.join(dir, 'whsec') },
  });
  t.after(async () => {
    proc.kill();
    await ledger.kill9();
  });
  await new Promise((resolve) => readline.createInterface({ input: proc.stdout }).once('line', resolve));

  const info = await (await fetch(`${ledger.base}/demo/payments`)).json();
  assert.deepEqual(info, { standIn }, 'the demo page finds the stand-in through the ledger');
  const { token } = await (await fetch(`${ledger.base}/demo/token`, { method: 'POST', body: JSON.stringify({ accountId: 'demo', deviceId: 'web' }) })).json();
  const before = Number(await ledger.balance('demo'));
  const checkout = await ledger.post('/v1/checkout', { packageId: 'pro' }, token);
  assert.equal(checkout.status, 200, JSON.stringify(checkout.json));
  const page = await (await fetch(checkout.json.result.url)).text();
  assert.match(page, /TEST MODE/);
  assert.match(page, /\$10\.00/);
  const paid = await (await fetch(checkout.json.result.url, { method: 'POST', headers: { accept: 'application/json' } })).json();
  assert.equal(paid.result, 'granted');
  assert.equal(Number(await ledger.balance('demo')), before + 3000);

  // The demo token's email claim is the address; spending below 10 % of the 3,000 top-up crosses.
  await ledger.spend('demo', before + 3000 - 250, { email: 'demo@demo.invalid' });
  const mails = await until('the low-balance email in the mailbox', async () => {
    const m = await (await fetch(`${standIn}/mailbox`)).json();
    return m.length ? m : null;
  });
  assert.equal(mails.length, 1);
  assert.deepEqual(mails[0].to, ['demo@demo.invalid']);
  assert.match(mails[0].subject, /low: 250 credits left/);

  const refund = await ledger.post('/v1/admin/refund', { accountId: 'demo', purchaseId: checkout.json.result.sessionId, requestId: 'demo-1' }, ADMIN_TOKEN);
  assert.equal(refund.status, 200, JSON.stringify(refund.json));
  const refunds = await (await fetch(`${standIn}/refunds`)).json();
  assert.equal(refunds.length, 1);
  assert.equal(refunds[0].id, refund.json.result.stripeRefundId);

  // With Stripe configured the demo's shop route adds no unpaid credits.
  for (const cmd of [{ op: 'purchase', accountId: 'demo', purchaseId: 'free-lunch', packageId: 'power' },
    { op: 'changePlan', accountId: 'demo', planId: 'pro', startsAt: Date.now(), endsAt: Date.now() + 86_400_000 }]) {
    const r = await ledger.post('/demo/admin', cmd, token);
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'FORBIDDEN');
  }

  // The page's Refund button: /demo/refund with the demo token, for its own account only.
  const second = await ledger.post('/v1/checkout', { packageId: 'starter' }, token);
  await fetch(second.json.result.url, { method: 'POST', headers: { accept: 'application/json' } });
  const withStarter = Number(await ledger.balance('demo'));
  const agentToken = (await (await fetch(`${ledger.base}/demo/token`, { method: 'POST', body: JSON.stringify({ accountId: 'demo-agent', deviceId: 'web' }) })).json()).token;
  const foreign = await ledger.post('/demo/refund', { purchaseId: second.json.result.sessionId }, agentToken);
  assert.notEqual(foreign.json.ok, true, `another account's purchase is not refunded: ${JSON.stringify(foreign.json)}`);
  assert.equal(Number(await ledger.balance('demo')), withStarter);
  const mine = await ledger.post('/demo/refund', { purchaseId: second.json.result.sessionId }, token);
  assert.equal(mine.status, 200, JSON.stringify(mine.json));
  assert.equal(mine.json.result.refundUsd, '2.5', 'the whole unused Starter package: $2.50');
  assert.equal(Number(await ledger.balance('demo')), withStarter - Number(mine.json.result.remaining));
  const again = await ledger.post('/demo/refund', { purchaseId: second.json.result.sessionId }, token);
  assert.equal(again.json.result.stripeRefundId, mine.json.result.stripeRefundId, 'the same request: the same refund');
  const paidBack = await (await fetch(`${standIn}/refunds`)).json();
  assert.deepEqual(paidBack.map((r) => r.amount), [refunds[0].amount, 250], 'one more refund, of 250 cents');

  // AssistLore: Pro bought as a subscription through the stand-in, then cancelled.
  const stateOf = async (account) => (await fetch(`${ledger.base}/v1/state?account=${account}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  const onStarter = await stateOf('demo-agent');
  assert.equal(onStarter.plan, 'starter');
  const sub = await ledger.post('/v1/checkout', { planId: 'pro' }, agentToken);
  assert.equal(sub.status, 200, JSON.stringify(sub.json));
  const subPage = await (await fetch(sub.json.result.url)).text();
  assert.match(subPage, /pro plan, monthly/);
  const subPaid = await (await fetch(sub.json.result.url, { method: 'POST', headers: { accept: 'application/json' } })).json();
  assert.equal(subPaid.result, 'granted', JSON.stringify(subPaid));
  const onPro = await stateOf('demo-agent');
  assert.equal(onPro.plan, 'pro');
  // The stand-in's search finds it as Stripe's would for an account without a record.
  const query = "metadata['accountId']:'demo-agent' AND -status:'canceled' AND -status:'incomplete_expired'";
  const search = async () => (await (await fetch(`${standIn}/v1/subscriptions/search?${new URLSearchParams({ query, limit: '100' })}`, { headers: { authorization: `Bearer ${STRIPE_KEY}` } })).json()).data;
  assert.deepEqual((await search()).map((s) => [s.status, s.metadata.accountId, s.items.data[0].price.id]), [['active', 'demo-agent', 'price_demo_pro']]);
  const cycles = (s) => s.grants.filter((g) => g.kind === 'planCycle').map((g) => g.id).sort();
  assert.equal(cycles(onPro).length, cycles(onStarter).length + 1, 'the paid invoice started one Pro cycle');
  // Paying the same session again (a repeated webhook) grants nothing more.
  await fetch(sub.json.result.url, { method: 'POST', headers: { accept: 'application/json' } });
  assert.deepEqual(cycles(await stateOf('demo-agent')), cycles(onPro));
  const cancelled = await (await fetch(`${standIn}/portal/cancel`, { method: 'POST', body: 'demo-agent' })).json();
  assert.equal(cancelled.result, 'ended', JSON.stringify(cancelled));
  const ended = await stateOf('demo-agent');
  assert.equal(ended.plan, 'free');
  assert.ok(Number(ended.balance) <= Number(onPro.balance), 'ending the plan adds no credits');
  const noSub = await fetch(`${standIn}/portal/cancel`, { method: 'POST', body: 'demo-agent' });
  assert.equal(noSub.status, 404, 'nothing left to cancel');
  assert.deepEqual(await search(), [], 'a cancelled subscription is not found');
});
