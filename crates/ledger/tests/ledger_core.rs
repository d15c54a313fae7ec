//! Ledger mechanics independent of a product: consumption order, previews, holds, expiry
//! at the boundary, replay, thresholds, serde and error codes.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_ledger_core::model::*;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::money::Credits;

fn cr(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn promo(id: &str, amount: &str, expires_at: Option<i64>, priority: Option<i32>) -> GrantRequest {
    GrantRequest { id: id.into(), kind: GrantKind::Promotion, amount: cr(amount), expires_at, priority }
}

fn debit(amount: &str) -> DebitRequest {
    DebitRequest { amount: cr(amount), operation: "op".into(), agent_id: None }
}

fn hold(id: &str, amount: &str, expires_at: Option<i64>) -> HoldRequest {
    HoldRequest { hold_id: id.into(), amount: cr(amount), operation: "op".into(), agent_id: None, expires_at }
}

fn account() -> Account {
    Account::new(Policy::true_recall()).unwrap()
}

fn assert_replays(a: &Account) {
    assert_eq!(&replay(a.policy(), a.entries()).unwrap(), a.state());
}

#[test]
fn order_priority_then_expiry_then_granted_then_oldest_then_id() {
    let mut a = account();
    a.grant(&promo("never", "10", None, None), 0).unwrap();
    a.grant(&promo("late", "10", Some(2_000), None), 0).unwrap();
    a.grant(&promo("soon", "10", Some(1_000), None), 0).unwrap();
    a.grant(&promo("vip", "10", None, Some(5)), 0).unwrap();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "starter".into() }, 0).unwrap();
    a.grant(&promo("b-young", "10", None, None), 5).unwrap();
    a.grant(&promo("a-young", "10", None, None), 5).unwrap();
    let p = a.preview_debit(cr("555"), 10).unwrap();
    let ids: Vec<_> = p.draws.iter().map(|d| d.grant_id.as_str()).collect();
    assert_eq!(ids, ["vip", "soon", "late", "never", "a-young", "b-young", "p"]);
    assert!(p.sufficient);
    assert_eq!(p.draws.last().unwrap().amount, cr("495"), "60 from the promotions, the rest from the purchase");
}

#[test]
fn preview_is_exactly_what_the_debit_draws() {
    let mut a = account();
    a.grant(&promo("x", "3", Some(100), None), 0).unwrap();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "pro".into() }, 0).unwrap();
    let p = a.preview_debit(cr("600"), 50).unwrap();
    let e = a.debit(&debit("600"), 50).unwrap();
    let EntryKind::Debit { draws, .. } = &e.kind else { panic!("{e:?}") };
    let previewed: Vec<Draw> = p.draws.iter().map(|d| Draw { grant_id: d.grant_id.clone(), amount: d.amount }).collect();
    assert_eq!(&previewed, draws);
    assert_eq!(draws.iter().map(|d| d.grant_id.as_str()).collect::<Vec<_>>(), ["x", "p:bonus", "p"]);
}

#[test]
fn preview_reports_a_shortfall_without_changing_anything() {
    let mut a = account();
    a.grant(&promo("x", "5", None, None), 0).unwrap();
    let before = a.entries().len();
    let p = a.preview_debit(cr("8"), 1).unwrap();
    assert!(!p.sufficient);
    assert_eq!(p.shortfall, cr("3"));
    assert_eq!(a.entries().len(), before);
    let err = a.debit(&debit("8"), 1).unwrap_err();
    assert_eq!(err.code(), "INSUFFICIENT_CREDITS");
    assert_eq!(a.entries().len(), before, "a refused debit records nothing");
}

#[test]
fn a_grant_expiring_at_t_is_unusable_at_t() {
    let mut a = account();
    a.grant(&promo("x", "5", Some(1_000), None), 0).unwrap();
    assert_eq!(a.available(999).unwrap(), cr("5"));
    assert_eq!(a.available(1_000).unwrap(), Credits::ZERO);
    let last = a.entries().last().unwrap();
    assert_eq!(last.kind, EntryKind::Expire { grant_id: "x".into(), amount: cr("5") });
    assert_eq!(last.at, 1_000, "the expiry is recorded at its own instant");
    let g = &a.state().grants[0];
    assert_eq!((g.expired, g.remaining), (cr("5"), Credits::ZERO));
}

#[test]
fn expiry_is_recorded_at_its_instant_even_when_noticed_later() {
    let mut a = account();
    a.grant(&promo("x", "5", Some(1_000), None), 0).unwrap();
    a.grant(&promo("y", "5", None, None), 0).unwrap();
    a.debit(&debit("1"), 5_000).unwrap();
    let kinds: Vec<_> = a.entries().iter().map(|e| (e.at, e.kind.name())).collect();
    assert_eq!(kinds, [(0, "grant"), (0, "grant"), (1_000, "expire"), (5_000, "debit")]);
}

