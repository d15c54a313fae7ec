//! The JS binding, in a real Wasm instance: Node by default, headless browsers with
//! `WASM_BINDGEN_USE_BROWSER=1` (see README "Tests").
#![cfg(target_arch = "wasm32")]

use credit_meter::api::{decide, default_catalog, estimate, estimate_tokens, load_catalog, Catalog};
use js_sys::{JsString, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |o, k| Reflect::get(&o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED))
}

fn code_of(err: JsValue) -> String {
    assert!(err.is_instance_of::<js_sys::Error>(), "thrown value is an Error: {err:?}");
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("CreditMeterError"));
    let msg = get(&err, "message").as_string().unwrap_or_default();
    assert!(!msg.is_empty(), "error has a message");
    get(&err, "code").as_string().expect("error has a string code")
}

/// The instance still answers correctly: used after every hostile input.
fn still_works() {
    assert_eq!(estimate_tokens("".into(), "o200k_base".into()).unwrap(), 0.0);
    assert!(estimate_tokens("Hello world".into(), "cl100k_base".into()).unwrap() >= 2.0);
    let e = estimate(json(r#"{"operation":"flashcards.generate","cards":3}"#).unchecked_into()).unwrap();
    assert_eq!(get(&e, "credits.expected").as_string().as_deref(), Some("3"));
}

fn lone_surrogates() -> JsValue {
    let s = JsString::from_char_code1(0xD800).concat(&"abc".into()).concat(&JsString::from_char_code1(0xDFFF));
    s.into()
}

fn hostile_values() -> Vec<(&'static str, JsValue)> {
    vec![
        ("null", JsValue::NULL),
        ("undefined", JsValue::UNDEFINED),
        ("NaN", JsValue::from_f64(f64::NAN)),
        ("Infinity", JsValue::from_f64(f64::INFINITY)),
        ("-Infinity", JsValue::from_f64(f64::NEG_INFINITY)),
        ("-1", JsValue::from_f64(-1.0)),
        ("true", JsValue::TRUE),
        ("array", json("[1,2]")),
        ("symbol", JsValue::symbol(Some("s"))),
        ("bigint", js_sys::BigInt::from(5u32).into()),
        ("function", js_sys::Function::new_no_args("return 1").into()),
    ]
}

#[wasm_bindgen_test]
fn estimate_tokens_counts_and_rejects_bad_arguments() {
    let n = estimate_tokens("The quick brown fox jumps over the lazy dog.".into(), "o200k_base".into()).unwrap();
    assert!((8.0..=12.0).contains(&n), "{n}");
    for (name, bad) in hostile_values() {
        assert_eq!(code_of(estimate_tokens(bad.clone(), "o200k_base".into()).unwrap_err()), "BAD_INPUT", "text={name}");
        still_works();
        assert_eq!(code_of(estimate_tokens("x".into(), bad).unwrap_err()), "BAD_INPUT", "encoding={name}");
        still_works();
    }
    assert_eq!(code_of(estimate_tokens("x".into(), "p50k_base".into()).unwrap_err()), "UNKNOWN_ENCODING");
    still_works();
    // Lone surrogates become U+FFFD on the way in: counted, not a crash.
    assert!(estimate_tokens(lone_surrogates(), "o200k_base".into()).unwrap() >= 1.0);
    still_works();
    let big = "word ".repeat(200_000); // 1 MB
    assert!(estimate_tokens(big.into(), "cl100k_base".into()).unwrap() > 100_000.0);
    still_works();
}

/// The binding reads the JS string into a buffer it reuses: every text, also a short one
/// after a long one, counts exactly as the core counts it.
#[wasm_bindgen_test]
fn estimate_tokens_reads_strings_exactly_as_the_core_sees_them() {
    use credit_meter_core::estimate::{estimate_tokens as core, Encoding};
    let long = "Überprüfung der Zusammenfassung – 検証と要約 🙂 ".repeat(2_000);
    let texts = [
        "Hello world",
        long.as_str(),
        "short after long",
        "naïve café, ß and Œuvre",
        "漢字とかなの文章です。",
        "€€€ ✓ 🙂🙂 \u{1f468}\u{200d}\u{1f469}",
        "Привет, мир! 123 4567",
        "",
        "x",
    ];
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        for t in texts {
            let got = estimate_tokens(t.into(), enc.name().into()).unwrap();
            assert_eq!(got, core(t, enc) as f64, "{enc:?} {:?}", t.chars().take(30).collect::<String>());
        }
    }
}

#[wasm_bindgen_test]
fn estimate_returns_json_compatible_objects() {
    let e = estimate(json(r#"{"operation":"message","inputTokens":1800,"outputTokens":950}"#).unchecked_into()).unwrap();
    // 2,750 tokens at the catalog's fixed 1,000 tokens per credit.
    assert_eq!(get(&e, "credits.expected").as_string().as_deref(), Some("2.75"));
    assert_eq!(get(&e, "inputTokens.expected").as_f64(), Some(1800.0));
    assert!(get(&e, "cards").is_null(), "absent values are null, not undefined");
    let text = JSON::stringify(&e).unwrap().as_string().unwrap();
    assert!(text.contains("\"providerUsd\":{\"low\":\"0.00084\""), "{text}");
}

#[wasm_bindgen_test]
fn estimate_rejects_hostile_requests_with_codes() {
    for (name, bad) in hostile_values() {
        assert_eq!(code_of(estimate(bad.unchecked_into()).unwrap_err()), "BAD_INPUT", "{name}");
        still_works();
    }
    let cases = [
        (r#"{}"#, "BAD_INPUT"),
        (r#"{"operation":"nope"}"#, "UNKNOWN_OPERATION"),
        (r#"{"operation":"message","inputTokens":10,"model":"acme/x"}"#, "UNKNOWN_MODEL"),
        (r#"{"operation":"message","inputTokens":-5}"#, "BAD_INPUT"),
        (r#"{"operation":"message","inputTokens":1.5}"#, "BAD_INPUT"),
        (r#"{"operation":"message","inputTokens":1e400}"#, "BAD_INPUT"),
        (r#"{"operation":"message","inputTokens":"10"}"#, "BAD_INPUT"),
        (r#"{"operation":"message","inputTokens":9007199254740992}"#, "BAD_INPUT"),
        (r#"{"operation":"message","encoding":"gpt2","text":"x"}"#, "BAD_INPUT"),
        (r#"{"operation":"message","text":"x","__proto__":{"polluted":1}}"#, "BAD_INPUT"),
        (r#"{"operation":"flashcards.generate","note":42}"#, "BAD_INPUT"),
        (r#"{"operation":"flashcards.generate","cards":9007199254740991}"#, "BAD_INPUT"),
    ];
    for (req, code) in cases {
        assert_eq!(code_of(estimate(json(req).unchecked_into()).unwrap_err()), code, "{req}");
        still_works();
    }
    // NaN and Infinity as counts (JSON cannot spell them).
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let req = json(r#"{"operation":"message"}"#);
        Reflect::set(&req, &"inputTokens".into(), &JsValue::from_f64(v)).unwrap();
        assert_eq!(code_of(estimate(req.unchecked_into()).unwrap_err()), "BAD_INPUT", "{v}");
        still_works();
    }
    // A note with lone surrogates is refused with a code (JSON cannot carry them), not fatal.
    let req = json(r#"{"operation":"flashcards.generate"}"#);
    Reflect::set(&req, &"note".into(), &lone_surrogates()).unwrap();
    assert_eq!(code_of(estimate(req.unchecked_into()).unwrap_err()), "BAD_INPUT");
    still_works();
    // A 1 MB note is estimated.
    let req = json(r#"{"operation":"flashcards.generate"}"#);
    Reflect::set(&req, &"note".into(), &"Cells divide. ".repeat(75_000).into()).unwrap();
    let e = estimate(req.unchecked_into()).unwrap();
    assert!(get(&e, "cards.expected").as_f64().unwrap() > 1000.0);
    still_works();
}

#[wasm_bindgen_test]
fn decide_round_trips_an_estimate_and_rejects_bad_amounts() {
    let e = estimate(json(r#"{"operation":"flashcards.generate","cards":12}"#).unchecked_into()).unwrap();
    let req = js_sys::Object::new();
    Reflect::set(&req, &"estimate".into(), &e).unwrap();
    Reflect::set(&req, &"balance".into(), &"5".into()).unwrap();
    let d = decide(req.clone().unchecked_into()).unwrap();
    assert_eq!(get(&d, "funding").as_string().as_deref(), Some("insufficient"));
    assert_eq!(get(&d, "shortfall").as_string().as_deref(), Some("7"));
    assert_eq!(get(&d, "package.id").as_string().as_deref(), Some("starter"));
    // Through JSON and back, as a host that persists it would.
    let again = JSON::parse(&JSON::stringify(&req).unwrap().as_string().unwrap()).unwrap();
    Reflect::set(&again, &"byok".into(), &JsValue::TRUE).unwrap();
    assert_eq!(get(&decide(again.unchecked_into()).unwrap(), "funding").as_string().as_deref(), Some("byok"));

    let bad_balances: Vec<JsValue> = vec![
        "-1".into(),
        "1e400".into(),
        "NaN".into(),
        "Infinity".into(),
        "".into(),
        "12,5".into(),
        JsValue::from_f64(12.5),
        JsValue::from_f64(f64::NAN),
        JsValue::NULL,
        lone_surrogates(),
    ];
    for b in bad_balances {
        Reflect::set(&req, &"balance".into(), &b).unwrap();
        assert_eq!(code_of(decide(req.clone().unchecked_into()).unwrap_err()), "BAD_INPUT", "{b:?}");
        still_works();
    }
    for (name, bad) in hostile_values() {
        assert_eq!(code_of(decide(bad.unchecked_into()).unwrap_err()), "BAD_INPUT", "{name}");
        still_works();
    }
}

#[wasm_bindgen_test]
fn catalogs_load_validate_and_price() {
    let def: JsValue = default_catalog().unwrap().into();
    // Messages priced by their model (× markup) instead of the fixed 1,000 tokens a credit,
    // so that creditsPerUsd prices them.
    let text = JSON::stringify(&def).unwrap().as_string().unwrap();
    assert!(text.contains(r#""tokensPerCredit":"1000""#), "{text}");
    let def = JSON::parse(&text.replace(r#""tokensPerCredit":"1000""#, r#""markup":"1""#)).unwrap();
    Reflect::set(&def, &"revision".into(), &"custom-1".into()).unwrap();
    Reflect::set(&def, &"creditsPerUsd".into(), &"400".into()).unwrap();
    let c: Catalog = load_catalog(def.clone().unchecked_into()).unwrap();
    assert_eq!(c.revision(), "custom-1");
    let e = c.estimate(json(r#"{"operation":"message","inputTokens":1800,"outputTokens":950}"#).unchecked_into()).unwrap();
    assert_eq!(get(&e, "credits.expected").as_string().as_deref(), Some("0.336"));
    // Text form and round trip through toJSON.
    let text = JSON::stringify(&c.to_json().unwrap()).unwrap();
    let c2 = Catalog::load(text.unchecked_into()).unwrap();
    assert_eq!(c2.revision(), "custom-1");
    assert_eq!(get(&c2.packages().unwrap(), "0.perCreditUsd").as_string().as_deref(), Some("0.005"));

    let broken = [
        "",
        "{",
        "null",
        "[]",
        "{\"format\":1}",
        "{\"format\":2,\"revision\":\"x\",\"creditsPerUsd\":\"1\",\"creditStep\":\"1\",\"operations\":[]}",
    ];
    for text in broken {
        assert_eq!(code_of(load_catalog(JsValue::from_str(text).unchecked_into()).unwrap_err()), "BAD_CATALOG", "{text:?}");
        still_works();
    }
    for (name, bad) in hostile_values() {
        assert_eq!(code_of(load_catalog(bad.unchecked_into()).unwrap_err()), "BAD_CATALOG", "{name}");
        still_works();
    }
    for amount in ["-1", "1e400", "NaN", "abc"] {
        Reflect::set(&def, &"creditStep".into(), &amount.into()).unwrap();
        assert_eq!(code_of(load_catalog(def.clone().unchecked_into()).unwrap_err()), "BAD_CATALOG", "{amount}");
        still_works();
    }
    Reflect::set(&def, &"creditStep".into(), &JsValue::from_f64(0.001)).unwrap();
    assert_eq!(code_of(load_catalog(def.unchecked_into()).unwrap_err()), "BAD_CATALOG", "numbers are not money");
    still_works();
    let big = format!("{{\"format\":1,\"revision\":\"{}\"}}", "x".repeat(1_000_000));
    assert_eq!(code_of(load_catalog(JsValue::from_str(&big).unchecked_into()).unwrap_err()), "BAD_CATALOG");
    still_works();
}

/// The matrix runs where it says: `scripts/test.sh` sets CREDIT_METER_EXPECT_ENV at build
/// time to "node" or "browser", and this fails if the runner silently used the other.
#[wasm_bindgen_test]
fn runs_in_the_expected_environment() {
    let global = js_sys::global();
    let has_window = Reflect::has(&global, &"document".into()).unwrap_or(false);
    let is_node = Reflect::get(&global, &"process".into()).map(|p| p.is_object()).unwrap_or(false);
    match option_env!("CREDIT_METER_EXPECT_ENV") {
        Some("browser") => assert!(has_window && !is_node, "expected a browser"),
        Some("node") => assert!(is_node && !has_window, "expected Node"),
        _ => assert!(has_window || is_node),
    }
}
