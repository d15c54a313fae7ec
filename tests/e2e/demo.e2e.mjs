// The demo page end to end: real headless Chromium (Debian's, driven by playwright-core)
// against the ledger service (`credit-meter-ledger serve --demo`) on 127.0.0.1 with a
// fresh SQLite file. Every flow of the page is walked twice — on a desktop (1280×800,
// en-US) and on a phone (390×844, de-DE: numbers in another locale) — each run with its
// own server and browser. Each flow asserts on what the page shows and on the ledger's
// own state afterwards (GET /v1/state); each state is checked with axe-core (no serious
// or critical violations), on the phone for horizontal overflow, and saved as a
// screenshot to target/e2e/<size>-<state>.png. The ledger's AI proxy forwards to
// scripts/stand-in-provider.mjs (a labelled loopback fake of an OpenAI-compatible
// provider, as ./scripts/demo.sh runs it): the page's credit-paid Generate calls it
// through the proxy, and the tests check each charge against the usage the stand-in
// printed, priced from the package's catalog.
//
// Builds nothing: the server binary comes from CREDIT_METER_LEDGER_BIN (default: the
// release build, as scripts/demo.sh uses) and the package from pkg/ (scripts/build.sh).
// Run: node --test tests/e2e/demo.e2e.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { dec, proxyPrice, str } from "../support/proxy-price.mjs";

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
async function startServer(name, { addr = "127.0.0.1:0", extra = [] } = {}) {
  const server = spawn(bin, ["serve", "--addr", addr, "--database", `sqlite:${join(work, `${name}.sqlite`)}`,
    "--demo", "--www", join(root, "www"), "--pkg", join(root, "pkg"), ...extra], {
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

/** The two sizes every flow runs at; the phone also reads numbers in another locale. */
const SIZES = [
  { name: "desktop", width: 1280, height: 800, locale: "en-US", isMobile: false },
  { name: "phone", width: 390, height: 844, locale: "de-DE", isMobile: true },
];
const AXE = join(root, ".tools", "node_modules", "axe-core", "axe.min.js");

let size; // the current run's size
let base; // the server's URL
let page; // the one browser tab
let pageErrors = [];

/** Starts the server (`serverOptions`: see startServer) and the browser (each registers
 * its cleanup first). */
async function setUp(serverOptions) {
  base = await startServer(size.name, serverOptions);
  const context = await chromium.launchPersistentContext(mkdtempSync(join(work, "profile-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: size.width, height: size.height },
    locale: size.locale,
    isMobile: size.isMobile,
    hasTouch: size.isMobile,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  cleanups.push(() => context.close());
  await context.addInitScript({ path: AXE }); // axe-core in every document, whatever its CSP
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000); // a hang guard, not an assertion: every wait is for a state
  pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  page.on("request", (r) => pending.add(r.url()));
  for (const done of ["requestfinished", "requestfailed"]) page.on(done, (r) => pending.delete(r.url()));
}

/** Requests the page sent that have no answer yet (named when a wait gives up). */
const pending = new Set();

async function tearDown() {
  for (const c of cleanups.splice(0).reverse()) await c();
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
/** The message area's sentence alone (without its Dismiss button). */
const messageText = async () => (await page.textContent("#message-text")).trim();
/** `s` as a literal in a RegExp. */
const literal = (s) => String(s).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const data = (testid, key) => page.getAttribute(id(testid), `data-${key}`);

/** A decimal string as the page shows it in this run's locale (integer part grouped,
 * fraction digits kept, trailing zeros dropped). */
function fmt(value) {
  const [int, frac = ""] = String(value).split(".");
  const nf = new Intl.NumberFormat(size.locale);
  const f = frac.replace(/0+$/, "");
  return nf.format(BigInt(int)) + (f ? nf.formatToParts(1.5).find((p) => p.type === "decimal").value + f : "");
}
const credits = (value) => `${fmt(value)} ${String(value) === "1" ? "credit" : "credits"}`;

/**
 * One state of the page: axe-core finds no serious or critical violation, nothing is
 * wider than the viewport, and a screenshot goes to target/e2e/<size>-<name>.png.
 */
async function checkState(name) {
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], `axe-core on ${name}`);
  const overflow = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll(".card, .message, .banner, table, button, select, textarea, svg")]
      .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > w + 0.5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id || el.dataset.testid || ""} right=${el.getBoundingClientRect().right}`);
    return { scroll: document.documentElement.scrollWidth - w, wide };
  });
  assert.deepEqual(overflow, { scroll: 0, wide: [] }, `${name}: nothing wider than the ${size.width} px viewport`);
  await page.screenshot({ path: join(shots, `${size.name}-${name}.png`), fullPage: true });
}

/** Clicks (or runs `act`) and waits until the page has finished that action. */
async function act(action) {
  const before = Number(await page.getAttribute("body", "data-actions"));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.actions) > n, before);
}
const click = (testid) => act(() => page.click(id(testid)));

/** What the spendable headline says, as a number of credits. */
const pageBalance = async () => Number(await data("balance", "value"));
/** The message area: whether it shows, and its data. */
const message = async () => ({
  visible: await page.isVisible(id("message")),
  source: await data("message", "source"),
  level: await data("message", "level"),
  text: (await text("message")).trim(),
});

/** Opens the Details disclosure (the developer's view). */
async function openDetails() {
  if (!(await page.getAttribute(id("details"), "open") !== null)) await page.click(`${id("details")} > summary`);
}

/** Σ of what the ledger debited for commits of holds (exact, scaled: see `dec`), and per-hold counts. */
function commits(state) {
  const debits = state.entries.filter((e) => e.type === "debit" && e.holdId);
  const perHold = new Map();
  for (const d of debits) perHold.set(d.holdId, (perHold.get(d.holdId) ?? 0) + 1);
  return { debits, perHold, total: debits.reduce((s, d) => s + dec(d.amount), 0n) };
}

/** Σ of the credits the account's calls took, from the ledger's own entries: debits of
 * holds, and conversions of credits into an allowance's units a call drew (a conversion
 * followed by the call's allowanceUse; one the user asked for has none). */
function usageCredits(state) {
  const bySeq = new Map(state.entries.map((e) => [e.seq, e]));
  return state.entries.reduce((sum, e) => {
    if (e.type === "debit" && e.holdId && e.purpose?.kind === "operation") return sum + dec(e.amount);
    if (e.type === "conversion" && bySeq.get(e.seq + 1)?.type === "allowanceUse") return sum + dec(e.credits);
    return sum;
  }, 0n);
}

/** Resolves once `cond()` holds: the stand-in's stdout reaches this process on its own
 * schedule (a hang guard, not a timed assertion: the test's timeout ends a stuck wait). */
async function until(cond) {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The stand-in provider as ./scripts/demo.sh runs it; resolves with its base URL and
 * the usages and failures it prints (`usage {…}`, `failed {…}`), as they come. */
async function startProvider() {
  const proc = spawn(process.execPath, [join(root, "scripts", "stand-in-provider.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  cleanups.push(() => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", resolve);
    proc.kill("SIGTERM");
  }));
  const provider = { url: null, usages: [], failures: [] };
  provider.url = await new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`the stand-in provider exited with ${code}`)));
    createInterface({ input: proc.stdout }).on("line", (l) => {
      const m = /^stand-in provider on (\S+)/.exec(l);
      if (m) resolve(m[1]);
      if (l.startsWith("usage ")) provider.usages.push(JSON.parse(l.slice(6)));
      if (l.startsWith("failed ")) provider.failures.push(JSON.parse(l.slice(7)));
    });
  });
  return provider;
}

/** What the proxy charges for `usage` of a hold of `operation` on the operation's model. */
function priced(operation, usage) {
  const catalog = pkg.defaultCatalog();
  return proxyPrice(catalog, operation, catalog.operations.find((o) => o.id === operation).model, usage);
}

/** The browser's own line for the proxy's answer to a failed call (an HTTP 502 is logged
 * as a console error, when it gets there); only the failing-provider flow causes it. */
const FAILED_CALL = /Failed to load resource: the server responded with a status of 502/;
/** The browser's line for a request the unreachable-server flow refuses. */
const REFUSED = /Failed to load resource: net::ERR_CONNECTION_REFUSED/;

const glossary = (n) => "# Glossary\n\n" + Array.from({ length: n }, (_, i) => `- Term ${i + 1}: the definition of term number ${i + 1}, in one sentence.`).join("\n");
const NOTE = "# Cells\n\nThe cell is the unit of life. Cells divide. Cells grow.\n\n- Nucleus: holds DNA in the cell\n- Ribosome: builds proteins\n";

// What the page reported, to check the ledger against at the end (reset per run).
let seen;
// The stand-in provider behind the ledger's AI proxy (per run).
let provider;

for (const s of SIZES) {
  test(`demo page against the reference ledger server, ${s.name} ${s.width}×${s.height} (${s.locale})`, { timeout: 300_000 }, async (t) => {
    size = s;
    seen = { start: "0", charged: [], purchased: 0, releasedHold: null, offlineHolds: [], failedCalls: 0, unreachable: false };
    try {
      provider = await startProvider();
      await setUp({ extra: ["--upstream-url", provider.url] });
      await flows(t);
    } finally {
      await tearDown();
    }
  });
}

/** A free loopback port (the stand-in and the ledger must know each other's URL). */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The payment stand-in as ./scripts/demo.sh runs it; the ledger options that sell through it. */
async function startStandIn() {
  const [ledgerPort, httpPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const sk = join(work, "stripe-secret-key");
  const whsec = join(work, "stripe-webhook-secret");
  writeFileSync(sk, `sk_test_e2e_${process.pid}\n`, { mode: 0o600 });
  writeFileSync(whsec, `whsec_e2e_${process.pid}\n`, { mode: 0o600 });
  const proc = spawn(process.execPath, [join(root, "scripts", "stripe-stand-in.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, STAND_IN_PORT: String(httpPort), SMTP_PORT: String(smtpPort), LEDGER_URL: `http://127.0.0.1:${ledgerPort}`,
      STRIPE_SECRET_KEY_FILE: sk, STRIPE_WEBHOOK_SECRET_FILE: whsec },
  });
  cleanups.push(() => proc.kill());
  await new Promise((resolve) => createInterface({ input: proc.stdout }).once("line", resolve));
  const ledgerUrl = `http://127.0.0.1:${ledgerPort}`;
  return {
    standIn: `http://127.0.0.1:${httpPort}`,
    server: {
      addr: `127.0.0.1:${ledgerPort}`,
      extra: ["--stripe-api-base", `http://127.0.0.1:${httpPort}`, "--stripe-secret-key-file", sk, "--stripe-webhook-secret-file", whsec,
        "--stripe-plan-price", "starter=price_demo_starter", "--stripe-plan-price", "pro=price_demo_pro",
        "--smtp-url", `smtp://127.0.0.1:${smtpPort}`, "--email-buy-url", `${ledgerUrl}/www/`,
        "--checkout-success-url", `${ledgerUrl}/www/?checkout=paid`, "--checkout-cancel-url", `${ledgerUrl}/www/?checkout=cancelled`],
    },
  };
}

