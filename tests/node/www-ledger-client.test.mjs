// The demo page's ledger client (www/ledger.js) in Node, against a fake fetch: a device
// token the ledger stops accepting (a restarted `--demo` ledger signs with a new secret)
// is dropped and the request sent once more with a fresh one, so an open tab recovers
// without a reload; a body that is not JSON never reaches the page's messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { LedgerClient } = await import(pathToFileURL(join(root, "www", "ledger.js")).href);

/** A fake ledger: `/demo/token` hands out tok-1, tok-2…; `valid` says which tokens it accepts. */
function fakeLedger() {
  const seen = [];
  const ledger = { issued: 0, valid: new Set(), seen };
  globalThis.fetch = async (url, init = {}) => {
    const path = new URL(url).pathname;
    const auth = init.headers?.authorization ?? null;
    seen.push([path, auth]);
    if (path === "/demo/token") {
      const token = `tok-${++ledger.issued}`;
      ledger.valid.add(token);
      return new Response(JSON.stringify({ token, expiresAt: Date.now() + 3_600_000 }));
    }
    if (path === "/v1/keys") return new Response("<html>502 Bad Gateway</html>", { status: 502 });
    if (!ledger.valid.has(auth?.replace("Bearer ", ""))) {
      return new Response(JSON.stringify({ ok: false, error: { code: "UNAUTHORIZED", message: "the token does not verify" } }), { status: 401 });
    }
    if (path === "/v1/ai/chat/completions") return new Response(JSON.stringify({ choices: [] }), { headers: { "x-credit-charged": "1.5" } });
    return new Response(JSON.stringify({ v: 2, results: [] }));
  };
  return ledger;
}

test("a token the ledger stopped accepting is replaced once, and the request goes through", async () => {
  const ledger = fakeLedger();
  const client = new LedgerClient("http://ledger.test/");
  client.signIn("demo", "d1");
  assert.equal(await client.pull("{}"), JSON.stringify({ v: 2, results: [] }));
  ledger.valid.clear(); // the ledger restarted: tok-1 no longer verifies
  assert.equal(await client.push("{}"), JSON.stringify({ v: 2, results: [] }));
  assert.deepEqual(ledger.seen.map(([p, a]) => `${p} ${a ?? "-"}`), [
    "/demo/token -", "/v1/pull Bearer tok-1",
    "/v1/push Bearer tok-1", "/demo/token -", "/v1/push Bearer tok-2",
  ]);
  // The AI proxy's refusal of a stale token comes before any claim: sent once more too.
  ledger.valid.clear();
  const r = await client.chat("d1:h1", { model: "m", messages: [] });
  assert.equal(r.charged, "1.5");
  assert.deepEqual(ledger.seen.slice(-3).map(([p, a]) => `${p} ${a ?? "-"}`), [
    "/v1/ai/chat/completions Bearer tok-2", "/demo/token -", "/v1/ai/chat/completions Bearer tok-3",
  ]);
});

test("a token refused twice is not retried for ever: the refusal reaches the caller", async () => {
  const ledger = fakeLedger();
  const client = new LedgerClient("http://ledger.test/");
  client.signIn("demo", "d1");
  await client.pull("{}");
  ledger.valid = { has: () => false, add() {}, clear() {} }; // nothing verifies any more
  const body = JSON.parse(await client.pull("{}"));
  assert.equal(body.error.code, "UNAUTHORIZED");
  assert.equal(ledger.seen.filter(([p]) => p === "/v1/pull").length, 3, "the first pull, then one try and one retry");
});

test("a body that is not JSON becomes a coded error without the body's text", async () => {
  fakeLedger();
  const client = new LedgerClient("http://ledger.test/");
  await assert.rejects(client.keys(), (e) => {
    assert.equal(e.code, "HTTP_502");
    assert.doesNotMatch(e.message, /html|Bad Gateway/i);
    return true;
  });
});
