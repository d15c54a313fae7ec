//! The block structure of a note, line by line: block quotes, list items and footnote
//! definitions (containers),
//! then paragraphs, headings, code blocks, HTML blocks and tables (leaves), as
//! pulldown-cmark sees them on real notes. One pass; no allocation per line.

use super::cursor::{line_end, Cur};
use super::scan::{
    at, atx, delimiter_cols, fence_close, fence_open, footnote_def, gfm_tag, header_cols, html_start, is_blank, label_end, list_marker,
    part, refdef, setext, tail, thematic, Html,
};
use std::ops::Range;

/// A leaf block with inline content.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Leaf {
    /// A paragraph (or a definition-list term or definition).
    Paragraph,
    /// An ATX or setext heading.
    Heading,
    /// A table cell, header or body.
    Cell,
}

/// Inline content: the leaf's lines joined with `\n`, container prefixes left out.
pub(super) struct Joined<'a> {
    /// The joined text.
    pub text: &'a str,
    /// (offset in `text`, offset in the note) where each line starts.
    starts: &'a [(usize, usize)],
}

impl Joined<'_> {
    /// The note offset of `text` offset `pos`.
    pub(super) fn src(&self, pos: usize) -> usize {
        let k = self.starts.partition_point(|&(b, _)| b <= pos).saturating_sub(1);
        self.starts.get(k).map_or(pos, |&(b, s)| s + (pos - b))
    }
}

/// What the block pass reports, in document order.
pub(super) trait BlockSink {
    /// A leaf with inline content; `in_item` if inside a list item.
    fn inline(&mut self, kind: Leaf, in_item: bool, text: &Joined<'_>);
    /// A fenced or indented code block (its note range); `math` for a ```` ```math ```` fence.
    fn code_block(&mut self, src: Range<usize>, math: bool);
    /// A list item opens.
    fn list_item(&mut self) {}
    /// A table body row ends.
    fn table_row(&mut self) {}
    /// A definition-list term.
    fn definition(&mut self) {}
    /// A link reference definition's label, or a footnote definition's (`footnote`).
    fn label(&mut self, _footnote: bool, _label: &[u8]) {}
}

enum Open {
    None,
    Para,
    Fenced { ch: u8, len: usize, start: usize, end: usize, math: bool },
    Indented { start: usize, end: usize },
    Html(Html),
    Table { cols: usize },
}

/// What a container is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Quote,
    Item,
    Footnote,
}

/// A container: a block quote, a list item or a footnote definition, with its indent.
struct Container {
    kind: Kind,
    indent: usize,
    /// A list item whose first line was empty and that has no content yet.
    fresh: bool,
}

struct Parser<'t, 's> {
    text: &'t str,
    b: &'t [u8],
    sink: &'s mut dyn BlockSink,
    containers: Vec<Container>,
    items: usize,
    open: Open,
    para: Vec<(usize, usize)>,
    prev_para: bool,
    buf: String,
    starts: Vec<(usize, usize)>,
}

/// Parses `text[from..]` into blocks, reporting them to `sink`.
/// (One copy of the parser for every sink: `dyn` keeps the .wasm small.)
pub(super) fn parse(text: &str, from: usize, sink: &mut dyn BlockSink) {
    let b = text.as_bytes();
    let mut p = Parser {
        text,
        b,
        sink,
        containers: Vec::new(),
        items: 0,
        open: Open::None,
        para: Vec::new(),
        prev_para: false,
        buf: String::new(),
        starts: Vec::new(),
    };
    let mut start = from.min(b.len());
    while start < b.len() {
        let (end, next) = line_end(b, start);
        p.line(start, end, next);
        start = next;
    }
    p.close_leaf();
}

impl Parser<'_, '_> {
    /// Matches the open containers against the line; the cursor after them, and how many.
    fn match_containers(&self, start: usize, end: usize) -> (Cur, usize) {
        let b = self.b;
        let mut c = Cur { pos: start, col: 0, spare: 0 };
        let mut matched = 0;
        for ct in &self.containers {
            if ct.kind == Kind::Quote {
                let mut t = c;
                t.skip_ws(b, end);
                if c.indent(b, end) > 3 || at(b, t.pos) != b'>' || t.pos >= end {
                    break;
                }
                c = t;
                c.step(1);
                c.skip_cols(b, end, 1);
            } else if !is_blank(part(b, c.pos, end)) {
                if c.indent(b, end) < ct.indent {
                    break;
                }
                c.skip_cols(b, end, ct.indent);
            }
            matched += 1;
        }
        (c, matched)
    }

