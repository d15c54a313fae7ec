// The AI-proxy page (www/proxy.html) end to end: real headless Chromium (Debian's, driven
// by playwright-core) against the ledger service (`credit-meter-ledger serve --demo`) whose
// AI proxy forwards to scripts/stand-in-provider.mjs — a labelled loopback FAKE of an
// OpenAI-compatible provider that streams, reports usage and prints each usage it reports
// (a real provider cannot be reached from CI). On a desktop (1280×800) and a phone
// (390×844), each with its own server, provider and browser: the page reserves a hold,
// streams a call through the proxy, commits 0 credits as a modified client would; the test
// asserts that the ledger charged exactly the provider's reported usage priced by the
// catalog — on the page (the commit's result and the balance it shows) and in the
// ledger's own state — and that a stream the provider accepted and then broke off is
// charged (its worst case) and the page says that charge; it checks each state with
// axe-core (no serious or critical violations) and for horizontal overflow; screenshots go
// to target/e2e/proxy-<size>-<state>.png.
//
// Builds nothing: the server binary comes from CREDIT_METER_LEDGER_BIN (default: the
// release build) and the catalog from pkg/ (scripts/build.sh).
// Run: node --test tests/e2e/proxy.e2e.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { dec, proxyPrice, str } from "../support/proxy-price.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.CREDIT_METER_LEDGER_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "release", "credit-meter-ledger");
const shots = join(root, "target", "e2e");
const { chromium } = await import(join(root, ".tools", "node_modules", "playwright-core", "index.mjs"));
const AXE = join(root, ".tools", "node_modules", "axe-core", "axe.min.js");
const pkg = await import(join(root, "pkg", "credit_meter.js"));
pkg.initSync({ module: readFileSync(join(root, "pkg", "credit_meter_bg.wasm")) });

const work = mkdtempSync(join(tmpdir(), "credit-meter-proxy-e2e-"));
mkdirSync(shots, { recursive: true });
const ADMIN_TOKEN = `e2e-admin-${process.pid}-${Date.now()}`;
const MODEL = "openai/gpt-4o-mini"; // what www/proxy.js asks for
const OPERATION = "message"; // the operation its hold is reserved for

/** Spawns `cmd args`, registers its cleanup, resolves with its first stdout line that
 * matches `re` and the list of every `usage {…}` line it prints afterwards. */
