//! A device's storage, shared by its tabs: the one string the machine asks the host to
//! save. A save either lands whole or not at all (the host contract: `save` replaces the
//! stored value atomically); faults decide whether it lands and what the host reports.

use crate::rng::Rng;
use crate::swarm::Faults;

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

/// The persisted value of one device.
#[derive(Debug, Clone, Default)]
pub(crate) struct Storage {
    value: Option<String>,
}

impl Storage {
    /// What the host's `load` returns.
    pub(crate) fn load(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Replaces the value.
    pub(crate) fn write(&mut self, state: String) {
        self.value = Some(state);
    }
}
