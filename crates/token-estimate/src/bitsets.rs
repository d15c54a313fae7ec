//! Bitsets of the language tables (bit `k` in byte `k >> 3`, bit `k & 7`): testing a bit, and
//! bitsets shipped as a subset of another, a bit per set bit of the base, in order. Where
//! every member of one table is a member of a larger one (`cl100k_base`'s one-token
//! ideographs and Hangul syllables are all `o200k_base`'s too), the smaller table costs the
//! `.wasm` a bit per member of the larger instead of a bit per character, and is expanded
//! into a full bitset on first use ([`expand`]).

/// Bit `k` of `bits` (false past its end).
#[inline(always)]
pub(crate) fn has(bits: &[u8], k: usize) -> bool {
    bits.get(k >> 3).is_some_and(|&b| b >> (k & 7) & 1 == 1)
}

/// The full bitset of `subset`: bit `k` is set where bit `k` of `base` is set and, if it is
/// the `r`-th set bit of `base`, bit `r` of `subset` is set too.
pub(crate) fn expand<const N: usize>(base: &[u8; N], subset: &[u8]) -> [u8; N] {
    let mut bits = [0u8; N];
    let mut rank = 0usize;
    for (out, &byte) in bits.iter_mut().zip(base.iter()) {
        for b in 0..8 {
            if byte >> b & 1 == 1 {
                if has(subset, rank) {
                    *out |= 1 << b;
                }
                rank += 1;
            }
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::{expand, has};

    /// The subset's bits land on the base's set bits in order; bits past the subset's end
    /// are clear.
    #[test]
    fn subset_bits_land_on_the_base_in_order() {
        let base = [0b1010_0110u8, 0b0000_0001];
        // Base members: bits 1, 2, 5, 7, 8. Subset: the first, third and fifth.
        assert_eq!(expand(&base, &[0b1_0101]), [0b0010_0010, 0b0000_0001]);
        assert_eq!(expand(&base, &[]), [0, 0]);
        assert_eq!(expand(&base, &[0xff]), base);
    }

    /// A bit is read from its byte and place; past the end there is none.
    #[test]
    fn has_reads_bit_k_and_nothing_past_the_end() {
        let bits = [0b1000_0010u8, 0b0000_0001];
        let set: Vec<usize> = (0..20).filter(|&k| has(&bits, k)).collect();
        assert_eq!(set, [1, 7, 8]);
    }
}
