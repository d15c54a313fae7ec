// Independent conformance ledger: written from docs/PROTOCOL.md alone; keep it free of
// any import from crates/ (see money.js).
//
// The rate between credits and allowance units (PROTOCOL §12.2), one rule for both
// halves, in exact decimal arithmetic: money is a BigInt of 10^-28 credits (money.js),
// units are BigInts. `r` = unitsPerCredit and `s` = creditStep, both money values.
import { ONE } from './money.js';

/** §12.2: `c` credits convert into floor(c × r) units. */
export function unitsOf(c, r) {
  return (c * r) / (ONE * ONE);
}

/**
 * §12.2: `n` units cost the smallest multiple of `s` that is ≥ n ÷ r, exactly; if that
 * ever left units(credits(n)) < n, `s` is added until it does not. credits(0) = 0.
 */
export function creditsOf(n, r, s) {
  if (n === 0n) return 0n;
  const num = n * ONE * ONE; // n ÷ (r × s) = n·ONE² ÷ (R·S) in the scaled integers
  const den = r * s;
  let c = ((num + den - 1n) / den) * s;
  while (unitsOf(c, r) < n) c += s;
  return c;
}
