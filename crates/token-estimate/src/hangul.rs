//! Korean words as `cl100k_base` splits them: its Hangul runs matched greedily against the
//! encoding's Hangul tokens ([`super::hangul_tokens`]).
//!
//! `cl100k_base` holds only 281 tokens made of Hangul syllables, but they are the commonest
//! Korean words and endings, so a syllable costs anything from a third of a token (in
//! `합니다`) to three (a rare syllable, in byte tokens): interface and manual Korean ran
//! 10–20 % over the per-syllable rate, the UDHR's and word-frequency Korean 5–13 % under.
//! [`run`] reads each run of syllables (longest match first, three syllables at most, a
//! leading space only at the run's start) and counts the tokens it matched and the
//! syllables no token covers; the language correction weighs both ([`super::lang`]).
//!
//! `o200k_base` holds 2,352 Hangul tokens, too many to ship, but only 677 of them are one
//! syllable: a syllable outside those ([`is_o200k_token`]) costs two or three byte tokens
//! wherever no longer token covers it, 1.8 tokens more than one inside them
//! (`tools/lang-rates/measure_hangul.mjs`). Loanwords and names are written with them
//! (`뷰`, `툴`, `릿`), so Korean documentation, with many of them, ran 3–6 % under where
//! interface text, with few, ran over.

use super::bitsets::{self, has};
use super::hangul_tokens::{CL100K_ONE_OF_O200K, CL100K_ONE_SPACE_OF_O200K, O200K_ONE, THREE, TWO};
use super::lang::{Signals, S_HANGUL_REST, S_HANGUL_TOK};
use std::sync::OnceLock;

/// First Hangul syllable (U+AC00).
pub(crate) const FIRST: u32 = 0xac00;
/// One past the last Hangul syllable (U+D7A3).
pub(crate) const END: u32 = 0xd7a4;

/// Whether Hangul syllable `u` (in `FIRST..END`) is one `o200k_base` token on its own.
#[inline]
pub(crate) fn is_o200k_token(u: u32) -> bool {
    has(&O200K_ONE, u.wrapping_sub(FIRST) as usize)
}

/// Reads the run of Hangul syllables that starts at byte `start` of `text` (a three-byte
/// character whose lead byte is 0xEA..=0xED), matches it against the tokens and counts
/// into `s`; returns the offset just past the run, at least `start + 3`, so that the
/// caller's scan moves on. Linear: each syllable is decoded once and takes part in at most
/// six lookups.
pub(crate) fn run(text: &[u8], start: usize, s: &mut Signals) -> usize {
    let one = cl100k_one_syllable();
    // Pending syllables (`u - FIRST`), oldest first, and how many.
    let mut buf = [0u32; 3];
    let mut n = 0;
    // Whether the run follows a space and its first token is not matched yet.
    let mut space = start > 0 && text.get(start - 1) == Some(&b' ');
    let mut i = start;
    loop {
        let syl = match text.get(i..i + 3) {
            Some(&[b0 @ 0xea..=0xed, b1, b2]) => {
                let u = u32::from(b0 & 0x0f) << 12 | u32::from(b1 & 0x3f) << 6 | u32::from(b2 & 0x3f);
                (FIRST..END).contains(&u).then(|| u - FIRST)
            }
            _ => None,
        };
        let Some(syl) = syl else { break };
        if let Some(x) = buf.get_mut(n) {
            *x = syl;
            n += 1;
        }
        i += 3;
        if n == buf.len() {
            match_one(one, &mut buf, &mut n, &mut space, s);
        }
    }
    while n > 0 {
        match_one(one, &mut buf, &mut n, &mut space, s);
    }
    i.max(start + 3)
}

/// Matches the longest token at the front of the `n` pending syllables of `buf` (counting
/// one left-over syllable where none matches), drops what it covered and clears `space`
/// (only a run's first token may take the space before it).
fn match_one(one: &OneSyllable, buf: &mut [u32; 3], n: &mut usize, space: &mut bool, s: &mut Signals) {
    let mut took = 0;
    'len: for len in (1..=(*n).min(3)).rev() {
        for sp in [*space, false] {
            let mut key = u64::from(sp);
            for &x in buf.iter().take(len) {
                key = key << 14 | u64::from(x);
            }
            if known(one, len, key) {
                took = len;
                break 'len;
            }
            if !*space {
                break;
            }
        }
    }
    if took == 0 {
        s[S_HANGUL_REST] += 1;
        took = 1;
    } else {
        s[S_HANGUL_TOK] += 1;
    }
    buf.copy_within(took.min(3).., 0);
    *n = n.saturating_sub(took);
    *space = false;
}

