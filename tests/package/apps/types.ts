// Type-checked with tsc --strict, skipLibCheck false, the default lib, for every
// moduleResolution run.sh lists. ESM side.
import { estimate, formatAmount, isCreditMeterError, type Estimate, type Decimal } from "credit-meter";
import init, { initSync, estimateTokens, type InitOutput } from "credit-meter/web";
import { noteForModel } from "credit-meter/inline";
import wasm from "credit-meter/credit_meter_bg.wasm";

const e: Estimate = estimate({ operation: "flashcards.generate", note: "# A" });
const shown: string = formatAmount(e.credits.expected, { locale: "en-US", maximumFractionDigits: 2 });
const d: Decimal = e.credits.high;
const sent: string = noteForModel("# A");
export async function start(): Promise<number> {
  const out: InitOutput = await init({ module_or_path: wasm });
  void out.memory;
  return estimateTokens(sent + shown + d, "o200k_base");
}
export function guard(x: unknown): string | null {
  return isCreditMeterError(x) ? x.code : null;
}
void initSync;
