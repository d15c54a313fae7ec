// Independent conformance ledger: written from docs/PROTOCOL.md alone. It MUST stay
// independent of crates/ (no import of the reference ledger, its Wasm package or its
// sources): its value is that it reads the document the way an outside engineer would.
//
// Exact decimal money (PROTOCOL §1, §1.1) as a BigInt of 10^-28 units: no float ever
// touches an amount. `parseMoney` accepts only the strict wire form a ledger must accept
// in requests; `fmt` writes the strict form a ledger must write.
export const SCALE = 28n;
export const ONE = 10n ** SCALE;
const MAX = 10n ** 15n * ONE;
/** §1: a money string's digits, read as one integer (trailing zeros included), stay below this. */
const DIGITS_LIMIT = 2n ** 96n;
const STRICT = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Parses a strict money string (§1, §1.1); null when it is not one, is above 10^15, has
 * more than 28 fraction digits, or its digits read as one integer reach 2^96.
 */
export function parseMoney(s) {
  if (typeof s !== 'string' || !STRICT.test(s)) return null;
  const [i, f = ''] = s.split('.');
  if (f.length > 28 || BigInt(i + f) >= DIGITS_LIMIT) return null;
  const v = BigInt(i) * ONE + BigInt((f + '0'.repeat(28)).slice(0, 28));
  return v > MAX ? null : v;
}

/** Writes money in the strict form: no trailing zeros, no exponent (§1). */
export function fmt(v) {
  if (v < 0n) throw new Error('negative money ' + v);
  const i = v / ONE;
  const f = v % ONE;
  if (f === 0n) return i.toString();
  return i.toString() + '.' + f.toString().padStart(28, '0').replace(/0+$/, '');
}

export const min = (a, b) => (a < b ? a : b);
export const max = (a, b) => (a > b ? a : b);

/** Money from a literal the tests trust; throws on a typo. */
export function M(s) {
  const v = parseMoney(s);
  if (v === null) throw new Error('bad money literal ' + s);
  return v;
}
