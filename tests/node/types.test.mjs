// The generated TypeScript declarations are real types: a usage file type-checks under
// --strict, misuse is rejected (@ts-expect-error lines), and no exported function or
// method of the public API is typed `any`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dts = readFileSync(join(root, "pkg", "index.d.ts"), "utf8");

test("no public function or method is typed any", () => {
  // The InitOutput interface (raw Wasm exports) is wasm-bindgen's, not the API.
  const api = dts.split("export type InitInput")[0];
  const offending = api.split("\n").filter((l) => /\bany\b/.test(l) && !l.trim().startsWith("*") && !l.trim().startsWith("//"));
  assert.deepEqual(offending, []);
  for (const name of ["estimateTokens", "estimate", "decide", "calibrate", "defaultCatalog", "loadCatalog"]) {
    assert.match(api, new RegExp(`export function ${name}\\(`), `${name} is exported`);
  }
});

test("a usage file type-checks with tsc --strict, and misuse does not", () => {
  const tsc = join(root, ".tools", "node_modules", ".bin", "tsc");
  assert.ok(existsSync(tsc), "typescript is installed by scripts/install.sh");
  const r = spawnSync(tsc, ["--strict", "--noEmit", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler",
    "--lib", "esnext,dom", join(root, "tests", "ts", "usage.ts")], { encoding: "utf8" });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
