//! The client's persisted state: the last verified snapshot envelope, the outbox, the
//! device's holds and its next mutation seq — one JSON string, saved through the host.
//!
//! The snapshot and the outbox are kept apart on purpose. The snapshot is signed: if it
//! does not verify on load it is dropped (and pulled again), but the outbox next to it —
//! mutations the ledger may not have seen, which only the device knows — is kept when it
//! is intact, so tampering with (or corruption of) the cached balance never loses usage.
//! The outbox is not signed (the client holds no secret); the ledger is the authority on
//! what it accepts from it.

use super::message::Mutation;
use crate::money::Credits;
use crate::snapshot::{check_identity, Envelope, PublicKeys, Verified};
use std::collections::VecDeque;

/// The persisted state's format version.
pub const STATE_VERSION: u32 = 1;
/// At most this many mutations wait in the outbox.
pub const MAX_OUTBOX: usize = 100_000;
/// At most this many holds are tracked on a device.
pub const MAX_HOLDS: usize = 10_000;

/// Where one of this device's holds stands, as far as the device knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    /// Reserved locally; the reserve is not acknowledged yet.
    Pending,
    /// Open on the ledger (listed in the snapshot) until `expiresAt`.
    Open,
    /// Not reserving on the ledger: the ledger let it expire.
    /// A commit is still accepted (the usage happened) and charged as a plain debit.
    Detached,
    /// The ledger refused its reserve: it reserves nothing there, so it no longer lowers
    /// `available`; the call may still have run within the offline room, so until its
    /// expiry it still counts as exposure. A commit is accepted and charged.
    Refused,
}

/// One of this device's holds that the host has not committed or released yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHold {
    /// `"<deviceId>:<seq of its reserve>"`.
    pub id: String,
    /// Credits reserved.
    pub amount: Credits,
    /// Where it stands.
    pub state: HoldState,
    /// The ledger's expiry when open; otherwise the device's estimate (reserve time plus
    /// the snapshot's hold TTL). A pending hold counts until acknowledged whatever this says.
    pub expires_at: i64,
    /// A hold reserved in an allowance's units (PROTOCOL §12): the unit; `amount` is then
    /// the credits reserved for the shortfall (possibly zero).
    pub unit: Option<String>,
    /// A unit hold: the allowance units it sets aside.
    pub units: Option<u64>,
    /// A unit hold: the credits it could cost should the ledger find none of the
    /// allowance free (every unit converted) — its exposure until the ledger confirms it.
    pub worst: Option<Credits>,
}

impl LocalHold {
    /// Credits it may cost without the ledger's confirmation: a credit hold its amount,
    /// a unit hold every unit converted.
    pub fn exposure(&self) -> Credits {
        self.worst.unwrap_or(self.amount).max(self.amount)
    }
}

impl LocalHold {
    /// Whether it still counts at `now` (for this device's arithmetic: a refused one in
    /// the exposure only).
    pub fn counts_at(&self, now: i64) -> bool {
        self.state == HoldState::Pending || now < self.expires_at
    }
}

/// A mutation waiting for the ledger, with the unconfirmed spending it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The mutation as it is sent.
    pub mutation: Mutation,
    /// Credits this mutation may cost beyond what the ledger already reserved (commits
    /// only; reserves are counted through their hold).
    pub exposure: Credits,
    /// A commit in units (PROTOCOL §12): the credits it may cost (its units beyond its
    /// hold's, converted at the rate); `None` for a commit in credits (`amount` is then
    /// the credits).
    pub credits: Option<Credits>,
    /// A commit in units: the units it draws from the allowance (at most its hold's).
    pub units: Option<u64>,
}

/// Everything a device keeps between sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientState {
    /// The account.
    pub account_id: String,
    /// The device.
    pub device_id: String,
    /// The last verified snapshot.
    pub snapshot: Option<Verified>,
    /// Mutations not yet acknowledged, contiguous seqs, oldest first.
    pub outbox: VecDeque<OutboxEntry>,
    /// Holds not yet committed or released by the host.
    pub holds: Vec<LocalHold>,
    /// The seq the next mutation gets.
    pub next_seq: u64,
    /// The number the next hold id gets (never below `next_seq`; never reused even when
    /// the outbox is renumbered).
    pub next_hold: u64,
    /// The latest clock reading seen since the last snapshot (to notice a clock set back).
    pub latest_seen: i64,
}

struct StoredRef<'a> {
    v: u32,
    account_id: &'a str,
    device_id: &'a str,
    next_seq: u64,
    next_hold: u64,
    latest_seen: i64,
    snapshot: Option<&'a Envelope>,
    outbox: &'a VecDeque<OutboxEntry>,
    holds: &'a [LocalHold],
}

struct Stored {
    v: u32,
    account_id: String,
    device_id: String,
    next_seq: u64,
    next_hold: u64,
    latest_seen: i64,
    // Kept as a JSON value so that a damaged snapshot does not take the outbox with it.
    snapshot: Option<crate::json::Value>,
    outbox: VecDeque<OutboxEntry>,
    holds: Vec<LocalHold>,
}

/// What loading a persisted state found wrong (the state was still loaded as far as it
/// could be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    /// `TAMPERED_CACHE` (did not verify or parse) or `WRONG_ACCOUNT` (another account's).
    pub code: crate::error::ErrorCode,
    /// Mutations kept from the outbox.
    pub kept_mutations: usize,
    /// Whether the outbox itself could not be kept.
    pub outbox_lost: bool,
}

