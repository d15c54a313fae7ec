//! What of a markdown note would be sent to the model, and the note's structure.
//!
//! Left out: YAML frontmatter, Obsidian `%% comments %%` (inline or across lines; an
//! unclosed `%%` runs to the end, as in Obsidian) and embeds of images and other media
//! (`![alt](x.png)`, `![[x.png]]`, audio, video, PDF). Kept: text, headings, lists, code,
//! math, links and note embeds (`![[Other note]]` is sent as written). `%%` inside code or
//! math is text, not a comment.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Media extensions whose embeds are not sent to the model.
const MEDIA_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "heic", "tif", "tiff", "ico", "mp3", "wav", "m4a",
    "ogg", "flac", "3gp", "webm", "mp4", "mov", "mkv", "ogv", "pdf",
];

fn options() -> Options {
    Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_MATH
        | Options::ENABLE_WIKILINKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_GFM
}

/// Counts of the structures that flashcards are made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
pub fn analyze_note(note: &str) -> NoteAnalysis {
    let (cuts, mut removed) = ranges_to_remove(note);
    let mut sent = String::with_capacity(note.len());
    let mut at = 0;
    for r in &cuts {
        sent.push_str(&note[at..r.start]);
        at = r.end;
    }
    sent.push_str(&note[at..]);
    removed.bytes = (note.len() - sent.len()) as u64;
    if sent.trim().is_empty() {
        sent.clear();
    } else if cuts.first().is_some_and(|r| r.start == 0) {
        // What followed a leading cut (the frontmatter's closing line break) is not content.
        let lead = sent.len() - sent.trim_start_matches(['\n', '\r']).len();
        sent.drain(..lead);
    }
    let structure = structure_of(&sent);
    NoteAnalysis { sent, removed, structure }
}

fn is_media(dest: &str) -> bool {
    let path = dest.split(['#', '|', '?']).next().unwrap_or("");
    match path.rsplit_once('.') {
        Some((_, ext)) => MEDIA_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(ext.trim())),
        None => false,
    }
}

/// Byte ranges to cut, sorted and merged, each on char boundaries.
fn ranges_to_remove(note: &str) -> (Vec<Range<usize>>, Removed) {
    let mut removed = Removed::default();
    let mut cuts: Vec<Range<usize>> = Vec::new();
    let mut literal: Vec<Range<usize>> = Vec::new(); // code and math: `%%` is text there
    for (event, range) in Parser::new_ext(note, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => {
                removed.frontmatter = true;
                cuts.push(range);
            }
            Event::Start(Tag::Image { link_type, dest_url, .. }) => {
                let wiki = matches!(link_type, LinkType::WikiLink { .. });
                if !wiki || is_media(&dest_url) {
                    removed.embeds += 1;
                    cuts.push(range);
                }
            }
            Event::Start(Tag::CodeBlock(_)) | Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {
                literal.push(range)
            }
            _ => {}
        }
    }
    literal.sort_by_key(|r| r.start);
    for c in comment_ranges(note, &literal) {
        removed.comments += 1;
        cuts.push(c);
    }
    cuts.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(cuts.len());
    for r in cuts {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    (merged, removed)
}

/// `%% … %%` ranges outside code and math. `%` is ASCII, so every range is on char
/// boundaries.
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

