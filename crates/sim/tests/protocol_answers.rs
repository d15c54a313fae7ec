//! Issue 17 §2: each place an outside implementer had to guess is answered in
//! `docs/PROTOCOL.md`, and each answer is pinned here (names follow the sections).
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{Event, HoldState, Response, ResultStatus, Transport};
use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_protocol::snapshot::SnapshotPayload;
use credit_meter_sim::harness::*;
use serde_json::json;

fn push_raw(l: &mut RefLedger, device: &str, mutations: serde_json::Value, now: i64) -> serde_json::Value {
    let body = json!({"v":2,"accountId":"a1","deviceId":device,"mutations":mutations}).to_string();
    serde_json::from_str(&l.handle_push(&body, now)).unwrap()
}

fn push(l: &mut RefLedger, mutations: serde_json::Value, now: i64) -> (Response, SnapshotPayload) {
    let body = json!({"v":2,"accountId":"a1","deviceId":"d1","mutations":mutations}).to_string();
    let resp: Response = credit_meter_base::json::from_str(&l.handle_push(&body, now)).unwrap();
    let p = resp.snapshot.clone().expect("snapshot").verify(&keys()).unwrap().payload;
    (resp, p)
}

fn pull(l: &mut RefLedger, device: &str, now: i64) -> (serde_json::Value, SnapshotPayload) {
    let out = l.handle_pull(&json!({"v":2,"accountId":"a1","deviceId":device}).to_string(), now);
    let resp: Response = credit_meter_base::json::from_str(&out).unwrap();
    let p = resp.snapshot.expect("snapshot").verify(&keys()).unwrap().payload;
    (serde_json::from_str(&out).unwrap(), p)
}

fn reserve(seq: u64, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"reserve","seq":seq,"at":T0,"holdId":hold,"amount":amount,"operation":"flashcards.generate"})
}

fn code(v: &serde_json::Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn s1_money_and_seq_are_strict_on_the_wire() {
    let mut l = ledger_with("50");
    for amount in ["1e1", "12.5E0", "010", ".5", "-1"] {
        assert_eq!(code(&push_raw(&mut l, "d1", json!([reserve(1, "d1:a", amount)]), T0)), "BAD_REQUEST", "{amount}");
    }
    // 2^53 is not a gap: it is not a counter at all.
    let big = json!([{"type":"reserve","seq":9007199254740992u64,"at":T0,"holdId":"d1:a","amount":"1","operation":"x"}]);
    assert_eq!(code(&push_raw(&mut l, "d1", big, T0)), "BAD_REQUEST");
    // §6.1: a batch where a mutation has no valid integer seq is refused whole.
    let batch = json!([reserve(1, "d1:a", "1"), {"type":"release","seq":"2","at":T0,"holdId":"d1:a"}]);
    assert_eq!(code(&push_raw(&mut l, "d1", batch, T0)), "BAD_REQUEST");
    assert_eq!(l.account("a1").unwrap().devices.get("d1").map_or(0, |d| d.last_seq), 0, "nothing applied");
    let (_, p) = push(&mut l, json!([reserve(1, "d1:a", "12.50")]), T0);
    assert_eq!(p.held, c("12.5"), "trailing zeros are allowed on input");
}

#[test]
fn s1_one_identifier_rule_at_the_ledger() {
    let mut l = ledger_with("50");
    for device in ["x".repeat(129), "a\u{202E}b".to_string(), "a\u{0}b".into(), "a:b".into(), String::new()] {
        assert_eq!(code(&push_raw(&mut l, &device, json!([]), T0)), "BAD_REQUEST", "{device:?}");
    }
    assert!(push_raw(&mut l, &"x".repeat(128), json!([]), T0)["snapshot"].is_object());
}

#[test]
fn s2_2_the_domain_is_24_ascii_bytes_and_a_line_feed() {
    assert_eq!(credit_meter_protocol::snapshot::DOMAIN, b"credit-meter/snapshot/v1\n");
    assert_eq!(b"credit-meter/snapshot/v1".len(), 24);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md")).unwrap();
    assert!(doc.contains("the 24 ASCII bytes `credit-meter/snapshot/v1` followed by one line feed"));
}

#[test]
fn s2_3_a_malformed_envelope_in_a_response_is_bad_response() {
    let mut l = ledger_with("50");
    let good = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0);
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let mut extra = v.clone();
    extra["snapshot"]["extra"] = json!(1);
    v["snapshot"].as_object_mut().unwrap().remove("kid");
    for body in [extra.to_string(), v.to_string()] {
        let mut cl = Client::new("d1");
        cl.m.open(None, T0);
        let Some(credit_meter_client::Action::Pull { token, .. }) = cl.m.poll_action() else { panic!("a pull") };
        cl.m.pull_done(token, Transport::Body(&body), T0);
        let codes: Vec<String> = std::iter::from_fn(|| cl.m.poll_event())
            .filter_map(|e| match e {
                Event::SyncFailed { code, .. } => Some(code),
                _ => None,
            })
            .collect();
        assert_eq!(codes, ["BAD_RESPONSE"]);
    }
}

