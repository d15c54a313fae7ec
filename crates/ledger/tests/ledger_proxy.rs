//! The reference ledger's AI-proxy settlement (`reference::proxy`): a claimed hold is
//! settled once from the provider's usage, concurrent or repeated settlements change
//! nothing, and the client's own commit or release of it charges nothing more and
//! reports the proxy's amounts.

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::message::{Response, ResultStatus};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::SnapshotSigner;

const NOW: i64 = 1_700_000_000_000;

fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn ledger() -> RefLedger {
    let mut l = RefLedger::new(SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
    assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"trueRecall"}"#, NOW).contains("true"));
    assert!(l.handle_admin(r#"{"op":"purchase","accountId":"a","purchaseId":"p","packageId":"starter"}"#, NOW).contains("true"));
    l
}

fn push(l: &mut RefLedger, device: &str, mutations: &str) -> Response {
    let body = format!(r#"{{"v":2,"accountId":"a","deviceId":"{device}","mutations":[{mutations}]}}"#);
    credit_meter_base::json::from_str(&l.handle_push(&body, NOW)).unwrap()
}

fn balance(l: &mut RefLedger) -> Credits {
    l.payload_for("a", "d", NOW).unwrap().balance
}

fn held(l: &mut RefLedger) -> Credits {
    l.payload_for("a", "d", NOW).unwrap().held
}

#[test]
fn a_claimed_hold_is_settled_once_and_the_clients_commit_charges_nothing_more() {
    let mut l = ledger();
    let before = balance(&mut l);
    push(&mut l, "d", r#"{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"5","operation":"message"}"#);
    let claim = l.claim_hold("a", "d:h1", Some("d"), NOW).unwrap();
    assert_eq!((claim.amount, claim.operation.as_str()), (c("5"), "message"));
    assert_eq!((claim.units, claim.units_per_credit), (None, None), "a credit hold has no token rate");
    assert_eq!(l.claim_hold("a", "d:h1", None, NOW).unwrap_err().code, ErrorCode::HoldInUse);
    // The client commits while the call runs: applied, no amounts, nothing charged.
    let r = push(&mut l, "d", r#"{"type":"commit","seq":2,"at":0,"holdId":"d:h1","amount":"0.01"}"#);
    assert_eq!(
        (r.results[0].status, r.results[0].settled_by.as_deref(), r.results[0].charged),
        (ResultStatus::Applied, Some("proxy"), None)
    );
    assert_eq!(balance(&mut l), before);
    let (s, first) = l.settle_hold("a", "d:h1", Some(c("1.25")), NOW).unwrap();
    assert!(first);
    assert_eq!(s.charged, c("1.25"));
    assert_eq!(balance(&mut l), before.saturating_sub(c("1.25")));
    // Settling again (a retried or concurrent settlement) changes nothing.
    let (again, first) = l.settle_hold("a", "d:h1", Some(c("4")), NOW).unwrap();
    assert!(!first);
    assert_eq!(again, s);
    assert_eq!(balance(&mut l), before.saturating_sub(c("1.25")));
    // A resent commit is a duplicate with its original result; a release is answered
    // with the settlement.
    let r = push(&mut l, "d", r#"{"type":"commit","seq":2,"at":0,"holdId":"d:h1","amount":"0.01"}"#);
    assert_eq!(r.results[0].status, ResultStatus::Duplicate);
    let r = push(&mut l, "d", r#"{"type":"release","seq":3,"at":0,"holdId":"d:h1"}"#);
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(c("1.25"))));
    assert_eq!(balance(&mut l), before.saturating_sub(c("1.25")));
}

#[test]
fn claims_need_an_open_hold_of_the_device() {
    let mut l = ledger();
    push(
        &mut l,
        "d",
        r#"{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"5","operation":"message"},{"type":"reserve","seq":2,"at":0,"holdId":"d:h2","amount":"5","operation":"message"},{"type":"commit","seq":3,"at":0,"holdId":"d:h2","amount":"1"}"#,
    );
    assert_eq!(l.claim_hold("a", "d:none", None, NOW).unwrap_err().code, ErrorCode::HoldNotOpen);
    assert_eq!(l.claim_hold("a", "d:h1", Some("e"), NOW).unwrap_err().code, ErrorCode::HoldNotOpen);
    assert_eq!(l.claim_hold("a", "d:h2", None, NOW).unwrap_err().code, ErrorCode::HoldNotOpen);
    assert_eq!(l.claim_hold("b", "d:h1", None, NOW).unwrap_err().code, ErrorCode::UnknownAccount);
    assert_eq!(l.settle_hold("a", "d:h1", None, NOW).unwrap_err().code, ErrorCode::NotFound);
    // Released without usage: nothing charged, the hold no longer held.
    l.claim_hold("a", "d:h1", None, NOW).unwrap();
    let before = balance(&mut l);
    let (s, _) = l.settle_hold("a", "d:h1", None, NOW).unwrap();
    assert!(s.charged.is_zero() && s.usage.is_none());
    assert_eq!(balance(&mut l), before);
    assert!(held(&mut l).is_zero());
}

#[test]
fn an_abandoned_claim_is_charged_its_hold_in_full_once() {
    let mut l = ledger();
    let before = balance(&mut l);
    push(&mut l, "d", r#"{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"2","operation":"message"}"#);
    push(&mut l, "d", r#"{"type":"reserve","seq":2,"at":0,"holdId":"d:h2","amount":"3","operation":"message"}"#);
    l.claim_hold("a", "d:h1", Some("d"), NOW).unwrap();
    l.claim_hold("a", "d:h2", Some("d"), NOW).unwrap();
    l.settle_hold("a", "d:h2", Some(c("0.5")), NOW).unwrap();
    // Not yet older than the limit: a call may still be running.
    assert!(l.settle_abandoned_claims("a", NOW + 999, 1000).is_empty());
    assert_eq!(held(&mut l), c("2"));
    // Older: charged the hold in full; the settled claim is left alone; once only.
    let settled = l.settle_abandoned_claims("a", NOW + 1000, 1000);
    assert_eq!(settled.len(), 1);
    assert_eq!((settled[0].0.as_str(), settled[0].1.usage), ("d:h1", Some(c("2"))));
    assert!(l.settle_abandoned_claims("a", NOW + 5000, 1000).is_empty());
    assert_eq!(balance(&mut l), before.saturating_sub(c("2.5")));
    // The proxy's late settlement changes nothing; the client's commit learns the amounts.
    let (s, first) = l.settle_hold("a", "d:h1", Some(c("0.1")), NOW + 6000).unwrap();
    assert!(!first);
    assert_eq!(s.usage, Some(c("2")));
    let r = push(&mut l, "d", r#"{"type":"commit","seq":3,"at":0,"holdId":"d:h1","amount":"0.01"}"#);
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(c("2"))));
    assert_eq!(balance(&mut l), before.saturating_sub(c("2.5")));
}
