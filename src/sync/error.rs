//! Errors of the sync state machine's operations, with stable codes.

use crate::error::{Coded, BAD_INPUT};
use crate::ledger::error::INSUFFICIENT_CREDITS;
use crate::money::Credits;
use std::fmt;

/// Spending while stale (or with an untrusted clock) beyond the offline limit.
pub const OFFLINE_LIMIT: &str = "OFFLINE_LIMIT";
/// No verified snapshot yet: nothing can be spent until a pull succeeds.
pub const NO_SNAPSHOT: &str = "NO_SNAPSHOT";
/// An operation before `open`.
pub const NOT_OPEN: &str = "NOT_OPEN";
/// A hold id this device does not have open.
pub const UNKNOWN_HOLD: &str = "UNKNOWN_HOLD";
/// Too many mutations waiting to be pushed.
pub const OUTBOX_FULL: &str = "OUTBOX_FULL";
/// The host's `save` failed: the operation did not happen and nothing was sent.
pub const SAVE_FAILED: &str = "SAVE_FAILED";
/// A persisted state that did not verify or parse; it was discarded (see the event).
pub const TAMPERED_CACHE: &str = "TAMPERED_CACHE";
/// A push or pull response that is not valid JSON of the expected shape.
pub const BAD_RESPONSE: &str = "BAD_RESPONSE";
/// The host's push or pull failed (rejected, threw, network).
pub const TRANSPORT_FAILED: &str = "TRANSPORT_FAILED";
/// The host's push or pull did not answer in time.
pub const TIMEOUT: &str = "TIMEOUT";
/// The ledger answered but acknowledged none of the mutations sent.
pub const NOT_ACKNOWLEDGED: &str = "NOT_ACKNOWLEDGED";
/// The ledger reported a gap in this device's mutation seqs.
pub const SEQ_GAP: &str = "SEQ_GAP";
/// The ledger already applied a different mutation under this seq (a restored or copied
/// client state); the client renumbers.
pub const SEQ_CONFLICT: &str = "SEQ_CONFLICT";

/// Why an operation (reserve, commit, release) was refused locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// Not enough available credits.
    InsufficientCredits {
        /// Credits asked for.
        needed: Credits,
        /// Credits available.
        available: Credits,
        /// `needed − available`.
        shortfall: Credits,
    },
    /// Stale snapshot and the offline limit is reached.
    OfflineLimit {
        /// Credits asked for.
        needed: Credits,
        /// Credits that may still be spent without the ledger.
        room: Credits,
    },
    /// No snapshot yet.
    NoSnapshot,
    /// Not opened.
    NotOpen,
    /// Unknown hold.
    UnknownHold(String),
    /// Outbox full.
    OutboxFull,
    /// Bad arguments.
    BadInput(&'static str),
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::InsufficientCredits { needed, available, .. } => {
                write!(f, "not enough credits: {} needed, {} available", needed.to_plain_string(), available.to_plain_string())
            }
            SyncError::OfflineLimit { needed, room } => write!(
                f,
                "the balance could not be confirmed with the ledger and the offline limit allows only {} more (needed {})",
                room.to_plain_string(),
                needed.to_plain_string()
            ),
            SyncError::NoSnapshot => f.write_str("no balance from the ledger yet; sync first"),
            SyncError::NotOpen => f.write_str("the meter is not open"),
            SyncError::UnknownHold(id) => {
                let short: String = id.chars().take(60).collect();
                write!(f, "hold {short:?} is not open on this device")
            }
            SyncError::OutboxFull => f.write_str("too many changes are waiting to be synced"),
            SyncError::BadInput(m) => write!(f, "bad input: {m}"),
        }
    }
}

impl std::error::Error for SyncError {}

impl Coded for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::InsufficientCredits { .. } => INSUFFICIENT_CREDITS,
            SyncError::OfflineLimit { .. } => OFFLINE_LIMIT,
            SyncError::NoSnapshot => NO_SNAPSHOT,
            SyncError::NotOpen => NOT_OPEN,
            SyncError::UnknownHold(_) => UNKNOWN_HOLD,
            SyncError::OutboxFull => OUTBOX_FULL,
            SyncError::BadInput(_) => BAD_INPUT,
        }
    }
}
