//! Tokens per feature for each encoding, fitted by `examples/token_accuracy.rs --fit`.

use super::features::{Counts, BOUNDARY, FEATURES, LANG_END, LANG_START};

/// Weights for `o200k_base`, in thousandths of a token per count.
pub(crate) const O200K: [i16; FEATURES] = [
    998, 217, 551, 748, 418, 235, 942, 1007, 846, 918, 1023, 868, 1043, 825, 1058, 661, 942, 1059, 1128, 1168, 1283, 1261, 2080, 1562,
    1437, 1224, 1041, 1042, 902, 1202, 1638, 1611, 1282, 1178, 2806, 1158, 105, 7, 616, -329, -491, 733, 347, 800, 397, 159, 800, 383, 277,
    352, 800, 608, 669, 697, 819, 300, 300, 143, 713, 300, 175, 343, 274, 300, 508, 10, 347, 300, -16, 1000, 1428, 997, 1424, 1776, 1329,
    304, 187, 263, 825, 759, 1650, 1000, 1000, 1001, 1001, -1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// Weights for `cl100k_base`, in thousandths of a token per count.
pub(crate) const CL100K: [i16; FEATURES] = [
    997, 181, 554, 709, 562, 1000, 928, 842, 738, 865, 1069, 860, 1009, 794, 996, 609, 1010, 1480, 1253, 1647, 1376, 1444, 1355, 1570,
    1361, 1245, 878, 1044, 772, 1092, 1369, 1550, 1253, 1178, 2233, 1160, 128, 181, 620, -85, -176, 645, 220, 800, 1020, 350, 800, 988,
    620, 1276, 800, 1036, 946, 973, 899, 300, 300, 327, 778, 300, 981, 1115, 527, 300, 981, 204, 622, 300, -225, 1000, 1421, 998, 1377,
    1770, 1448, 252, 168, 311, 903, 888, 1996, 1321, 1000, 1001, 1001, -1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// Language-dependent weights ([`LANG_START`]`..`[`LANG_END`]) for `o200k_base` in
/// languages other than English.
pub(crate) const O200K_FOREIGN: [i16; LANG] = [
    856, 726, 788, 1019, 1146, 1331, 1508, 1670, 1623, 1397, 990, 1025, 1407, 1622, 1553, 1720, 1748, 2411, 1871, 2293, 1203, 1730, 2376,
    2201, 2186, 3007, 2167, 1000, 3356, 1004, 287, 236, 308, -423, 67, 745,
];
/// Language-dependent weights for `cl100k_base` in languages other than English.
pub(crate) const CL100K_FOREIGN: [i16; LANG] = [
    862, 836, 938, 1191, 1313, 1462, 1752, 1878, 1850, 1481, 989, 1059, 1316, 1552, 1746, 1680, 1899, 2067, 1885, 2353, 1265, 1791, 2159,
    2347, 3130, 3061, 2112, 1000, 2985, 1000, 334, 136, 300, -173, 144, 790,
];

/// Number of language-dependent features.
pub(crate) const LANG: usize = LANG_END - LANG_START;

/// Whether feature `i` describes rare Latin words, whose cost depends on the language.
#[allow(dead_code)] // used by the fitting tool (`examples/token_accuracy.rs`)
pub(crate) fn language_dependent(i: usize) -> bool {
    (LANG_START..LANG_END).contains(&i)
}

/// The value of `n` counts of feature `i` in the model's units (boundary mass is counted
/// in 1/255 and weighed per unit).
#[inline]
pub(crate) fn value(i: usize, n: u64) -> f64 {
    if i == BOUNDARY {
        n as f64 / 255.0
    } else {
        n as f64
    }
}

/// How English the text's Latin words are, from 0 (not at all) to 1 (like English prose).
pub(crate) fn englishness(c: &Counts) -> f64 {
    ((english_ratio(c) - 0.2) / 0.55).clamp(0.0, 1.0)
}

/// The estimate for counted features: their weighted sum ([`sum`]) plus the language
/// correction of [`super::lang`], which reads `text` (the bytes `c` was counted over) again
/// when `c` shows non-ASCII letters, wide symbols or Latin words that are not English;
/// rounded, at least 1 if anything was counted.
pub(crate) fn combine_text(c: &Counts, text: &[u8], o200k: bool) -> u64 {
    round(c, sum(c, o200k) + super::lang::correction(text, c, o200k))
}

/// The weights of one encoding in tokens per count: all features, and the rare-Latin-word
/// features' weights for text in languages other than English.
pub(crate) fn tokens_per_count(o200k: bool) -> ([f64; FEATURES], [f64; LANG]) {
    let (w, wf) = if o200k { (&O200K, &O200K_FOREIGN) } else { (&CL100K, &CL100K_FOREIGN) };
    (w.map(|x| f64::from(x) / 1000.0), wf.map(|x| f64::from(x) / 1000.0))
}

/// The weighted sum of the features, before rounding. Rare-word features blend the English
/// and the other-language weights by [`englishness`].
pub(crate) fn sum(c: &Counts, o200k: bool) -> f64 {
    let (w, wf) = if o200k { (&O200K, &O200K_FOREIGN) } else { (&CL100K, &CL100K_FOREIGN) };
    let e = englishness(c);
    let mut sum = 0f64;
    for (i, (&n, &wi)) in c.iter().zip(w.iter()).enumerate() {
        if n > 0 {
            let mut wi = f64::from(wi);
            if let Some(&f) = i.checked_sub(LANG_START).and_then(|k| wf.get(k)) {
                wi = wi * e + f64::from(f) * (1.0 - e);
            }
            sum += value(i, n) * wi / 1000.0;
        }
    }
    sum
}

/// The estimate from a weighted sum: rounded, at least 1 if anything was counted, 0 for
/// empty text.
fn round(c: &Counts, sum: f64) -> u64 {
    if c.iter().all(|&n| n == 0) {
        return 0;
    }
    // `as` saturates for floats (and maps NaN to 0), so this cannot wrap.
    (sum.round() as u64).max(1)
}

/// Share of word segments (3+ letters, not ALLCAPS) found in the English word list: near
/// 0.8 for English prose, far lower for other languages written in Latin letters.
pub(crate) fn english_ratio(c: &Counts) -> f64 {
    use super::features::{HIT, MISS, MISS_BUCKETS};
    let hits = c[HIT] as f64;
    let mut miss = 0u64;
    for shape in 0..2 {
        for b in 1..MISS_BUCKETS {
            miss += c[MISS + shape * MISS_BUCKETS + b];
        }
    }
    if hits + miss as f64 == 0.0 {
        return 1.0;
    }
    hits / (hits + miss as f64)
}
