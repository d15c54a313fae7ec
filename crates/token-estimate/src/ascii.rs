//! The ASCII fast path: pre-tokenisation and feature counting fused into one pass over
//! the bytes of a piece, for pieces made of ASCII only (most of any English or code-heavy
//! note). It follows the same patterns as [`super::pretokenize`]; whenever a piece would
//! touch a non-ASCII character it declines (returns `None`) before counting anything, and
//! the general path takes that piece instead.

use super::features::{
    add, miss, punct_run, segment_at, Counts, CONTRACTION, HIT, NUMBER, PRE_OTHER, PRE_PUNCT, PUNCT_HIT, PUNCT_SPACE, SEG_EXTRA, SPACE,
    SPACE_LONG, SPACE_NL, SPACE_NL_EXTRA,
};
use super::pretokenize::{contraction, BYTE, DI, LO, NA, NL, PU, SP, UP};
use super::swar::{byte, in_range, key, run, window, WINDOW};
use super::words::{masks, punct_flags_at, Table};

/// Byte at `i`, or 0 past the end (0 is never part of an ASCII fast-path piece).
#[inline(always)]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Class of the byte at `i` (`END` past the end, since `BYTE[0]` is a control: punctuation).
#[inline(always)]
fn cls(b: &[u8], i: usize) -> u8 {
    match b.get(i) {
        Some(&x) => BYTE[usize::from(x)],
        None => 128,
    }
}

/// Counts the ASCII piece starting at `i` and returns where it ends, or `None` when the
/// piece is not plain ASCII (nothing counted then).
#[inline(always)]
pub(crate) fn piece(b: &[u8], i: usize, o200k: bool, t: &Table, c: &mut Counts) -> Option<usize> {
    let x = *b.get(i)?;
    let k = BYTE[usize::from(x)];
    // Where the letters of a letters piece begin; other pieces return early. Tested as a
    // chain of bit tests, commonest first (a letter, then a space or punctuation before
    // one), rather than a match: that compiles to a jump table, an indirect branch per
    // piece whose target changes from piece to piece.
    let body = if k & (UP | LO) != 0 {
        i
    } else if k & (SP | PU) != 0 {
        let k1 = cls(b, i + 1);
        if k == PU && !o200k && contraction(b, i) > 0 {
            return None; // cl100k's stand-alone contraction: general path
        }
        if k1 & (UP | LO) == 0 {
            if k1 == NA {
                return None;
            }
            if k == PU || (x == b' ' && k1 == PU) {
                return punct(b, i, o200k, t, c);
            }
            return space(b, i, c);
        }
        i + 1
    } else if k == NL {
        return space(b, i, c);
    } else if k == DI {
        let mut j = i + 1;
        while j < i + 3 && cls(b, j) == DI {
            j += 1;
        }
        add(c, NUMBER, 1);
        return Some(j);
    } else {
        return None;
    };
    word(b, i, body, o200k, t, c)
}

/// A letters piece from `start` whose letters begin at `body`.
///
/// Words of up to 15 letters (nearly all) are read sixteen bytes at once, their letter runs
/// and word-list key found by bit operations ([`super::swar`]); longer ones take
/// [`long_word`].
#[inline(always)]
fn word(b: &[u8], start: usize, body: usize, o200k: bool, t: &Table, c: &mut Counts) -> Option<usize> {
    let w = window(b, body);
    // Letters of the first half only, then (for words that reach it) the second.
    let mut up = [in_range(w[0], b'A', b'Z'), 0];
    let mut lo = [in_range(w[0], b'a', b'z'), 0];
    // o200k: `[A-Z]*[a-z]*`; cl100k: `[A-Za-z]*`.
    let letters_end = |up: [u64; 2], lo: [u64; 2]| {
        if o200k {
            run(lo, run(up, 0))
        } else {
            run([up[0] | lo[0], up[1] | lo[1]], 0)
        }
    };
    let mut j = letters_end(up, lo);
    if j >= 8 {
        up[1] = in_range(w[1], b'A', b'Z');
        lo[1] = in_range(w[1], b'a', b'z');
        j = letters_end(up, lo);
    }
    if j >= WINDOW {
        return long_word(b, start, body, o200k, t, c);
    }
    let next = byte(w, j);
    if next >= 0x80 {
        return None;
    }
    let mut end = body + j;
    if o200k && next == b'\'' {
        let k = contraction(b, end);
        if k > 0 {
            add(c, CONTRACTION, 1);
            end += k;
        }
    }
    let spaced = prefix(b, start, body, c);
    // One case segment (nearly all words): `word`, `Word` or `WORD`. When no letter but
    // perhaps the first is upper-case (a test on the masks, no run to find), it is `word`
    // or `Word` in either encoding.
    let (ma, mb) = masks(j);
    let (up0, up1) = (up[0] & ma, up[1] & mb);
    let shape = if up1 == 0 && up0 & !0x80 == 0 {
        usize::from(up0 != 0)
    } else {
        let uppers = run(up, 0);
        let lower_end = if o200k { j } else { run(lo, uppers) };
        if lower_end != j || (uppers > 1 && uppers != j) {
            // Several case segments (`camelCase`, `HTMLElement`): byte by byte.
            segments(b, body, body + j, spaced, o200k, t, c);
            return Some(end);
        }
        if uppers < j {
            uppers
        } else if j == 1 {
            1
        } else {
            2
        }
    };
    segment(b, w, body, 0, j, shape, spaced, o200k, t, c);
    Some(end)
}

