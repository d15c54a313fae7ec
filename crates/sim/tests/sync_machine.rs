//! The sync state machine: every event in the states that matter.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::{Action, Event, HoldState, Machine, ResultStatus, SyncError, Transport};
use credit_meter_protocol::error::{Coded, ErrorCode};
use credit_meter_sim::harness::*;
use proptest::prelude::*;

fn ready() -> (credit_meter_ledger_core::reference::RefLedger, Client) {
    let mut l = ledger_with("50");
    let mut d = Client::new("d1");
    d.open(&mut l, T0);
    d.take_events();
    (l, d)
}

fn next(m: &mut Machine) -> Action {
    m.poll_action().expect("an action")
}

#[test]
fn opening_empty_pulls_then_holds_a_fresh_snapshot() {
    let (_, d) = ready();
    let f = d.m.figures(T0);
    assert_eq!((f.balance, f.available, f.freshness.as_str(), f.seq > 0), (c("500"), c("500"), "fresh", true));
    assert!(d.m.is_idle());
}

#[test]
fn nothing_can_be_spent_before_the_first_snapshot() {
    let mut d = Client::new("d1");
    d.offline = true;
    let mut l = ledger_with("50");
    d.open(&mut l, T0);
    assert_eq!(d.m.reserve(&req("1"), T0).unwrap_err(), SyncError::NoSnapshot);
    assert!(d.events.iter().any(|e| matches!(e, Event::SyncFailed { code, .. } if code == "TRANSPORT_FAILED")));
    let m = Machine::new(credit_meter_client::Config::new("a1", "d1"), keys());
    let mut m2 = m;
    assert_eq!(m2.reserve(&req("1"), T0).unwrap_err().code(), "NOT_OPEN");
}

#[test]
fn a_mutation_is_pushed_only_after_its_save_succeeds() {
    let (mut l, mut d) = ready();
    let r = d.m.reserve(&req("10"), T0).unwrap();
    let Action::Save { token, state } = next(&mut d.m) else { panic!("save first") };
    assert!(state.contains(&r.hold_id));
    assert!(d.m.poll_action().is_none(), "no push before the save completes");
    d.m.save_done(token, true, T0);
    assert_eq!(d.m.poll_event(), Some(Event::OpDurable { op: r.op }));
    let Action::Push { token, request } = next(&mut d.m) else { panic!("push after save") };
    assert!(request.contains("\"type\":\"reserve\""));
    let body = l.handle_push(&request, T0);
    d.m.push_done(token, Transport::Body(&body), T0);
    assert_eq!(d.m.hold(&r.hold_id).unwrap().state, HoldState::Open);
}

#[test]
fn a_failed_save_fails_the_operation_and_sends_nothing() {
    let (mut l, mut d) = ready();
    let before = d.m.figures(T0);
    let r1 = d.m.reserve(&req("10"), T0).unwrap();
    let Action::Save { token, .. } = next(&mut d.m) else { panic!() };
    // A second operation staged while the first save is in flight is built on it.
    let r2 = d.m.reserve(&req("5"), T0).unwrap();
    d.m.save_done(token, false, T0);
    let events: Vec<Event> = std::iter::from_fn(|| d.m.poll_event()).collect();
    assert!(events.contains(&Event::OpFailed { op: r2.op, code: ErrorCode::SaveFailed }));
    assert!(events.contains(&Event::OpFailed { op: r1.op, code: ErrorCode::SaveFailed }));
    assert!(d.m.hold(&r1.hold_id).is_none() && d.m.hold(&r2.hold_id).is_none());
    assert_eq!(d.m.figures(T0).available, before.available);
    assert!(d.m.state().outbox.is_empty());
    assert!(d.m.poll_action().is_none(), "no push, and no tight save loop");
    // The seq is reused by the next operation, and that one goes through.
    let r3 = d.m.reserve(&req("7"), T0 + 1).unwrap();
    assert_eq!(r3.seq, r1.seq);
    d.pump(&mut l, T0 + 1);
    assert!(d.pushes.iter().all(|p| !p.contains(&r2.hold_id)), "failed ops never sent");
    assert_eq!(d.m.hold(&r3.hold_id).unwrap().state, HoldState::Open);
}

