// What the payments tests run against: the built credit-meter-ledger binary, a loopback
// stand-in for Stripe's API (node:http) that records every request, and a real SMTP
// server on loopback (the `smtp-server` npm package) that records every message.
// Webhook events are signed with the official `stripe` package's
// `webhooks.generateTestHeaderString`, so the tests share no code with the verifier.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(ROOT, '.tools/package.json'));
const Stripe = require('stripe');
const { SMTPServer } = require('smtp-server');

export const BIN = process.env.CREDIT_METER_LEDGER_BIN || path.join(ROOT, 'target/debug/credit-meter-ledger');
export const JWT_SECRET = 'payments-test-device-token-secret-0123456789';
export const ADMIN_TOKEN = 'payments-test-admin-token-0123456789';
export const STRIPE_KEY = 'sk_test_payments_secret_key_never_logged';
export const WEBHOOK_SECRET = 'whsec_payments_test_endpoint_secret';
const stripe = new Stripe(STRIPE_KEY);

/** A `Stripe-Signature` header from Stripe's own library. */
export function sign(payload, { secret = WEBHOOK_SECRET, timestamp } = {}) {
  return stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp === undefined ? {} : { timestamp }) });
}

/**
 * A `checkout.session.completed` event for a paid payment session, as Stripe sends it for
 * a session the ledger's checkout created: `metadata.priceCents` is what it asked
 * (`priceCents`, default `amount`; null: none, as before the ledger wrote it); without
 * `accountMetadata`, no `metadata.accountId` either (a session the ledger did not create).
 */
export function sessionCompleted(eventId, { sessionId, account, packageId, paymentIntent, amount, priceCents = amount, currency = 'usd', accountMetadata = true, type = 'checkout.session.completed' }) {
  const metadata = accountMetadata ? { packageId, accountId: account } : { packageId };
  if (priceCents !== null) metadata.priceCents = String(priceCents);
  return JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: {
      object: {
        id: sessionId,
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        client_reference_id: account,
        metadata,
        payment_intent: paymentIntent,
        amount_total: amount,
        currency,
      },
    },
  });
}

/**
 * A `charge.refunded` event for a refund made in Stripe's dashboard: of `refunded` cents
 * (default: all of `amount`); `metadata`: what the charge carries from the PaymentIntent
 * (the ledger's checkout sets `accountId` and `packageId` there).
 */
export function chargeRefunded(eventId, { paymentIntent, amount, refunded = amount, metadata = {} }) {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    created: Math.floor(Date.now() / 1000),
    type: 'charge.refunded',
    data: { object: { id: `ch_${eventId}`, object: 'charge', payment_intent: paymentIntent, amount, amount_refunded: refunded, refunded: refunded >= amount, metadata } },
  });
}

/** An HS256 device token (the vendor's sign-in). */
export function deviceToken(account, extra = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: account, exp: Math.floor(Date.now() / 1000) + 3600, ...extra })}`;
  return `${head}.${crypto.createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}

/**
 * The one Search API query form the ledger sends for an account's subscriptions:
 * `metadata['accountId']:'<id, \' for a quote>'` then ` AND -status:'<status>'` clauses;
 * `null` for anything else (Stripe would answer 400 to a malformed query).
 */
