//! Korean words as `cl100k_base` splits them: its Hangul runs matched greedily against the
//! encoding's Hangul tokens ([`super::hangul_tokens`]).
//!
//! `cl100k_base` holds only 281 tokens made of Hangul syllables, but they are the commonest
//! Korean words and endings, so a syllable costs anything from a third of a token (in
//! `합니다`) to three (a rare syllable, in byte tokens): interface and manual Korean ran
//! 10–20 % over the per-syllable rate, the UDHR's and word-frequency Korean 5–13 % under.
//! [`Run`] follows each run of syllables (longest match first, three syllables at most, a
//! leading space only at the run's start) and counts the tokens it matched and the
//! syllables no token covers; the language correction weighs both ([`super::lang`]).

use super::hangul_tokens::{ONE, THREE, TWO};
use super::lang::{Signals, S_HANGUL_REST, S_HANGUL_TOK};

/// First Hangul syllable (U+AC00).
pub(crate) const FIRST: u32 = 0xac00;
/// One past the last Hangul syllable (U+D7A3).
pub(crate) const END: u32 = 0xd7a4;

/// The run of Hangul syllables being read: up to three not yet matched.
#[derive(Default)]
pub(crate) struct Run {
    /// Pending syllables (`u - FIRST`), oldest first.
    buf: [u32; 3],
    /// How many of `buf` are pending.
    n: usize,
    /// Whether the run follows a space and its first token is not matched yet.
    space: bool,
    /// Byte offset just past the run's last syllable.
    end: usize,
}

impl Run {
    /// Adds the syllable `syl` (`u - FIRST`) read at byte `at` of `text`: a syllable that
    /// does not follow the previous one ends that run first.
    #[inline]
    pub(crate) fn push(&mut self, syl: u32, at: usize, text: &[u8], s: &mut Signals) {
        if at != self.end || self.n == 0 {
            self.finish(s);
            self.space = at > 0 && text.get(at - 1) == Some(&b' ');
        }
        if let Some(x) = self.buf.get_mut(self.n) {
            *x = syl;
            self.n += 1;
        }
        self.end = at + 3;
        if self.n == self.buf.len() {
            self.match_one(s);
        }
    }

    /// Matches what is pending of the run.
    pub(crate) fn finish(&mut self, s: &mut Signals) {
        while self.n > 0 {
            self.match_one(s);
        }
        self.space = false;
    }

    /// Matches the longest token at the front of the pending syllables (counting one
    /// left-over syllable where none matches) and drops what it covered.
    fn match_one(&mut self, s: &mut Signals) {
        let mut took = 0;
        'len: for len in (1..=self.n.min(3)).rev() {
            for space in [self.space, false] {
                let mut key = u64::from(space);
                for &x in self.buf.iter().take(len) {
                    key = key << 14 | u64::from(x);
                }
                if known(len, key) {
                    took = len;
                    break 'len;
                }
                if !self.space {
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
        self.buf.copy_within(took.min(3).., 0);
        self.n = self.n.saturating_sub(took);
        self.space = false;
    }
}

/// Whether the key of `len` syllables is one of the encoding's tokens.
fn known(len: usize, key: u64) -> bool {
    match len {
        1 => u16::try_from(key).is_ok_and(|k| ONE.binary_search(&k).is_ok()),
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
        let mut run = Run::default();
        let b = text.as_bytes();
        for (at, ch) in text.char_indices() {
            let u = ch as u32;
            if (FIRST..END).contains(&u) {
                run.push(u - FIRST, at, b, &mut s);
            }
        }
        run.finish(&mut s);
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
    }
}