#[test]
fn storage_failing_everywhere_fails_every_operation() {
    let (mut l, mut d) = ready();
    d.fail_saves = true;
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    assert!(d.events.contains(&Event::OpFailed { op: r.op, code: ErrorCode::SaveFailed }));
    assert!(d.pushes.is_empty());
}

#[test]
fn transient_failures_back_off_exponentially_with_a_cap() {
    let (mut l, mut d) = ready();
    d.offline = true;
    d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    let mut now = T0;
    let mut delays = Vec::new();
    for _ in 0..12 {
        let Some(Event::SyncFailed { retry_at, .. }) = d.take_events().into_iter().rev().find(|e| matches!(e, Event::SyncFailed { .. }))
        else {
            panic!()
        };
        delays.push(retry_at - now);
        assert_eq!(d.m.next_timeout().map(|t| t <= retry_at), Some(true));
        d.m.timer(retry_at - 1);
        assert!(d.m.poll_action().is_none(), "nothing before the retry time");
        now = retry_at;
        d.m.timer(now);
        d.pump(&mut l, now);
    }
    assert_eq!(&delays[..4], &[1_000, 2_000, 4_000, 8_000]);
    assert_eq!(*delays.last().unwrap(), 300_000);
    d.offline = false;
    d.m.timer(now + 300_000);
    d.pump(&mut l, now + 300_000);
    assert!(d.m.is_idle());
}

#[test]
fn timeouts_are_transient() {
    let (_, mut d) = ready();
    d.m.reserve(&req("10"), T0).unwrap();
    let Action::Save { token, .. } = next(&mut d.m) else { panic!() };
    d.m.save_done(token, true, T0);
    let Action::Push { token, .. } = next(&mut d.m) else { panic!() };
    d.m.push_done(token, Transport::Timeout, T0);
    let ev: Vec<Event> = std::iter::from_fn(|| d.m.poll_event()).collect();
    assert!(ev.iter().any(|e| matches!(e, Event::SyncFailed { code, attempt: 1, .. } if code == "TIMEOUT")));
    assert_eq!(d.m.state().outbox.len(), 1, "nothing lost");
}

fn push_once(l: &mut credit_meter_ledger_core::reference::RefLedger, d: &mut Client) -> (u64, String) {
    d.m.reserve(&req("10"), T0).unwrap();
    let Action::Save { token, state } = next(&mut d.m) else { panic!() };
    d.storage = Some(state);
    d.m.save_done(token, true, T0);
    let Action::Push { token, request } = next(&mut d.m) else { panic!() };
    (token, l.handle_push(&request, T0))
}

/// Completes saves until a push or pull is asked for, and returns it.
fn until_request(m: &mut Machine) -> Action {
    loop {
        match next(m) {
            Action::Save { token, .. } => m.save_done(token, true, T0),
            other => return other,
        }
    }
}

