// The demo page end to end: real headless Chromium (Debian's, driven by playwright-core)
// against the ledger service (`credit-meter-ledger serve --demo`) on 127.0.0.1 with a
// fresh SQLite file. Every flow of the page is walked; each asserts on what the page shows and
// on the ledger's own state afterwards (GET /v1/state), and saves a screenshot to
// target/e2e/<flow>.png.
//
// Builds nothing: the server binary comes from CREDIT_METER_LEDGER_BIN (default: the
// release build, as scripts/demo.sh uses) and the package from pkg/ (scripts/build.sh).
// Run: node --test tests/e2e/demo.e2e.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.CREDIT_METER_LEDGER_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release", "credit-meter-ledger");
const shots = join(root, "target", "e2e");
const { chromium } = await import(join(root, ".tools", "node_modules", "playwright-core", "index.mjs"));
// The package itself, to check the page's live estimate against it.
const pkg = await import(join(root, "pkg", "credit_meter.js"));
pkg.initSync({ module: readFileSync(join(root, "pkg", "credit_meter_bg.wasm")) });

const work = mkdtempSync(join(tmpdir(), "credit-meter-e2e-"));
mkdirSync(shots, { recursive: true });
/** What to undo at the end, newest first: the browser, then the server. */
const cleanups = [];

/** The operator's token of the test's ledger: this test reads accounts with it; the page
 * never has it (it signs in through the demo route). */
const ADMIN_TOKEN = `e2e-admin-${process.pid}-${Date.now()}`;

