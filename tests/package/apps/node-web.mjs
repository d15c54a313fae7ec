// The manual-init entry: a call before init throws the coded NOT_INITIALIZED error that
// says what to call; after initSync with the package's .wasm, calls work.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { initSync, estimateTokens, isCreditMeterError } from "credit-meter/web";
assert.throws(() => estimateTokens("Hello", "o200k_base"), (e) => {
  assert.equal(e.name, "CreditMeterError");
  assert.equal(e.code, "NOT_INITIALIZED");
  assert.match(e.message, /await init\(\)/);
  return true;
});
initSync({ module: readFileSync(new URL(import.meta.resolve("credit-meter/credit_meter_bg.wasm"))) });
assert.ok(estimateTokens("Hello", "o200k_base") > 0);
assert.equal(isCreditMeterError(Object.assign(new Error("x"), { name: "CreditMeterError", code: "NOT_INITIALIZED" })), true);
console.log("node credit-meter/web ok");