impl ClientState {
    /// A device that has never synced.
    pub fn empty(account_id: &str, device_id: &str) -> ClientState {
        ClientState {
            account_id: account_id.to_string(),
            device_id: device_id.to_string(),
            snapshot: None,
            outbox: VecDeque::new(),
            holds: Vec::new(),
            next_seq: 1,
            next_hold: 1,
            latest_seen: i64::MIN,
        }
    }

    /// The state as the JSON string the host saves.
    pub fn to_json(&self) -> String {
        let r = StoredRef {
            v: STATE_VERSION,
            account_id: &self.account_id,
            device_id: &self.device_id,
            next_seq: self.next_seq,
            next_hold: self.next_hold,
            latest_seen: self.latest_seen,
            snapshot: self.snapshot.as_ref().map(|s| &s.envelope),
            outbox: &self.outbox,
            holds: &self.holds,
        };
        crate::json::to_string(&r)
    }

    /// Loads a persisted state. Whatever does not verify is discarded and reported: a
    /// snapshot that fails verification alone (the outbox is kept when intact), or the
    /// whole state when it does not parse, has an inconsistent outbox, or belongs to
    /// another account or device.
    pub fn load(json: &str, account_id: &str, device_id: &str, keys: &PublicKeys) -> (ClientState, Option<Discarded>) {
        let fresh = || ClientState::empty(account_id, device_id);
        let lost = |code| Some(Discarded { code, kept_mutations: 0, outbox_lost: true });
        if json.len() > super::message::MAX_BODY_BYTES {
            return (fresh(), lost(super::sync_error::TAMPERED_CACHE));
        }
        let Ok(stored) = crate::json::from_str::<Stored>(json) else {
            return (fresh(), lost(super::sync_error::TAMPERED_CACHE));
        };
        if stored.account_id != account_id || stored.device_id != device_id {
            return (fresh(), lost(crate::snapshot::error::WRONG_ACCOUNT));
        }
        let mut state = ClientState {
            account_id: stored.account_id,
            device_id: stored.device_id,
            snapshot: None,
            outbox: stored.outbox,
            holds: stored.holds,
            next_seq: stored.next_seq,
            next_hold: stored.next_hold,
            latest_seen: stored.latest_seen,
        };
        if stored.v != STATE_VERSION || !state.outbox_is_consistent() {
            return (fresh(), lost(super::sync_error::TAMPERED_CACHE));
        }
        let mut discarded = None;
        if let Some(value) = stored.snapshot {
            let verified = crate::json::from_value::<Envelope>(value)
                .map_err(|_| ())
                .and_then(|e| e.verify(keys).map_err(|_| ()))
                .and_then(|v| check_identity(&v.payload, account_id, device_id).map(|_| v).map_err(|_| ()));
            match verified {
                Ok(v) => state.snapshot = Some(v),
                Err(()) => {
                    discarded =
                        Some(Discarded { code: super::sync_error::TAMPERED_CACHE, kept_mutations: state.outbox.len(), outbox_lost: false })
                }
            }
        }
        (state, discarded)
    }

    /// Seqs contiguous and below `next_seq`, hold ids unique, sizes bounded, and
    /// `next_seq` beyond every hold's reserve.
    fn outbox_is_consistent(&self) -> bool {
        if self.outbox.len() > MAX_OUTBOX || self.holds.len() > MAX_HOLDS || self.next_seq == 0 {
            return false;
        }
        let mut expected = self.outbox.front().map(|e| e.mutation.seq());
        for e in &self.outbox {
            if Some(e.mutation.seq()) != expected {
                return false;
            }
            expected = e.mutation.seq().checked_add(1);
        }
        if self.outbox.back().is_some_and(|e| e.mutation.seq() >= self.next_seq) {
            return false;
        }
        let mut ids: Vec<&str> = self.holds.iter().map(|h| h.id.as_str()).collect();
        crate::sort::sort_by(&mut ids, |a, b| a.cmp(b));
        ids.windows(2).all(|w| w[0] != w[1])
    }

    /// The held snapshot's payload.
    pub fn payload(&self) -> Option<&crate::snapshot::SnapshotPayload> {
        self.snapshot.as_ref().map(|v| &v.payload)
    }

    /// A local hold by id.
    pub fn hold(&self, id: &str) -> Option<&LocalHold> {
        self.holds.iter().find(|h| h.id == id)
    }
}

json_unit_enum!(HoldState { Pending = "pending", Open = "open", Detached = "detached", Refused = "refused" });
json_struct!(LocalHold {
    id: "id",
    amount: "amount",
    state: "state",
    expires_at: "expiresAt",
    unit: "unit" = opt,
    units: "units" = opt,
    worst: "worst" = opt
});
json_struct!(OutboxEntry { mutation: "mutation", exposure: "exposure" = default, credits: "credits" = opt, units: "units" = opt });
json_to!(impl ['a] StoredRef<'a> {
    v: "v",
    account_id: "accountId",
    device_id: "deviceId",
    next_seq: "nextSeq",
    next_hold: "nextHold",
    latest_seen: "latestSeen",
    snapshot: "snapshot",
    outbox: "outbox",
    holds: "holds",
});
json_from!(Stored {
    v: "v",
    account_id: "accountId",
    device_id: "deviceId",
    next_seq: "nextSeq",
    next_hold: "nextHold" = default,
    latest_seen: "latestSeen" = default,
    snapshot: "snapshot" = default,
    outbox: "outbox",
    holds: "holds" = default,
});
