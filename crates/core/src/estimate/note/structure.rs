//! The structure of the text that is sent: blocks counted from the block pass, words and
//! sentences from each leaf's text, then the line conventions of cards and definitions.

use super::blocks::{parse, BlockSink, Joined, Leaf};
use super::inline::{Inline, InlineSink};
use super::labels::Labels;
use super::text::{count_line_patterns, count_sentences_in, count_words};
use super::NoteStructure;
use std::ops::Range;

struct Counter<'a> {
    s: NoteStructure,
    inline: &'a mut Inline,
    prose: String,
}

/// Gathers a leaf's prose as pulldown-cmark's text events would give it.
struct Prose<'p> {
    prose: &'p mut String,
    math_blocks: &'p mut u64,
}

impl InlineSink for Prose<'_> {
    fn text(&mut self, s: &str) {
        self.prose.push_str(s);
    }
    fn code(&mut self, _: Range<usize>, content: &str) {
        self.spaced(content);
    }
    fn math(&mut self, _: Range<usize>, content: &str, display: bool) {
        if display {
            *self.math_blocks += 1;
        } else {
            self.spaced(content);
        }
    }
}

impl Prose<'_> {
    fn spaced(&mut self, content: &str) {
        self.prose.push(' ');
        self.prose.push_str(content);
        self.prose.push(' ');
    }
}

impl BlockSink for Counter<'_> {
    fn inline(&mut self, kind: Leaf, in_item: bool, text: &Joined<'_>) {
        self.prose.clear();
        let mut sink = Prose { prose: &mut self.prose, math_blocks: &mut self.s.math_blocks };
        self.inline.scan(text.text, &mut sink);
        self.s.words += count_words(&self.prose);
        match kind {
            Leaf::Heading => self.s.headings += 1,
            Leaf::Paragraph | Leaf::Cell if !in_item => self.s.sentences += count_sentences_in(&self.prose),
            Leaf::Paragraph | Leaf::Cell => {}
        }
    }
    fn code_block(&mut self, _: Range<usize>, math: bool) {
        self.s.code_blocks += 1;
        self.s.math_blocks += u64::from(math);
    }
    fn list_item(&mut self) {
        self.s.list_items += 1;
    }
    fn table_row(&mut self) {
        self.s.table_rows += 1;
    }
    fn definition(&mut self) {
        self.s.definitions += 1;
    }
}

/// The structure of `text` (the text that is sent).
pub(super) fn structure_of(text: &str, inline: &mut Inline) -> NoteStructure {
    inline.labels = Labels::of(text, 0);
    let mut c = Counter { s: NoteStructure::default(), inline, prose: String::new() };
    parse(text, 0, &mut c);
    let mut s = c.s;
    count_line_patterns(text, &mut s);
    s
}
