use super::*;

fn req(op: &str) -> EstimateRequest {
    EstimateRequest { operation: op.into(), ..EstimateRequest::default() }
}

fn cat() -> Catalog {
    Catalog::default_catalog()
}

#[test]
fn flashcards_from_a_note() {
    let note = "---\ntags: bio\n---\n# Cells\n\nThe cell is the basic unit of life. All organisms are made of cells. Cells arise from other cells.\n\n- Nucleus: holds the genetic material\n- Ribosome: builds proteins from amino acids\n- Mitochondrion: makes ATP for the cell\n";
    let e = estimate(&cat(), &EstimateRequest { note: Some(note.into()), ..req("flashcards.generate") }).unwrap();
    let cards = e.cards.unwrap();
    assert!(cards.low <= cards.expected && cards.expected <= cards.high);
    assert!((3..=10).contains(&cards.expected), "{cards:?}");
    // 1 credit per card, per bound.
    assert_eq!(e.credits.expected, Credits::from_u64(cards.expected).unwrap());
    assert_eq!(e.credits.high, Credits::from_u64(cards.high).unwrap());
    assert!(e.input_tokens.expected > 350, "overhead plus note: {:?}", e.input_tokens);
    assert_eq!(e.output_tokens.expected, cards.expected * 60);
    assert!(e.byok_allowed && e.has_work);
    assert!(e.note.unwrap().removed.frontmatter);
    let usd = e.provider_usd.unwrap();
    assert!(usd.low <= usd.expected && usd.expected <= usd.high && !usd.high.is_zero());
}

#[test]
fn frontmatter_only_note_costs_nothing_and_has_no_work() {
    let e = estimate(&cat(), &EstimateRequest { note: Some("---\na: 1\n---\n".into()), ..req("flashcards.generate") }).unwrap();
    assert!(!e.has_work);
    assert_eq!(e.cards.unwrap(), CountRange::exact(0));
    assert!(e.credits.high.is_zero());
    assert_eq!(e.input_tokens, CountRange::exact(0));
}

#[test]
fn explicit_card_count_overrides_the_note() {
    let e = estimate(&cat(), &EstimateRequest { cards: Some(Count(7)), ..req("flashcards.regenerate") }).unwrap();
    assert_eq!(e.credits.expected.to_plain_string(), "7");
    assert_eq!(e.credits.low, e.credits.high);
}

#[test]
fn message_from_explicit_tokens() {
    let r = EstimateRequest { input_tokens: Some(Count(1800)), output_tokens: Some(Count(950)), ..req("message") };
    let e = estimate(&cat(), &r).unwrap();
    // 2,750 tokens at the catalog's fixed 1,000 tokens per credit.
    assert_eq!(e.credits.expected.to_plain_string(), "2.75");
    let priced_by_model = crate::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#);
    let e2 = estimate(&Catalog::parse(&priced_by_model).unwrap(), &r).unwrap();
    // 1800 × 0.00000015 + 950 × 0.0000006 = 0.00084 USD × 200 credits per USD.
    assert_eq!(e2.credits.expected.to_plain_string(), "0.168");
    assert_eq!(e.credits.low, e.credits.high);
    assert!(!e.byok_allowed);
}

#[test]
fn message_from_text_uses_the_output_limit_as_high() {
    let r = EstimateRequest { text: Some("Summarise the plot of Hamlet in three sentences.".into()), ..req("message") };
    let e = estimate(&cat(), &r).unwrap();
    assert_eq!(e.output_tokens, CountRange { low: 200, expected: 400, high: 2000 });
    assert!(e.credits.low < e.credits.expected && e.credits.expected < e.credits.high);
    let r = EstimateRequest { max_output_tokens: Some(Count(800)), ..r };
    assert_eq!(estimate(&cat(), &r).unwrap().output_tokens.high, 800);
}

