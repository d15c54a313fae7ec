//! The pre-tokenisation of `cl100k_base` and `o200k_base`, by hand instead of by regex.
//!
//! Both encodings first cut text into pieces with a regex, then run byte-pair encoding
//! inside each piece, so a token never spans two pieces. The patterns are
//!
//! ```text
//! cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3}
//!       | ' '?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//! o200k:  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(contraction)?
//!       | [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(contraction)?
//!       | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//! ```
//!
//! [`Pieces`] reproduces the leftmost-first matching of these patterns in one forward pass
//! without allocating.

use super::classify::{ascii_class, class, Class};

/// What kind of regex alternative matched a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters, with an optional one-character prefix; `body` is where the letters start.
    Word {
        /// Byte offset where the letters start (after the optional prefix character).
        body: usize,
    },
    /// A stand-alone contraction (`'s`, `'ll`, …; `cl100k_base` only).
    Contraction,
    /// One to three number characters.
    Number,
    /// Punctuation and symbols with an optional leading space and trailing newlines.
    Punct,
    /// White space.
    Space,
}

/// One pre-tokenisation piece: `text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Which alternative matched.
    pub kind: Kind,
    /// Whether the piece is known to be all ASCII (found by the ASCII fast path).
    pub ascii: bool,
}

/// Decodes the character starting at byte `i`, which is not ASCII. On valid UTF-8 this is
/// the character and its length; on invalid bytes it is some character (often U+FFFD) and a
/// length of 2 to 4, without panicking.
#[inline(always)]
pub(crate) fn decode(b: &[u8], i: usize) -> (char, usize) {
    let x = |k: usize| u32::from(b.get(i + k).copied().unwrap_or(0x80) & 0x3f);
    let b0 = u32::from(b.get(i).copied().unwrap_or(0));
    let (u, n) = if b0 < 0xe0 {
        ((b0 & 0x1f) << 6 | x(1), 2)
    } else if b0 < 0xf0 {
        ((b0 & 0x0f) << 12 | x(1) << 6 | x(2), 3)
    } else {
        ((b0 & 0x07) << 18 | x(1) << 12 | x(2) << 6 | x(3), 4)
    };
    (char::from_u32(u).unwrap_or('\u{fffd}'), n)
}

/// The characters of UTF-8 bytes, as `str::chars` gives them; invalid bytes decode as in
/// [`decode`].
#[inline]
pub(crate) fn chars(b: &[u8]) -> impl Iterator<Item = char> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let x = *b.get(i)?;
        if x < 0x80 {
            i += 1;
            return Some(char::from(x));
        }
        let (c, n) = decode(b, i);
        i += n;
        Some(c)
    })
}

/// Whether `b` continues a multi-byte UTF-8 character (`0b10xx_xxxx`), so that no
/// character starts at it.
#[inline(always)]
fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// Byte classes for the ASCII fast path (bit flags).
pub(crate) const UP: u8 = 1;
/// Lower-case ASCII letter.
pub(crate) const LO: u8 = 2;
/// ASCII digit.
pub(crate) const DI: u8 = 4;
/// ASCII white space other than newlines.
pub(crate) const SP: u8 = 8;
/// `\r` or `\n`.
pub(crate) const NL: u8 = 16;
/// ASCII punctuation or control.
pub(crate) const PU: u8 = 32;
/// A byte of a non-ASCII character.
pub(crate) const NA: u8 = 64;
/// Past the end of the text.
pub(crate) const END: u8 = 128;

/// Class of every byte value.
pub(crate) const BYTE: [u8; 256] = {
    let mut t = [NA; 256];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            UP
        } else if b.is_ascii_lowercase() {
            LO
        } else if b.is_ascii_digit() {
            DI
        } else if b == b'\r' || b == b'\n' {
            NL
        } else if b == b' ' || b == b'\t' || b == 0x0b || b == 0x0c {
            SP
        } else {
            PU
        };
        i += 1;
    }
    t
};

