//! Why a snapshot was refused, with stable codes.

use crate::error::Coded;
pub use crate::error::{BAD_SIGNATURE, BAD_SNAPSHOT, ROLLBACK, UNKNOWN_KEY, WRONG_ACCOUNT};
use credit_meter_base::quote::quoted_prefix;
use std::fmt;

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Bad signature, or an envelope version or algorithm this client does not know.
    BadSignature(&'static str),
    /// The key id is unknown.
    UnknownKey(String),
    /// Signed for another account or device.
    WrongAccount,
    /// Older than the snapshot held.
    Rollback {
        /// The `seq` held.
        held: u64,
        /// The `seq` offered.
        offered: u64,
    },
    /// Malformed envelope or payload.
    Malformed(&'static str),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::BadSignature(why) => write!(f, "snapshot signature refused: {why}"),
            SnapshotError::UnknownKey(kid) => {
                write!(f, "snapshot signed with unknown key id {}", quoted_prefix(kid, 40))
            }
            SnapshotError::WrongAccount => f.write_str("snapshot is for another account or device"),
            SnapshotError::Rollback { held, offered } => write!(f, "snapshot seq {offered} is older than the one held ({held})"),
            SnapshotError::Malformed(why) => write!(f, "malformed snapshot: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl Coded for SnapshotError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            SnapshotError::BadSignature(_) => BAD_SIGNATURE,
            SnapshotError::UnknownKey(_) => UNKNOWN_KEY,
            SnapshotError::WrongAccount => WRONG_ACCOUNT,
            SnapshotError::Rollback { .. } => ROLLBACK,
            SnapshotError::Malformed(_) => BAD_SNAPSHOT,
        }
    }
}
