//! How many flashcards a note should yield, from its structure.
//!
//! A weighted sum of the note's structures (explicit cards and definitions 1 each, list
//! items 0.6, sentences 0.35, table rows 0.5, code and math blocks 0.5), in integer
//! thousandths so the result is exact and the same on every platform; capped at one card
//! per four words of prose; low/high are 0.6× and 1.5× (+1) of the expected count.

use super::note::NoteStructure;

/// Weights of the card estimate, in thousandths of a card per structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardModel {
    /// Per explicit card (Q/A line, cloze, `::`).
    pub explicit: u64,
    /// Per definition.
    pub definition: u64,
    /// Per list item.
    pub list_item: u64,
    /// Per prose sentence.
    pub sentence: u64,
    /// Per table body row.
    pub table_row: u64,
    /// Per code or math block.
    pub block: u64,
    /// Low bound, in thousandths of the expected count.
    pub low: u64,
    /// High bound, in thousandths of the expected count (plus one card).
    pub high: u64,
}

impl Default for CardModel {
    fn default() -> Self {
        CardModel { explicit: 1000, definition: 1000, list_item: 600, sentence: 350, table_row: 500, block: 500, low: 600, high: 1500 }
    }
}

/// A count with its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRange {
    /// Fewest expected.
    pub low: u64,
    /// Most likely.
    pub expected: u64,
    /// Most expected.
    pub high: u64,
}

impl CountRange {
    /// A range with one value.
    pub fn exact(n: u64) -> Self {
        CountRange { low: n, expected: n, high: n }
    }

    /// Each bound mapped through `f`.
    pub fn map(self, mut f: impl FnMut(u64) -> u64) -> Self {
        CountRange { low: f(self.low), expected: f(self.expected), high: f(self.high) }
    }
}

impl CardModel {
    /// Expected flashcards for a note with this structure.
    pub fn estimate(&self, s: &NoteStructure) -> CountRange {
        let content = s.words > 0 || s.code_blocks > 0 || s.math_blocks > 0;
        if !content {
            return CountRange::exact(0);
        }
        let milli = [
            (s.explicit_cards, self.explicit),
            (s.definitions, self.definition),
            (s.list_items, self.list_item),
            (s.sentences, self.sentence),
            (s.table_rows, self.table_row),
            (s.code_blocks.saturating_add(s.math_blocks), self.block),
        ]
        .iter()
        .fold(0u64, |acc, &(n, w)| acc.saturating_add(n.saturating_mul(w)));
        let cap = (s.words / 4).max(1);
        let expected = (milli.saturating_add(500) / 1000).clamp(1, cap);
        let low = expected.saturating_mul(self.low) / 1000;
        let high = expected.saturating_mul(self.high).div_ceil(1000).saturating_add(1);
        CountRange { low: low.min(expected), expected, high: high.max(expected) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::note::analyze_note;

    #[test]
    fn empty_structure_means_no_cards() {
        assert_eq!(CardModel::default().estimate(&NoteStructure::default()), CountRange::exact(0));
    }

    #[test]
    fn a_short_fact_is_at_least_one_card() {
        let r = CardModel::default().estimate(&analyze_note("Water boils at 100 °C at sea level.").structure);
        assert_eq!(r.expected, 1);
        assert!(r.low <= 1 && r.high >= 2);
    }

    #[test]
    fn more_content_means_more_cards_and_ranges_are_ordered() {
        let para = "The mitochondrion produces most of the cell's energy. It has its own DNA. ";
        let small = CardModel::default().estimate(&analyze_note(para).structure);
        let big = CardModel::default().estimate(&analyze_note(&para.repeat(20)).structure);
        assert!(big.expected > small.expected * 10, "{small:?} {big:?}");
        assert!(big.low <= big.expected && big.expected <= big.high);
    }

    #[test]
    fn explicit_cards_are_counted_one_each() {
        let note = (1..=12).map(|i| format!("Q: question {i} about things?\nA: answer {i} is this.\n\n")).collect::<String>();
        let r = CardModel::default().estimate(&analyze_note(&note).structure);
        assert!((12..=20).contains(&r.expected), "{r:?}");
    }

    #[test]
    fn cards_are_capped_by_words() {
        let s = NoteStructure { list_items: 1000, words: 20, ..NoteStructure::default() };
        assert_eq!(CardModel::default().estimate(&s).expected, 5);
    }
}

json_struct!(CardModel {
    explicit: "explicit",
    definition: "definition",
    list_item: "listItem",
    sentence: "sentence",
    table_row: "tableRow",
    block: "block",
    low: "low",
    high: "high",
});
json_struct!(CountRange { low: "low", expected: "expected", high: "high" });
