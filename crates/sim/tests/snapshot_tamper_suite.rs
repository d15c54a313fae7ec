//! The tamper suite (after TUF's conformance cases): each attack on the signed snapshot
//! is one named test, run through the sync machine where the client's reaction matters.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{Action, Config, Event, Machine, Response, SyncError, Transport};
use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::snapshot::*;
use credit_meter_sim::harness::*;

/// A second ledger key, for rotation (`k2` sorts after `k1`).
fn signer2() -> SnapshotSigner {
    SnapshotSigner::from_seed("k2", &[9; 32])
}

fn keys_both() -> PublicKeys {
    let mut k = keys();
    k.insert("k2", &signer2().public_key()).unwrap();
    k
}

/// What the ledger would sign for device d1 of account a1 at `now`.
fn payload_at(l: &mut RefLedger, now: i64) -> SnapshotPayload {
    l.payload_for("a1", "d1", now).unwrap()
}

/// A pull response carrying `env`.
fn response(env: Envelope) -> String {
    credit_meter_base::json::to_string(&Response { v: 2, snapshot: Some(env), results: Vec::new(), error: None })
}

/// Asks the machine to sync and answers its pulls with `body` (the attacker's answer to
/// everything); saves succeed. Returns the events.
fn pull_with(m: &mut Machine, body: &str, now: i64) -> Vec<Event> {
    m.sync(now);
    answer_pulls(m, body, now)
}

