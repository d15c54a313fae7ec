// One account's meter session: opens the Meter with the HTTP host, keeps its events, and
// runs the flows of the page — Generate (estimate → decide → reserve → the AI call →
// commit, or release on failure; www/ai.js says which calls go through the ledger's AI
// proxy and which are simulated), sync, and "tamper" (edit the stored cache, reopen as a
// reload would, and report the detection).

import { Meter, compareAmounts, noteForModel } from "../pkg/credit_meter.js";
import { chatRequest, commitUsage, readAnswer, simulatedAiCall } from "./ai.js";
import { CodedError, meterHost } from "./ledger.js";
import { failedCallCharge } from "./format.js";
import { readable } from "./messages.js";

const LOG_MAX = 60;
/** Exchanges one sync may take to empty the outbox. */
const FLUSH_ROUNDS = 5;
/** How often, and how many times, to look whether the proxy's settlement is committed. */
const SETTLE_POLL_MS = 50;
const SETTLE_POLLS = 200;

/** A Meter opened for one account and device, with its event log. */
export class MeterSession {
  /**
   * Opens the meter. `keys`: the ledger's public keys; `namespace`: a storage prefix
   * (per ledger key, so another ledger never sees this one's cache); `proxy`: whether the
   * ledger runs the AI proxy (credit-paid calls then go through it); `onChange`: called
   * whenever something worth re-rendering happened.
   */
  static async open({ client, accountId, deviceId, keys, namespace, proxy = false, onChange }) {
    const s = new MeterSession(client, accountId, deviceId, keys, namespace, onChange);
    s.proxy = proxy;
    await s.#openMeter();
    return s;
  }

  constructor(client, accountId, deviceId, keys, namespace, onChange) {
    this.client = client;
    this.accountId = accountId;
    this.deviceId = deviceId;
    this.keys = keys;
    this.storageKey = `${namespace}:${accountId}:${deviceId}:meter`;
    this.onChange = onChange;
    /** Whether the ledger runs the AI proxy. */
    this.proxy = false;
    /** Newest first: `{at, type, text, level}`. */
    this.log = [];
    /** The last `cacheDiscarded` event, if any. */
    this.detection = null;
    /** The ledger's last answer to each mutation, by `kind:holdId` (`acknowledged` events). */
    this.acks = new Map();
    this.meter = null;
    this.ownerWaiters = [];
    /** Where the holds of AI calls under way are noted, so that a reload can release them. */
    this.inflightKey = `${this.storageKey}:inflight`;
    /** The holds noted there when this session opened: calls a reload cut short (released
     * once this tab owns the meter and is online), never a call this page starts later. */
    this.heldAtOpen = JSON.parse(localStorage.getItem(this.inflightKey) ?? "[]");
    /** The code of the last failed sync, or null once a sync succeeded (the connection pill). */
    this.syncFailure = null;
    /** When the ledger last answered a sync (ms since 1970), or 0. */
    this.syncedAt = 0;
    /** The last request estimated and its estimate (`quote` reuses it while the request
     * is the same: the page re-renders every second, and a 2 MB note takes 100–170 ms to
     * estimate). */
    this.lastEstimate = null;
  }

  async #openMeter() {
    const host = meterHost(this.client, this.storageKey, (event) => this.#onEvent(event));
    const meter = await Meter.open({ accountId: this.accountId, deviceId: this.deviceId, publicKeys: this.keys, host });
    this.meter = meter;
    if (!meter.isOwner) this.note("warn", "owner", "read-only: another tab owns this meter's sync; this one takes over when it closes");
  }

  /** Whether this tab runs the meter's sync (one tab does, through navigator.locks). */
  get isOwner() {
    return this.meter.isOwner;
  }

  /** Resolves once this tab owns the meter's sync. */
  whenOwner() {
    return this.meter.isOwner ? Promise.resolve() : new Promise((resolve) => this.ownerWaiters.push(resolve));
  }

