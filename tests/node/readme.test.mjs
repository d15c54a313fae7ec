// Runs the README's JavaScript example exactly as written: the block between
// <!-- example:start --> and <!-- example:end --> is saved as a module next to a
// node_modules/credit-meter that is the built pkg/, then run by Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function readmeExample() {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const m = readme.match(/<!-- example:start -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/);
  assert.ok(m, "README has a ```js block between <!-- example:start --> and <!-- example:end -->");
  return m[1];
}

test("the README example runs as written against the built package", () => {
  assert.ok(existsSync(join(root, "pkg", "credit_meter_bg.wasm")), "pkg/ is built (wasm-pack build --target web)");
  const dir = mkdtempSync(join(tmpdir(), "credit-meter-readme-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(root, "pkg"), join(dir, "node_modules", "credit-meter"), "dir");
  writeFileSync(join(dir, "example.mjs"), readmeExample());
  const out = execFileSync(process.execPath, [join(dir, "example.mjs")], { cwd: dir, encoding: "utf8" });
  // The example prints its results; they must be real numbers and decimal strings.
  assert.match(out, /tokens: \d+/);
  assert.match(out, /cards: \d+–\d+, credits: \d+(\.\d+)?–\d+(\.\d+)?/);
  assert.match(out, /Not enough credits/);
});
