//! The wire messages between a client and the ledger: mutations, push and pull requests,
//! and the ledger's response. JSON, camelCase, money as decimal strings; see
//! `docs/PROTOCOL.md`.

use crate::money::Credits;
use crate::snapshot::Envelope;
use serde::{Deserialize, Serialize};

/// The protocol version carried by every request and response.
pub const PROTOCOL_VERSION: u32 = 1;
/// Requests and responses above this many bytes are refused before parsing (32 MiB).
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// One change a device made, numbered by the device: `seq` is 1, 2, 3, … without gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Mutation {
    /// Reserve credits under a new hold id (`"<deviceId>:<seq>"`).
    Reserve {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// The new hold's id.
        hold_id: String,
        /// Credits to reserve.
        amount: Credits,
        /// The operation it is for.
        operation: String,
        /// The agent whose usage it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_id: Option<String>,
    },
    /// Commit the actual usage of a hold; the rest of the hold is released.
    Commit {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// The hold.
        hold_id: String,
        /// Credits actually used (may exceed the hold; see the protocol's commit rule).
        amount: Credits,
    },
    /// Release a hold in full.
    Release {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// The hold.
        hold_id: String,
    },
}

impl Mutation {
    /// The device's mutation number.
    pub fn seq(&self) -> u64 {
        match self {
            Mutation::Reserve { seq, .. } | Mutation::Commit { seq, .. } | Mutation::Release { seq, .. } => *seq,
        }
    }

    /// The hold it concerns.
    pub fn hold_id(&self) -> &str {
        match self {
            Mutation::Reserve { hold_id, .. } | Mutation::Commit { hold_id, .. } | Mutation::Release { hold_id, .. } => hold_id,
        }
    }

    /// `"reserve"`, `"commit"` or `"release"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Mutation::Reserve { .. } => "reserve",
            Mutation::Commit { .. } => "commit",
            Mutation::Release { .. } => "release",
        }
    }

    pub(crate) fn set_seq(&mut self, new: u64) {
        match self {
            Mutation::Reserve { seq, .. } | Mutation::Commit { seq, .. } | Mutation::Release { seq, .. } => *seq = new,
        }
    }
}

/// A push: the device's pending mutations, in seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The account.
    pub account_id: String,
    /// The device.
    pub device_id: String,
    /// The mutations.
    pub mutations: Vec<Mutation>,
}

/// A pull: a fresh snapshot, nothing applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The account.
    pub account_id: String,
    /// The device.
    pub device_id: String,
}

/// What became of one mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResultStatus {
    /// Applied now.
    Applied,
    /// Refused for good (the seq still advanced).
    Refused,
    /// Seen before (seq ≤ the last applied); `original` says what became of it then.
    Duplicate,
    /// Its seq is beyond the last applied + 1: nothing applied, the seq did not advance.
    Gap,
}

/// The ledger's answer for one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    /// The mutation's seq.
    pub seq: u64,
    /// What became of it.
    pub status: ResultStatus,
    /// For a duplicate: the original status (`applied` or `refused`), when still known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<ResultStatus>,
    /// Why it was refused (a stable code such as `INSUFFICIENT_CREDITS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A commit: credits drawn from grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged: Option<Credits>,
    /// A commit: credits the balance could not cover, recorded as this device's overdraft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdraft: Option<Credits>,
    /// A commit: credits beyond the device's offline limit, not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpaid: Option<Credits>,
}

/// A request-level error from the ledger (nothing was applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code.
    pub code: String,
    /// A sentence for logs.
    #[serde(default)]
    pub message: String,
}

/// The ledger's response to a push or a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// A fresh signed snapshot (absent with `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Envelope>,
    /// One result per mutation of a push, in order (empty for a pull).
    #[serde(default)]
    pub results: Vec<MutationResult>,
    /// The request failed as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}