#[test]
fn malformed_or_truncated_bodies_are_transient_failures() {
    let (mut l0, mut d0) = ready();
    let (_, sample) = push_once(&mut l0, &mut d0);
    let mut bads: Vec<String> = ["", "null", "{", "[]", "{\"v\":2}", "{\"v\":1}", "{\"v\":1,\"error\":{\"code\":\"BUSY\"}}"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    bads.push(sample[..sample.len() / 2].to_string());
    bads.push(sample.replace("\"sig\":\"", "\"sig\":\"AAAA"));
    for bad in bads {
        let (mut l, mut d) = ready();
        let (token, body) = push_once(&mut l, &mut d);
        d.m.push_done(token, Transport::Body(&bad), T0);
        let ev: Vec<Event> = std::iter::from_fn(|| d.m.poll_event()).collect();
        assert!(ev.iter().any(|e| matches!(e, Event::SyncFailed { .. })), "{bad:?}: {ev:?}");
        assert_eq!(d.m.state().outbox.len(), 1, "nothing lost");
        d.m.sync(T0);
        let Action::Push { token, .. } = until_request(&mut d.m) else { panic!("retry pushes") };
        d.m.push_done(token, Transport::Body(&body), T0);
        assert!(d.m.state().outbox.is_empty(), "{bad:?}");
    }
}

#[test]
fn a_response_delivered_twice_is_harmless() {
    let (mut l, mut d) = ready();
    let (token, body) = push_once(&mut l, &mut d);
    d.m.push_done(token, Transport::Body(&body), T0);
    let first: Vec<Event> = std::iter::from_fn(|| d.m.poll_event()).collect();
    assert_eq!(first.iter().filter(|e| matches!(e, Event::Acknowledged(_))).count(), 1);
    let figures = d.m.figures(T0);
    d.m.push_done(token, Transport::Body(&body), T0);
    assert!(d.m.poll_event().is_none(), "second delivery ignored");
    assert_eq!(d.m.figures(T0), figures);
    // The same body answering a later push acknowledges nothing new and is retried.
    d.m.reserve(&req("3"), T0).unwrap();
    let Action::Push { token: t2, request } = until_request(&mut d.m) else { panic!() };
    d.m.push_done(t2, Transport::Body(&body), T0);
    let ev: Vec<Event> = std::iter::from_fn(|| d.m.poll_event()).collect();
    assert!(ev.iter().any(|e| matches!(e, Event::SyncFailed { code, .. } if code == "NOT_ACKNOWLEDGED")), "{ev:?}");
    assert_eq!(d.m.figures(T0).available, c("487"));
    let fresh = l.handle_push(&request, T0);
    d.m.sync(T0);
    let Action::Push { token: t3, .. } = until_request(&mut d.m) else { panic!() };
    d.m.push_done(t3, Transport::Body(&fresh), T0);
    assert!(d.m.state().outbox.is_empty());
    assert_eq!(d.m.figures(T0).available, c("487"));
}

#[test]
fn an_older_snapshot_is_a_rollback() {
    let (mut l, mut d) = ready();
    let old = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0);
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    d.m.commit(&r.hold_id, c("10"), T0).unwrap();
    d.pump(&mut l, T0);
    d.take_events();
    d.m.sync(T0);
    let Some(Action::Pull { token, .. }) = d.m.poll_action() else { panic!() };
    d.m.pull_done(token, Transport::Body(&old), T0);
    let ev = std::iter::from_fn(|| d.m.poll_event()).collect::<Vec<_>>();
    assert!(ev.iter().any(|e| matches!(e, Event::SyncFailed { code, .. } if code == "ROLLBACK")), "{ev:?}");
    assert_eq!(d.m.figures(T0).balance, c("490"));
}

#[test]
fn another_devices_snapshot_is_refused() {
    let (mut l, mut d) = ready();
    let other = l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d2"}"#, T0);
    d.m.sync(T0);
    let Some(Action::Pull { token, .. }) = d.m.poll_action() else { panic!() };
    d.m.pull_done(token, Transport::Body(&other), T0);
    let ev = std::iter::from_fn(|| d.m.poll_event()).collect::<Vec<_>>();
    assert!(ev.iter().any(|e| matches!(e, Event::SyncFailed { code, .. } if code == "WRONG_ACCOUNT")), "{ev:?}");
}

#[test]
fn insufficient_credits_carry_the_shortfall() {
    let (_, mut d) = ready();
    let e = d.m.reserve(&req("600"), T0).unwrap_err();
    assert_eq!(e, SyncError::InsufficientCredits { needed: c("600"), available: c("500"), shortfall: c("100") });
    assert_eq!(e.code(), "INSUFFICIENT_CREDITS");
}

