//! The credit-meter client without JavaScript: exactly-once sync with the remote ledger as
//! a sans-IO state machine, and the [`host`] trait through which a driver gives it storage,
//! the ledger and a clock.
//!
//! Every change a device makes — reserve, commit, release — is a [`Mutation`] numbered
//! `(deviceId, seq)`, appended to the outbox, saved through the host, and only then
//! pushed. The ledger applies each once and answers with a signed snapshot and a result
//! per mutation; acknowledged mutations leave the outbox. The [`Machine`] takes events
//! and returns [`Action`]s; the Wasm crate drives it with the host's callbacks, tests drive
//! it directly. The wire format is in `docs/PROTOCOL.md`.
//!
//! ```
//! use credit_meter_client::{Action, Config, Machine};
//! use credit_meter_protocol::snapshot::PublicKeys;
//!
//! let mut m = Machine::new(Config::new("acct-1", "dev-1"), PublicKeys::new());
//! m.open(None, 1_700_000_000_000); // nothing stored yet: the machine pulls
//! assert!(matches!(m.poll_action(), Some(Action::Pull { .. })));
//! ```

#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The modules of the crates below, under the names this crate's code uses.
use credit_meter_base::{json, sort};
use credit_meter_core::{catalog, estimate, funding, pricing};
use credit_meter_protocol::{base64url, error, message, money, snapshot};

pub mod driver;
pub mod host;
pub mod machine;
pub mod meter;
pub mod nonce;
pub mod respond;
pub mod settle;
pub mod state;
pub mod sync_error;
pub mod unit_decision;
pub mod units;
pub mod view;
pub mod waiting;

pub use machine::{Action, Config, Event, Machine, OpId, ReserveRequest, Reserved, Staged, Transport};
pub use message::{ErrorBody, Mutation, MutationResult, PullRequest, PushRequest, Response, ResultStatus};
pub use respond::Ack;
pub use state::{ClientState, HoldState, LocalHold, OutboxEntry};
pub use sync_error::SyncError;
pub use view::Figures;
