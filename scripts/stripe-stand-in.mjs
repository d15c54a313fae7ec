#!/usr/bin/env node
// The demo's stand-in for Stripe and for a mail server, on loopback only (node built-ins,
// no dependencies). `./scripts/demo.sh` starts it next to the ledger:
//
// - Stripe's API as the ledger calls it: POST /v1/checkout/sessions answers a session whose
//   `url` is this server's test-mode checkout page; POST /v1/refunds records the refund
//   (idempotent by Idempotency-Key, like Stripe).
// - GET /pay/<session> shows the test-mode checkout page; "Pay" sends the ledger a
//   `checkout.session.completed` event signed the way Stripe signs (HMAC-SHA256 of
//   `<t>.<body>` with the endpoint secret, header `Stripe-Signature: t=…,v1=…`) and goes
//   back to the session's success_url. A session in mode `subscription` (a plan) then
//   also sends `invoice.paid` for the plan's Price, as Stripe does: the first invoice of
//   an account's subscription covers 30 days from now; a change of plan keeps the
//   subscription and its period end and invoices the rest of the period on the new plan
//   (Stripe's `proration_behavior: always_invoice`: a credit line for the old plan's
//   unused time and a line for the new plan). GET and POST /v1/subscriptions/<id> read
//   and change a subscription's price (the ledger's plan change for an account that
//   already pays for a plan): with `billing_cycle_anchor=now` (an upgrade) a new cycle from
//   now, invoiced in full, whose `invoice.paid` is sent before answering; without it (a
//   downgrade) the price from the next renewal, nothing invoiced now.
//   GET /v1/subscriptions/search answers the one query form the ledger sends for an
//   account that is on a paid plan without a subscription record —
//   `metadata['accountId']:'<id, \' for a quote>'` then ` AND -status:'<status>'` clauses —
//   with the live subscriptions whose `accountId` matches without regard to case, as
//   Stripe's search does (any other query: 400).
// - POST /portal/cancel (body: the account id) stands in for the customer portal's
//   "Cancel plan": the account's subscription ends now and the ledger receives a signed
//   `customer.subscription.deleted`.
// - An SMTP sink on SMTP_PORT that keeps the low-balance emails the ledger sends;
//   GET /mailbox lists them (JSON, CORS open: the demo page shows them), GET /refunds the
//   refunds.
//
// Environment: STAND_IN_PORT (HTTP, default 8081), SMTP_PORT (default 2525), LEDGER_URL
// (default http://127.0.0.1:8080), STRIPE_SECRET_KEY_FILE, STRIPE_WEBHOOK_SECRET_FILE.
// Never a real payment: nothing here talks to Stripe.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const HTTP_PORT = Number(process.env.STAND_IN_PORT || 8081);
const SMTP_PORT = Number(process.env.SMTP_PORT || 2525);
const LEDGER_URL = (process.env.LEDGER_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const read = (f) => (f ? fs.readFileSync(f, 'utf8').trim() : undefined);
const SECRET_KEY = read(process.env.STRIPE_SECRET_KEY_FILE);
const WEBHOOK_SECRET = read(process.env.STRIPE_WEBHOOK_SECRET_FILE);
if (!SECRET_KEY || !WEBHOOK_SECRET) throw new Error('set STRIPE_SECRET_KEY_FILE and STRIPE_WEBHOOK_SECRET_FILE');

const sessions = new Map();
const refunds = new Map();
const mailbox = [];
let counter = 0;
const newId = (prefix) => `${prefix}_test_${Date.now().toString(36)}${(++counter).toString(36)}${crypto.randomBytes(3).toString('hex')}`;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The `Stripe-Signature` header Stripe would send for `payload`. */
export function signature(payload, secret, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
}

function body(req) {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => resolve(b));
  });
}

function send(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*', ...headers });
  res.end(JSON.stringify(obj));
}

