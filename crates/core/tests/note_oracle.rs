#![cfg(not(target_arch = "wasm32"))]
//! Differential test: the hand-written note scanner against the pulldown-cmark
//! implementation it replaced (kept below as `oracle`), on a corpus of 2,156 real notes and
//! on generated markdown-ish strings.
//!
//! Run `cargo test --test note_oracle -- --nocapture` to see the agreement figures.

use credit_meter_core::estimate::note::{analyze_note, NoteAnalysis, NoteStructure};
use credit_meter_core::estimate::CardModel;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

mod oracle {
    //! The former pulldown-cmark implementation of `analyze_note`, as the oracle. Its text
    //! rules (comments, words, sentences, card and definition lines) are written here from
    //! the spec in their doc comments, with other techniques than `src/estimate/note/`, so
    //! that nothing of the code under test is checked against itself.
    use credit_meter_core::estimate::note::{NoteAnalysis, NoteStructure, Removed};
    use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
    use std::ops::Range;

    /// Media extensions whose embeds are not sent to the model.
    const MEDIA_EXTENSIONS: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "heic", "tif", "tiff", "ico", "mp3", "wav", "m4a", "ogg", "flac", "3gp",
        "webm", "mp4", "mov", "mkv", "ogv", "pdf",
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

    /// Analyses a markdown note. Linear in its length; never panics.
    pub(super) fn analyze_note(note: &str) -> NoteAnalysis {
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
                Event::Start(Tag::CodeBlock(_)) | Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) => literal.push(range),
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

