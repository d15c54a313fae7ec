// Independent conformance ledger, written from docs/PROTOCOL.md (version 2) alone.
//
// It MUST stay independent of crates/: no import of the reference ledger
// (crates/ledger), its Wasm package (pkg-ledger) or anything generated from them. Its
// only source of truth is the document, so when the client disagrees with it, either the
// client or the document is wrong — never "the reference does it that way". Where the
// document leaves a choice (admin commands, agents) this ledger takes the simplest one and
// says so.
//
// What it implements: §2 Ed25519 envelopes; §3 snapshot payloads (grants in the §6.4
// consumption order); §6.1 fingerprints, duplicates, conflicts and gaps; §6.2–6.4
// reserve, release and commit with vouching and the over-hold rule; §6.5 overdraft,
// settlement and the offline and account limits; §6.6 expiry and a clock that never runs
// backwards per account; §6.8 which defects refuse a whole request and which refuse one
// mutation. Transport (§5.0 HTTP) is left to the caller: `handle(kind, body)` answers
// one push or pull body with a response object.
//
// Test hooks: `payloadHook(payload) -> text` and `envelopeHook(envelope) -> envelope`
// tamper with what is signed or sent; `rotate(kid, key)` switches the signing key.
import crypto from 'node:crypto';
import { parseStrict, seqOf, instantOf, isObject } from './json.js';
import { parseMoney, fmt, min, max, M } from './money.js';

/** §2.2: the domain separation prefix of the signature input. */
const DOMAIN = Buffer.from('credit-meter/snapshot/v1\n', 'ascii');
const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_BODY = 32 * 1024 * 1024;
const MAX_BATCH = 10000;
const b64u = (buf) => Buffer.from(buf).toString('base64url');

/** An Ed25519 key from a 32-byte hex seed (§10). */
export function keyFromSeed(seedHex) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  const priv = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { priv, pub: crypto.createPublicKey(priv).export({ format: 'jwk' }).x };
}

export function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return { priv: privateKey, pub: crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x };
}

/** §2.1/§2.2: signs the payload text's UTF-8 bytes behind the domain prefix. */
export function signEnvelope(kid, priv, payloadText) {
  const payload = Buffer.from(payloadText, 'utf8');
  const sig = crypto.sign(null, Buffer.concat([DOMAIN, payload]), priv);
  return { v: 1, alg: 'Ed25519', kid, payload: b64u(payload), sig: b64u(sig) };
}

/** §1: the id rule for account and device ids. */
export function validId(s) {
  if (typeof s !== 'string') return false;
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) return false;
  const n = Buffer.byteLength(s, 'utf8');
  if (n < 1 || n > 128) return false;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x61c || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
  }
  return true;
}

/** §1: a mutation id or hold-id suffix is 1 to 64 base64url characters. */
const suffixOk = (s) => typeof s === 'string' && s.length >= 1 && s.length <= 64 && B64URL.test(s);

class RequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const badRequest = (m) => {
  throw new RequestError('BAD_REQUEST', m);
};

/** §6.4 consumption order: higher priority, soonest expiry, granted before paid, oldest, id bytes. */
function consumptionOrder(x, y) {
  if (x.priority !== y.priority) return y.priority - x.priority;
  const ex = x.expiresAt ?? Infinity;
  const ey = y.expiresAt ?? Infinity;
  if (ex !== ey) return ex < ey ? -1 : 1;
  const px = x.kind === 'purchase' ? 1 : 0;
  const py = y.kind === 'purchase' ? 1 : 0;
  if (px !== py) return px - py;
  if (x.effectiveAt !== y.effectiveAt) return x.effectiveAt - y.effectiveAt;
  return Buffer.compare(Buffer.from(x.id, 'utf8'), Buffer.from(y.id, 'utf8'));
}

export class Ledger {
  constructor({
    kid = 'ledger-2026-01',
    key = newKey(),
    now = () => Date.now(),
    holdTtlMs = 600000,
    snapshotTtlMs = 300000,
    offlineLimit = '50',
    accountOverdraftLimit = '200',
  } = {}) {
    this.keys = { [kid]: key };
    this.kid = kid;
    this.now = now;
    this.holdTtlMs = holdTtlMs;
    this.snapshotTtlMs = snapshotTtlMs;
    this.offlineLimit = M(offlineLimit);
    this.accountOverdraftLimit = M(accountOverdraftLimit);
    this.accounts = new Map();
    this.payloadHook = null;
    this.envelopeHook = null;
  }

  publicKeys() {
    return Object.fromEntries(Object.entries(this.keys).map(([k, v]) => [k, v.pub]));
  }

  rotate(kid, key = newKey()) {
    this.keys[kid] = key;
    this.kid = kid;
  }