/** Clicks a button that leaves for the stand-in's checkout page, pays there, and waits
 * until the page is back and has finished the return (its `data-actions` counter). */
async function payAtCheckout(testid, account) {
  await page.click(id(testid));
  await page.waitForURL(/\/pay\/cs_/);
  assert.match(await page.textContent("body"), /TEST MODE/);
  await checkState(`checkout-${testid}`); // axe-core: the stand-in's page too
  await page.click("#pay");
  await page.waitForURL(/\/www\/$/); // back, the ?checkout=paid read and dropped
  await page.waitForSelector(`body[data-ready="${account}"]`);
  await page.waitForFunction(() => document.querySelector('[data-testid="message"]')?.dataset.source === "buy");
}

test("demo page sells through Stripe (the demo's stand-in): buy, refund, subscribe, cancel", { timeout: 300_000 }, async (t) => {
  size = { ...SIZES[0], name: "payments" }; // its own database and screenshot names
  try {
    const { standIn, server } = await startStandIn();
    await setUp(server);
    await t.test("Buy opens the test-mode checkout; paying brings the credits through the webhook", async () => {
      await page.goto(`${base}www/`);
      await page.waitForSelector('body[data-ready="demo"]');
      await page.waitForSelector(id("mailbox"));
      assert.equal(await text("buy-mode"), "Stripe test mode: no real money");
      const before = await ledger("demo");
      await payAtCheckout("buy-starter", "demo");
      const after = await ledger("demo");
      const bought = after.grants.filter((g) => !before.grants.some((b) => b.id === g.id));
      assert.equal(bought.reduce((x, g) => x + Number(g.amount), 0), 500, "the Starter package's 500 credits, granted by the webhook");
      // The message says what the payment brought: the credits the webhook granted.
      assert.match(await messageText(), new RegExp(`^Paid for the Starter package \\(Stripe test mode\\): ${fmt("500")} credits added(, until [^.]+)?\\. They came with the payment's webhook\\.`));
      assert.equal(await data("message", "granted"), "500");
      assert.equal(Number(after.balance), Number(before.balance) + 500);
      assert.equal(await pageBalance(), Number(after.balance), "the page synced them");
      await checkState("20-paid-checkout");
    });
    await t.test("Refund pays back the unused credits of a purchase inside its window", async () => {
      const before = await ledger("demo");
      const purchase = before.grants.filter((g) => g.kind === "purchase" && g.purchaseId !== "welcome").at(-1);
      assert.match(await page.getAttribute(id(`refund-${purchase.purchaseId}`), "aria-label"),
        new RegExp(`^Refund the ${fmt("500")} unused credits of Starter package, bought .*, \\$2\\.50 back$`));
      await click(`refund-${purchase.purchaseId}`);
      assert.equal(await data("message", "source"), "refund", await text("message"));
      assert.equal(await data("message", "refund-usd"), "2.5");
      assert.match(await text("message"), new RegExp(`Refunded ${fmt("500")} unused credits of the Starter package, bought .*\\. \\$2\\.50 goes back to the card\\.`));
      const after = await ledger("demo");
      assert.equal(Number(after.balance), Number(before.balance) - 500);
      assert.equal(await pageBalance(), Number(after.balance));
      assert.equal(await page.locator(id(`refund-${purchase.purchaseId}`)).count(), 0, "nothing left to refund");
      const refunds = await (await fetch(`${standIn}/refunds`)).json();
      assert.deepEqual(refunds.map((r) => [r.id, r.amount]), [[await data("message", "stripe-refund-id"), 250]]);
      await page.waitForFunction(() => document.querySelector('[data-testid="stand-in-refunds"]')?.dataset.count === "1");
      await checkState("21-refunded");
    });
    await t.test("spending below the low-balance line sends one email, which the mailbox shows", async () => {
      // Another device of the account spends all but 40 of its credits (below 10 % of the
      // last top-up); the ledger's outbox sends the email to the stand-in's SMTP sink.
      const left = Number((await ledger("demo")).balance);
      const { token } = await (await fetch(`${base}demo/token`, { method: "POST", body: JSON.stringify({ accountId: "demo", deviceId: "e2e-phone" }) })).json();
      const amount = String(left - 40);
      const mutations = [
        { type: "reserve", seq: 1, at: 0, holdId: "e2e-phone:h1", amount, operation: "flashcards.generate" },
        { type: "commit", seq: 2, at: 0, holdId: "e2e-phone:h1", amount },
      ];
      const pushed = await (await fetch(`${base}v1/push`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ v: 2, accountId: "demo", deviceId: "e2e-phone", mutations }) })).json();
      assert.deepEqual(pushed.results.map((r) => r.status), ["applied", "applied"], JSON.stringify(pushed));
      await page.waitForFunction(() => document.querySelector('[data-testid="mailbox"]')?.dataset.count === "1");
      assert.match(await text("mailbox"), /demo@demo\.invalid: .*low: 40 credits left/);
      const mails = await (await fetch(`${standIn}/mailbox`)).json();
      assert.equal(mails.length, 1, "exactly one email for one crossing");
      await checkState("22-low-balance-email");
    });
    await t.test("the plan switch buys a subscription; Free cancels it; neither adds unpaid credits", async () => {
      await act(() => page.selectOption(id("account-select"), "demo-agent"));
      await page.waitForSelector('body[data-ready="demo-agent"]');
      const before = await ledger("demo-agent");
      assert.equal(await data("plan-current", "value"), "starter");
      await page.selectOption(id("plan-select"), "pro");
      await payAtCheckout("plan-switch-button", "demo-agent");
      const onPro = await ledger("demo-agent");
      assert.equal(onPro.plan, "pro");
      assert.equal(await data("plan-current", "value"), "pro");
      const newCycles = onPro.grants.filter((g) => g.kind === "planCycle" && !before.grants.some((b) => b.id === g.id));
      assert.equal(newCycles.length, 1, "one paid invoice, one Pro cycle");
      // The upgrade's message says the credits it brought (the new cycle's, from the ledger).
      assert.match(await messageText(), new RegExp(`^Paid for the Pro plan \\(Stripe test mode\\): ${fmt(newCycles[0].amount)} monthly credits added, until [^.]+\\.`
        + `( [\\d,.]+ unused plan credits? carried over\\.)? They came with the payment's webhook\\.$`));
      assert.equal(await data("message", "granted"), newCycles[0].amount);
      assert.equal(await pageBalance(), Number(onPro.balance));
      await checkState("23-subscribed");
      // Paid to paid, down: the subscription's price changes from the next renewal; no
      // second checkout, no second subscription, and the paid plan stays until then.
      await page.selectOption(id("plan-select"), "starter");
      await click("plan-switch-button");
      assert.match(await text("message"), /moves to the Starter plan at its next renewal/);
      const afterDown = await ledger("demo-agent");
      assert.equal(afterDown.plan, "pro");
      assert.equal(afterDown.balance, onPro.balance, "a downgrade adds nothing and takes nothing");
      // The change waits for the renewal: said next to the plan, and undone by choosing the
      // current plan again (Stripe keeps the paid plan; nothing is bought twice).
      assert.equal(await page.isVisible(id("plan-pending")), true);
      assert.match(await text("plan-pending"), /^Moves to Starter at the next renewal; choose the current plan to stay on it\.$/);
      await page.selectOption(id("plan-select"), "pro");
      await click("plan-switch-button");
      assert.match(await messageText(), /^Your subscription stays on the Pro plan: the change waiting for the renewal is undone\.$/);
      assert.equal(await page.isVisible(id("plan-pending")), false);
      assert.equal((await ledger("demo-agent")).balance, onPro.balance, "undoing adds nothing");
      await page.selectOption(id("plan-select"), "free");
      await click("plan-switch-button");
      assert.match(await text("message"), /Subscription cancelled: the account is on the Free plan/);
      const ended = await ledger("demo-agent");
      assert.equal(ended.plan, "free");
      assert.equal(await data("plan-current", "value"), "free");
      assert.ok(Number(ended.balance) <= Number(onPro.balance), "cancelling adds nothing");
      await checkState("24-cancelled");
    });
    await t.test("an upgrade of a paid subscription (changed, no second checkout) says what its new cycle brought", async () => {
      const cancelled = await ledger("demo-agent");
      await page.selectOption(id("plan-select"), "starter");
      await payAtCheckout("plan-switch-button", "demo-agent");
      assert.equal(await data("plan-current", "value"), "starter");
      const before = await ledger("demo-agent");
      // A new subscription paid Starter in full for a new period: its 2,000 credits, though
      // the cancelled subscription's cycle still runs (its credits were its own payment's).
      const starter = before.grants.filter((g) => g.kind === "planCycle" && !cancelled.grants.some((b) => b.id === g.id));
      assert.deepEqual(starter.map((g) => g.amount), ["2000"]);
      await page.selectOption(id("plan-select"), "pro");
      await click("plan-switch-button");
      assert.equal(await data("message", "takes-effect"), "now", await messageText());
      const after = await ledger("demo-agent");
      assert.equal(after.plan, "pro");
      const fresh = after.grants.filter((g) => g.kind === "planCycle" && !before.grants.some((b) => b.id === g.id));
      const granted = str(fresh.reduce((x, g) => x + dec(g.amount), 0n));
      const said = await messageText();
      assert.match(said, /^Changed your subscription to the Pro plan: a new monthly cycle starts today, paid in full\. /);
      // What the upgrade brought, from the ledger's records: Pro's whole cycle, paid in full.
      assert.equal(granted, "10000");
      assert.match(said, new RegExp(`paid in full\\. ${literal(fmt(granted))} monthly credits added, until [^.]+\\.`));
      assert.equal(await data("message", "granted"), granted);
      assert.equal(await pageBalance(), Number(after.balance));
      await checkState("25-upgraded-subscription");
    });
    await t.test("no page errors", () => assert.deepEqual(pageErrors, []));
  } finally {
    await tearDown();
  }
});

