//! The signed balance snapshot.
//!
//! The ledger signs, the client only verifies: Ed25519 over [`DOMAIN`] followed by the
//! exact payload bytes, carried in an [`Envelope`] as base64url. The client verifies
//! the bytes first and parses them after; it never re-serialises to verify. Then it
//! applies the rules of [`rules`]: the snapshot must be for this account and device
//! (`WRONG_ACCOUNT`), not older than the one held (`ROLLBACK`), and it is stale from
//! `expiresAt` on, or when the clock is earlier than `issuedAt` minus a skew window.
//! The wire format is specified in `docs/PROTOCOL.md`.

pub mod envelope;
pub mod error;
pub mod keys;
pub mod payload;
pub mod rules;
#[cfg(feature = "sign")]
pub mod sign;

pub use envelope::{signature_input, verify_json, Envelope, Verified};
pub use error::SnapshotError;
pub use keys::{PublicKeys, MAX_KEYS};
pub use payload::{SnapshotAgent, SnapshotAllowance, SnapshotGrant, SnapshotHold, SnapshotPayload};
pub use rules::{check_identity, check_successor, check_successor_signed, freshness, Freshness, CLOCK_SKEW_MS};
#[cfg(feature = "sign")]
pub use sign::SnapshotSigner;

/// The domain prefix every snapshot signature covers before the payload bytes.
pub const DOMAIN: &[u8] = b"credit-meter/snapshot/v1\n";
/// The envelope version.
pub const VERSION: u32 = 1;
/// The only algorithm.
pub const ALG: &str = "Ed25519";
/// Envelopes above this many bytes are refused before parsing (16 MiB).
pub const MAX_ENVELOPE_BYTES: usize = 16 << 20;
