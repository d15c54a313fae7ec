//! The Meter's decision sees the account's TTS and LLM-token allowances (PROTOCOL §12):
//! audio or a message the allowance covers is not refused for want of credits, the
//! decision reserves in characters or tokens, the part beyond it is priced at the
//! policy's rate, and a refusing policy says so instead of offering credits. A message
//! priced by its model (no fixed token rate) stays a decision in credits.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::meter::decide;
use credit_meter_client::ReserveRequest;
use credit_meter_core::catalog::Catalog;
use credit_meter_core::estimate::{estimate, EstimateRequest};
use credit_meter_core::funding::{Funding, Remedy};
use credit_meter_ledger_core::model::{AllowanceKind, ConvertRequest, OnShortfall, Policy};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::Count;
use credit_meter_sim::harness::*;

/// An AssistLore account with 3,000 TTS characters and 1 credit left, its device synced.
fn nearly_out_of_credits(policy: Policy) -> (RefLedger, Client) {
    with_allowance_and_one_credit(policy, AllowanceKind::TtsCharacters)
}

/// An AssistLore account that converted 10 credits into `allowance` (3,000 TTS characters
/// or 10,000 LLM tokens) and has 1 credit left, its device synced.
fn with_allowance_and_one_credit(policy: Policy, allowance: AllowanceKind) -> (RefLedger, Client) {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    l.create_account("a1", policy).unwrap();
    l.with_account("a1", T0, |a, now| a.grant_signup(now)).unwrap();
    l.with_account("a1", T0, |a, now| a.convert(&ConvertRequest { allowance, credits: c("10") }, now)).unwrap();
    let mut d = Client::new("phone");
    d.open(&mut l, T0);
    // Spend all but 1 of the 490 credits.
    let r = d.m.reserve(&ReserveRequest { amount: c("489"), operation: "message".into(), agent_id: None, unit: None }, T0 + 1).unwrap();
    d.pump(&mut l, T0 + 1);
    d.m.commit(&r.hold_id, c("489"), T0 + 2).unwrap();
    d.pump(&mut l, T0 + 2);
    assert_eq!(d.m.figures(T0 + 3).spendable(), c("1"));
    (l, d)
}

fn tts_decision(d: &Client, characters: u64) -> credit_meter_core::funding::Decision {
    let catalog = Catalog::default_catalog();
    let est = estimate(&catalog, &EstimateRequest { operation: "tts".into(), characters: Some(Count(characters)), ..Default::default() })
        .unwrap();
    decide(&d.m, &catalog, est, false, T0 + 3).unwrap()
}

#[test]
fn audio_the_allowance_covers_is_decided_in_characters_not_refused_for_credits() {
    let (_l, d) = nearly_out_of_credits(Policy::assist_lore());
    let covered = tts_decision(&d, 2_000);
    assert_eq!((covered.funding, covered.proceed), (Funding::Credits, true), "{}", covered.reason);
    assert_eq!((covered.unit.as_deref(), covered.units, covered.reserve), (Some("ttsCharacters"), Some(2_000), c("0")));
    // 3,500: 3,000 from the allowance, 500 converted at 300 per credit = 1.667 > 1 credit.
    let beyond = tts_decision(&d, 3_500);
    assert_eq!(beyond.funding, Funding::Insufficient, "{}", beyond.reason);
    assert_eq!(beyond.shortfall, Some(c("0.667")));
    assert!(beyond.options.contains(&Remedy::BuyCredits) && beyond.package.is_some());
    assert!(beyond.reason.contains("cover 3000 of 3500"), "{}", beyond.reason);
    // 3,300: 300 beyond the allowance cost exactly the 1 credit left.
    let just = tts_decision(&d, 3_300);
    assert_eq!((just.funding, just.reserve, just.units), (Funding::Credits, c("1"), Some(3_300)), "{}", just.reason);
}

#[test]
fn a_policy_that_does_not_convert_says_the_allowance_is_short() {
    let mut policy = Policy::assist_lore();
    policy.allowances.iter_mut().for_each(|a| a.on_shortfall = OnShortfall::Refuse);
    let (_l, d) = nearly_out_of_credits(policy);
    let short = tts_decision(&d, 3_001);
    assert_eq!((short.funding, short.proceed, short.shortfall), (Funding::Insufficient, false, None), "{}", short.reason);
    assert!(short.reason.contains("3001 needed, 3000 left"), "{}", short.reason);
    assert_eq!(tts_decision(&d, 3_000).funding, Funding::Credits);
}