/// Counts the case segment of `len` letters (at most 15) at byte `p` of window `w`, read
/// from `b` at `body`: a listed word in its form (`shape` 0 lower-case, 1 Capitalised; not
/// ALLCAPS, 2) is one token, others cost as rare words (like [`segment_at`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn segment(b: &[u8], w: [u64; 2], body: usize, p: usize, len: usize, shape: usize, spaced: bool, o200k: bool, t: &Table, c: &mut Counts) {
    if shape < 2 && len >= 3 {
        let f = t.get(key(w, p, len));
        let bit = usize::from(!o200k) + if spaced { 0 } else { 2 } + if shape == 1 { 4 } else { 0 };
        if f >> bit & 1 == 1 {
            add(c, HIT, 1);
            return;
        }
    }
    miss(b.get(body + p..body + p + len).unwrap_or(&[]), shape, spaced, o200k, c);
}

/// Counts the prefix of a letters piece (`b[start..body]`: nothing, a space, or another
/// character) and returns whether it is a space.
#[inline(always)]
fn prefix(b: &[u8], start: usize, body: usize, c: &mut Counts) -> bool {
    if body == start {
        return false;
    }
    let p = at(b, start);
    if p == b' ' {
        return true;
    }
    let f = match p {
        b'-' | b'.' | b'(' | b'<' | b'_' | b'&' | b',' | b'\'' => PRE_PUNCT,
        b'/' | b':' | b'?' | b'\\' => PRE_PUNCT + 1,
        _ if p.is_ascii_punctuation() => PRE_PUNCT + 2,
        _ => PRE_OTHER,
    };
    add(c, f, 1);
    false
}

/// [`word`] for words of [`WINDOW`] letters or more, byte by byte.
#[inline(never)]
fn long_word(b: &[u8], start: usize, body: usize, o200k: bool, t: &Table, c: &mut Counts) -> Option<usize> {
    let mut j = body;
    if o200k {
        while cls(b, j) == UP {
            j += 1;
        }
        while cls(b, j) == LO {
            j += 1;
        }
    } else {
        while cls(b, j) & (UP | LO) != 0 {
            j += 1;
        }
    }
    if cls(b, j) == NA {
        return None;
    }
    let mut end = j;
    if o200k && at(b, j) == b'\'' {
        let k = contraction(b, j);
        if k > 0 {
            add(c, CONTRACTION, 1);
            end += k;
        }
    }
    let spaced = prefix(b, start, body, c);
    segments(b, body, j, spaced, o200k, t, c);
    Some(end)
}

/// Splits letters `b[from..to]` into case segments (`camel` `Case`, `HTML` `Element`) and
/// counts each.
#[inline(never)]
pub(crate) fn segments(b: &[u8], from: usize, to: usize, spaced: bool, o200k: bool, t: &Table, c: &mut Counts) {
    let mut i = from;
    let mut spaced = spaced;
    while i < to {
        let mut j = i;
        while j < to && cls(b, j) == UP {
            j += 1;
        }
        let uppers = j - i;
        while j < to && cls(b, j) == LO {
            j += 1;
        }
        let lowers = j - i - uppers;
        let (end, shape) = if lowers == 0 {
            (j, if uppers == 1 { 1 } else { 2 })
        } else if uppers >= 2 {
            (i + uppers - 1, 2)
        } else {
            (j, uppers)
        };
        let end = end.max(i + 1);
        segment_at(b, i, end - i, shape, spaced, o200k, t, c);
        if end < to {
            add(c, SEG_EXTRA, 1);
        }
        spaced = false;
        i = end;
    }
}

/// A punctuation piece: optional space, a punctuation run, trailing newlines (and `/` for
/// o200k).
#[inline(always)]
fn punct(b: &[u8], i: usize, o200k: bool, t: &Table, c: &mut Counts) -> Option<usize> {
    let s = if at(b, i) == b' ' { i + 1 } else { i };
    // The run's first byte is punctuation (the caller saw it): the loop starts after it, and
    // a run of one (most) does not enter it (each loop entry costs V8 a stack check).
    let mut j = s + 1;
    let mut changes = 0u64;
    let mut prev = at(b, s);
    while cls(b, j) == PU {
        let x = at(b, j);
        changes += u64::from(x != prev);
        prev = x;
        j += 1;
    }
    let run_end = j;
    if cls(b, j) == NA {
        return None; // the run may go on with non-ASCII symbols
    }
    if matches!(at(b, j), b'\r' | b'\n' | b'/') {
        loop {
            match at(b, j) {
                b'\r' | b'\n' => j += 1,
                b'/' if o200k && j > run_end => j += 1,
                _ => break,
            }
        }
    }
    if punct_flags_at(t, b, i, j - i) & (if o200k { 1 } else { 2 }) != 0 {
        add(c, PUNCT_HIT, 1);
    } else {
        if s > i {
            add(c, PUNCT_SPACE, 1);
        }
        punct_run((run_end - s) as u64, changes, j > run_end, c);
    }
    Some(j)
}

/// White space of ASCII characters only.
#[inline(always)]
fn space(b: &[u8], i: usize, c: &mut Counts) -> Option<usize> {
    let mut j = i;
    let mut last_nl = 0;
    let mut nl = 0u64;
    loop {
        match cls(b, j) {
            NL => {
                nl += u64::from(at(b, j) == b'\n');
                last_nl = j + 1;
            }
            SP => {}
            NA => return None,
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
    if nl == 0 {
        add(c, SPACE, 1);
    } else {
        add(c, SPACE_NL, 1);
        add(c, SPACE_NL_EXTRA, nl.saturating_sub(2));
    }
    add(c, SPACE_LONG, ((end - i) as u64).saturating_sub(64));
    Some(end)
}