export function parseSubscriptionSearch(query) {
  const m = /^metadata\['accountId'\]:'((?:[^'\\]|\\')*)'((?: AND -status:'[a-z_]+')*)$/.exec(query);
  if (!m) return null;
  return { account: m[1].replace(/\\'/g, "'"), notStatus: [...m[2].matchAll(/-status:'([a-z_]+)'/g)].map((x) => x[1]) };
}

/**
 * The Stripe API stand-in: Checkout Sessions and refunds, idempotent by key like Stripe
 * (`failRefunds`: HTTP 500), and `GET /v1/subscriptions/search` over `subscriptions` (the
 * subscription objects Stripe has: `{id, status, metadata: {accountId}, items}`), matching
 * `metadata['accountId']` without regard to case as Stripe does (`failSearch`: HTTP 500).
 */
export async function stripeStandIn() {
  const calls = [];
  const refundsByKey = new Map();
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const call = { method: req.method, path: req.url, form, auth: req.headers.authorization, key: req.headers['idempotency-key'] };
      calls.push(call);
      const reply = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.headers.authorization !== `Bearer ${STRIPE_KEY}`) return reply(401, { error: { message: 'Invalid API Key provided' } });
      if (req.method === 'POST' && req.url === '/v1/checkout/sessions') {
        const id = `cs_test_${++n}_${crypto.randomBytes(4).toString('hex')}`;
        return reply(200, { id, object: 'checkout.session', url: `http://127.0.0.1:${server.address().port}/pay/${id}`, mode: form.mode });
      }
      const url = new URL(req.url, 'http://stand-in');
      if (req.method === 'GET' && url.pathname === '/v1/subscriptions/search') {
        if (standIn.failSearch) return reply(500, { error: { message: 'stand-in outage' } });
        const q = parseSubscriptionSearch(url.searchParams.get('query') ?? '');
        if (!q) return reply(400, { error: { message: `the stand-in cannot parse the query ${url.searchParams.get('query')}` } });
        const data = standIn.subscriptions.filter((s) => String(s.metadata?.accountId).toLowerCase() === q.account.toLowerCase() && !q.notStatus.includes(s.status));
        return reply(200, { object: 'search_result', url: '/v1/subscriptions/search', has_more: false, data });
      }
      const sub = /^\/v1\/subscriptions\/(sub_[A-Za-z0-9_]+)$/.exec(req.url);
      if (sub && req.method === 'GET') return reply(200, { id: sub[1], object: 'subscription', items: { data: [{ id: `si_${sub[1]}` }] } });
      if (sub && req.method === 'POST') return reply(200, { id: sub[1], object: 'subscription' });
      if (req.method === 'POST' && req.url === '/v1/refunds') {
        if (standIn.failRefunds) return reply(500, { error: { message: 'stand-in outage' } });
        if (call.key && refundsByKey.has(call.key)) return reply(200, refundsByKey.get(call.key));
        const refund = { id: `re_${++n}`, object: 'refund', amount: Number(form.amount), payment_intent: form.payment_intent, status: 'succeeded' };
        if (call.key) refundsByKey.set(call.key, refund);
        return reply(200, refund);
      }
      reply(404, { error: { message: `no route ${req.url}` } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const standIn = {
    failRefunds: false,
    failSearch: false,
    subscriptions: [],
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    sessions: () => calls.filter((c) => c.path === '/v1/checkout/sessions'),
    refunds: () => calls.filter((c) => c.path === '/v1/refunds'),
    subscriptionChanges: () => calls.filter((c) => c.method === 'POST' && c.path.startsWith('/v1/subscriptions/')),
    /** The queries of the subscription searches received. */
    searches: () => calls.filter((c) => c.path.startsWith('/v1/subscriptions/search')).map((c) => new URL(c.path, 'http://stand-in').searchParams.get('query')),
    close: () => new Promise((r) => server.close(r)),
  };
  return standIn;
}

/** A real SMTP server on loopback; `reject = true` answers MAIL FROM with 451 (try later). */
export async function smtpSink() {
  const sink = { messages: [], rejected: 0, reject: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, _session, cb) {
      if (sink.reject) {
        sink.rejected++;
        const e = new Error('mailbox busy, try again later');
        e.responseCode = 451;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c) => (raw += c));
      stream.on('end', () => {
        sink.messages.push({ to: session.envelope.rcptTo.map((r) => r.address), from: session.envelope.mailFrom.address, raw });
        cb();
      });
    },
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  sink.port = server.server.address().port;
  sink.to = (address) => sink.messages.filter((m) => m.to.includes(address));
  sink.close = () => new Promise((r) => server.close(r));
  return sink;
}

/** The databases to run against: SQLite always, PostgreSQL when CREDIT_METER_TEST_POSTGRES_URL is set (CI sets it). */
export function backends() {
  const out = [{ name: 'sqlite', database: (dir) => `sqlite:${path.join(dir, 'ledger.sqlite')}` }];
  const url = process.env.CREDIT_METER_TEST_POSTGRES_URL;
  if (url) {
    out.push({
      name: 'postgres',
      database: () => {
        const db = `cm_payments_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
        execFileSync('psql', [url, '-q', '-c', `CREATE DATABASE ${db}`]);
        return `${url.slice(0, url.lastIndexOf('/'))}/${db}`;
      },
    });
  } else if (process.env.CI) {
    throw new Error('CI is set but CREDIT_METER_TEST_POSTGRES_URL is not: start scripts/postgres.sh and export it');
  } else {
    console.log('# CREDIT_METER_TEST_POSTGRES_URL is unset: PostgreSQL not tested here (CI sets it)');
  }
  return out;
}

/** A temp dir with the secrets' files. */
export function workDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cm-payments-${name}-`));
  for (const [f, v] of [['jwt', JWT_SECRET], ['admin', ADMIN_TOKEN], ['sk', STRIPE_KEY], ['whsec', WEBHOOK_SECRET]]) {
    fs.writeFileSync(path.join(dir, f), `${v}\n`, { mode: 0o600 });
  }
  return dir;
}

/** Each device's last mutation seq, per database and account (kept across restarts). */
const SEQS = new Map();

/** Starts the service; resolves once it listens. */
export async function startLedger({ dir, database, stripeBase, smtpPort, extra = [] }) {
  const args = ['serve', '--addr', '127.0.0.1:0', '--database', database, '--key-file', path.join(dir, 'keys.json'),
    '--jwt-hs256-secret-file', path.join(dir, 'jwt'), '--admin-token-file', path.join(dir, 'admin'),
    '--stripe-api-base', stripeBase, '--stripe-secret-key-file', path.join(dir, 'sk'),
    '--stripe-webhook-secret-file', path.join(dir, 'whsec'), '--email-buy-url', 'https://app.example/buy', ...extra];
  if (smtpPort) args.push('--smtp-url', `smtp://127.0.0.1:${smtpPort}`);
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'info' } });
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr += c));
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`the ledger exited (${code}): ${stderr}`)));
  });
  const base = line.match(/http:\/\/[^/ ]+/)[0];
  const ledger = {
    proc,
    base,
    stderr: () => stderr,
    async post(route, body, token) {
      const res = await fetch(base + route, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    },
    async webhook(payload, header) {
      const headers = { 'content-type': 'application/json' };
      if (header) headers['stripe-signature'] = header;
      const res = await fetch(`${base}/v1/webhooks/stripe`, { method: 'POST', headers, body: payload });
      return { status: res.status, json: await res.json() };
    },
    async admin(cmd) {
      const r = await ledger.post('/v1/admin', cmd, ADMIN_TOKEN);
      if (!r.json.ok) throw new Error(`admin ${JSON.stringify(cmd)}: ${JSON.stringify(r.json)}`);
      return r.json.result;
    },
    async balance(account) {
      const res = await fetch(`${base}/v1/state?account=${account}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()).balance;
    },
    async outbox() {
      const res = await fetch(`${base}/v1/admin/outbox`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return res.json();
    },
    /** Spends `amount` credits with a reserve and a commit from device `d1` (token claims in `claims`). */
    async spend(account, amount, claims = {}) {
      const key = `${database}|${account}`;
      const seq = (SEQS.get(key) ?? 0) + 1;
      SEQS.set(key, seq + 1);
      const hold = `d1:h${seq}`;
      const mutations = [
        { type: 'reserve', seq, at: 0, holdId: hold, amount: String(amount), operation: 'flashcards.generate' },
        { type: 'commit', seq: seq + 1, at: 0, holdId: hold, amount: String(amount) },
      ];
      const r = await ledger.post('/v1/push', { v: 2, accountId: account, deviceId: 'd1', mutations }, deviceToken(account, claims));
      const statuses = (r.json.results ?? []).map((x) => x.status);
      if (r.status !== 200 || statuses.join() !== 'applied,applied') throw new Error(`spend ${amount} on ${account}: ${JSON.stringify(r.json)}`);
    },
    kill9() {
      proc.kill('SIGKILL');
      return new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r() : proc.once('exit', r)));
    },
  };
  return ledger;
}

/** Waits until `check()` is truthy (polling; fails after `ms`). */
export async function until(what, check, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
