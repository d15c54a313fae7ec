//! Links, images, wikilinks and footnote references of one leaf. Brackets pair as in
//! pulldown-cmark: each `]` takes the innermost open `[`, a link disables the open link
//! brackets around it, `]]` closes the innermost `[[`. Code and math spans are skipped.
//! One pass with a stack. Reference links (`[text][ref]`, `[ref][]`, `[ref]`) count when
//! `ref` is defined.

use super::labels::Labels;
use super::scan::{at, is_punct, label_end, part, tail};
use super::spans::Span;

/// What a bracket construct is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum HitKind {
    /// `[text](dest)`.
    Link,
    /// `![alt](dest)`.
    Image,
    /// `[[target|label]]`, `![[target]]` when `image`; `pipe` is where `|` is.
    Wiki { image: bool, pipe: Option<usize> },
    /// `[^label]` of a defined footnote.
    Footnote,
}

/// A bracket construct: its range, its text (link text, alt, wikilink body), its destination.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    pub text: (usize, usize),
    pub dest: (usize, usize),
    pub kind: HitKind,
}

#[derive(Clone, Copy)]
struct Opener {
    pos: usize,
    image: bool,
}

/// Reusable buffers for [`find_links`].
#[derive(Default)]
pub(super) struct LinkScratch {
    stack: Vec<Opener>,
    wiki: Vec<Opener>,
}

