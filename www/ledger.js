// The ledger over HTTP (the service's contract: POST /v1/push, /v1/pull with a device
// token; GET /v1/keys; GET /v1/state with the account's own token) and the Meter host
// built on it: storage in localStorage, push/pull through fetch. The "offline" switch
// makes every call reject, as a lost connection would, so the Meter queues its work and
// retries.
//
// Sign-in: a real app gets its device token (a JWT, `sub` = account id) from the
// vendor's own sign-in. This demo page gets one from the demo ledger's /demo/token
// route (`credit-meter-ledger serve --demo`: demo accounts only). With that token it buys
// through POST /v1/checkout (Stripe, or the demo's stand-in), refunds through /demo/refund
// and sends the remaining shop buttons (convert, agents) to /demo/admin — never with the
// admin token. When the demo ledger runs the AI proxy (GET /demo/proxy) the credit-paid
// AI calls go through it with the same device token (`chat`).

/** An error with a stable `code`, like the package's own errors. */
export class CodedError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "CodedError";
    this.code = code;
  }
}

/** Talks to the ledger server at `base` (the page's origin by default). */
export class LedgerClient {
  constructor(base = new URL("/", location.href).href) {
    this.base = base;
    /** When true every request fails with OFFLINE before it is sent. */
    this.offline = false;
    this.identity = null;
    this.token = null;
  }

  /** Acts as `deviceId` of `accountId` from now on (tokens are fetched when needed). */
  signIn(accountId, deviceId) {
    if (this.identity?.accountId === accountId && this.identity?.deviceId === deviceId) return;
    this.identity = { accountId, deviceId };
    this.token = null;
  }

  /** A device token valid for at least another minute (the demo's sign-in route). */
  async #bearer() {
    if (!this.identity) return null;
    if (this.token && this.token.expiresAt - Date.now() > 60_000) return this.token.token;
    const answer = JSON.parse(await this.#send("demo/token", JSON.stringify(this.identity), null));
    if (answer.ok === false || !answer.token) throw new CodedError(answer.error?.code ?? "SIGN_IN_FAILED", answer.error?.message ?? "no token");
    this.token = answer;
    return answer.token;
  }

