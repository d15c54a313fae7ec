//! The front-coded word list (`src/word_list.rs`) decoded the simple way, one character at a
//! time, independently of the table's own decoder in `src/words.rs` that the tests check.

/// The words of `list`: each starts with a capital letter saying how many letters it shares
/// with the previous word (`A` = none), followed by the rest of the word in lower case.
pub(crate) fn decoded(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in list.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() || !current.is_empty() {
                out.push(current.clone());
            }
            current.truncate((c as u8 - b'A') as usize);
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out
}
