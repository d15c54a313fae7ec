//! The labels a note defines: link reference definitions (`[label]: /url`) and footnotes
//! (`[^label]: text`), found by a block pass before the inline pass needs them.

use super::blocks::{parse, BlockSink, Joined, Leaf};
use std::ops::Range;

/// Normalised labels (ASCII lowercase, inner white space as one space, trimmed).
/// pulldown-cmark folds Unicode case too; ASCII folding spares the .wasm the case tables.
#[derive(Default)]
pub(super) struct Labels {
    refs: Vec<String>,
    footnotes: Vec<String>,
}

impl Labels {
    /// The labels defined in `text[from..]`, read by the block pass (only if it has `]:`).
    pub(super) fn of(text: &str, from: usize) -> Labels {
        let mut labels = Labels::default();
        if text.get(from..).is_some_and(|t| super::substr::contains(t, "]:")) {
            parse(text, from, &mut labels);
        }
        labels
    }

    /// Whether no reference definitions are known.
    pub(super) fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Whether `label` names a link reference definition.
    pub(super) fn has_ref(&self, label: &[u8]) -> bool {
        self.refs.iter().any(|r| same(r, label))
    }

    /// Whether `label` (after `^`) names a footnote definition.
    pub(super) fn has_footnote(&self, label: &[u8]) -> bool {
        self.footnotes.iter().any(|r| same(r, label))
    }
}

fn chars(label: &[u8]) -> impl Iterator<Item = char> + '_ {
    let s = std::str::from_utf8(label).unwrap_or("");
    let mut space = false;
    s.trim().chars().map(|c| c.to_ascii_lowercase()).filter_map(move |c| {
        if c.is_whitespace() {
            let first = !space;
            space = true;
            first.then_some(' ')
        } else {
            space = false;
            Some(c)
        }
    })
}

fn normalise(label: &[u8]) -> String {
    chars(label).collect()
}

/// Whether a raw label matches a normalised one, without allocating.
fn same(normalised: &str, raw: &[u8]) -> bool {
    !normalised.is_empty() && normalised.chars().eq(chars(raw))
}

impl BlockSink for Labels {
    fn inline(&mut self, _: Leaf, _: bool, _: &Joined<'_>) {}
    fn code_block(&mut self, _: Range<usize>, _: bool) {}
    fn label(&mut self, footnote: bool, label: &[u8]) {
        let list = if footnote { &mut self.footnotes } else { &mut self.refs };
        list.push(normalise(label));
    }
}
