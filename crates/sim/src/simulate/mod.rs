//! A deterministic simulation of devices and browser tabs sharing accounts against a
//! ledger, in the manner of TigerBeetle's VOPR: one seed drives the clock, the
//! callbacks' outcomes, storage and scheduling; each seed turns off a random subset of
//! faults and operations (swarm testing). After each run the faults stop, the queues
//! drain, and the invariants are checked: nothing applied twice, no acknowledged commit
//! lost, nothing overspent beyond the offline limits, every hold ended exactly once,
//! every balance the fold of its entries, every client converged to the ledger.
//!
//! The ledger is pluggable ([`SimLedger`]): the `simulate` binary runs the in-memory
//! reference ledger; the ledger service's tests run the same world against its SQL store
//! (SQLite, and PostgreSQL when one is configured).

mod client;
mod host;
mod invariants;
mod ledger;
mod net;
mod proxy;
mod report;
mod rng;
mod storage;
mod swarm;
mod world;

pub use ledger::{AccountView, SimLedger};
pub use proxy::ABANDONED_MS;
pub use report::{summary, Counts};

use credit_meter_ledger_core::reference::LedgerConfig;
use credit_meter_protocol::snapshot::SnapshotSigner;
use std::sync::OnceLock;

/// Whether `SIM_TRACE` is set: then reserves, commits, crashes and applied commits are
/// traced to stderr (for replaying a failing seed).
pub fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SIM_TRACE").is_some())
}

/// What the AI proxy actor did over a run: holds claimed, settled, and client results
/// that reported its settlement (`settledBy`), so that the summary shows it raced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProxyTally {
    /// Holds it claimed.
    pub claimed: u64,
    /// Holds with a settlement answer.
    pub settled: u64,
    /// Client results that carried its settlement.
    pub told: u64,
}

impl ProxyTally {
    /// Adds another run's tally.
    pub fn add(&mut self, o: ProxyTally) {
        self.claimed += o.claimed;
        self.settled += o.settled;
        self.told += o.told;
    }
}

/// One seed's run.
#[derive(Debug, Clone)]
pub struct SeedRun {
    /// Operations run.
    pub ops: u64,
    /// Invariants broken.
    pub counts: Counts,
    /// What the AI proxy did.
    pub proxy: ProxyTally,
    /// Commits the ledger applied (as the clients' pushes saw them).
    pub applied: u64,
    /// A line per broken invariant.
    pub why: Vec<String>,
}

/// Several seeds' runs added up, and the two lines that report them.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Seeds run.
    pub seeds: u64,
    /// Operations run.
    pub ops: u64,
    /// Invariants broken.
    pub counts: Counts,
    /// What the AI proxy did.
    pub proxy: ProxyTally,
    /// Commits the ledger applied.
    pub applied: u64,
}

impl Totals {
    /// Adds one seed's run.
    pub fn add(&mut self, run: &SeedRun) {
        self.seeds += 1;
        self.ops += run.ops;
        self.counts.add(run.counts);
        self.proxy.add(run.proxy);
        self.applied += run.applied;
    }

    /// `AI proxy: N holds claimed, M settled, K client results with its settlement`.
    pub fn proxy_line(&self) -> String {
        let p = self.proxy;
        format!("AI proxy: {} holds claimed, {} settled, {} client results with its settlement", p.claimed, p.settled, p.told)
    }

    /// The summary line ([`summary`]).
    pub fn summary(&self) -> String {
        summary(self.seeds, self.ops, &self.counts)
    }
}

/// Runs seed `seed` for `ops` operations against the ledger `make` builds from the
/// seed's signer and settings, drains it and checks the invariants.
pub fn run_seed<L: SimLedger>(seed: u64, ops: u64, make: impl FnOnce(SnapshotSigner, LedgerConfig) -> L) -> SeedRun {
    let mut w = world::World::new(seed, make);
    for _ in 0..ops {
        w.step();
    }
    let settled = w.drain();
    let mut why = Vec::new();
    let counts = invariants::check(&w, settled, &mut why);
    let proxy = ProxyTally {
        claimed: w.proxy.claimed.len() as u64,
        settled: w.proxy.settled.len() as u64,
        told: w.net.proxied.values().map(|v| v.len() as u64).sum(),
    };
    let applied = w.net.applied.values().map(|v| v.len() as u64).sum();
    SeedRun { ops: w.ops, counts, proxy, applied, why }
}