/// `cl100k_base`'s one-syllable tokens as two bitsets, bare and after a space (bit
/// `u - 0xAC00`).
type OneSyllable = [[u8; O200K_ONE.len()]; 2];

/// [`OneSyllable`], expanded on first use from their subsets of [`O200K_ONE`]
/// ([`bitsets`]): every one-token syllable of `cl100k_base`, bare or after a space, is
/// one of `o200k_base` on its own, and the two 85-byte subsets cost the `.wasm` less than two
/// full bitsets.
fn cl100k_one_syllable() -> &'static OneSyllable {
    static BITS: OnceLock<OneSyllable> = OnceLock::new();
    BITS.get_or_init(|| [bitsets::expand(&O200K_ONE, &CL100K_ONE_OF_O200K), bitsets::expand(&O200K_ONE, &CL100K_ONE_SPACE_OF_O200K)])
}

/// A 256-bit filter of the first syllables of the tokens of two and three syllables (bit
/// `s1 % 256`): most runs' two- and three-syllable candidates fail it and skip the search.
static LEADS: [u64; 4] = {
    let mut f = [0u64; 4];
    let mut k = 0;
    while k < TWO.len() {
        let s1 = (TWO[k] >> 14) as usize & 0xff;
        f[s1 >> 6] |= 1 << (s1 & 63);
        k += 1;
    }
    let mut k = 0;
    while k < THREE.len() {
        let s1 = (THREE[k] >> 28) as usize & 0xff;
        f[s1 >> 6] |= 1 << (s1 & 63);
        k += 1;
    }
    f
};

/// Whether the key of `len` syllables is one of the encoding's tokens.
#[inline]
fn known(one: &OneSyllable, len: usize, key: u64) -> bool {
    if len > 1 {
        let s1 = (key >> (14 * (len - 1))) as usize & 0xff;
        if LEADS.get(s1 >> 6).is_none_or(|f| f >> (s1 & 63) & 1 == 0) {
            return false;
        }
    }
    match len {
        // One syllable: a bit test (key `space << 14 | s`).
        1 => one.get(usize::from(key >> 14 == 1)).is_some_and(|bits| has(bits, key as usize & 0x3fff)),
        2 => u32::try_from(key).is_ok_and(|k| TWO.binary_search(&k).is_ok()),
        _ => THREE.binary_search(&key).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::SIGNALS;

    fn counts(text: &str) -> (u64, u64) {
        let mut s = [0u64; SIGNALS];
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if (0xea..=0xed).contains(&b[i]) {
                i = run(b, i, &mut s);
            } else {
                i += 1;
            }
        }
        (s[S_HANGUL_TOK], s[S_HANGUL_REST])
    }

    /// Common words match whole tokens; a rare syllable is left over.
    #[test]
    fn common_words_match_and_rare_syllables_are_left_over() {
        // cl100k_base: " 사용" "하여" " 설정" " 파일" "을" " 수정" "합니다".
        assert_eq!(counts(" 사용하여 설정 파일을 수정합니다"), (7, 0));
        // 뷁 is no token of any length.
        assert_eq!(counts("뷁"), (0, 1));
        assert_eq!(counts(""), (0, 0));
        // A run right after Latin letters takes no space; runs longer than three syllables
        // are matched as they are read: "API" "를", then " 확인" "하세요".
        assert_eq!(counts("API를 확인하세요"), (3, 0));
    }

    /// Truncated and non-syllable three-byte characters end a run without panicking, and
    /// the scan always moves on.
    #[test]
    fn truncated_input_moves_on() {
        let mut s = [0u64; SIGNALS];
        for bytes in [&b"\xea\xb0"[..], b"\xed\x9f\xbf", b"\xea\xb0\x80\xea", b"\xea\x80\x80"] {
            assert!(run(bytes, 0, &mut s) >= 3);
        }
    }
}