/// Length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`, any case) at `i`,
/// or 0.
#[inline]
pub(crate) fn contraction(b: &[u8], i: usize) -> usize {
    if b.get(i) != Some(&b'\'') {
        return 0;
    }
    let x = b.get(i + 1).map_or(0, u8::to_ascii_lowercase);
    let y = b.get(i + 2).map_or(0, u8::to_ascii_lowercase);
    match (x, y) {
        (b's' | b't' | b'm' | b'd', _) => 2,
        (b'r' | b'v', b'e') | (b'l', b'l') => 3,
        _ => 0,
    }
}

/// Class of the byte at `i` ([`END`] past the end).
#[inline(always)]
pub(crate) fn byte_class(b: &[u8], i: usize) -> u8 {
    match b.get(i) {
        Some(&x) => BYTE[usize::from(x)],
        None => END,
    }
}

/// Iterator over the pieces of a text under one encoding's pattern.
///
/// The text is UTF-8 bytes. On invalid UTF-8 the pieces are still in bounds and in order
/// (nothing panics), but what they are is unspecified.
pub(crate) struct Pieces<'a> {
    text: &'a [u8],
    pos: usize,
    o200k: bool,
}

impl<'a> Pieces<'a> {
    /// Pieces of `text` under `o200k_base`'s pattern (`o200k == true`) or `cl100k_base`'s.
    pub(crate) fn new(text: &'a [u8], o200k: bool) -> Self {
        Pieces { text, pos: 0, o200k }
    }

    /// The class, and byte length, of the character at `i`; `None` at the end.
    #[inline(always)]
    fn at(&self, i: usize) -> Option<(Class, usize)> {
        let b = *self.text.get(i)?;
        if b < 0x80 {
            return Some((ascii_class(b), 1));
        }
        let (c, n) = decode(self.text, i);
        Some((class(c), n))
    }

    /// Byte at `i`, or 0 past the end.
    #[inline(always)]
    fn byte(&self, i: usize) -> u8 {
        self.text.get(i).copied().unwrap_or(0)
    }

    /// Length of a contraction at `i` ([`contraction`]).
    #[inline(always)]
    fn contraction(&self, i: usize) -> usize {
        contraction(self.text, i)
    }

    /// Moves to byte `i` (a character boundary where the previous piece ended).
    pub(crate) fn seek(&mut self, i: usize) {
        self.pos = i;
    }

    /// End of a run of characters whose class satisfies `keep`, starting at `i`.
    #[inline(always)]
    fn run(&self, mut i: usize, keep: impl Fn(Class) -> bool) -> usize {
        while let Some((c, n)) = self.at(i) {
            if !keep(c) {
                break;
            }
            i += n;
        }
        i
    }