/** Sends the ledger a signed event of `type` about `object`; its answer. */
async function deliver(type, object) {
  const event = { id: newId('evt'), object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } };
  const payload = JSON.stringify(event);
  const res = await fetch(`${LEDGER_URL}/v1/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature(payload, WEBHOOK_SECRET) },
    body: payload,
  });
  return { status: res.status, answer: await res.json() };
}

/** Each account's live subscription: {id, price, metadata, periodEnd (s)}. */
const subscriptions = new Map();

/** The invoice Stripe sends when a subscription session is paid (see the header). */
function invoiceFor(session) {
  return invoiceOf(session.account, session.price, session.subscriptionMetadata);
}

/** The invoice of `account`'s subscription moving to `price` (a new one if it has none). */
function invoiceOf(account, price, metadata) {
  const now = Math.floor(Date.now() / 1000);
  const old = subscriptions.get(account);
  const sub = { id: old?.id ?? newId('sub'), price, metadata: { ...old?.metadata, ...metadata }, periodEnd: old?.periodEnd ?? now + 30 * 86400 };
  subscriptions.set(account, sub);
  const line = (p, amount) => ({ object: 'line_item', amount, price: { id: p }, period: { start: now, end: sub.periodEnd } });
  const lines = old && old.price !== price ? [line(old.price, -1), line(price, 1)] : [line(price, 1)];
  return {
    id: newId('in'), object: 'invoice', status: 'paid', subscription: sub.id,
    subscription_details: { metadata: sub.metadata }, lines: { object: 'list', data: lines },
  };
}

async function pay(session) {
  const paid = await deliver('checkout.session.completed', {
    id: session.id,
    object: 'checkout.session',
    mode: session.mode,
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: session.account,
    metadata: session.metadata,
    payment_intent: session.mode === 'payment' ? session.paymentIntent : null,
    amount_total: session.amount,
    currency: session.currency,
  });
  if (session.mode !== 'subscription' || paid.status !== 200) return paid;
  return deliver('invoice.paid', invoiceFor(session));
}

/** The customer portal's "Cancel plan" for `account`. */
async function cancel(account) {
  const sub = subscriptions.get(account);
  if (!sub) return { status: 404, answer: { error: { code: 'NO_SUBSCRIPTION', message: `account ${account} has no subscription` } } };
  subscriptions.delete(account);
  return deliver('customer.subscription.deleted', { id: sub.id, object: 'subscription', status: 'canceled', metadata: sub.metadata });
}

/** This server's origin (its port once listening; STAND_IN_PORT may be 0). */
const origin = () => `http://127.0.0.1:${server.address().port}`;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, origin());
  if (req.method === 'GET' && url.pathname === '/mailbox') return send(res, 200, mailbox);
  if (req.method === 'GET' && url.pathname === '/refunds') return send(res, 200, [...refunds.values()]);
  if (url.pathname.startsWith('/v1/')) {
    if (req.headers.authorization !== `Bearer ${SECRET_KEY}`) return send(res, 401, { error: { message: 'Invalid API Key provided' } });
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const id = newId('cs');
      const session = {
        id,
        mode: form.mode,
        account: form.client_reference_id,
        metadata: Object.fromEntries(Object.entries(form).filter(([k]) => k.startsWith('metadata[')).map(([k, v]) => [k.slice(9, -1), v])),
        name: form['line_items[0][price_data][product_data][name]'] || form['line_items[0][price]'],
        amount: Number(form['line_items[0][price_data][unit_amount]'] || 0),
        currency: form['line_items[0][price_data][currency]'] || 'usd',
        paymentIntent: newId('pi'),
        price: form['line_items[0][price]'],
        subscriptionMetadata: Object.fromEntries(Object.entries(form).filter(([k]) => k.startsWith('subscription_data[metadata][')).map(([k, v]) => [k.slice(28, -1), v])),
        successUrl: form.success_url,
        cancelUrl: form.cancel_url,
      };
      sessions.set(id, session);
      return send(res, 200, { id, object: 'checkout.session', url: `${origin()}/pay/${id}`, mode: session.mode });
    }
    if (req.method === 'GET' && url.pathname === '/v1/subscriptions/search') {
      const q = /^metadata\['accountId'\]:'((?:[^'\\]|\\')*)'((?: AND -status:'[a-z_]+')*)$/.exec(url.searchParams.get('query') ?? '');
      if (!q) return send(res, 400, { error: { message: `the stand-in cannot parse the query ${url.searchParams.get('query')}` } });
      const account = q[1].replace(/\\'/g, "'").toLowerCase();
      const excluded = [...q[2].matchAll(/-status:'([a-z_]+)'/g)].map((m) => m[1]);
      const data = [...subscriptions.values()]
        .filter((s) => String(s.metadata.accountId).toLowerCase() === account && !excluded.includes('active'))
        .map((s) => ({ id: s.id, object: 'subscription', status: 'active', metadata: s.metadata, items: { data: [{ id: `si_${s.id}`, price: { id: s.price } }] } }));
      return send(res, 200, { object: 'search_result', url: '/v1/subscriptions/search', has_more: false, data });
    }
    // A subscription's price changed by the ledger (an account that pays for a plan moves
    // to another): prorated and invoiced at once, as `proration_behavior: always_invoice`.
    const subPath = /^\/v1\/subscriptions\/([A-Za-z0-9_]+)$/.exec(url.pathname);
    const owner = subPath && [...subscriptions].find(([, s]) => s.id === subPath[1])?.[0];
    if (subPath && !owner) return send(res, 404, { error: { message: `no subscription ${subPath[1]}` } });
    if (subPath && req.method === 'GET') {
      const s = subscriptions.get(owner);
      return send(res, 200, { id: s.id, object: 'subscription', items: { data: [{ id: `si_${s.id}`, price: { id: s.price } }] } });
    }
    if (subPath && req.method === 'POST') {
      const s = subscriptions.get(owner);
      if (form.billing_cycle_anchor !== 'now') {
        // From the next renewal: the price changes, nothing is invoiced now.
        s.price = form['items[0][price]'];
        return send(res, 200, { id: s.id, object: 'subscription', pending_update: null });
      }
      // An upgrade: a new cycle from now, invoiced in full (no proration).
      const now = Math.floor(Date.now() / 1000);
      Object.assign(s, { price: form['items[0][price]'], periodEnd: now + 30 * 86400 });
      const line = { object: 'line_item', amount: 1, price: { id: s.price }, period: { start: now, end: s.periodEnd } };
      const invoice = { id: newId('in'), object: 'invoice', status: 'paid', subscription: s.id, subscription_details: { metadata: s.metadata }, lines: { object: 'list', data: [line] } };
      const paid = await deliver('invoice.paid', invoice);
      return send(res, 200, { id: s.id, object: 'subscription', pending_update: null, invoicePaid: paid.status });
    }
    if (req.method === 'POST' && url.pathname === '/v1/refunds') {
      const key = req.headers['idempotency-key'] || newId('key');
      if (!refunds.has(key)) {
        refunds.set(key, { id: newId('re'), object: 'refund', amount: Number(form.amount), payment_intent: form.payment_intent, status: 'succeeded' });
      }
      return send(res, 200, refunds.get(key));
    }
    return send(res, 404, { error: { message: `the stand-in has no ${req.method} ${url.pathname}` } });
  }
  if (req.method === 'POST' && url.pathname === '/portal/cancel') {
    const { status, answer } = await cancel((await body(req)).trim());
    return send(res, status, answer);
  }
  const m = url.pathname.match(/^\/pay\/([A-Za-z0-9_]+)$/);
  const session = m && sessions.get(m[1]);
  if (!session) return send(res, 404, { error: { message: 'no such checkout session' } });
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    // A page in its own right: its language, a main landmark holding all of it (axe-core:
    // html-has-lang, landmark-one-main, region), and a label for the viewport.
    return res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Test-mode checkout</title>
