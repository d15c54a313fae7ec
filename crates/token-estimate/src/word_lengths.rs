//! How the cost of Spanish, Portuguese and French words departs from the per-piece model's
//! price as they get longer, measured from the tokenizers (`tools/lang-rates/gen_lengths.py`).
//!
//! The model prices a rare Latin word by its length with one set of weights for every
//! language but English ([`super::model`]). The vocabularies hold many long Spanish,
//! Portuguese and French words whole, so past five letters these cost ever less than that
//! price (about 25 % less at nine to ten letters, 45 % less past thirteen in `o200k_base`),
//! while Czech, Romanian, Polish, Swedish or Turkish words do not (their ratio stays near 1
//! up to eleven letters). The language's factor ([`super::lang_weights`]) covers the
//! average mix of lengths; this shift moves a note's estimate by how far its own mix is from
//! that average. It is measured, not fitted: each entry is the ratio of exact tokens to the
//! model's price for words of that length group, over the same ratio for all the language's
//! words (word-frequency lists, words drawn by frequency), minus one.

use super::features::{Counts, HIT, LANG_START, MISS, MISS_BUCKETS, MISS_LONG};
use super::lang::{Signals, S_WORDS};

/// Length groups of rare-word segments: up to 4 letters, 5–6, 7–8, 9–10, 11 and more (the
/// model's buckets `length - 2`), then the letters beyond ten.
pub(crate) const GROUPS: usize = 6;

/// The rare-word features of lower-case and Capitalised segments, with their length group:
/// the length buckets, then the letters beyond ten.
const FEATURE_GROUPS: [(usize, u8); 2 * MISS_BUCKETS + 2] = {
    const G: [u8; MISS_BUCKETS] = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4];
    let mut t = [(0, 0); 2 * MISS_BUCKETS + 2];
    let mut k = 0;
    while k < 2 * MISS_BUCKETS {
        t[k] = (MISS + k, G[k % MISS_BUCKETS]);
        k += 1;
    }
    t[k] = (MISS_LONG, GROUPS as u8 - 1);
    t[k + 1] = (MISS_LONG + 1, GROUPS as u8 - 1);
    t
};

/// Extra tokens (negative for a note of long words) for a text with first-pass features `c`,
/// signals `s`, rare-Latin-word weights `foreign` (tokens per count) and englishness `e`:
/// per language, its function-word share (the correction's own, [`super::lang`]) times the
/// foreign part of each length group's price times the group's measured shift.
pub(crate) fn shift(c: &Counts, s: &Signals, foreign: &[f64], e: f64, o200k: bool) -> f64 {
    let words = c[HIT] + c[MISS..MISS + 3 * MISS_BUCKETS].iter().sum::<u64>();
    if words == 0 {
        return 0.0;
    }
    // The foreign part of the price of lower-case and Capitalised rare words, per group.
    let mut part = [0f64; GROUPS];
    for &(i, g) in FEATURE_GROUPS.iter() {
        let price = super::model::value(i, c[i]) * foreign.get(i - LANG_START).copied().unwrap_or(0.0) * (1.0 - e);
        if let Some(p) = part.get_mut(usize::from(g)) {
            *p += price;
        }
    }
    let table = if o200k { &O200K } else { &CL100K };
    let mut x = 0.0;
    for (row, &n) in table.iter().zip(s[S_WORDS..].iter()) {
        let share = crate::lang::at_most_one(n as f64 / (0.15 * words as f64));
        x += share * row.iter().zip(part.iter()).map(|(&d, p)| f64::from(d) * p).sum::<f64>();
    }
    x
}

/// `o200k_base`: Spanish, Portuguese, French.
pub(crate) static O200K: [[f32; GROUPS]; 3] = [
    [0.081, -0.038, -0.155, -0.180, -0.302, -0.410],
    [0.104, -0.021, -0.148, -0.195, -0.311, -0.421],
    [0.061, -0.058, -0.156, -0.179, -0.295, -0.410],
];
/// `cl100k_base`: Spanish, Portuguese, French.
pub(crate) static CL100K: [[f32; GROUPS]; 3] = [
    [0.065, -0.075, -0.105, -0.108, -0.209, -0.304],
    [0.071, 0.025, -0.061, -0.069, -0.193, -0.330],
    [0.051, -0.053, -0.107, -0.130, -0.210, -0.305],
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{count, FEATURES};

    fn shift_of(text: &str, o200k: bool) -> f64 {
        let mut c = [0u64; FEATURES];
        count(text.as_bytes(), o200k, &mut c);
        let (_, foreign) = crate::model::tokens_per_count(o200k);
        let s = crate::lang::scan(text.as_bytes(), o200k, true);
        shift(&c, &s, &foreign, crate::model::englishness(&c), o200k)
    }

    /// Spanish text of long words is priced lower than the model's average, text of short
    /// words higher; text without Spanish, Portuguese or French function words is not moved.
    #[test]
    fn long_romance_words_shift_the_estimate_down() {
        let long = "Los procedimientos internacionales con las organizaciones y la administración del departamento. ";
        let short = "El gato de mi casa y el perro del niño con las uvas del campo. ";
        for o200k in [true, false] {
            assert!(shift_of(long, o200k) < 0.0);
            assert!(shift_of(short, o200k) > shift_of(long, o200k));
            assert_eq!(shift_of("Die Verwaltungsvorschriften der internationalen Organisationen. ", o200k), 0.0);
        }
    }
}
