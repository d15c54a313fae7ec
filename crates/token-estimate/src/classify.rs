//! Character classes as the two pre-tokenisation regexes see them, plus a coarse script.
//!
//! The regexes distinguish letters by case (`\p{Lu}\p{Lt}` / `\p{Ll}` / `\p{Lm}\p{Lo}`),
//! combining marks (`\p{M}`), numbers (`\p{N}`), white space (`\s`, with `\r`/`\n` special)
//! and everything else. The standard library's Unicode properties (`Alphabetic`,
//! `Lowercase`, `Uppercase`, `Numeric`, `White_Space`) plus a small table of mark ranges
//! give these classes closely enough without a Unicode crate.

use super::mark_ranges::{FIRST, RANGES, SPAN};

/// The class of one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// `\p{Lu}` or `\p{Lt}`.
    Upper,
    /// `\p{Ll}`.
    Lower,
    /// `\p{Lm}` or `\p{Lo}` (caseless letters: CJK, Arabic, Hebrew, Devanagari, …).
    Caseless,
    /// `\p{M}`.
    Mark,
    /// `\p{N}`.
    Digit,
    /// `\r` or `\n`.
    Newline,
    /// Any other white space.
    Space,
    /// Everything else: punctuation, symbols, emoji, controls.
    Punct,
}

/// A coarse writing system, used to pick per-character token rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Script {
    /// ASCII letters.
    Ascii = 0,
    /// Non-ASCII Latin letters (accented letters, ß, ł, …) and IPA.
    LatinExt,
    /// Greek and Coptic.
    Greek,
    /// Cyrillic.
    Cyrillic,
    /// Armenian, Georgian and other small alphabets.
    OtherAlphabet,
    /// Hebrew.
    Hebrew,
    /// Arabic, Syriac, Thaana.
    Arabic,
    /// Devanagari and the other Brahmic scripts of India.
    Indic,
    /// Thai, Lao, Khmer, Myanmar, Tibetan.
    SoutheastAsian,
    /// Hangul.
    Hangul,
    /// Hiragana and katakana.
    Kana,
    /// Han ideographs.
    Han,
    /// Anything else (other letters, astral planes).
    Other,
}

/// Number of [`Script`] values.
pub(crate) const SCRIPTS: usize = 13;

/// Classes of the 128 ASCII bytes.
const ASCII: [Class; 128] = {
    let mut t = [Class::Punct; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            Class::Upper
        } else if b.is_ascii_lowercase() {
            Class::Lower
        } else if b.is_ascii_digit() {
            Class::Digit
        } else if b == b'\r' || b == b'\n' {
            Class::Newline
        } else if b == b' ' || b == b'\t' || b == 0x0b || b == 0x0c {
            Class::Space
        } else {
            Class::Punct
        };
        i += 1;
    }
    t
};

/// The class of an ASCII byte (`b < 0x80`).
#[inline(always)]
pub(crate) fn ascii_class(b: u8) -> Class {
    ASCII[(b & 0x7f) as usize]
}

/// The class of any character.
///
/// Inlined into the scanning loops with the very commonest blocks (Han, kana, basic
/// Cyrillic), so that runs of CJK or Russian letters take no call per character; the rest
/// is [`class_rest`].
#[inline(always)]
pub(crate) fn class(c: char) -> Class {
    let u = c as u32;
    match u {
        0..=0x7f => ascii_class(u as u8),
        0x4e00..=0x9fff | 0x3041..=0x3096 | 0x30a1..=0x30fa | 0x30fc..=0x30fe => Class::Caseless,
        0x3001..=0x3004 | 0x3008..=0x3011 => Class::Punct,
        0x430..=0x45f => Class::Lower,
        0x400..=0x42f => Class::Upper,
        _ => class_rest(c),
    }
}

/// [`class`] of the characters its inlined part does not cover.
#[inline(never)]
fn class_rest(c: char) -> Class {
    let u = c as u32;
    if u < 0x80 {
        return ascii_class(u as u8);
    }
    // Fast paths for the common blocks, picked by 4096-character plane section
    // (`tests::fast_paths_agree` checks them all).
    let fast = match u >> 12 {
        0x0 => match u {
            0x400..=0x42f | 0xc0..=0xd6 | 0xd8..=0xde => Some(Class::Upper),
            0x430..=0x45f | 0xdf..=0xf6 | 0xf8..=0xff => Some(Class::Lower),
            0x5d0..=0x5ea | 0x621..=0x64a | 0x905..=0x939 => Some(Class::Caseless),
            0xa1..=0xa9 | 0xab..=0xb1 | 0xb4 | 0xb6..=0xb8 | 0xbb | 0xbf | 0xd7 | 0xf7 => Some(Class::Punct),
            0xa0 => Some(Class::Space),
            _ => None,
        },
        0x2 => match u {
            0x2010..=0x2027 | 0x2030..=0x205e | 0x2190..=0x21ff | 0x2300..=0x23ff => Some(Class::Punct),
            0x2500..=0x2775 | 0x2794..=0x27bf => Some(Class::Punct),
            _ => None,
        },
        0x3 => match u {
            0x3041..=0x3096 | 0x30a1..=0x30fa | 0x30fc..=0x30fe | 0x3400..=0x3fff => Some(Class::Caseless),
            0x3001..=0x3004 | 0x3008..=0x3011 => Some(Class::Punct),
            _ => None,
        },
        0x4 => (u <= 0x4dbf || u >= 0x4e00).then_some(Class::Caseless),
        0x5..=0x9 => Some(Class::Caseless),
        0xa..=0xd => (0xac00..=0xd7a3).contains(&u).then_some(Class::Caseless),
        0xf => matches!(u, 0xff01..=0xff0f | 0xff1a..=0xff20).then_some(Class::Punct),
        0x1f3..=0x1fa => Some(Class::Punct),
        _ => None,
    };
    match fast {
        Some(k) => k,
        None => class_by_properties(c),
    }
}