#[test]
fn s6_2_a_zero_amount_is_refused_bad_input() {
    let mut l = ledger_with("50");
    let (r, p) = push(&mut l, json!([reserve(1, "d1:a", "0")]), T0);
    assert_eq!((r.results[0].status, r.results[0].code.as_deref()), (ResultStatus::Refused, Some("BAD_INPUT")));
    assert_eq!(p.last_mutation_seq, 1, "a refusal advances the seq");
}

#[test]
fn s6_2_a_refused_reserve_ends_the_local_hold_at_once() {
    let mut l = ledger_with("50");
    let mut cl = Client::new("d1");
    cl.open(&mut l, T0);
    // Another device takes almost everything after this one's snapshot.
    let body = json!({"v":2,"accountId":"a1","deviceId":"d2","mutations":[reserve(1, "d2:a", "495")]}).to_string();
    l.handle_push(&body, T0 + 1);
    let r = cl.m.reserve(&req("20"), T0 + 2).unwrap();
    cl.pump(&mut l, T0 + 2);
    let h = cl.m.hold(&r.hold_id).unwrap();
    assert_eq!(h.state, HoldState::Refused);
    let f = cl.m.figures(T0 + 3);
    assert_eq!(f.held_own, c("0"), "the refused hold no longer lowers available");
    assert_eq!(f.available, c("5"));
    assert_eq!(f.exposure, c("20"), "but the call may have run: it stays exposure until expiry");
    // Its commit is still accepted and charged (the usage happened within the room).
    cl.m.commit(&r.hold_id, c("3"), T0 + 4).unwrap();
    cl.pump(&mut l, T0 + 4);
    assert!(cl.m.state().outbox.is_empty());
}

#[test]
fn s6_3_releasing_an_expired_hold_applies_and_a_later_commit_is_charged() {
    let mut l = ledger_with("50");
    let ttl = l.account("a1").unwrap().account.policy().hold_ttl_ms;
    push(&mut l, json!([reserve(1, "d1:a", "10")]), T0);
    let (r, _) = push(&mut l, json!([{"type":"release","seq":2,"at":T0,"holdId":"d1:a"}]), T0 + ttl);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    let (r, p) = push(&mut l, json!([{"type":"commit","seq":3,"at":T0,"holdId":"d1:a","amount":"4"}]), T0 + ttl + 1);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(c("4"))));
    assert_eq!(p.balance, c("496"));
}

#[test]
fn s6_6_a_hold_expires_at_its_expires_at_and_the_seq_bumps_with_time_alone() {
    let mut l = ledger_with("50");
    let (_, p1) = push(&mut l, json!([reserve(1, "d1:a", "10")]), T0);
    let expires = p1.holds[0].expires_at;
    let (_, before) = pull(&mut l, "d1", expires - 1);
    assert_eq!(before.held, c("10"));
    let (body, at) = pull(&mut l, "d1", expires);
    assert_eq!(at.held, c("0"), "not held at expiresAt");
    assert!(at.holds.is_empty());
    assert!(at.seq > before.seq, "an expiry by time alone bumps seq");
    assert_eq!(body["results"], json!([]), "a pull carries an empty results array");
}

