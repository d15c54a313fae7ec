//! Exactly-once sync with the remote ledger, as a sans-IO state machine.
//!
//! Every change a device makes — reserve, commit, release — is a [`Mutation`] numbered
//! `(deviceId, seq)`, appended to the outbox, saved through the host, and only then
//! pushed. The ledger applies each once and answers with a signed snapshot and a result
//! per mutation; acknowledged mutations leave the outbox. The [`Machine`] takes events
//! and returns [`Action`]s; `src/wasm/` drives it with the host's callbacks, tests drive
//! it directly. The wire format is in `docs/PROTOCOL.md`.
//!
//! ```
//! use credit_meter::sync::{Action, Config, Machine};
//! use credit_meter::snapshot::PublicKeys;
//!
//! let mut m = Machine::new(Config::new("acct-1", "dev-1"), PublicKeys::new());
//! m.open(None, 1_700_000_000_000); // nothing stored yet: the machine pulls
//! assert!(matches!(m.poll_action(), Some(Action::Pull { .. })));
//! ```

pub mod error;
pub mod ident;
pub mod machine;
pub mod message;
pub mod nonce;
pub mod respond;
pub mod state;
pub mod view;

pub use error::SyncError;
pub use machine::{Action, Config, Event, Machine, OpId, ReserveRequest, Reserved, Staged, Transport};
pub use message::{ErrorBody, Mutation, MutationResult, PullRequest, PushRequest, Response, ResultStatus};
pub use respond::Ack;
pub use state::{ClientState, HoldState, LocalHold, OutboxEntry};
pub use view::Figures;