<body style="font-family:system-ui;max-width:28rem;margin:4rem auto;padding:0 1rem"><main>
<p style="background:#fde68a;color:#1f2937;padding:.5rem">TEST MODE — a local stand-in for Stripe Checkout; no money moves.</p>
<h1>${esc(session.mode === 'subscription' ? `${session.metadata.planId ?? session.price} plan, monthly` : session.name)}</h1>
<p>${session.mode === 'subscription' ? `subscription (${esc(session.price)})` : `$${(session.amount / 100).toFixed(2)}`} for account <code>${esc(session.account)}</code></p>
<form method="post"><button id="pay" style="font-size:1.2rem">Pay</button> <a href="${esc(session.cancelUrl)}">Cancel</a></form></main></body></html>`);
  }
  if (req.method === 'POST') {
    const { status, answer } = await pay(session);
    if (req.headers.accept?.includes('application/json')) return send(res, status, answer);
    res.writeHead(303, { location: session.successUrl });
    return res.end();
  }
  send(res, 405, { error: { message: 'GET or POST' } });
});

// A minimal SMTP receiver (RFC 5321's commands as lettre sends them; loopback only).
const smtp = net.createServer((socket) => {
  let buffer = '';
  let inData = false;
  let envelope = { from: null, to: [] };
  let data = [];
  const say = (line) => socket.write(`${line}\r\n`);
  say('220 stand-in ESMTP');
  socket.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let i;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          const raw = data.join('\r\n');
          const subject = (raw.match(/^Subject: (.*)$/m) || [])[1] || '';
          mailbox.push({ at: Date.now(), from: envelope.from, to: envelope.to, subject, raw });
          envelope = { from: null, to: [] };
          data = [];
          say('250 OK: queued');
        } else {
          data.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO' || verb === 'HELO') say('250 stand-in');
      else if (verb === 'MAIL') (envelope.from = (line.match(/<(.*)>/) || [])[1]), say('250 OK');
      else if (verb === 'RCPT') envelope.to.push((line.match(/<(.*)>/) || [])[1]), say('250 OK');
      else if (verb === 'DATA') (inData = true), say('354 end with <CRLF>.<CRLF>');
      else if (verb === 'RSET') (envelope = { from: null, to: [] }), say('250 OK');
      else if (verb === 'NOOP') say('250 OK');
      else if (verb === 'QUIT') say('221 bye'), socket.end();
      else say('502 not implemented');
    }
  });
  socket.on('error', () => {});
});

server.listen(HTTP_PORT, '127.0.0.1', () => {
  smtp.listen(SMTP_PORT, '127.0.0.1', () => {
    console.log(`stripe stand-in on http://127.0.0.1:${server.address().port}/ (SMTP sink on 127.0.0.1:${smtp.address().port})`);
  });
});
