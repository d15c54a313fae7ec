//! Errors of the sync state machine's operations, with stable codes.

use crate::error::INSUFFICIENT_CREDITS;
use crate::error::{Coded, BAD_INPUT};
use crate::money::Credits;
use credit_meter_base::quote::{quoted, quoted_prefix};
pub use credit_meter_protocol::error::{
    BAD_RESPONSE, NOT_ACKNOWLEDGED, NOT_OPEN, NO_SNAPSHOT, OFFLINE_LIMIT, OUTBOX_FULL, SAVE_FAILED, SEQ_CONFLICT, SEQ_GAP, TAMPERED_CACHE,
    TIMEOUT, TRANSPORT_FAILED, UNKNOWN_HOLD,
};
use std::fmt;

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
    /// The snapshot shows the agent the usage is for as not active (PROTOCOL §12.6).
    AgentInactive(String),
    /// A reserve in units beyond what the allowance has free, under a policy that
    /// refuses a shortfall (PROTOCOL §12).
    InsufficientAllowance {
        /// Units asked for.
        needed: u64,
        /// Units free.
        available: u64,
    },
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
                write!(f, "hold {} is not open on this device", quoted_prefix(id, 60))
            }
            SyncError::OutboxFull => f.write_str("too many changes are waiting to be synced"),
            SyncError::BadInput(m) => write!(f, "bad input: {m}"),
            SyncError::AgentInactive(id) => write!(f, "agent {} is not active: reactivate it before using it", quoted(id)),
            SyncError::InsufficientAllowance { needed, available } => {
                write!(f, "the allowance has {available} units free, {needed} needed, and its policy does not convert credits")
            }
        }
    }
}

impl std::error::Error for SyncError {}

impl Coded for SyncError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            SyncError::InsufficientCredits { .. } => INSUFFICIENT_CREDITS,
            SyncError::OfflineLimit { .. } => OFFLINE_LIMIT,
            SyncError::NoSnapshot => NO_SNAPSHOT,
            SyncError::NotOpen => NOT_OPEN,
            SyncError::UnknownHold(_) => UNKNOWN_HOLD,
            SyncError::OutboxFull => OUTBOX_FULL,
            SyncError::BadInput(_) => BAD_INPUT,
            SyncError::InsufficientAllowance { .. } => crate::error::INSUFFICIENT_ALLOWANCE,
            SyncError::AgentInactive(_) => crate::error::AGENT_INACTIVE,
        }
    }
}
