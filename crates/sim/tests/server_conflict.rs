//! The ledger tells a resent mutation from a different one that reuses its seq
//! (`docs/PROTOCOL.md` §6.1): duplicates are recognised by content, whatever seq they
//! carry now; a different mutation under a used seq is a `conflict` (`SEQ_CONFLICT`),
//! applies nothing, and stops the rest of the batch.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{Response, ResultStatus};
use credit_meter_protocol::snapshot::SnapshotPayload;
use credit_meter_sim::harness::*;
use serde_json::json;

fn push(l: &mut credit_meter_ledger_core::reference::RefLedger, mutations: serde_json::Value, now: i64) -> (Response, SnapshotPayload) {
    let body = json!({"v":2,"accountId":"a1","deviceId":"d1","mutations":mutations}).to_string();
    let resp: Response = credit_meter_base::json::from_str(&l.handle_push(&body, now)).unwrap();
    let p = resp.snapshot.clone().expect("snapshot").verify(&keys()).unwrap().payload;
    (resp, p)
}

fn reserve(seq: u64, id: &str, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"reserve","seq":seq,"at":T0,"id":id,"holdId":hold,"amount":amount,"operation":"flashcards.generate"})
}
fn commit(seq: u64, id: &str, hold: &str, amount: &str) -> serde_json::Value {
    json!({"type":"commit","seq":seq,"at":T0,"id":id,"holdId":hold,"amount":amount})
}

fn statuses(r: &Response) -> Vec<ResultStatus> {
    r.results.iter().map(|x| x.status).collect()
}

#[test]
fn a_different_mutation_under_a_used_seq_is_a_conflict_not_a_duplicate() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "m1", "d1:a", "10"), commit(2, "m2", "d1:a", "5")]), T0);
    // Same seqs, other content (a restored state): nothing applied, nothing acknowledged.
    let (r, p) = push(&mut l, json!([reserve(1, "m3", "d1:b", "10"), commit(2, "m4", "d1:b", "7"), reserve(3, "m5", "d1:c", "1")]), T0 + 1);
    assert_eq!(statuses(&r), [ResultStatus::Conflict, ResultStatus::Gap, ResultStatus::Gap], "seq 3 is free but must not overtake seq 1");
    assert_eq!(r.results[0].code.as_deref(), Some("SEQ_CONFLICT"));
    assert_eq!((p.balance, p.last_mutation_seq, p.held), (c("495"), 2, c("0")));
    // Renumbered after lastMutationSeq they apply.
    let (r, p) = push(&mut l, json!([reserve(3, "m3", "d1:b", "10"), commit(4, "m4", "d1:b", "7")]), T0 + 2);
    assert_eq!(statuses(&r), [ResultStatus::Applied, ResultStatus::Applied]);
    assert_eq!(p.balance, c("488"));
}

#[test]
fn a_duplicate_is_recognised_under_another_seq() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "m1", "d1:a", "10"), commit(2, "m2", "d1:a", "5")]), T0);
    // The same two mutations renumbered (a copy renumbered them before learning they
    // were applied): duplicates with the original result, charged once.
    let (r, p) = push(&mut l, json!([reserve(5, "m1", "d1:a", "10"), commit(6, "m2", "d1:a", "5")]), T0 + 1);
    assert_eq!(statuses(&r), [ResultStatus::Duplicate, ResultStatus::Duplicate]);
    assert_eq!(r.results[1].charged, Some(c("5")));
    assert_eq!(r.results[1].seq, 6, "a result carries the seq as sent");
    assert_eq!((p.balance, p.last_mutation_seq), (c("495"), 2));
}

#[test]
fn forged_mutations_on_a_devices_next_seqs_do_not_swallow_its_real_ones() {
    // Issue 17 §2, last item: do-nothing mutations pushed on a device's next seqs.
    let mut l = ledger_with("50");
    push(
        &mut l,
        json!([
            json!({"type":"release","seq":1,"at":T0,"id":"x1","holdId":"d1:nope"}),
            json!({"type":"release","seq":2,"at":T0,"id":"x2","holdId":"d1:nope2"})
        ]),
        T0,
    );
    let (r, _) = push(&mut l, json!([reserve(1, "m1", "d1:a", "10"), commit(2, "m2", "d1:a", "9")]), T0 + 1);
    assert_eq!(statuses(&r), [ResultStatus::Conflict, ResultStatus::Gap]);
    let (r, p) = push(&mut l, json!([reserve(3, "m1", "d1:a", "10"), commit(4, "m2", "d1:a", "9")]), T0 + 2);
    assert_eq!(statuses(&r), [ResultStatus::Applied, ResultStatus::Applied]);
    assert_eq!(p.balance, c("491"));
}

#[test]
fn amounts_are_compared_by_value() {
    let mut l = ledger_with("50");
    push(&mut l, json!([reserve(1, "m1", "d1:a", "10")]), T0);
    let (r, _) = push(&mut l, json!([reserve(1, "m1", "d1:a", "10.00")]), T0 + 1);
    assert_eq!(statuses(&r), [ResultStatus::Duplicate]);
    let (r, _) = push(&mut l, json!([reserve(1, "m1", "d1:a", "11")]), T0 + 1);
    assert_eq!(statuses(&r), [ResultStatus::Conflict]);
}
