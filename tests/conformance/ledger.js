// Independent conformance ledger, written from docs/PROTOCOL.md (version 2) alone.
//
// It MUST stay independent of crates/: no import of the reference ledger
// (crates/ledger), its Wasm package (pkg-ledger) or anything generated from them. Its
// only source of truth is the document, so when the client disagrees with it, either the
// client or the document is wrong — never "the reference does it that way". Where the
// document leaves a choice (admin commands) this ledger takes the simplest one and says so.
//
// What it implements: §2 Ed25519 envelopes; §3 snapshot payloads (grants in the §6.4
// consumption order); §6.1 fingerprints, duplicates, conflicts and gaps; §6.2–6.4
// reserve, release and commit with vouching and the over-hold rule; §6.5 overdraft,
// settlement and the offline and account limits; §6.6 expiry and a clock that never runs
// backwards per account; §6.8 which defects refuse a whole request and which refuse one
// mutation; §12 usage in allowance units (reserve and commit with `unit`, the rate of
// §12.2, `onShortfall`, agents and their cycles). Transport (§5.0 HTTP) is left to the
// caller: `handle(kind, body)` answers one push or pull body with a response object.
//
// Where §12 leaves a ledger-side choice no client can observe, this ledger takes one and
// the tests avoid depending on it: the place of the unit checks in §6.8's order (with the
// zero amount), a `unit` that is not a string (BAD_REQUEST), no vouched credits when an
// open unit hold's draw falls short (§12.4 names them for an expired hold only), and
// `cycleCredits` counting a credit commit's amount (a unit commit counts only its units).
// Since then §6.8, §12.4 and §12.6 name all four (the order of the unit checks, the
// non-string `unit`, no vouching for an open unit hold, what counts toward `cycleCredits`)
// and this ledger follows them.
//
// Test hooks: `payloadHook(payload) -> text` and `envelopeHook(envelope) -> envelope`
// tamper with what is signed or sent; `rotate(kid, key)` switches the signing key.
import crypto from 'node:crypto';
import { parseStrict, seqOf, instantOf, isObject } from './json.js';
import { parseMoney, fmt, min, max, M, ONE } from './money.js';
import { unitsOf, creditsOf } from './units.js';