#[test]
fn holds_reserve_commit_less_and_release_the_rest() {
    let mut a = account();
    a.grant(&promo("x", "100", None, None), 0).unwrap();
    let h = a.reserve(&hold("h1", "30", None), 0).unwrap();
    assert_eq!(h.expires_at, 10 * 60_000);
    assert_eq!(a.available(1).unwrap(), cr("70"));
    assert_eq!(a.debit(&debit("71"), 1).unwrap_err().code(), "INSUFFICIENT_CREDITS");
    let e = a.commit("h1", cr("12"), 2).unwrap();
    let EntryKind::Debit { amount, released, hold_id, .. } = &e.kind else { panic!() };
    assert_eq!((*amount, *released, hold_id.as_deref()), (cr("12"), cr("18"), Some("h1")));
    assert_eq!(a.available(3).unwrap(), cr("88"));
    assert_eq!(a.state().hold("h1").unwrap().status, HoldStatus::Committed);
    assert_eq!(a.commit("h1", cr("1"), 4).unwrap_err().code(), "NOT_FOUND");
    assert_replays(&a);
}

#[test]
fn a_commit_cannot_exceed_its_hold_and_a_release_gives_all_back() {
    let mut a = account();
    a.grant(&promo("x", "100", None, None), 0).unwrap();
    a.reserve(&hold("h", "10", None), 0).unwrap();
    let err = a.commit("h", cr("11"), 1).unwrap_err();
    assert_eq!(err.code(), "HOLD_EXCEEDED");
    a.release("h", 2).unwrap();
    assert_eq!(a.available(2).unwrap(), cr("100"));
    assert_eq!(a.reserve(&hold("h", "1", None), 3).unwrap_err().code(), "DUPLICATE_ID", "hold ids are never reused");
}

#[test]
fn a_hold_expiring_at_t_is_released_at_t() {
    let mut a = account();
    a.grant(&promo("x", "100", None, None), 0).unwrap();
    a.reserve(&hold("h", "40", Some(500)), 0).unwrap();
    assert_eq!(a.available(499).unwrap(), cr("60"));
    assert_eq!(a.available(500).unwrap(), cr("100"));
    assert_eq!(a.state().hold("h").unwrap().status, HoldStatus::Expired);
    assert_eq!(a.commit("h", cr("1"), 500).unwrap_err().code(), "NOT_FOUND");
}

#[test]
fn a_commit_draws_in_the_order_at_commit_time() {
    let mut a = account();
    a.grant(&promo("old", "100", None, None), 0).unwrap();
    a.reserve(&hold("h", "10", None), 0).unwrap();
    a.grant(&promo("urgent", "5", Some(10_000), None), 1).unwrap();
    let e = a.commit("h", cr("10"), 2).unwrap();
    let EntryKind::Debit { draws, .. } = e.kind else { panic!() };
    assert_eq!(draws, [Draw { grant_id: "urgent".into(), amount: cr("5") }, Draw { grant_id: "old".into(), amount: cr("5") }]);
}

#[test]
fn a_commit_whose_credits_expired_meanwhile_is_refused() {
    let mut a = account();
    a.grant(&promo("x", "10", Some(100), None), 0).unwrap();
    a.reserve(&hold("h", "10", Some(1_000)), 0).unwrap();
    let err = a.commit("h", cr("10"), 200).unwrap_err();
    assert_eq!(err.code(), "INSUFFICIENT_CREDITS");
    assert!(a.state().hold("h").unwrap().is_open(), "the hold stays open for the host to resolve");
}

#[test]
fn replay_rebuilds_the_state_and_refuses_tampering() {
    let mut a = account();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "pro".into() }, 0).unwrap();
    a.grant(&promo("x", "7", Some(50), None), 0).unwrap();
    a.reserve(&hold("h", "30", None), 10).unwrap();
    a.commit("h", cr("20"), 20).unwrap();
    a.debit(&debit("1.5"), 100).unwrap();
    assert_replays(&a);
    let again = Account::from_entries(Policy::true_recall(), a.entries().to_vec()).unwrap();
    assert_eq!(again.state(), a.state());

    let mut forged = a.entries().to_vec();
    forged[3].balance_after = cr("99999");
    assert_eq!(replay(a.policy(), &forged).unwrap_err().code(), "REPLAY_MISMATCH");
    let mut reordered = a.entries().to_vec();
    reordered.swap(1, 2);
    assert_eq!(replay(a.policy(), &reordered).unwrap_err().code(), "REPLAY_MISMATCH");
    let mut overdrawn = a.entries().to_vec();
    if let EntryKind::Debit { draws, amount, .. } = &mut overdrawn.last_mut().unwrap().kind {
        *amount = cr("5000");
        draws[0].amount = cr("5000");
    }
    assert_eq!(replay(a.policy(), &overdrawn).unwrap_err().code(), "REPLAY_MISMATCH");
}

