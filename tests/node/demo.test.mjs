// The demo page (the README's main job) in real headless Chromium: it loads both packages,
// shows the signed balance, estimates as you type, and a Generate reserves, commits and
// syncs with the embedded reference ledger; a simulated AI failure charges nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { chromium } = await import(join(root, ".tools", "node_modules", "playwright-core", "index.mjs"));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

test("demo page: estimate, generate (reserve + commit), simulated failure (release)", { timeout: 60_000 }, async () => {
  const port = await freePort();
  const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", root], { stdio: "ignore" });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    for (let i = 0; ; i++) {
      try {
        await page.goto(`http://127.0.0.1:${port}/www/`);
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await page.waitForFunction(() => document.getElementById("balance").textContent === "500 credits", null, { timeout: 20_000 });
    assert.equal(await page.textContent("#credits"), "3 / 6 / 10");
    await page.fill("#note", "---\ntags: x\n---\n");
    assert.equal(await page.textContent("#credits"), "0 / 0 / 0", "a frontmatter-only note costs nothing");
    await page.fill("#note", "# Cells\n\nThe cell is the unit of life. Cells divide. Cells grow.\n\n- Nucleus: holds DNA in the cell\n");
    const expected = Number((await page.textContent("#credits")).split(" / ")[1]);
    assert.ok(expected > 0);
    await page.click("#generate");
    await page.waitForFunction(() => document.getElementById("log").textContent.startsWith("Generated"), null, { timeout: 20_000 });
    assert.equal(await page.textContent("#balance"), `${500 - expected} credits`);
    await page.check("#fail");
    await page.click("#generate");
    await page.waitForFunction(() => document.getElementById("log").textContent.startsWith("AI call failed"), null, { timeout: 20_000 });
    assert.equal(await page.textContent("#balance"), `${500 - expected} credits`, "a failed call is released, not charged");
    await page.click("#buy");
    await page.waitForFunction((b) => document.getElementById("balance").textContent === `${b} credits`, 1000 - expected, { timeout: 20_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.kill();
  }
});