#[test]
fn s6_5_an_unknown_device_is_accepted_on_first_contact_with_the_default_limit() {
    let mut l = ledger_with("50");
    let (_, p) = pull(&mut l, "never-seen", T0);
    assert_eq!((p.device_id.as_str(), p.offline_limit, p.last_mutation_seq), ("never-seen", c("50"), 0));
}

fn commit(seq: u64, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"commit","seq":seq,"at":T0,"holdId":hold,"amount":amount})
}

/// Sums `field` ("charged", "overdraft", "unpaid") over results, checking on the way that
/// each applied commit's three parts add up to its amount.
fn total(results: &[(serde_json::Value, &str)], field: &str) -> credit_meter_protocol::money::Credits {
    let mut sum = c("0");
    for (r, amount) in results {
        let part = |f: &str| c(r[f].as_str().unwrap_or("0"));
        let parts = part("charged").checked_add(part("overdraft")).unwrap().checked_add(part("unpaid")).unwrap();
        assert_eq!(parts, c(amount), "§6.4: charged + overdraft + unpaid = x in {r}");
        sum = sum.checked_add(part(field)).unwrap();
    }
    sum
}

#[test]
fn s6_5_no_number_of_device_ids_runs_the_account_past_its_overdraft_limit() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "d1:all", "500"), commit(2, "d1:all", "500")]), T0);
    // Twenty made-up devices each commit 50 over a refused reserve (the balance is 0).
    let mut commits = Vec::new();
    for i in 0..20 {
        let d = format!("x{i}");
        let out = push_raw(&mut l, &d, json!([reserve(1, &format!("{d}:a"), "1"), commit(2, &format!("{d}:a"), "50")]), T0 + 1);
        assert_eq!(out["results"][0]["code"], "INSUFFICIENT_CREDITS");
        commits.push((out["results"][1].clone(), "50"));
    }
    // The reference ledger's account limit is 200 (LedgerConfig::default): four devices'
    // worth is overdraft, the rest of the 1,000 is unpaid.
    assert_eq!(total(&commits, "overdraft"), c("200"));
    assert_eq!(total(&commits, "unpaid"), c("800"));
    // A device that has never overdrawn is offered no offline room once the account is at its limit.
    let (_, p) = pull(&mut l, "fresh", T0 + 2);
    assert_eq!(p.offline_limit, c("0"));
}

#[test]
fn s6_5_expired_holds_vouch_only_within_the_account_overdraft_limit() {
    let mut l = ledger_with("50");
    let ttl = l.account("a1").unwrap().account.policy().hold_ttl_ms;
    // Eight holds of the whole balance, each placed after the one before expired.
    for k in 0..8u64 {
        push(&mut l, json!([reserve(k + 1, &format!("d1:h{k}"), "500")]), T0 + k as i64 * ttl);
    }
    // Then all eight commits arrive: h7 is still open and draws the balance; the seven
    // expired ones may vouch their 500 each, but only 200 in all becomes overdraft.
    let batch: Vec<_> = (0..8u64).map(|k| commit(9 + k, &format!("d1:h{k}"), "500")).collect();
    let out = push_raw(&mut l, "d1", json!(batch), T0 + 7 * ttl + 1);
    let results: Vec<_> = (0..8).map(|k| (out["results"][k].clone(), "500")).collect();
    assert!(results.iter().all(|(r, _)| r["status"] == "applied"), "{out}");
    assert_eq!(total(&results, "charged"), c("500"), "the open hold's commit");
    assert_eq!(total(&results, "overdraft"), c("200"));
    assert_eq!(total(&results, "unpaid"), c("3300"));
}

