//! The reference ledger's rules: exactly once, gaps, permanent refusals, hold expiry,
//! the overdraft bound, request errors and the admin API.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{Response, ResultStatus};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::{verify_json, SnapshotPayload};
use credit_meter_sim::harness::*;
use serde_json::json;

fn push(
    l: &mut credit_meter_ledger_core::reference::RefLedger,
    device: &str,
    mutations: serde_json::Value,
    now: i64,
) -> (Response, SnapshotPayload) {
    let body = json!({"v":2,"accountId":"a1","deviceId":device,"mutations":mutations}).to_string();
    let resp: Response = credit_meter_base::json::from_str(&l.handle_push(&body, now)).unwrap();
    let env = resp.snapshot.clone().expect("snapshot");
    let p = env.verify(&keys()).unwrap().payload;
    (resp, p)
}

fn reserve(seq: u64, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"reserve","seq":seq,"at":T0,"holdId":hold,"amount":amount,"operation":"flashcards.generate"})
}
fn commit(seq: u64, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"commit","seq":seq,"at":T0,"holdId":hold,"amount":amount})
}
fn release(seq: u64, hold: &str) -> serde_json::Value {
    json!({"type":"release","seq":seq,"at":T0,"holdId":hold})
}

#[test]
fn each_mutation_applies_once_and_duplicates_return_the_original_result() {
    let mut l = ledger_with("50");
    let batch = json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7")]);
    let (r1, p1) = push(&mut l, "d1", batch.clone(), T0);
    assert_eq!(r1.results.iter().map(|r| r.status).collect::<Vec<_>>(), [ResultStatus::Applied, ResultStatus::Applied]);
    assert_eq!((p1.balance, p1.last_mutation_seq), (c("493"), 2));
    let (r2, p2) = push(&mut l, "d1", batch, T0 + 1);
    assert!(r2.results.iter().all(|r| r.status == ResultStatus::Duplicate && r.original == Some(ResultStatus::Applied)));
    assert_eq!(r2.results[1].charged, Some(c("7")), "the original result");
    assert_eq!(p2.balance, c("493"), "no double charge");
    assert!(p2.seq >= p1.seq);
}

#[test]
fn a_gap_is_refused_without_advancing() {
    let mut l = ledger_with("50");
    let (r, p) = push(&mut l, "d1", json!([reserve(2, "d1:2", "10"), reserve(3, "d1:3", "10")]), T0);
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Gap && x.code.as_deref() == Some("SEQ_GAP")));
    assert_eq!((p.last_mutation_seq, p.held), (0, c("0")));
    let (r, p) = push(&mut l, "d1", json!([reserve(1, "d1:1", "10")]), T0);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    assert_eq!(p.last_mutation_seq, 1);
}

#[test]
fn a_permanent_refusal_still_advances_the_seq() {
    let mut l = ledger_with("50");
    let (r, p) =
        push(&mut l, "d1", json!([reserve(1, "d1:1", "9999"), commit(2, "nope", "1"), release(3, "d2:1"), reserve(4, "d2:9", "1")]), T0);
    let codes: Vec<_> = r.results.iter().map(|x| (x.status, x.code.clone())).collect();
    assert_eq!(codes[0], (ResultStatus::Refused, Some("INSUFFICIENT_CREDITS".into())));
    assert_eq!(codes[1], (ResultStatus::Refused, Some("NOT_FOUND".into())));
    assert_eq!(codes[2], (ResultStatus::Refused, Some("NOT_FOUND".into())));
    assert_eq!(codes[3], (ResultStatus::Refused, Some("BAD_INPUT".into())), "hold ids carry the device's prefix");
    assert_eq!(p.last_mutation_seq, 4);
    assert_eq!(p.balance, c("500"));
}

#[test]
fn orphaned_holds_expire_and_a_late_commit_is_charged() {
    let mut l = ledger_with("50");
    let (_, p) = push(&mut l, "d1", json!([reserve(1, "d1:1", "10")]), T0);
    assert_eq!(p.holds.len(), 1);
    let ttl = p.hold_ttl_ms;
    let pull = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0 + ttl);
    let resp: Response = credit_meter_base::json::from_str(&pull).unwrap();
    let p = resp.snapshot.unwrap().verify(&keys()).unwrap().payload;
    assert!(p.holds.is_empty() && p.held.is_zero(), "expired at its expiresAt");
    let (r, p) = push(&mut l, "d1", json!([commit(2, "d1:1", "6")]), T0 + ttl + 1);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(c("6"))));
    assert_eq!(p.balance, c("494"));
    l.advance(T0 + 10 * ttl);
}

