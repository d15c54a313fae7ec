// The ledger over HTTP (the reference server's contract: POST /v1/push, /v1/pull,
// /v1/admin; GET /v1/keys, /v1/state) and the Meter host built on it: storage in
// localStorage, push/pull through fetch. The "offline" switch makes every call reject,
// as a lost connection would, so the Meter queues its work and retries.

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
  }

  async #request(path, body) {
    if (this.offline) throw new CodedError("OFFLINE", `offline (simulated): ${path} was not sent`);
    let res;
    try {
      res = await fetch(new URL(path, this.base), body === undefined
        ? { cache: "no-store" }
        : { method: "POST", headers: { "content-type": "application/json" }, body });
    } catch (e) {
      throw new CodedError("TRANSPORT_FAILED", `${path}: ${e.message}`);
    }
    const text = await res.text();
    if (!res.ok && !text.startsWith("{")) throw new CodedError("HTTP_" + res.status, `${path}: ${text.slice(0, 200)}`);
    return text;
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

  /** Runs an admin command; resolves with its result, throws its coded error. */
  async admin(command) {
    const answer = JSON.parse(await this.#request("v1/admin", JSON.stringify(command)));
    if (answer.ok === false) throw new CodedError(answer.error.code, answer.error.message);
    return answer.result;
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
