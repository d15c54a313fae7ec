//! The Meter's decision sees the account's TTS allowance (PROTOCOL §12): audio the
//! allowance covers is not refused for want of credits, the decision reserves in
//! characters, the part beyond it is priced at the policy's rate, and a refusing policy
//! says so instead of offering credits.
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
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    l.create_account("a1", policy).unwrap();
    l.with_account("a1", T0, |a, now| a.grant_signup(now)).unwrap();
    l.with_account("a1", T0, |a, now| a.convert(&ConvertRequest { allowance: AllowanceKind::TtsCharacters, credits: c("10") }, now))
        .unwrap();
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
