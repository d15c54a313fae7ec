//! Quoting user input inside error messages: `format!("amount {} is negative", quoted(s))`
//! writes `amount "1\"2" is negative`, the text `{:?}` gives for ordinary input.
//!
//! Why not `{:?}`: core's `<str as Debug>` escapes through `char::escape_debug`, which
//! carries the Unicode printable and grapheme-extend tables and, with `<char as Debug>`,
//! the formatting of str slicing panics: with the last panicking str slices gone too, leaving
//! it out made the client .wasm 7.0 KB raw / 3.9 KB gzip smaller. A new `{:?}` of a str, or
//! a `&s[a..b]` the compiler cannot prove on a char boundary, brings all of it back.
//!
//! Same text as `{:?}`: the double quotes; `\"`, `\\`, `\t`, `\r`, `\n`, `\0`; `\u{…}`
//! (lower-case hex, no leading zeros) for the other ASCII and C1 control characters, for
//! the space separators other than the space itself (no-break space, U+2000–U+200A, …),
//! the line and paragraph separators and the common invisible format characters (soft
//! hyphen, zero-width space and joiners, direction marks and embeddings, word joiner, byte
//! order mark). Every other character is written as it is; `{:?}` would also escape the
//! rest of what Unicode calls non-printable (private-use, unassigned and rare format
//! characters) and combining marks (grapheme extenders such as U+0301 or the variation
//! selector U+FE0F). Only those rare characters quote differently; the quotes, the
//! escapes of ASCII and the length limits of the callers do not change.

use std::fmt::{self, Write};

/// `s` (or its first characters) written between double quotes with `{:?}`'s escapes (see
/// the module doc).
#[derive(Clone, Copy)]
pub struct Quoted<'a> {
    text: &'a str,
    /// At most this many characters of `text` are written.
    max_chars: usize,
    /// Whether a cut is marked with `…` (inside the quotes).
    ellipsis: bool,
}

/// `s` quoted for a message: `format!("{}", quoted("a\"b"))` is `"a\"b"` with the quotes.
pub fn quoted(s: &str) -> Quoted<'_> {
    Quoted { text: s, max_chars: usize::MAX, ellipsis: false }
}

/// The first `n` characters of `s` quoted, nothing marking a cut: what
/// `format!("{:?}", s.chars().take(n).collect::<String>())` writes.
pub fn quoted_prefix(s: &str, n: usize) -> Quoted<'_> {
    Quoted { text: s, max_chars: n, ellipsis: false }
}

/// The first `n` characters of `s` quoted, with `…` before the closing quote when `s` is
/// longer: messages quote input, but never a megabyte of it.
pub fn quoted_short(s: &str, n: usize) -> Quoted<'_> {
    Quoted { text: s, max_chars: n, ellipsis: true }
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for (i, c) in self.text.chars().enumerate() {
            if i == self.max_chars {
                if self.ellipsis {
                    f.write_char('…')?;
                }
                break;
            }
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                '\n' => f.write_str("\\n")?,
                '\0' => f.write_str("\\0")?,
                c if escaped(c) => write_unicode_escape(f, c)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Whether `{:?}` writes `c` as `\u{…}` (among the characters this module knows of).
fn escaped(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{a0}'
            | '\u{ad}'
            | '\u{61c}'
            | '\u{1680}'
            | '\u{180e}'
            | '\u{2000}'..='\u{200f}'
            | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{206f}'
            | '\u{3000}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// `\u{1b}`: the scalar value in lower-case hex without leading zeros, as `{:?}` writes it.
fn write_unicode_escape(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let v = u32::from(c);
    f.write_str("\\u{")?;
    let digits = (32 - (v | 1).leading_zeros()).div_ceil(4);
    for i in (0..digits).rev() {
        f.write_char(char::from(HEX[((v >> (4 * i)) & 0xf) as usize]))?;
    }
    f.write_char('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_debug(s: &str) {
        assert_eq!(quoted(s).to_string(), format!("{s:?}"), "{s:?}");
    }

    #[test]
    fn every_ascii_character_quotes_as_debug() {
        for b in 0u8..=0x7f {
            same_as_debug(&char::from(b).to_string());
            same_as_debug(&format!("a{}b", char::from(b)));
        }
    }

    #[test]
    fn ordinary_text_quotes_as_debug() {
        for s in [
            "",
            "gpt-4o-mini",
            "12.5e-3",
            "say \"hi\"\\n",
            "line\nnext\ttab\r\0",
            "\u{1b}[0m\u{7f}",
            "café naïve Øre ß",
            "Привет, мир",
            "Γειά σου",
            "שלום",
            "مرحبا",
            "日本語のテキスト",
            "繁體中文",
            "한국어",
            "emoji 🎉👍🏽",
            "€ £ ¥ © ® ™ – — … « » ‘ ’ “ ”",
            "𝗕𝗹𝗲𝗻𝗱𝗲𝗿",
        ] {
            same_as_debug(s);
        }
    }

    #[test]
    fn the_listed_invisible_characters_quote_as_debug() {
        for c in ('\u{80}'..='\u{ff}')
            .chain(['\u{61c}', '\u{1680}', '\u{180e}', '\u{3000}', '\u{feff}'])
            .chain('\u{2000}'..='\u{206f}')
            .chain('\u{fff9}'..='\u{fffb}')
        {
            same_as_debug(&format!("x{c}y"));
        }
    }

    #[test]
    fn the_known_differences_are_only_rare_characters() {
        // Combining marks and private-use characters: `{:?}` escapes them, this writes them.
        assert_eq!(quoted("e\u{301}").to_string(), "\"e\u{301}\"");
        assert_eq!(format!("{:?}", "e\u{301}"), "\"e\\u{301}\"");
        assert_eq!(quoted("\u{e000}").to_string(), "\"\u{e000}\"");
    }

    #[test]
    fn prefixes_and_short_forms_cut_at_characters() {
        let s = "é\"ü\nxyz";
        for n in 0..8 {
            let head: String = s.chars().take(n).collect();
            assert_eq!(quoted_prefix(s, n).to_string(), format!("{head:?}"));
            let mut short = head.clone();
            if short.len() < s.len() {
                short.push('…');
            }
            assert_eq!(quoted_short(s, n).to_string(), format!("{short:?}"));
        }
    }

    #[test]
    fn escapes_have_no_leading_zeros() {
        assert_eq!(quoted("\u{1}\u{10}\u{2028}").to_string(), "\"\\u{1}\\u{10}\\u{2028}\"");
    }
}