#[test]
fn overdraft_is_bounded_by_the_offline_limit_and_settled_later() {
    let mut l = ledger_with("50");
    // Another device spends everything.
    push(&mut l, "d2", json!([reserve(1, "d2:1", "500"), commit(2, "d2:1", "500")]), T0);
    // d1 was offline: its reserve is refused, but the usage happened.
    let (r, p) = push(
        &mut l,
        "d1",
        json!([reserve(1, "d1:1", "30"), commit(2, "d1:1", "30"), reserve(3, "d1:3", "40"), commit(4, "d1:3", "40")]),
        T0 + 1,
    );
    assert_eq!(r.results[0].code.as_deref(), Some("INSUFFICIENT_CREDITS"));
    assert_eq!((r.results[1].charged, r.results[1].overdraft, r.results[1].unpaid), (Some(c("0")), Some(c("30")), Some(c("0"))));
    assert_eq!((r.results[3].overdraft, r.results[3].unpaid), (Some(c("20")), Some(c("20"))), "only up to the offline limit");
    assert_eq!(p.offline_limit, c("0"));
    let rec = l.account("a1").unwrap();
    assert_eq!(rec.devices["d1"].overdraft, c("50"));
    // A purchase settles the overdraft first.
    let out = l.handle_admin(r#"{"op":"purchase","accountId":"a1","purchaseId":"p2","packageId":"starter"}"#, T0 + 2);
    assert!(out.contains("\"ok\":true"), "{out}");
    let pull = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0 + 3);
    let p = credit_meter_base::json::from_str::<Response>(&pull).unwrap().snapshot.unwrap().verify(&keys()).unwrap().payload;
    assert_eq!((p.balance, p.offline_limit), (c("450"), c("50")));
}

#[test]
fn bad_requests_get_an_error_body_not_a_panic() {
    let mut l = ledger_with("50");
    for body in [
        "",
        "{",
        "null",
        r#"{"v":3,"accountId":"a1","deviceId":"d1","mutations":[]}"#,
        r#"{"v":2,"accountId":"a1","deviceId":"d:1","mutations":[]}"#,
    ] {
        let out = l.handle_push(body, T0);
        assert!(out.contains("\"code\":\"BAD_REQUEST\""), "{body:?} → {out}");
    }
    let out = l.handle_push(r#"{"v":2,"accountId":"zz","deviceId":"d1","mutations":[]}"#, T0);
    assert!(out.contains("UNKNOWN_ACCOUNT"));
    assert!(l.handle_pull("{", T0).contains("BAD_REQUEST"));
}

#[test]
fn admin_commands_run_as_json() {
    let mut l = ledger_with("50");
    assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a2","policy":"assistLore"}"#, T0).contains("\"ok\":true"));
    assert!(l.handle_admin(r#"{"op":"signup","accountId":"a2"}"#, T0).contains("\"ok\":true"));
    assert!(l
        .handle_admin(r#"{"op":"grant","accountId":"a2","grant":{"id":"g1","kind":"promotion","amount":"25"}}"#, T0)
        .contains("\"ok\":true"));
    assert!(l.handle_admin(r#"{"op":"setOfflineLimit","accountId":"a2","deviceId":"d1","limit":"5"}"#, T0).contains("\"ok\":true"));
    let out = l.handle_admin(r#"{"op":"balance","accountId":"a2"}"#, T0);
    assert!(out.contains("\"balance\":\"525\""), "{out}");
    assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a2","policy":"trueRecall"}"#, T0).contains("DUPLICATE_ID"));
    assert!(l.handle_admin("nonsense", T0).contains("BAD_INPUT"));
    let pull = l.handle_pull(r#"{"v":2,"accountId":"a2","deviceId":"d1"}"#, T0);
    let env = credit_meter_base::json::from_str::<Response>(&pull).unwrap().snapshot.unwrap();
    let p = verify_json(&env.to_json(), &keys()).unwrap().payload;
    assert_eq!((p.offline_limit, p.low_balance.clone()), (c("5"), vec![c("100")]));
}

#[test]
fn a_snapshot_lists_the_grants_in_the_order_the_ledger_draws_them() {
    // PROTOCOL §3/§6.4: higher priority first, then the soonest expiry; the client shows
    // the list as received ("in order of use").
    let mut l = ledger_with("50");
    for (id, priority, expires) in [("late", 0, Some(T0 + 90_000_000)), ("first", 5, None), ("soon", 0, Some(T0 + 60_000_000))] {
        let mut grant = json!({"id": id, "kind": "promotion", "amount": "5", "priority": priority});
        if let Some(e) = expires {
            grant["expiresAt"] = json!(e);
        }
        let out = l.handle_admin(&json!({"op":"grant","accountId":"a1","grant": grant}).to_string(), T0);
        assert!(out.contains(r#""ok":true"#), "{out}");
    }
    let (_, p) = push(&mut l, "d1", json!([reserve(1, "d1:1", "7"), commit(2, "d1:1", "7")]), T0);
    // 7 drawn: all 5 of "first" (gone from the list), then 2 of "soon".
    let listed: Vec<(&str, Credits, &str)> = p.grants.iter().map(|g| (g.id.as_str(), g.remaining, g.kind.as_str())).collect();
    assert_eq!(listed[..2], [("soon", c("3"), "promotion"), ("late", c("5"), "promotion")], "{listed:?}");
    assert!(listed[2..].iter().all(|g| g.2 == "purchase"), "the paid package last: {listed:?}");
}
