//! Sixteen bytes at a time: the letters of a word read as two little-endian 8-byte
//! numbers, with its case runs and its word-list key found by bit operations instead of
//! byte by byte (the ASCII fast path's words, [`super::ascii`]).

use super::words::masks;

/// Bytes read at once: two 8-byte numbers.
pub(crate) const WINDOW: usize = 16;

/// `0x80` in every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `x` in every byte.
#[inline(always)]
const fn splat(x: u8) -> u64 {
    x as u64 * 0x0101_0101_0101_0101
}

/// The [`WINDOW`] bytes of `b` from `i` as two little-endian numbers (zeros past the end).
#[inline(always)]
pub(crate) fn window(b: &[u8], i: usize) -> [u64; 2] {
    let half = |s: &[u8]| {
        let mut h = [0u8; 8];
        for (d, s) in h.iter_mut().zip(s) {
            *d = *s;
        }
        u64::from_le_bytes(h)
    };
    match b.get(i..i + WINDOW) {
        Some(s) => {
            let (x, y) = s.split_at(8);
            [half(x), half(y)]
        }
        None => {
            let rest = b.get(i..).unwrap_or(&[]);
            [half(rest), half(rest.get(8..).unwrap_or(&[]))]
        }
    }
}

/// Byte `k` (below [`WINDOW`]) of a window.
#[inline(always)]
pub(crate) fn byte(w: [u64; 2], k: usize) -> u8 {
    let half = if k < 8 { w[0] } else { w[1] };
    (half >> (8 * (k & 7))) as u8
}

/// The bytes of `w` within `lo..=hi` (both ASCII, `lo > 0`), as `0x80` in each such byte.
#[inline(always)]
pub(crate) fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    let low7 = w & !HIGH;
    // Per byte, no carries: the low seven bits plus at most 0x7f stay below 0x100.
    let ge_lo = low7 + splat(0x80 - lo);
    let gt_hi = low7 + splat(0x7f - hi);
    ge_lo & !gt_hi & !w & HIGH
}

/// End of the run of window bytes flagged in `m` (by [`in_range`]) that starts at byte `k`
/// ([`WINDOW`] if it reaches the end of the window).
#[inline(always)]
pub(crate) fn run(m: [u64; 2], k: usize) -> usize {
    // First unflagged byte at or after `k % 8` in one half (8 when there is none).
    let first = |half: u64, k: usize| ((!half & HIGH) >> (8 * k) << (8 * k)).trailing_zeros() as usize / 8;
    if k < 8 {
        let r = first(m[0], k);
        if r < 8 {
            return r;
        }
        8 + first(m[1], 0)
    } else if k < WINDOW {
        8 + first(m[1], k - 8)
    } else {
        WINDOW
    }
}

/// The word-list key ([`super::words::pack_at`], lower-cased) of the `len` bytes (1 to 15) of
/// window `w` from byte `k`.
#[inline(always)]
pub(crate) fn key(w: [u64; 2], k: usize, len: usize) -> (u64, u64) {
    let [a, b] = if k == 0 {
        w
    } else {
        let v = (u128::from(w[1]) << 64 | u128::from(w[0])) >> (8 * (k & 15));
        [v as u64, (v >> 64) as u64]
    };
    let (ma, mb) = masks(len);
    ((a | splat(0x20)) & ma, (b | splat(0x20)) & mb)
}
