// Runs the README's JavaScript examples exactly as written: each block between
// <!-- example:start --> and <!-- example:end --> is saved as a module next to a
// node_modules/ where credit-meter is the built pkg/ and credit-meter-ledger the ledger
// build pkg-ledger/, then run by Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
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

function run(code) {
  for (const pkg of ["pkg", "pkg-ledger"]) {
    assert.ok(existsSync(join(root, pkg, "credit_meter_bg.wasm")), `${pkg}/ is built (scripts/test.sh builds both)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "credit-meter-readme-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(root, "pkg"), join(dir, "node_modules", "credit-meter"), "dir");
  symlinkSync(join(root, "pkg-ledger"), join(dir, "node_modules", "credit-meter-ledger"), "dir");
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