  // ---- admin: PROTOCOL.md specifies none; the tests call these directly ----

  createAccount(id, { lowBalance = [] } = {}) {
    // §6.6: a new account starts at version 1 (any counter would do).
    const a = { id, grants: [], holds: new Map(), devices: new Map(), version: 1, clock: -Infinity, lowBalance };
    this.accounts.set(id, a);
    return a;
  }

  grant(accountId, { id, kind = 'purchase', amount, expiresAt, priority = 0, refundableUntil }) {
    const a = this.accounts.get(accountId);
    const t = this.clockOf(a);
    this.expire(a, t);
    a.grants.push({ id, kind, remaining: M(amount), expiresAt, priority, refundableUntil, effectiveAt: t });
    a.version++;
    this.settle(a, t);
  }

  /** Spends credits outside the protocol (another product of the vendor), as an admin debit. */
  debit(accountId, amount) {
    const a = this.accounts.get(accountId);
    const t = this.clockOf(a);
    this.expire(a, t);
    this.draw(a, t, M(amount));
    a.version++;
  }

  // ---- state ----

  /** §6.6: the account's clock never runs backwards. */
  clockOf(a) {
    a.clock = Math.max(a.clock, this.now());
    return a.clock;
  }

  device(a, id) {
    let d = a.devices.get(id);
    if (!d) {
      d = { id, last: 0, fingerprints: new Map(), vouched: 0n, unvouched: 0n, limit: this.offlineLimit };
      a.devices.set(id, d);
      a.version++;
    }
    return d;
  }

  usable(a, t) {
    return a.grants.filter((g) => g.remaining > 0n && g.effectiveAt <= t && (g.expiresAt == null || t < g.expiresAt));
  }
  ordered(a, t) {
    return this.usable(a, t).sort(consumptionOrder);
  }
  balance(a, t) {
    return this.usable(a, t).reduce((s, g) => s + g.remaining, 0n);
  }
  openHolds(a, t) {
    return [...a.holds.values()].filter((h) => h.state === 'open' && t < h.expiresAt);
  }
  spendable(a, t) {
    return max(0n, this.balance(a, t) - this.openHolds(a, t).reduce((s, h) => s + h.amount, 0n));
  }
  /** Draws `y` (at most the balance) from the grants in consumption order. */
  draw(a, t, y) {
    for (const g of this.ordered(a, t)) {
      if (y === 0n) break;
      const d = min(g.remaining, y);
      g.remaining -= d;
      y -= d;
    }
    if (y !== 0n) throw new Error('draw beyond the balance');
  }
  accountOverdraft(a) {
    let s = 0n;
    for (const d of a.devices.values()) s += d.unvouched + d.vouched;
    return s;
  }

  /** §6.6: records hold and grant expiries due at `t`. */
  expire(a, t) {
    let changed = false;
    for (const h of a.holds.values()) {
      if (h.state === 'open' && t >= h.expiresAt) {
        h.state = 'expired';
        changed = true;
      }
    }
    for (const g of a.grants) {
      if (!g.dead && g.remaining > 0n && g.expiresAt != null && t >= g.expiresAt) {
        g.dead = true;
        changed = true;
      }
    }
    if (changed) a.version++;
  }

  /** §6.5: settles outstanding overdraft from spendable credits, devices in id-byte order, vouched first. */
  settle(a, t) {
    let changed = false;
    const devices = [...a.devices.values()].sort((x, y) => Buffer.compare(Buffer.from(x.id), Buffer.from(y.id)));
    for (const d of devices) {
      for (const part of ['vouched', 'unvouched']) {
        const s = min(d[part], this.spendable(a, t));
        if (s > 0n) {
          this.draw(a, t, s);
          d[part] -= s;
          changed = true;
        }
      }
    }
    if (changed) a.version++;
  }

  /** §6.4 "To charge y credits": spendable, then vouched and unvouched overdraft within the rooms, then unpaid. */
  charge(a, d, t, y, vouchable) {
    const covered = min(y, this.spendable(a, t));
    if (covered > 0n) this.draw(a, t, covered);
    let rest = y - covered;
    let accountRoom = max(0n, this.accountOverdraftLimit - this.accountOverdraft(a));
    const vouched = min(min(rest, vouchable), accountRoom);
    rest -= vouched;
    accountRoom -= vouched;
    const unvouched = min(min(rest, max(0n, d.limit - d.unvouched)), accountRoom);
    rest -= unvouched;
    d.vouched += vouched;
    d.unvouched += unvouched;
    return { charged: covered, overdraft: vouched + unvouched, unpaid: rest };
  }

  // ---- §6.2–6.4, with §6.8's order of per-mutation refusals ----