#[test]
fn entries_round_trip_through_json_and_replay() {
    let mut a = account();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "pro".into() }, 0).unwrap();
    a.reserve(&hold("h", "3", None), 1).unwrap();
    a.commit("h", cr("2.25"), 2).unwrap();
    a.refund("p", 3).unwrap();
    let json = credit_meter_base::json::to_string(a.entries());
    assert!(json.contains(r#""type":"debit""#) && json.contains(r#""balanceAfter":"#) && json.contains(r#""amount":"2.25""#), "{json}");
    let back: Vec<Entry> = credit_meter_base::json::from_str(&json).unwrap();
    assert_eq!(back, a.entries());
    assert_eq!(&replay(a.policy(), &back).unwrap(), a.state());
}

#[test]
fn state_and_views_serialise_in_camel_case_with_decimal_strings() {
    let mut a = account();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "starter".into() }, 0).unwrap();
    let v: serde_json::Value = serde_json::from_str(&credit_meter_base::json::to_string(&a.balance(1).unwrap())).unwrap();
    assert_eq!(v["balance"], "500");
    assert_eq!(v["grants"][0]["refundableUntil"], 14 * 86_400_000);
    assert_eq!(v["grants"][0]["priceUsd"], "2.5");
    assert_eq!(v["grants"][0]["status"], "active");
    assert_eq!(v["grants"][0]["refundable"], true);
    let s = credit_meter_base::json::to_string(a.state());
    let back: LedgerState = credit_meter_base::json::from_str(&s).unwrap();
    assert_eq!(&back, a.state());
}

#[test]
fn time_never_goes_back() {
    let mut a = account();
    a.grant(&promo("x", "1", None, None), 100).unwrap();
    let err = a.debit(&debit("1"), 99).unwrap_err();
    assert_eq!(err.code(), "CLOCK_BACKWARDS");
}

#[test]
fn absolute_threshold_fires_once_per_crossing_and_rearms_above() {
    let mut p = Policy::true_recall();
    p.low_balance = vec![Threshold::Absolute { credits: cr("10") }];
    let mut a = Account::new(p).unwrap();
    a.grant(&promo("x", "20", None, None), 0).unwrap();
    assert!(a.take_notices().is_empty());
    a.debit(&debit("11"), 1).unwrap();
    let n = a.take_notices();
    assert!(matches!(n.as_slice(), [Notice::LowBalance { threshold: 0, balance, .. }] if *balance == cr("9")), "{n:?}");
    a.debit(&debit("1"), 2).unwrap();
    a.debit(&debit("1"), 3).unwrap();
    assert!(a.take_notices().is_empty(), "not on every debit");
    a.grant(&promo("y", "10", None, None), 4).unwrap();
    assert!(a.take_notices().is_empty());
    a.debit(&debit("8"), 5).unwrap();
    assert_eq!(a.take_notices().len(), 1, "re-armed after going back above");
}

#[test]
fn percent_threshold_measures_against_the_last_top_up() {
    let mut a = account(); // 10 % of the last top-up
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "starter".into() }, 0).unwrap();
    a.debit(&debit("450"), 1).unwrap();
    assert!(a.take_notices().is_empty(), "50 is not below 10 % of 500");
    a.debit(&debit("0.001"), 2).unwrap();
    assert_eq!(a.take_notices().len(), 1);
    assert!(a.balance(3).unwrap().low);
    a.reserve(&hold("h", "1", None), 4).unwrap();
    a.release("h", 5).unwrap();
    assert!(a.take_notices().is_empty(), "holds do not count");
}

#[test]
fn oversized_amounts_are_refused_not_panicking() {
    let mut a = account();
    a.grant(&promo("x", "1000000000000000", None, None), 0).unwrap();
    let err = a.grant(&promo("y", "1", None, None), 0).unwrap_err();
    assert_eq!(err.code(), "BAD_AMOUNT");
    let err = a.grant(&promo("z", "1", Some(i64::MIN), None), 0).unwrap_err();
    assert_eq!(err.code(), "BAD_INPUT", "an already-expired grant is refused: {err}");
    assert!(a.reserve(&hold("h", "1", Some(i64::MAX)), 0).is_ok());
    assert!(a.advance(i64::MAX).is_ok());
}

#[test]
fn duplicate_grant_and_purchase_ids_are_refused() {
    let mut a = account();
    a.grant(&promo("x", "1", None, None), 0).unwrap();
    assert_eq!(a.grant(&promo("x", "1", None, None), 0).unwrap_err().code(), "DUPLICATE_ID");
    let buy = PurchaseRequest { purchase_id: "p".into(), package_id: "pro".into() };
    a.purchase(&buy, 0).unwrap();
    assert_eq!(a.purchase(&buy, 1).unwrap_err().code(), "DUPLICATE_ID", "a retried purchase grants nothing twice");
    assert_eq!(a.purchase(&PurchaseRequest { purchase_id: "q".into(), package_id: "nope".into() }, 1).unwrap_err().code(), "NOT_FOUND");
}

#[test]
fn policies_validate() {
    let mut p = Policy::true_recall();
    p.credit_step = Credits::ZERO;
    assert_eq!(Account::new(p).unwrap_err().code(), "BAD_INPUT");
    let mut p = Policy::assist_lore();
    p.initial_plan = Some("gold".into());
    assert!(p.validate().is_err());
    let mut p = Policy::assist_lore();
    p.agents.as_mut().unwrap().cycle_ms = 1;
    assert_eq!(p.validate().unwrap_err().code(), "BAD_INPUT", "a one-millisecond agent cycle would make catching up unbounded");
    assert!(Policy::from_json("{}").is_err());
}