    /// cl100k: `\p{L}+` from `i`, if `i` starts a letter.
    #[inline]
    fn cl_letters(&self, i: usize) -> Option<usize> {
        let b = self.text;
        if b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            let mut j = i + 1;
            while b.get(j).is_some_and(u8::is_ascii_alphabetic) {
                j += 1;
            }
            if b.get(j).is_none_or(|&x| x < 0x80) {
                return Some(j);
            }
        }
        match self.at(i) {
            Some((Class::Upper | Class::Lower | Class::Caseless, n)) => {
                Some(self.run(i + n, |c| matches!(c, Class::Upper | Class::Lower | Class::Caseless)))
            }
            _ => None,
        }
    }

    /// o200k: the letter body of alternatives 1 and 2 (without contraction) from `s`.
    fn o200k_body(&self, s: usize) -> Option<usize> {
        // ASCII fast path: `[A-Z]*[a-z]+` or `[A-Z]+`.
        let b = self.text;
        let mut j = s;
        while b.get(j).is_some_and(u8::is_ascii_uppercase) {
            j += 1;
        }
        let upper_end = j;
        while b.get(j).is_some_and(u8::is_ascii_lowercase) {
            j += 1;
        }
        if b.get(j).is_none_or(|&x| x < 0x80) {
            return if j > s { Some(j) } else { None };
        }
        let _ = upper_end;
        // R: the maximal run of upper/caseless/mark; remember where its last caseless/mark is.
        let mut i = s;
        let mut last_b: Option<usize> = None;
        let stop = loop {
            match self.at(i) {
                Some((Class::Upper, n)) => i += n,
                Some((Class::Caseless | Class::Mark, n)) => {
                    i += n;
                    last_b = Some(i);
                }
                other => break other,
            }
        };
        if let Some((Class::Lower, n)) = stop {
            // Alternative 1: upper-ish run then the lower-ish run.
            return Some(self.run(i + n, |c| matches!(c, Class::Lower | Class::Caseless | Class::Mark)));
        }
        if i == s {
            return None;
        }
        // Alternative 1 after backtracking to the last caseless/mark, else alternative 2.
        Some(last_b.unwrap_or(i))
    }

    /// Whitespace alternatives (`\s*[\r\n]+`, `\s+(?!\S)`, `\s+`) from `i`.
    fn space(&self, i: usize) -> usize {
        let mut j = i;
        let mut last_nl = None;
        let mut last_len = 0;
        while let Some((c, n)) = self.at(j) {
            match c {
                Class::Newline => last_nl = Some(j + n),
                Class::Space => {}
                _ => break,
            }
            last_len = n;
            j += n;
        }
        if let Some(e) = last_nl {
            return e;
        }
        if j >= self.text.len() || j - i == last_len {
            j
        } else {
            j - last_len
        }
    }

    /// ` ?[^\s\p{L}\p{N}]+` then `[\r\n]*` (cl100k) or `[\r\n/]*` (o200k), from `i`.
    fn punct(&self, i: usize) -> Option<usize> {
        let mut s = i;
        if self.byte(i) == b' ' {
            s += 1;
        }
        let is_p = |c: Class| matches!(c, Class::Punct | Class::Mark);
        match self.at(s) {
            Some((c, _)) if is_p(c) => {}
            _ => return None,
        }
        let e = self.run(s, is_p);
        let mut j = e;
        loop {
            let b = self.byte(j);
            if b == b'\r' || b == b'\n' || (self.o200k && b == b'/') {
                j += 1;
            } else {
                return Some(j);
            }
        }
    }

    /// The piece starting at `self.pos` when it is plain ASCII through and through, by byte
    /// tables; `None` sends the general path ([`Self::piece`]) instead.
    #[inline(always)]
    fn ascii_piece(&self) -> Option<Piece> {
        let b = self.text;
        let i = self.pos;
        let c0 = byte_class(b, i);
        match c0 {
            UP | LO => self.ascii_word(i, i),
            DI => {
                let mut j = i + 1;
                while j < i + 3 && byte_class(b, j) == DI {
                    j += 1;
                }
                Some(Piece { start: i, end: j, kind: Kind::Number, ascii: true })
            }
            SP | PU => {
                let c1 = byte_class(b, i + 1);
                if c1 & (UP | LO) != 0 {
                    if c0 == PU && !self.o200k && self.contraction(i) > 0 {
                        return None;
                    }
                    return self.ascii_word(i, i + 1);
                }
                if c1 == NA {
                    return None;
                }
                if c0 == PU || (c1 == PU && b.get(i) == Some(&b' ')) {
                    if c0 == PU && !self.o200k && self.contraction(i) > 0 {
                        return None;
                    }
                    // Punctuation run, then trailing newlines (and `/` for o200k).
                    let mut j = if c0 == PU { i + 1 } else { i + 2 };
                    while byte_class(b, j) == PU {
                        j += 1;
                    }
                    let run_end = j;
                    loop {
                        match b.get(j) {
                            Some(b'\r' | b'\n') => j += 1,
                            Some(b'/') if self.o200k => j += 1,
                            _ => break,
                        }
                    }
                    if j == run_end && byte_class(b, j) == NA {
                        return None;
                    }
                    return Some(Piece { start: i, end: j, kind: Kind::Punct, ascii: true });
                }
                self.ascii_space(i)
            }
            NL => self.ascii_space(i),
            _ => None,
        }
    }

    /// An ASCII letters piece from `start` whose letters begin at `body`, or `None` if it runs
    /// into a non-ASCII character.
    #[inline(always)]
    fn ascii_word(&self, start: usize, body: usize) -> Option<Piece> {
        let b = self.text;
        let mut j = body;
        if self.o200k {
            while byte_class(b, j) == UP {
                j += 1;
            }
            while byte_class(b, j) == LO {
                j += 1;
            }
            match byte_class(b, j) {
                NA => return None,
                PU => j += self.contraction(j),
                _ => {}
            }
        } else {
            while byte_class(b, j) & (UP | LO) != 0 {
                j += 1;
            }
            if byte_class(b, j) == NA {
                return None;
            }
        }
        Some(Piece { start, end: j, kind: Kind::Word { body }, ascii: true })
    }

    /// White space made of ASCII only, or `None`.
    #[inline(always)]
    fn ascii_space(&self, i: usize) -> Option<Piece> {
        let b = self.text;
        let mut j = i;
        let mut last_nl = 0;
        loop {
            match b.get(j) {
                Some(b'\r' | b'\n') => last_nl = j + 1,
                Some(b' ' | b'\t' | 0x0b | 0x0c) => {}
                Some(&x) if x >= 0x80 => return None,
                _ => break,
            }
            j += 1;
        }
        let end = if last_nl > 0 {
            last_nl
        } else if j >= b.len() || j - i == 1 {
            j
        } else {
            j - 1
        };
        Some(Piece { start: i, end, kind: Kind::Space, ascii: true })
    }

    /// The piece at `self.pos` by the general rules (without trying the ASCII fast path
    /// first), moving past it; a piece from the end of the text is empty.
    pub(crate) fn general(&mut self) -> Piece {
        let p = self.piece();
        // Always advance, and never past the end or into a character.
        self.pos = p.end.min(self.text.len()).max(self.pos + 1);
        while self.text.get(self.pos).is_some_and(|&b| is_continuation(b)) {
            self.pos += 1;
        }
        Piece { end: self.pos, ..p }
    }

    /// The piece starting at `self.pos` (not at the end).
    fn piece(&self) -> Piece {
        let i = self.pos;
        let Some((c0, n0)) = self.at(i) else {
            return Piece { start: i, end: self.text.len(), kind: Kind::Space, ascii: false };
        };
        let mk = |end: usize, kind: Kind| Piece { start: i, end: end.max(i + n0), kind, ascii: false };
        if !self.o200k {
            let k = self.contraction(i);
            if k > 0 {
                return mk(i + k, Kind::Contraction);
            }
        }
        // Letters with an optional prefix.
        let prefixable = !matches!(c0, Class::Newline | Class::Upper | Class::Lower | Class::Caseless | Class::Digit);
        if self.o200k {
            let body = if prefixable { self.o200k_body(i + n0).map(|e| (i + n0, e)) } else { None };
            let body = match body {
                Some(b) => Some(b),
                None if !matches!(c0, Class::Punct | Class::Space | Class::Newline | Class::Digit) => self.o200k_body(i).map(|e| (i, e)),
                None => None,
            };
            if let Some((b, e)) = body {
                return mk(e + self.contraction(e), Kind::Word { body: b });
            }
        } else {
            if let Some(e) = self.cl_letters(i) {
                return mk(e, Kind::Word { body: i });
            }
            if prefixable {
                if let Some(e) = self.cl_letters(i + n0) {
                    return mk(e, Kind::Word { body: i + n0 });
                }
            }
        }
        match c0 {
            Class::Digit => {
                let mut j = i;
                for _ in 0..3 {
                    match self.at(j) {
                        Some((Class::Digit, n)) => j += n,
                        _ => break,
                    }
                }
                mk(j, Kind::Number)
            }
            _ => {
                if let Some(e) = self.punct(i) {
                    mk(e, Kind::Punct)
                } else if matches!(c0, Class::Space | Class::Newline) {
                    mk(self.space(i), Kind::Space)
                } else {
                    mk(i + n0, Kind::Punct)
                }
            }
        }
    }
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    #[inline]
    fn next(&mut self) -> Option<Piece> {
        if self.pos >= self.text.len() {
            return None;
        }
        if let Some(p) = self.ascii_piece() {
            // ASCII pieces end before an ASCII byte or at the end: always a boundary.
            self.pos = p.end.min(self.text.len()).max(self.pos + 1);
            return Some(Piece { end: self.pos, ..p });
        }
        Some(self.general())
    }
}