  async #send(path, body, token) {
    if (this.offline) throw new CodedError("OFFLINE", `offline (simulated): ${path} was not sent`);
    const headers = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(new URL(path, this.base), body === undefined
        ? { cache: "no-store", headers }
        : { method: "POST", headers, body });
    } catch (e) {
      throw new CodedError("TRANSPORT_FAILED", `${path}: ${e.message}`);
    }
    const text = await res.text();
    // Not a JSON body (a proxy's HTML error page, a plain-text 413): its status only, never
    // its text — the page shows messages, not whatever a server in between answered.
    if (!res.ok && !text.startsWith("{")) throw new CodedError("HTTP_" + res.status, `${path}: the server answered HTTP ${res.status}`);
    return text;
  }

  /**
   * Sends with a device token (none for the keys). A device token is cached for its hour;
   * a ledger restarted meanwhile (`--demo` signs with a new secret each start) refuses it
   * `UNAUTHORIZED`, so that answer drops the cached token and the request is sent once
   * more with a fresh one — every open tab recovers without a reload.
   */
  async #request(path, body) {
    if (this.offline) throw new CodedError("OFFLINE", `offline (simulated): ${path} was not sent`);
    if (path === "v1/keys") return this.#send(path, body, null);
    const cached = this.token;
    const text = await this.#send(path, body, await this.#bearer());
    if (cached === null || !isUnauthorized(text)) return text;
    this.token = null;
    return this.#send(path, body, await this.#bearer());
  }

  /** The push response body, as the Meter wants it (a string). */
  push(request) {
    return this.#request("v1/push", request);
  }

  /** The pull response body. */
  pull(request) {
    return this.#request("v1/pull", request);
  }

  /** The ledger's public keys, `{kid: base64url}`. */
  async keys() {
    const keys = JSON.parse(await this.#request("v1/keys"));
    return keys.keys ?? keys.publicKeys ?? keys;
  }

  /** Runs one of the demo's shop commands on the signed-in account (the demo ledger's
   * /demo/admin); resolves with its result, throws its coded error. */
  async admin(command) {
    const answer = JSON.parse(await this.#request("demo/admin", JSON.stringify(command)));
    if (answer.ok === false) throw new CodedError(answer.error.code, answer.error.message);
    return answer.result;
  }

  /** Starts a Stripe Checkout for the signed-in account (`{packageId}` or `{planId}`,
   * POST /v1/checkout); resolves with `{sessionId, url}` — the buyer goes to `url`. The
   * credits arrive with the paid webhook, never from this call. */
  async checkout(body) {
    const answer = JSON.parse(await this.#request("v1/checkout", JSON.stringify(body)));
    if (answer.ok === false) throw new CodedError(answer.error.code, answer.error.message);
    return answer.result;
  }

  /** Refunds a purchase of the signed-in demo account under its policy (the demo
   * ledger's /demo/refund, standing in for the vendor's support desk). */
  async refund(purchaseId) {
    const answer = JSON.parse(await this.#request("demo/refund", JSON.stringify({ purchaseId })));
    if (answer.ok === false) throw new CodedError(answer.error.code, answer.error.message);
    return answer.result;
  }

  /** Whether this ledger runs the AI proxy (the demo ledger's GET /demo/proxy): the
   * page then makes its credit-paid calls through it. */
  async hasProxy() {
    const answer = JSON.parse(await this.#request("demo/proxy"));
    return answer.proxy === true;
  }

  /**
   * A chat completion (not streamed) through the ledger's AI proxy, POST
   * /v1/ai/chat/completions, paid by the signed-in device's hold `holdId` (X-Credit-Hold).
   * Resolves with `{answer, charged, units}`: the provider's answer and what the proxy's
   * settlement commits — `charged` credits (X-Credit-Charged) for a credit hold, `units`
   * tokens (X-Credit-Units) for a hold in LLM tokens (the other one null). Throws the
   * proxy's coded error (UPSTREAM_FAILED, HOLD_NOT_OPEN, HOLD_TOO_SMALL…) with the same
   * `charged` and `units` (both null when the proxy released the hold: the provider
   * produced nothing; set when the answer failed after the provider got the request and
   * the proxy charged the call's worst case, PROTOCOL §7.3).
   */
  async chat(holdId, body) {
    const path = "v1/ai/chat/completions";
    if (this.offline) throw new CodedError("OFFLINE", `offline (simulated): ${path} was not sent`);
    const send = async () => {
      const headers = { "content-type": "application/json", authorization: `Bearer ${await this.#bearer()}`, "x-credit-hold": holdId };
      try {
        return await fetch(new URL(path, this.base), { method: "POST", headers, body: JSON.stringify(body) });
      } catch (e) {
        throw new CodedError("TRANSPORT_FAILED", `${path}: ${e.message}`);
      }
    };
    let res = await send();
    if (res.status === 401) {
      // A stale token (the ledger restarted): refused before the hold was claimed, so
      // sending again with a fresh one cannot pay twice.
      this.token = null;
      res = await send();
    }
    const text = await res.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new CodedError(res.ok ? "BAD_ANSWER" : `HTTP_${res.status}`, `${path}: the server answered HTTP ${res.status} without a JSON body`);
    }
    if (!res.ok) {
      const error = new CodedError(answer.error?.code ?? `HTTP_${res.status}`, answer.error?.message ?? `${path}: HTTP ${res.status}`);
      error.charged = res.headers.get("x-credit-charged");
      error.units = res.headers.get("x-credit-units");
      throw error;
    }
    return { answer, charged: res.headers.get("x-credit-charged"), units: res.headers.get("x-credit-units") };
  }

  /** The ledger's view of an account (plan, agents, allowances, grants, holds…). */
  async state(accountId) {
    const answer = JSON.parse(await this.#request(`v1/state?account=${encodeURIComponent(accountId)}`));
    if (answer.ok === false || answer.error) {
      const e = answer.error ?? {};
      throw new CodedError(e.code ?? "STATE_FAILED", e.message ?? `no state for ${accountId}`);
    }
    return answer.result ?? answer;
  }
}

/** Whether a response body is the ledger's refusal of the token. */
function isUnauthorized(text) {
  if (!text.includes("UNAUTHORIZED")) return false;
  try {
    return JSON.parse(text).error?.code === "UNAUTHORIZED";
  } catch {
    return false;
  }
}

/**
 * The Meter's host: the state under `storageKey` in localStorage, push/pull through
 * `client`, every event to `onEvent`.
 */
export function meterHost(client, storageKey, onEvent) {
  return {
    load: () => localStorage.getItem(storageKey),
    save: (state) => localStorage.setItem(storageKey, state),
    push: (request) => client.push(request),
    pull: (request) => client.pull(request),
    onEvent,
  };
}
