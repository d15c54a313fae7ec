//! Why a snapshot was refused, with stable codes.

use crate::error::Coded;
use std::fmt;

/// The signature does not verify, or the envelope's `v`/`alg` is not one this client knows.
pub const BAD_SIGNATURE: &str = "BAD_SIGNATURE";
/// The envelope's key id is not among the public keys supplied at open.
pub const UNKNOWN_KEY: &str = "UNKNOWN_KEY";
/// A validly signed snapshot for another account or another device.
pub const WRONG_ACCOUNT: &str = "WRONG_ACCOUNT";
/// A validly signed snapshot older than the one held (lower `seq` or `lastMutationSeq`).
pub const ROLLBACK: &str = "ROLLBACK";
/// A malformed envelope or payload (not JSON, wrong shape, out of range, too large).
pub const BAD_SNAPSHOT: &str = "BAD_SNAPSHOT";

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
                let short: String = kid.chars().take(40).collect();
                write!(f, "snapshot signed with unknown key id {short:?}")
            }
            SnapshotError::WrongAccount => f.write_str("snapshot is for another account or device"),
            SnapshotError::Rollback { held, offered } => write!(f, "snapshot seq {offered} is older than the one held ({held})"),
            SnapshotError::Malformed(why) => write!(f, "malformed snapshot: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl Coded for SnapshotError {
    fn code(&self) -> &'static str {
        match self {
            SnapshotError::BadSignature(_) => BAD_SIGNATURE,
            SnapshotError::UnknownKey(_) => UNKNOWN_KEY,
            SnapshotError::WrongAccount => WRONG_ACCOUNT,
            SnapshotError::Rollback { .. } => ROLLBACK,
            SnapshotError::Malformed(_) => BAD_SNAPSHOT,
        }
    }
}