/** Starts the server on a free port; resolves with its base URL from its first line. */
async function startServer() {
  const server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--database", `sqlite:${join(work, "ledger.sqlite")}`,
    "--demo", "--www", join(root, "www"), "--pkg", join(root, "pkg")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CREDIT_METER_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  cleanups.push(() => new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    server.once("exit", resolve);
    server.kill("SIGTERM");
  }));
  let stderr = "";
  server.stderr.on("data", (d) => (stderr += d));
  const first = await new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot start ${bin}: ${e.message} (build it: cargo build --release -p credit-meter-ledger-service)`)));
    server.once("exit", (code) => reject(new Error(`${bin} exited with ${code} before listening: ${stderr}`)));
    createInterface({ input: server.stdout }).once("line", resolve);
  });
  const m = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(first);
  assert.ok(m, `first line names the address: ${first}`);
  server.stdout.resume(); // keep draining
  return m[1];
}

let base; // the server's URL
let page; // the one browser tab
const pageErrors = [];

/** Starts the server and the browser (each registers its cleanup first). */
async function setUp() {
  base = await startServer();
  const context = await chromium.launchPersistentContext(mkdtempSync(join(work, "profile-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  cleanups.push(() => context.close());
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000); // a hang guard, not an assertion: every wait is for a state
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  page.on("request", (r) => pending.add(r.url()));
  for (const done of ["requestfinished", "requestfailed"]) page.on(done, (r) => pending.delete(r.url()));
}

/** Requests the page sent that have no answer yet (named when a wait gives up). */
const pending = new Set();

async function tearDown() {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
}

/**
 * The ledger's view of an account, straight from the server. One connection per request
 * (no keep-alive agent): an idle socket held by this process would tie up one of the
 * server's connection threads.
 */
function ledger(account) {
  return new Promise((resolve, reject) => {
    http.get(`${base}v1/state?account=${account}`, { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        try {
          assert.equal(res.statusCode, 200, `GET /v1/state?account=${account}: ${body}`);
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    }).on("error", reject);
  });
}


const id = (testid) => `[data-testid="${testid}"]`;
const text = (testid) => page.textContent(id(testid));
const data = (testid, key) => page.getAttribute(id(testid), `data-${key}`);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/** Clicks (or runs `act`) and waits until the page has finished that action. */
async function act(action) {
  const before = Number(await page.getAttribute("body", "data-actions"));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.actions) > n, before);
}
const click = (testid) => act(() => page.click(id(testid)));

/** The page's balance, as a number of credits (decimal strings of whole credits here). */
const pageBalance = async () => Number(await data("balance", "value"));

/** Σ of what the ledger debited for commits of this device's holds, and per-hold counts. */
function commits(state) {
  const debits = state.entries.filter((e) => e.type === "debit" && e.holdId);
  const perHold = new Map();
  for (const d of debits) perHold.set(d.holdId, (perHold.get(d.holdId) ?? 0) + 1);
  return { debits, perHold, total: debits.reduce((s, d) => s + Number(d.amount), 0) };
}

const glossary = (n) => "# Glossary\n\n" + Array.from({ length: n }, (_, i) => `- Term ${i + 1}: the definition of term number ${i + 1}, in one sentence.`).join("\n");
const NOTE = "# Cells\n\nThe cell is the unit of life. Cells divide. Cells grow.\n\n- Nucleus: holds DNA in the cell\n- Ribosome: builds proteins\n";

// What the page reported, to check the ledger against at the end.
const seen = { start: 0, charged: [], purchased: 0, releasedHold: null, offlineHolds: [] };

test("demo page against the reference ledger server", { timeout: 300_000 }, async (t) => {
  try {
    await setUp();
    await flows(t);
  } finally {
    await tearDown();
  }
});

/** Every flow, in order: later ones build on the ledger state earlier ones left. */
async function flows(t) {
  await t.test("opens on the demo account with the ledger's balance", async () => {
    const state = await ledger("demo");
    seen.start = Number(state.balance);
    try {
      await page.goto(`${base}www/`);
      await page.waitForSelector('body[data-ready="demo"]');
    } catch (e) {
      throw new Error(`${e.message}\nstill unanswered by the server: ${[...pending].join(", ") || "nothing"}`);
    }
    assert.equal(await pageBalance(), seen.start);
    assert.equal(await data("outbox-count", "value"), "0");
    assert.equal(await text("connection-status"), "online");
    assert.equal(await text("freshness"), "fresh");
    const kinds = await page.$$eval(`${id("grant-row")}`, (rows) => rows.map((r) => r.dataset.kind));
    assert.deepEqual(kinds.sort(), state.grants.filter((g) => Number(g.remaining) > 0).map((g) => g.kind).sort());
    await shot("01-open");
  });

  await t.test("estimate updates as you type and matches the package", async () => {
    await page.fill(id("note-input"), "---\ntags: x\n---\n");
    const empty = pkg.estimate({ operation: "flashcards.generate", note: "---\ntags: x\n---\n" });
    assert.equal(await text("est-credits"), `${empty.credits.low} / ${empty.credits.expected} / ${empty.credits.high}`);
    await page.fill(id("note-input"), NOTE);
    const est = pkg.estimate({ operation: "flashcards.generate", note: NOTE });
    assert.ok(Number(est.credits.expected) > 0);
    assert.equal(await text("est-credits"), `${est.credits.low} / ${est.credits.expected} / ${est.credits.high}`);
    assert.equal(await text("est-cards"), `${est.cards.low}–${est.cards.high} (≈${est.cards.expected})`);
    assert.equal(await text("est-tokens"), est.inputTokens.expected.toLocaleString("en-US"));
    assert.equal(await data("decision", "funding"), "credits");
    await shot("02-estimate");
  });

  await t.test("generate: reserve, then commit the actual usage", async () => {
    const before = await ledger("demo");
    await click("generate-button");
    assert.equal(await data("generate-result", "outcome"), "committed", await text("generate-result"));
    const charged = Number(await data("generate-result", "charged"));
    const holdId = await data("generate-result", "hold-id");
    seen.charged.push(charged);
    assert.ok(charged > 0 && charged <= Number(await data("generate-result", "reserved")));
    const after = await ledger("demo");
    assert.equal(Number(after.balance), Number(before.balance) - charged);
    assert.equal(await pageBalance(), Number(after.balance));
    assert.equal(commits(after).perHold.get(holdId), 1, "one commit on the ledger");
    assert.deepEqual(after.holds, [], "no open holds");
    assert.equal(await page.locator(id("usage-bar")).count(), 1);
    await shot("03-generate-commit");
  });

  await t.test("a simulated AI failure releases the hold: nothing charged", async () => {
    const before = await ledger("demo");
    await page.check(id("fail-toggle"));
    await click("generate-button");
    await page.uncheck(id("fail-toggle"));
    assert.equal(await data("generate-result", "outcome"), "released", await text("generate-result"));
    seen.releasedHold = await data("generate-result", "hold-id");
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance);
    const release = after.entries.find((e) => e.type === "release" && e.holdId === seen.releasedHold);
    assert.equal(release?.reason, "released", "the ledger recorded the release");
    assert.equal(commits(after).perHold.get(seen.releasedHold), undefined, "never committed");
    assert.deepEqual(after.holds, []);
    assert.equal(await page.locator(`${id("usage-bar")}[data-status="released"]`).count(), 1);
    await shot("04-failure-released");
  });

  await t.test("own API key: the call runs, no credits are charged", async () => {
    const before = await ledger("demo");
    await page.check(id("byok-toggle"));
    assert.equal(await data("decision", "funding"), "byok");
    await click("generate-button");
    await page.uncheck(id("byok-toggle"));
    assert.equal(await data("generate-result", "outcome"), "byok");
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance);
    assert.equal(after.entries.length, before.entries.length, "nothing reached the ledger");
    await shot("05-own-key");
  });

  await t.test("offline: work queues in the outbox, then syncs exactly once", async () => {
    const before = await ledger("demo");
    await act(() => page.check(id("offline-toggle")));
    for (let i = 0; i < 2; i++) {
      await click("generate-button");
      assert.equal(await data("generate-result", "outcome"), "committed", await text("generate-result"));
      seen.offlineHolds.push(await data("generate-result", "hold-id"));
      seen.charged.push(Number(await data("generate-result", "charged")));
    }
    const queued = Number(await data("outbox-count", "value"));
    assert.equal(queued, 4, "two reserves and two commits queued");
    assert.match(await text("connection-status"), /^offline — 4 queued$/);
    await click("buy-starter");
    assert.equal(await data("buy-result", "level"), "error");
    assert.match(await text("buy-result"), /^OFFLINE: /, "a failed purchase shows its code");
    const during = await ledger("demo");
    assert.equal(during.entries.length, before.entries.length, "nothing reached the ledger while offline");
    await shot("06-offline-queued");
    await act(() => page.uncheck(id("offline-toggle")));
    assert.equal(await data("outbox-count", "value"), "0");
    const after = await ledger("demo");
    const c = commits(after);
    for (const h of seen.offlineHolds) assert.equal(c.perHold.get(h), 1, `${h} committed exactly once`);
    assert.equal(after.entries.filter((e) => e.type === "hold" && seen.offlineHolds.includes(e.hold.id)).length, 2);
    assert.equal(await pageBalance(), Number(after.balance));
    assert.deepEqual(after.holds, []);
    await shot("07-online-synced");
  });

  await t.test("tamper: the forged cache is detected, discarded and resynced", async () => {
    const state = await ledger("demo");
    await click("tamper-button");
    assert.equal(await page.isVisible(id("tamper-detected")), true);
    assert.equal(await data("tamper-detected", "code"), "TAMPERED_CACHE");
    assert.match(await text("tamper-result"), /^Detected TAMPERED_CACHE/);
    assert.equal(await pageBalance(), Number(state.balance), "the ledger's balance, not the forged one");
    assert.equal(await page.locator('#log li[data-type="cacheDiscarded"]').count(), 1);
    await shot("08-tamper-detected");
  });

  await t.test("low balance: spending below the threshold shows the notice", async () => {
    assert.equal((await ledger("demo")).low, false);
    assert.equal(await page.isVisible(id("low-balance-notice")), false);
    let terms = 40;
    for (let i = 0; i < 30 && !(await ledger("demo")).low; i++) {
      await page.fill(id("note-input"), glossary(terms));
      if ((await data("decision", "funding")) === "insufficient") {
        assert.ok(terms > 1, "even one term does not fit");
        terms = Math.ceil(terms / 2);
        continue;
      }
      await click("generate-button");
      assert.equal(await data("generate-result", "outcome"), "committed", await text("generate-result"));
      seen.charged.push(Number(await data("generate-result", "charged")));
    }
    const state = await ledger("demo");
    assert.equal(state.low, true, "the ledger says low");
    assert.equal(await page.isVisible(id("low-balance-notice")), true);
    assert.match(await text("low-balance-notice"), new RegExp(`^Low balance: ${state.balance} credits left`));
    await shot("09-low-balance");
  });

  await t.test("buy a package (demo, no payment)", async () => {
    const before = await ledger("demo");
    await click("buy-starter");
    assert.equal(await data("buy-result", "level"), "ok", await text("buy-result"));
    const total = Number(await data("buy-result", "total"));
    const purchaseId = await data("buy-result", "purchase-id");
    seen.purchased += total;
    const after = await ledger("demo");
    assert.equal(Number(after.balance), Number(before.balance) + total);
    assert.ok(after.grants.some((g) => g.purchaseId === purchaseId), "the purchase is on the ledger");
    assert.equal(await pageBalance(), Number(after.balance));
    assert.equal(after.low, false);
    assert.equal(await page.isVisible(id("low-balance-notice")), false);
    await shot("10-buy");
  });

  await t.test("the demo ledger adds up: start − Σ commits + purchases, no open holds", async () => {
    const state = await ledger("demo");
    const c = commits(state);
    const charged = seen.charged.reduce((a, b) => a + b, 0);
    assert.equal(c.total, charged, "the ledger debited what the page reported");
    assert.equal(c.debits.length, seen.charged.length, "one commit per generation");
    assert.ok([...c.perHold.values()].every((n) => n === 1), "no hold committed twice");
    assert.equal(Number(state.balance), seen.start - charged + seen.purchased);
    assert.deepEqual(state.holds, []);
    assert.equal(await pageBalance(), Number(state.balance));
  });

  await t.test("AI-agent account: plan upgrade carries plan credits forward", async () => {
    await act(() => page.selectOption(id("account-select"), "demo-agent"));
    await page.waitForSelector('body[data-ready="demo-agent"]');
    const before = await ledger("demo-agent");
    assert.equal(await pageBalance(), Number(before.balance));
    assert.equal(await data("plan-current", "value"), before.plan);
    const planCredits = before.grants
      .filter((g) => g.kind === "planCycle" || g.kind === "carriedForward")
      .reduce((s, g) => s + Number(g.remaining), 0);
    assert.ok(planCredits > 0, "the account starts with monthly credits");
    await page.selectOption(id("plan-select"), "pro");
    await click("plan-switch-button");
    assert.equal(await data("plan-result", "level"), "ok", await text("plan-result"));
    assert.equal(await data("plan-result", "upgrade"), "true");
    assert.equal(Number(await data("plan-result", "carried")), planCredits);
    const after = await ledger("demo-agent");
    assert.equal(after.plan, "pro");
    assert.equal(await data("plan-current", "value"), "pro");
    const carried = after.grants.find((g) => g.kind === "carriedForward");
    assert.equal(Number(carried?.remaining), planCredits, "carried forward on the ledger");
    const rows = await page.$$eval(id("grant-row"), (rs) => rs.map((r) => ({ ...r.dataset })));
    const usable = after.grants.filter((g) => Number(g.remaining) > 0);
    assert.deepEqual(
      rows.map((r) => [r.id, r.kind, r.remaining, r.expiresAt]).sort(),
      usable.map((g) => [g.id, g.kind, g.remaining, g.expiresAt === null ? "" : String(g.expiresAt)]).sort(),
      "the page lists the ledger's grants with their expiry",
    );
    assert.ok(rows.some((r) => r.kind === "carriedForward") && rows.some((r) => r.kind === "planCycle" && r.expiresAt !== ""));
    assert.equal(await pageBalance(), Number(after.balance));
    await shot("11-agent-plan-upgrade");
  });

  await t.test("AI-agent account: TTS allowance and agents, as the ledger says", async () => {
    await click("tts-convert-button");
    assert.equal(await data("plan-result", "level"), "ok", await text("plan-result"));
    let state = await ledger("demo-agent");
    const tts = state.allowances.find((a) => a.kind === "ttsCharacters");
    assert.ok(tts.remaining > 0);
    assert.equal(await data("allowance-ttsCharacters", "value"), String(tts.remaining));
    await click("agent-activate-button");
    assert.equal(await data("plan-result", "level"), "ok", await text("plan-result"));
    const agentId = await data("plan-result", "agent-id");
    state = await ledger("demo-agent");
    assert.deepEqual(state.agents.map((a) => [a.id, a.status]), [[agentId, "active"]]);
    assert.equal(await page.locator(`${id("agent-row")}[data-status="active"]`).count(), 1);
    assert.equal(await pageBalance(), Number(state.balance));
    await shot("12-agent-tts-agents");
  });

  await t.test("AI-agent account: a message for an agent is reserved and committed", async () => {
    const agentId = (await ledger("demo-agent")).agents[0].id;
    await page.selectOption(id("agent-select"), agentId);
    await click("generate-button");
    assert.equal(await data("generate-result", "outcome"), "committed", await text("generate-result"));
    const holdId = await data("generate-result", "hold-id");
    const state = await ledger("demo-agent");
    const debit = state.entries.find((e) => e.type === "debit" && e.holdId === holdId);
    assert.equal(debit?.purpose?.agentId, agentId, "usage attributed to the agent");
    assert.equal(Number(debit.amount), Number(await data("generate-result", "charged")));
    assert.deepEqual(state.holds, []);
    assert.equal(await pageBalance(), Number(state.balance));
    await shot("13-agent-message");
  });

  await t.test("a page on another origin can do nothing with the ledger (no CORS by default)", async () => {
    const before = await ledger("demo");
    // Another origin: the same host on another port.
    const evil = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>elsewhere</title>");
    });
    await new Promise((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const tab = await page.context().newPage();
    try {
      await tab.goto(`http://127.0.0.1:${evil.address().port}/`);
      const outcomes = await tab.evaluate(async (ledgerBase) => {
        const attempt = async (path, init) => {
          try {
            const r = await fetch(ledgerBase + path, init);
            return `read ${r.status}: ${(await r.text()).slice(0, 80)}`;
          } catch {
            return "blocked";
          }
        };
        const grant = JSON.stringify({ op: "grant", accountId: "demo", grant: { id: "evil", kind: "promotion", amount: "999999" } });
        return [
          await attempt("v1/keys"),
          await attempt("v1/state?account=demo"),
          await attempt("v1/admin", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer guess" }, body: grant }),
          await attempt("v1/admin", { method: "POST", body: grant }), // a "simple" request: sent, refused, unreadable
          await attempt("demo/token", { method: "POST", body: JSON.stringify({ accountId: "demo", deviceId: "evil" }) }),
          await attempt("demo/admin", { method: "POST", body: JSON.stringify({ op: "purchase", accountId: "demo", purchaseId: "evil", packageId: "pro" }) }),
        ];
      }, base);
      assert.deepEqual(outcomes, outcomes.map(() => "blocked"));
    } finally {
      await tab.close();
      evil.close();
    }
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance, "no credits granted or bought");
    assert.equal(after.grants.length, before.grants.length);
  });

  await t.test("no page errors", () => {
    assert.deepEqual(pageErrors, []);
  });
}
