// The AI proxy page (www/proxy.html): the demo account's device "proxy-page" reserves a
// hold with a raw push (PROTOCOL §5), streams a chat completion through the ledger's proxy
// naming that hold, waits until the proxy has settled the hold (it commits the settlement
// right after the answer's last byte: the hold leaves the account's open holds), then
// commits 0 credits — as a modified client would — and shows that the ledger charged the
// provider's reported usage anyway (the commit's result says `settledBy: "proxy"` with
// the settled amounts; PROTOCOL §6.7). The hold is the estimate's high bound for the
// note (the package's `estimate`). A call that fails after the reserve is released by the
// page, and the page says what the proxy settled it at (PROTOCOL §7.3): nothing when the
// provider never accepted the call (a 502 without a charge), otherwise what the proxy
// charged — the provider's usage, or the call's worst case — from the 502's
// X-Credit-Charged or the `charged` of the stream's closing UPSTREAM_FAILED event, as the
// ledger's answer to the page's release confirms.

import init, { estimate } from "../pkg/credit_meter.js";

const ACCOUNT = "demo";
const DEVICE = "proxy-page";
const $ = (id) => document.getElementById(id);

function nonce() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An error with a stable code (shown beside the sentence). */
class CodedError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The body of `res` as JSON, or a coded error saying what came instead. */
async function body(res, path) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new CodedError(`HTTP_${res.status}`, `${path}: the server answered HTTP ${res.status} without a JSON body`);
  }
}

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch {
    if (init?.signal?.aborted) throw cancelled();
    throw new CodedError("TRANSPORT_FAILED", "the server could not be reached; check that ./scripts/demo.sh runs");
  }
}

/** The error of a call the user cancelled. */
function cancelled() {
  return new CodedError("CANCELLED", "you cancelled the call");
}

/** The AI call under way (its Cancel aborts it), or null. A provider may stall for up to
 * the proxy's 120 s before it answers: Cancel stops waiting, and the hold is released. */
let calling = null;

async function json(path, token, payload) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await send(path, payload === undefined ? { headers, cache: "no-store" } : { method: "POST", headers, body: JSON.stringify(payload) });
  const v = await body(res, path);
  if (v.ok === false || v.error) throw new CodedError(v.error?.code ?? `HTTP_${res.status}`, v.error?.message ?? `${path}: HTTP ${res.status}`);
  return v;
}

/** The note as a file would hold it: a paste can carry half of a UTF-16 pair, which the
 * package refuses (BAD_INPUT) — U+FFFD in its place, as the demo page sends it. */
function noteText() {
  const typed = $("note").value;
  return typeof typed.toWellFormed === "function" ? typed.toWellFormed() : typed;
}

async function run() {
  $("stream").textContent = "";
  $("result").textContent = "Working…";
  // Nothing of the last run stays: its figures are not this one's.
  for (const key of Object.keys($("result").dataset)) if (key !== "testid") delete $("result").dataset[key];
  const text = noteText();
  // Only spaces: nothing for the model to answer, so nothing to pay for.
  if (!text.trim()) throw new CodedError("NOTHING_TO_SEND", "type a note first");
  const { token } = await json("/demo/token", null, { accountId: ACCOUNT, deviceId: DEVICE });
  const state = await json(`/v1/state?account=${ACCOUNT}`, token);
  const before = state.balance;
  let seq = (state.devices[DEVICE]?.lastSeq ?? 0) + 1;
  const holdId = `${DEVICE}:${nonce()}`;
  const push = (m) => json("/v1/push", token, { v: 2, accountId: ACCOUNT, deviceId: DEVICE, mutations: [{ seq: seq++, at: Date.now(), id: nonce(), ...m }] });
  // The hold covers what the estimate says the call may cost at most (the proxy caps the
  // reply to what the hold pays for, and refuses a hold too small for the prompt).
  const quote = estimate({ operation: "message", text });
  if (!quote.hasWork) throw new CodedError("NOTHING_TO_SEND", "type a note first");
  const amount = quote.credits.high;
  const reserved = await push({ type: "reserve", holdId, amount, operation: "message" });
  const r0 = reserved.results[0];
  if (r0.status !== "applied") throw new CodedError(r0.code ?? "RESERVE_REFUSED", `the ledger did not place the hold (${r0.status})`);
  calling = new AbortController();
  $("cancel").hidden = false;
  try {
    await call(token, holdId, text, calling.signal);
  } catch (error) {
    // Nothing will commit this hold: release it. The proxy has settled it already when it
    // said so (a 502, or the stream's closing error event); when the stream just broke,
    // it may still be reading the provider, so wait for its settlement first. The ledger
    // answers a release of a hold the proxy settled with that settlement
    // (`settledBy: "proxy"`) and charges nothing more.
    if (error.streamBroke) await untilSettled(token, holdId);
    error.settlement = await push({ type: "release", holdId }).then((v) => v.results[0]).catch(() => null);
    error.before = before;
    error.after = await json(`/v1/state?account=${ACCOUNT}`, token).then((s) => s.balance).catch(() => null);
    throw error;
  } finally {
    calling = null;
    $("cancel").hidden = true;
    $("cancel").disabled = false;
  }
  try {
    await confirm(token, holdId, push, before);
  } catch (error) {
    // The answer arrived, so the proxy settles the hold from the provider's usage whatever
    // happens here: what failed is only the page's look at the result.
    error.afterCall = true;
    throw error;
  }
}

/** After the answer: waits for the proxy's settlement of `holdId`, commits 0 credits as a
 * modified client would, and shows what the ledger charged. */