fn structure_of(text: &str) -> NoteStructure {
    let mut s = NoteStructure::default();
    let mut in_item = 0u32;
    let mut in_code = false;
    let mut in_table_head = false;
    let mut prose = String::new();
    let flush = |prose: &mut String, s: &mut NoteStructure, count_sentences: bool| {
        s.words += count_words(prose);
        if count_sentences {
            s.sentences += count_sentences_in(prose);
        }
        prose.clear();
    };
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::End(TagEnd::Heading(_)) => {
                s.headings += 1;
                flush(&mut prose, &mut s, false);
            }
            Event::Start(Tag::Item) => {
                flush(&mut prose, &mut s, in_item == 0);
                in_item += 1;
                s.list_items += 1;
            }
            Event::End(TagEnd::Item) => {
                flush(&mut prose, &mut s, false);
                in_item = in_item.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = true;
                s.code_blocks += 1;
                if matches!(kind, CodeBlockKind::Fenced(ref lang) if lang.as_ref() == "math") {
                    s.math_blocks += 1;
                }
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::DisplayMath(_) => s.math_blocks += 1,
            Event::Start(Tag::DefinitionListTitle) => s.definitions += 1,
            Event::Start(Tag::TableHead) => in_table_head = true,
            Event::End(TagEnd::TableHead) => in_table_head = false,
            Event::End(TagEnd::TableRow) if !in_table_head => s.table_rows += 1,
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::TableCell) => {
                flush(&mut prose, &mut s, in_item == 0);
            }
            Event::Text(t) if !in_code => prose.push_str(&t),
            Event::Code(t) | Event::InlineMath(t) => {
                prose.push(' ');
                prose.push_str(&t);
                prose.push(' ');
            }
            Event::SoftBreak | Event::HardBreak => prose.push('\n'),
            _ => {}
        }
    }
    flush(&mut prose, &mut s, in_item == 0);
    count_line_patterns(text, &mut s);
    s
}

/// Words: runs of letters/digits; each CJK ideograph or kana counts as a word.
fn count_words(text: &str) -> u64 {
    let mut words = 0u64;
    let mut in_word = false;
    for c in text.chars() {
        if is_cjk(c) {
            words += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else if c != '\'' && c != '’' && c != '-' {
            in_word = false;
        }
    }
    words
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Sentences end with `.`, `!`, `?` before white space or the end, or with `。！？`; a
/// trailing fragment without an end mark is a sentence too.
fn count_sentences_in(text: &str) -> u64 {
    let mut n = 0u64;
    let mut pending = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '。' | '！' | '？' => {
                if pending {
                    n += 1;
                }
                pending = false;
            }
            '.' | '!' | '?' if chars.peek().is_none_or(|n| n.is_whitespace()) => {
                if pending {
                    n += 1;
                }
                pending = false;
            }
            c if c.is_alphanumeric() => pending = true,
            _ => {}
        }
    }
    n + u64::from(pending)
}

/// Cards and definitions written as plain-text conventions, line by line.
fn count_line_patterns(text: &str, s: &mut NoteStructure) {
    let mut in_fence = false;
    for line in text.lines() {
        let t = line.trim_start_matches(|c: char| c.is_whitespace() || c == '>' || c == '-' || c == '*');
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let lower_start: String = t.chars().take(9).flat_map(char::to_lowercase).collect();
        let before = s.explicit_cards;
        if lower_start.starts_with("q:") || lower_start.starts_with("question:") || t == "?" || t == "??" {
            s.explicit_cards += 1;
        } else if lower_start.starts_with("a:") || lower_start.starts_with("answer:") {
            // The answer half of a card counted on its `Q:` line.
            s.sentences = s.sentences.saturating_sub(count_sentences_in(t));
        } else if t.contains("::") && !t.starts_with("::") {
            s.explicit_cards += t.matches("{{c").count().max(1) as u64;
        } else if t.contains("==") {
            s.explicit_cards += (t.matches("==").count() / 2) as u64;
        } else if is_definition_line(t) {
            s.definitions += 1;
        }
        if s.explicit_cards > before {
            // A line that is already a card is not also prose to make cards from.
            s.sentences = s.sentences.saturating_sub(count_sentences_in(t));
        }
    }
}

/// `Term: definition`, `**Term** — definition`, `Term - definition` with a short term.
fn is_definition_line(t: &str) -> bool {
    let t = t.trim();
    for sep in [": ", " — ", " – ", " - "] {
        if let Some((term, def)) = t.split_once(sep) {
            let term = term.trim_matches(|c| c == '*' || c == '_' || c == ' ');
            let term_words = term.split_whitespace().count();
            if (1..=5).contains(&term_words)
                && term.chars().count() <= 60
                && !term.contains("http")
                && def.split_whitespace().count() >= 3
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
