//! The estimator's internals, for the tools that fit and measure it
//! (`examples/token_accuracy.rs`) and nothing else: the per-piece feature counters, the
//! model's weights and the pre-tokeniser, behind the `fitting` feature so that the tools
//! see exactly the code the estimator runs without compiling its source files a second
//! time. Not a stable API; the package never turns the feature on.

use crate::{features, model, pretokenize};
use std::ops::Range;

/// The counters of a text: one slot per feature (indices below).
pub type Counts = [u64; FEATURES];

/// Feature indices (see `features.rs` for what each counts).
pub mod feature {
    /// `features::HIT`.
    pub const HIT: usize = crate::features::HIT;
    /// `features::PRE_PUNCT`.
    pub const PRE_PUNCT: usize = crate::features::PRE_PUNCT;
    /// `features::PRE_OTHER`.
    pub const PRE_OTHER: usize = crate::features::PRE_OTHER;
    /// `features::CONTRACTION`.
    pub const CONTRACTION: usize = crate::features::CONTRACTION;
    /// `features::LANG_START`.
    pub const LANG_START: usize = crate::features::LANG_START;
    /// `features::MISS`.
    pub const MISS: usize = crate::features::MISS;
    /// `features::MISS_BUCKETS`.
    pub const MISS_BUCKETS: usize = crate::features::MISS_BUCKETS;
    /// `features::MISS_LONG`.
    pub const MISS_LONG: usize = crate::features::MISS_LONG;
    /// `features::SEG_EXTRA`.
    pub const SEG_EXTRA: usize = crate::features::SEG_EXTRA;
    /// `features::LATIN_EXT`.
    pub const LATIN_EXT: usize = crate::features::LATIN_EXT;
    /// `features::BOUNDARY`.
    pub const BOUNDARY: usize = crate::features::BOUNDARY;
    /// `features::LANG_END`.
    pub const LANG_END: usize = crate::features::LANG_END;
    /// `features::SCRIPT_CHARS`.
    pub const SCRIPT_CHARS: usize = crate::features::SCRIPT_CHARS;
    /// `features::SCRIPT_PIECES`.
    pub const SCRIPT_PIECES: usize = crate::features::SCRIPT_PIECES;
    /// `features::SCRIPT_SHORT`.
    pub const SCRIPT_SHORT: usize = crate::features::SCRIPT_SHORT;
    /// `features::NUMBER`.
    pub const NUMBER: usize = crate::features::NUMBER;
    /// `features::NUMBER_OTHER`.
    pub const NUMBER_OTHER: usize = crate::features::NUMBER_OTHER;
    /// `features::PUNCT_RUN`.
    pub const PUNCT_RUN: usize = crate::features::PUNCT_RUN;
    /// `features::PUNCT_LONG`.
    pub const PUNCT_LONG: usize = crate::features::PUNCT_LONG;
    /// `features::PUNCT_SPACE`.
    pub const PUNCT_SPACE: usize = crate::features::PUNCT_SPACE;
    /// `features::PUNCT_TRAIL`.
    pub const PUNCT_TRAIL: usize = crate::features::PUNCT_TRAIL;
    /// `features::PUNCT_WIDE`.
    pub const PUNCT_WIDE: usize = crate::features::PUNCT_WIDE;
    /// `features::PUNCT_MARK`.
    pub const PUNCT_MARK: usize = crate::features::PUNCT_MARK;
    /// `features::PUNCT_HIT`.
    pub const PUNCT_HIT: usize = crate::features::PUNCT_HIT;
    /// `features::SPACE`.
    pub const SPACE: usize = crate::features::SPACE;
    /// `features::SPACE_NL`.
    pub const SPACE_NL: usize = crate::features::SPACE_NL;
    /// `features::SPACE_NL_EXTRA`.
    pub const SPACE_NL_EXTRA: usize = crate::features::SPACE_NL_EXTRA;
    /// `features::SPACE_LONG`.
    pub const SPACE_LONG: usize = crate::features::SPACE_LONG;
    /// `features::SCRIPT_BARE`.
    pub const SCRIPT_BARE: usize = crate::features::SCRIPT_BARE;
    /// `features::FEATURES`.
    pub const FEATURES: usize = crate::features::FEATURES;
}
pub use feature::FEATURES;

/// Counts the features of `text` under `o200k_base` (`o200k`) or `cl100k_base` into `c`.
pub fn count(text: &[u8], o200k: bool, c: &mut Counts) {
    features::count(text, o200k, c);
}

/// The estimate for counted features, with the language correction re-reading `text`.
pub fn combine_text(c: &Counts, text: &[u8], o200k: bool) -> u64 {
    model::combine_text(c, text, o200k)
}

/// Share of word segments found in the English word list.
pub fn english_ratio(c: &Counts) -> f64 {
    model::english_ratio(c)
}

/// How English the text's Latin words are, from 0 to 1.
pub fn englishness(c: &Counts) -> f64 {
    model::englishness(c)
}

/// Whether feature `i` has language-dependent weights.
pub fn language_dependent(i: usize) -> bool {
    model::language_dependent(i)
}

/// The value of `n` counts of feature `i` in the model's units.
pub fn value(i: usize, n: u64) -> f64 {
    model::value(i, n)
}

/// The price of counted features at the English weights: the model's weighted sum with no
/// blend by englishness and no language correction (both read whole texts). What one piece
/// alone costs, for the tools that look at pieces.
pub fn english_price(c: &Counts, o200k: bool) -> f64 {
    c.iter().zip(weights(o200k)).enumerate().map(|(i, (&n, &w))| value(i, n) * f64::from(w) / 1000.0).sum()
}

/// The fitted weights (thousandths of a token per unit) of one encoding.
pub fn weights(o200k: bool) -> &'static [i16; FEATURES] {
    if o200k {
        &model::O200K
    } else {
        &model::CL100K
    }
}

/// The byte ranges of the pre-tokenisation pieces of `text`.
pub fn pieces(text: &[u8], o200k: bool) -> impl Iterator<Item = Range<usize>> + '_ {
    pretokenize::Pieces::new(text, o200k).map(|p| p.start..p.end)
}
