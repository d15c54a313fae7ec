// Comparing credit amounts, which are decimal strings ("12.5"): never through a float.

/** -1, 0 or 1 as `a` is below, equal to or above `b` (non-negative decimal strings). */
export function compareDecimal(a: string, b: string): number {
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  const int = (s: string) => s.replace(/^0+(?=\d)/, "");
  const [x, y] = [int(ai), int(bi)];
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const l = x + af.padEnd(width, "0");
  const r = y + bf.padEnd(width, "0");
  return l === r ? 0 : l < r ? -1 : 1;
}
