use super::*;

fn credits(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn default_json() -> serde_json::Value {
    serde_json::from_str(DEFAULT_CATALOG_JSON).unwrap()
}

fn parse_value(v: &serde_json::Value) -> Result<Catalog, CatalogError> {
    Catalog::parse(&v.to_string())
}

#[test]
fn embedded_default_catalog_is_valid() {
    let c = Catalog::parse(DEFAULT_CATALOG_JSON).expect("default catalog validates");
    assert_eq!(c.revision(), Catalog::default_catalog().revision());
    assert!(c.operation("flashcards.generate").is_ok());
    assert!(c.operation("message").is_ok());
}

#[test]
fn default_packages_reproduce_the_seed_table() {
    let c = Catalog::default_catalog();
    let p = c.packages();
    let rows: Vec<(&str, String, String, String, String)> = p
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.credits.to_plain_string(),
                o.bonus.to_plain_string(),
                o.total.to_plain_string(),
                o.price_usd.to_plain_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Starter", "500".into(), "0".into(), "500".into(), "2.5".into()),
            ("Pro", "2500".into(), "500".into(), "3000".into(), "10".into()),
            ("Power User", "7000".into(), "1500".into(), "8500".into(), "25".into()),
        ]
    );
    // The seed shows $0.005, $0.0033, $0.0029 per credit.
    let per: Vec<String> = p.iter().map(|o| o.per_credit_usd.to_plain_string()).collect();
    assert_eq!(per, vec!["0.005", "0.003333", "0.002941"]);
}

#[test]
fn smallest_covering_package() {
    let c = Catalog::default_catalog();
    assert_eq!(c.package_covering(credits("1")).unwrap(), (c.packages()[0].clone(), 1));
    assert_eq!(c.package_covering(credits("500")).unwrap().0.id, "starter");
    assert_eq!(c.package_covering(credits("500.001")).unwrap().0.id, "pro");
    assert_eq!(c.package_covering(credits("8500")).unwrap().0.id, "power");
    // More than any one package: the best per-credit one, several times.
    assert_eq!(c.package_covering(credits("20000")).unwrap().0.id, "power");
    assert_eq!(c.package_covering(credits("20000")).unwrap().1, 3);
}

#[test]
fn model_prices_are_exact() {
    let c = Catalog::default_catalog();
    let m = c.model("openai/gpt-4o-mini").unwrap();
    // 1,000,000 prompt tokens at $0.15/M plus 1,000,000 completion at $0.60/M.
    assert_eq!(m.usd_for(1_000_000, 1_000_000).unwrap().to_plain_string(), "0.75");
    assert_eq!(c.usd_to_credits(Usd::parse("0.75").unwrap()).unwrap().to_plain_string(), "150");
    assert_eq!(m.encoding(), Encoding::O200kBase);
    assert_eq!(c.model("openai/gpt-4-turbo").unwrap().encoding(), Encoding::Cl100kBase);
}

#[test]
fn huge_token_counts_are_an_error_not_a_panic() {
    let mut v = default_json();
    v["models"][0]["pricing"]["prompt"] = "1000000000000000".into();
    let c = parse_value(&v).unwrap();
    let m = &c.models()[0];
    assert!(matches!(m.usd_for(crate::money::MAX_SAFE_INTEGER, 0), Err(CatalogError::Overflow(_))));
}

#[test]
fn unknown_lookups_have_their_codes() {
    let c = Catalog::default_catalog();
    assert_eq!(c.model("nope").unwrap_err().code(), "UNKNOWN_MODEL");
    assert_eq!(c.operation("nope").unwrap_err().code(), "UNKNOWN_OPERATION");
}

#[test]
fn openrouter_model_entries_keep_working_with_extra_fields() {
    let mut v = default_json();
    v["models"][0]["context_length"] = 128000.into();
    v["models"][0]["architecture"] = serde_json::json!({"modality": "text->text"});
    v["models"][0]["pricing"]["image"] = "0".into();
    v["models"][0]["pricing"]["web_search"] = "0".into();
    assert!(parse_value(&v).is_ok());
}

fn assert_invalid(v: &serde_json::Value, needle: &str) {
    let err = parse_value(v).unwrap_err();
    assert_eq!(err.code(), "BAD_CATALOG", "{err}");
    assert!(err.to_string().contains(needle), "{err} should mention {needle:?}");
}

#[test]
fn refuses_broken_catalogs_with_a_clear_message() {
    let base = default_json();
    let mut cases: Vec<(serde_json::Value, &str)> = Vec::new();
    let mut v = base.clone();
    v["format"] = 2.into();
    cases.push((v, "format 2"));
    let mut v = base.clone();
    v["currency"] = "EUR".into();
    cases.push((v, "EUR"));
    let mut v = base.clone();
    v["creditsPerUsd"] = "0".into();
    cases.push((v, "creditsPerUsd"));
    let mut v = base.clone();
    v["creditStep"] = "-1".into();
    cases.push((v, "negative"));
    let mut v = base.clone();
    v["creditsPerUsd"] = 200.into();
    cases.push((v, "invalid type"));
    let mut v = base.clone();
    v["operations"][0]["model"] = "missing/model".into();
    cases.push((v, "missing/model"));
    let mut v = base.clone();
    v["operations"][1]["id"] = "flashcards.generate".into();
    cases.push((v, "appears twice"));
    let mut v = base.clone();
    v["operations"][0]["charge"]["creditsPerCard"] = "0".into();
    cases.push((v, "creditsPerCard"));
    let mut v = base.clone();
    v["operations"][0]["charge"]["kind"] = "perWord".into();
    cases.push((v, "perWord"));
    let mut v = base.clone();
    v["operations"][0]["chrage"] = "typo".into();
    cases.push((v, "chrage"));
    let mut v = base.clone();
    v["packages"][0]["priceUsd"] = "NaN".into();
    cases.push((v, "not finite"));
    let mut v = base.clone();
    v["packages"][0]["credits"] = "1e400".into();
    cases.push((v, "out of range"));
    let mut v = base.clone();
    v["packages"][0]["credits"] = "0".into();
    cases.push((v, "more than zero credits"));
    let mut v = base.clone();
    v["models"][0]["id"] = "".into();
    cases.push((v, "model id"));
    let mut v = base.clone();
    v["models"][0]["pricing"]["prompt"] = "-0.1".into();
    cases.push((v, "negative"));
    let mut v = base.clone();
    v["models"][0]["encoding"] = "p50k_base".into();
    cases.push((v, "p50k_base"));
    let mut v = base.clone();
    v["operations"][2]["expectedOutputTokens"] = 5000.into();
    cases.push((v, "maxOutputTokens"));
    for (v, needle) in &cases {
        assert_invalid(v, needle);
    }
    for text in ["", "{", "null", "[]", "{\"format\":1}", "\u{feff}{}"] {
        assert_eq!(Catalog::parse(text).unwrap_err().code(), "BAD_CATALOG", "{text:?}");
    }
}

#[test]
fn round_trips_through_json() {
    let c = Catalog::default_catalog();
    let text = crate::json::to_string(c.definition());
    let back = Catalog::parse(&text).unwrap();
    assert_eq!(back.definition(), c.definition());
}

#[test]
fn debits_round_up_to_the_catalog_step() {
    let c = Catalog::default_catalog();
    assert_eq!(c.round_debit(credits("0.0901")).unwrap().to_plain_string(), "0.091");
}
