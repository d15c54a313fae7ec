//! `cl100k_base`'s letters pieces that are not plain ASCII (accented Latin, Cyrillic, CJK,
//! …), found and counted in one pass.
//!
//! The general path finds a piece by decoding and classifying each of its characters
//! ([`super::pretokenize`]), then decodes them again to count the letters by script
//! ([`super::features`]). Under `cl100k_base`'s pattern a letters piece is
//! `[^\r\n\p{L}\p{N}]?\p{L}+`: once its first letter is seen, the piece is every letter that
//! follows, so both can be done as the characters are decoded, once each. Pieces of any
//! other kind, and a leading `'` (which may start a contraction), are left to the general
//! path; so is every `o200k_base` piece, whose pattern can backtrack.

use super::ascii;
use super::classify::{class, script, Class, Script};
use super::features::{word_prefix, Counts, Tally};
use super::pretokenize::{decode, BYTE, LO, PU, SP, UP};
use super::words::Table;

/// The script of a non-ASCII character if it is a letter (`\p{L}`), else `None`.
#[inline(never)]
fn letter_script(ch: char) -> Option<Script> {
    match class(ch) {
        Class::Upper | Class::Lower | Class::Caseless => Some(script(ch as u32)),
        _ => None,
    }
}

/// The non-ASCII character at `j` (lead byte `x`, at least `0x80`) if it is a letter: its
/// script and UTF-8 length. Two-byte basic Cyrillic and three-byte Han and kana, the
/// commonest by far, are told from their code point without a call; like [`decode`], bytes
/// that are not UTF-8 give some character and a length of 2 to 4.
#[inline(always)]
fn letter_at(b: &[u8], j: usize, x: u8) -> Option<(Script, usize)> {
    let cont = |k: usize| u32::from(b.get(j + k).copied().unwrap_or(0x80) & 0x3f);
    let x = u32::from(x);
    if x < 0xe0 {
        let u = (x & 0x1f) << 6 | cont(1);
        if (0x400..=0x45f).contains(&u) {
            return Some((Script::Cyrillic, 2));
        }
        return letter_script(char::from_u32(u).unwrap_or('\u{fffd}')).map(|sc| (sc, 2));
    }
    if x < 0xf0 {
        let u = (x & 0x0f) << 12 | cont(1) << 6 | cont(2);
        match u {
            0x4e00..=0x9fff => return Some((Script::Han, 3)),
            0x3041..=0x3096 | 0x30a1..=0x30fa | 0x30fc..=0x30fe => return Some((Script::Kana, 3)),
            _ => {}
        }
    }
    let (ch, n) = decode(b, j);
    letter_script(ch).map(|sc| (sc, n))
}

/// Counts the `cl100k_base` letters piece at `i` and returns where it ends, or `None`
/// (nothing counted) when no letters piece starts at `i` or it starts with `'`.
///
/// On bytes that are not UTF-8 it still counts some piece, within the text and at least one
/// byte long.
///
/// Inlined into its one caller (`features::cl100k_general`, itself kept out of the ASCII
/// loop): a Wasm call spills every live value, and a call less per piece of Cyrillic, CJK or
/// accented text took 0.8 % off the instructions of a `cl100k_base` pass over the note corpus.
#[inline(always)]
pub(crate) fn piece(b: &[u8], i: usize, t: &Table, c: &mut Counts) -> Option<usize> {
    let x = *b.get(i)?;
    // Where the letters begin: at `i`, or after a one-character prefix (anything but a
    // newline, letter or number).
    let body = if x < 0x80 {
        match BYTE[usize::from(x)] {
            UP | LO => i,
            SP | PU if x != b'\'' => i + 1,
            _ => return None,
        }
    } else {
        let (ch, n) = decode(b, i);
        match class(ch) {
            Class::Upper | Class::Lower | Class::Caseless => i,
            Class::Newline | Class::Digit => return None,
            _ => i + n,
        }
    };
    let mut tally = Tally::default();
    let mut j = body;
    while let Some(&x) = b.get(j) {
        if x < 0x80 {
            if !x.is_ascii_alphabetic() {
                break;
            }
            tally.push(Script::Ascii, c);
            j += 1;
        } else {
            let Some((sc, n)) = letter_at(b, j, x) else { break };
            tally.push(sc, c);
            j += n;
        }
    }
    // No letter: not a letters piece (and nothing was counted).
    if j == body {
        return None;
    }
    let end = j.min(b.len());
    let spaced = body > i && x == b' ';
    word_prefix((body > i).then_some(x), c);
    if tally.all_ascii() {
        ascii::segments(b, body, end, spaced, false, t, c);
    } else {
        tally.finish(b.get(body..end).unwrap_or(&[]), false, spaced, c);
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use crate::features::{count, count_by_pieces, FEATURES};

    /// Characters the random texts are made of: ASCII letters, digits, space, newline and
    /// punctuation (with `'` for contractions), accented Latin, Greek, Cyrillic, Hebrew,
    /// Arabic, Devanagari, Han, kana (and the kana middle dot, which is punctuation), Hangul,
    /// combining marks, CJK and other non-ASCII punctuation, no-break and ideographic space,
    /// other-script digits, emoji.
    const ALPHABET: &[char] = &[
        'a', 'z', 'E', 'Q', 's', 't', '0', '7', ' ', ' ', '\n', '\r', '\t', '\'', '-', '.', ',', '/', '(', 'é', 'ß', 'Ł', 'ñ', 'Ö', 'α',
        'Ω', 'д', 'Ж', 'ё', 'Є', 'ש', 'ب', 'क', '\u{94d}', '中', '語', '〇', 'の', 'カ', '・', 'ー', '한', '\u{301}', '\u{308}', '、',
        '。', '「', '，', '«', '—', '\u{a0}', '\u{3000}', '٣', '\u{ff10}', '😀', 'ǅ', 'ª',
    ];

    /// The counts of `text` under `cl100k_base`, with the shortcut and by pieces alone.
    fn both(text: &str) -> ([u64; FEATURES], [u64; FEATURES]) {
        let (mut fast, mut reference) = ([0u64; FEATURES], [0u64; FEATURES]);
        count(text.as_bytes(), false, &mut fast);
        count_by_pieces(text.as_bytes(), false, &mut reference);
        (fast, reference)
    }

    /// The one-pass letters pieces count exactly what the pre-tokeniser's pieces count, on
    /// hand-picked texts and on random ones.
    #[test]
    fn same_counts_as_by_pieces() {
        let picked = [
            "für die Größe der Straße",
            "Привет, мир! Это — тест «кавычек».",
            "日本語のテキスト、「引用」。カタカナ・ひらがな",
            "中文，测试。使用API和HTTPServer",
            "naïve café résumé ÉCOLE Ärger",
            "Ωmega ΑΒΓ λόγος",
            "x\u{301}y e\u{308}tre",
            "mixedКириллица textЖ 中文abc",
            "'élan l'été don't",
            "\u{a0}wort \u{3000}語 —dash /путь",
            "[[Заметка]] #тег **жирный** (видео) раз-два\nновая, ελληνικά #한국어 [[हिंदी]]",
        ];
        for text in picked {
            let (fast, reference) = both(text);
            assert_eq!(fast, reference, "{text:?}");
        }
        // A small linear congruential generator: the same texts on every run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let mut differing = 0;
        for _ in 0..3000 {
            let len = 1 + next(24);
            let text: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
            let (fast, reference) = both(&text);
            if fast != reference {
                differing += 1;
                eprintln!("differs: {text:?}");
            }
        }
        assert_eq!(differing, 0);
    }
}
