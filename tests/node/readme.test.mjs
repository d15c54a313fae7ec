// Runs the README's JavaScript examples exactly as written: each block between
// <!-- example:start --> and <!-- example:end --> is saved as a module in a fresh project
// where credit-meter and credit-meter-ledger are installed as the README says — `npm pack`
// of pkg/ and pkg-ledger/, then `npm install` of the tarballs —, then run by Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function readmeExamples() {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/<!-- example:start -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2, "README has two ```js examples between <!-- example:start --> and <!-- example:end -->");
  return blocks;
}

let tarballs = null;
/** `npm pack` of pkg/ and pkg-ledger/, once. */
function packed() {
  if (!tarballs) {
    const out = mkdtempSync(join(tmpdir(), "credit-meter-packed-"));
    tarballs = ["pkg", "pkg-ledger"].map((pkg) => {
      assert.ok(existsSync(join(root, pkg, "credit_meter_bg.wasm")), `${pkg}/ is built (scripts/test.sh builds both)`);
      const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], { cwd: join(root, pkg), encoding: "utf8" }).trim();
      return join(out, name);
    });
  }
  return tarballs;
}

function run(code) {
  const dir = mkdtempSync(join(tmpdir(), "credit-meter-readme-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "readme-example", private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--silent", ...packed()], { cwd: dir });
  writeFileSync(join(dir, "example.mjs"), code);
  return execFileSync(process.execPath, [join(dir, "example.mjs")], { cwd: dir, encoding: "utf8" });
}

test("README example 1 (estimate, decide, catalogs) runs as written", () => {
  const out = run(readmeExamples()[0]);
  assert.match(out, /tokens: \d+/);
  assert.match(out, /cards: \d+–\d+, credits: \d+(\.\d+)?–\d+(\.\d+)?/);
  assert.match(out, /Not enough credits/);
});

test("README example 2 (Meter against a ledger) runs as written", () => {
  const out = run(readmeExamples()[1]);
  assert.match(out, /meter: balance 498, 1 grant\(s\), fresh/);
});
