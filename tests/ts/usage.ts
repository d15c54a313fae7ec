// Type-checked (tsc --strict --noEmit) against the generated pkg/credit_meter.d.ts by
// tests/node/types.test.mjs: the public API is typed, not `any`.
import {
  initSync, estimateTokens, estimate, decide, calibrate, defaultCatalog, loadCatalog, Catalog, isCreditMeterError,
  type Estimate, type ErrorCode, type Decision, type CatalogDefinition, type CalibrationState, type CreditMeterError,
  type Encoding, type Funding,
} from "../../pkg/credit_meter.js";

declare const bytes: BufferSource;
initSync({ module: bytes });

const enc: Encoding = "o200k_base";
const n: number = estimateTokens("hello", enc);
const est: Estimate = estimate({ operation: "flashcards.generate", note: "# Cells" });
const credits: string = est.credits.high;
const cards: number | undefined = est.cards?.expected;
const d: Decision = decide({ estimate: est, byok: false, balance: "10" });
const f: Funding = d.funding;
const def: CatalogDefinition = defaultCatalog();
const c: Catalog = loadCatalog({ ...def, revision: "x" });
const e2: Estimate = c.estimate({ operation: "message", inputTokens: 10 });
const s: CalibrationState = calibrate({ estimate: est, cards: 3 });
function onError(e: unknown): string | undefined {
  if (!isCreditMeterError(e)) return undefined;
  const err: CreditMeterError = e;
  const code: ErrorCode = err.code;
  // The discriminated union: the fields of INSUFFICIENT_CREDITS exist only after the check.
  if (err.code === "INSUFFICIENT_CREDITS") return `${err.shortfall} short; ${err.options.join(", ")}`;
  return code;
}
function noShortfallWithoutTheCheck(e: CreditMeterError) {
  // @ts-expect-error `shortfall` exists only on INSUFFICIENT_CREDITS
  return e.shortfall;
}
// @ts-expect-error not a code of the union
const notACode: ErrorCode = "NO_SUCH_CODE";

// These must NOT type-check: each line is expected to be an error.
// @ts-expect-error money is a decimal string, not a number
decide({ estimate: est, balance: 10 });
// @ts-expect-error unknown encoding
estimateTokens("x", "p50k_base");
// @ts-expect-error operation is required
estimate({ note: "x" });
// @ts-expect-error counts are numbers
estimate({ operation: "message", inputTokens: "10" });

export { n, credits, cards, f, e2, s, onError, noShortfallWithoutTheCheck, notACode };