#[test]
fn model_and_encoding_choice() {
    let base = EstimateRequest { text: Some("Hello there, how are you today?".into()), ..req("message") };
    let cheap = estimate(&cat(), &base).unwrap();
    let dear = estimate(&cat(), &EstimateRequest { model: Some("openai/gpt-4o".into()), ..base.clone() }).unwrap();
    // A fixed token rate: the model does not change the price…
    assert_eq!(dear.credits.expected, cheap.credits.expected);
    // …a markup on the model's price does.
    let priced_by_model =
        Catalog::parse(&crate::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#)).unwrap();
    let cheap2 = estimate(&priced_by_model, &base).unwrap();
    let dear2 = estimate(&priced_by_model, &EstimateRequest { model: Some("openai/gpt-4o".into()), ..base.clone() }).unwrap();
    assert!(dear2.credits.expected > cheap2.credits.expected);
    let turbo = estimate(&cat(), &EstimateRequest { model: Some("openai/gpt-4-turbo".into()), ..base.clone() }).unwrap();
    assert_eq!(turbo.encoding, Some(Encoding::Cl100kBase));
    let err = estimate(&cat(), &EstimateRequest { model: Some("acme/none".into()), ..base }).unwrap_err();
    assert_eq!(err.code(), "UNKNOWN_MODEL");
}

#[test]
fn tts_counts_characters() {
    let e = estimate(&cat(), &EstimateRequest { text: Some("héllo wörld".into()), ..req("tts") }).unwrap();
    assert_eq!(e.characters, Some(11));
    assert_eq!(e.credits.expected.to_plain_string(), "0.037", "11 / 300 = 0.0366…, rounded up once");
    let e = estimate(&cat(), &EstimateRequest { characters: Some(Count(1500)), ..req("tts") }).unwrap();
    assert_eq!(e.credits.high.to_plain_string(), "5");
}

#[test]
fn flat_and_free() {
    let e = estimate(&cat(), &req("agent.activate")).unwrap();
    assert_eq!(e.credits.expected.to_plain_string(), "100");
    let e = estimate(&cat(), &req("flashcards.review")).unwrap();
    assert!(e.credits.high.is_zero());
    assert_eq!(e.charge, "free");
}

#[test]
fn missing_inputs_are_bad_input() {
    for op in ["flashcards.generate", "message", "tts"] {
        let err = estimate(&cat(), &req(op)).unwrap_err();
        assert_eq!(err.code(), "BAD_INPUT", "{op}: {err}");
    }
    assert_eq!(estimate(&cat(), &req("nope")).unwrap_err().code(), "UNKNOWN_OPERATION");
}

#[test]
fn huge_counts_are_errors_not_panics() {
    let r = EstimateRequest { input_tokens: Some(Count(MAX_SAFE_INTEGER)), output_tokens: Some(Count(MAX_SAFE_INTEGER)), ..req("message") };
    assert!(estimate(&cat(), &r).is_ok(), "2^53 tokens at real prices fits");
    // 2^53 cards would need 60 × 2^53 output tokens: refused, not wrapped.
    let r = EstimateRequest { cards: Some(Count(MAX_SAFE_INTEGER)), ..req("flashcards.generate") };
    assert_eq!(estimate(&cat(), &r).unwrap_err().code(), "BAD_INPUT");
    let r = EstimateRequest { cards: Some(Count(1_000_000_000_000)), ..req("flashcards.generate") };
    assert_eq!(estimate(&cat(), &r).unwrap().credits.high.to_plain_string(), "1000000000000");
}

#[test]
fn requests_deserialize_strictly() {
    let ok: EstimateRequest = crate::json::from_str(r#"{"operation":"message","inputTokens":10,"encoding":"cl100k_base"}"#).unwrap();
    assert_eq!(ok.input_tokens, Some(Count(10)));
    for bad in [
        r#"{"operation":"message","inputTokens":-1}"#,
        r#"{"operation":"message","inputTokens":1.5}"#,
        r#"{"operation":"message","inputTokens":"10"}"#,
        r#"{"operation":"message","notee":"x"}"#,
        r#"{"operation":"message","encoding":"p50k"}"#,
        r#"{"inputTokens":1}"#,
    ] {
        assert!(crate::json::from_str::<EstimateRequest>(bad).is_err(), "{bad}");
    }
}

#[test]
fn estimates_round_trip_through_json() {
    let e = estimate(&cat(), &EstimateRequest { note: Some("A fact about cells.".into()), ..req("flashcards.generate") }).unwrap();
    let json = crate::json::to_string(&e);
    assert!(json.contains("\"credits\":{\"low\":\"0\",\"expected\":\"1\""), "{json}");
    let back: Estimate = crate::json::from_str(&json).unwrap();
    assert_eq!(back, e);
}

#[test]
fn calibration_state_from_the_host_shifts_card_estimates() {
    let note = "Cells divide. Cells grow. Cells die. Cells talk. Cells move. Cells eat. Cells sense light.".repeat(3);
    let plain = estimate(&cat(), &EstimateRequest { note: Some(note.clone()), ..req("flashcards.generate") }).unwrap();
    let mut state = CalibrationState::default();
    for _ in 0..8 {
        state.observe(&crate::estimate::Observation {
            predicted_cards: Some(plain.cards.unwrap().expected),
            actual_cards: plain.cards.unwrap().expected * 3,
            output_tokens: Some(plain.cards.unwrap().expected * 3 * 100),
        });
    }
    let r = EstimateRequest { note: Some(note), calibration: Some(state.clone()), ..req("flashcards.generate") };
    let tuned = estimate(&cat(), &r).unwrap();
    assert_eq!(tuned.cards.unwrap().expected, plain.cards.unwrap().expected * 3);
    assert_eq!(tuned.output_tokens.expected, tuned.cards.unwrap().expected * 100);
    let mut broken = state;
    broken.card_ratio = rust_decimal::Decimal::from(1000);
    let r = EstimateRequest { calibration: Some(broken), ..r };
    assert_eq!(estimate(&cat(), &r).unwrap_err().code(), "BAD_INPUT");
}

#[test]
fn calibrate_learns_from_the_uncalibrated_prediction() {
    let note = "Cells divide. Cells grow. Cells die. Cells talk. Cells move. Cells eat.".repeat(4);
    let mut state: Option<CalibrationState> = None;
    for _ in 0..10 {
        let r = EstimateRequest { note: Some(note.clone()), calibration: state.clone(), ..req("flashcards.generate") };
        let est = estimate(&cat(), &r).unwrap();
        let raw = crate::estimate::CardModel::default().estimate(&est.note.unwrap().structure).expected;
        let creq = crate::estimate::CalibrateRequest { state, estimate: est, cards: Count(raw * 2), output_tokens: None };
        state = Some(crate::estimate::calibrate(&creq, &crate::estimate::CardModel::default()).unwrap());
    }
    assert_eq!(state.unwrap().card_ratio, rust_decimal::Decimal::TWO, "no compounding: ratio is 2, not 2^n");
}
