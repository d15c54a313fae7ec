//! The inline content of one leaf, walked once: text (what pulldown-cmark reports as text
//! events), code and math spans, images and embeds; inline HTML is left out. Emphasis markers are dropped rather
//! than paired, which gives the same words and sentences on real notes.

use super::labels::Labels;
use super::links::{find_links, Hit, HitKind, LinkScratch};
use super::scan::{at, is_punct, part, tail};
use super::spans::{find_spans, Span, SpanKind, SpanScratch};
use std::ops::Range;

/// What the inline walk reports, in order. Ranges are offsets in the scanned text.
pub(super) trait InlineSink {
    /// Text, as pulldown-cmark's text events give it (escapes and entities resolved).
    fn text(&mut self, _s: &str) {}
    /// A code span and its content.
    fn code(&mut self, _range: Range<usize>, _content: &str) {}
    /// A math span and its content; `display` for `$$…$$`.
    fn math(&mut self, _range: Range<usize>, _content: &str, _display: bool) {}
    /// An image or wikilink embed; its alt text or label follows as text.
    fn image(&mut self, _range: Range<usize>, _dest: &str, _wiki: bool) {}
}

/// Reusable buffers and the note's labels.
#[derive(Default)]
pub(super) struct Inline {
    spans: Vec<Span>,
    hits: Vec<Hit>,
    jumps: Vec<(usize, usize)>,
    span_scratch: SpanScratch,
    link_scratch: LinkScratch,
    /// The labels the note defines.
    pub labels: Labels,
}

impl Inline {
    /// Walks `text`, reporting to `sink`.
    pub(super) fn scan(&mut self, text: &str, sink: &mut dyn InlineSink) {
        let b = text.as_bytes();
        find_spans(b, &mut self.span_scratch, &mut self.spans);
        find_links(b, &self.spans, &self.labels, &mut self.link_scratch, &mut self.hits);
        self.jumps.clear();
        let slice = |r: (usize, usize)| text.get(r.0..r.1).unwrap_or("");
        let (mut i, mut run, mut sc, mut hc) = (0, 0, 0, 0);
        while i < b.len() {
            if let Some(&(at_end, to)) = self.jumps.last().filter(|j| i >= j.0) {
                sink.text(slice((run, at_end.max(run))));
                self.jumps.pop();
                (i, run) = (to, to);
                continue;
            }
            if let Some(span) = self.spans.get(sc).filter(|s| s.start <= i).copied() {
                sc += 1;
                if span.start == i {
                    sink.text(slice((run, i)));
                    match span.kind {
                        SpanKind::Code => sink.code(i..span.end, slice(span.content)),
                        SpanKind::Math => sink.math(i..span.end, slice(span.content), false),
                        SpanKind::Display => sink.math(i..span.end, slice(span.content), true),
                        SpanKind::Autolink => sink.text(slice(span.content)),
                        SpanKind::Html => {}
                    }
                    (i, run) = (span.end, span.end);
                }
                continue;
            }
            if let Some(hit) = self.hits.get(hc).filter(|h| h.start <= i).copied() {
                hc += 1;
                if hit.start == i {
                    sink.text(slice((run, i)));
                    match hit.kind {
                        HitKind::Link | HitKind::Image => {
                            if hit.kind == HitKind::Image {
                                sink.image(i..hit.end, slice(hit.dest), false);
                            }
                            self.jumps.push((hit.text.1, hit.end));
                            i = hit.text.0;
                        }
                        HitKind::Wiki { image, pipe } => {
                            if image {
                                sink.image(i..hit.end, slice(hit.dest), true);
                            }
                            let label = pipe.map_or(hit.text.0, |p| p + 1);
                            sink.text(slice((label, hit.text.1)));
                            i = hit.end;
                        }
                        HitKind::Footnote => i = hit.end,
                    }
                    run = i;
                }
                continue;
            }
            let skip = match at(b, i) {
                b'\\' if is_punct(at(b, i + 1)) => {
                    sink.text(slice((run, i)));
                    sink.text(slice((i + 1, i + 2)));
                    2
                }
                b'\\' if at(b, i + 1) == b'\n' => {
                    sink.text(slice((run, i)));
                    sink.text("\n");
                    2
                }
                b'*' | b'~' => {
                    sink.text(slice((run, i)));
                    1
                }
                b'_' if !(i > 0 && wordy(at(b, i - 1)) && wordy(at(b, i + 1))) => {
                    sink.text(slice((run, i)));
                    1
                }
                b'&' => match entity(b, i) {
                    Some((end, c)) => {
                        sink.text(slice((run, i)));
                        sink.text(c.encode_utf8(&mut [0; 4]));
                        end - i
                    }
                    None => {
                        i += 1;
                        continue;
                    }
                },
                _ => {
                    i += 1;
                    continue;
                }
            };
            i += skip;
            run = i;
        }
        sink.text(slice((run, b.len().max(run))));
    }
}

/// A letter or digit byte (any non-ASCII byte counts: it is part of a letter or mark).
fn wordy(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// An entity at `i` (`&#123;`, `&#x1F;`, a common named one): its end and character.
/// Unknown names give U+FFFD, which counts like the symbol most names stand for.
fn entity(b: &[u8], i: usize) -> Option<(usize, char)> {
    let s = tail(b, i + 1);
    if at(s, 0) == b'#' {
        let hex = matches!(at(s, 1), b'x' | b'X');
        let from = if hex { 2 } else { 1 };
        let n = tail(s, from).iter().take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() }).count();
        if n == 0 || n > if hex { 6 } else { 7 } || at(s, from + n) != b';' {
            return None;
        }
        let digits = std::str::from_utf8(part(s, from, from + n)).ok()?;
        let v = u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok()?;
        let c = char::from_u32(v).filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        return Some((i + 1 + from + n + 1, c));
    }
    let n = s.iter().take(32).take_while(|c| c.is_ascii_alphanumeric()).count();
    if n < 2 || at(s, n) != b';' || !at(s, 0).is_ascii_alphabetic() {
        return None;
    }
    let c = match part(s, 0, n) {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" => '\u{A0}',
        b"rsquo" => '’',
        b"lsquo" => '‘',
        b"ldquo" => '“',
        b"rdquo" => '”',
        b"mdash" => '—',
        b"ndash" => '–',
        b"hellip" => '…',
        _ => '\u{FFFD}',
    };
    Some((i + n + 2, c))
}