fn answer_pulls(m: &mut Machine, body: &str, now: i64) -> Vec<Event> {
    let mut answered = 0;
    while let Some(a) = m.poll_action() {
        match a {
            Action::Save { token, .. } => m.save_done(token, true, now),
            Action::Pull { token, .. } if answered < 5 => {
                answered += 1;
                m.pull_done(token, Transport::Body(body), now);
            }
            Action::Pull { .. } | Action::Push { .. } => {}
        }
    }
    assert!(answered > 0, "the machine pulled");
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn failure(events: &[Event]) -> Option<&str> {
    events.iter().find_map(|e| match e {
        Event::SyncFailed { code, .. } => Some(code.as_str()),
        _ => None,
    })
}

/// A machine for a1/d1 holding the ledger's snapshot at `now`.
fn synced(l: &mut RefLedger, keys: PublicKeys, now: i64) -> Machine {
    let mut m = Machine::new(Config::new("a1", "d1"), keys);
    m.open(None, now);
    let events = answer_pulls(&mut m, &response(signer().sign(&payload_at(l, now))), now);
    assert_eq!(failure(&events), None);
    m
}

#[test]
fn every_single_bit_flip_of_a_snapshot_envelope_is_rejected() {
    let mut l = ledger_with("50");
    let json = signer().sign(&payload_at(&mut l, T0)).to_json();
    assert!(verify_json(&json, &keys()).is_ok());
    let mut flips = 0;
    for i in 0..json.len() {
        for bit in 0..8 {
            let mut bytes = json.clone().into_bytes();
            bytes[i] ^= 1 << bit;
            // Bytes that are not UTF-8 are refused by the JSON parser like any other.
            let verdict = std::str::from_utf8(&bytes)
                .map_err(|_| ())
                .and_then(|t| credit_meter_base::json::from_str::<Envelope>(t).map_err(|_| ()))
                .and_then(|e| e.verify(&keys()).map_err(|_| ()));
            assert!(verdict.is_err(), "flipping bit {bit} of byte {i} ({:?}) was accepted", json.as_bytes()[i] as char);
            flips += 1;
        }
    }
    assert_eq!(flips, json.len() * 8);
}

#[test]
fn rollback_to_an_older_snapshot_is_refused() {
    let mut l = ledger_with("50");
    let old = signer().sign(&payload_at(&mut l, T0));
    // The ledger moves on (a purchase bumps its version); the client takes the new one.
    l.with_account("a1", T0 + 10, |a, now| {
        a.purchase(&credit_meter_ledger_core::model::PurchaseRequest { purchase_id: "p2".into(), package_id: "starter".into() }, now)
    })
    .unwrap();
    let mut m = synced(&mut l, keys(), T0 + 20);
    let held = m.figures(T0 + 20).seq;
    assert!(held > old_seq(&old));
    let events = pull_with(&mut m, &response(old), T0 + 30);
    assert_eq!(failure(&events), Some("ROLLBACK"));
    assert_eq!(m.figures(T0 + 30).seq, held, "the newer snapshot is kept");
}

fn old_seq(env: &Envelope) -> u64 {
    env.clone().verify(&keys()).unwrap().payload.seq
}

#[test]
fn freeze_an_expired_snapshot_replayed_forever_only_allows_offline_spending() {
    let mut l = ledger_with("50");
    let frozen = signer().sign(&payload_at(&mut l, T0));
    let mut m = synced(&mut l, keys(), T0);
    let later = T0 + 3_600_000;
    // The attacker answers every pull with the same, now expired, snapshot.
    let events = pull_with(&mut m, &response(frozen), later);
    assert_eq!(failure(&events), None, "the same answer twice is not an error");
    let f = m.figures(later);
    assert_eq!(f.freshness, Freshness::Stale);
    assert_eq!(f.balance, c("500"));
    // Beyond the offline limit: refused; within it: allowed.
    assert!(matches!(m.reserve(&req("51"), later), Err(SyncError::OfflineLimit { .. })));
    assert!(m.reserve(&req("50"), later).is_ok());
    // And the client keeps trying to reach the ledger.
    assert!(m.next_timeout().is_some());
}

#[test]
fn fast_forward_then_key_rotation_recovers_and_refuses_the_old_key() {
    let mut l = ledger_with("50");
    let mut m = synced(&mut l, keys_both(), T0);
    // A compromised k1 (or a ledger bug) pushes the version far ahead.
    let mut forward = payload_at(&mut l, T0 + 10);
    forward.seq += 1_000_000_000;
    let forward = signer().sign(&forward);
    assert_eq!(failure(&pull_with(&mut m, &response(forward.clone()), T0 + 10)), None);
    assert!(m.figures(T0 + 10).seq > 1_000_000_000);
    // The honest ledger, still on k1, is now refused: the client is locked out.
    let honest = signer().sign(&payload_at(&mut l, T0 + 20));
    assert_eq!(failure(&pull_with(&mut m, &response(honest.clone()), T0 + 20)), Some("ROLLBACK"));
    // The ledger rotates to k2: the client recovers at the ledger's real version…
    l.rotate_key(signer2());
    let rotated = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0 + 30);
    assert_eq!(failure(&pull_with(&mut m, &rotated, T0 + 30)), None);
    let version = l.account("a1").unwrap().version;
    assert_eq!(m.figures(T0 + 30).seq, version);
    assert_eq!(m.state().snapshot.as_ref().unwrap().envelope.kid, "k2");
    // …and no longer trusts anything signed with the old key: neither the fast-forwarded
    // snapshot nor an honest one replayed late.
    for old in [forward, honest] {
        assert_eq!(failure(&pull_with(&mut m, &response(old), T0 + 40)), Some("ROLLBACK"));
        assert_eq!(m.figures(T0 + 40).seq, version);
    }
    // It is not stuck: a reserve is pushed and acknowledged under k2.
    let r = m.reserve(&req("5"), T0 + 50).unwrap();
    m.sync(T0 + 50); // retry now, not after the backoff of the refused answers
    let mut acked = false;
    for _ in 0..10 {
        let Some(a) = m.poll_action() else { break };
        match a {
            Action::Save { token, .. } => m.save_done(token, true, T0 + 50),
            Action::Push { token, request } => {
                let body = l.handle_push(&request, T0 + 50);
                m.push_done(token, Transport::Body(&body), T0 + 50);
            }
            Action::Pull { token, request } => {
                let body = l.handle_pull(&request, T0 + 50);
                m.pull_done(token, Transport::Body(&body), T0 + 50);
            }
        }
        acked |=
            std::iter::from_fn(|| m.poll_event()).any(|e| matches!(e, Event::Acknowledged(a) if a.hold_id == r.hold_id && a.confirmed));
    }
    assert!(acked, "the reserve was confirmed by the ledger under the new key");
}

