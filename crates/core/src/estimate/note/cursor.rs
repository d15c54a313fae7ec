//! Lines, and positions in them that know their column (tabs stop every four columns).

use super::scan::{at, tail};

/// The end of the line at `start` (before `\r\n` or `\n`) and the next line's start.
pub(super) fn line_end(b: &[u8], start: usize) -> (usize, usize) {
    let (end, next) = match tail(b, start).iter().position(|&c| c == b'\n') {
        Some(k) => (start + k, start + k + 1),
        None => (b.len(), b.len()),
    };
    let end = if end > start && at(b, end - 1) == b'\r' { end - 1 } else { end };
    (end, next)
}

/// A column-aware position in a line (tabs stop every four columns).
#[derive(Clone, Copy)]
pub(super) struct Cur {
    /// Byte offset in the note.
    pub pos: usize,
    /// Column of `pos`.
    pub col: usize,
    /// Columns of a tab already passed but not yet consumed.
    pub spare: usize,
}

impl Cur {
    /// Columns of white space from here.
    pub(super) fn indent(&self, b: &[u8], end: usize) -> usize {
        let (mut w, mut col, mut i) = (self.spare, self.col, self.pos);
        while i < end {
            match at(b, i) {
                b' ' => (w, col) = (w + 1, col + 1),
                b'\t' => (w, col) = (w + 4 - col % 4, col + 4 - col % 4),
                _ => break,
            }
            i += 1;
        }
        w
    }

    /// Consumes up to `n` columns of white space (a tab may be split).
    pub(super) fn skip_cols(&mut self, b: &[u8], end: usize, mut n: usize) {
        let take = n.min(self.spare);
        self.spare -= take;
        n -= take;
        while n > 0 && self.pos < end {
            let w = match at(b, self.pos) {
                b' ' => 1,
                b'\t' => 4 - self.col % 4,
                _ => break,
            };
            self.pos += 1;
            self.col += w;
            self.spare = w.saturating_sub(n);
            n = n.saturating_sub(w);
        }
    }

    /// Consumes all white space.
    pub(super) fn skip_ws(&mut self, b: &[u8], end: usize) {
        self.spare = 0;
        self.skip_cols(b, end, usize::MAX);
        self.spare = 0;
    }

    /// Consumes `n` bytes that are not white space.
    pub(super) fn step(&mut self, n: usize) {
        self.pos += n;
        self.col += n;
        self.spare = 0;
    }
}
