//! Counting in plain text: words, sentences, and the line conventions of cards and
//! definitions (`Q:` lines, `::`, `==cloze==`, `Term: definition`).

use super::substr::{contains, count, split_once};
use super::NoteStructure;

/// Words: runs of letters/digits; each CJK ideograph or kana counts as a word.
pub(super) fn count_words(text: &str) -> u64 {
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

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Sentences end with `.`, `!`, `?` before white space or the end, or with `。！？`; a
/// trailing fragment without an end mark is a sentence too.
pub(super) fn count_sentences_in(text: &str) -> u64 {
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
pub(super) fn count_line_patterns(text: &str, s: &mut NoteStructure) {
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
        let before = s.explicit_cards;
        if starts_ci(t, "q:") || starts_ci(t, "question:") || t == "?" || t == "??" {
            s.explicit_cards += 1;
        } else if starts_ci(t, "a:") || starts_ci(t, "answer:") {
            // The answer half of a card counted on its `Q:` line.
            s.sentences = s.sentences.saturating_sub(count_sentences_in(t));
        } else if contains(t, "::") && !t.starts_with("::") {
            s.explicit_cards += count(t, "{{c").max(1) as u64;
        } else if contains(t, "==") {
            s.explicit_cards += (count(t, "==") / 2) as u64;
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
        if let Some((term, def)) = split_once(t, sep) {
            let term = term.trim_matches(|c| c == '*' || c == '_' || c == ' ');
            let term_words = term.split_whitespace().count();
            if (1..=5).contains(&term_words) && term.chars().count() <= 60 && !contains(term, "http") && def.split_whitespace().count() >= 3
            {
                return true;
            }
        }
    }
    false
}

/// Whether `t` starts with the ASCII `prefix`, ignoring ASCII case. The same as comparing
/// Unicode lowercase prefixes: no other character lowercases to these letters.
fn starts_ci(t: &str, prefix: &str) -> bool {
    t.as_bytes().get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}
