// The AI proxy page (www/proxy.html): the demo account's device "proxy-page" reserves a
// hold with a raw push (PROTOCOL §5), streams a chat completion through the ledger's proxy
// naming that hold, waits until the proxy has settled the hold (it commits the settlement
// right after the answer's last byte: the hold leaves the account's open holds), then
// commits 0 credits — as a modified client would — and shows that the ledger charged the
// provider's reported usage anyway (the commit's result says `settledBy: "proxy"` with
// the settled amounts; PROTOCOL §6.7). The hold is the estimate's high bound for the
// note (the package's `estimate`), and a call that fails after the reserve releases it.

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
    throw new CodedError("TRANSPORT_FAILED", "the server could not be reached; check that ./scripts/demo.sh runs");
  }
}

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
  try {
    await call(token, holdId, text);
  } catch (error) {
    // Nothing will commit this hold: release it (the proxy may have released it already;
    // then the ledger answers with its settlement and nothing more is charged).
    await push({ type: "release", holdId }).catch(() => {});
    throw error;
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
  // The settlement follows the answer: wait (up to 10 s) until the hold is no longer open.
  for (let i = 0; i < 100; i++) {
    const holds = (await json(`/v1/state?account=${ACCOUNT}`, token)).holds ?? [];
    if (!holds.some((h) => h.id === holdId)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const committed = (await push({ type: "commit", holdId, amount: "0" })).results[0];
  const after = (await json(`/v1/state?account=${ACCOUNT}`, token)).balance;
  $("result").textContent =
    `Committed 0 credits; the ledger answered ${committed.status}, settledBy ${committed.settledBy}, ` +
    `charged ${committed.charged} (the provider's usage). Balance ${before} → ${after}.`;
  Object.assign($("result").dataset, { charged: committed.charged, settledBy: committed.settledBy, before, after });
}

/** The chat completion of `text` through the proxy, paid by `holdId`, streamed into the page. */
async function call(token, holdId, text) {
  const res = await send("/v1/ai/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-credit-hold": holdId },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: text }] }),
  });
  if (!res.ok) {
    const v = await body(res, "the AI proxy");
    throw new CodedError(v.error?.code ?? `HTTP_${res.status}`, v.error?.message ?? `the AI proxy answered HTTP ${res.status}`);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (!line.startsWith("data:") || line === "data: [DONE]") continue;
      const chunk = JSON.parse(line.slice(5));
      if (chunk.error) throw new CodedError(chunk.error.code, chunk.error.message);
      $("stream").textContent += chunk.choices?.[0]?.delta?.content ?? "";
    }
  }
}

await init();
$("go").addEventListener("click", async () => {
  $("go").disabled = true; // one call at a time: two would write into one output
  try {
    await run();
  } catch (e) {
    const code = e.code ? ` (code ${e.code})` : "";
    $("result").textContent = e.afterCall
      ? `Answered: the AI proxy charges this call from the provider's reported usage, but what it charged could not be read back: ${e.message}${code}. Reload to see the balance.`
      : `Failed: ${e.message}${code}`;
    $("result").dataset.code = e.code ?? "ERROR";
    $("result").dataset.afterCall = String(Boolean(e.afterCall));
  } finally {
    $("go").disabled = false;
  }
});
