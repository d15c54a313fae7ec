// Opens each built app (a directory with index.html) in headless Chromium, served over HTTP
// with the .wasm as application/wasm, and checks that it rendered the package's numbers with
// no console error, no page error and no failed request.
// Usage: node check-browser.mjs <repo root> <name>=<dist dir>...
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, extname, normalize } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

const [root, ...apps] = process.argv.slice(2);
const { chromium } = await import(join(root, ".tools", "node_modules", "playwright-core", "index.mjs"));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

function serve(dir) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    try {
      const file = join(dir, path.endsWith("/") ? join(path, "index.html") : path);
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "cm-chromium-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = 0;
for (const app of apps) {
  const [name, dir] = app.split("=");
  const server = await serve(dir);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  let out = null;
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    // A hang guard, not a timing assertion: the app renders once the Wasm is instantiated.
    await page.waitForFunction(() => document.getElementById("out")?.textContent.startsWith("{"), null, { timeout: 30_000 });
    out = JSON.parse(await page.textContent("#out"));
  } catch (e) {
    problems.push(`not rendered: ${e.message.split("\n")[0]}`);
  }
  if (out) {
    if (!(out.tokens > 0)) problems.push(`tokens ${out.tokens}`);
    if (!/^\d+(\.\d+)?$/.test(out.credits) || out.credits === "0") problems.push(`credits ${out.credits}`);
    if (out.sum !== "0.3") problems.push(`sum ${out.sum}`);
    if (out.shown !== "1.234,5") problems.push(`shown ${out.shown}`);
    if (typeof out.sent !== "string" || out.sent.includes("tags:") || !out.sent.startsWith("# Cells")) problems.push(`sent ${JSON.stringify(out.sent)}`);
  }
  await page.close();
  server.close();
  if (problems.length) {
    failed += 1;
    console.log(`FAIL ${name} (Chromium): ${problems.join("; ")}`);
  } else {
    console.log(`ok   ${name} (Chromium): ${JSON.stringify(out)}`);
  }
}
await context.close();
process.exit(failed ? 1 : 0);