#[test]
fn a_stale_snapshot_bounds_spending_by_the_offline_limit() {
    let (mut l, mut d) = ready();
    d.offline = true;
    let later = T0 + 10 * 60_000;
    assert_eq!(d.m.figures(later).freshness.as_str(), "stale");
    let a = d.m.reserve(&req("30"), later).unwrap();
    assert!(!a.needs_confirmation);
    d.pump(&mut l, later);
    assert_eq!(d.m.reserve(&req("30"), later).unwrap_err(), SyncError::OfflineLimit { needed: c("30"), room: c("20") });
    d.m.commit(&a.hold_id, c("25"), later).unwrap();
    d.pump(&mut l, later);
    assert_eq!(d.m.figures(later).room, c("25"));
    // Online again: everything is acknowledged and the room comes back.
    d.offline = false;
    d.sync(&mut l, later + 1);
    assert_eq!(d.m.figures(later + 1).room, c("50"));
    assert_eq!(d.m.figures(later + 1).balance, c("475"));
}

#[test]
fn fresh_amounts_beyond_the_offline_room_need_confirmation() {
    let (mut l, mut d) = ready();
    let r = d.m.reserve(&req("80"), T0).unwrap();
    assert!(r.needs_confirmation);
    d.pump(&mut l, T0);
    assert!(d
        .events
        .iter()
        .any(|e| matches!(e, Event::Acknowledged(a) if a.hold_id == r.hold_id && a.confirmed && a.status == Some(ResultStatus::Applied))));
}

#[test]
fn a_clock_set_back_is_not_trusted() {
    let (mut l, mut d) = ready();
    let back = T0 - 60 * 60_000;
    assert_eq!(d.m.figures(back).freshness.as_str(), "clockUntrusted");
    d.offline = true;
    assert!(matches!(d.m.reserve(&req("60"), back), Err(SyncError::OfflineLimit { .. })));
    assert!(d.m.reserve(&req("40"), back).is_ok());
    d.pump(&mut l, back);
}

#[test]
fn a_tampered_snapshot_is_discarded_but_the_outbox_is_kept() {
    let (mut l, mut d) = ready();
    d.offline = true;
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    d.m.commit(&r.hold_id, c("8"), T0).unwrap();
    d.pump(&mut l, T0);
    let stored = d.storage.clone().unwrap();
    // Flip one character of the signed payload.
    let at = stored.find("\"payload\":\"").unwrap() + 20;
    let mut bytes = stored.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let mut d2 = Client::new("d1");
    d2.storage = Some(tampered);
    d2.offline = true;
    d2.open(&mut l, T0 + 1);
    assert!(
        d2.events.contains(&Event::CacheDiscarded { code: ErrorCode::TamperedCache, kept_mutations: 2, outbox_lost: false }),
        "{:?}",
        d2.events
    );
    assert_eq!(d2.m.figures(T0 + 1).freshness.as_str(), "none");
    d2.offline = false;
    d2.sync(&mut l, T0 + 2);
    assert!(d2.m.is_idle(), "{:?}", d2.events);
    assert_eq!(d2.m.figures(T0 + 2).balance, c("492"));
}

#[test]
fn unreadable_or_foreign_storage_is_discarded_and_reported() {
    let mut l = ledger_with("50");
    for (stored, code) in [("{not json", "TAMPERED_CACHE"), ("{\"v\":1}", "TAMPERED_CACHE")] {
        let mut d = Client::new("d1");
        d.storage = Some(stored.to_string());
        d.open(&mut l, T0);
        assert!(
            d.events.iter().any(|e| matches!(e, Event::CacheDiscarded { code: c2, outbox_lost: true, .. } if *c2 == code)),
            "{:?}",
            d.events
        );
        assert_eq!(d.m.figures(T0).balance, c("500"), "resynced");
    }
    let mut other = Client::new("d2");
    other.open(&mut l, T0);
    let mut d = Client::new("d1");
    d.storage = other.storage.clone();
    d.open(&mut l, T0);
    assert!(d.events.iter().any(|e| matches!(e, Event::CacheDiscarded { code: ErrorCode::WrongAccount, .. })), "{:?}", d.events);
}

