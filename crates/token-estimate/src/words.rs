//! Lookup of frequent English words ([`WORDS`]) and punctuation tokens ([`PUNCT`]), through
//! one open-addressing hash table filled on demand (so the shipped data stays two
//! compressible lists): the words of one first letter, or the punctuation tokens, are put in
//! the first time a lookup of that kind misses.

use super::punct_list::{PUNCT, PUNCT_FLAGS};
use super::word_list::{FLAGS, WORDS};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::sync::{Mutex, PoisonError};

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
/// filled on demand without `unsafe`: every access is a plain load or store (in Wasm without
/// threads, and on x86-64); [`BUILT`] and [`BUILDING`] order the filling of a part before any
/// lookup that relies on it ([`Table::get`]).
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

    /// What this slot says of `key` during a probe: its flags when it holds `key`, 0 when it
    /// is empty (the probe ends: `key` is not in the table), `None` when it holds another key
    /// (the probe goes on).
    #[inline(always)]
    fn answer(&self, key: (u64, u64)) -> Option<u8> {
        let (a, b) = (self.a.load(Relaxed), self.b.load(Relaxed));
        if a == key.0 && b == key.1 {
            Some(self.flags.load(Relaxed))
        } else if a == 0 && b == 0 {
            Some(0)
        } else {
            None
        }
    }
}

/// The table's slots (192 KiB), in zero-initialised static memory: no allocation (and no
/// growing and zeroing of Wasm memory) at the first estimate, where a Node CPU profile of a
/// fresh page's first estimate had the allocated table's zeroing at 0.6 of its 4.4 ms (load
/// average 4 on 2 cores), and no bytes in the `.wasm`, where zeroed statics are only part of
/// the initial memory size.
static SLOT_MEMORY: [Slot; SLOTS] = [const { Slot::empty() }; SLOTS];

/// The table: one, over [`SLOT_MEMORY`].
static TABLE: Table = Table { slots: &SLOT_MEMORY };

/// The parts the table is filled by: the words of each first letter `a`–`z` (0–25), and the
/// punctuation tokens (26), none of which starts with a lower-case letter. A key's part is
/// [`part`], so a key that is in neither list is missed only once its part is in.
///
/// Filling all of it at once cost the first estimate in Node 2.5 ms on a busy machine: the
/// loop over 3,200 entries ran in V8's baseline tier long enough to have itself recompiled by
/// the optimising tier (6 ms on another thread, which took the machine's other core) for the
/// one call it ever gets. The bench's cold-start sentence needs four letters' words (29 % of
/// the list) and no longer triggers that; a first text of a few KB still fills most parts,
/// and the fill is then recompiled as the whole build was.
const PARTS: usize = 27;

// One bit of [`BUILT`] per part.
const _: () = assert!(PARTS <= 32);

/// Bit `p` is set once part `p` is in the table (stored with `Release` after its entries).
static BUILT: AtomicU32 = AtomicU32::new(0);

/// Held while a part is filled, so that two threads never fill at once.
static BUILDING: Mutex<()> = Mutex::new(());

/// The part of a key ([`PARTS`]): its first byte's letter, or 26.
#[inline(always)]
fn part(key: (u64, u64)) -> usize {
    let first = (key.0 as u8).wrapping_sub(b'a');
    if first < 26 {
        usize::from(first)
    } else {
        26
    }
}

/// Where each first letter's words begin in [`WORDS`]: (byte offset, word number), by letter,
/// then the end of the list. The list is sorted, so a letter's words follow one another and
/// the first of them shares no letter with the word before it.
static LETTER_STARTS: [(u16, u16); 27] = letter_starts();

/// [`LETTER_STARTS`], at compile time; checks the assumptions the parts rest on (a letter's
/// first word is coded without shared letters, offsets fit 16 bits, every punctuation token
/// begins with something other than a lower-case letter, the table stays at most half full).
const fn letter_starts() -> [(u16, u16); 27] {
    let b = WORDS.as_bytes();
    assert!(b.len() < u16::MAX as usize);
    let mut starts = [(u16::MAX, 0u16); 27];
    let mut i = 0;
    let mut k = 0u16;
    // The first letter whose start is not yet known. A word coded with shared letters has
    // the first letter of the word before it, so only words coded without any (`A`) can
    // start a letter's range.
    let mut next = 0;
    while i < b.len() {
        if b[i].is_ascii_uppercase() {
            if b[i] == b'A' && i + 1 < b.len() && b[i + 1].is_ascii_lowercase() {
                let letter = (b[i + 1] - b'a') as usize;
                assert!(letter + 1 >= next, "the list is not sorted");
                while next <= letter {
                    starts[next] = (i as u16, k);
                    next += 1;
                }
            } else {
                assert!(b[i] != b'A', "a word without letters");
            }
            k += 1;
        }
        i += 1;
    }
    while next < 27 {
        starts[next] = (b.len() as u16, k);
        next += 1;
    }
    // The punctuation tokens: one per lead (0x10 to 0x1f); a token that shares nothing with
    // the one before it (lead 0x10) shows its first byte, the others repeat one already seen.
    let p = PUNCT.as_bytes();
    assert!(!p.is_empty() && p[0] == 0x10, "the first punctuation token shares nothing");
    let mut i = 0;
    let mut entries = k as usize;
    while i < p.len() {
        if p[i] >= 0x10 && p[i] < 0x20 {
            assert!(p[i] != 0x10 || i + 1 == p.len() || !p[i + 1].is_ascii_lowercase(), "a punctuation token starting with a letter");
            entries += 1;
        }
        i += 1;
    }
    assert!(entries <= SLOTS / 2, "the table would be more than half full");
    starts
}

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