/** The allowance units §12 defines (§12.1). */
const UNITS = ['llmTokens', 'ttsCharacters'];

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

  /**
   * A new account. §12: `allowances` is the policy's list, `[{ kind, unitsPerCredit,
   * onShortfall }]` (without `unitsPerCredit`: a kind the ledger takes no usage in, as a
   * ledger before §12 lists it), `creditStep` the conversions' step; `agents`, when given
   * (possibly `[]`), makes the policy one with agents (§12.6): `[{ id, status, cycleEnd }]`.
   */
  createAccount(id, { lowBalance = [], allowances = [], creditStep = '0.001', agents } = {}) {
    // §6.6: a new account starts at version 1 (any counter would do).
    const a = { id, grants: [], holds: new Map(), devices: new Map(), version: 1, clock: -Infinity, lowBalance };
    a.allowances = new Map(
      allowances.map((x) => [x.kind, { kind: x.kind, remaining: BigInt(x.remaining ?? 0), rate: x.unitsPerCredit == null ? null : M(x.unitsPerCredit), onShortfall: x.onShortfall ?? 'convert' }]),
    );
    a.creditStep = M(creditStep);
    a.agents = agents === undefined ? null : new Map();
    for (const g of agents ?? []) this.addAgent(a, g);
    this.accounts.set(id, a);
    return a;
  }

  addAgent(a, { id, status = 'active', cycleEnd }) {
    a.agents.set(id, { id, status, cycleEnd, cycleCredits: 0n, cycleLlmTokens: 0n, cycleTtsCharacters: 0n });
  }

  /** Admin (§12.6): an agent stops (could not pay its renewal) or is reactivated. */
  setAgentStatus(accountId, id, status) {
    const a = this.accounts.get(accountId);
    this.clockOf(a);
    a.agents.get(id).status = status;
    a.version++;
  }

  /** Admin (§12 intro): converts `credits` into units of allowance `kind` at its rate (§12.2). */
  convert(accountId, kind, credits) {
    const a = this.accounts.get(accountId);
    const t = this.clockOf(a);
    this.expire(a, t);
    const c = M(credits);
    if (c > this.spendable(a, t)) throw new Error('not enough spendable credits to convert');
    this.draw(a, t, c);
    const al = a.allowances.get(kind);
    al.remaining += unitsOf(c, al.rate);
    a.version++;
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
  /** §12.1: units of allowance `kind` set aside by all open unit holds, every device's. */
  heldUnits(a, t, kind) {
    return this.openHolds(a, t).reduce((s, h) => (h.unit === kind ? s + h.units : s), 0n);
  }
  /** §12.1: free units = remaining − held. */
  freeUnits(a, t, kind) {
    return max(0n, a.allowances.get(kind).remaining - this.heldUnits(a, t, kind));
  }
  /** An allowance this ledger takes usage in (§12.1: the one it lists with `unitsPerCredit`). */
  acceptedUnit(a, unit) {
    const al = a.allowances.get(unit);
    return al && al.rate !== null ? al : null;
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
    // §6.8: a unit that is neither of the two, or a fractional number of units, is
    // BAD_INPUT before the hold is looked up (also for an unknown hold), the hold untouched.
    if (m.type === 'commit' && m.unit !== undefined && (!UNITS.includes(m.unit) || m.amount % ONE !== 0n)) return { status: 'refused', code: 'BAD_INPUT' };
    const h = a.holds.get(m.holdId);
    if (!h || h.device !== d.id) return { status: 'refused', code: 'NOT_FOUND' };
    if (m.type === 'release') return this.release(h);
    // §6.8: a commit without unit of a hold reserved in units is BAD_INPUT whatever its state,
    // unless it is an expired hold a commit already settled (the ledger forgot its device).
    if (m.unit === undefined && h.unit !== undefined && h.state !== 'settled') return { status: 'refused', code: 'BAD_INPUT' };
    // §12.4: a commit whose unit is not the hold's. The ledger keeps no unit for a refused
    // reserve, so there the commit's own unit says how its amount is read, and the policy
    // must have that allowance.
    if ((h.state === 'open' || h.state === 'expired') && h.unit !== m.unit) return { status: 'refused', code: 'BAD_INPUT' };
    if (h.state === 'refused' && m.unit !== undefined && !this.acceptedUnit(a, m.unit)) return { status: 'refused', code: 'BAD_INPUT' };
    const res = m.unit === undefined ? this.commit(a, d, h, m.amount, t) : this.commitUnits(a, d, h, m.unit, m.amount / ONE, t);
    return res;
  }

  /** §12.6: an active agent of the account; without agents in the policy, none is. */
  activeAgent(a, id) {
    const g = id === undefined ? undefined : a.agents?.get(id);
    return g && g.status === 'active' ? g : null;
  }

  reserve(a, d, m, t) {
    const prefix = d.id + ':';
    if (!m.holdId.startsWith(prefix) || !suffixOk(m.holdId.slice(prefix.length))) return { status: 'refused', code: 'BAD_INPUT' };
    // §1: `operation` and `agentId` at most 200 bytes of UTF-8; judged with the hold id's form.
    const bytes = (s) => Buffer.byteLength(s, 'utf8');
    if (bytes(m.operation) > 200 || (m.agentId !== undefined && bytes(m.agentId) > 200)) return { status: 'refused', code: 'BAD_INPUT' };
    // §6.2: a placed hold's id is never reused, nor a remembered refused reserve's; one
    // forgotten (committed or released) is judged like a new hold id.
    const prior = a.holds.get(m.holdId);
    if (prior && prior.state !== 'forgotten') return { status: 'refused', code: 'DUPLICATE_ID' };
    // From here on every refusal is remembered as a refused reserve (§6.2), with its
    // operation only (§12.4 step 3).
    const hold = { id: m.holdId, device: d.id, amount: m.amount, operation: m.operation, expiresAt: t + this.holdTtlMs, state: 'refused' };
    a.holds.set(m.holdId, hold);
    if (m.amount === 0n) return { status: 'refused', code: 'BAD_INPUT' };
    // §12.3: `unit` names an allowance of the policy, `amount` a whole 1 ≤ n ≤ 10^15 (the
    // zero amount is refused above; above 10^15 the push was BAD_REQUEST, §6.8), judged at
    // the zero amount's place (§6.8).
    if (m.unit !== undefined && (!this.acceptedUnit(a, m.unit) || m.amount % ONE !== 0n)) return { status: 'refused', code: 'BAD_INPUT' };
    const spendable = this.spendable(a, t);
    // §6.8, §12.6: an agent that is not an active agent of the account (without agents, none is).
    if (m.agentId !== undefined && !this.activeAgent(a, m.agentId)) return { status: 'refused', code: 'AGENT_INACTIVE' };
    if (m.unit !== undefined) {
      const al = a.allowances.get(m.unit);
      const n = m.amount / ONE;
      const reserved = min(n, this.freeUnits(a, t, m.unit));
      let credits = 0n;
      if (n > reserved) {
        if (al.onShortfall === 'refuse') return { status: 'refused', code: 'INSUFFICIENT_ALLOWANCE' };
        credits = creditsOf(n - reserved, al.rate, a.creditStep);
        if (credits > spendable) return { status: 'refused', code: 'INSUFFICIENT_CREDITS' };
      }
      Object.assign(hold, { amount: credits, unit: m.unit, units: reserved });
    } else if (m.amount > spendable) return { status: 'refused', code: 'INSUFFICIENT_CREDITS' };
    hold.agentId = m.agentId;
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
      // §6.4, §12.6: grants gone under the hold, or its agent no longer active: the hold
      // is released and the whole x charged with up to the hold's amount vouched.
      const agent = this.activeAgent(a, h.agentId);
      if (holdPart > this.spendable(a, t) || (h.agentId !== undefined && !agent)) {
        h.state = 'released';
        return { status: 'applied', ...this.charge(a, d, t, x, h.amount) };
      }
      this.draw(a, t, holdPart);
      // §12.6: only the part drawn within an open hold counts toward the agent's cycle.
      if (agent) agent.cycleCredits += holdPart;
      if (x === holdPart) return { status: 'applied', charged: x, overdraft: 0n, unpaid: 0n };
      const excess = this.charge(a, d, t, x - holdPart, 0n);
      return { status: 'applied', ...excess, charged: holdPart + excess.charged };
    }
    if (h.state === 'expired') return (h.state = 'settled'), { status: 'applied', ...this.charge(a, d, t, x, h.amount) };
    // §6.2: a refused reserve is forgotten once committed (its hold id may be reserved anew).
    if (h.state === 'refused') return (h.state = 'forgotten'), { status: 'applied', ...this.charge(a, d, t, x, 0n) };
    return { status: 'refused', code: 'NOT_FOUND' };
  }

  /**
   * §12.4: a commit of `u` units of allowance `unit` on this device's hold `h`: the hold is
   * closed (open), or settled once (expired: its credits vouched; refused: nothing vouched),
   * then the units are drawn.
   */
  commitUnits(a, d, h, unit, u, t) {
    const agent = h.state === 'open' || h.state === 'expired' ? this.activeAgent(a, h.agentId) : null;
    let vouchable;
    if (h.state === 'open') {
      h.state = agent || h.agentId === undefined ? 'committed' : 'released';
      // §12.4 step 1 names no vouched credits (step 2 does, for an expired hold): the hold's
      // credits are given back and spendable again, so nothing is vouched. (A client cannot
      // observe the difference but through a later snapshot's offlineLimit.)
      vouchable = 0n;
    } else if (h.state === 'expired') {
      h.state = 'settled';
      vouchable = h.amount;
    } else if (h.state === 'refused') {
      h.state = 'forgotten'; // §6.2: as a credit commit of a refused reserve
      vouchable = 0n;
    } else return { status: 'refused', code: 'NOT_FOUND' };
    const { drawn, ...amounts } = this.drawUnits(a, d, t, unit, u, vouchable);
    if (agent) agent[unit === 'llmTokens' ? 'cycleLlmTokens' : 'cycleTtsCharacters'] += drawn;
    return { status: 'applied', ...amounts };
  }

  /** §12.4 "Drawing u units", with `f` the free units once the hold is closed. */
  drawUnits(a, d, t, unit, u, vouchable) {
    const al = a.allowances.get(unit);
    const f = this.freeUnits(a, t, unit);
    if (u <= f) {
      al.remaining -= u;
      return { drawn: u, charged: 0n, overdraft: 0n, unpaid: 0n };
    }
    const need = creditsOf(u - f, al.rate, a.creditStep);
    if (need <= this.spendable(a, t)) {
      this.draw(a, t, need);
      al.remaining += unitsOf(need, al.rate);
      al.remaining -= u;
      return { drawn: u, charged: need, overdraft: 0n, unpaid: 0n };
    }
    al.remaining -= f;
    return { drawn: f, ...this.charge(a, d, t, need, vouchable) };
  }

  /** §6.1: a hash of everything but `seq`, amounts by value. */
  fingerprint(m) {
    const canon = [m.type, m.id ?? null, m.at.toString(), m.holdId, m.amount == null ? null : fmt(m.amount), m.operation ?? null, m.agentId ?? null, m.unit ?? null];
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
      allowances: [...a.allowances.values()].map((al) => {
        const o = { kind: al.kind, remaining: Number(al.remaining), held: Number(this.heldUnits(a, t, al.kind)) };
        if (al.rate !== null) Object.assign(o, { unitsPerCredit: fmt(al.rate), onShortfall: al.onShortfall });
        return o;
      }),
      holds: open
        .filter((h) => h.device === d.id)
        .map((h) => {
          const o = { id: h.id, amount: fmt(h.amount), expiresAt: h.expiresAt };
          if (h.unit !== undefined) Object.assign(o, { unit: h.unit, units: Number(h.units) });
          return o;
        }),
      lastMutationSeq: d.last,
      offlineLimit: fmt(min(deviceRoom, accountRoom)),
      lowBalance: a.lowBalance,
      holdTtlMs: this.holdTtlMs,
      // §12.1: present whenever any allowance has `unitsPerCredit`; §12.6: whenever the policy has agents.
      ...([...a.allowances.values()].some((al) => al.rate !== null) ? { creditStep: fmt(a.creditStep) } : {}),
      ...(a.agents
        ? {
            agents: [...a.agents.values()].map((g) => ({
              id: g.id,
              status: g.status,
              cycleEnd: g.cycleEnd,
              cycleCredits: fmt(g.cycleCredits),
              cycleLlmTokens: Number(g.cycleLlmTokens),
              cycleTtsCharacters: Number(g.cycleTtsCharacters),
            })),
          }
        : {}),
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
  // §6.8: an `amount` on any type must be strict money; a release has none (§6.1), so there
  // it is an unknown member once its form passed: not kept, not fingerprinted.
  if (x.amount !== undefined) {
    const amount = parseMoney(x.amount);
    if (amount === null) badRequest('amount is not strict money');
    if (x.type !== 'release') m.amount = amount;
  } else if (x.type !== 'release') badRequest('amount missing');
  // §6.1, §6.8: `operation` and `agentId` are a reserve's; on a commit or release they are
  // unknown members, ignored whatever their type.
  if (x.type === 'reserve') {
    if (typeof x.operation !== 'string') badRequest('operation missing or not a string');
    m.operation = x.operation;
  }
  for (const k of x.type === 'reserve' ? ['id', 'agentId'] : ['id']) {
    if (x[k] === null || x[k] === undefined) continue;
    if (typeof x[k] !== 'string') badRequest(k + ' must be a string');
    m[k] = x[k];
  }
  // §1.2, §6.8, §12: `unit` on a reserve or commit; `null` is absent, anything else that is
  // not a string refuses the push. On a release it is an unknown member: ignored.
  if (x.unit !== undefined && x.unit !== null && x.type !== 'release') {
    if (typeof x.unit !== 'string') badRequest('unit must be a string');
    m.unit = x.unit;
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