#[test]
fn usage_above_the_hold_is_charged_in_full_when_covered() {
    let (mut l, mut d) = ready();
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    d.m.commit(&r.hold_id, c("14"), T0).unwrap();
    d.pump(&mut l, T0);
    let ack = d.events.iter().find_map(|e| match e {
        Event::Acknowledged(a) if a.kind == "commit" => Some(a.clone()),
        _ => None,
    });
    let ack = ack.unwrap();
    assert_eq!((ack.charged, ack.overdraft, ack.unpaid), (Some(c("14")), Some(c("0")), Some(c("0"))));
    assert_eq!(d.m.figures(T0).balance, c("486"));
}

#[test]
fn release_gives_the_credits_back_and_unknown_holds_are_refused() {
    let (mut l, mut d) = ready();
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    assert_eq!(d.m.figures(T0).available, c("490"));
    d.m.release(&r.hold_id, T0).unwrap();
    d.pump(&mut l, T0);
    assert_eq!(d.m.figures(T0).available, c("500"));
    assert_eq!(d.m.commit(&r.hold_id, c("1"), T0).unwrap_err().code(), "UNKNOWN_HOLD");
    assert_eq!(d.m.release("nope", T0).unwrap_err().code(), "UNKNOWN_HOLD");
    assert_eq!(d.m.reserve(&req("0"), T0).unwrap_err().code(), "BAD_INPUT");
}

#[test]
fn the_snapshot_is_refreshed_when_it_expires() {
    let (mut l, mut d) = ready();
    let exp = d.m.next_timeout().unwrap();
    assert_eq!(exp, d.m.state().payload().unwrap().expires_at);
    d.m.timer(exp);
    assert!(matches!(d.m.poll_action(), Some(Action::Pull { .. })));
    let _ = &mut l;
}

#[test]
fn persisted_state_survives_a_restart_with_pending_mutations() {
    let (mut l, mut d) = ready();
    d.offline = true;
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    d.m.commit(&r.hold_id, c("10"), T0).unwrap();
    d.pump(&mut l, T0);
    let mut again = Client::new("d1");
    again.storage = d.storage.clone();
    again.open(&mut l, T0 + 5);
    assert!(again.m.is_idle(), "{:?}", again.events);
    assert_eq!(again.m.figures(T0 + 5).balance, c("490"));
    // The first client comes back and pushes the same mutations: duplicates, no double charge.
    d.offline = false;
    d.sync(&mut l, T0 + 6);
    assert_eq!(d.m.figures(T0 + 6).balance, c("490"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_truncation_or_corruption_of_a_response_never_panics_or_loses_mutations(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        let (mut l, mut d) = ready();
        let (token, body) = push_once(&mut l, &mut d);
        let mut bad = body.clone().into_bytes();
        let cut = cut % bad.len().max(1);
        if flip % 2 == 0 { bad.truncate(cut); } else { let i = flip % bad.len(); bad[i] = byte; }
        let bad = String::from_utf8_lossy(&bad).into_owned();
        d.m.push_done(token, Transport::Body(&bad), T0);
        let acked = d.m.state().outbox.is_empty();
        if !acked {
            // Not acknowledged (a damaged result line, or no valid snapshot): the client
            // renumbers after the snapshot it accepted if any, saves, and pushes again; the
            // ledger answers the resent mutations as duplicates by their content.
            let _ = &body;
            d.sync(&mut l, T0);
        }
        prop_assert!(d.m.state().outbox.is_empty());
        prop_assert_eq!(d.m.figures(T0).available, c("490"));
    }
}
