//! A hold reserved in LLM tokens (PROTOCOL §12) and settled by the ledger's AI proxy
//! (§6.7): the proxy commits the provider's tokens — the allowance first, the shortfall
//! converted at the policy's rate — exactly once; the client's own commit of the hold
//! charges nothing more and learns the settlement, and its figures end as the ledger's.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::ReserveRequest;
use credit_meter_ledger_core::model::{AllowanceKind, ConvertRequest, Policy};
use credit_meter_ledger_core::reference::proxy::ProxyUsage;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_sim::harness::*;

/// An AssistLore account with its signup credits and 2,000 LLM tokens (2 credits converted).
fn lore() -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    l.create_account("a1", Policy::assist_lore()).unwrap();
    l.with_account("a1", T0, |a, now| a.grant_signup(now)).unwrap();
    l.with_account("a1", T0, |a, now| a.convert(&ConvertRequest { allowance: AllowanceKind::LlmTokens, credits: c("2") }, now)).unwrap();
    l
}

fn tokens(n: u64) -> ReserveRequest {
    ReserveRequest { amount: c(&n.to_string()), operation: "message".into(), agent_id: None, unit: Some("llmTokens".into()) }
}

fn llm(l: &RefLedger) -> u64 {
    l.account("a1").unwrap().account.state().allowance(AllowanceKind::LlmTokens).remaining
}

fn balance(l: &RefLedger) -> credit_meter_protocol::money::Credits {
    l.account("a1").unwrap().account.state().balance()
}

#[test]
fn the_proxy_commits_the_providers_tokens_once_and_the_clients_commit_charges_nothing_more() {
    let mut l = lore();
    let before = balance(&l);
    let mut d = Client::new("d1");
    d.open(&mut l, T0);
    // 3,000 tokens: 2,000 from the allowance, 1 credit reserved for the other 1,000.
    let r = d.m.reserve(&tokens(3_000), T0 + 1).unwrap();
    assert_eq!((r.amount, r.units), (c("1"), Some(2_000)));
    d.pump(&mut l, T0 + 1);
    let claim = l.claim_hold("a1", &r.hold_id, Some("d1"), T0 + 2).unwrap();
    assert_eq!((claim.amount, claim.units), (c("1"), Some(3_000)), "the claim says how many tokens the call may use");
    // ... and what a token is worth (the policy's rate), so the proxy can charge a call's
    // cost in tokens when the model is dearer per token than that.
    assert_eq!(claim.units_per_credit, Some(rust_decimal::Decimal::from(1000)));
    // Credits are not how a token hold is settled.
    assert_eq!(l.settle_hold("a1", &r.hold_id, Some(c("1")), T0 + 3).unwrap_err().code, ErrorCode::BadRequest);
    // The provider reported 2,500 tokens: 2,000 from the allowance, 500 converted (0.5 credit).
    let (s, first) = l.settle_hold_with("a1", &r.hold_id, ProxyUsage::Tokens(2_500), T0 + 3).unwrap();
    assert!(first);
    assert_eq!((s.units, s.usage, s.charged), (Some(2_500), None, c("0.5")));
    let (again, first) = l.settle_hold_with("a1", &r.hold_id, ProxyUsage::Tokens(9_999), T0 + 4).unwrap();
    assert_eq!((again, first), (s.clone(), false), "settled exactly once");
    assert_eq!((llm(&l), balance(&l)), (0, before.saturating_sub(c("0.5"))));
    // A modified client commits 1 token: applied, settled by the proxy, nothing more charged.
    d.m.commit_units(&r.hold_id, 1, T0 + 5).unwrap();
    d.pump(&mut l, T0 + 5);
    let ack = d.acknowledged("commit").expect("the commit is acknowledged");
    assert_eq!((ack.settled_by.as_deref(), ack.charged), (Some("proxy"), Some(c("0.5"))));
    assert_eq!((llm(&l), balance(&l)), (0, before.saturating_sub(c("0.5"))));
    d.m.sync(T0 + 6);
    d.pump(&mut l, T0 + 6);
    assert!(d.m.is_idle());
    let f = d.m.figures(T0 + 6);
    assert_eq!((f.balance, f.available), (balance(&l), balance(&l)));
    assert_eq!(credit_meter_client::units::free_units(d.m.state(), "llmTokens", T0 + 6).unwrap(), 0);
}

#[test]
fn an_abandoned_token_claim_commits_the_tokens_the_hold_was_for_and_audio_holds_are_not_claimed() {
    let mut l = lore();
    l.with_account("a1", T0, |a, now| a.convert(&ConvertRequest { allowance: AllowanceKind::TtsCharacters, credits: c("1") }, now))
        .unwrap();
    let before = balance(&l);
    let mut d = Client::new("d1");
    d.open(&mut l, T0);
    let r = d.m.reserve(&tokens(2_500), T0 + 1).unwrap();
    let audio = ReserveRequest { amount: c("10"), operation: "tts".into(), agent_id: None, unit: Some("ttsCharacters".into()) };
    let a = d.m.reserve(&audio, T0 + 1).unwrap();
    d.pump(&mut l, T0 + 1);
    assert_eq!(l.claim_hold("a1", &a.hold_id, Some("d1"), T0 + 2).unwrap_err().code, ErrorCode::HoldNotOpen);
    l.claim_hold("a1", &r.hold_id, Some("d1"), T0 + 2).unwrap();
    // The proxy died mid-call: once the claim is old enough, the hold is settled in full.
    assert!(l.settle_abandoned_claims("a1", T0 + 3, 1_000).is_empty());
    let settled = l.settle_abandoned_claims("a1", T0 + 2 + 1_000, 1_000);
    assert_eq!(settled.len(), 1);
    assert_eq!((settled[0].1.units, settled[0].1.charged), (Some(2_500), c("0.5")));
    assert_eq!((llm(&l), balance(&l)), (0, before.saturating_sub(c("0.5"))));
}
