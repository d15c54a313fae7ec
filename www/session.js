// One account's meter session: opens the Meter with the HTTP host, keeps its events, and
// runs the flows of the page — Generate (estimate → decide →
// reserve → simulated AI call → commit, or release on failure), sync, and "tamper"
// (edit the stored cache, reopen as a reload would, and report the detection).

import { Meter } from "../pkg/credit_meter.js";
import { CodedError, meterHost } from "./ledger.js";

const LOG_MAX = 60;
/** Exchanges one sync may take to empty the outbox. */
const FLUSH_ROUNDS = 5;

/** The canned outcome of the simulated AI call: the expected usage, or a failure. */
async function simulatedAiCall(estimate, fail) {
  await new Promise((resolve) => setTimeout(resolve, 150)); // the provider "thinks"
  if (fail) throw new CodedError("AI_CALL_FAILED", "simulated provider failure (HTTP 503)");
  const usage = { operation: estimate.operation };
  if (estimate.cards) usage.cards = estimate.cards.expected;
  if (estimate.charge === "perToken" || estimate.charge === "perCard") {
    usage.inputTokens = estimate.inputTokens.expected;
    usage.outputTokens = estimate.outputTokens.expected;
  }
  if (estimate.characters !== null) usage.characters = estimate.characters;
  return usage;
}

/** A Meter opened for one account and device, with its event log. */
export class MeterSession {
  /**
   * Opens the meter. `keys`: the ledger's public keys; `namespace`: a storage prefix
   * (per ledger key, so another ledger never sees this one's cache); `onChange`: called
   * whenever something worth re-rendering happened.
   */
  static async open({ client, accountId, deviceId, keys, namespace, onChange }) {
    const s = new MeterSession(client, accountId, deviceId, keys, namespace, onChange);
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
    /** Newest first: `{at, type, text, level}`. */
    this.log = [];
    /** The last `cacheDiscarded` event, if any. */
    this.detection = null;
    this.meter = null;
    this.ownerWaiters = [];
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
    const estimate = this.meter.estimate(request);
    const decision = this.meter.decide({ estimate, byok });
    return { estimate, decision };
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
   * gives a high estimate the balance covers.
   */
  static capped(request, capped) {
    if (capped.cards !== null) return { ...request, cards: capped.cards };
    return { ...request, maxOutputTokens: capped.maxOutputTokens };
  }

  /**
   * The Generate flow. Resolves with `{outcome, estimate, decision, hold?, credits?,
   * error?}` where outcome is "committed", "released", "byok", "free" or "insufficient";
   * rejects with the Meter's coded error (e.g. OFFLINE_LIMIT, INSUFFICIENT_CREDITS).
   */
  async generate({ request, byok = false, fail = false, agentId = null }) {
    const { estimate, decision } = this.quote(request, byok);
    if (!decision.proceed) return { outcome: decision.funding, estimate, decision };
    if (decision.funding !== "credits") {
      await simulatedAiCall(estimate, fail);
      this.note("info", "generate", `${decision.funding}: the AI call ran, no credits charged`);
      return { outcome: decision.funding, estimate, decision };
    }
    // Audio on an account with a TTS allowance is metered in characters, and a reply at
    // the catalog's fixed token rate on an account with an LLM-token allowance in tokens
    // (PROTOCOL.md §12): the Meter's decision says so (the allowance first, the shortfall
    // converted by the ledger's policy).
    if (decision.unit) return this.#generateInUnits(estimate, decision, fail, agentId);
    const hold = await this.meter.reserve(agentId ? { ...decision, agentId } : decision);
    this.note("info", "reserve", `hold ${hold.holdId}: ${hold.amount} credits reserved (saved before sending)`);
    const { usage, released } = await this.#callOrRelease(hold, estimate, decision, fail);
    if (released) return released;
    const settled = await this.meter.commit(hold.holdId, usage);
    this.note("info", "commit", `hold ${hold.holdId}: ${settled.credits} credits committed`);
    return { outcome: "committed", estimate, decision, hold, credits: settled.credits };
  }

  /** The (simulated) AI call for `hold`: `{usage}`, or, when it failed, the hold released
   * and `{released}`, the outcome to report. */
  async #callOrRelease(hold, estimate, decision, fail) {
    try {
      return { usage: await simulatedAiCall(estimate, fail) };
    } catch (error) {
      await this.meter.release(hold.holdId);
      this.note("warn", "release", `${error.code}: hold ${hold.holdId} released, nothing charged`);
      return { released: { outcome: "released", estimate, decision, hold, error } };
    }
  }

  /** `generate` for usage metered in an allowance's units (TTS characters, LLM tokens):
   * reserved and committed in units. */
  async #generateInUnits(estimate, decision, fail, agentId) {
    const what = decision.unit === "llmTokens" ? "tokens" : "characters";
    const hold = await this.meter.reserve(agentId ? { ...decision, agentId } : decision);
    this.note("info", "reserve", `hold ${hold.holdId}: ${hold.units} ${what} set aside, ${hold.amount} credits reserved for the rest`);
    const { usage, released } = await this.#callOrRelease(hold, estimate, decision, fail);
    if (released) return released;
    const used = decision.unit === "llmTokens" ? usage.inputTokens + usage.outputTokens : usage.characters;
    const settled = await this.meter.commit(hold.holdId, { units: used });
    this.note("info", "commit", `hold ${hold.holdId}: ${settled.units} ${what} committed`);
    return { outcome: "committed", estimate, decision, hold, unit: decision.unit, units: settled.units, credits: hold.amount };
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

  /** Stops the meter (its state stays stored). */
  close() {
    this.meter?.close();
  }
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
        + (e.charged ? `: charged ${e.charged}` : "") + (e.code ? ` — ${e.code}` : "");
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