#[test]
fn s6_4_each_commit_takes_what_is_spendable_when_applied_and_vouches_its_own_hold() {
    let mut l = ledger_with("50");
    let ttl = l.account("a1").unwrap().account.policy().hold_ttl_ms;
    // Two holds of 300 and 200 expire; another device then takes 400 of the 500.
    push(&mut l, json!([reserve(1, "d1:a", "300"), reserve(2, "d1:b", "200")]), T0);
    push_raw(&mut l, "d2", json!([reserve(1, "d2:z", "400"), commit(2, "d2:z", "400")]), T0 + ttl);
    let out = push_raw(&mut l, "d1", json!([commit(3, "d1:a", "150"), commit(4, "d1:b", "120")]), T0 + ttl + 1);
    // In push order: a takes the 100 spendable and vouches 50 of its 300; b finds nothing
    // spendable and vouches 120 of its 200. Vouched credits are overdraft, whatever the offline limit.
    assert_eq!((out["results"][0]["charged"].as_str(), out["results"][0]["overdraft"].as_str()), (Some("100"), Some("50")));
    assert_eq!((out["results"][1]["charged"].as_str(), out["results"][1]["overdraft"].as_str()), (Some("0"), Some("120")));
    assert_eq!(total(&[(out["results"][0].clone(), "150"), (out["results"][1].clone(), "120")], "unpaid"), c("0"));
    // The snapshot after the push: the vouched 170 do not shrink the offline limit (50),
    // the account's room (200 − 170 = 30) does.
    let (_, p) = pull(&mut l, "d1", T0 + ttl + 2);
    assert_eq!(p.offline_limit, c("30"));
}

#[test]
fn s6_5_settlement_runs_after_the_push_in_device_order_and_shows_in_no_result() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "d1:all", "500"), commit(2, "d1:all", "500")]), T0);
    // Two devices overdraw 30 and 20 over refused reserves.
    for (d, x) in [("b", "30"), ("a", "20")] {
        push_raw(&mut l, d, json!([reserve(1, &format!("{d}:r"), "1"), commit(2, &format!("{d}:r"), x)]), T0 + 1);
    }
    // A grant of 25 settles a's 20 first (device-id order), then 5 of b's 30, as debits
    // that no result shows: a's room is whole again, b's is 50 − 25.
    let body = json!({"op":"grant","accountId":"a1","grant":{"id":"g1","kind":"promotion","amount":"25"}}).to_string();
    let out: serde_json::Value = serde_json::from_str(&l.handle_admin(&body, T0 + 2)).unwrap();
    assert_eq!(out["ok"], true, "{out}");
    let (_, pa) = pull(&mut l, "a", T0 + 3);
    let (_, pb) = pull(&mut l, "b", T0 + 3);
    assert_eq!(pa.balance, c("0"), "all 25 went to settling");
    assert_eq!((pa.offline_limit, pb.offline_limit), (c("50"), c("25")));
}

#[test]
fn s6_2_outstanding_overdraft_leaves_nothing_spendable_after_a_push() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "d1:all", "500"), commit(2, "d1:all", "500")]), T0);
    push_raw(&mut l, "a", json!([reserve(1, "a:r", "1"), commit(2, "a:r", "20")]), T0 + 1);
    // 10 credits arrive: all of them settle a's overdraft, so a reserve of 1 is refused.
    let body = json!({"op":"grant","accountId":"a1","grant":{"id":"g1","kind":"promotion","amount":"10"}}).to_string();
    l.handle_admin(&body, T0 + 2);
    let (r, p) = push(&mut l, json!([reserve(3, "d1:x", "1")]), T0 + 3);
    assert_eq!((p.balance, r.results[0].code.as_deref()), (c("0"), Some("INSUFFICIENT_CREDITS")));
}

