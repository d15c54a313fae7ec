//! What to cut from a note: the frontmatter, `%% comments %%` and media embeds, as sorted,
//! merged byte ranges on char boundaries (every delimiter is ASCII).

use super::blocks::{parse, BlockSink, Joined, Leaf};
use super::inline::{Inline, InlineSink};
use super::labels::Labels;
use super::scan::{part, tail};
use super::Removed;
use std::ops::Range;

/// Media extensions whose embeds are not sent to the model.
const MEDIA_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "heic", "tif", "tiff", "ico", "mp3", "wav", "m4a", "ogg", "flac", "3gp",
    "webm", "mp4", "mov", "mkv", "ogv", "pdf",
];

/// Whether a wikilink target names a media file (`x.png`, `scan.pdf#page=2`).
fn is_media(dest: &str) -> bool {
    let path = dest.split(['#', '|', '?']).next().unwrap_or("");
    match path.rsplit_once('.') {
        Some((_, ext)) => MEDIA_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(ext.trim())),
        None => false,
    }
}

/// The end of a YAML frontmatter block at the very start of the note (after its closing
/// `---` or `...` and trailing spaces, before the line break), as pulldown-cmark's
/// metadata blocks: the first line is exactly `---` (trailing blanks allowed), the next
/// line is neither blank nor a closing line, and a closing line follows.
pub(super) fn frontmatter_end(note: &str) -> Option<usize> {
    let b = note.as_bytes();
    let first = line_after(b, 0);
    if b.get(..3) != Some(b"---") || !part(b, 3, first).iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut at = first;
    let mut first_line = true;
    while at < b.len() {
        let closing = closing_line(tail(b, at));
        if first_line && (closing.is_some() || part(b, at, line_after(b, at)).iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))) {
            return None;
        }
        first_line = false;
        if let Some(n) = closing {
            return Some(at + n);
        }
        at = line_after(b, at);
    }
    None
}

fn line_after(b: &[u8], at: usize) -> usize {
    tail(b, at).iter().position(|&c| c == b'\n').map_or(b.len(), |k| at + k + 1)
}

/// `---` or `...` then spaces, then the line's end: their length.
fn closing_line(b: &[u8]) -> Option<usize> {
    let ch = *b.first().filter(|&&c| c == b'-' || c == b'.')?;
    let n = b.iter().take_while(|&&c| c == ch).count();
    let spaces = tail(b, n).iter().take_while(|&&c| c == b' ').count();
    (n == 3 && matches!(b.get(n + spaces), None | Some(b'\n' | b'\r'))).then_some(n + spaces)
}

/// Collects embeds to cut and the code and math where `%%` is text.
struct Collect<'a> {
    inline: &'a mut Inline,
    cuts: Vec<Range<usize>>,
    literal: Vec<Range<usize>>,
    embeds: u64,
}

struct Ranges<'c, 'j, 'a> {
    c: &'c mut Collect<'a>,
    j: &'c Joined<'j>,
}

impl Ranges<'_, '_, '_> {
    fn src(&self, r: &Range<usize>) -> Range<usize> {
        self.j.src(r.start)..self.j.src(r.end)
    }
}

impl InlineSink for Ranges<'_, '_, '_> {
    fn code(&mut self, range: Range<usize>, _: &str) {
        let r = self.src(&range);
        self.c.literal.push(r);
    }
    fn math(&mut self, range: Range<usize>, _: &str, _: bool) {
        let r = self.src(&range);
        self.c.literal.push(r);
    }
    fn image(&mut self, range: Range<usize>, dest: &str, wiki: bool) {
        if !wiki || is_media(dest) {
            let r = self.src(&range);
            self.c.cuts.push(r);
            self.c.embeds += 1;
        }
    }
}

impl BlockSink for Collect<'_> {
    fn inline(&mut self, _: Leaf, _: bool, text: &Joined<'_>) {
        let inline = std::mem::take(self.inline);
        let mut inline = inline;
        inline.scan(text.text, &mut Ranges { c: self, j: text });
        *self.inline = inline;
    }
    fn code_block(&mut self, src: Range<usize>, _: bool) {
        self.literal.push(src);
    }
}

/// Byte ranges to cut from `note`, sorted and merged, and what they were.
pub(super) fn ranges_to_remove(note: &str, inline: &mut Inline) -> (Vec<Range<usize>>, Removed) {
    let mut removed = Removed::default();
    let mut c = Collect { inline, cuts: Vec::new(), literal: Vec::new(), embeds: 0 };
    let body = match frontmatter_end(note) {
        Some(end) => {
            removed.frontmatter = true;
            c.cuts.push(0..end);
            end
        }
        None => 0,
    };
    c.inline.labels = Labels::of(note, body);
    parse(note, body, &mut c);
    removed.embeds = c.embeds;
    let (mut cuts, mut literal) = (c.cuts, c.literal);
    crate::sort::sort_by_key(&mut literal, |r| r.start);
    for r in comment_ranges(note, &literal) {
        removed.comments += 1;
        cuts.push(r);
    }
    crate::sort::sort_by_key(&mut cuts, |r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(cuts.len());
    for r in cuts {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    (merged, removed)
}

/// `%% … %%` ranges outside code and math; an unclosed one runs to the end.
fn comment_ranges(note: &str, literal: &[Range<usize>]) -> Vec<Range<usize>> {
    let bytes = note.as_bytes();
    let mut out = Vec::new();
    let mut lit = 0;
    let mut i = 0;
    let mut open: Option<usize> = None;
    while i + 1 < bytes.len() {
        if bytes[i] != b'%' || bytes[i + 1] != b'%' {
            i += 1;
            continue;
        }
        while lit < literal.len() && literal[lit].end <= i {
            lit += 1;
        }
        let in_literal = lit < literal.len() && literal[lit].start <= i;
        if open.is_none() && in_literal {
            i = literal[lit].end.max(i + 1);
            continue;
        }
        match open.take() {
            None => open = Some(i),
            Some(start) => out.push(start..i + 2),
        }
        i += 2;
    }
    if let Some(start) = open {
        out.push(start..bytes.len());
    }
    out
}
