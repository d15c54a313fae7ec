// Node ESM, no init call: import, then call.
import assert from "node:assert/strict";
import { estimate, estimateTokens, compareAmounts, isCreditMeterError } from "credit-meter";
import { estimateTokens as inlineTokens } from "credit-meter/inline";
assert.ok(estimateTokens("Hello world", "o200k_base") > 0);
assert.equal(inlineTokens("Hello world", "o200k_base"), estimateTokens("Hello world", "o200k_base"));
assert.equal(compareAmounts(estimate({ operation: "flashcards.generate", note: "# A\n\n- b\n- c\n" }).credits.high, "0"), 1);
try { estimateTokens(5, "o200k_base"); assert.fail("no throw"); } catch (e) { assert.ok(isCreditMeterError(e) && e.code === "BAD_INPUT"); }
console.log("node ESM ok");