  #onEvent(event) {
    const text = describeEvent(event);
    if (event.type === "cacheDiscarded") this.detection = event;
    if (event.type === "owner") this.ownerWaiters.splice(0).forEach((resolve) => resolve());
    if (event.type === "acknowledged") this.acks.set(`${event.kind}:${event.holdId}`, event);
    if (event.type === "syncFailed") this.syncFailure = event.code;
    if (event.type === "synced") {
      this.syncFailure = null;
      this.syncedAt = Date.now();
    }
    const level = event.type === "syncFailed" || event.type === "hostError" || event.type === "cacheDiscarded"
      ? "warn" : event.type === "acknowledged" && event.status === "refused" ? "error" : "info";
    const last = this.log[0];
    if (event.type === "syncFailed" && last?.type === "syncFailed") {
      last.text = text; // one line for a run of retries
      last.at = Date.now();
    } else {
      this.note(level, event.type, text);
    }
    this.onChange?.();
  }

  /** Adds a line to the activity log. */
  note(level, type, text) {
    this.log.unshift({ at: Date.now(), type, text, level });
    this.log.length = Math.min(this.log.length, LOG_MAX);
  }

  /** The Meter's balance now. */
  balance() {
    this.meter.takeEvents(); // already seen through onEvent; drop the copies
    return this.meter.status();
  }

  /** Estimate and decision for a request, against the meter's spendable balance. */
  quote(request, byok) {
    const estimate = this.estimate(request);
    const decision = this.meter.decide({ estimate, byok });
    return { estimate, decision };
  }

  /** The estimate of `request`: made again only when the request changed (the decision,
   * which follows the balance, is made each time; it is cheap). */
  estimate(request) {
    const last = this.lastEstimate;
    if (last && sameRequest(last.request, request)) return last.estimate;
    const started = performance.now();
    const estimate = this.meter.estimate(request);
    this.lastEstimate = { request, estimate };
    // On the browser's performance timeline (DevTools), where what the page costs shows.
    performance.measure("credit-meter estimate", { start: started, detail: { chars: (request.note ?? request.text ?? "").length } });
    return estimate;
  }

  /**
   * Pushes what is queued and pulls a fresh snapshot. `meter.sync()` resolves after the
   * next successful exchange, which may be one already under way when a change was
   * queued: sync again (a few rounds at most) until nothing is left in the outbox.
   */
  async sync() {
    let balance = await this.meter.sync();
    for (let round = 1; balance.outbox > 0 && round < FLUSH_ROUNDS; round++) balance = await this.meter.sync();
    return balance;
  }

  /**
   * The request limited to a capped option from `decide` (`decision.capped`): at most
   * `cards` flashcards, or a reply of at most `maxOutputTokens` tokens. Estimating it
   * gives a high estimate the balance covers. A capped note sends only as much of the
   * note as that many cards need — its first lines, as many as the estimate expects to
   * make no more than `cards` cards from — not the whole note: the rest would be paid for
   * as prompt tokens and could never become cards. `partial` says whether it was cut.
   */
  cappedRequest(request, capped) {
    if (capped.cards === null) return { request: { ...request, maxOutputTokens: capped.maxOutputTokens }, partial: false };
    const note = this.#notePart(request, capped.cards);
    return { request: { ...request, note, cards: capped.cards }, partial: note !== request.note };
  }

  /** The longest start of `request.note` (as the model gets it) whose expected cards are
   * at most `cards`: whole lines while the first one fits, else a start of the first line. */
  #notePart(request, cards) {
    const fits = (note) => this.meter.estimate({ ...request, note }).cards.expected <= cards;
    if (fits(request.note)) return request.note;
    const text = noteForModel(request.note);
    const lines = text.split("\n");
    const longest = (lo, hi, part) => { // the largest n in [lo, hi] with fits(part(n)), or lo - 1
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(part(mid))) lo = mid + 1;
        else hi = mid - 1;
      }
      return hi;
    };
    const n = longest(1, lines.length, (k) => lines.slice(0, k).join("\n"));
    if (n >= 1) return lines.slice(0, n).join("\n");
    const chars = [...lines[0]];
    const c = longest(1, chars.length, (k) => chars.slice(0, k).join(""));
    return chars.slice(0, Math.max(c, 1)).join("");
  }

  /**
   * The Generate flow. Resolves with `{outcome, estimate, decision, ai, why?, hold?,
   * made?, credits?, units?, unit?, allowanceFree?, settledBy?, error?}` where outcome is "committed",
   * "released", "byok", "free" or "insufficient"; `ai` is "proxy" (the call went through
   * the ledger's AI proxy) or "simulated" (`why`: the reason); `made`: what the call
   * produced and used (`{cards, inputTokens, outputTokens}`); `credits`: what the ledger
   * charged (the commit's answer; offline, the Meter's own price, still queued);
   * `allowanceFree`: with `unit`, the allowance's units free before the call (0: it was
   * paid in credits). Rejects with the Meter's coded error (e.g. OFFLINE_LIMIT,
   * INSUFFICIENT_CREDITS, TRANSPORT_FAILED: a call through the AI proxy while the server
   * cannot be reached — nothing is reserved then).
   */
  async generate({ request, byok = false, fail = false, agentId = null }) {
    const { estimate, decision } = this.quote(request, byok);
    if (!decision.proceed) return { outcome: decision.funding, estimate, decision };
    if (decision.funding !== "credits") {
      // Own key (straight to the provider, never the ledger or its proxy) or free: no
      // real provider in the demo, so simulated.
      const why = decision.funding === "byok" ? "the demo has no real OpenRouter for your own key" : "free: no provider needed";
      const made = await simulatedAiCall(estimate, fail);
      this.note("info", "generate", `${decision.funding}: the AI call ran (simulated: ${why}), no credits charged`);
      return { outcome: decision.funding, estimate, decision, ai: "simulated", why, made };
    }
    // Beyond what may be spent offline, a reserve resolves only once the ledger confirms
    // it: while offline that would never happen, so say so now instead of waiting.
    if (this.client.offline && compareAmounts(decision.reserve, this.meter.status().room) > 0) {
      throw new CodedError("OFFLINE_LIMIT", `${decision.reserve} credits is more than this device may still spend offline`);
    }
    // A call through the AI proxy needs the server: while the last sync failed, try it
    // once more before reserving, and say it cannot be reached if it still cannot (a hold
    // placed now could only be released again).
    if (this.syncFailure !== null && this.#simulatedBecause(decision) === null) await this.sync();
    const allowance = decision.unit ? this.meter.status().allowances.find((a) => a.kind === decision.unit) : null;
    const allowanceFree = allowance ? Math.max(0, allowance.remaining - (allowance.held ?? 0)) : null;
    // Audio on an account with a TTS allowance is metered in characters, and a reply at
    // the catalog's fixed token rate on an account with an LLM-token allowance in tokens
    // (PROTOCOL.md §12): the Meter's decision says so (the allowance first, the shortfall
    // converted by the ledger's policy).
    const hold = await this.meter.reserve(agentId ? { ...decision, agentId } : decision);
    this.#inflight(hold.holdId, true);
    try {
      const r = await this.#settle(hold, { request, estimate, decision, fail });
      return decision.unit ? { ...r, allowanceFree } : r;
    } finally {
      this.#inflight(hold.holdId, false);
    }
  }

  /** The rest of a credit-paid Generate once `hold` is saved: the AI call, then the commit
   * (or the release on failure). */
  async #settle(hold, { request, estimate, decision, fail }) {
    const what = decision.unit === "llmTokens" ? "tokens" : "characters";
    this.note("info", "reserve", decision.unit
      ? `hold ${hold.holdId}: ${hold.units} ${what} set aside, ${hold.amount} credits reserved for the rest`
      : `hold ${hold.holdId}: ${hold.amount} credits reserved (saved before sending)`);
    const why = this.#simulatedBecause(decision);
    const call = why === null
      ? await this.#proxiedCall(hold, request, estimate, fail)
      : await this.#simulatedCall(hold, estimate, fail, why);
    const base = { estimate, decision, hold, ai: call.ai, why: call.why ?? null };
    if (call.error) return { ...base, outcome: "released", error: call.error, releasedBy: call.releasedBy, credits: call.error.charged ?? null, units: call.error.units ?? null };
    const { made } = call;
    if (call.ai === "proxy") await this.#untilSettled(hold.holdId);
    const used = decision.unit === "llmTokens" ? made.inputTokens + made.outputTokens : estimate.characters;
    const settled = await this.meter.commit(hold.holdId, decision.unit ? { units: used } : commitUsage(estimate, made));
    const answer = await this.#answerTo("commit", hold.holdId);
    // The ledger's answer when there is one; else (offline since the call) what the proxy
    // said its settlement commits; else the Meter's own price of the usage, still queued.
    const credits = answer?.charged ?? call.charged ?? settled.credits ?? null;
    const by = answer?.settledBy ? `, settled by the ${answer.settledBy} from the provider's usage` : "";
    const units = decision.unit ? `${settled.units} ${what}` : null;
    this.note("info", "commit", `hold ${hold.holdId}: ${units ?? `${credits} credits`} committed${units && credits !== null ? `, ${credits} credits charged` : ""}${by}`
      + (answer ? "" : " (queued: the ledger has not answered yet)"));
    return {
      ...base, outcome: "committed", made, credits, settledBy: answer?.settledBy ?? null,
      ...(decision.unit ? { unit: decision.unit, units: settled.units } : {}),
    };
  }

  /** Why a credit-paid call of `decision` is simulated, or null: it goes through the proxy. */
  #simulatedBecause(decision) {
    if (decision.unit === "ttsCharacters") return "read aloud: the AI proxy serves chat completions only";
    if (!this.proxy) return "this ledger runs no AI proxy";
    if (this.client.offline) return "offline: the AI proxy on the ledger cannot be reached";
    return null;
  }

  /**
   * The call through the ledger's AI proxy, paid by `hold`: the reserve is pushed first
   * (the proxy takes only a hold the ledger applied), then the chat completion. Resolves
   * with `{ai, made}`, or — the provider failed before any output, or the proxy refused —
   * with `{ai, error, releasedBy}` once the hold is released (the proxy releases it
   * itself when the provider fails; the page's release then changes nothing but closes
   * it here, answered `settledBy: "proxy"`).
   */
  async #proxiedCall(hold, request, estimate, fail) {
    let answer;
    let charged = null;
    try {
      await this.sync();
      const reserved = this.acks.get(`reserve:${hold.holdId}`);
      if (reserved && reserved.status === "refused") {
        throw new CodedError(reserved.code ?? "RESERVE_REFUSED", `the ledger refused hold ${hold.holdId}`);
      }
      const r = await this.client.chat(hold.holdId, chatRequest(request, estimate, fail));
      answer = r.answer;
      charged = r.charged;
      this.note("info", "proxy", `hold ${hold.holdId}: the AI proxy answered; its settlement commits `
        + (r.units !== null ? `${r.units} tokens` : `${r.charged} credits`) + " from the provider's reported usage");
    } catch (error) {
      if (error.code === "RESERVE_REFUSED" || this.acks.get(`reserve:${hold.holdId}`)?.status === "refused") throw error;
      const releasedBy = await this.#release(hold, error);
      return { ai: "proxy", error, releasedBy };
    }
    return { ai: "proxy", made: readAnswer(answer), charged };
  }

  /** A simulated call (`why`: the reason), paid by `hold`: `{ai, why, made}`, or the hold
   * released and `{ai, why, error}`. */
  async #simulatedCall(hold, estimate, fail, why) {
    try {
      const made = await simulatedAiCall(estimate, fail);
      this.note("info", "generate", `hold ${hold.holdId}: the AI call ran (simulated: ${why})`);
      return { ai: "simulated", why, made };
    } catch (error) {
      const releasedBy = await this.#release(hold, error);
      return { ai: "simulated", why, error, releasedBy };
    }
  }

  /** Releases `hold` after `error` and resolves with who released it on the ledger:
   * "proxy" (before the page's release arrived), "client", or null (queued offline). */
  async #release(hold, error) {
    await this.meter.release(hold.holdId);
    const answer = await this.#answerTo("release", hold.holdId);
    const by = answer ? (answer.settledBy === "proxy" ? "proxy" : "client") : null;
    const paid = failedCallCharge(error.charged, error.units);
    const who = paid ? `settled by the AI proxy, ${paid} charged (the call's worst case: the provider had the request)`
      : by === "proxy" ? "the AI proxy had released" : by === "client" ? "released" : "released (queued)";
    this.note("warn", "release", `${error.code}: ${readable(error.message)} — hold ${hold.holdId} ${who}${paid ? "" : ", nothing charged"}`);
    return by;
  }

  /** The ledger's answer to this device's `kind` mutation of `holdId` after a sync, or
   * null when it cannot be had now (offline: the mutation waits in the outbox). */
  async #answerTo(kind, holdId) {
    if (this.client.offline) return null;
    try {
      await this.sync();
    } catch {
      return null; // still queued; the Meter retries
    }
    return this.acks.get(`${kind}:${holdId}`) ?? null;
  }

  /**
   * Waits until the proxy's settlement of `holdId` is committed: the proxy commits it
   * right after the answer's last byte, off the client's path, and a commit that arrives
   * before it is answered without amounts (PROTOCOL §6.7) — so the page, which shows
   * what was charged, commits once the hold has left the ledger's open holds.
   */
  async #untilSettled(holdId) {
    try {
      for (let i = 0; i < SETTLE_POLLS; i++) {
        const state = await this.client.state(this.accountId);
        if (!(state.holds ?? []).some((h) => h.id === holdId)) return;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      }
    } catch (error) {
      // The usage must still be committed: go on without the amounts.
      this.note("warn", "proxy", `${error.code ?? "ERROR"}: could not look for the proxy's settlement of hold ${holdId}`);
      return;
    }
    this.note("warn", "proxy", `hold ${holdId}: the proxy's settlement is not committed yet; its amount shows with the next snapshot`);
  }

  /**
   * Forges the stored cache — raises the balance inside the signed snapshot — then
   * reopens the meter as a page reload would. Resolves with the detection event, or
   * null if the forgery went unnoticed, once the reopened meter owns the sync again.
   */
  async tamper() {
    const raw = localStorage.getItem(this.storageKey);
    if (raw === null) throw new CodedError("NO_CACHE", "nothing is stored yet: sync first");
    localStorage.setItem(this.storageKey, forge(raw));
    this.note("warn", "tamper", "edited the stored snapshot: balance set to 1000000");
    this.meter.close();
    this.detection = null;
    await this.#openMeter();
    await this.whenOwner(); // the closed meter's tab lock is handed back asynchronously
    return this.detection;
  }

  /** Reopens the meter from what is stored: a tab that does not own the sync shows what
   * the owning tab saved (its meter never reads storage again on its own). */
  async reload() {
    this.meter.close();
    await this.#openMeter();
  }

  /** Notes (`on`) or forgets the hold of an AI call under way, in this browser's storage. */
  #inflight(holdId, on) {
    const held = new Set(JSON.parse(localStorage.getItem(this.inflightKey) ?? "[]"));
    if (on) held.add(holdId);
    else held.delete(holdId);
    if (held.size) localStorage.setItem(this.inflightKey, JSON.stringify([...held]));
    else localStorage.removeItem(this.inflightKey);
  }

  /**
   * Releases the holds of AI calls a reload interrupted (noted before each call, forgotten
   * after it): nothing will commit them, and each would keep its credits set aside until it
   * expires. A hold the AI proxy settled meanwhile is answered with the proxy's settlement
   * (its release charges nothing more). Call once this tab owns the meter. Only the holds
   * noted when the session opened, and still noted (a call that ended meanwhile is
   * forgotten): a call this page runs now is not released. Resolves with the hold ids
   * released (the ledger's answers follow the next sync: `acks`).
   */
  async releaseInterrupted() {
    const noted = new Set(JSON.parse(localStorage.getItem(this.inflightKey) ?? "[]"));
    const held = this.heldAtOpen.filter((holdId) => noted.has(holdId));
    this.heldAtOpen = [];
    for (const holdId of held) {
      try {
        await this.meter.release(holdId);
        this.note("warn", "release", `hold ${holdId}: its AI call was interrupted by a reload; released`);
      } catch (error) {
        this.note("warn", "release", `hold ${holdId}: ${error.code ?? "ERROR"} — ${readable(error.message)}`);
      }
      this.#inflight(holdId, false);
    }
    return held;
  }

  /** Resolves once the AI proxy settled each of `holdIds` (they leave the ledger's open
   * holds), or gave up waiting (as for a commit, at most 10 s each). */
  async untilProxySettled(holdIds) {
    for (const holdId of holdIds) await this.#untilSettled(holdId);
  }

  /** Stops the meter (its state stays stored). */
  close() {
    this.meter?.close();
  }
}

