//! Lookup of frequent English words ([`WORDS`]) and punctuation tokens ([`PUNCT`]), through
//! one open-addressing hash table built on first use (so the shipped data stays two
//! compressible lists).

use super::punct_list::{PUNCT, PUNCT_FLAGS};
use super::word_list::{FLAGS, WORDS};
use std::sync::OnceLock;

/// Longest word in the list we look up; longer segments are never in it.
pub(crate) const MAX_WORD: usize = 16;

/// Table slots (a power of two, well above the number of words).
const SLOTS: usize = 8192;

/// The lookup structure: slots holding an entry's key (its bytes packed little-endian into
/// two words, zero-padded; no entry contains a NUL) and flags; an all-zero key is empty.
struct Table {
    slots: Vec<(u64, u64, u8)>,
}

/// Packs 1 to [`MAX_WORD`] bytes into a key (little-endian, zero-padded), OR-ing every
/// byte with `or` (0x20 lower-cases ASCII letters).
#[inline(always)]
pub(crate) fn pack(bytes: &[u8], or: u8) -> Option<(u64, u64)> {
    pack_at(bytes, 0, bytes.len(), or)
}

/// [`pack`] of `b[start..start + len]`, reading whole words when `b` is long enough.
#[inline(always)]
pub(crate) fn pack_at(b: &[u8], start: usize, len: usize, or: u8) -> Option<(u64, u64)> {
    if len == 0 || len > MAX_WORD {
        return None;
    }
    let word = |from: usize| -> Option<u64> {
        let w: [u8; 8] = b.get(from..from + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(w))
    };
    let (a, hi) = match (word(start), word(start + 8)) {
        (Some(a), Some(hi)) => (a, hi),
        _ => {
            // Near the end of the text: byte by byte.
            let (mut a, mut hi) = (0u64, 0u64);
            for k in 0..len {
                let v = u64::from(*b.get(start + k)?);
                if k < 8 {
                    a |= v << (8 * k);
                } else {
                    hi |= v << (8 * (k - 8));
                }
            }
            (a, hi)
        }
    };
    let fill = u64::from(or) * 0x0101_0101_0101_0101;
    let ma = if len >= 8 { u64::MAX } else { (1u64 << (8 * len)) - 1 };
    let mb = if len >= 16 { u64::MAX } else if len > 8 { (1u64 << (8 * (len - 8))) - 1 } else { 0 };
    Some(((a | fill) & ma, (hi | fill) & mb))
}

/// Slot of a key.
#[inline(always)]
fn slot(key: (u64, u64)) -> usize {
    let h = (key.0 ^ key.1.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & (SLOTS - 1)
}

/// Builds the table from both lists.
fn build() -> Table {
    let mut slots = vec![(0u64, 0u64, 0u8); SLOTS];
    let lists: [(&'static str, char, &[u8]); 2] = [(WORDS, ' ', FLAGS), (PUNCT, '\u{1f}', PUNCT_FLAGS)];
    let mut used = 0;
    for (list, sep, flags) in lists {
        for (k, w) in list.split(sep).enumerate() {
            let Some(key) = pack(w.as_bytes(), 0) else { continue };
            if used >= SLOTS / 2 {
                break;
            }
            used += 1;
            let mut s = slot(key);
            // At most half full, so a free slot always exists.
            for _ in 0..SLOTS {
                match slots.get_mut(s) {
                    Some(e) if e.0 == 0 && e.1 == 0 => {
                        *e = (key.0, key.1, flags.get(k).copied().unwrap_or(0));
                        break;
                    }
                    _ => s = (s + 1) & (SLOTS - 1),
                }
            }
        }
    }
    Table { slots }
}

/// The shared table.
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// Flags of a packed key ([`pack`]) of either list, or 0 when it is in neither.
#[inline]
pub(crate) fn lookup(key: (u64, u64)) -> u8 {
    let t = table();
    let mut s = slot(key);
    for _ in 0..SLOTS {
        match t.slots.get(s) {
            Some(&(a, b, f)) if a == key.0 && b == key.1 => return f,
            Some(&(0, 0, _)) | None => return 0,
            _ => s = (s + 1) & (SLOTS - 1),
        }
    }
    0
}

/// Flags of the word `b[start..start + len]` (any case; looked up in lower case), or 0 when
/// it is not in the list.
///
/// Bits: 0 `" w"` o200k, 1 `" w"` cl100k, 2 `"w"` o200k, 3 `"w"` cl100k, then the same
/// four for the capitalised form `W`.
#[inline(always)]
pub(crate) fn flags_at(b: &[u8], start: usize, len: usize) -> u8 {
    if len < 3 {
        return 0;
    }
    pack_at(b, start, len, 0x20).map_or(0, lookup)
}

/// Flags of the punctuation piece `b[start..start + len]`, like [`punct_flags`].
#[inline(always)]
pub(crate) fn punct_flags_at(b: &[u8], start: usize, len: usize) -> u8 {
    if len < 2 {
        return 0;
    }
    pack_at(b, start, len, 0).map_or(0, lookup)
}

/// Flags of a punctuation piece (bit 0 o200k, bit 1 cl100k), or 0 when it is not listed.
#[inline]
pub(crate) fn punct_flags(piece: &[u8]) -> u8 {
    if piece.len() < 2 {
        return 0;
    }
    pack(piece, 0).map_or(0, lookup)
}