    /// `%% … %%` ranges outside code and math (an unclosed `%%` runs to the end). Written
    /// apart from the scanner's byte loop (`note/cuts.rs`): `str::find` for each marker and a
    /// containment test against the literal ranges.
    fn comment_ranges(note: &str, literal: &[Range<usize>]) -> Vec<Range<usize>> {
        let inside = |pos: usize| literal.iter().find(|r| r.contains(&pos)).map(|r| r.end);
        let mut out = Vec::new();
        let mut from = 0;
        let mut open: Option<usize> = None;
        while let Some(found) = note.get(from..).and_then(|rest| rest.find("%%")) {
            let pos = from + found;
            match (open, inside(pos)) {
                (None, Some(literal_end)) => from = literal_end.max(pos + 1),
                (None, None) => {
                    open = Some(pos);
                    from = pos + 2;
                }
                (Some(start), _) => {
                    out.push(start..pos + 2);
                    open = None;
                    from = pos + 2;
                }
            }
        }
        if let Some(start) = open {
            out.push(start..note.len());
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

    /// The scripts whose every character is a word (the scanner's spec, not its code):
    /// hiragana, katakana, CJK extension A, the unified ideographs, compatibility
    /// ideographs, and the supplementary ideographic planes.
    const ONE_CHARACTER_WORDS: [(u32, u32); 6] =
        [(0x3040, 0x309F), (0x30A0, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)];

    fn one_character_word(c: char) -> bool {
        ONE_CHARACTER_WORDS.iter().any(|&(lo, hi)| (lo..=hi).contains(&(c as u32)))
    }

    /// Words: runs of letters/digits (an apostrophe or hyphen inside does not split one);
    /// each CJK ideograph or kana is a word of its own. Counted by splitting, not scanning.
    fn count_words(text: &str) -> u64 {
        let joined = |c: char| c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
        text.split(|c: char| !joined(c))
            .map(|token| {
                let ideographs = token.chars().filter(|&c| one_character_word(c)).count();
                let runs = token.split(one_character_word).filter(|run| run.chars().any(char::is_alphanumeric)).count();
                (ideographs + runs) as u64
            })
            .sum()
    }

    /// Sentences: the pieces between end marks — `。！？` anywhere, `.!?` before white
    /// space or the end — that hold a letter or digit (a final piece without a mark too).
    fn count_sentences_in(text: &str) -> u64 {
        let chars: Vec<char> = text.chars().collect();
        let ends_here = |i: usize| match chars[i] {
            '。' | '！' | '？' => true,
            '.' | '!' | '?' => chars.get(i + 1).is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        let mut pieces: Vec<&[char]> = Vec::new();
        let mut start = 0;
        for i in 0..chars.len() {
            if ends_here(i) {
                pieces.push(&chars[start..i]);
                start = i + 1;
            }
        }
        pieces.push(&chars[start..]);
        pieces.iter().filter(|p| p.iter().any(|c| c.is_alphanumeric())).count() as u64
    }

    /// What one line of plain text is, by the card and definition conventions.
    enum LineKind {
        /// `Q:`, `Question:`, `?`, `??`: one card.
        Question,
        /// `A:`, `Answer:`: the rest of a card counted on its question.
        Answer,
        /// `front::back` (one card, or one per `{{c…}}` cloze).
        DoubleColon(u64),
        /// `==highlight==` pairs, one card each.
        Highlights(u64),
        /// `Term: definition` and its dash forms.
        Definition,
        Other,
    }

    fn starts_with_ignoring_ascii_case(line: &str, prefix: &str) -> bool {
        line.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    }

    fn kind_of(t: &str) -> LineKind {
        if ["q:", "question:"].iter().any(|p| starts_with_ignoring_ascii_case(t, p)) || t == "?" || t == "??" {
            LineKind::Question
        } else if ["a:", "answer:"].iter().any(|p| starts_with_ignoring_ascii_case(t, p)) {
            LineKind::Answer
        } else if t.contains("::") && !t.starts_with("::") {
            LineKind::DoubleColon((t.split("{{c").count() as u64 - 1).max(1))
        } else if t.contains("==") {
            LineKind::Highlights((t.split("==").count() as u64 - 1) / 2)
        } else if is_definition_line(t) {
            LineKind::Definition
        } else {
            LineKind::Other
        }
    }

    /// Cards and definitions written as plain-text conventions, line by line, outside
    /// ``` and ~~~ fences; a line that makes a card is not also prose (its sentences are
    /// taken back), nor is an answer line.
    fn count_line_patterns(text: &str, s: &mut NoteStructure) {
        let mut fenced = false;
        for line in text.lines() {
            let t = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '>' | '-' | '*'));
            if ["```", "~~~"].iter().any(|f| t.starts_with(f)) {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            let cards = match kind_of(t) {
                LineKind::Question => 1,
                LineKind::DoubleColon(n) | LineKind::Highlights(n) => n,
                LineKind::Answer => {
                    s.sentences = s.sentences.saturating_sub(count_sentences_in(t));
                    0
                }
                LineKind::Definition => {
                    s.definitions += 1;
                    0
                }
                LineKind::Other => 0,
            };
            if cards > 0 {
                s.explicit_cards += cards;
                s.sentences = s.sentences.saturating_sub(count_sentences_in(t));
            }
        }
    }

    /// `Term: definition`, `**Term** — definition`, `Term - definition`: a term of 1 to 5
    /// words and at most 60 characters, no link, then at least 3 words.
    fn is_definition_line(line: &str) -> bool {
        let line = line.trim();
        [": ", " — ", " – ", " - "].iter().filter_map(|sep| line.split_once(sep)).any(|(term, definition)| {
            let term = term.trim_matches(['*', '_', ' ']);
            let words = term.split_whitespace().count();
            (1..=5).contains(&words) && term.chars().count() <= 60 && !term.contains("http") && definition.split_whitespace().count() >= 3
        })
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/corpus/notes")).to_path_buf()
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("corpus at {} is missing: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable corpus entry").path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// Where two strings first differ, with some context from each.
fn short_diff(old: &str, new: &str) -> String {
    let mut at = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(at) || !new.is_char_boundary(at) {
        at -= 1;
    }
    let from = (0..=at.saturating_sub(40)).rev().find(|&i| old.is_char_boundary(i)).unwrap_or(0);
    let take = |s: &str| s[from..].chars().take(100).collect::<String>();
    format!("at byte {at}:\n    old: {:?}\n    new: {:?}", take(old), take(new))
}

const FIELDS: [&str; 9] =
    ["headings", "listItems", "definitions", "sentences", "tableRows", "codeBlocks", "mathBlocks", "explicitCards", "words"];

fn counts(s: &NoteStructure) -> [u64; 9] {
    [s.headings, s.list_items, s.definitions, s.sentences, s.table_rows, s.code_blocks, s.math_blocks, s.explicit_cards, s.words]
}

#[test]
fn agrees_with_pulldown_cmark_on_the_corpus() {
    let mut files = Vec::new();
    markdown_files(&corpus_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 2000, "expected the 2,156-note corpus, found {} notes", files.len());
    let model = CardModel::default();
    let (mut sent_same, mut removed_same, mut cards_same) = (0usize, 0usize, 0usize);
    let (mut old_totals, mut new_totals) = ([0u64; 9], [0u64; 9]);
    let mut field_same = [0usize; 9];
    let (mut sent_diffs, mut card_diffs) = (Vec::new(), Vec::new());
    for path in &files {
        let note = std::fs::read_to_string(path).expect("a UTF-8 note");
        let name = path.strip_prefix(corpus_dir()).unwrap_or(path).display().to_string();
        let old: NoteAnalysis = oracle::analyze_note(&note);
        let new = analyze_note(&note);
        if old.sent == new.sent {
            sent_same += 1;
        } else {
            sent_diffs.push(format!("{name} {}", short_diff(&old.sent, &new.sent)));
        }
        removed_same += usize::from(old.removed == new.removed);
        let (o, n) = (counts(&old.structure), counts(&new.structure));
        for k in 0..9 {
            old_totals[k] += o[k];
            new_totals[k] += n[k];
            field_same[k] += usize::from(o[k] == n[k]);
        }
        if model.estimate(&old.structure) == model.estimate(&new.structure) {
            cards_same += 1;
        } else {
            card_diffs.push(format!("{name}\n    old: {:?}\n    new: {:?}", old.structure, new.structure));
        }
    }
    let total = files.len();
    let pct = |n: usize| 100.0 * n as f64 / total as f64;
    println!("notes: {total}");
    println!("sent byte-identical: {sent_same} ({:.2}%)", pct(sent_same));
    println!("removed (frontmatter, comments, embeds, bytes) identical: {removed_same} ({:.2}%)", pct(removed_same));
    println!("card estimate identical: {cards_same} ({:.2}%)", pct(cards_same));
    println!("{:<14} {:>10} {:>10} {:>8} {:>14}", "count", "old total", "new total", "diff %", "notes equal %");
    let mut totals_ok = true;
    for k in 0..9 {
        let (o, n) = (old_totals[k], new_totals[k]);
        let diff = if o == 0 { 0.0 } else { 100.0 * (n as f64 - o as f64) / o as f64 };
        // 2% of the total, or 2 for counts too rare for a percentage to mean much.
        totals_ok &= o.abs_diff(n) as f64 <= (o as f64 * 0.02).max(2.0);
        println!("{:<14} {o:>10} {n:>10} {diff:>+8.2} {:>14.2}", FIELDS[k], pct(field_same[k]));
    }
    for d in sent_diffs.iter().take(20) {
        println!("sent differs: {d}");
    }
    for d in card_diffs.iter().take(20) {
        println!("cards differ: {d}");
    }
    assert!(sent_same * 100 >= total * 99, "sent differs on {} notes:\n{}", sent_diffs.len(), sent_diffs.join("\n"));
    assert!(totals_ok, "structure totals differ by more than 2%: old {old_totals:?}, new {new_totals:?}");
    assert!(cards_same * 100 >= total * 97, "card estimates differ on {} notes:\n{}", card_diffs.len(), card_diffs.join("\n"));
}

/// Markdown-ish text: the brief's alphabet, with letters and CJK, and some whole tokens
/// (embeds, fences, comments) so that they occur often enough.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => proptest::sample::select(vec![
            "#", "-", "*", "`", "$", "%", "!", "[", "]", "(", ")", "|", ":", ">", "\n", "\n", " ", " ", "a", "b", "Z",
            "x.png", "Note", "。", "細胞", "\t", ".", "?", "_", "~", "<", "&",
        ]),
        1 => proptest::sample::select(vec![
            "![[a.png]]", "![[Other]]", "![alt](i.jpg)", "%%", "```\n", "$$", "---\n", "- ", "1. ", "> ", "| a | b |\n|---|---|\n",
            "[[link|label]]", "[t](u)", "`code`", "$x$", "\n\n", "    ", "\\", "&amp;", "[^1]", "[^1]: n\n",
            "<div>\n", "<b>", "<!--", "-->", "```math\n", "~~~\n", "{", "}", "# ", "===\n", "[r]: /u\n", "[r]", "\t- ",
            "---\nk: v\n---\n",
        ]),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Inputs whose `sent` is guaranteed to equal the oracle's: all but four constructs where
/// the scanner deliberately or knowingly differs (none occurs in the corpus):
/// - a `---` (or `...`) line after the first line: pulldown-cmark reads a "metadata block"
///   anywhere, even inside a block quote, and the old code cut it; only a frontmatter at
///   the very start is cut now (`---` mid-note is a thematic break or setext underline);
/// - a line starting with `:` (definition lists);
/// - a `[` at a line's end (a link label or reference definition spanning lines);
/// - a link reference definition (`[r]: /u`) whose next line opens a title (`(`, `"`, `'`):
///   pulldown-cmark reads that line as the definition's title, so an embed there is no
///   embed to it, while the scanner, which does not model reference definitions, reads the
///   line as text like any other (found by this test: `[r]: /u\n(![[a.png]])`).
fn guaranteed(s: &str) -> bool {
    let mid_note_fence_or_definition = s.lines().skip(1).any(|l| {
        let t = l.trim_start_matches(['>', ' ', '\t']);
        t.starts_with(':') || t.starts_with("---") || t.starts_with("...")
    });
    let lines: Vec<&str> = s.lines().map(|l| l.trim_start_matches(['>', ' ', '\t'])).collect();
    let titled_definition = lines.windows(2).any(|w| w[0].starts_with('[') && w[0].contains("]:") && w[1].starts_with(['(', '"', '\'']));
    !mid_note_fence_or_definition && !titled_definition && !s.starts_with(':') && !s.contains("[\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_agrees_on_simple_markdown(note in markdownish()) {
        let new = analyze_note(&note);
        prop_assert!(new.sent.len() <= note.len());
        if guaranteed(&note) {
            let old = oracle::analyze_note(&note);
            prop_assert_eq!(&old.sent, &new.sent, "removed old {:?} new {:?}", old.removed, new.removed);
        }
    }
}
