//! The persisted state: loading arbitrary text never panics; whatever loads, saved again
//! (`to_json`), loads back to the same state with nothing discarded; a machine opened on
//! it answers its figures and runs its first actions without panicking.
//!
//! Input `[mode][a] 0x00 [b]`: mode even: the whole input after the mode byte is the
//! stored text; mode odd: `a` is a payload the trusted key signs and `b` the stored text
//! in which the first `"snapshot":null` is replaced by that signed envelope (so stored
//! states with a valid snapshot are reached).
#![no_main]

use credit_meter_client::{Action, ClientState, Config, Machine};
use credit_meter_fuzz::{keys, signer, split, ACCOUNT, DEVICE, T0};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let (mode, a, b) = split(data);
    let text = if mode % 2 == 0 {
        String::from_utf8_lossy(&data[data.len().min(1)..]).into_owned()
    } else {
        let env = signer().sign_bytes(a).to_json();
        String::from_utf8_lossy(b).replacen("\"snapshot\":null", &format!("\"snapshot\":{env}"), 1)
    };
    let (state, discarded) = ClientState::load(&text, ACCOUNT, DEVICE, &keys);
    if let Some(d) = &discarded {
        assert!(d.outbox_lost || d.kept_mutations == state.outbox.len());
        if d.outbox_lost {
            assert_eq!(state, ClientState::empty(ACCOUNT, DEVICE), "a lost state starts empty");
        }
    }
    let saved = state.to_json();
    let (back, again) = ClientState::load(&saved, ACCOUNT, DEVICE, &keys);
    assert_eq!(again, None, "a state saved by the client loads without discarding anything: {saved}");
    assert_eq!(back, state, "saving and loading is the identity");
    assert_eq!(back.to_json(), saved);

    let mut m = Machine::new(Config::new(ACCOUNT, DEVICE), keys);
    m.open(Some(&text), T0);
    let _ = m.figures(T0);
    let _ = m.next_timeout();
    let before = state.outbox.len();
    assert_eq!(m.state().outbox.len(), before, "opening never drops a loaded mutation");
    for _ in 0..4 {
        match m.poll_action() {
            Some(Action::Save { token, state }) => {
                let (s, d) = ClientState::load(&state, ACCOUNT, DEVICE, &credit_meter_fuzz::keys());
                assert_eq!(d, None, "what the machine saves loads cleanly");
                assert_eq!(s.outbox.len(), before);
                m.save_done(token, true, T0);
            }
            Some(Action::Push { token, .. }) => m.push_done(token, credit_meter_client::Transport::Failed, T0),
            Some(Action::Pull { token, .. }) => m.pull_done(token, credit_meter_client::Transport::Failed, T0),
            None => break,
        }
    }
    assert_eq!(m.state().outbox.len(), before, "failed sends never drop a mutation");
});
