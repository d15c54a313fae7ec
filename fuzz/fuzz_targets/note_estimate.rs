//! Notes and token counts: arbitrary UTF-8 never panics the note scanner, the token
//! estimator (both encodings) or the estimate of a per-card and a per-token operation;
//! the ranges are ordered; counts are deterministic and bounded by the text's bytes.
#![no_main]

use credit_meter_core::catalog::Catalog;
use credit_meter_core::estimate::{analyze_note, estimate, estimate_tokens, Encoding, EstimateRequest};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CATALOG: OnceLock<Catalog> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let catalog = CATALOG.get_or_init(Catalog::default_catalog);
    let analysis = analyze_note(&text);
    assert!(analysis.sent.len() <= text.len(), "what is sent is part of the note");
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let n = estimate_tokens(&text, enc);
        assert!(n <= text.len() as u64, "{n} tokens from {} bytes", text.len());
        assert_eq!(n, estimate_tokens(&text, enc), "deterministic");
        if text.is_empty() {
            assert_eq!(n, 0);
        }
        let note = EstimateRequest { operation: "flashcards.generate".into(), note: Some(text.to_string()), encoding: Some(enc), ..Default::default() };
        let est = estimate(catalog, &note).expect("any note is estimated");
        let cards = est.cards.expect("a per-card estimate has cards");
        assert!(cards.low <= cards.expected && cards.expected <= cards.high, "{cards:?}");
        let t = est.input_tokens;
        assert!(t.low <= t.expected && t.expected <= t.high, "{t:?}");
        let c = est.credits;
        assert!(c.low <= c.expected && c.expected <= c.high, "{c:?}");
        assert_eq!(est.has_work, cards.high > 0 && !analysis.sent.is_empty());
        let msg = EstimateRequest { operation: "message".into(), text: Some(text.to_string()), encoding: Some(enc), ..Default::default() };
        let est = estimate(catalog, &msg).expect("any text is estimated");
        assert!(est.input_tokens.expected >= n, "the prompt overhead only adds");
        let c = est.credits;
        assert!(c.low <= c.expected && c.expected <= c.high, "{c:?}");
    }
});
