//! The device's host as the client's driver sees it: the simulated world decides what
//! each host callback answers (the network's outcome, the save's fate, the stored bytes),
//! and hands that answer to the driver through the [`Host`] trait, so the simulator runs
//! the same code as the Wasm binding between a host's answer and the machine —
//! [`driver::perform`], the mapping of host failures onto transport outcomes and
//! [`driver::Completed::feed`] — instead of calling the machine's `*_done` methods itself.

use crate::harness::block_on;
use credit_meter_client::driver;
use credit_meter_client::host::{Callback, Exchange, Host, HostError};
use credit_meter_client::{Action, Machine};
use std::cell::RefCell;

/// A host whose answers the world has already decided: `load` returns the stored value,
/// the next exchange returns `answer` — every call is ready at once, so the harness's
/// `block_on` runs it.
#[derive(Debug)]
pub(crate) struct DecidedHost {
    stored: Option<String>,
    answer: RefCell<Option<Result<String, HostError>>>,
    now: i64,
}

impl DecidedHost {
    /// A host whose storage holds `stored` (for `load`).
    pub(crate) fn loading(stored: Option<&str>, now: i64) -> DecidedHost {
        DecidedHost { stored: stored.map(str::to_string), answer: RefCell::new(None), now }
    }

    /// A host whose next exchange answers `answer`.
    pub(crate) fn answering(answer: Result<String, HostError>, now: i64) -> DecidedHost {
        DecidedHost { stored: None, answer: RefCell::new(Some(answer)), now }
    }
}

impl Host for DecidedHost {
    async fn load(&self) -> Result<Option<String>, HostError> {
        Ok(self.stored.clone())
    }

    async fn exchange(&self, exchange: Exchange, _body: &str) -> Result<String, HostError> {
        self.answer.borrow_mut().take().unwrap_or_else(|| Err(HostError::BadValue(exchange.callback(), "no answer decided".into())))
    }

    fn now(&self) -> Result<i64, HostError> {
        Ok(self.now)
    }
}

/// What the machine opens from: the host's `load()`.
pub(crate) fn load(host: &DecidedHost) -> Option<String> {
    block_on(host.load()).ok().flatten()
}

/// Completes `action` with the host's decided answer and feeds it to `machine` at `now`
/// (the driver's loop step).
pub(crate) fn complete(machine: &mut Machine, action: Action, host: &DecidedHost, now: i64) {
    block_on(driver::perform(host, action)).feed(machine, now);
}

fn request_callback(push: bool) -> Callback {
    if push {
        Callback::Push
    } else {
        Callback::Pull
    }
}

/// A push or pull callback that rejected (the network failed).
pub(crate) fn rejected(push: bool) -> HostError {
    HostError::Rejected(request_callback(push), "network error".into())
}

/// A push or pull callback the driver gave up on after `ms`.
pub(crate) fn timed_out(push: bool, ms: i64) -> HostError {
    HostError::TimedOut(request_callback(push), u32::try_from(ms).unwrap_or(u32::MAX))
}
