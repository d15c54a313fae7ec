//! The word table is filled part by part (`words.rs`: the words of one first letter, or the
//! punctuation tokens) as lookups miss. In a process of its own, so that no other test has
//! filled any part first: threads that look words up at once, each in another order, must
//! still find every word with its flags.

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

/// Four threads look every word up at once, each from another place in the list and two of
/// them backwards, so that parts are filled while other threads read the table.
#[test]
fn parts_filled_on_demand_from_several_threads() {
    let list = decoded();
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let list = list.clone();
            std::thread::spawn(move || {
                let table = words::table();
                // Each thread walks the list from another place, backwards every other one.
                let mut order: Vec<usize> = (0..list.len()).collect();
                order.rotate_left(n * list.len() / 4);
                if n % 2 == 1 {
                    order.reverse();
                }
                for k in order {
                    let word = &list[k];
                    assert_eq!(table.flags_at(word.as_bytes(), 0, word.len()), word_list::FLAGS[k], "{word}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no lookup panics");
    }
}
