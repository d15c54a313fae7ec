// Deterministic randomness shared by the generators (gen_devset.mjs, gen_indep.mjs): the
// same seed string gives the same notes on every machine, so regenerated sets are
// byte-identical and their exact counts stay valid.

/** A generator of numbers in [0, 1) seeded by a string (FNV-style mix, then mulberry32). */
export function rng(seed) {
  let s = 0;
  for (const ch of seed) s = (Math.imul(s ^ ch.codePointAt(0), 0x01000193) + 0x9e3779b9) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const pick = (r, a) => a[Math.floor(r() * a.length)];
export const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
