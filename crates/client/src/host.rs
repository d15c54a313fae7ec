//! What the core needs from its host (storage, the remote ledger, a clock), as a Rust
//! trait. The host itself is JavaScript: `src/wasm/host.rs` turns the object of callbacks
//! the host passes in into this trait; native tests and the simulator implement it with
//! in-memory fakes. The sans-IO sync machine never calls it; the driver does.

use crate::error::Coded;
pub use credit_meter_protocol::error::{HOST_FAILED, HOST_TIMEOUT, STORAGE_FAILED};
use std::fmt;

/// Which host callback failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    /// `load()`: read the persisted state.
    Load,
    /// `save(state)`: write the persisted state.
    Save,
    /// `pull(request)`: ask the ledger for a fresh snapshot.
    Pull,
    /// `push(request)`: send pending mutations to the ledger.
    Push,
    /// `now()`: the clock.
    Now,
}

impl Callback {
    /// The callback's name in the JS host object.
    pub fn name(self) -> &'static str {
        match self {
            Callback::Load => "load",
            Callback::Save => "save",
            Callback::Pull => "pull",
            Callback::Push => "push",
            Callback::Now => "now",
        }
    }
}

/// How a host callback failed. None of these is fatal to the meter: nothing persisted is
/// lost, and the sync machine retries the remote calls with backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The callback threw synchronously.
    Threw(Callback, String),
    /// The callback's promise rejected.
    Rejected(Callback, String),
    /// The callback did not settle within its timeout (milliseconds).
    TimedOut(Callback, u32),
    /// The callback settled with a value of the wrong type.
    BadValue(Callback, String),
}

impl HostError {
    /// The callback that failed.
    pub fn callback(&self) -> Callback {
        match self {
            HostError::Threw(c, _) | HostError::Rejected(c, _) | HostError::TimedOut(c, _) | HostError::BadValue(c, _) => *c,
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Threw(c, m) => write!(f, "host.{}() threw: {m}", c.name()),
            HostError::Rejected(c, m) => write!(f, "host.{}() rejected: {m}", c.name()),
            HostError::TimedOut(c, ms) => write!(f, "host.{}() did not settle within {ms} ms", c.name()),
            HostError::BadValue(c, m) => write!(f, "host.{}() returned {m}", c.name()),
        }
    }
}

impl std::error::Error for HostError {}

impl Coded for HostError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            HostError::TimedOut(..) => HOST_TIMEOUT,
            _ if matches!(self.callback(), Callback::Save | Callback::Load) => STORAGE_FAILED,
            _ => HOST_FAILED,
        }
    }
}

/// One exchange the sync machine asks of its host (see [`Host::exchange`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// `save(state)`: write the persisted state; answers an empty body once durable.
    Save,
    /// `pull(request)`: the ledger's response body.
    Pull,
    /// `push(request)`: the ledger's response body.
    Push,
}

impl Exchange {
    /// The host callback that carries it out.
    pub fn callback(self) -> Callback {
        match self {
            Exchange::Save => Callback::Save,
            Exchange::Pull => Callback::Pull,
            Exchange::Push => Callback::Push,
        }
    }
}

/// The host's side of the meter. Every method may fail; none may panic.
///
/// The futures are not `Send`: in a browser everything runs on one thread. The three
/// exchanges go through one method, so a driver awaits a single future type (one copy of
/// the awaiting code in the .wasm); [`Host::save`], [`Host::pull`] and [`Host::push`] are
/// the same calls by name.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// Reads the persisted state (`None` when nothing was saved yet).
    async fn load(&self) -> Result<Option<String>, HostError>;
    /// Carries out `exchange` with `body` (the state to save, or the request to send) and
    /// returns the response body (empty for a save, which resolves once durable).
    async fn exchange(&self, exchange: Exchange, body: &str) -> Result<String, HostError>;
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Result<i64, HostError>;

    /// Writes the persisted state; resolves once it is durable.
    async fn save(&self, state: &str) -> Result<(), HostError> {
        self.exchange(Exchange::Save, state).await.map(drop)
    }
    /// Sends a pull request to the ledger and returns its response body.
    async fn pull(&self, request: &str) -> Result<String, HostError> {
        self.exchange(Exchange::Pull, request).await
    }
    /// Sends a push request to the ledger and returns its response body.
    async fn push(&self, request: &str) -> Result<String, HostError> {
        self.exchange(Exchange::Push, request).await
    }
}
