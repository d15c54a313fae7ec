//! A device's storage, shared by its tabs: the one string the machine asks the host to
//! save. A save either lands whole or not at all (the host contract: `save` replaces the
//! stored value atomically); faults decide whether it lands and what the host reports.

use crate::simulate::rng::Rng;
use crate::simulate::swarm::Faults;

/// What became of one save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveFate {
    /// Written and reported done.
    Ok,
    /// Reported failed; nothing written.
    Failed,
    /// Reported failed, but the bytes landed (the host threw after writing).
    FailedAfterWrite,
}

impl SaveFate {
    /// Draws a save's fate.
    pub(crate) fn draw(rng: &mut Rng, faults: &Faults) -> SaveFate {
        if !rng.chance(faults.save_fail) {
            SaveFate::Ok
        } else if rng.chance(0.5) {
            SaveFate::Failed
        } else {
            SaveFate::FailedAfterWrite
        }
    }

    /// Whether the bytes are in storage afterwards.
    pub(crate) fn lands(self) -> bool {
        self != SaveFate::Failed
    }
}

/// Earlier values kept for the "restore an older save" fault.
const KEEP: usize = 8;

/// The persisted value of one device, and some of its earlier values (backups).
#[derive(Debug, Clone, Default)]
pub(crate) struct Storage {
    value: Option<String>,
    older: Vec<String>,
    writes: u64,
}

impl Storage {
    /// What the host's `load` returns.
    pub(crate) fn load(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Replaces the value (the one replaced may be kept as a backup: the most recent
    /// ones, and every 16th write for older ones).
    pub(crate) fn write(&mut self, state: String) {
        self.writes += 1;
        if let Some(old) = self.value.replace(state) {
            if self.older.len() >= KEEP {
                let drop = if self.writes % 16 == 0 { 0 } else { KEEP / 2 };
                self.older.remove(drop);
            }
            self.older.push(old);
        }
    }

    /// The backups, oldest first.
    pub(crate) fn backups(&self) -> &[String] {
        &self.older
    }

    /// Puts a backup back in place of the value (the current value is not kept).
    pub(crate) fn restore(&mut self, state: String) {
        self.value = Some(state);
    }

    /// Whether the stored state has mutations the ledger may not have yet: restoring
    /// over it would delete usage that exists nowhere else (a deleted outbox, §9).
    pub(crate) fn has_outbox(&self) -> bool {
        self.value.as_deref().is_some_and(|v| !v.contains("\"outbox\":[]"))
    }
}