#[test]
fn s6_5_settling_waits_for_the_end_of_the_push() {
    let mut l = ledger_with("50");
    // d1 holds 30; another device spends the other 470; device a overdraws 20.
    push(&mut l, json!([reserve(1, "d1:h", "30")]), T0);
    push_raw(&mut l, "x", json!([reserve(1, "x:r", "470"), commit(2, "x:r", "470")]), T0 + 1);
    push_raw(&mut l, "a", json!([reserve(1, "a:r", "1"), commit(2, "a:r", "20")]), T0 + 2);
    // In one push d1 releases its 30 and reserves 25: the release does not settle a's
    // overdraft in the middle of the batch, so the 25 fit; after the push, what is still
    // spendable (5) settles 5 of a's 20.
    let (r, p) = push(&mut l, json!([{"type":"release","seq":2,"at":T0,"holdId":"d1:h"}, reserve(3, "d1:k", "25")]), T0 + 3);
    assert_eq!(r.results[1].status, ResultStatus::Applied, "{:?}", r.results);
    assert_eq!((p.balance, p.held), (c("25"), c("25")));
    let (_, pa) = pull(&mut l, "a", T0 + 4);
    assert_eq!(pa.offline_limit, c("35"), "a still owes 15");
}

#[test]
fn s6_5_within_a_device_the_vouched_part_is_settled_first() {
    let mut l = ledger_with("50");
    let ttl = l.account("a1").unwrap().account.policy().hold_ttl_ms;
    // d1's hold of 50 expires, d2 spends everything, then d1 commits the 50 (vouched)
    // and 20 more over a refused reserve (not vouched): d1 owes 70.
    push(&mut l, json!([reserve(1, "d1:a", "50")]), T0);
    push_raw(&mut l, "d2", json!([reserve(1, "d2:z", "500"), commit(2, "d2:z", "500")]), T0 + ttl);
    let (r, _) = push(&mut l, json!([commit(2, "d1:a", "50"), reserve(3, "d1:b", "1"), commit(4, "d1:b", "20")]), T0 + ttl + 1);
    assert_eq!((r.results[0].overdraft, r.results[2].overdraft), (Some(c("50")), Some(c("20"))));
    let (_, before) = pull(&mut l, "d1", T0 + ttl + 2);
    assert_eq!(before.offline_limit, c("30"), "only the unvouched 20 shrink the device's room");
    // 30 credits settle 30 of the vouched 50 first: the unvouched 20 still count.
    let body = json!({"op":"grant","accountId":"a1","grant":{"id":"g1","kind":"promotion","amount":"30"}}).to_string();
    l.handle_admin(&body, T0 + ttl + 3);
    let (_, after) = pull(&mut l, "d1", T0 + ttl + 4);
    assert_eq!(after.offline_limit, c("30"), "vouched first: the room is unchanged");
}

#[test]
fn s6_4_an_expired_hold_is_charged_once_whatever_the_number_of_commit_mutations() {
    let mut l = ledger_with("50");
    let ttl = l.account("a1").unwrap().account.policy().hold_ttl_ms;
    push(&mut l, json!([reserve(1, "d1:a", "20")]), T0);
    // The same usage committed twice, by two different mutations (a restored state made
    // the commit again with a new id), both arriving after the hold expired.
    let first = json!({"type":"commit","seq":2,"at":T0,"id":"firstcommit","holdId":"d1:a","amount":"7"});
    let second = json!({"type":"commit","seq":3,"at":T0,"id":"secondcommit","holdId":"d1:a","amount":"7"});
    let (r, p) = push(&mut l, json!([first, second]), T0 + ttl + 1);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(c("7"))));
    assert_eq!((r.results[1].status, r.results[1].code.as_deref()), (ResultStatus::Refused, Some("NOT_FOUND")));
    assert_eq!(p.balance, c("493"), "charged once");
    let (r, _) = push(&mut l, json!([{"type":"release","seq":4,"at":T0,"holdId":"d1:a"}]), T0 + ttl + 2);
    assert_eq!(r.results[0].code.as_deref(), Some("NOT_FOUND"), "settled: nothing left to release");
}
