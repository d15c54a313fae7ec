//! The front-coded lists (`src/word_list.rs`, `src/punct_list.rs`) decoded the simple way, one
//! character at a time, independently of the table's own decoder in `src/words.rs` that the
//! tests check.

/// The words of `list`: each starts with a capital letter saying how many letters it shares
/// with the previous word (`A` = none), followed by the rest of the word in lower case.
pub(crate) fn decoded(list: &str) -> Vec<String> {
    decoded_with(list, 'A'..='Z')
}

/// The punctuation tokens of `list`: each starts with a character from U+0010 saying how
/// many bytes it shares with the previous token (U+0010 = none), followed by the rest.
#[allow(dead_code)]
pub(crate) fn decoded_punct(list: &str) -> Vec<String> {
    decoded_with(list, '\u{10}'..='\u{1f}')
}

/// The entries of a list whose leads are the characters of `leads`, the first of them
/// meaning "shares nothing".
fn decoded_with(list: &str, leads: std::ops::RangeInclusive<char>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in list.chars() {
        if leads.contains(&c) {
            if !out.is_empty() || !current.is_empty() {
                out.push(current.clone());
            }
            current.truncate((c as u32 - *leads.start() as u32) as usize);
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out
}