/// Puts part `p` ([`PARTS`]) of the lists in the table; the caller holds [`BUILDING`].
fn fill(t: &Table, p: usize) {
    if p < 26 {
        // The words of one letter (see [`WORDS`]): leads `A` to `Z`.
        let (Some(&(from, first)), Some(&(to, _))) = (LETTER_STARTS.get(p), LETTER_STARTS.get(p + 1)) else { return };
        let b = WORDS.as_bytes().get(usize::from(from)..usize::from(to)).unwrap_or(&[]);
        insert_front_coded(t, b, FLAGS.get(usize::from(first)..).unwrap_or(&[]), b'A', 26);
    } else {
        // The punctuation tokens (see [`PUNCT`]): leads U+0010 to U+001F.
        insert_front_coded(t, PUNCT.as_bytes(), PUNCT_FLAGS, 0x10, 16);
    }
}

/// Inserts the entries of a front-coded list with their flags (`flags[k]` for the `k`th).
/// Each entry is a lead byte, `base` plus how many bytes it shares with the entry before it
/// (a lead is a byte from `base` to `base + leads - 1`, which no entry contains), then its
/// own bytes. Each key is the previous one cut to the bytes they share, then the entry's own
/// bytes shifted in. Entries longer than [`MAX_WORD`] are skipped, as `pack_at` refuses them.
fn insert_front_coded(t: &Table, b: &[u8], flags: &[u8], base: u8, leads: u8) {
    let (mut lo, mut hi) = (0u64, 0u64);
    let mut i = 0;
    let mut k = 0;
    while let Some(&lead) = b.get(i) {
        let mut len = usize::from(lead.wrapping_sub(base)).min(MAX_WORD + 1);
        let (ma, mb) = masks(len.min(MAX_WORD));
        lo &= ma;
        hi &= mb;
        i += 1;
        while let Some(&c) = b.get(i).filter(|c| c.wrapping_sub(base) >= leads) {
            let c = u64::from(c);
            if len < 8 {
                lo |= c << (8 * len);
            } else if len < MAX_WORD {
                hi |= c << (8 * (len - 8));
            }
            len += 1;
            i += 1;
        }
        if (1..=MAX_WORD).contains(&len) {
            t.insert((lo, hi), flags.get(k).copied().unwrap_or(0));
        }
        k += 1;
    }
}

/// The shared table (filled part by part as lookups need them, [`PARTS`]).
pub(crate) fn table() -> &'static Table {
    &TABLE
}

impl Table {
    /// Puts `key` with `flags` in the first free slot from its own (filling a part,
    /// [`fill`], under [`BUILDING`]).
    fn insert(&self, key: (u64, u64), flags: u8) {
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
    ///
    /// A key found with flags is in the list. Otherwise the key's part ([`part`]) decides:
    /// once it is in the table, the key is not listed; before, it is put in ([`Self::fill_and_get`])
    /// and the key looked up again. (A key found with flags 0 takes the same way: another
    /// thread may be filling its part and not have stored the flags yet.)
    #[inline(always)]
    pub(crate) fn get(&self, key: (u64, u64)) -> u8 {
        let f = self.probe(key);
        if f != 0 || BUILT.load(Acquire) >> part(key) & 1 == 1 {
            return f;
        }
        self.fill_and_get(key)
    }

    /// [`Self::get`] for a key whose part is not yet in the table: fills it, then looks again.
    #[cold]
    #[inline(never)]
    fn fill_and_get(&self, key: (u64, u64)) -> u8 {
        let p = part(key);
        {
            let _filling = BUILDING.lock().unwrap_or_else(PoisonError::into_inner);
            if BUILT.load(Relaxed) >> p & 1 == 0 {
                fill(self, p);
                BUILT.fetch_or(1 << p, Release);
            }
        }
        self.probe(key)
    }

    /// Flags of `key` as the table holds it now, or 0 when it is not there.
    #[inline(always)]
    fn probe(&self, key: (u64, u64)) -> u8 {
        let mut s = slot(key);
        // The key's own slot first, outside the loop (nearly every lookup ends there, and a
        // loop entry costs a stack check in V8).
        if let Some(found) = self.slots.get(s).and_then(|e| e.answer(key)) {
            return found;
        }
        s = (s + 1) & (SLOTS - 1);
        for _ in 1..SLOTS {
            let Some(e) = self.slots.get(s) else { return 0 };
            if let Some(found) = e.answer(key) {
                return found;
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