  apply(a, d, m, t) {
    if (m.id !== undefined && !suffixOk(m.id)) return { status: 'refused', code: 'BAD_INPUT' };
    if (m.type === 'reserve') return this.reserve(a, d, m, t);
    const h = a.holds.get(m.holdId);
    if (!h || h.device !== d.id) return { status: 'refused', code: 'NOT_FOUND' };
    return m.type === 'release' ? this.release(h) : this.commit(a, d, h, m.amount, t);
  }

  reserve(a, d, m, t) {
    const prefix = d.id + ':';
    if (!m.holdId.startsWith(prefix) || !suffixOk(m.holdId.slice(prefix.length))) return { status: 'refused', code: 'BAD_INPUT' };
    if (a.holds.has(m.holdId)) return { status: 'refused', code: 'DUPLICATE_ID' };
    if (m.amount === 0n) return { status: 'refused', code: 'BAD_INPUT' };
    const spendable = this.spendable(a, t);
    const hold = { id: m.holdId, device: d.id, amount: m.amount, operation: m.operation, expiresAt: t + this.holdTtlMs, state: 'refused' };
    a.holds.set(m.holdId, hold); // a refused reserve is remembered too (§6.2)
    // This ledger has no agents, so every agent is inactive (§6.8).
    if (m.agentId !== undefined) return { status: 'refused', code: 'AGENT_INACTIVE' };
    if (m.amount > spendable) return { status: 'refused', code: 'INSUFFICIENT_CREDITS' };
    hold.state = 'open';
    return { status: 'applied' };
  }

  release(h) {
    if (h.state === 'open') return (h.state = 'released'), { status: 'applied' };
    if (h.state === 'expired') return { status: 'applied' }; // §6.3: changes nothing, does not settle
    if (h.state === 'refused') return (h.state = 'forgotten'), { status: 'applied' };
    return { status: 'refused', code: 'NOT_FOUND' };
  }

  commit(a, d, h, x, t) {
    if (h.state === 'open') {
      h.state = 'committed';
      const holdPart = min(x, h.amount);
      if (holdPart > this.spendable(a, t)) return { status: 'applied', ...this.charge(a, d, t, x, h.amount) };
      this.draw(a, t, holdPart);
      if (x === holdPart) return { status: 'applied', charged: x, overdraft: 0n, unpaid: 0n };
      const excess = this.charge(a, d, t, x - holdPart, 0n);
      return { status: 'applied', ...excess, charged: holdPart + excess.charged };
    }
    if (h.state === 'expired') return (h.state = 'settled'), { status: 'applied', ...this.charge(a, d, t, x, h.amount) };
    if (h.state === 'refused') return (h.state = 'settled'), { status: 'applied', ...this.charge(a, d, t, x, 0n) };
    return { status: 'refused', code: 'NOT_FOUND' };
  }

  /** §6.1: a hash of everything but `seq`, amounts by value. */
  fingerprint(m) {
    const canon = [m.type, m.id ?? null, m.at.toString(), m.holdId, m.amount == null ? null : fmt(m.amount), m.operation ?? null, m.agentId ?? null];
    return crypto.createHash('sha256').update('mutation\n' + JSON.stringify(canon)).digest('hex');
  }

  // ---- §6.8 whole-request checks ----

  parseRequest(body, isPush) {
    if (typeof body !== 'string' || Buffer.byteLength(body, 'utf8') > MAX_BODY) badRequest('body too large');
    let r;
    try {
      r = parseStrict(body);
    } catch (e) {
      badRequest('request is not strict JSON: ' + e.message);
    }
    if (!isObject(r)) badRequest('request is not an object');
    if (r.v?.text !== '2') badRequest('v must be 2');
    if (typeof r.accountId !== 'string') badRequest('accountId must be a string');
    if (!validId(r.deviceId) || r.deviceId.includes(':')) badRequest('bad device id');
    const out = { accountId: r.accountId, deviceId: r.deviceId, mutations: [] };
    if (!isPush) return out;
    if (!Array.isArray(r.mutations)) badRequest('mutations must be an array');
    if (r.mutations.length > MAX_BATCH) badRequest('more than ' + MAX_BATCH + ' mutations');
    for (const x of r.mutations) out.mutations.push(parseMutation(x));
    return out;
  }