/** Whether two estimate requests ask for the same thing (same fields, same values). */
function sameRequest(a, b) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}

/** The stored state with the snapshot's balance raised; the signature is left as it was. */
function forge(raw) {
  const state = JSON.parse(raw);
  const envelope = typeof state.snapshot === "string" ? JSON.parse(state.snapshot) : state.snapshot;
  if (!envelope?.payload) throw new CodedError("NO_CACHE", "the stored state holds no snapshot yet: sync first");
  const payload = JSON.parse(fromBase64url(envelope.payload));
  payload.balance = "1000000";
  if (payload.grants?.[0]) payload.grants[0].remaining = "1000000";
  envelope.payload = toBase64url(JSON.stringify(payload));
  state.snapshot = typeof state.snapshot === "string" ? JSON.stringify(envelope) : envelope;
  return JSON.stringify(state);
}

function fromBase64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function toBase64url(text) {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** One line for a Meter event. */
export function describeEvent(e) {
  switch (e.type) {
    case "acknowledged":
      return `ledger ${e.status ?? "acknowledged"} ${e.kind} #${e.seq} (${e.holdId})`
        + (e.charged ? `: charged ${e.charged}` : "") + (e.settledBy ? ` (settled by the ${e.settledBy})` : "") + (e.code ? ` — ${e.code}` : "");
    case "synced":
      return `synced: ledger version ${e.seq}, ${e.outbox} change(s) still queued`;
    case "syncFailed":
      return `sync failed (${e.code}), attempt ${e.attempt}; retrying at ${new Date(e.retryAt).toLocaleTimeString()}`;
    case "cacheDiscarded":
      return `${e.code}: the stored snapshot did not verify and was discarded`
        + ` (${e.keptMutations} queued change(s) kept${e.outboxLost ? ", outbox lost" : ""}); pulling a fresh one`;
    case "hostError":
      return `${e.code}: host.${e.callback} — ${e.message}`;
    case "owner":
      return "this tab now owns the meter's sync";
    default:
      return JSON.stringify(e);
  }
}
