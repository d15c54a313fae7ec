//! The wire messages between a client and the ledger: mutations, push and pull requests,
//! and the ledger's response. JSON, camelCase, money as decimal strings; see
//! `docs/PROTOCOL.md`.

use crate::money::Credits;
use crate::snapshot::Envelope;

/// The protocol version carried by every request and response. Version 2 (see
/// `docs/PROTOCOL.md` §8): a mutation is acknowledged by its result only, and a seq reused
/// by a different mutation is answered `conflict`; a version-1 client would read that
/// answer as an acknowledgement and lose the mutation.
pub const PROTOCOL_VERSION: u32 = 2;
/// Requests and responses above this many bytes are refused before parsing (32 MiB).
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// One change a device made, numbered by the device: `seq` is 1, 2, 3, … without gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// Reserve credits under a new hold id (`"<deviceId>:<seq>"`).
    Reserve {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// A random id drawn when the mutation was made (`src/sync/nonce.rs`): two copies
        /// of a state never make the same mutation.
        id: Option<String>,
        /// The new hold's id.
        hold_id: String,
        /// Credits to reserve, or with `unit` the allowance units (a whole number).
        amount: Credits,
        /// The operation it is for.
        operation: String,
        /// The agent whose usage it is.
        agent_id: Option<String>,
        /// An allowance's units (`"ttsCharacters"`, `"llmTokens"`): `amount` counts units
        /// and the ledger applies the allowance policy (PROTOCOL §12). Absent: credits.
        unit: Option<String>,
    },
    /// Commit the actual usage of a hold; the rest of the hold is released.
    Commit {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// A random id drawn when the mutation was made.
        id: Option<String>,
        /// The hold.
        hold_id: String,
        /// Credits actually used (may exceed the hold; see the protocol's commit rule), or
        /// with `unit` the units used (a whole number).
        amount: Credits,
        /// The unit of a hold reserved in units (PROTOCOL §12); absent: credits.
        unit: Option<String>,
    },
    /// Release a hold in full.
    Release {
        /// The device's mutation number.
        seq: u64,
        /// The device's clock when it was made (informational).
        at: i64,
        /// A random id drawn when the mutation was made.
        id: Option<String>,
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

    /// Its random id, when it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Mutation::Reserve { id, .. } | Mutation::Commit { id, .. } | Mutation::Release { id, .. } => id.as_deref(),
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

    /// The allowance unit of a reserve or commit in units (PROTOCOL §12).
    pub fn unit(&self) -> Option<&str> {
        match self {
            Mutation::Reserve { unit, .. } | Mutation::Commit { unit, .. } => unit.as_deref(),
            Mutation::Release { .. } => None,
        }
    }

    /// Renumbers the mutation (the client does, when the ledger reports a seq gap).
    pub fn set_seq(&mut self, new: u64) {
        match self {
            Mutation::Reserve { seq, .. } | Mutation::Commit { seq, .. } | Mutation::Release { seq, .. } => *seq = new,
        }
    }
}

/// A push: the device's pending mutations, in seq order.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The account.
    pub account_id: String,
    /// The device.
    pub device_id: String,
}

/// What became of one mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultStatus {
    /// Applied now.
    Applied,
    /// Refused for good (the seq still advanced).
    Refused,
    /// Seen before (seq ≤ the last applied); `original` says what became of it then.
    Duplicate,
    /// Its seq is beyond the last applied + 1, or an earlier mutation of the batch was a
    /// gap or a conflict: nothing applied, the seq did not advance.
    Gap,
    /// Its seq was already used by a *different* mutation (a restored or copied client
    /// state): nothing applied; the client renumbers it after `lastMutationSeq`.
    Conflict,
}

impl ResultStatus {
    /// Whether the ledger is done with the mutation (applied, refused, or a duplicate of
    /// one that was): the client drops it from the outbox.
    pub fn acknowledges(self) -> bool {
        matches!(self, ResultStatus::Applied | ResultStatus::Refused | ResultStatus::Duplicate)
    }
}

/// The ledger's answer for one mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationResult {
    /// The mutation's seq.
    pub seq: u64,
    /// The mutation's `id`, echoed when it had one: the client checks that the result is
    /// about the mutation it sent under that seq.
    pub id: Option<String>,
    /// What became of it.
    pub status: ResultStatus,
    /// For a duplicate: the original status (`applied` or `refused`), when still known.
    pub original: Option<ResultStatus>,
    /// Why it was refused (a stable code such as `INSUFFICIENT_CREDITS`).
    pub code: Option<String>,
    /// A commit: credits drawn from grants.
    pub charged: Option<Credits>,
    /// A commit: credits the balance could not cover, recorded as this device's overdraft.
    pub overdraft: Option<Credits>,
    /// A commit: credits beyond the device's offline limit, not collected.
    pub unpaid: Option<Credits>,
    /// A commit or release of a hold that paid for a call through the ledger's AI proxy:
    /// `"proxy"`. The charge is the proxy's settlement from the provider's reported usage
    /// (`charged`, `overdraft`, `unpaid` are its amounts once it settled), never the
    /// mutation's amount (PROTOCOL §6.7).
    pub settled_by: Option<String>,
}

/// A request-level error from the ledger (nothing was applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// A stable code.
    pub code: String,
    /// A sentence for logs.
    pub message: String,
}

/// The ledger's response to a push or a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// A fresh signed snapshot (absent with `error`).
    pub snapshot: Option<Envelope>,
    /// One result per mutation of a push, in order (empty for a pull).
    pub results: Vec<MutationResult>,
    /// The request failed as a whole.
    pub error: Option<ErrorBody>,
}

json_tagged!(Mutation, "type" {
    Reserve "reserve" { seq: "seq", at: "at", id: "id" = opt, hold_id: "holdId", amount: "amount", operation: "operation", agent_id: "agentId" = opt, unit: "unit" = opt },
    Commit "commit" { seq: "seq", at: "at", id: "id" = opt, hold_id: "holdId", amount: "amount", unit: "unit" = opt },
    Release "release" { seq: "seq", at: "at", id: "id" = opt, hold_id: "holdId" },
});
json_struct!(PushRequest { v: "v", account_id: "accountId", device_id: "deviceId", mutations: "mutations" });
json_struct!(PullRequest { v: "v", account_id: "accountId", device_id: "deviceId" });
json_unit_enum!(ResultStatus { Applied = "applied", Refused = "refused", Duplicate = "duplicate", Gap = "gap", Conflict = "conflict" });
json_struct!(MutationResult {
    seq: "seq",
    id: "id" = opt,
    status: "status",
    original: "original" = opt,
    code: "code" = opt,
    charged: "charged" = opt,
    overdraft: "overdraft" = opt,
    unpaid: "unpaid" = opt,
    settled_by: "settledBy" = opt,
});
json_struct!(ErrorBody { code: "code", message: "message" = default });
json_struct!(Response { v: "v", snapshot: "snapshot" = opt, results: "results" = default, error: "error" = opt });
