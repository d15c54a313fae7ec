// The demo's loop through scripts/stripe-stand-in.mjs (what ./scripts/demo.sh runs): buy
// → the test-mode checkout page → "Pay" → a signed webhook → the credits; the low-balance
// email in the stand-in's mailbox; a refund reaching the stand-in. The stand-in signs
// with its own few lines of HMAC, so this also checks them against the ledger's verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { ADMIN_TOKEN, ROOT, startLedger, until, workDir } from './support.mjs';

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
  const ledger = await startLedger({ dir, database: `sqlite:${path.join(dir, 'ledger.sqlite')}`, stripeBase: standIn, smtpPort, extra: ['--demo'] });
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
});
