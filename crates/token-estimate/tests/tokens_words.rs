//! The estimator's word list is shipped front-coded (`word_list.rs`) and decoded into the
//! lookup table as lookups need it (`words.rs`): every listed word and punctuation token must
//! come out of the table with its own flags, and those that are not listed must not.

#[allow(dead_code)]
#[path = "../src/punct_list.rs"]
mod punct_list;
#[allow(dead_code)]
#[path = "../src/word_list.rs"]
mod word_list;
#[allow(dead_code)]
#[path = "../src/words.rs"]
mod words;

#[path = "support/decoded_words.rs"]
mod decoded_words;

/// The shipped list, decoded by the test's own reader.
fn decoded() -> Vec<String> {
    decoded_words::decoded(word_list::WORDS)
}

#[test]
fn every_listed_word_has_its_flags() {
    let list = decoded();
    assert_eq!(list.len(), word_list::FLAGS.len(), "one flag byte per word");
    assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    let table = words::table();
    for (word, &flags) in list.iter().zip(word_list::FLAGS) {
        assert!(word.len() >= 3 && word.len() <= words::MAX_WORD && word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
        assert_eq!(table.flags_at(word.as_bytes(), 0, word.len()), flags, "{word}");
        // Looked up in lower case: the capitalised and upper-case forms find the same entry.
        let upper = word.to_ascii_uppercase();
        assert_eq!(table.flags_at(upper.as_bytes(), 0, upper.len()), flags, "{upper}");
    }
}

#[test]
fn words_not_listed_are_not_found() {
    let list = decoded();
    let table = words::table();
    let mut absent = 0;
    for word in &list {
        // A listed word with one more letter, or its first letters only, is usually absent.
        for probe in [format!("{word}q"), format!("{word}zz"), word[..word.len() - 1].to_string()] {
            if probe.len() >= 3 && list.binary_search(&probe).is_err() {
                absent += 1;
                assert_eq!(table.flags_at(probe.as_bytes(), 0, probe.len()), 0, "{probe}");
            }
        }
    }
    assert!(absent > list.len(), "probed {absent} absent words");
}

#[test]
fn every_punctuation_token_has_its_flags() {
    let list = decoded_words::decoded_punct(punct_list::PUNCT);
    assert_eq!(list.len(), punct_list::PUNCT_FLAGS.len(), "one flag byte per token");
    assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    let table = words::table();
    for (token, &flags) in list.iter().zip(punct_list::PUNCT_FLAGS) {
        assert_eq!(table.punct_flags(token.as_bytes()), flags, "{token:?}");
        // The token with one more character, or its first characters only, if not listed.
        for probe in [format!("{token}~"), token[..token.len() - 1].to_string()] {
            if !list.contains(&probe) {
                assert_eq!(table.punct_flags(probe.as_bytes()), 0, "{probe:?}");
            }
        }
    }
}