test("a page whose client package does not arrive says so, instead of connecting for ever", { timeout: 120_000 }, async () => {
  size = { ...SIZES[0], name: "no-package" };
  const empty = mkdtempSync(join(work, "no-pkg-"));
  try {
    await setUp({ extra: ["--pkg", empty] }); // the later --pkg wins: nothing to serve
    await page.goto(`${base}www/`);
    await page.waitForSelector('[data-testid="message"]:not([hidden])', { timeout: 15_000 });
    assert.equal(await page.getAttribute(id("message"), "data-code"), "START_FAILED");
    assert.match(await page.textContent("#message-text"), /^The page could not load its code/);
    assert.equal(await page.textContent(id("connection-status")), "Could not start");
  } finally {
    await tearDown();
  }
});

test("clean up", () => rmSync(work, { recursive: true, force: true }));

/** Every flow, in order: later ones build on the ledger state earlier ones left. */
async function flows(t) {
  await t.test("opens on the demo account: what can be spent, in the user's locale, in reading order", async () => {
    const state = await ledger("demo");
    seen.start = state.balance;
    try {
      await page.goto(`${base}www/`);
      await page.waitForSelector('body[data-ready="demo"]');
    } catch (e) {
      throw new Error(`${e.message}\nstill unanswered by the server: ${[...pending].join(", ") || "nothing"}`);
    }
    assert.equal(await pageBalance(), Number(seen.start));
    assert.equal(await text("balance"), credits(state.balance));
    assert.equal(await data("outbox-count", "value"), "0");
    assert.equal(await data("connection-status", "state"), "online");
    assert.equal(await text("freshness"), "fresh");
    assert.equal((await message()).visible, false, "no message before any action");
    const rows = await page.$$eval(id("grant-row"), (rs) => rs.map((r) => ({ ...r.dataset, text: r.textContent })));
    assert.deepEqual(rows.map((r) => r.kind).sort(), state.grants.filter((g) => Number(g.remaining) > 0).map((g) => g.kind).sort());
    const welcome = state.grants.find((g) => g.purchaseId === "welcome");
    const row = rows.find((r) => r.id === welcome.id);
    assert.equal(row.refundableUntil, String(welcome.refundableUntil), "the refund window of the welcome purchase");
    assert.match(row.text, /^Starter package, bought .*until /, "package name, date and refund window");
    // Screen readers hear the decision, results and notices: live regions around them.
    assert.equal(await page.getAttribute(id("decision"), "aria-live"), "polite");
    for (const testid of ["message", "low-balance-notice"]) {
      assert.equal(await page.$eval(id(testid), (el) => el.closest("[aria-live]")?.getAttribute("aria-live")), "polite", testid);
    }
    assert.ok(await page.$eval(id("event-log"), (el) => el.closest("[tabindex]")?.getAttribute("aria-labelledby")), "the scrollable log is labelled");
    // Reading order, on a phone too: note → estimate → decision → Generate → balance.
    const top = (testid) => page.$eval(id(testid), (el) => el.getBoundingClientRect().top);
    const order = [];
    for (const testid of ["note-input", "est-credits", "decision", "generate-button", "balance"]) order.push(await top(testid));
    assert.deepEqual([...order].sort((a, b) => a - b), order, `top to bottom: ${order.join(", ")}`);
    assert.ok(order[4] - order[3] < 300, `the balance right after Generate (${order[4] - order[3]} px below it)`);
    await checkState("01-open");
  });

  await t.test("estimate updates as you type and matches the package", async () => {
    await page.fill(id("note-input"), "---\ntags: x\n---\n");
    assert.equal(await data("decision", "funding"), "credits");
    assert.equal(await data("decision", "proceed"), "false", "nothing to send");
    assert.equal(await page.isDisabled(id("generate-button")), true);
    await page.fill(id("note-input"), NOTE);
    const est = pkg.estimate({ operation: "flashcards.generate", note: NOTE });
    assert.ok(Number(est.credits.expected) > 0);
    for (const k of ["low", "expected", "high"]) assert.equal(await data("est-credits", k), est.credits[k]);
    assert.equal(await data("est-credits", "unit"), "credits");
    assert.match(await text("est-credits"), new RegExp(`^about ${fmt(est.credits.expected)} credits?, at most ${fmt(est.credits.high)}$`));
    assert.match(await text("est-cards"), new RegExp(`^about ${fmt(est.cards.expected)} cards? \\(${est.cards.low}–${est.cards.high}\\)$`));
    assert.match(await text("est-tokens"), new RegExp(`${fmt(est.inputTokens.expected)} prompt tokens \\(the note plus fixed instructions\\)`));
    assert.equal(await data("decision", "funding"), "credits");
    assert.match(await text("decision"), /^Ready: about /);
    // The charge follows the AI's reply, not the cards it makes: no promise to the contrary.
    assert.match(await text("decision"), /you pay for what the AI's reply uses, even if it makes fewer cards than expected, and the rest goes back\.$/);
    assert.doesNotMatch(await page.textContent("body"), /pay only for what/);
    await checkState("02-estimate");
  });

  await t.test("the note's direction follows its first letter, set by the page (the browser's dir=auto lays a long paste out 15× slower)", async () => {
    const note = await page.inputValue(id("note-input"));
    const dir = () => page.$eval(id("note-input"), (el) => [el.getAttribute("dir"), getComputedStyle(el).direction]);
    try {
      await page.fill(id("note-input"), "123 — الخلية هي وحدة الحياة. The cell is the unit of life.");
      assert.deepEqual(await dir(), ["rtl", "rtl"], "the first letter is Arabic (digits and dashes are neutral)");
      await page.fill(id("note-input"), "The cell is the unit of life. שלום");
      assert.deepEqual(await dir(), ["ltr", "ltr"]);
    } finally {
      await page.fill(id("note-input"), note);
    }
    assert.deepEqual(await dir(), ["ltr", "ltr"]);
  });

  if (size.name === "desktop") {
    await t.test("a 2 MB note: estimated when pasted and once typing pauses, never again while it stays the same", async () => {
      const note = await page.inputValue(id("note-input"));
      const big = Array.from({ length: 40_000 }, (_, i) => `- Fact ${i}: cell ${i} makes protein ${i} in the body.`).join("\n");
      assert.ok(big.length > 2_000_000, `${big.length} characters`);
      // As a paste puts it there (page.fill would type it into the box).
      const paste = (value) => page.evaluate((v) => {
        const box = document.getElementById("note");
        box.focus();
        box.value = v;
        box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
      }, value);
      const estimated = () => page.waitForFunction(() => document.querySelector('[data-testid="est-credits"]').dataset.pending === undefined);
      const estimates = () => page.evaluate(() => performance.getEntriesByName("credit-meter estimate").length);
      try {
        await paste(big);
        await estimated();
        assert.equal(await data("est-credits", "expected"), pkg.estimate({ operation: "flashcards.generate", note: big }).credits.expected);
        // Idle: the page re-renders every second (freshness, expiries), but the note is the
        // same, so it is not estimated again (each time took 86–170 ms: a long task a second).
        await page.evaluate(() => {
          performance.clearMeasures("credit-meter estimate");
          window.longTasks = [];
          new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => Math.round(e.duration)))).observe({ type: "longtask" });
        });
        await page.waitForTimeout(3_500);
        assert.deepEqual({ estimates: await estimates(), longTasks: await page.evaluate(() => window.longTasks) }, { estimates: 0, longTasks: [] },
          "nothing estimated again while the note stays the same, and no long task");
        // Typing: the figures say they are being updated, the note is estimated once typing
        // pauses (not at each key), and the figures are then the new text's.
        await page.focus(id("note-input"));
        await page.keyboard.press("Control+End");
        await page.keyboard.type(" more.");
        await estimated();
        const typed = await page.inputValue(id("note-input"));
        assert.ok(typed.endsWith(" more."), typed.slice(-20));
        assert.ok(await estimates() <= 2, `${await estimates()} estimates for 6 keys`);
        assert.equal(await data("est-credits", "expected"), pkg.estimate({ operation: "flashcards.generate", note: typed }).credits.expected);
      } finally {
        await paste(note);
        await estimated();
      }
      assert.equal(await data("est-credits", "expected"), pkg.estimate({ operation: "flashcards.generate", note: NOTE }).credits.expected);
    });
  }

  await t.test("generate: reserve, the call through the ledger's AI proxy, commit: charged the provider's reported usage", async () => {
    const before = await ledger("demo");
    const calls = provider.usages.length;
    await click("generate-button");
    const m = await message();
    assert.equal(await data("message", "outcome"), "committed", m.text);
    assert.equal(m.source, "generate");
    assert.equal(await data("message", "ai"), "proxy", "a credit-paid call goes through the proxy");
    assert.equal(await data("message", "settled-by"), "proxy", "the ledger answered the page's commit: settled by the proxy");
    await until(() => provider.usages.length > calls);
    assert.equal(provider.usages.length, calls + 1, "one call reached the provider");
    const usage = provider.usages.at(-1);
    // True Recall's flashcards are priced per card: through the proxy, by the cards the
    // reply's tokens are worth at the catalog's outputTokensPerCard (PROTOCOL §6.7).
    const price = priced("flashcards.generate", usage);
    const charged = await data("message", "charged");
    assert.equal(charged, price, "charged = the stand-in's reported usage priced by the catalog");
    assert.equal(await data("message", "input-tokens"), String(usage.prompt_tokens));
    assert.equal(await data("message", "output-tokens"), String(usage.completion_tokens));
    const holdId = await data("message", "hold-id");
    seen.charged.push(charged);
    assert.ok(dec(charged) > 0n && dec(charged) <= dec(await data("message", "reserved")));
    const cards = await data("message", "cards");
    assert.ok(Number(cards) >= 1, "the cards the answer holds");
    assert.match(m.text, new RegExp(`^Made ${fmt(cards)} flashcards? for ${credits(charged)}\\. Charged by the AI proxy from the provider's reported usage: `
      + `${fmt(String(usage.prompt_tokens))} prompt tokens? \\+ ${fmt(String(usage.completion_tokens))} reply tokens? \\(the reply's tokens priced as cards at the catalog's tokens per card\\)`));
    const after = await ledger("demo");
    assert.equal(str(dec(before.balance) - dec(after.balance)), price, "the ledger charged the price, once");
    assert.equal(await pageBalance(), Number(after.balance));
    assert.equal(commits(after).perHold.get(holdId), 1, "one debit for the hold: the page's commit charged nothing more");
    assert.equal(commits(after).debits.find((d) => d.holdId === holdId).amount, price);
    assert.deepEqual(after.holds, [], "no open holds");
    assert.equal(await page.locator(id("usage-bar")).count(), 1, "usage from the ledger");
    await checkState("03-generate-commit");
  });

  await t.test("a failing provider: the proxy releases the hold before any output, nothing charged", async () => {
    const before = await ledger("demo");
    const [calls, failures] = [provider.usages.length, provider.failures.length];
    await page.check(id("fail-toggle"));
    await click("generate-button");
    await page.uncheck(id("fail-toggle"));
    assert.equal(await data("message", "outcome"), "released", await text("message"));
    assert.equal((await message()).level, "warn");
    assert.equal(await data("message", "ai"), "proxy");
    assert.equal(await data("message", "code"), "UPSTREAM_FAILED", "the proxy's code stays in the data");
    assert.equal(await data("message", "released-by"), "proxy", "the proxy had released the hold when the page's release arrived");
    assert.match((await message()).text, /^The AI service failed, so nothing was charged\. Try again\. The AI proxy released the hold before any output\./);
    await until(() => provider.failures.length > failures);
    assert.equal(provider.failures.length, failures + 1, "the call reached the provider, which failed");
    assert.equal(provider.usages.length, calls, "no usage reported");
    seen.failedCalls += 1; // the browser logs the proxy's 502: "no page errors" allows this many
    seen.releasedHold = await data("message", "hold-id");
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance);
    const release = after.entries.find((e) => e.type === "release" && e.holdId === seen.releasedHold);
    assert.equal(release?.reason, "released", "the ledger recorded the release");
    assert.equal(commits(after).perHold.get(seen.releasedHold), undefined, "never committed");
    assert.deepEqual(after.holds, []);
    assert.equal(await page.locator(`${id("usage-bar")}[data-status="released"]`).count(), 1);
    // The chart's marks against the card: at least 3:1 (WCAG 1.4.11), labels at least 11 px.
    const looks = await page.evaluate(() => {
      const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
      const card = rgb(getComputedStyle(document.querySelector("#chart").closest(".card")).backgroundColor);
      const fills = [...document.querySelectorAll("#chart .bar")].map((b) => rgb(getComputedStyle(b).fill));
      const ticks = [...document.querySelectorAll("#chart .tick")].map((t) => t.getBoundingClientRect().height);
      return { card, fills, ticks };
    });
    const luminance = ([r, g, b]) => [r, g, b].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    for (const fill of looks.fills) {
      const [hi, lo] = [luminance(fill), luminance(looks.card)].sort((a, b) => b - a);
      assert.ok((hi + 0.05) / (lo + 0.05) >= 3, `bar ${fill} on ${looks.card}: ${((hi + 0.05) / (lo + 0.05)).toFixed(2)}:1`);
    }
    assert.ok(looks.ticks.length > 0 && looks.ticks.every((h) => h >= 11), `tick labels ${looks.ticks.join(", ")} px tall`);
    await checkState("04-failure-released");
  });

  await t.test("while a Generate runs nothing else starts: the account switch and the buy buttons wait, Generate says it is working", async () => {
    let open;
    const gate = new Promise((resolve) => (open = resolve));
    await page.route("**/v1/ai/chat/completions", async (route) => {
      await gate;
      await route.continue();
    });
    const before = Number(await page.getAttribute("body", "data-actions"));
    await page.click(id("generate-button"));
    await page.waitForFunction(() => document.getElementById("generate").textContent === "Working…");
    assert.equal(await page.isDisabled(id("account-select")), true, "no account switch under a running Generate");
    assert.equal(await page.isDisabled(id("buy-starter")), true, "no purchase meanwhile (a double click buys once)");
    assert.equal(await page.getAttribute("main", "aria-busy"), "true");
    open();
    await page.waitForFunction((n) => Number(document.body.dataset.actions) > n, before);
    await page.unroute("**/v1/ai/chat/completions");
    assert.equal(await data("message", "outcome"), "committed", await text("message"));
    seen.charged.push(await data("message", "charged"));
    assert.equal(await page.isDisabled(id("account-select")), false);
    assert.equal(await page.isDisabled(id("buy-starter")), false);
    assert.equal(await page.getAttribute("main", "aria-busy"), "false");
    assert.equal((await text("generate-button")).trim(), "Generate");
  });

  await t.test("a reply cut off before its first card is a warning that says what was charged, not a success", async () => {
    // The provider's answer as a model out of room writes it: stopped at its token limit
    // (finish_reason "length") in the middle of the first card. The proxy has settled the
    // call from the provider's usage; only the page's copy of the answer is cut.
    await page.route("**/v1/ai/chat/completions", async (route) => {
      const response = await route.fetch();
      const answer = await response.json();
      const choice = answer.choices[0];
      choice.message.content = choice.message.content.slice(0, 40);
      choice.finish_reason = "length";
      await route.fulfill({ response, body: JSON.stringify(answer) });
    });
    const before = await ledger("demo");
    const calls = provider.usages.length;
    try {
      await click("generate-button");
    } finally {
      await page.unroute("**/v1/ai/chat/completions");
    }
    const m = await message();
    assert.equal(await data("message", "outcome"), "committed", m.text);
    assert.equal(await data("message", "cards"), "0");
    assert.equal(await data("message", "cut-off"), "true");
    assert.equal(m.level, "warn", `not a success: ${m.text}`);
    await until(() => provider.usages.length > calls);
    const charged = await data("message", "charged");
    assert.equal(charged, priced("flashcards.generate", provider.usages.at(-1)), "the AI's work is still charged");
    seen.charged.push(charged);
    assert.match(m.text, new RegExp(`^No flashcards made: the AI's reply was cut off at its length limit before a first card was complete\\. `
      + `It was still charged ${credits(charged)}, because the AI's work is paid for by the tokens it used`));
    assert.doesNotMatch(m.text, /^Made /);
    const after = await ledger("demo");
    assert.equal(str(dec(before.balance) - dec(after.balance)), charged);
    assert.deepEqual(after.holds, []);
    await checkState("04b-no-cards-warning");
  });

  await t.test("a note with one 3,000-character sentence makes a card of bounded length (the stand-in answers as a model would)", async () => {
    const note = await page.inputValue(id("note-input"));
    const calls = provider.usages.length;
    await page.fill(id("note-input"), "A".repeat(3000));
    try {
      await click("generate-button");
    } finally {
      await page.fill(id("note-input"), note);
    }
    const m = await message();
    assert.equal(await data("message", "outcome"), "committed", m.text);
    assert.equal(m.level, "ok", m.text);
    assert.equal(await data("message", "cut-off"), "false", "the reply was not cut off");
    assert.ok(Number(await data("message", "cards")) >= 1, m.text);
    await until(() => provider.usages.length > calls);
    assert.ok(provider.usages.at(-1).completion_tokens < 100, `a short card, not the note copied: ${JSON.stringify(provider.usages.at(-1))}`);
    seen.charged.push(await data("message", "charged"));
  });

  await t.test("a charge above the estimate's \"about\" figure says so in the result", async () => {
    // The model writes more than the estimate expected of the note: the request reaches the
    // provider with five long facts, and the proxy charges the provider's reported usage.
    const est = pkg.estimate({ operation: "flashcards.generate", note: NOTE });
    const fact = (i) => `- Fact ${i}: the mitochondrion makes ATP for the cell, has its own DNA, divides on its own, and came from a bacterium long ago.`;
    await page.route("**/v1/ai/chat/completions", async (route) => {
      const body = route.request().postDataJSON();
      body.messages[1].content = Array.from({ length: 5 }, (_, i) => fact(i)).join("\n");
      await route.continue({ postData: JSON.stringify(body) });
    });
    const calls = provider.usages.length;
    try {
      await click("generate-button");
    } finally {
      await page.unroute("**/v1/ai/chat/completions");
    }
    assert.equal(await data("message", "outcome"), "committed", await messageText());
    await until(() => provider.usages.length > calls);
    const charged = await data("message", "charged");
    assert.equal(charged, priced("flashcards.generate", provider.usages.at(-1)), "the provider's usage, priced by the catalog");
    seen.charged.push(charged);
    assert.ok(dec(charged) > dec(est.credits.expected), `${charged} is above the estimate's ${est.credits.expected}`);
    assert.equal(await data("message", "above-estimate"), "true");
    assert.equal(await data("message", "expected"), est.credits.expected);
    assert.match(await messageText(), new RegExp(`^Made ${fmt(await data("message", "cards"))} flashcards? for ${literal(credits(charged))}, `
      + `above the estimate of about ${literal(credits(est.credits.expected))}\\. Charged by the AI proxy`));
  });

  await t.test("own API key: the provider's cost in USD, the call runs, no credits are charged", async () => {
    const before = await ledger("demo");
    await page.check(id("byok-toggle"));
    assert.equal(await data("decision", "funding"), "byok");
    const est = pkg.estimate({ operation: "flashcards.generate", note: NOTE });
    assert.equal(await data("est-credits", "unit"), "usd");
    for (const k of ["low", "expected", "high"]) assert.equal(await data("est-credits", k), est.providerUsd[k]);
    const cost = await text("est-credits");
    assert.match(cost, /\$/, `USD shown: ${cost}`);
    assert.ok(cost.includes(fmt(est.providerUsd.expected)), `${cost} shows ${est.providerUsd.expected}`);
    assert.match(await text("decision"), /Your own API key pays .*\$.*no credits are used/);
    await checkState("05-own-key");
    const calls = provider.usages.length;
    await click("generate-button");
    await page.uncheck(id("byok-toggle"));
    assert.equal(await data("message", "outcome"), "byok");
    assert.equal(await data("message", "ai"), "simulated", "no real OpenRouter in the demo: simulated, and said so");
    assert.match((await message()).text, /\(Simulated AI call: the demo has no real OpenRouter for your own key\.\)/);
    assert.equal(provider.usages.length, calls, "the own key never reaches the ledger's proxy");
    assert.equal(await data("est-credits", "unit"), "credits");
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance);
    assert.equal(after.entries.length, before.entries.length, "nothing reached the ledger");
  });

  await t.test("a reload while a Generate's AI call is under way: its hold is released, and the page says nothing was charged", async () => {
    const before = await ledger("demo");
    let sent;
    const reached = new Promise((resolve) => (sent = resolve));
    let held = null;
    // The call never reaches the proxy: the page is reloaded while it waits.
    await page.route("**/v1/ai/chat/completions", (route) => {
      held = route;
      sent();
    });
    await page.click(id("generate-button"));
    await reached;
    await page.reload();
    await page.unroute("**/v1/ai/chat/completions");
    await held.abort().catch(() => {});
    await page.waitForSelector('body[data-ready="demo"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="message"]')?.dataset.source === "reload");
    const m = await message();
    assert.equal(m.level, "warn");
    assert.match(m.text, /^A generation was cut short by a reload before its AI call finished: its hold was released and nothing was charged\./);
    assert.doesNotMatch(m.text, /is charged/);
    const after = await ledger("demo");
    assert.equal(after.balance, before.balance, "nothing charged");
    assert.deepEqual(after.holds, []);
    await page.fill(id("note-input"), NOTE); // the reload brought the sample note back
  });

  await t.test("a second tab shows the account read-only, with the same usage history as the tab that syncs", async () => {
    const second = await page.context().newPage();
    try {
      await second.goto(`${base}www/`);
      await second.waitForSelector('body[data-ready="demo"]');
      assert.equal(await second.isVisible("#read-only"), true, "it says another tab keeps the account in sync");
      assert.equal(await second.isDisabled(id("generate-button")), true, "and starts nothing");
      assert.equal(await second.isDisabled(id("offline-toggle")), true, "nor switches a connection it does not use");
      // The decision line says so too, not "Ready: …", and does not look like a go-ahead:
      // the muted colour, no offer; the disabled Generate is described by it.
      await second.fill(id("note-input"), NOTE);
      assert.match(await second.textContent(id("decision")), /^Read-only in this tab: Generate works only in the other tab of this page, which keeps this account in sync\. Close that tab to use this one\.$/);
      assert.equal(await second.getAttribute(id("decision"), "data-read-only"), "true");
      assert.equal(await second.$eval(id("decision"), (el) => getComputedStyle(el).color),
        await second.$eval(".muted", (el) => getComputedStyle(el).color), "the muted colour of information");
      assert.equal(await second.isVisible(id("generate-capped-button")), false);
      assert.equal(await second.getAttribute(id("generate-button"), "aria-describedby"), "decision");
      assert.equal(await second.$eval(id("decision"), (el) => el.closest("[aria-live]")?.getAttribute("aria-live")), "polite");
      // The history comes from the ledger's records, read by a read-only tab too.
      await second.waitForFunction(() => document.querySelector('[data-testid="usage-summary"]')?.textContent !== "");
      assert.equal(await second.textContent(id("usage-summary")), await page.textContent(id("usage-summary")));
    } finally {
      await second.close();
    }
  });

  await t.test("offline: the headline is what can be spent; work queues, then syncs exactly once", async () => {
    const before = await ledger("demo");
    await act(() => page.check(id("offline-toggle")));
    let spent = 0n;
    for (let i = 0; i < 2; i++) {
      await click("generate-button");
      assert.equal(await data("message", "outcome"), "committed", await text("message"));
      assert.equal(await data("message", "ai"), "simulated", "offline the proxy on the ledger cannot be reached");
      assert.match(await text("message"), /\(Simulated AI call: offline: the AI proxy on the ledger cannot be reached\.\)/);
      seen.offlineHolds.push(await data("message", "hold-id"));
      const charged = await data("message", "charged");
      seen.charged.push(charged);
      spent += dec(charged);
    }
    assert.equal(await data("outbox-count", "value"), "4", "two reserves and two commits queued");
    assert.equal(await data("connection-status", "queued"), "4");
    assert.match(await text("connection-status"), /^Offline — 4 changes waiting$/);
    // Headline = spendable: the queued usage is already taken off the signed balance.
    assert.equal(await data("balance", "balance"), before.balance, "the signed snapshot has not seen the usage yet");
    assert.equal(await data("balance", "value"), str(dec(before.balance) - spent));
    assert.equal(await text("balance"), credits(str(dec(before.balance) - spent)));
    assert.match(await text("balance-note"), new RegExp(`^${credits(str(spent))} used offline are already taken off`));
    assert.match(await text("balance-note"), /Until you're back online, at most .* of it can be spent\./);
    // Beyond the offline room a reserve would wait for the server: offline the decision
    // says so and Generate waits for the connection (the page used to wait for ever).
    const note = await page.inputValue(id("note-input"));
    await page.fill(id("note-input"), Array.from({ length: 120 }, (_, i) => `- Fact ${i}: cell ${i} makes protein ${i}.`).join("\n"));
    assert.match(await text("decision"), /^This needs up to .* credits, and without the server only .* can be spent\. Go online to run it\.$/);
    assert.equal(await data("decision", "blocked"), "true");
    assert.equal(await page.isDisabled(id("generate-button")), true);
    assert.equal(await data("outbox-count", "value"), "4", "nothing reserved");
    // A note beyond the balance: offline the one figure said is what may be spent without
    // the server (the balance panel's), and no smaller result is offered that Generate
    // would refuse (it used to say "you can spend" the whole balance and offer as many cards).
    const spendable = await data("balance", "value");
    let whole;
    for (let n = 100; ; n *= 2) {
      whole = glossary(n);
      if (pkg.decide({ estimate: pkg.estimate({ operation: "flashcards.generate", note: whole }), balance: spendable }).funding === "insufficient") break;
      assert.ok(n < 100_000, "some note is too big");
    }
    await page.fill(id("note-input"), whole);
    assert.equal(await data("decision", "funding"), "insufficient");
    const room = /at most (.+) credits? of it can be spent/.exec(await text("balance-note"))?.[1];
    assert.ok(room, await text("balance-note"));
    assert.match(await text("decision"), new RegExp(`^The whole note could cost up to .* credits, and without the server only ${literal(room)} can be spent\\. `
      + `Go online to generate up to .* cards?, or .* for the whole note\\.$`));
    assert.doesNotMatch(await text("decision"), /you can spend/);
    assert.equal(await page.isVisible(id("generate-capped-button")), false, "no offer that needs the server");
    assert.equal(await page.isDisabled(id("generate-button")), true);
    // "Work offline" is remembered for the account: a reload opens it offline, as the
    // switch left it — nothing is sent, the queued work waits — and the other account,
    // never switched, opens online.
    await page.reload();
    await page.waitForSelector('body[data-ready="demo"]');
    assert.equal(await page.isChecked(id("offline-toggle")), true, "the switch as the user left it");
    assert.equal(await data("connection-status", "state"), "offline");
    assert.equal(await data("outbox-count", "value"), "4", "the queued work still waits");
    assert.equal((await ledger("demo")).entries.length, before.entries.length, "nothing sent on the reload");
    assert.match(await text("event-log"), /offline \(as you left this account\)/);
    await act(() => page.selectOption(id("account-select"), "demo-agent"));
    await page.waitForSelector('body[data-ready="demo-agent"]');
    assert.equal(await page.isChecked(id("offline-toggle")), false, "remembered per account");
    assert.equal(await data("connection-status", "state"), "online");
    await act(() => page.selectOption(id("account-select"), "demo"));
    await page.waitForSelector('body[data-ready="demo"]');
    assert.equal(await page.isChecked(id("offline-toggle")), true);
    assert.equal(await data("connection-status", "state"), "offline");
    assert.equal(await data("outbox-count", "value"), "4");
    await page.fill(id("note-input"), note);
    await click("buy-starter");
    const failed = await message();
    assert.equal(failed.level, "error");
    assert.equal(await data("message", "code"), "OFFLINE", "the code stays in the data");
    assert.match(failed.text, /^You're working offline, so this was not sent/, "the user's words, not a raw code");
    assert.doesNotMatch(failed.text, /OFFLINE/);
    const during = await ledger("demo");
    assert.equal(during.entries.length, before.entries.length, "nothing reached the ledger while offline");
    await checkState("06-offline-queued");
    await act(() => page.uncheck(id("offline-toggle")));
    assert.equal((await message()).visible, false, "the next action cleared the stale offline message");
    assert.equal(await data("outbox-count", "value"), "0");
    const after = await ledger("demo");
    const c = commits(after);
    for (const h of seen.offlineHolds) assert.equal(c.perHold.get(h), 1, `${h} committed exactly once`);
    assert.equal(after.entries.filter((e) => e.type === "hold" && seen.offlineHolds.includes(e.hold.id)).length, 2);
    assert.equal(await pageBalance(), Number(after.balance));
    assert.deepEqual(after.holds, []);
    await checkState("07-online-synced");
  });

  await t.test("server unreachable (not the switch): the page says generating needs it, reserves nothing, and the log shows times", async () => {
    const before = await ledger("demo");
    const down = (route) => route.abort("connectionrefused");
    for (const path of ["**/v1/push", "**/v1/pull"]) await page.route(path, down);
    try {
      await openDetails();
      await click("sync-button");
      assert.equal(await data("connection-status", "state"), "down");
      assert.equal(await data("message", "code"), "TRANSPORT_FAILED", await text("message"));
      assert.match(await text("decision"), /^The server can't be reached just now, and generating needs it: the AI call goes through the server\. Generate tries to reach it again\.$/);
      assert.equal(await data("decision", "unreachable"), "true");
      assert.match(await text("balance-note"), /The server can't be reached just now, and generating needs it/);
      assert.doesNotMatch(await text("balance-note"), /counted here/);
      // The package's retry instant reads as a time of day in the log, not milliseconds.
      const log = await text("event-log");
      assert.match(log, /retrying at/);
      assert.doesNotMatch(log, /\d{12,}/, log);
      await click("generate-button");
      assert.equal(await data("message", "code"), "TRANSPORT_FAILED", await text("message"));
      assert.equal(await data("outbox-count", "value"), "0", "no hold reserved (and released) for a call that cannot run");
      seen.unreachable = true; // the browser logs each refused request
      await checkState("07b-server-unreachable");
    } finally {
      for (const path of ["**/v1/push", "**/v1/pull"]) await page.unroute(path, down);
    }
    // The Meter retries by itself: once a sync is answered, "could not be reached" is untrue
    // and goes, without any click.
    await page.waitForFunction(() => document.querySelector('[data-testid="message"]')?.hidden === true, null, { timeout: 30_000 });
    // The pill is a status region (announced when it changes); the note box's direction
    // is its text's (the page sets it: see "the note's direction follows its first letter").
    assert.equal(await page.getAttribute(id("connection-status"), "role"), "status");
    assert.equal(await page.getAttribute(id("note-input"), "dir"), "ltr");
    await click("sync-button");
    assert.equal(await data("connection-status", "state"), "online");
    assert.match(await text("decision"), /^Ready: about /);
    const after = await ledger("demo");
    assert.equal(after.entries.length, before.entries.length, "nothing reached the ledger");
  });

  await t.test("tamper: the forged cache is detected, discarded and resynced; the message goes with the next action", async () => {
    const state = await ledger("demo");
    await openDetails();
    await click("tamper-button");
    const m = await message();
    assert.equal(m.source, "tamper");
    assert.equal(await data("message", "code"), "TAMPERED_CACHE");
    assert.match(m.text, /stored balance had been changed/);
    assert.equal(await pageBalance(), Number(state.balance), "the ledger's balance, not the forged one");
    assert.equal(await page.locator('#log li[data-type="cacheDiscarded"]').count(), 1);
    await checkState("08-tamper-detected");
    await click("sync-button");
    assert.equal((await message()).source, "sync", "replaced by the next action's message");
    assert.doesNotMatch(await page.textContent("body"), /had been changed/, "no stale tamper message anywhere");
  });

  await t.test("capped option: a note too big for the balance offers the cards that fit, and they are made", async () => {
    const spendable = String(await pageBalance());
    let note;
    let decision;
    for (let n = 100; ; n *= 2) {
      note = glossary(n);
      decision = pkg.decide({ estimate: pkg.estimate({ operation: "flashcards.generate", note }), balance: spendable });
      if (decision.funding === "insufficient") break;
      assert.ok(n < 100_000, "some note is too big");
    }
    assert.ok(decision.capped?.cards > 0, "the package offers a capped option");
    await page.fill(id("note-input"), note);
    assert.equal(await data("decision", "funding"), "insufficient");
    assert.equal(await page.isDisabled(id("generate-button")), true, "the whole note cannot run");
    assert.equal(await page.isVisible(id("generate-capped-button")), true);
    assert.equal(await data("generate-capped-button", "cards"), String(decision.capped.cards));
    assert.match(await text("decision"), new RegExp(`You can generate up to ${fmt(decision.capped.cards)} cards? now, or buy .* for the whole note\\.$`));
    await checkState("09-capped-offer");
    const before = await ledger("demo");
    const calls = provider.usages.length;
    const bodies = [];
    const onRequest = (r) => r.url().endsWith("/v1/ai/chat/completions") && bodies.push(JSON.parse(r.postData()));
    page.on("request", onRequest);
    await click("generate-capped-button");
    page.off("request", onRequest);
    // Only as much of the note as the offered cards need is sent, and the model is told the cap.
    assert.equal(bodies.length, 1);
    const [system, user] = bodies[0].messages;
    assert.match(system.content, new RegExp(`at most ${decision.capped.cards} cards\\.$`));
    const sent = user.content;
    assert.ok(sent.length < pkg.noteForModel(note).length, `${sent.length} characters sent of ${pkg.noteForModel(note).length}`);
    assert.ok(pkg.noteForModel(note).startsWith(sent), "the start of the note");
    assert.ok(pkg.estimate({ operation: "flashcards.generate", note: sent }).cards.expected <= decision.capped.cards);
    assert.match(await text("message"), /from the first part of your note \(the most your credits allow now\)/);
    assert.equal(await data("message", "outcome"), "committed", await text("message"));
    assert.equal(await data("message", "capped"), "true");
    assert.equal(await data("message", "ai"), "proxy");
    const cards = Number(await data("message", "cards"));
    assert.ok(cards >= 1 && cards <= decision.capped.cards, `${cards}: at most the offered cards`);
    assert.ok(dec(await data("message", "reserved")) <= dec(decision.capped.reserve), "the capped reserve fitted");
    await until(() => provider.usages.length > calls);
    const charged = await data("message", "charged");
    assert.equal(charged, priced("flashcards.generate", provider.usages.at(-1)), "the provider's usage priced by the catalog");
    assert.ok(dec(charged) <= dec(decision.capped.reserve));
    seen.charged.push(charged);
    const after = await ledger("demo");
    assert.equal(str(dec(before.balance) - dec(after.balance)), charged);
    assert.equal(await pageBalance(), Number(after.balance));
    await checkState("10-capped-made");
  });

  await t.test("low balance: the notice says what can be spent", async () => {
    // The proxy charged the capped call's tokens, not its cards, so the balance is still
    // high: another device of the account spends all but 40 credits (below 10 % of the
    // last top-up) with a plain reserve and commit, and the page syncs.
    const left = (await ledger("demo")).balance;
    const amount = str(dec(left) - dec("40"));
    const { token } = await (await fetch(`${base}demo/token`, { method: "POST", body: JSON.stringify({ accountId: "demo", deviceId: "e2e-other" }) })).json();
    const mutations = [
      { type: "reserve", seq: 1, at: 0, holdId: "e2e-other:h1", amount, operation: "flashcards.generate" },
      { type: "commit", seq: 2, at: 0, holdId: "e2e-other:h1", amount },
    ];
    const pushed = await (await fetch(`${base}v1/push`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ v: 2, accountId: "demo", deviceId: "e2e-other", mutations }) })).json();
    assert.deepEqual(pushed.results.map((r) => r.status), ["applied", "applied"], JSON.stringify(pushed));
    seen.charged.push(amount);
    await openDetails();
    await click("sync-button");
    const state = await ledger("demo");
    assert.equal(state.low, true, "the ledger says low");
    assert.equal(await page.isVisible(id("low-balance-notice")), true);
    assert.match(await text("low-balance-notice"), new RegExp(`^Low balance: ${credits(state.available)} left\\.`));
    await checkState("11-low-balance");
  });

  await t.test("buy a package (demo, no payment): its refund window and name in the table", async () => {
    const before = await ledger("demo");
    await click("buy-starter");
    const m = await message();
    assert.equal(m.level, "ok", m.text);
    assert.equal(m.source, "buy");
    const total = Number(await data("message", "total"));
    const purchaseId = await data("message", "purchase-id");
    seen.purchased += total;
    const after = await ledger("demo");
    assert.equal(dec(after.balance), dec(before.balance) + dec(String(total)));
    const grant = after.grants.find((g) => g.purchaseId === purchaseId && g.kind === "purchase");
    assert.ok(grant?.refundableUntil > Date.now(), "the ledger opened a refund window");
    const row = page.locator(`${id("grant-row")}[data-id="${purchaseId}"]`);
    assert.equal(await row.getAttribute("data-refundable-until"), String(grant.refundableUntil));
    assert.match(await row.textContent(), /^Starter package, bought .*until /);
    assert.match(m.text, /refundable until/);
    assert.doesNotMatch(m.text, /balance/i, "the message never restates a balance that could go stale");
    assert.equal(await pageBalance(), Number(after.balance));
    assert.equal(after.low, false);
    assert.equal(await page.isVisible(id("low-balance-notice")), false);
    await checkState("12-buy");
    await page.focus(id("message-dismiss"));
    await page.keyboard.press("Enter");
    assert.equal((await message()).visible, false, "the user can dismiss a message");
    const focused = await page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.tagName);
    assert.equal(focused, "buy-starter", "dismissing gives the keyboard back to the button that started the action");
  });

  await t.test("the demo ledger adds up: start − Σ commits + purchases, no open holds", async () => {
    const state = await ledger("demo");
    const c = commits(state);
    const charged = seen.charged.reduce((a, b) => a + dec(b), 0n);
    assert.equal(str(c.total), str(charged), "the ledger debited what the page reported");
    assert.equal(c.debits.length, seen.charged.length, "one commit per generation");
    assert.ok([...c.perHold.values()].every((n) => n === 1), "no hold committed twice");
    assert.equal(str(dec(state.balance)), str(dec(seen.start) - charged + dec(String(seen.purchased))));
    assert.deepEqual(state.holds, []);
    assert.equal(await pageBalance(), Number(state.balance));
  });

  await t.test("another device of the account sees the same usage history (from the ledger)", async () => {
    const state = await ledger("demo");
    const calls = state.entries.filter((e) => (e.type === "debit" && e.holdId) || (e.type === "release" && e.reason === "released")).length;
    await openDetails();
    await Promise.all([page.waitForNavigation(), page.click(id("forget-button"))]); // a new device id, an empty cache
    await page.waitForSelector('body[data-ready="demo"]');
    assert.equal(await page.locator(id("usage-bar")).count(), calls);
    assert.equal(await pageBalance(), Number(state.balance));
    await checkState("13-other-device");
  });

  await t.test("AI-agent account: plan upgrade carries plan credits forward and plan changes never mint credits", async () => {
    await act(() => page.selectOption(id("account-select"), "demo-agent"));
    await page.waitForSelector('body[data-ready="demo-agent"]');
    const before = await ledger("demo-agent");
    assert.equal(await pageBalance(), Number(before.balance));
    assert.equal(await data("plan-current", "value"), before.plan);
    assert.equal(await page.inputValue(id("plan-select")), before.plan, "the plan selector starts at the account's plan, not Free");
    const planCredits = before.grants
      .filter((g) => g.kind === "planCycle" || g.kind === "carriedForward")
      .reduce((s, g) => s + Number(g.remaining), 0);
    assert.ok(planCredits > 0, "the account starts with monthly credits");
    await page.selectOption(id("plan-select"), "pro");
    await click("plan-switch-button");
    assert.equal(await data("message", "level"), "ok", await text("message"));
    assert.equal(await data("message", "upgrade"), "true");
    assert.equal(Number(await data("message", "carried")), planCredits);
    // What the upgrade brought, in words: the new cycle's credits (Pro's less what Starter
    // granted this cycle) and the plan credits carried over.
    const cycle = (await ledger("demo-agent")).grants.find((g) => g.kind === "planCycle" && !before.grants.some((b) => b.id === g.id));
    assert.match(await messageText(), new RegExp(`^Switched to Pro \\(an upgrade\\)\\. ${literal(fmt(cycle.amount))} monthly credits added, until .+?\\. `
      + `${literal(fmt(String(planCredits)))} unused plan credits carried over\\.$`));
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
    // One billing cycle is paid once, at its highest plan: the upgrade added only Pro's
    // 10,000 (the preset) less what Starter already granted in this cycle.
    const granted = (s) => s.grants.filter((g) => g.kind === "planCycle").reduce((x, g) => x + Number(g.amount), 0);
    assert.equal(granted(after), 10000);
    assert.equal(Number(await data("message", "granted")), granted(after) - granted(before));
    await checkState("14-agent-plan-upgrade");
    // Pro → Starter → Pro in the same cycle adds nothing (it used to add 2,000 and then 10,000).
    for (const [plan, upgrade] of [["starter", "false"], ["pro", "true"]]) {
      await page.selectOption(id("plan-select"), plan);
      await click("plan-switch-button");
      assert.equal(await data("message", "level"), "ok", await text("message"));
      assert.equal(await data("message", "upgrade"), upgrade);
      assert.equal(await data("message", "granted"), "0");
      assert.match(await text("message"), /No credits added/);
      const now = await ledger("demo-agent");
      assert.equal(now.plan, plan);
      assert.equal(await page.inputValue(id("plan-select")), plan);
      assert.equal(Number(now.balance), Number(after.balance), "a plan change never adds credits already granted this cycle");
      assert.equal(granted(now), 10000);
      assert.equal(await pageBalance(), Number(now.balance));
    }
  });

  await t.test("AI-agent account: TTS allowance and agents, as the ledger says", async () => {
    await click("tts-convert-button");
    assert.equal(await data("message", "level"), "ok", await text("message"));
    let state = await ledger("demo-agent");
    const tts = state.allowances.find((a) => a.kind === "ttsCharacters");
    assert.ok(tts.remaining > 0);
    assert.equal(await data("allowance-ttsCharacters", "value"), String(tts.remaining));
    // What it costs is on the button before the click, and is what the ledger takes.
    const label = /^Create an agent \(([\d.,]+) credits\)$/.exec(await text("agent-activate-button"));
    assert.ok(label, await text("agent-activate-button"));
    const beforeAgent = await ledger("demo-agent");
    await click("agent-activate-button");
    assert.equal(await data("message", "level"), "ok", await text("message"));
    const agentId = await data("message", "agent-id");
    assert.equal(Number(beforeAgent.balance) - Number((await ledger("demo-agent")).balance), Number(label[1].replace(/,/g, "")), "the label's price");
    state = await ledger("demo-agent");
    assert.deepEqual(state.agents.map((a) => [a.id, a.status]), [[agentId, "active"]]);
    assert.equal(await page.locator(`${id("agent-row")}[data-status="active"]`).count(), 1);
    assert.equal(await pageBalance(), Number(state.balance));
    await checkState("15-agent-tts-agents");
  });

  await t.test("AI-agent account: a message for an agent is metered in LLM tokens, the shortfall converted at 1,000 per credit (issue 22)", async () => {
    const before = await ledger("demo-agent");
    const agentId = before.agents[0].id;
    const tokens = (st) => st.allowances.find((a) => a.kind === "llmTokens")?.remaining ?? 0;
    const cycleTokens = (st) => st.agents.find((a) => a.id === agentId).cycleLlmTokens;
    await page.selectOption(id("agent-select"), agentId);
    const calls = provider.usages.length;
    if (tokens(before) === 0) {
      // No allowance left: said so, not "from your allowance".
      assert.match(await text("decision"), /^Ready: your message-token allowance has none left, so this is paid in credits: about [\d.,]+ credits? \(up to [\d.,]+ set aside for up to [\d.,]+ message tokens?\)\. The provider's count of the tokens decides the charge\.$/);
      // The "about" figure is the estimate box's, not the amount set aside.
      const about = (await text("decision")).match(/paid in credits: about ([\d.,]+) credit/)[1];
      assert.ok((await text("est-credits")).includes(`about ${about} credit`), `${about} in ${await text("est-credits")}`);
    }
    await click("generate-button");
    assert.equal(await data("message", "outcome"), "committed", await text("message"));
    assert.equal(await data("message", "unit"), "llmTokens", "the Meter decided the reply in LLM tokens");
    assert.equal(await data("message", "ai"), "proxy", "the reply went through the proxy, paid by the token hold");
    assert.equal(await data("message", "settled-by"), "proxy");
    const units = Number(await data("message", "units"));
    assert.ok(units > 0, await text("message"));
    await until(() => provider.usages.length > calls);
    const usage = provider.usages.at(-1);
    assert.equal(units, usage.prompt_tokens + usage.completion_tokens, "the tokens the stand-in reported");
    const holdId = await data("message", "hold-id");
    const state = await ledger("demo-agent");
    const debit = state.entries.find((e) => e.type === "debit" && e.holdId === holdId);
    assert.equal(debit?.purpose?.agentId, agentId, "usage attributed to the agent");
    assert.equal(cycleTokens(state) - cycleTokens(before), units, "counted in the agent's cycle");
    // The allowance first, the rest converted at the policy's 1,000 tokens per credit: at the
    // 0.001 step one token is exactly 0.001 credit, so the balance falls by (short) thousandths.
    const short = Math.max(0, units - tokens(before));
    const milli = (s) => { const [i, f = ""] = s.split("."); return BigInt(i) * 1000n + BigInt((f + "000").slice(0, 3)); };
    assert.equal(milli(before.balance) - milli(state.balance), BigInt(short), "the shortfall converted once, at the catalog's and the policy's one rate");
    assert.equal(dec(await data("message", "charged")), dec(before.balance) - dec(state.balance), "the page shows what the conversion charged");
    if (tokens(before) === 0) assert.match(await text("message"), /paid in credits: your message-token allowance has none left/);
    else assert.match(await text("message"), /from your allowance/);
    assert.deepEqual(state.holds, []);
    assert.equal(await pageBalance(), Number(state.balance));
    assert.equal(await text("balance"), credits(state.balance), "a fractional balance in the user's locale");
    // The usage chart counts what the call cost, conversion included (its debit is 0).
    const bar = page.locator(id("usage-bar")).last();
    assert.equal(dec(await bar.getAttribute("data-credits")), dec(before.balance) - dec(state.balance), "the call's bar: the credits taken");
    const all = usageCredits(state);
    assert.match(await text("usage-summary"), new RegExp(`, ${credits(str(all))} in all`), "the summary: every credit the calls took");
    await checkState("16-agent-message");
  });

  await t.test("AI-agent account: audio is metered in TTS characters, the allowance goes down, credits stay (issue 22)", async () => {
    const before = await ledger("demo-agent");
    const left = before.allowances.find((a) => a.kind === "ttsCharacters").remaining;
    await page.selectOption(id("agent-select"), "");
    await page.selectOption(id("operation-select"), "tts");
    // The decision speaks of the allowance, not of "about 0 credits".
    assert.match(await text("decision"), /^Ready: up to [\d.,]+ read-aloud characters? from your allowance; no credits are used\.$/);
    await click("generate-button");
    assert.equal(await data("message", "outcome"), "committed", await text("message"));
    assert.equal(await data("message", "ai"), "simulated", "read aloud: the proxy serves chat completions only");
    const units = Number(await data("message", "units"));
    assert.ok(units > 0 && units <= left, `${units} characters within the ${left} left`);
    const after = await ledger("demo-agent");
    assert.equal(after.allowances.find((a) => a.kind === "ttsCharacters").remaining, left - units, "drawn from the allowance");
    assert.equal(Number(after.balance), Number(before.balance), "no credits charged while the allowance covers it");
    assert.equal(await data("allowance-ttsCharacters", "value"), String(left - units), "the page shows the allowance going down");
    assert.equal(await data("plan-current", "value"), after.plan, "the page shows the plan the account is on");
    assert.deepEqual(after.holds, []);
    await page.selectOption(id("operation-select"), "message");
    await checkState("17-agent-tts-units");
  });

  if (size.name === "desktop") {
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
            await attempt("demo/refund", { method: "POST", body: JSON.stringify({ purchaseId: "welcome" }) }),
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
  }

  if (size.name === "desktop") {
    await t.test("the AI proxy page: Cancel stops a call that stalls, and its hold is released", async () => {
      const before = await ledger("demo");
      const tab = await page.context().newPage();
      try {
        let reached;
        const stalled = new Promise((resolve) => (reached = resolve));
        // The provider stalls (the proxy would wait up to 120 s): the call gets no answer.
        await tab.route("**/v1/ai/chat/completions", () => reached());
        await tab.goto(`${base}www/proxy.html`);
        await tab.waitForLoadState("networkidle"); // the package is loaded and the buttons wired
        assert.equal(await tab.isVisible(id("proxy-cancel")), false, "no Cancel without a call");
        await tab.click("#go");
        await stalled;
        assert.equal(await tab.isVisible(id("proxy-cancel")), true, "Cancel while the call runs");
        await tab.click(id("proxy-cancel"));
        await tab.waitForFunction(() => document.querySelector('[data-testid="proxy-result"]').dataset.code === "CANCELLED");
        assert.match(await tab.textContent(id("proxy-result")), /^Cancelled: you stopped the call\. Nothing was charged: the hold was released\./);
        assert.equal(await tab.getAttribute(id("proxy-result"), "data-charged"), "0");
        assert.equal(await tab.isVisible(id("proxy-cancel")), false);
        assert.equal(await tab.isDisabled("#go"), false, "a new call can start");
        const after = await ledger("demo");
        assert.deepEqual(after.holds, [], "the hold is closed");
        assert.equal(after.balance, before.balance, "nothing charged");
      } finally {
        await tab.close();
      }
    });
  }

  await t.test("no page errors (but the browser's line for each failed call through the proxy)", () => {
    // The unreachable-server flow refuses requests on purpose: the browser logs each.
    assert.deepEqual(pageErrors.filter((e) => !FAILED_CALL.test(e) && !(seen.unreachable && REFUSED.test(e))), []);
    const failedCalls = pageErrors.filter((e) => FAILED_CALL.test(e)).length;
    assert.ok(failedCalls <= seen.failedCalls, `${failedCalls} failed-call lines for ${seen.failedCalls} failed call(s)`);
  });
}
