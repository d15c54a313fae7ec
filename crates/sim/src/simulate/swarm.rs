//! Per-seed fault rates and operation mix (swarm testing): each seed turns off a random
//! subset of faults and operations, and draws the rates of the rest from their ranges.

use crate::simulate::rng::Rng;

/// How often each fault strikes, per callback or per step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// A push or pull callback rejects (half of them after the ledger applied it).
    pub reject: f64,
    /// A response is delivered twice (the second with the same token), or an older
    /// response body is replayed in its place.
    pub duplicate: f64,
    /// A callback never answers: the driver times it out.
    pub stall: f64,
    /// The ledger receives a request twice.
    pub redeliver: f64,
    /// Per step: a device goes offline (or comes back).
    pub partition: f64,
    /// A save fails (half of them after the bytes landed).
    pub save_fail: f64,
    /// At a crash, the save in flight lands after all (otherwise it is lost).
    pub lands_at_crash: f64,
    /// Per step: a device crashes (every tab dies).
    pub crash: f64,
    /// Per step: a device's clock jumps by up to ± days.
    pub clock_jump: f64,
    /// Longest response latency (ms).
    pub latency_ms: i64,
    /// Per step: a device restarts from an older save of its state (a backup restored,
    /// an undo of data.json); only when no usage exists solely in the current save.
    pub restore: f64,
    /// Per step: a device's saved state is copied to a second installation that runs
    /// with the same device id (a vault synced to another machine), both live.
    pub clone: f64,
}

fn maybe(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    if rng.chance(0.5) {
        rng.range(lo, hi)
    } else {
        0.0
    }
}

impl Faults {
    /// Draws a seed's faults: each on with probability ½, at a rate from its range.
    pub(crate) fn draw(rng: &mut Rng) -> Faults {
        Faults {
            reject: maybe(rng, 0.0, 0.30),
            duplicate: maybe(rng, 0.0, 0.50),
            stall: maybe(rng, 0.0, 0.02),
            redeliver: maybe(rng, 0.0, 0.20),
            partition: maybe(rng, 0.0, 0.01),
            save_fail: maybe(rng, 0.0, 0.10),
            lands_at_crash: rng.unit(),
            crash: maybe(rng, 0.0, 2e-3),
            clock_jump: maybe(rng, 0.0, 2e-3),
            latency_ms: rng.between(0, 3_000),
            restore: maybe(rng, 0.0, 2e-3),
            clone: maybe(rng, 0.0, 1e-3),
        }
    }

    /// No faults at all (the drain after a run).
    pub(crate) fn none() -> Faults {
        Faults::default()
    }
}

/// The operations a step may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Reserve credits for an AI call.
    Reserve,
    /// Commit a ready hold's actual usage.
    Commit,
    /// Release a ready hold.
    Release,
    /// Forget a ready hold (the call's tab lost track of it): the ledger expires it.
    Abandon,
    /// Buy a package or get a grant (admin).
    TopUp,
    /// Let time pass: minutes to hours.
    Wait,
    /// The host asks for a sync.
    Sync,
    /// The owning tab closes; the next tab takes over.
    CloseTab,
    /// A new tab opens on a device.
    OpenTab,
    /// Nothing but a little time passing.
    Tick,
    /// The AI proxy claims a hold for a call (it settles it later; see `proxy`).
    Proxy,
}

/// Every operation with its base weight.
pub(crate) const OPS: [(Op, u32); 11] = [
    (Op::Reserve, 30),
    (Op::Commit, 25),
    (Op::Release, 6),
    (Op::Abandon, 2),
    (Op::TopUp, 3),
    (Op::Wait, 4),
    (Op::Sync, 6),
    (Op::CloseTab, 2),
    (Op::OpenTab, 2),
    (Op::Tick, 20),
    (Op::Proxy, 8),
];

/// A seed's operation weights: a random subset turned off (never Reserve, Commit, Tick).
pub(crate) fn draw_mix(rng: &mut Rng) -> Vec<u32> {
    OPS.iter()
        .map(|&(op, w)| {
            let essential = matches!(op, Op::Reserve | Op::Commit | Op::Tick);
            if !essential && rng.chance(0.3) {
                0
            } else {
                w
            }
        })
        .collect()
}
