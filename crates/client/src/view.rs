//! The device's arithmetic: what is available and how much is unconfirmed, from the
//! snapshot, the local holds and the outbox.
//!
//! ```text
//! balance   = credits in the snapshot's grants still usable now
//! heldOther = snapshot.held − the snapshot's holds this client knows  (other devices,
//!             and other copies of this device's state)
//! heldOwn   = this device's holds: pending ones, and open or detached ones until expiry
//! pending   = credits of commits not yet acknowledged
//! available = balance − heldOther − heldOwn − pending                (never below 0)
//! exposure  = pending or detached holds + commits' amounts beyond a ledger-open hold
//! room      = snapshot.offlineLimit − exposure                       (never below 0)
//! ```

use super::state::{ClientState, HoldState};
use crate::money::Credits;
use crate::snapshot::{freshness, Freshness, SnapshotHold};

/// The device's figures at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// The instant.
    pub at: i64,
    /// Credits in usable grants per the snapshot.
    pub balance: Credits,
    /// Credits reserved by other devices' holds.
    pub held_other: Credits,
    /// Credits reserved by this device's holds.
    pub held_own: Credits,
    /// Commits not yet acknowledged.
    pub pending: Credits,
    /// What can be reserved now (before the offline limit).
    pub available: Credits,
    /// Spending the ledger has not confirmed yet.
    pub exposure: Credits,
    /// What may still be spent without the ledger: the offline limit minus the exposure.
    pub room: Credits,
    /// Whether the snapshot can be relied on.
    pub freshness: Freshness,
    /// Whether the balance is below a low-balance level.
    pub low: bool,
    /// The snapshot's seq (0 without one).
    pub seq: u64,
    /// Mutations waiting to be acknowledged.
    pub outbox: usize,
}

impl Figures {
    /// What the user can spend now: the available credits, and while the snapshot is
    /// stale (or the clock untrusted) no more than the offline room. The one definition
    /// `decide`, `balance()` and the headline figure use.
    pub fn spendable(&self) -> Credits {
        if self.freshness.is_bounded() {
            self.available.min(self.room)
        } else {
            self.available
        }
    }
}

fn add(a: Credits, b: Credits) -> Credits {
    a.checked_add(b).unwrap_or(a)
}

/// The snapshot's holds this state knows nothing of — neither a local hold nor the hold of
/// a commit or release in the outbox. The snapshot lists every hold of this device id, and
/// these were placed by another copy of the state (a restored backup, a synced vault on
/// another installation): they reserve credits and units like another device's.
pub fn foreign_holds(state: &ClientState) -> impl Iterator<Item = &SnapshotHold> {
    let listed = state.payload().map(|p| p.holds.as_slice()).unwrap_or_default();
    let mut known: Vec<&str> = Vec::new();
    if !listed.is_empty() {
        // A sorted list searched by halves, with the sort the crate already carries: a
        // `HashSet` would bring its table and SipHash code into the .wasm (3.7 KB) for this
        // one membership test.
        known = state.holds.iter().map(|h| h.id.as_str()).chain(state.outbox.iter().map(|e| e.mutation.hold_id())).collect();
        crate::sort::sort_by(&mut known, |a, b| a.cmp(b));
    }
    listed.iter().filter(move |h| known.binary_search(&h.id.as_str()).is_err())
}

/// Running totals over the outbox, kept up to date as entries come and go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Σ commit amounts.
    pub pending: Credits,
    /// Σ entries' exposure.
    pub exposure: Credits,
    /// Credits of the snapshot's holds this client knows nothing of: the snapshot lists
    /// every hold of this device id, and another copy of the state (a restored backup, a
    /// synced vault on another installation) placed these; they reserve credits like
    /// another device's. Fixed between snapshots: a hold known at a snapshot stays known
    /// (a local hold, or the hold of a commit or release in the outbox) until the next.
    pub foreign_held: Credits,
}

impl Totals {
    /// Recomputes from scratch.
    pub fn of(state: &ClientState) -> Totals {
        let mut t = Totals::default();
        for e in &state.outbox {
            t.add_entry(e);
        }
        for h in foreign_holds(state) {
            t.foreign_held = add(t.foreign_held, h.amount);
        }
        t
    }

    /// Adds an entry.
    pub fn add_entry(&mut self, e: &super::state::OutboxEntry) {
        if let super::message::Mutation::Commit { amount, .. } = &e.mutation {
            // A commit in units may cost `credits`; one in credits costs its amount.
            self.pending = add(self.pending, e.credits.unwrap_or(*amount));
        }
        self.exposure = add(self.exposure, e.exposure);
    }
}

/// The device's figures at `now`.
pub fn figures(state: &ClientState, totals: Totals, now: i64) -> Figures {
    let fresh = freshness(state.payload(), now, state.latest_seen);
    let Some(p) = state.payload() else {
        return Figures {
            at: now,
            balance: Credits::ZERO,
            held_other: Credits::ZERO,
            held_own: Credits::ZERO,
            pending: totals.pending,
            available: Credits::ZERO,
            exposure: totals.exposure,
            room: Credits::ZERO,
            freshness: fresh,
            low: false,
            seq: 0,
            outbox: state.outbox.len(),
        };
    };
    // Grants expire by the later of the clock and what the ledger has vouched for, so a
    // clock set back does not revive expired grants.
    let grant_clock = now.max(p.issued_at).max(state.latest_seen);
    let balance = p.balance_at(grant_clock);
    let held_other = add(p.held.saturating_sub(p.own_held()), totals.foreign_held);
    let mut held_own = Credits::ZERO;
    let mut exposure = totals.exposure;
    for h in state.holds.iter().filter(|h| h.counts_at(now)) {
        if h.state != HoldState::Refused {
            held_own = add(held_own, h.amount);
        }
        if h.state != HoldState::Open {
            exposure = add(exposure, h.exposure());
        }
    }
    let available = balance.saturating_sub(held_other).saturating_sub(held_own).saturating_sub(totals.pending);
    Figures {
        at: now,
        balance,
        held_other,
        held_own,
        pending: totals.pending,
        available,
        exposure,
        room: p.offline_limit.saturating_sub(exposure),
        freshness: fresh,
        low: p.is_low(balance.saturating_sub(totals.pending)),
        seq: p.seq,
        outbox: state.outbox.len(),
    }
}

json_to!(Figures {
    at: "at",
    balance: "balance",
    held_other: "heldOther",
    held_own: "heldOwn",
    pending: "pending",
    available: "available",
    exposure: "exposure",
    room: "room",
    freshness: "freshness",
    low: "low",
    seq: "seq",
    outbox: "outbox",
});