async function spawnUntil(cleanups, cmd, args, env, re) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  cleanups.push(() => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", resolve);
    child.kill("SIGTERM");
  }));
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const usages = [];
  const lines = createInterface({ input: child.stdout });
  const match = await new Promise((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`cannot start ${cmd}: ${e.message}`)));
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code} before starting: ${stderr}`)));
    lines.on("line", (l) => {
      const m = re.exec(l);
      if (m) resolve(m);
      if (l.startsWith("usage ")) usages.push(JSON.parse(l.slice(6)));
    });
  });
  return { match, usages };
}

/** `GET /v1/state` of the demo account with the operator's token (the page never has it). */
function ledgerState(base) {
  return new Promise((resolve, reject) => {
    http.get(`${base}v1/state?account=demo`, { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`state: ${res.statusCode} ${body}`))));
    }).on("error", reject);
  });
}

/** Credits the catalog charges for `usage` on MODEL for OPERATION (PROTOCOL §6.7),
 * computed from the package's catalog independently of the ledger. */
const priceOf = (usage) => proxyPrice(pkg.defaultCatalog(), OPERATION, MODEL, usage);

const SIZES = [
  { name: "desktop", width: 1280, height: 800, isMobile: false },
  { name: "phone", width: 390, height: 844, isMobile: true },
];

for (const size of SIZES) {
  test(`proxy page (${size.name}): a proxied call is charged the provider's reported usage, whatever the client commits`, async () => {
    const cleanups = [];
    try {
      const provider = await spawnUntil(cleanups, "node", [join(root, "scripts", "stand-in-provider.mjs"), "0"], {}, /^stand-in provider on (\S+)/);
      const upstream = provider.match[1];
      const server = await spawnUntil(cleanups, bin, ["serve", "--addr", "127.0.0.1:0", "--database", `sqlite:${join(work, `${size.name}.sqlite`)}`,
        "--demo", "--www", join(root, "www"), "--pkg", join(root, "pkg"), "--upstream-url", upstream], { CREDIT_METER_ADMIN_TOKEN: ADMIN_TOKEN }, /listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      const base = server.match[1];
      const context = await chromium.launchPersistentContext(mkdtempSync(join(work, "profile-")), {
        executablePath: "/usr/bin/chromium",
        headless: true,
        viewport: { width: size.width, height: size.height },
        isMobile: size.isMobile,
        hasTouch: size.isMobile,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
      cleanups.push(() => context.close());
      await context.addInitScript({ path: AXE });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000); // a hang guard, not an assertion
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

      const check = async (state) => {
        const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], `axe-core on ${state}`);
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(scroll, 0, `${state}: nothing wider than the ${size.width} px viewport`);
        await page.screenshot({ path: join(shots, `proxy-${size.name}-${state}.png`), fullPage: true });
      };

      await page.goto(`${base}www/proxy.html`);
      await check("start");
      const before = await ledgerState(base);
      await page.click("#go");
      await page.waitForSelector('[data-testid="proxy-result"][data-charged]');
      await check("settled");
      assert.deepEqual(errors, []);

      // The provider reported one usage; the ledger charged exactly its catalog price.
      assert.equal(provider.usages.length, 1, "one call reached the provider");
      const price = priceOf(provider.usages[0]);
      const result = page.locator('[data-testid="proxy-result"]');
      // Sends `note` from the page and waits for the result to match `until` (by default:
      // any refusal or failure, which carries a code).
      const send = async (note, until = '[data-testid="proxy-result"][data-code]') => {
        await page.fill("#note", note);
        await page.click("#go");
        await page.waitForSelector(until);
      };
      assert.equal(await result.getAttribute("data-settled-by"), "proxy");
      assert.equal(await result.getAttribute("data-charged"), price, "the commit's result reports the provider's usage at catalog prices");
      const shownBefore = await result.getAttribute("data-before");
      const shownAfter = await result.getAttribute("data-after");
      assert.equal(str(dec(shownBefore) - dec(shownAfter)), price, "the balance the page shows went down by the provider's usage");
      const text = await result.textContent();
      assert.ok(text.includes(`charged ${price}`) && text.includes(`${shownBefore} → ${shownAfter}`), text);
      assert.ok((await page.textContent('[data-testid="proxy-stream"]')).length > 0, "the streamed answer is shown");

      // The ledger's own view: down by the price, nothing held, the hold settled by a debit of that amount.
      const after = await ledgerState(base);
      assert.equal(str(dec(before.balance) - dec(after.balance)), price);
      assert.equal(after.balance, shownAfter);
      assert.equal(dec(after.held), 0n);
      const debits = after.entries.filter((e) => e.type === "debit" && e.holdId?.startsWith("proxy-page:"));
      assert.ok(debits.length >= 1, JSON.stringify(after.entries.slice(-5)));
      assert.equal(str(debits.reduce((sum, d) => sum + dec(d.amount), 0n)), price);

      // A long message (5,500 characters) is paid by the hold its estimate sized: the
      // proxy bounds the prompt by the same estimate, not by the body's bytes (which made
      // it HOLD_TOO_SMALL).
      await send("The quick brown fox jumps over the lazy dog near the river bank today. ".repeat(78), '[data-testid="proxy-result"][data-charged]');
      assert.equal(provider.usages.length, 2, "the long message reached the provider");
      assert.equal(await result.getAttribute("data-charged"), priceOf(provider.usages[1]));
      const afterLong = await ledgerState(base);
      assert.deepEqual(afterLong.holds, []);

      // A refused call says why with its code and leaves no hold behind: an empty note is
      // refused before anything is reserved.
      await send("", '[data-testid="proxy-result"][data-code="NOTHING_TO_SEND"]');
      assert.match(await result.textContent(), /^Failed: .*\(code NOTHING_TO_SEND\)$/);
      assert.equal(await page.isDisabled("#go"), false, "the button is usable again");
      const state = await ledgerState(base);
      assert.deepEqual(state.holds, [], "no hold left open");
      assert.equal(state.balance, afterLong.balance, "nothing charged");

      // A note of spaces only is nothing to send either: refused before the reserve, as
      // the demo page says "Nothing to send yet" (it was sent and charged).
      await send("   \n\t  ", '[data-testid="proxy-result"][data-code="NOTHING_TO_SEND"]');
      assert.equal((await ledgerState(base)).balance, afterLong.balance, "nothing charged for spaces");

      // Half of a UTF-16 pair (a paste can carry one) is sent as U+FFFD, as a file would
      // hold it, not refused with the parser's words (BAD_INPUT).
      await page.evaluate(() => { document.getElementById("note").value = "Mitosis \uD800 divides one cell into two."; });
      await page.click("#go");
      await page.waitForSelector('[data-testid="proxy-result"][data-charged], [data-testid="proxy-result"][data-code]');
      assert.equal(await result.getAttribute("data-code"), null, await result.textContent());
      assert.equal(provider.usages.length, 3, "the call reached the provider");
      assert.equal(await result.getAttribute("data-charged"), priceOf(provider.usages[2]));

      // The connection drops after the answer arrived: the call was paid (the proxy settles
      // it from the provider's usage), so the page does not say it failed to reach the server.
      let reads = 0;
      const dropLater = (route) => (reads++ === 0 ? route.continue() : route.abort("connectionrefused"));
      await page.route("**/v1/state*", dropLater);
      const beforeDrop = await ledgerState(base);
      await send("Meiosis makes four cells. Each has half the chromosomes.");
      await page.unroute("**/v1/state*", dropLater);
      assert.equal(await result.getAttribute("data-after-call"), "true");
      assert.match(await result.textContent(), /^Answered: the AI proxy charges this call from the provider's reported usage, but what it charged could not be read back: .*\(code TRANSPORT_FAILED\)\. Reload to see the balance\.$/);
      assert.doesNotMatch(await result.textContent(), /^Failed/);
      assert.equal(provider.usages.length, 4);
      for (let i = 0; i < 100 && (await ledgerState(base)).holds.length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      const dropped = await ledgerState(base);
      assert.deepEqual(dropped.holds, [], "the proxy settled the hold");
      assert.equal(str(dec(beforeDrop.balance) - dec(dropped.balance)), priceOf(provider.usages[3]), "charged the provider's usage");
      assert.deepEqual(errors.filter((e) => !/net::ERR_CONNECTION_REFUSED/.test(e)), []);

      // A stream the provider accepted (HTTP 200) and then broke off before reporting its
      // usage (the stand-in, asked by `"user": "stand-in-break"` added to the page's
      // request here): the provider may bill it, so the proxy charged the call's worst case
      // (PROTOCOL §7.3) — settled before the stream's closing UPSTREAM_FAILED event, whose
      // `charged` the page shows — instead of releasing the hold.
      const breakIt = (route) =>
        route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData()), user: "stand-in-break" }) });
      await page.route("**/v1/ai/chat/completions", breakIt);
      const beforeBreak = await ledgerState(base);
      await send("Osmosis moves water across a membrane.");
      await page.unroute("**/v1/ai/chat/completions", breakIt);
      const failedText = await result.textContent();
      assert.equal(await result.getAttribute("data-code"), "UPSTREAM_FAILED", failedText);
      assert.equal(provider.usages.length, 4, "the broken stream reported no usage");
      const broke = await ledgerState(base);
      assert.deepEqual(broke.holds, [], "the proxy settled the hold");
      const charged = await result.getAttribute("data-charged");
      assert.ok(charged !== null && dec(charged) > 0n, failedText);
      assert.equal(str(dec(beforeBreak.balance) - dec(broke.balance)), charged, "the page says what the ledger charged");
      assert.equal(await result.getAttribute("data-after"), broke.balance);
      assert.match(failedText, new RegExp(`^Failed: .*\\(code UPSTREAM_FAILED\\)\\. The AI proxy charged ${charged.replace(".", "\\.")} credits for this call`));
      await check("failed-charged");
      assert.deepEqual(errors.filter((e) => !/net::ERR_CONNECTION_REFUSED/.test(e)), []);
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  });
}
