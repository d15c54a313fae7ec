//! Lookup of frequent English words ([`WORDS`]) and punctuation tokens ([`PUNCT`]), through
//! one open-addressing hash table built on first use (so the shipped data stays two
//! compressible lists).

use super::punct_list::{PUNCT, PUNCT_FLAGS};
use super::word_list::{FLAGS, WORDS};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::OnceLock;

/// Longest word in the list we look up; longer segments are never in it.
pub(crate) const MAX_WORD: usize = 16;

/// Table slots (a power of two, well above the number of words).
const SLOTS: usize = 8192;

/// The lookup structure: slots holding an entry's key (its bytes packed little-endian into
/// two words, zero-padded; no entry contains a NUL) and flags; an all-zero key is empty.
pub(crate) struct Table {
    slots: &'static [Slot; SLOTS],
}

/// One slot of the table: key and flags. Atomics only so that the slots can be a `static`
/// filled once without `unsafe`: every access is `Relaxed`, a plain load or store (in Wasm
/// without threads, and on x86-64), and [`table`]'s `OnceLock` orders the filling before
/// any lookup.
struct Slot {
    a: AtomicU64,
    b: AtomicU64,
    flags: AtomicU8,
}

impl Slot {
    /// An empty slot.
    const fn empty() -> Slot {
        Slot { a: AtomicU64::new(0), b: AtomicU64::new(0), flags: AtomicU8::new(0) }
    }
}

/// The table's slots (192 KiB), in zero-initialised static memory: no allocation (and no
/// growing and zeroing of Wasm memory) at the first estimate, where a Node CPU profile of a
/// fresh page's first estimate had the allocated table's zeroing at 0.6 of its 4.4 ms (load
/// average 4 on 2 cores), and no bytes in the `.wasm`, where zeroed statics are only part of
/// the initial memory size.
static SLOT_MEMORY: [Slot; SLOTS] = [const { Slot::empty() }; SLOTS];

/// Packs the 1 to [`MAX_WORD`] bytes `b[start..start + len]` into a key (little-endian,
/// zero-padded), OR-ing every byte with `or` (0x20 lower-cases ASCII letters); reads whole
/// words when `b` is long enough.
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
    let (ma, mb) = masks(len);
    Some(((a | fill) & ma, (hi | fill) & mb))
}

/// `LOW_BYTES[n]` keeps the low `n` bytes of a word.
const LOW_BYTES: [u64; 9] = {
    let mut t = [u64::MAX; 9];
    let mut n = 0;
    while n < 8 {
        t[n] = (1u64 << (8 * n)) - 1;
        n += 1;
    }
    t
};

/// Masks of the two words of a key of `len` bytes (at most 16).
#[inline(always)]
pub(crate) fn masks(len: usize) -> (u64, u64) {
    (LOW_BYTES[len.min(8)], LOW_BYTES[len.saturating_sub(8).min(8)])
}

/// Slot of a key.
#[inline(always)]
fn slot(key: (u64, u64)) -> usize {
    let h = (key.0 ^ key.1.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & (SLOTS - 1)
}

/// Builds the table from both lists.
fn build() -> Table {
    let mut t = Table { slots: &SLOT_MEMORY };
    // The table stays at most half full, so a free slot always exists.
    let mut used = 0;
    let mut put = |t: &mut Table, key: Option<(u64, u64)>, flags: u8| {
        if let Some(key) = key {
            if used < SLOTS / 2 {
                used += 1;
                t.insert(key, flags);
            }
        }
    };
    // The words, front-coded (see [`WORDS`]); entries longer than MAX_WORD are skipped, as
    // `pack_at` refuses them.
    let b = WORDS.as_bytes();
    let mut word = [0u8; MAX_WORD];
    let mut i = 0;
    let mut k = 0;
    while let Some(&lead) = b.get(i) {
        let mut len = usize::from(lead.wrapping_sub(b'A')).min(MAX_WORD + 1);
        i += 1;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_lowercase()) {
            if let Some(slot) = word.get_mut(len) {
                *slot = c;
            }
            len += 1;
            i += 1;
        }
        put(&mut t, pack_at(&word, 0, len, 0), FLAGS.get(k).copied().unwrap_or(0));
        k += 1;
    }
    // The punctuation tokens, separated by 0x1f.
    let b = PUNCT.as_bytes();
    let mut start = 0;
    let mut k = 0;
    while start <= b.len() {
        let end = find(b, start, 0x1f);
        put(&mut t, pack_at(b, start, end - start, 0), PUNCT_FLAGS.get(k).copied().unwrap_or(0));
        k += 1;
        start = end + 1;
    }
    t
}

/// Position of the first `sep` in `b` from `from` (or the end), eight bytes at a time.
fn find(b: &[u8], from: usize, sep: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(w) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        // Bytes equal to `sep` become zero; flag the first zero byte.
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(sep));
        let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if zero != 0 {
            return i + zero.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while b.get(i).is_some_and(|&x| x != sep) {
        i += 1;
    }
    i.min(b.len())
}

/// The shared table, built on first use.
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

impl Table {
    /// Puts `key` with `flags` in the first free slot from its own.
    fn insert(&mut self, key: (u64, u64), flags: u8) {
        let mut s = slot(key);
        for _ in 0..SLOTS {
            match self.slots.get(s) {
                Some(e) if e.a.load(Relaxed) == 0 && e.b.load(Relaxed) == 0 => {
                    e.a.store(key.0, Relaxed);
                    e.b.store(key.1, Relaxed);
                    e.flags.store(flags, Relaxed);
                    return;
                }
                _ => s = (s + 1) & (SLOTS - 1),
            }
        }
    }

    /// Flags of a packed key ([`pack_at`]) of either list, or 0 when it is in neither.
    #[inline(always)]
    pub(crate) fn get(&self, key: (u64, u64)) -> u8 {
        let mut s = slot(key);
        for _ in 0..SLOTS {
            let Some(e) = self.slots.get(s) else { return 0 };
            let (a, b) = (e.a.load(Relaxed), e.b.load(Relaxed));
            if a == key.0 && b == key.1 {
                return e.flags.load(Relaxed);
            }
            if a == 0 && b == 0 {
                return 0;
            }
            s = (s + 1) & (SLOTS - 1);
        }
        0
    }

    /// Flags of the word `b[start..start + len]` (any case; looked up in lower case), or 0
    /// when it is not in the list.
    ///
    /// Bits: 0 `" w"` o200k, 1 `" w"` cl100k, 2 `"w"` o200k, 3 `"w"` cl100k, then the same
    /// four for the capitalised form `W`.
    #[inline(always)]
    pub(crate) fn flags_at(&self, b: &[u8], start: usize, len: usize) -> u8 {
        if len < 3 {
            return 0;
        }
        pack_at(b, start, len, 0x20).map_or(0, |k| self.get(k))
    }

    /// Flags of a punctuation piece (bit 0 o200k, bit 1 cl100k), or 0 when it is not listed.
    #[inline]
    pub(crate) fn punct_flags(&self, piece: &[u8]) -> u8 {
        punct_flags_at(self, piece, 0, piece.len())
    }
}

/// Flags of the punctuation piece `b[start..start + len]`, like [`Table::punct_flags`].
#[inline(always)]
pub(crate) fn punct_flags_at(t: &Table, b: &[u8], start: usize, len: usize) -> u8 {
    if len < 2 {
        return 0;
    }
    match pack_at(b, start, len, 0) {
        Some(k) => t.get(k),
        None => 0,
    }
}
