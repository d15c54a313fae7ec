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