async function confirm(token, holdId, push, before) {
  await untilSettled(token, holdId);
  const committed = (await push({ type: "commit", holdId, amount: "0" })).results[0];
  const after = (await json(`/v1/state?account=${ACCOUNT}`, token)).balance;
  $("result").textContent =
    `Committed 0 credits; the ledger answered ${committed.status}, settledBy ${committed.settledBy}, ` +
    `charged ${committed.charged} (the provider's usage). Balance ${before} → ${after}.`;
  Object.assign($("result").dataset, { charged: committed.charged, settledBy: committed.settledBy, before, after });
}

/** Waits (up to 10 s) until `holdId` is no longer open: the proxy's settlement follows
 * the answer's last byte. */
async function untilSettled(token, holdId) {
  for (let i = 0; i < 100; i++) {
    const holds = (await json(`/v1/state?account=${ACCOUNT}`, token)).holds ?? [];
    if (!holds.some((h) => h.id === holdId)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The error of a failed call, with what the proxy said it charged (null: not said). */
function failure(error, charged, units) {
  const e = new CodedError(error?.code ?? "UPSTREAM_FAILED", error?.message ?? "the AI proxy failed");
  e.charged = charged ?? null;
  e.units = units ?? null;
  return e;
}

/** The chat completion of `text` through the proxy, paid by `holdId`, streamed into the
 * page; `signal` aborts it (Cancel). */
async function call(token, holdId, text, signal) {
  const res = await send("/v1/ai/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-credit-hold": holdId },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: text }] }),
    signal,
  });
  if (!res.ok) {
    // A 502 UPSTREAM_FAILED says in X-Credit-Charged what the proxy charged when the
    // provider may have had the request; without it the hold was released.
    const v = await body(res, "the AI proxy");
    throw failure(v.error ?? { code: `HTTP_${res.status}`, message: `the AI proxy answered HTTP ${res.status}` },
      res.headers.get("x-credit-charged"), res.headers.get("x-credit-units"));
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  // The last error event: the provider's own is forwarded, and the proxy's UPSTREAM_FAILED
  // (with what it charged) always comes after it, as the stream's last line.
  let failed = null;
  for (;;) {
    let read;
    try {
      read = await reader.read();
    } catch {
      // The connection broke (or the user cancelled): the proxy still settles the call
      // (PROTOCOL §7.3).
      const e = signal.aborted ? cancelled() : failed ? failure(failed.error, failed.error.charged, failed.error.units)
        : new CodedError("STREAM_BROKEN", "the stream from the AI proxy broke off");
      e.streamBroke = true;
      throw e;
    }
    const { value, done } = read;
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (!line.startsWith("data:") || line === "data: [DONE]") continue;
      const chunk = JSON.parse(line.slice(5));
      if (chunk.error) failed = chunk;
      else $("stream").textContent += chunk.choices?.[0]?.delta?.content ?? "";
    }
  }
  if (failed) throw failure(failed.error, failed.error.charged, failed.error.units);
}

/** What the page says about a call that failed after its hold was placed: what the proxy
 * charged for it (`charged`, credits, or `units`, tokens; "0" when the hold was released,
 * null when it could not be read back) and a sentence saying so. */
function settledText(e) {
  const r = e.settlement;
  // The proxy's own word first (the 502's header, the stream's closing event), else the
  // ledger's answer to the release (once the proxy settled: its amounts).
  const fromLedger = r?.settledBy === "proxy" ? r.charged ?? null : null;
  const units = e.units;
  const charged = e.charged ?? (units == null ? fromLedger : null);
  const balance = e.before != null && e.after != null ? ` Balance ${e.before} → ${e.after}.` : "";
  const paid = units != null ? Number(units) > 0 : charged != null && Number(charged) > 0;
  if (paid) {
    const said = units != null ? `${units} tokens` : `${charged} credits`;
    return { charged, units, text: ` The AI proxy charged ${said} for this call: the provider had the request and may bill for it.${balance}` };
  }
  // The page's own release applied (not one the proxy settled, whose amounts may not be
  // there yet): nothing was charged either.
  if (charged != null || units != null || (r?.status === "applied" && r.settledBy !== "proxy")) {
    return { charged: "0", units: null, text: ` Nothing was charged: the hold was released.${balance}` };
  }
  return { charged: null, units: null, text: " What the AI proxy charged for it could not be read back. Reload to see the balance." };
}

await init();
$("cancel").addEventListener("click", () => {
  if (!calling) return;
  calling.abort();
  $("cancel").disabled = true;
  $("result").textContent = "Cancelling: closing the call's hold…";
});
$("go").addEventListener("click", async () => {
  $("go").disabled = true; // one call at a time: two would write into one output
  try {
    await run();
  } catch (e) {
    const code = e.code ? ` (code ${e.code})` : "";
    // A failure after the hold was placed (it has a settlement to say).
    const settled = "settlement" in e ? settledText(e) : null;
    $("result").textContent = e.afterCall
      ? `Answered: the AI proxy charges this call from the provider's reported usage, but what it charged could not be read back: ${e.message}${code}. Reload to see the balance.`
      : e.code === "CANCELLED" ? `Cancelled: you stopped the call.${settled ? settled.text : ""}`
        : `Failed: ${e.message}${code}${settled ? `.${settled.text}` : ""}`;
    if (settled?.charged != null) $("result").dataset.charged = settled.charged;
    if (settled?.units != null) $("result").dataset.units = settled.units;
    if (settled && e.before != null && e.after != null) Object.assign($("result").dataset, { before: e.before, after: e.after });
    $("result").dataset.code = e.code ?? "ERROR";
    $("result").dataset.afterCall = String(Boolean(e.afterCall));
  } finally {
    $("go").disabled = false;
    // Go and Cancel were disabled or hidden meanwhile, which drops the keyboard focus to
    // the page: give it back to the control that starts a call.
    if (document.activeElement === document.body || document.activeElement === null) $("go").focus();
  }
});
