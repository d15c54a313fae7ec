//! Properties of `estimate_tokens` on arbitrary input: it never panics, stays within a
//! small multiple of the byte length, grows with the text, and runs in linear time.

// Native only: proptest has no wasm32 backend, and the data are read from disk.
#![cfg(not(target_arch = "wasm32"))]

#[allow(dead_code)]
#[path = "../src/classify.rs"]
mod classify;
#[allow(dead_code)]
#[path = "../src/mark_ranges.rs"]
mod mark_ranges;
#[allow(dead_code)]
#[path = "../src/pretokenize.rs"]
mod pretokenize;

use proptest::prelude::*;
use std::time::Instant;
use token_estimate::{estimate as estimate_tokens, estimate_utf8 as estimate_tokens_utf8, Encoding};

const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

/// Strings mixing the character classes the pre-tokeniser cares about.
fn mixed() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,12}",
            "[0-9]{1,7}",
            "[ \t\r\n]{1,4}",
            "[!-/:-@\\[-`{-~]{1,5}",
            "'(s|t|re|ve|m|ll|d|S|LL)",
            "\\PC{1,6}",
            "[\u{300}-\u{36f}\u{900}-\u{97f}\u{4e00}-\u{4e40}\u{ac00}-\u{ac40}]{1,6}",
        ],
        0..40,
    );
    pieces.prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn never_panics_and_stays_bounded(s in any::<String>()) {
        for enc in ENCODINGS {
            let n = estimate_tokens(&s, enc);
            prop_assert!(n <= 2 * s.len() as u64 + 1, "{} tokens for {} bytes", n, s.len());
            prop_assert_eq!(n == 0, s.is_empty());
        }
    }

    /// The bytes entry point skips UTF-8 validation; on bytes that are not UTF-8 (arbitrary
    /// bytes, or text cut inside a character and spliced with stray lead and continuation
    /// bytes) it must still return, in bounds, and its pieces must still tile the input.
    #[test]
    fn invalid_utf8_never_panics(
        s in mixed(),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(0x80u8..=0xff, 0..6),
        raw in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut b = s.as_bytes().to_vec();
        let at = cut.index(b.len() + 1);
        b.splice(at..at, junk);
        b.extend_from_slice(&raw);
        for enc in ENCODINGS {
            let n = estimate_tokens_utf8(&b, enc);
            prop_assert!(n <= 2 * b.len() as u64 + 1, "{} tokens for {} bytes", n, b.len());
            prop_assert_eq!(n == 0, b.is_empty());
        }
        for o200k in [true, false] {
            let mut at = 0;
            for p in pretokenize::Pieces::new(&b, o200k) {
                prop_assert_eq!(p.start, at);
                prop_assert!(p.end > p.start && p.end <= b.len());
                at = p.end;
            }
            prop_assert_eq!(at, b.len());
        }
    }

    #[test]
    fn mixed_text_is_bounded(s in mixed()) {
        for enc in ENCODINGS {
            let n = estimate_tokens(&s, enc);
            prop_assert!(n <= 2 * s.len() as u64 + 1, "{} tokens for {} bytes", n, s.len());
        }
    }

    #[test]
    fn pieces_tile_the_text(s in mixed()) {
        for o200k in [true, false] {
            let mut at = 0;
            for p in pretokenize::Pieces::new(s.as_bytes(), o200k) {
                prop_assert_eq!(p.start, at);
                prop_assert!(p.end > p.start);
                prop_assert!(s.is_char_boundary(p.end));
                at = p.end;
            }
            prop_assert_eq!(at, s.len());
        }
    }

    #[test]
    fn more_text_is_not_fewer_tokens(a in mixed(), b in mixed()) {
        for enc in ENCODINGS {
            // Repeating a text never lowers the estimate.
            let mut last = 0;
            for k in 1..4 {
                let n = estimate_tokens(&vec![a.as_str(); k].join("\n\n"), enc);
                prop_assert!(n >= last, "{} copies: {} < {}", k, n, last);
                last = n;
            }
            // Appending text lowers it at most by a merge at the seam (exact counts can drop
            // too: "\n " + "\n\n" is one white-space token) or a shift in how English the
            // Latin words look.
            let joined = format!("{a}{b}");
            let (ja, jj) = (estimate_tokens(&a, enc), estimate_tokens(&joined, enc));
            prop_assert!(jj as f64 + 2.0 >= ja as f64 * 0.85, "{} then {}", ja, jj);
        }
    }
}

#[test]
fn odd_inputs() {
    let cases = [
        "\u{301}",
        "\u{301}\u{301}\u{301}a",
        " \u{301}",
        "'",
        "''''",
        "\r",
        "\n\r\n\r",
        "\u{feff}",
        "\u{85}\u{2028}",
        "\u{10ffff}\u{e000}",
        "a\u{0}b",
        "x'",
        "1\u{0660}\u{0661}2",
        "👩‍👩‍👧‍👦",
    ];
    for s in cases {
        for enc in ENCODINGS {
            let n = estimate_tokens(s, enc);
            assert!(n >= 1 && n <= 2 * s.len() as u64 + 1, "{s:?}: {n}");
        }
    }
}

#[test]
fn ten_megabytes_in_linear_time() {
    let unit = "Some *markdown* with [[links]], `code`, 12345 and 東京 — ok.\n";
    let small: String = unit.repeat(10_000);
    let big: String = unit.repeat(160_000); // ≈ 10 MB
    for enc in ENCODINGS {
        let t = Instant::now();
        let a = estimate_tokens(&small, enc);
        let ts = t.elapsed();
        let t = Instant::now();
        let b = estimate_tokens(&big, enc);
        let tb = t.elapsed();
        // Linear in tokens (within rounding) …
        let ratio = b as f64 / a as f64;
        assert!((15.9..=16.1).contains(&ratio), "{a} → {b}");
        // … and in time (generous, for noisy machines).
        assert!(tb.as_secs_f64() < ts.as_secs_f64() * 64.0 + 0.5, "{ts:?} → {tb:?}");
    }
    let one_char_10mb = "\u{301}".repeat(5_000_000);
    for enc in ENCODINGS {
        assert!(estimate_tokens(&one_char_10mb, enc) > 0);
    }
    let spaces = " ".repeat(10_000_000);
    for enc in ENCODINGS {
        assert!(estimate_tokens(&spaces, enc) > 0);
    }
}
