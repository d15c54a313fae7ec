//! Code spans, math spans, autolinks and inline HTML of one leaf, resolved left to right as
//! pulldown-cmark does: whichever opens first wins; `%%`, brackets and `$` inside are text. Linear: closers are
//! found through precomputed links, and a failed code-span search is not repeated.

use super::html::{autolink, HtmlMemo};
use super::scan::{at, is_punct, tail};

/// What a span is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum SpanKind {
    /// `` `code` ``.
    Code,
    /// `$inline$`.
    Math,
    /// `$$display$$`.
    Display,
    /// `<https://…>`: its content is text.
    Autolink,
    /// Inline HTML: not text.
    Html,
}

/// A code or math span: its whole range and its content range.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
    pub content: (usize, usize),
    pub kind: SpanKind,
}

/// A `$` that may open or close math, with its brace context.
#[derive(Clone, Copy)]
struct Delim {
    pos: usize,
    ctx: u8,
    open: bool,
    close: bool,
}

const NONE: usize = usize::MAX;
/// Brace nesting beyond which pulldown-cmark only counts braces.
const MAX_NESTING: usize = 25;
/// Longest backtick run searched for a closer.
const MAX_TICKS: usize = 32;

/// Reusable buffers for [`find_spans`].
#[derive(Default)]
pub(super) struct SpanScratch {
    delims: Vec<Delim>,
    next_same: Vec<usize>,
    braces: Vec<u8>,
}

/// The code and math spans of `b`, in order, into `out`.
pub(super) fn find_spans(b: &[u8], s: &mut SpanScratch, out: &mut Vec<Span>) {
    out.clear();
    math_delims(b, s);
    let mut failed = [false; MAX_TICKS + 1];
    let mut html = HtmlMemo::default();
    let (mut i, mut dk) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' if at(b, i + 1) == b'`' => {
                let n = run(b, i + 1);
                i = code_span(b, i + 2, n - 1, &mut failed, out);
            }
            b'\\' if is_punct(at(b, i + 1)) => i += 2,
            b'`' => {
                let n = run(b, i);
                i = code_span(b, i, n, &mut failed, out);
            }
            b'$' => {
                while dk < s.delims.len() && s.delims[dk].pos < i {
                    dk += 1;
                }
                i = match math_span(s, dk, i) {
                    Some(span) => {
                        out.push(span);
                        span.end
                    }
                    None => i + 1,
                };
            }
            b'<' => {
                if let Some(end) = autolink(b, i) {
                    out.push(Span { start: i, end, content: (i + 1, end - 1), kind: SpanKind::Autolink });
                    i = end;
                } else if let Some(end) = html.inline_html(b, i) {
                    out.push(Span { start: i, end, content: (i, end), kind: SpanKind::Html });
                    i = end;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
}

fn run(b: &[u8], i: usize) -> usize {
    tail(b, i).iter().take_while(|&&c| c == b'`').count()
}

/// A code span opened by `n` backticks at `i`; returns where scanning goes on (callers
/// pass `n > 0` or an `i` past what they consumed, so scanning always advances).
fn code_span(b: &[u8], i: usize, n: usize, failed: &mut [bool; MAX_TICKS + 1], out: &mut Vec<Span>) -> usize {
    let after = i + n;
    if n == 0 || n > MAX_TICKS || failed[n] {
        return after;
    }
    let mut j = after;
    while j < b.len() {
        if b[j] != b'`' {
            j += 1;
            continue;
        }
        let m = run(b, j);
        if m == n {
            out.push(Span { start: i, end: j + n, content: (after, j), kind: SpanKind::Code });
            return j + n;
        }
        j += m;
    }
    failed[n] = true;
    after
}

/// The math span opened by delimiter `dk` at `i`, if it closes.
fn math_span(s: &SpanScratch, dk: usize, i: usize) -> Option<Span> {
    s.delims.get(dk).filter(|d| d.pos == i && d.open)?;
    let adjacent = |k: usize| s.delims.get(k + 1).is_some_and(|e| s.delims.get(k).is_some_and(|d| e.pos == d.pos + 1));
    let display = adjacent(dk);
    let from = if display { dk + 1 } else { dk };
    let cand = *s.next_same.get(from)?;
    let c = s.delims.get(cand)?;
    if display {
        let last = s.delims.get(cand + 1).filter(|_| adjacent(cand))?;
        Some(Span { start: i, end: last.pos + 1, content: (i + 2, c.pos), kind: SpanKind::Display })
    } else if c.close {
        Some(Span { start: i, end: c.pos + 1, content: (i + 1, c.pos), kind: SpanKind::Math })
    } else {
        None
    }
}

/// Every unescaped `$` with pulldown-cmark's brace context, and for each the next one in
/// the same context.
fn math_delims(b: &[u8], s: &mut SpanScratch) {
    s.delims.clear();
    s.braces.clear();
    let mut next_ctx = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if is_punct(at(b, i + 1)) => i += 1,
            b'$' => {
                let ctx = if s.braces.len() > MAX_NESTING {
                    next_ctx as u8
                } else if let Some(&c) = s.braces.last() {
                    c
                } else {
                    s.braces.push(!0);
                    !0
                };
                let open = i + 1 < b.len() && !b[i + 1].is_ascii_whitespace();
                let close = i > 0 && !b[i - 1].is_ascii_whitespace();
                s.delims.push(Delim { pos: i, ctx, open, close });
            }
            b'{' => {
                if s.braces.len() == MAX_NESTING {
                    s.braces.push(next_ctx as u8);
                    next_ctx = MAX_NESTING;
                } else if s.braces.len() > MAX_NESTING {
                    next_ctx += 1;
                } else if !s.braces.is_empty() {
                    s.braces.push(next_ctx as u8);
                    next_ctx += 1;
                }
            }
            b'}' => {
                if let [top] = &mut s.braces[..] {
                    *top = top.wrapping_sub(1);
                } else if s.braces.len() > MAX_NESTING {
                    if next_ctx <= MAX_NESTING {
                        s.braces.pop();
                    } else {
                        next_ctx -= 1;
                    }
                } else {
                    s.braces.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    s.next_same.clear();
    s.next_same.resize(s.delims.len(), NONE);
    let mut last = [NONE; 256];
    for k in (0..s.delims.len()).rev() {
        let ctx = usize::from(s.delims[k].ctx);
        s.next_same[k] = last[ctx];
        last[ctx] = k;
    }
}
