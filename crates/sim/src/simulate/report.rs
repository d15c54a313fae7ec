//! Invariant counts and the summary line.

/// Broken invariants, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Commits applied twice, or charged more than committed.
    pub double_charges: u64,
    /// Acknowledged commits not charged (or charged less).
    pub lost: u64,
    /// Devices with unpaid usage or an overdraft beyond their offline limit.
    pub overspent: u64,
    /// Holds still open after the drain, or ended other than exactly once.
    pub unresolved_holds: u64,
    /// Entries that do not fold to the state, and devices that did not converge.
    pub diverged: u64,
}

impl Counts {
    /// Adds another run's counts.
    pub fn add(&mut self, o: Counts) {
        self.double_charges += o.double_charges;
        self.lost += o.lost;
        self.overspent += o.overspent;
        self.unresolved_holds += o.unresolved_holds;
        self.diverged += o.diverged;
    }

    /// Whether nothing broke.
    pub fn is_clean(&self) -> bool {
        *self == Counts::default()
    }
}

/// The last line: `seeds=N ops=TOTAL double_charges=… lost=… overspent=… unresolved_holds=… diverged=…`.
pub fn summary(seeds: u64, ops: u64, c: &Counts) -> String {
    format!(
        "seeds={seeds} ops={ops} double_charges={} lost={} overspent={} unresolved_holds={} diverged={}",
        c.double_charges, c.lost, c.overspent, c.unresolved_holds, c.diverged
    )
}
