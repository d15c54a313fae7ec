//! An account's history kept beside its record, so that the record holds live state only
//! and a request's cost does not grow with the account's past.
//!
//! The ledger model keeps every hold ever placed (a re-sent reserve of a closed hold's id
//! must answer `DUPLICATE_ID`, a late commit of an expired hold is charged once), the
//! fingerprint of every mutation a device sent (PROTOCOL §6.1: duplicates are told by
//! content) and which device placed each hold. Stored in the record, these made every
//! push read and write the account's whole history. The store keeps them in two tables
//! instead, keyed by `(account, id)`:
//!
//! - `closed_holds`: each closed hold (committed, released, expired) as JSON — with the AI
//!   proxy's claim and settlement of it under `proxied` when the proxy paid for it
//!   (`engine::history`) — and the device that placed it (`NULL` once the ledger forgot
//!   it: an expired hold's commit);
//! - `fingerprints`: each device's mutation fingerprints (16 bytes) with their seq.
//!
//! Before a request runs, `engine` reads back only the rows of the hold ids and mutation
//! fingerprints the request names ([`HistoryQuery`]) and puts them into the record, so the
//! ledger (`credit_meter_ledger_core`, unchanged) sees exactly what it would have seen with
//! the whole history loaded; afterwards it takes the closed holds and new fingerprints out
//! again ([`History`] rows in the account's `Write`).
//!
//! Databases written before these tables existed still hold their history inside the
//! record: it is read as before and moved into the tables by the account's next write
//! (any push, pull or admin command that changes or re-saves the account), so opening
//! such a database costs nothing per account.

use super::StoreError;

/// A closed hold kept apart from its account's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClosedHold {
    /// The hold's id.
    pub hold_id: String,
    /// The hold as JSON (`credit_meter_ledger_core::model::Hold`), plus a `proxied` member
    /// for a hold the AI proxy settled (`engine::history::PROXIED`).
    pub hold: String,
    /// The device that placed it, while the ledger remembers it.
    pub owner: Option<String>,
}

/// A mutation fingerprint of a device, with the seq it was applied or refused under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The device.
    pub device_id: String,
    /// The fingerprint (`credit_meter_ledger_core::reference::fingerprint`).
    pub fingerprint: [u8; 16],
    /// The seq.
    pub seq: u64,
}

/// The history rows a request names.
#[derive(Debug, Clone, Default)]
pub(crate) struct HistoryQuery {
    /// Hold ids (of its mutations, or of a proxy claim or settlement).
    pub hold_ids: Vec<String>,
    /// The pushing device and its mutations' fingerprints.
    pub fingerprints: Option<(String, Vec<[u8; 16]>)>,
}

impl HistoryQuery {
    /// Whether it names nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.hold_ids.is_empty() && self.fingerprints.as_ref().is_none_or(|(_, f)| f.is_empty())
    }
}

/// History rows, as read for a request or as written by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct History {
    /// Closed holds.
    pub closed_holds: Vec<ClosedHold>,
    /// Fingerprints.
    pub fingerprints: Vec<Seen>,
}

/// Reads history rows.
pub(crate) trait HistoryStore {
    /// The rows of `account_id` that `query` names (those that exist).
    fn history(&self, account_id: &str, query: &HistoryQuery) -> Result<History, StoreError>;
    /// The ids of every closed hold of `account_id`, sorted: tests read an account
    /// whole (the simulator's invariants, `sim_store`); the service never does.
    #[cfg(test)]
    fn closed_hold_ids(&self, account_id: &str) -> Result<Vec<String>, StoreError>;
}

/// A fingerprint from its stored bytes (`None`: not 16 bytes).
pub(crate) fn fingerprint_from(bytes: &[u8]) -> Option<[u8; 16]> {
    bytes.try_into().ok()
}
