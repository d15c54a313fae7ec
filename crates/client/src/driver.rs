//! The async half of the client: runs the sans-IO machine's [`Action`]s through a [`Host`]
//! and hands the outcomes back. Generic over the host, so the Wasm binding (JavaScript
//! callbacks) and native tests (in-memory storage and a reference ledger) drive the same
//! code.
//!
//! A driver loop is: take every [`Machine::poll_action`], [`perform`] each one (they may
//! run concurrently), and once one completes, [`Completed::feed`] it back at the current
//! time, then poll again; meanwhile hand every [`Machine::poll_event`] to the waiting
//! callers ([`crate::settle`]) and arm a timer for [`Machine::next_timeout`].

use crate::host::{Exchange, Host, HostError};
use crate::machine::{Action, Machine, Transport};

/// A completed action: what the host answered, ready to feed back to the machine.
#[derive(Debug)]
#[must_use = "feed it back to the machine"]
pub struct Completed {
    call: Exchange,
    token: u64,
    /// The response body (push and pull) or nothing (save), or how the callback failed.
    result: Result<String, HostError>,
}

/// Runs `action` through `host`: `save(state)`, `push(request)` or `pull(request)`.
pub async fn perform<H: Host>(host: &H, action: Action) -> Completed {
    let (call, token, body) = match action {
        Action::Save { token, state } => (Exchange::Save, token, state),
        Action::Push { token, request } => (Exchange::Push, token, request),
        Action::Pull { token, request } => (Exchange::Pull, token, request),
    };
    Completed { call, token, result: host.exchange(call, &body).await }
}

impl Completed {
    /// How the host's callback failed, if it did.
    pub fn host_error(&self) -> Option<&HostError> {
        self.result.as_ref().err()
    }

    /// Whether this completed a save that failed (the operations it carried did not happen).
    pub fn is_failed_save(&self) -> bool {
        self.call == Exchange::Save && self.result.is_err()
    }

    /// Hands the outcome to `machine` at `now` (the host's clock after the call).
    pub fn feed(&self, machine: &mut Machine, now: i64) {
        let transport = match &self.result {
            Ok(body) => Transport::Body(body),
            Err(HostError::TimedOut(..)) => Transport::Timeout,
            Err(_) => Transport::Failed,
        };
        match self.call {
            Exchange::Save => machine.save_done(self.token, self.result.is_ok(), now),
            Exchange::Push => machine.push_done(self.token, transport, now),
            Exchange::Pull => machine.pull_done(self.token, transport, now),
        }
    }
}
