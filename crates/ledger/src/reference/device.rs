//! What the ledger keeps per device: the last applied mutation seq, recent results (to
//! answer duplicates with the original result), reserves it refused (a later commit of
//! such a hold is still charged), and the device's overdraft.

use super::fingerprint::Fingerprint;
use crate::message::MutationResult;
use crate::money::Credits;
use std::collections::{HashMap, VecDeque};

/// One device of an account.
#[derive(Debug, Clone, Default)]
pub struct Device {
    /// The last mutation seq applied or refused (0: none).
    pub last_seq: u64,
    /// Credits charged beyond the balance and not settled yet (≤ the offline limit plus
    /// `vouched`).
    pub overdraft: Credits,
    /// All credits ever recorded as overdraft.
    pub overdraft_total: Credits,
    /// Of `overdraft`, the credits owed for holds the ledger had confirmed and that
    /// expired before their commit arrived (see `apply`): not counted against the
    /// offline limit, settled first.
    pub vouched: Credits,
    /// All credits ever left unpaid (beyond the offline limit).
    pub unpaid_total: Credits,
    /// This device's offline limit, when not the ledger's default.
    pub offline_limit: Option<Credits>,
    /// Hold ids whose reserve was refused, with their operation.
    pub refused_reserves: HashMap<String, String>,
    results: VecDeque<MutationResult>,
    /// The fingerprint of every mutation applied or refused, with its seq: a mutation
    /// with a known fingerprint is a duplicate whatever seq it carries now, one with an
    /// unknown fingerprint and a used seq is a conflict (16 bytes and a seq each, kept
    /// for the device's life).
    seen: HashMap<Fingerprint, u64>,
}

impl Device {
    /// The outstanding overdraft that counts against the offline limit.
    pub fn own_overdraft(&self) -> Credits {
        self.overdraft.saturating_sub(self.vouched)
    }

    /// The original result of an applied or refused seq, while still remembered.
    pub fn result(&self, seq: u64) -> Option<&MutationResult> {
        let first = self.last_seq.checked_sub(self.results.len() as u64)?.checked_add(1)?;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.results.get(i)
    }

    /// The seq under which a mutation with this fingerprint was applied or refused.
    pub fn seen(&self, fp: &Fingerprint) -> Option<u64> {
        self.seen.get(fp).copied()
    }

    /// Every fingerprint with its seq (for a store that keeps the device between requests).
    pub fn fingerprints(&self) -> impl Iterator<Item = (&Fingerprint, u64)> {
        self.seen.iter().map(|(fp, seq)| (fp, *seq))
    }

    /// Takes back a fingerprint a store kept.
    pub fn restore_fingerprint(&mut self, fp: Fingerprint, seq: u64) {
        self.seen.insert(fp, seq);
    }

    /// Takes back the original result of the next seq from a store (its fingerprint is
    /// restored apart).
    pub fn restore_result(&mut self, result: MutationResult) {
        self.last_seq = result.seq;
        self.results.push_back(result);
    }

    /// Records the result of the next seq, remembering at most `keep` results, and the
    /// mutation's fingerprint.
    pub fn record(&mut self, fp: Fingerprint, result: MutationResult, keep: usize) {
        self.seen.insert(fp, result.seq);
        self.last_seq = result.seq;
        self.results.push_back(result);
        while self.results.len() > keep.max(1) {
            self.results.pop_front();
        }
    }
}