fn message_decision(d: &Client, catalog: &Catalog, input: u64, output: u64) -> credit_meter_core::funding::Decision {
    let req = EstimateRequest {
        operation: "message".into(),
        input_tokens: Some(Count(input)),
        output_tokens: Some(Count(output)),
        ..Default::default()
    };
    decide(&d.m, catalog, estimate(catalog, &req).unwrap(), false, T0 + 3).unwrap()
}

#[test]
fn a_message_the_token_allowance_covers_is_decided_in_tokens_and_reserved_in_them() {
    let (mut l, mut d) = with_allowance_and_one_credit(Policy::assist_lore(), AllowanceKind::LlmTokens);
    let catalog = Catalog::default_catalog();
    // 6,000 + 3,000 tokens: within the 10,000 converted, though they would cost 9 credits.
    let covered = message_decision(&d, &catalog, 6_000, 3_000);
    assert_eq!((covered.funding, covered.proceed), (Funding::Credits, true), "{}", covered.reason);
    assert_eq!((covered.unit.as_deref(), covered.units, covered.reserve), (Some("llmTokens"), Some(9_000), c("0")));
    assert!(covered.reason.contains("message tokens cover it (9000)"), "{}", covered.reason);
    // 10,500: 10,000 from the allowance, 500 at 1,000 per credit = 0.5 of the 1 credit.
    let beyond = message_decision(&d, &catalog, 10_000, 500);
    assert_eq!((beyond.funding, beyond.reserve, beyond.units), (Funding::Credits, c("0.5"), Some(10_500)), "{}", beyond.reason);
    // 11,500: 1,500 beyond = 1.5 credits, 0.5 short.
    let short = message_decision(&d, &catalog, 11_000, 500);
    assert_eq!((short.funding, short.shortfall), (Funding::Insufficient, Some(c("0.5"))), "{}", short.reason);
    assert!(short.options.contains(&Remedy::BuyCredits));
    // reserve(decision) holds the tokens; the ledger takes them from the allowance.
    let r = d
        .m
        .reserve(&ReserveRequest { amount: c("9000"), operation: "message".into(), agent_id: None, unit: Some("llmTokens".into()) }, T0 + 4)
        .unwrap();
    d.pump(&mut l, T0 + 4);
    d.m.commit_units(&r.hold_id, 8_200, T0 + 5).unwrap();
    d.pump(&mut l, T0 + 5);
    let after = message_decision(&d, &catalog, 1_000, 800);
    assert_eq!((after.funding, after.units, after.reserve), (Funding::Credits, Some(1_800), c("0")), "{}", after.reason);
    let left = l.account("a1").unwrap().account.state().allowance(AllowanceKind::LlmTokens).remaining;
    assert_eq!(left, 1_800, "10,000 − 8,200 tokens; the credit is untouched");
    assert_eq!(d.m.figures(T0 + 6).spendable(), c("1"));
}

#[test]
fn a_message_priced_by_its_model_stays_a_decision_in_credits() {
    let (_l, d) = with_allowance_and_one_credit(Policy::assist_lore(), AllowanceKind::LlmTokens);
    let by_model = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#);
    let catalog = Catalog::parse(&by_model).unwrap();
    let d1 = message_decision(&d, &catalog, 1_800, 950);
    // 0.168 credits at the model's price, in credits: no allowance unit.
    assert_eq!((d1.funding, d1.unit, d1.reserve), (Funding::Credits, None, c("0.168")), "{}", d1.reason);
}

#[test]
fn a_token_allowance_that_refuses_a_shortfall_says_so() {
    let mut policy = Policy::assist_lore();
    policy.allowances.iter_mut().for_each(|a| a.on_shortfall = OnShortfall::Refuse);
    let (_l, d) = with_allowance_and_one_credit(policy, AllowanceKind::LlmTokens);
    let catalog = Catalog::default_catalog();
    let short = message_decision(&d, &catalog, 10_000, 1);
    assert_eq!((short.funding, short.proceed, short.shortfall), (Funding::Insufficient, false, None), "{}", short.reason);
    assert!(short.reason.contains("Not enough message tokens: 10001 needed, 10000 left"), "{}", short.reason);
    assert_eq!(message_decision(&d, &catalog, 9_000, 1_000).funding, Funding::Credits);
}