/// The class of a non-ASCII character from its Unicode properties (what the fast paths of
/// [`class`] shortcut).
#[inline(never)]
fn class_by_properties(c: char) -> Class {
    if is_mark(c as u32) {
        return Class::Mark;
    }
    if c.is_alphabetic() {
        if c.is_lowercase() {
            Class::Lower
        } else if c.is_uppercase() {
            Class::Upper
        } else {
            Class::Caseless
        }
    } else if c.is_numeric() {
        Class::Digit
    } else if c.is_whitespace() {
        Class::Space
    } else {
        Class::Punct
    }
}

/// Whether code point `u` is a combining mark (`\p{M}`).
#[inline]
fn is_mark(u: u32) -> bool {
    if u < 0x300 {
        return false;
    }
    // Binary search for the last range starting at or before `u`.
    let (mut lo, mut hi) = (0usize, RANGES);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if mark_range_first(mid).is_some_and(|first| first <= u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    match lo.checked_sub(1).and_then(|i| Some((mark_range_first(i)?, SPAN.get(i)?))) {
        Some((first, &span)) => u - first <= u32::from(span),
        None => false,
    }
}

/// The first code point of mark range `i` ([`FIRST`]'s three bytes), if there is one.
#[inline]
fn mark_range_first(i: usize) -> Option<u32> {
    let [low, mid, high] = &FIRST;
    Some(u32::from(*low.get(i)?) | u32::from(*mid.get(i)?) << 8 | u32::from(*high.get(i)?) << 16)
}

/// The script of a non-ASCII letter or mark.
#[inline]
pub(crate) fn script(u: u32) -> Script {
    // The commonest blocks first (`tests::fast_paths_agree` checks them).
    match u {
        0..=0x7f => Script::Ascii,
        0x4e00..=0x9fff => Script::Han,
        0x3040..=0x30ff => Script::Kana,
        0x400..=0x52f => Script::Cyrillic,
        0x80..=0x2af => Script::LatinExt,
        _ => script_by_ranges(u),
    }
}

/// The script of any code point, by its block.
#[inline(never)]
fn script_by_ranges(u: u32) -> Script {
    match u {
        0..=0x7f => Script::Ascii,
        0x80..=0x2af | 0x1d00..=0x1eff | 0x2c60..=0x2c7f | 0xa720..=0xa7ff | 0xff21..=0xff5a => Script::LatinExt,
        0x300..=0x36f => Script::LatinExt,
        0x370..=0x3ff | 0x1f00..=0x1fff => Script::Greek,
        0x400..=0x52f | 0x1c80..=0x1c8f | 0x2de0..=0x2dff | 0xa640..=0xa69f => Script::Cyrillic,
        0x530..=0x58f | 0x10a0..=0x10ff => Script::OtherAlphabet,
        0x590..=0x5ff | 0xfb1d..=0xfb4f => Script::Hebrew,
        0x600..=0x7bf | 0x8a0..=0x8ff | 0xfb50..=0xfdff | 0xfe70..=0xfeff => Script::Arabic,
        0x900..=0xdff => Script::Indic,
        0xe00..=0xeff | 0xf00..=0xfff | 0x1000..=0x109f | 0x1780..=0x17ff => Script::SoutheastAsian,
        0x1100..=0x11ff | 0x3130..=0x318f | 0xac00..=0xd7af => Script::Hangul,
        0x3040..=0x30ff | 0x31f0..=0x31ff | 0xff66..=0xff9f => Script::Kana,
        0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x3ffff => Script::Han,
        _ => Script::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each mark range read back from its byte columns starts and ends on a mark, and the
    /// code points just outside it (ranges are maximal and sorted) are no marks.
    #[test]
    fn mark_ranges_read_back() {
        let mut previous_end = 0;
        for (i, &span) in SPAN.iter().enumerate() {
            let first = mark_range_first(i).unwrap();
            let last = first + u32::from(span);
            assert!(first > previous_end + 1 || i == 0, "range {i} sorted and apart from the one before");
            assert!(is_mark(first) && is_mark(last) && !is_mark(last + 1), "range {i}: {first:#x}..={last:#x}");
            assert!(first <= 0x300 || !is_mark(first - 1), "range {i}: {first:#x}");
            previous_end = last;
        }
        assert_eq!(mark_range_first(RANGES), None);
    }

    /// The fast paths of [`class`] and [`script`] give what the general rules give, for
    /// every code point.
    #[test]
    fn fast_paths_agree() {
        for c in (0x80..=0x10ffffu32).filter_map(char::from_u32) {
            assert_eq!(class(c), class_by_properties(c), "class of U+{:04X}", c as u32);
        }
        for u in 0..=0x10ffffu32 {
            assert_eq!(script(u), script_by_ranges(u), "script of U+{u:04X}");
        }
    }
}
