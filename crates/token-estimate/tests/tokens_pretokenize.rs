//! The hand-written pre-tokeniser against the encodings' own regexes: expected pieces were
//! produced by the `cl100k_base` / `o200k_base` patterns (JavaScript `u` regexes, as in
//! `js-tiktoken`) on these strings.

#[allow(dead_code)]
#[path = "../src/classify.rs"]
mod classify;
#[allow(dead_code)]
#[path = "../src/mark_ranges.rs"]
mod mark_ranges;
#[allow(dead_code)]
#[path = "../src/pretokenize.rs"]
mod pretokenize;

use pretokenize::Pieces;
use token_estimate::{estimate as estimate_tokens, Encoding};

/// (text, o200k pieces, cl100k pieces).
const CASES: &[(&str, &[&str], &[&str])] = &[
    ("Hello world", &["Hello", " world"], &["Hello", " world"]),
    ("123456", &["123", "456"], &["123", "456"]),
    ("   ", &["   "], &["   "]),
    (
        "I'm sure they'll say don't",
        &["I'm", " sure", " they'll", " say", " don't"],
        &["I", "'m", " sure", " they", "'ll", " say", " don", "'t"],
    ),
    ("'sorry", &["'sorry"], &["'s", "orry"]),
    ("getElementById(HTMLElement)", &["get", "Element", "By", "Id", "(HTMLElement", ")"], &["getElementById", "(HTMLElement", ")"]),
    (
        "  two spaces\n\n  indented\tx",
        &[" ", " two", " spaces", "\n\n", " ", " indented", "\tx"],
        &[" ", " two", " spaces", "\n\n", " ", " indented", "\tx"],
    ),
    (
        "## Heading\n- [ ] task\n",
        &["##", " Heading", "\n", "-", " [", " ]", " task", "\n"],
        &["##", " Heading", "\n", "-", " [", " ]", " task", "\n"],
    ),
    (
        "[[Note|alias]] ![[img.png]]",
        &["[[", "Note", "|alias", "]]", " ![[", "img", ".png", "]]"],
        &["[[", "Note", "|alias", "]]", " ![[", "img", ".png", "]]"],
    ),
    ("東京タワーは高い。", &["東京タワーは高い", "。"], &["東京タワーは高い", "。"]),
    ("Привет, мир!", &["Привет", ",", " мир", "!"], &["Привет", ",", " мир", "!"]),
    ("naïve café — «quote»", &["naïve", " café", " —", " «", "quote", "»"], &["naïve", " café", " —", " «", "quote", "»"]),
    ("हिन्दी भाषा", &["हिन्दी", " भाषा"], &["ह", "िन", "्द", "ी", " भ", "ाष", "ा"]),
    (
        "x = 1e10 // ok\n/* c */",
        &["x", " =", " ", "1", "e", "10", " //", " ok", "\n", "/*", " c", " */"],
        &["x", " =", " ", "1", "e", "10", " //", " ok", "\n", "/*", " c", " */"],
    ),
    ("tail   ", &["tail", "   "], &["tail", "   "]),
    ("a\r\nb", &["a", "\r\n", "b"], &["a", "\r\n", "b"]),
    ("é ́x", &["é", " ́x"], &["e", "́", " ́", "x"]),
    ("😀👍🏽 ok", &["😀👍🏽", " ok"], &["😀👍🏽", " ok"]),
    ("ÆØÅ æøå ŁŚĆ", &["ÆØÅ", " æøå", " ŁŚĆ"], &["ÆØÅ", " æøå", " ŁŚĆ"]),
    ("ABCdef GHI jkl'S", &["ABCdef", " GHI", " jkl'S"], &["ABCdef", " GHI", " jkl", "'S"]),
];

fn pieces(text: &str, o200k: bool) -> Vec<&str> {
    Pieces::new(text.as_bytes(), o200k).map(|p| &text[p.start..p.end]).collect()
}

#[test]
fn splits_match_the_regexes() {
    for (text, o200k, cl100k) in CASES {
        assert_eq!(pieces(text, true), *o200k, "o200k pieces of {text:?}");
        assert_eq!(pieces(text, false), *cl100k, "cl100k pieces of {text:?}");
    }
}

#[test]
fn simple_counts() {
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        assert_eq!(estimate_tokens("", enc), 0);
        assert_eq!(estimate_tokens("Hello world", enc), 2, "{enc:?}");
        assert_eq!(estimate_tokens("123456", enc), 2, "{enc:?}");
        assert_eq!(estimate_tokens("   ", enc), 1, "{enc:?}");
        assert_eq!(estimate_tokens("the", enc), 1, "{enc:?}");
        let sentence = "The quick brown fox jumps over the lazy dog.";
        let n = estimate_tokens(sentence, enc);
        assert!((9..=11).contains(&n), "{enc:?}: {n}");
    }
}

#[test]
fn pieces_cover_the_text_exactly() {
    for (text, _, _) in CASES {
        for o200k in [true, false] {
            let joined: String = pieces(text, o200k).concat();
            assert_eq!(&joined, text);
        }
    }
}
