//! One source of truth per rate (issue 22, item 2): the built-in catalog charges TTS
//! characters and LLM tokens at exactly the AssistLore policy's conversion rates, and a
//! pair that disagrees is refused with a coded error. The policy's `unitsPerCredit` is the
//! source; README "AssistLore". (The ledger service runs the same check where it holds
//! both — its AI proxy's catalog and an account's policy: `proxy::rates`.)
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_core::catalog::Catalog;
use credit_meter_ledger_core::model::{AllowanceKind, Policy};
use credit_meter_protocol::error::Coded;

#[test]
fn the_built_in_assist_lore_catalog_and_policy_agree_on_the_tts_rate() {
    let policy = Policy::assist_lore();
    let rate = policy.allowance(AllowanceKind::TtsCharacters).expect("a TTS allowance").units_per_credit;
    Catalog::default_catalog().check_unit_rate("tts", rate).unwrap();
}

#[test]
fn a_policy_that_converts_at_another_rate_is_refused_against_the_catalog() {
    let mut policy = Policy::assist_lore();
    policy.allowances.iter_mut().filter(|a| a.kind == AllowanceKind::TtsCharacters).for_each(|a| a.units_per_credit = 333.into());
    let rate = policy.allowance(AllowanceKind::TtsCharacters).unwrap().units_per_credit;
    let err = Catalog::default_catalog().check_unit_rate("tts", rate).unwrap_err();
    assert_eq!(err.code().as_str(), "BAD_CATALOG", "{err}");
}

#[test]
fn the_built_in_assist_lore_catalog_and_policy_agree_on_the_llm_token_rate() {
    let policy = Policy::assist_lore();
    let rate = policy.allowance(AllowanceKind::LlmTokens).expect("an LLM-token allowance").units_per_credit;
    Catalog::default_catalog().check_unit_rate("message", rate).unwrap();
    // Every allowance of both presets against every operation in its unit.
    for p in [Policy::assist_lore(), Policy::true_recall()] {
        for a in &p.allowances {
            Catalog::default_catalog().check_allowance_rate(a.kind.json_name(), a.units_per_credit).unwrap();
        }
    }
}

#[test]
fn a_policy_that_converts_llm_tokens_at_another_rate_is_refused_against_the_catalog() {
    let mut policy = Policy::assist_lore();
    policy.allowances.iter_mut().filter(|a| a.kind == AllowanceKind::LlmTokens).for_each(|a| a.units_per_credit = 1200.into());
    let rate = policy.allowance(AllowanceKind::LlmTokens).unwrap().units_per_credit;
    let err = Catalog::default_catalog().check_unit_rate("message", rate).unwrap_err();
    assert_eq!(err.code().as_str(), "BAD_CATALOG", "{err}");
    let err = Catalog::default_catalog().check_allowance_rate("llmTokens", rate).unwrap_err();
    assert!(err.to_string().contains("\"message\""), "{err}");
}
