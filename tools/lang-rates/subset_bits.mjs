// Packs a bitset as a subset of another, as crates/token-estimate/src/bitsets.rs expands
// it: a bit per set bit of `base`, in order, set where `sub` has that bit too. Throws if `sub`
// has a bit `base` lacks (the estimator could not expand it), naming the code point
// `first + k`. `base` and `sub` are byte arrays of `length` bits (bit `k` in byte `k >> 3`,
// bit `k & 7`); `members` is the number of `base`'s set bits.
export function subsetOf(base, sub, length, members, first) {
  const bits = new Array(Math.ceil(members / 8)).fill(0);
  let rank = 0;
  for (let k = 0; k < length; k++) {
    const inBase = (base[k >> 3] >> (k & 7)) & 1, inSub = (sub[k >> 3] >> (k & 7)) & 1;
    if (inSub && !inBase) throw new Error(`U+${(first + k).toString(16)} is one token in cl100k_base but not in o200k_base`);
    if (inBase) {
      if (inSub) bits[rank >> 3] |= 1 << (rank & 7);
      rank++;
    }
  }
  return bits;
}