/// The bracket constructs of `b` (spans skipped), sorted by start (outer first), into `out`.
pub(super) fn find_links(b: &[u8], spans: &[Span], labels: &Labels, s: &mut LinkScratch, out: &mut Vec<Hit>) {
    out.clear();
    s.stack.clear();
    s.wiki.clear();
    // Stack entries below these marks are disabled links (images are never disabled).
    let (mut disabled, mut wiki_disabled) = (0usize, 0usize);
    let (mut i, mut sc) = (0, 0);
    while i < b.len() {
        if let Some(span) = spans.get(sc).filter(|sp| sp.start <= i) {
            if span.start == i {
                i = span.end;
            }
            sc += 1;
            continue;
        }
        match b[i] {
            b'\\' if is_punct(at(b, i + 1)) => i += 2,
            b'!' if at(b, i + 1) == b'[' => {
                let op = Opener { pos: i, image: true };
                s.stack.push(op);
                if at(b, i + 2) == b'[' {
                    s.wiki.push(op);
                }
                i += 2;
            }
            b'[' => {
                let op = Opener { pos: i, image: false };
                s.stack.push(op);
                if at(b, i + 1) == b'[' {
                    s.wiki.push(op);
                }
                i += 1;
            }
            b']' => {
                let tos = s.stack.pop();
                let tos_disabled = s.stack.len() < disabled;
                disabled = disabled.min(s.stack.len());
                if at(b, i + 1) == b']' {
                    if let Some(w) = s.wiki.pop() {
                        let w_disabled = s.wiki.len() < wiki_disabled;
                        wiki_disabled = wiki_disabled.min(s.wiki.len());
                        let body = w.pos + if w.image { 3 } else { 2 };
                        if (w.image || !w_disabled) && i > body {
                            let pipe = part(b, body, i).iter().position(|&c| c == b'|').map(|p| body + p);
                            let dest = (body, pipe.unwrap_or(i));
                            let kind = HitKind::Wiki { image: w.image, pipe };
                            out.push(Hit { start: w.pos, end: i + 2, text: (body, i), dest, kind });
                            s.wiki.clear();
                            wiki_disabled = 0;
                            disabled = s.stack.len();
                            i += 2;
                            continue;
                        }
                    }
                }
                if let Some(t) = tos.filter(|t| t.image || !tos_disabled) {
                    let text = (t.pos + if t.image { 2 } else { 1 }, i);
                    if let Some((end, dest)) = inline_dest(b, i + 1) {
                        let kind = if t.image { HitKind::Image } else { HitKind::Link };
                        out.push(Hit { start: t.pos, end, text, dest, kind });
                        if !t.image {
                            disabled = s.stack.len();
                            wiki_disabled = s.wiki.len();
                        }
                        i = end;
                        continue;
                    }
                    let label = tail(b, t.pos + usize::from(t.image));
                    let whole_label = label_end(label) == Some(i - t.pos - usize::from(t.image));
                    if !t.image && at(b, t.pos + 1) == b'^' && whole_label && labels.has_footnote(part(b, t.pos + 2, i)) {
                        out.push(Hit { start: t.pos, end: i + 1, text: (i, i), dest: (i, i), kind: HitKind::Footnote });
                        s.stack.clear();
                        disabled = 0;
                    } else if let Some(end) = reference(b, text, i, whole_label, labels) {
                        let kind = if t.image { HitKind::Image } else { HitKind::Link };
                        out.push(Hit { start: t.pos, end, text, dest: (i, i), kind });
                        if !t.image {
                            disabled = s.stack.len();
                            wiki_disabled = s.wiki.len();
                        }
                        i = end;
                        continue;
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    // Outer first where two start together (`![[a.png]]]()` is an image holding a wikilink).
    crate::sort::sort_by_key(out, |h| (h.start, std::cmp::Reverse(h.end)));
}

/// A reference link closed by the `]` at `i`: `[text][label]`, `[text][]` or `[text]` with
/// a defined label; its end.
fn reference(b: &[u8], text: (usize, usize), i: usize, whole_label: bool, labels: &Labels) -> Option<usize> {
    if labels.is_empty() {
        return None;
    }
    if at(b, i + 1) == b'[' {
        if let Some(k) = label_end(tail(b, i + 1)) {
            return labels.has_ref(part(b, i + 2, i + 1 + k)).then_some(i + 2 + k);
        }
        if at(b, i + 2) == b']' {
            return (whole_label && labels.has_ref(part(b, text.0, text.1))).then_some(i + 3);
        }
    }
    (whole_label && labels.has_ref(part(b, text.0, text.1))).then_some(i + 1)
}

/// Spaces and tabs, at most one line break, spaces and tabs.
fn separator(b: &[u8], mut j: usize) -> usize {
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    if at(b, j) == b'\r' {
        j += 1;
    }
    if at(b, j) == b'\n' {
        j += 1;
    }
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    j
}

/// An inline link's `(destination "title")` at `i`: the end and the destination range.
pub(super) fn inline_dest(b: &[u8], i: usize) -> Option<(usize, (usize, usize))> {
    if at(b, i) != b'(' {
        return None;
    }
    let mut j = separator(b, i + 1);
    let dest;
    if at(b, j) == b'<' {
        let mut k = j + 1;
        loop {
            match *b.get(k)? {
                b'\n' | b'\r' | b'<' => return None,
                b'>' => break,
                b'\\' if is_punct(at(b, k + 1)) => k += 1,
                _ => {}
            }
            k += 1;
        }
        dest = (j + 1, k);
        j = k + 1;
    } else {
        let (mut k, mut nest) = (j, 0usize);
        while k < b.len() {
            match b[k] {
                0..=0x20 => break,
                b'(' if nest > 32 => return None,
                b'(' => nest += 1,
                b')' if nest == 0 => break,
                b')' => nest -= 1,
                b'\\' if is_punct(at(b, k + 1)) => k += 1,
                _ => {}
            }
            k += 1;
        }
        if nest != 0 {
            return None;
        }
        dest = (j, k.min(b.len()));
        j = dest.1;
    }
    j = separator(b, j);
    if let open @ (b'"' | b'\'' | b'(') = at(b, j) {
        let close = if open == b'(' { b')' } else { open };
        let mut k = j + 1;
        loop {
            match *b.get(k)? {
                c if c == close => break,
                c if c == open => return None,
                b'\\' if is_punct(at(b, k + 1)) => k += 1,
                _ => {}
            }
            k += 1;
        }
        j = separator(b, k + 1);
    }
    (at(b, j) == b')').then_some((j + 1, dest))
}
