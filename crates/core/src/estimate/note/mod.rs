//! What of a markdown note would be sent to the model, and the note's structure.
//!
//! Left out: YAML frontmatter, Obsidian `%% comments %%` (inline or across lines; an
//! unclosed `%%` runs to the end, as in Obsidian) and embeds of images and other media
//! (`![alt](x.png)`, `![[x.png]]`, audio, video, PDF). Kept: text, headings, lists, code,
//! math, links and note embeds (`![[Other note]]` is sent as written). `%%` inside code or
//! math is text, not a comment.
//!
//! The note is read by a small hand-written scanner (no markdown crate in the package)
//! that agrees with pulldown-cmark (GFM tables, math, wikilinks, footnotes) on real notes;
//! `tests/note_oracle.rs` proves it against pulldown-cmark on a corpus of 2,156 notes:
//! - `blocks`: containers and leaf blocks, line by line (`scan` recognises block
//!   starts, `cursor` tracks columns);
//! - `spans`, `links`, `html`: code and math spans, links and embeds, inline HTML,
//!   resolved left to right as pulldown-cmark does; `inline` walks a leaf with them;
//! - `cuts`: frontmatter, comments and media embeds to leave out;
//! - `structure` and `text`: the counts flashcards are estimated from.
//!
//! Deliberate difference: only a frontmatter at the very start is cut (pulldown-cmark also
//! took a `---` … `---` section in the middle of a note for a metadata block).

mod blocks;
mod cursor;
mod cuts;
mod html;
mod inline;
mod labels;
mod links;
mod scan;
mod spans;
mod structure;
mod substr;
mod text;

/// Counts of the structures that flashcards are made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteStructure {
    /// Headings (any level).
    pub headings: u64,
    /// List items (nested ones included, task items included).
    pub list_items: u64,
    /// Definition-list terms and `Term: definition` / `**Term** — definition` lines.
    pub definitions: u64,
    /// Sentences in paragraphs, block quotes and table cells (not in list items).
    pub sentences: u64,
    /// Table body rows.
    pub table_rows: u64,
    /// Fenced or indented code blocks.
    pub code_blocks: u64,
    /// Display math blocks (`$$ … $$`).
    pub math_blocks: u64,
    /// Cards already written in the note: `Q:` lines, `question::answer`, `==cloze==`,
    /// `{{c1::cloze}}`, and `?` separator lines.
    pub explicit_cards: u64,
    /// Words of prose (CJK characters count as one word each).
    pub words: u64,
}

/// What was left out of the note and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Whether a frontmatter block was removed.
    pub frontmatter: bool,
    /// `%% comments %%` removed.
    pub comments: u64,
    /// Media embeds removed.
    pub embeds: u64,
    /// Bytes removed in all.
    pub bytes: u64,
}

/// A note, analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAnalysis {
    /// The text that would be sent to the model (the note minus what is left out).
    pub sent: String,
    /// What was left out.
    pub removed: Removed,
    /// Structure of the sent text.
    pub structure: NoteStructure,
}

/// Analyses a markdown note. Linear in its length; never panics.
///
/// A hand-written scanner that reads the note as pulldown-cmark (GFM, math, wikilinks,
/// footnotes, definition lists) does on real notes; `tests/note_oracle.rs` checks it
/// against pulldown-cmark on a corpus of real notes.
pub fn analyze_note(note: &str) -> NoteAnalysis {
    let mut inline = inline::Inline::default();
    let (cuts, mut removed) = cuts::ranges_to_remove(note, &mut inline);
    let mut sent = String::with_capacity(note.len());
    let mut at = 0;
    for r in &cuts {
        sent.push_str(note.get(at..r.start).unwrap_or(""));
        at = r.end;
    }
    sent.push_str(note.get(at..).unwrap_or(""));
    removed.bytes = note.len().saturating_sub(sent.len()) as u64;
    if sent.trim().is_empty() {
        sent.clear();
    } else if cuts.first().is_some_and(|r| r.start == 0) {
        // What followed a leading cut (the frontmatter's closing line break) is not content.
        let lead = sent.len() - sent.trim_start_matches(['\n', '\r']).len();
        sent.drain(..lead);
    }
    let structure = structure::structure_of(&sent, &mut inline);
    NoteAnalysis { sent, removed, structure }
}

#[cfg(test)]
mod tests;

json_struct!(NoteStructure {
    headings: "headings",
    list_items: "listItems",
    definitions: "definitions",
    sentences: "sentences",
    table_rows: "tableRows",
    code_blocks: "codeBlocks",
    math_blocks: "mathBlocks",
    explicit_cards: "explicitCards",
    words: "words",
});
json_struct!(Removed { frontmatter: "frontmatter", comments: "comments", embeds: "embeds", bytes: "bytes" });
