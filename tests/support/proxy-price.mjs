// What the ledger's AI proxy charges for a provider's reported usage (PROTOCOL §6.7),
// computed here from the package's catalog — independently of the ledger — for the e2e
// tests that check a proxied call's charge. Money is exact: decimal strings in and out,
// BigInt scaled by 10^24 in between (never a float).

const SCALE = 24n;
const ONE = 10n ** SCALE;

/** A decimal string as a BigInt scaled by 10^24. */
export function dec(s) {
  const [int, frac = ""] = String(s).split(".");
  const sign = int.startsWith("-") ? -1n : 1n;
  const whole = BigInt(int.replace("-", "")) * ONE + BigInt((frac + "0".repeat(Number(SCALE))).slice(0, Number(SCALE)) || "0");
  return sign * whole;
}

/** A scaled BigInt as the shortest decimal string. */
export function str(v) {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / ONE;
  const frac = (a % ONE).toString().padStart(Number(SCALE), "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${frac ? `${int}.${frac}` : `${int}`}`;
}

/**
 * Credits the proxy charges for `usage` (`{prompt_tokens, completion_tokens}` as the
 * provider reported it; no `cost`) of `model` paid by a hold of `operation`, by the
 * catalog `catalog` (`pkg.defaultCatalog()`): at a fixed token rate (`tokensPerCredit`)
 * all tokens ÷ that rate; a per-card operation with `outputTokensPerCard` (k): the
 * completion's cards, completion tokens ÷ k × `creditsPerCard`, or its cost at markup 1
 * when larger; a per-token operation with a markup: the tokens at the model's USD prices
 * (and its price per request) × credits per USD × the markup (default 1); each rounded up
 * to the credit step once. Any other operation has no price for an AI call (the proxy
 * refuses its holds, HOLD_NOT_OPEN): an error here.
 */
export function proxyPrice(catalog, operation, model, usage) {
  const op = catalog.operations.find((o) => o.id === operation);
  if (!op) throw new Error(`no operation ${operation} in the catalog`);
  const step = dec(catalog.creditStep);
  const up = (credits) => ((credits + step - 1n) / step) * step;
  const atModelPrices = (markup) => {
    const p = catalog.models.find((m) => m.id === model).pricing;
    const usd = dec(p.prompt) * BigInt(usage.prompt_tokens) + dec(p.completion) * BigInt(usage.completion_tokens) + dec(p.request ?? "0");
    return up((((usd * dec(catalog.creditsPerUsd)) / ONE) * markup) / ONE);
  };
  if (op.charge.kind === "perToken" && op.charge.tokensPerCredit !== undefined) {
    return str(up((BigInt(usage.prompt_tokens + usage.completion_tokens) * ONE * ONE) / dec(op.charge.tokensPerCredit)));
  }
  if (op.charge.kind === "perCard" && op.outputTokensPerCard >= 1) {
    const byCards = up((BigInt(usage.completion_tokens) * dec(op.charge.creditsPerCard)) / BigInt(op.outputTokensPerCard));
    const atCost = atModelPrices(ONE);
    return str(byCards > atCost ? byCards : atCost);
  }
  if (op.charge.kind !== "perToken") throw new Error(`${operation} has no price for an AI call: the proxy refuses its holds`);
  return str(atModelPrices(dec(op.charge.markup ?? "1")));
}