    fn line(&mut self, start: usize, end: usize, next: usize) {
        let b = self.b;
        let (mut c, matched) = self.match_containers(start, end);
        let all = matched == self.containers.len();
        let blank = is_blank(part(b, c.pos, end));
        if let Some(last) = self.containers.last_mut().filter(|_| all) {
            // An item that starts with two blank lines nests nothing (pulldown-cmark).
            if last.fresh && blank {
                last.indent = 0;
            }
            last.fresh = false;
        }
        let ind = c.indent(b, end);
        let mut t = c;
        t.skip_ws(b, end);
        let s = part(b, t.pos, end);
        match self.open {
            Open::Fenced { ch, len, start: s0, math, .. } if all => {
                self.open = Open::Fenced { ch, len, start: s0, end, math };
                if ind <= 3 && fence_close(s, ch, len) {
                    self.close_leaf();
                }
                return;
            }
            Open::Indented { start: s0, .. } if all && (blank || ind >= 4) => {
                if !blank {
                    self.open = Open::Indented { start: s0, end };
                }
                return;
            }
            Open::Html(kind) if all => {
                match kind {
                    Html::Blank if blank => self.open = Open::None,
                    Html::Blank => {}
                    Html::Until(m) => {
                        if s.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)) {
                            self.open = Open::None;
                        }
                    }
                }
                return;
            }
            Open::Table { cols } if all && !blank && !self.interrupts(s, true, next, true) => {
                self.cells(t.pos, end, cols, false);
                return;
            }
            Open::Para if !blank => {
                if ind >= 4 {
                    self.para.push((t.pos, end));
                    return;
                }
                if self.para.is_empty() && refdef(s) {
                    self.refdef_label(s);
                    return;
                }
                if all && self.para.len() == 1 {
                    let (h0, h1) = self.para[0];
                    let cols = header_cols(part(b, h0, h1));
                    if cols > 0 && delimiter_cols(s) == Some(cols) {
                        self.para.clear();
                        self.open = Open::Table { cols };
                        self.cells(h0, h1, cols, true);
                        return;
                    }
                }
                if all && !self.para.is_empty() && setext(s) {
                    self.emit(Leaf::Heading);
                    self.open = Open::None;
                    self.prev_para = false;
                    return;
                }
                if !self.interrupts(s, all, next, false) {
                    self.para.push((t.pos, end));
                    return;
                }
            }
            _ => {}
        }
        self.close_leaf();
        while self.containers.len() > matched {
            if self.containers.pop().is_some_and(|ct| ct.kind == Kind::Item) {
                self.items -= 1;
            }
        }
        self.open_containers(&mut c, end);
        self.start_leaf(c, end);
    }

    /// Opens the block quotes and list items that start this line.
    fn open_containers(&mut self, c: &mut Cur, end: usize) {
        let b = self.b;
        loop {
            let ind = c.indent(b, end);
            let mut t = *c;
            t.skip_ws(b, end);
            let s = part(b, t.pos, end);
            if ind >= 4 || is_blank(s) {
                return;
            }
            if at(s, 0) == b'>' {
                *c = t;
                c.step(1);
                c.skip_cols(b, end, 1);
                self.containers.push(Container { kind: Kind::Quote, indent: 0, fresh: false });
                if gfm_tag(part(b, c.pos, end)) {
                    c.pos = end;
                    return;
                }
                continue;
            }
            if let Some(n) = footnote_def(s) {
                self.sink.label(true, part(s, 2, n - 2));
                *c = t;
                c.step(n);
                c.skip_ws(b, end);
                self.containers.push(Container { kind: Kind::Footnote, indent: 4, fresh: false });
                continue;
            }
            let Some((len, _)) = list_marker(s).filter(|_| !thematic(s)) else { return };
            *c = t;
            c.step(len);
            let after = c.indent(b, end);
            let empty = is_blank(part(b, c.pos, end));
            let width = if empty || after >= 5 { 1 } else { after };
            if !empty {
                c.skip_cols(b, end, width);
            }
            self.containers.push(Container { kind: Kind::Item, indent: ind + len + width, fresh: empty });
            self.items += 1;
            self.sink.list_item();
            let r = part(b, c.pos, end);
            if r.len() >= 3 && r[0] == b'[' && matches!(r[1], b' ' | b'x' | b'X') && r[2] == b']' && matches!(at(r, 3), b' ' | b'\t') {
                c.step(3);
                c.skip_ws(b, end);
            }
        }
    }

    fn start_leaf(&mut self, c: Cur, end: usize) {
        let b = self.b;
        let ind = c.indent(b, end);
        let mut t = c;
        t.skip_ws(b, end);
        let s = part(b, t.pos, end);
        if is_blank(s) {
            return;
        }
        let prev_para = std::mem::take(&mut self.prev_para);
        if ind >= 4 {
            self.open = Open::Indented { start: c.pos, end };
        } else if let Some((a, z)) = atx(s) {
            self.para.push((t.pos + a, t.pos + z));
            self.emit(Leaf::Heading);
        } else if let Some((ch, len, math)) = fence_open(s) {
            self.open = Open::Fenced { ch, len, start: t.pos, end, math };
        } else if let Some(kind) = html_start(s, false) {
            let closed = matches!(kind, Html::Until(m) if tail(s, 1).windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)));
            self.open = if closed { Open::None } else { Open::Html(kind) };
        } else if thematic(s) {
        } else if refdef(s) {
            self.refdef_label(s);
            // Read from a paragraph that has no lines yet: what follows may continue it.
            self.open = Open::Para;
        } else if at(s, 0) == b':' && prev_para {
            self.sink.definition();
            t.step(1);
            self.start_para(t, end);
        } else {
            self.start_para(t, end);
        }
    }

    fn refdef_label(&mut self, s: &[u8]) {
        if let Some(close) = label_end(s) {
            self.sink.label(false, part(s, 1, close));
        }
    }

    fn start_para(&mut self, mut t: Cur, end: usize) {
        t.skip_ws(self.b, end);
        if t.pos < end {
            self.para.push((t.pos, end));
            self.open = Open::Para;
        }
    }

    /// Whether a line (from its first non-blank) ends a paragraph or table.
    fn interrupts(&self, s: &[u8], all: bool, next: usize, in_table: bool) -> bool {
        if is_blank(s) {
            return true;
        }
        let list = list_marker(s).is_some_and(|(len, first)| !all || in_table || (first && !is_blank(tail(s, len))));
        thematic(s)
            || atx(s).is_some()
            || fence_open(s).is_some()
            || at(s, 0) == b'>'
            || list
            || html_start(s, true).is_some()
            || (all && !in_table && at(s, 0) == b':')
            || footnote_def(s).is_some()
            || (!in_table && at(s, 0) == b'|' && self.next_is_delimiter(next, header_cols(s)))
    }

    /// Whether the line at `start` is a table delimiter row of `cols` columns.
    fn next_is_delimiter(&self, start: usize, cols: usize) -> bool {
        if start >= self.b.len() || cols == 0 {
            return false;
        }
        let (end, _) = line_end(self.b, start);
        let (c, matched) = self.match_containers(start, end);
        let mut t = c;
        t.skip_ws(self.b, end);
        matched == self.containers.len() && c.indent(self.b, end) < 4 && delimiter_cols(part(self.b, t.pos, end)) == Some(cols)
    }

    /// Reports the cells of a table row (at most `cols` of them).
    fn cells(&mut self, from: usize, end: usize, cols: usize, head: bool) {
        let b = self.b;
        let (mut i, mut n) = (from, 0);
        loop {
            if i < end && at(b, i) == b'|' {
                i += 1;
            }
            while i < end && matches!(at(b, i), b' ' | b'\t') {
                i += 1;
            }
            if i >= end {
                break;
            }
            let start = i;
            while i < end && at(b, i) != b'|' {
                i += if at(b, i) == b'\\' { 2 } else { 1 };
            }
            i = i.min(end);
            let mut stop = i;
            while stop > start && matches!(at(b, stop - 1), b' ' | b'\t') {
                stop -= 1;
            }
            n += 1;
            if n <= cols {
                self.para.push((start, stop));
                self.emit(Leaf::Cell);
            }
        }
        if !head {
            self.sink.table_row();
        }
    }

    fn close_leaf(&mut self) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::Para if self.para.is_empty() => {}
            Open::Para => {
                self.emit(Leaf::Paragraph);
                self.prev_para = true;
            }
            Open::Fenced { start, end, math, .. } => self.sink.code_block(start..end, math),
            Open::Indented { start, end } => self.sink.code_block(start..end, false),
            Open::Html(_) | Open::Table { .. } | Open::None => {}
        }
    }

    /// Reports the gathered lines as one leaf and forgets them.
    fn emit(&mut self, kind: Leaf) {
        self.buf.clear();
        self.starts.clear();
        for (k, &(s, e)) in self.para.iter().enumerate() {
            if k > 0 {
                self.buf.push('\n');
            }
            self.starts.push((self.buf.len(), s));
            self.buf.push_str(self.text.get(s..e).unwrap_or(""));
        }
        self.para.clear();
        let joined = Joined { text: &self.buf, starts: &self.starts };
        self.sink.inline(kind, self.items > 0, &joined);
    }
}