#[test]
fn an_unknown_key_id_is_refused() {
    let mut l = ledger_with("50");
    let mut m = synced(&mut l, keys(), T0);
    let held = m.figures(T0).seq;
    let mut p = payload_at(&mut l, T0 + 10);
    p.seq += 1;
    let events = pull_with(&mut m, &response(signer2().sign(&p)), T0 + 10);
    assert_eq!(failure(&events), Some("UNKNOWN_KEY"));
    assert_eq!(m.figures(T0 + 10).seq, held);
}

#[test]
fn a_wrong_algorithm_or_envelope_version_is_refused() {
    let mut l = ledger_with("50");
    let mut m = synced(&mut l, keys(), T0);
    let env = signer().sign(&payload_at(&mut l, T0 + 10));
    let mut alg = env.clone();
    alg.alg = "EdDSA".into();
    let mut version = env.clone();
    version.v = 2;
    for bad in [alg, version] {
        assert_eq!(bad.clone().verify(&keys()).unwrap_err().code(), "BAD_SIGNATURE");
        assert_eq!(failure(&pull_with(&mut m, &response(bad), T0 + 10)), Some("BAD_SIGNATURE"));
    }
}

#[test]
fn a_snapshot_signed_for_another_account_is_refused() {
    let mut l = ledger_with("50");
    l.create_account("a2", credit_meter_ledger_core::model::Policy::true_recall()).unwrap();
    let mut m = synced(&mut l, keys(), T0);
    let other = l.payload_for("a2", "d1", T0 + 10).unwrap();
    let events = pull_with(&mut m, &response(signer().sign(&other)), T0 + 10);
    assert_eq!(failure(&events), Some("WRONG_ACCOUNT"));
    assert_eq!(m.figures(T0 + 10).balance, c("500"), "a2's empty balance was not taken");
}

#[test]
fn a_snapshot_signed_for_another_device_is_refused() {
    let mut l = ledger_with("50");
    let mut m = synced(&mut l, keys(), T0);
    let mut other = l.payload_for("a1", "d2", T0 + 10).unwrap();
    other.offline_limit = c("1000");
    let events = pull_with(&mut m, &response(signer().sign(&other)), T0 + 10);
    assert_eq!(failure(&events), Some("WRONG_ACCOUNT"));
    assert_eq!(m.figures(T0 + 10).room, c("50"), "d2's offline limit was not taken");
}

#[test]
fn issued_at_in_the_future_within_the_skew_window_is_trusted() {
    let mut l = ledger_with("50");
    // The ledger's clock is ahead of the device's by exactly the skew window.
    let mut m = synced(&mut l, keys(), T0);
    let ahead = signer().sign(&payload_at(&mut l, T0 + CLOCK_SKEW_MS));
    let now = T0 + 1;
    assert_eq!(failure(&pull_with(&mut m, &response(ahead), now)), None);
    assert_eq!(m.figures(now).freshness, Freshness::Fresh);
    assert!(m.reserve(&req("100"), now).is_ok(), "fresh: spending up to the balance");
}

#[test]
fn issued_at_in_the_future_beyond_the_skew_window_is_not_trusted() {
    let mut l = ledger_with("50");
    let mut m = synced(&mut l, keys(), T0);
    let ahead = signer().sign(&payload_at(&mut l, T0 + CLOCK_SKEW_MS + 2));
    let now = T0 + 1;
    assert_eq!(failure(&pull_with(&mut m, &response(ahead), now)), None, "accepted, but not trusted");
    assert_eq!(m.figures(now).freshness, Freshness::ClockUntrusted);
    assert!(matches!(m.reserve(&req("100"), now), Err(SyncError::OfflineLimit { .. })));
    assert!(m.reserve(&req("50"), now).is_ok(), "within the offline limit");
}
