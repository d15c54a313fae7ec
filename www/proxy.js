// The AI proxy page (www/proxy.html): the demo account's device "proxy-page" reserves a
// hold with a raw push (PROTOCOL §5), streams a chat completion through the ledger's proxy
// naming that hold, waits until the proxy has settled the hold (it commits the settlement
// right after the answer's last byte: the hold leaves the account's open holds), then
// commits 0 credits — as a modified client would — and shows that the ledger charged the
// provider's reported usage anyway (the commit's result says `settledBy: "proxy"` with
// the settled amounts; PROTOCOL §6.7).

const ACCOUNT = "demo";
const DEVICE = "proxy-page";
const $ = (id) => document.getElementById(id);

function nonce() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function json(path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, body === undefined ? { headers, cache: "no-store" } : { method: "POST", headers, body: JSON.stringify(body) });
  const v = await res.json();
  if (v.ok === false || v.error) throw new Error(`${v.error?.code}: ${v.error?.message}`);
  return v;
}

async function run() {
  $("stream").textContent = "";
  $("result").textContent = "…";
  const { token } = await json("/demo/token", null, { accountId: ACCOUNT, deviceId: DEVICE });
  const state = await json(`/v1/state?account=${ACCOUNT}`, token);
  const before = state.balance;
  let seq = (state.devices[DEVICE]?.lastSeq ?? 0) + 1;
  const holdId = `${DEVICE}:${nonce()}`;
  const push = (m) => json("/v1/push", token, { v: 2, accountId: ACCOUNT, deviceId: DEVICE, mutations: [{ seq: seq++, at: Date.now(), id: nonce(), ...m }] });
  const reserved = await push({ type: "reserve", holdId, amount: "1", operation: "message" });
  if (reserved.results[0].status !== "applied") throw new Error(`reserve ${reserved.results[0].status} ${reserved.results[0].code ?? ""}`);
  const res = await fetch("/v1/ai/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-credit-hold": holdId },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: $("note").value }] }),
  });
  if (!res.ok) throw new Error(`proxy: HTTP ${res.status} ${(await res.json()).error?.code}`);
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
      if (chunk.error) throw new Error(`${chunk.error.code}: ${chunk.error.message}`);
      $("stream").textContent += chunk.choices?.[0]?.delta?.content ?? "";
    }
  }
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

$("go").addEventListener("click", () => run().catch((e) => ($("result").textContent = `Failed: ${e.message}`)));
