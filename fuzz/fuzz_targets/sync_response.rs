//! The ledger's answers to a pull and to a push, applied to a machine: never a panic;
//! a response never loses a mutation it did not acknowledge nor a local hold; the state
//! afterwards saves and loads back unchanged.
//!
//! Input `[mode][a] 0x00 [b]`: mode % 4 = 0: the text after the mode byte is the body
//! answering a pull; 1: answering a push; 2 and 3: `a` is a payload the trusted key signs
//! and `b` the rest of the body, whose first `"snapshot":null` is replaced by the signed
//! envelope, answering a pull (2) or a push (3).
#![no_main]

use credit_meter_client::{ClientState, Event, Machine, Transport};
use credit_meter_fuzz::{keys, ledger, machine_pulling, machine_pushing, signer, split, ACCOUNT, DEVICE, T0};
use libfuzzer_sys::fuzz_target;

/// (kind, hold id) of each outbox mutation, oldest first.
fn outbox(m: &Machine) -> Vec<(&'static str, String)> {
    m.state().outbox.iter().map(|e| (e.mutation.kind(), e.mutation.hold_id().to_string())).collect()
}

fuzz_target!(|data: &[u8]| {
    let (mode, a, b) = split(data);
    let body = if mode % 4 < 2 {
        String::from_utf8_lossy(&data[data.len().min(1)..]).into_owned()
    } else {
        let env = signer().sign_bytes(a).to_json();
        String::from_utf8_lossy(b).replacen("\"snapshot\":null", &format!("\"snapshot\":{env}"), 1)
    };
    let push = mode % 2 == 1;
    let (mut m, token) = if push {
        let (m, token, _) = machine_pushing(&mut ledger(), 7);
        (m, token)
    } else {
        machine_pulling()
    };
    let before = outbox(&m);
    let holds_before: Vec<String> = m.state().holds.iter().map(|h| h.id.clone()).collect();
    let now = T0 + 10;
    if push {
        m.push_done(token, Transport::Body(&body), now);
    } else {
        m.pull_done(token, Transport::Body(&body), now);
    }
    let mut failed = false;
    let mut acked = 0;
    while let Some(e) = m.poll_event() {
        match e {
            Event::SyncFailed { .. } => failed = true,
            Event::Acknowledged(_) => acked += 1,
            _ => {}
        }
    }
    let after = outbox(&m);
    if failed {
        assert_eq!(after, before, "a refused response changes no mutation");
        assert_eq!(acked, 0);
    }
    assert_eq!(after.len() + acked, before.len(), "each mutation is acknowledged or kept");
    assert!(before.ends_with(&after), "only the oldest mutations leave the outbox");
    let holds_after: Vec<String> = m.state().holds.iter().map(|h| h.id.clone()).collect();
    assert_eq!(holds_after, holds_before, "a response never drops a hold the host holds");
    let _ = m.figures(now);
    let _ = m.figures(i64::MAX);
    let _ = m.figures(i64::MIN);
    let saved = m.state().to_json();
    let (back, discarded) = ClientState::load(&saved, ACCOUNT, DEVICE, &keys());
    assert_eq!(discarded, None, "the state after a response saves and loads cleanly: {saved}");
    assert_eq!(&back, m.state());
});