  /** Answers one push or pull body (§5.2–5.4) with a response object. */
  handle(kind, body) {
    try {
      const req = this.parseRequest(body, kind === 'push');
      const a = this.accounts.get(req.accountId);
      if (!a) throw new RequestError('UNKNOWN_ACCOUNT', 'unknown account');
      const t = this.clockOf(a);
      this.expire(a, t);
      const d = this.device(a, req.deviceId);
      const results = [];
      let broken = false;
      for (const m of req.mutations) {
        const fp = this.fingerprint(m);
        const head = m.id === undefined ? { seq: m.seq } : { seq: m.seq, id: m.id };
        const known = d.fingerprints.get(fp);
        if (known) results.push({ ...head, status: 'duplicate', original: known.status, ...rest(known) });
        else if (broken) results.push({ ...head, status: 'gap', code: 'SEQ_GAP' });
        else if (m.seq <= d.last) (broken = true), results.push({ ...head, status: 'conflict', code: 'SEQ_CONFLICT' });
        else if (m.seq > d.last + 1) (broken = true), results.push({ ...head, status: 'gap', code: 'SEQ_GAP' });
        else {
          const res = this.apply(a, d, m, t);
          d.last = m.seq;
          d.fingerprints.set(fp, res);
          a.version++;
          results.push({ ...head, status: res.status, ...rest(res) });
        }
      }
      this.settle(a, t);
      return { v: 2, snapshot: this.snapshot(a, d, t), results };
    } catch (e) {
      if (!(e instanceof RequestError)) throw e;
      return { v: 2, error: { code: e.code, message: e.message } };
    }
  }

  /** §3: the payload for device `d` at `t`. */
  payload(a, d, t) {
    const grants = this.ordered(a, t).map((g) => {
      const o = { id: g.id, kind: g.kind, remaining: fmt(g.remaining), priority: g.priority };
      if (g.expiresAt != null) o.expiresAt = g.expiresAt;
      if (g.refundableUntil != null) o.refundableUntil = g.refundableUntil;
      return o;
    });
    const open = this.openHolds(a, t);
    const deviceRoom = max(0n, d.limit - d.unvouched);
    const accountRoom = max(0n, this.accountOverdraftLimit - this.accountOverdraft(a));
    return {
      accountId: a.id,
      deviceId: d.id,
      seq: a.version,
      issuedAt: t,
      expiresAt: t + this.snapshotTtlMs,
      balance: fmt(this.balance(a, t)),
      held: fmt(open.reduce((s, h) => s + h.amount, 0n)),
      grants,
      allowances: [],
      holds: open.filter((h) => h.device === d.id).map((h) => ({ id: h.id, amount: fmt(h.amount), expiresAt: h.expiresAt })),
      lastMutationSeq: d.last,
      offlineLimit: fmt(min(deviceRoom, accountRoom)),
      lowBalance: a.lowBalance,
      holdTtlMs: this.holdTtlMs,
    };
  }

  snapshot(a, d, t) {
    const p = this.payload(a, d, t);
    const text = this.payloadHook ? this.payloadHook(p) : JSON.stringify(p);
    const env = signEnvelope(this.kid, this.keys[this.kid].priv, text);
    return this.envelopeHook ? this.envelopeHook(env) : env;
  }

  /** Test helper: the payload device `deviceId` would get now, without recording anything. */
  view(accountId, deviceId) {
    const a = this.accounts.get(accountId);
    const t = Math.max(a.clock, this.now());
    return this.payload(a, a.devices.get(deviceId) ?? { id: deviceId, last: 0, vouched: 0n, unvouched: 0n, limit: this.offlineLimit }, t);
  }
}

/** §6.8: one mutation's shape; any defect refuses the whole push. */
function parseMutation(x) {
  if (!isObject(x)) badRequest('a mutation is not an object');
  if (!['reserve', 'commit', 'release'].includes(x.type)) badRequest('mutation type missing or unknown');
  const seq = seqOf(x.seq);
  if (seq === null) badRequest('bad seq');
  const at = instantOf(x.at);
  if (at === null) badRequest('bad at');
  if (typeof x.holdId !== 'string') badRequest('holdId must be a string');
  const m = { type: x.type, seq, at, holdId: x.holdId };
  if (x.amount !== undefined) {
    m.amount = parseMoney(x.amount);
    if (m.amount === null) badRequest('amount is not strict money');
  } else if (x.type !== 'release') badRequest('amount missing');
  if (x.operation !== undefined && typeof x.operation !== 'string') badRequest('operation must be a string');
  if (x.type === 'reserve') {
    if (x.operation === undefined) badRequest('operation missing');
    m.operation = x.operation;
  }
  for (const k of ['id', 'agentId']) {
    if (x[k] === null || x[k] === undefined) continue;
    if (typeof x[k] !== 'string') badRequest(k + ' must be a string');
    m[k] = x[k];
  }
  return m;
}

/** A result's code and amounts, written as money strings. */
function rest(r) {
  const o = {};
  if (r.code) o.code = r.code;
  if (r.charged !== undefined) Object.assign(o, { charged: fmt(r.charged), overdraft: fmt(r.overdraft), unpaid: fmt(r.unpaid) });
  return o;
}
