//! One device: its storage, its tabs (only the owner of the tab lock runs the sync
//! machine, as `src/wasm/tab_lock.rs` does), its clock, and the user of the owning tab,
//! who reserves before an AI call and commits or releases after it.

use crate::storage::Storage;
use credit_meter_client::{Action, Config, Event, Machine, OpId, ReserveRequest, SyncError};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::PublicKeys;
use std::collections::BTreeMap;

/// A hold the user may commit or release.
#[derive(Debug, Clone)]
pub(crate) struct UserHold {
    /// The hold id.
    pub id: String,
    /// Credits reserved, or units for a hold in an allowance's units.
    pub amount: Credits,
    /// The allowance unit of a hold reserved in units (PROTOCOL §12); `None`: credits.
    pub unit: Option<&'static str>,
    /// A commit of this usage failed to save: the usage happened, commit it again.
    pub usage: Option<Credits>,
    /// The true time by which the AI call ends (the hold's TTL after the reserve): a
    /// host's call that runs longer is aborted, and the hold released.
    pub deadline: i64,
}

/// An operation waiting for its save.
#[derive(Debug, Clone)]
enum UserOp {
    Reserve { hold: UserHold, needs_confirmation: bool },
    Commit { hold: UserHold, amount: Credits },
    Release { hold: UserHold },
}

/// A commit the user was told is done (durable).
#[derive(Debug, Clone)]
pub(crate) struct Acked {
    /// The account.
    pub account: String,
    /// The hold.
    pub hold_id: String,
    /// Credits committed.
    pub amount: Credits,
}

/// The tab that owns the sync loop, with its user's state.
#[derive(Debug)]
pub(crate) struct Owner {
    /// The sync machine.
    pub machine: Machine,
    /// Which owner this is (answers for an earlier one are stale).
    pub incarnation: u64,
    ready: Vec<UserHold>,
    confirming: Vec<UserHold>,
    ops: BTreeMap<OpId, UserOp>,
}

/// One device of an account.
#[derive(Debug)]
pub(crate) struct Device {
    /// The account.
    pub account: String,
    /// The device id.
    pub id: String,
    /// The device's storage, shared by its tabs.
    pub storage: Storage,
    /// Tabs open on the device (the owner is one of them).
    pub tabs: u32,
    /// The owning tab, when any tab is open.
    pub owner: Option<Owner>,
    /// The device clock minus the true time (ms).
    pub clock_offset: i64,
    /// Whether the device is cut off from the ledger.
    pub offline: bool,
    /// When a crashed device comes back (true time).
    pub down_until: i64,
    /// Another installation running a copy of device `copy_of`'s state, same device id.
    pub copy_of: Option<usize>,
    /// Restarted from an older save at least once (the restore fault).
    pub restored: bool,
    incarnations: u64,
}

impl Device {
    /// A device with no tab open yet.
    pub(crate) fn new(account: &str, id: &str) -> Device {
        Device {
            account: account.into(),
            id: id.into(),
            storage: Storage::default(),
            tabs: 0,
            owner: None,
            clock_offset: 0,
            offline: false,
            down_until: i64::MIN,
            copy_of: None,
            restored: false,
            incarnations: 0,
        }
    }

    /// The device clock at true time `t`.
    pub(crate) fn now(&self, t: i64) -> i64 {
        t.saturating_add(self.clock_offset)
    }

    /// The next tab in line takes the lock: a fresh machine opened from storage.
    /// `entropy` comes from the seed (the machine's random ids: a real host passes
    /// `crypto.getRandomValues`).
    pub(crate) fn promote(&mut self, keys: &PublicKeys, t: i64, entropy: [u8; 32]) {
        self.incarnations += 1;
        let mut cfg = Config::new(&self.account, &self.id);
        cfg.entropy = entropy;
        let mut machine = Machine::new(cfg, keys.clone());
        machine.open(self.storage.load(), self.now(t));
        self.owner =
            Some(Owner { machine, incarnation: self.incarnations, ready: Vec::new(), confirming: Vec::new(), ops: BTreeMap::new() });
    }

    /// The owning tab's machine.
    pub(crate) fn machine(&mut self) -> Option<&mut Machine> {
        self.owner.as_mut().map(|o| &mut o.machine)
    }

    /// The current owner's incarnation (0 when none).
    pub(crate) fn incarnation(&self) -> u64 {
        self.owner.as_ref().map_or(0, |o| o.incarnation)
    }

    /// Drains the machine's events into the user's state (acknowledged commits go to
    /// `acked`) and returns the actions to run.
    pub(crate) fn pump(&mut self, t: i64, acked: &mut Vec<Acked>) -> Vec<Action> {
        let now = self.now(t);
        let account = self.account.clone();
        let Some(o) = self.owner.as_mut() else { return Vec::new() };
        let mut actions = Vec::new();
        loop {
            while let Some(a) = o.machine.poll_action() {
                actions.push(a);
            }
            let Some(e) = o.machine.poll_event() else { break };
            o.on_event(e, &account, now, acked);
        }
        actions
    }

    /// Whether the user has nothing in progress.
    pub(crate) fn user_idle(&self) -> bool {
        self.owner.as_ref().is_none_or(|o| o.ready.is_empty() && o.confirming.is_empty() && o.ops.is_empty())
    }
}

impl Owner {
    fn on_event(&mut self, e: Event, account: &str, now: i64, acked: &mut Vec<Acked>) {
        match e {
            Event::OpDurable { op } => match self.ops.remove(&op) {
                Some(UserOp::Reserve { hold, needs_confirmation: true }) => self.confirming.push(hold),
                Some(UserOp::Reserve { hold, .. }) => self.ready.push(hold),
                Some(UserOp::Commit { hold, amount }) => acked.push(Acked { account: account.into(), hold_id: hold.id, amount }),
                Some(UserOp::Release { .. }) | None => {}
            },
            Event::OpFailed { op, .. } => match self.ops.remove(&op) {
                Some(UserOp::Commit { hold, amount }) => self.ready.push(UserHold { usage: Some(amount), ..hold }),
                // The call failed or was refused: no usage to commit, release again.
                Some(UserOp::Release { hold }) => self.release(hold, now),
                Some(UserOp::Reserve { .. }) | None => {}
            },
            Event::Acknowledged(ack) if ack.kind == "reserve" => {
                let Some(i) = self.confirming.iter().position(|h| h.id == ack.hold_id) else { return };
                let hold = self.confirming.remove(i);
                if ack.confirmed {
                    self.ready.push(hold);
                } else {
                    // Refused: the AI call is not made; give the hold back.
                    self.release(hold, now);
                }
            }
            _ => {}
        }
    }

    /// Reserves `amount` (credits, or units of `unit`) for a call that ends by `deadline`
    /// (true time).
    pub(crate) fn reserve(&mut self, amount: Credits, unit: Option<&'static str>, now: i64, deadline: i64) -> Result<(), SyncError> {
        let operation = match unit {
            Some("ttsCharacters") => "tts",
            Some(_) => "message",
            None => "flashcards.generate",
        };
        let req = ReserveRequest { amount, operation: operation.into(), agent_id: None, unit: unit.map(str::to_string) };
        let r = self.machine.reserve(&req, now)?;
        let hold = UserHold { id: r.hold_id, amount, unit, usage: None, deadline };
        self.ops.insert(r.op, UserOp::Reserve { hold, needs_confirmation: r.needs_confirmation });
        Ok(())
    }

    /// The ready holds.
    pub(crate) fn ready(&self) -> &[UserHold] {
        &self.ready
    }

    /// Commits ready hold `i` with `amount` (its recorded usage, if any, wins).
    pub(crate) fn commit(&mut self, i: usize, amount: Credits, now: i64) {
        let hold = self.ready.remove(i);
        self.commit_hold(hold, amount, now);
    }

    fn commit_hold(&mut self, hold: UserHold, amount: Credits, now: i64) {
        let amount = hold.usage.unwrap_or(amount);
        let staged = match hold.unit {
            Some(_) => match credit_meter_client::units::whole(amount) {
                Some(units) => self.machine.commit_units(&hold.id, units, now),
                None => Err(SyncError::BadInput("not a whole number of units")),
            },
            None => self.machine.commit(&hold.id, amount, now),
        };
        match staged {
            Ok(s) => {
                self.ops.insert(s.op, UserOp::Commit { hold, amount });
            }
            Err(_) => self.ready.push(hold),
        }
    }

    /// Releases ready hold `i` (a hold whose usage happened is committed instead).
    pub(crate) fn release_ready(&mut self, i: usize, now: i64) {
        let hold = self.ready.remove(i);
        self.resolve(hold, now);
    }

    fn resolve(&mut self, hold: UserHold, now: i64) {
        match hold.usage {
            Some(u) => self.commit_hold(hold, u, now),
            None => self.release(hold, now),
        }
    }

    fn release(&mut self, hold: UserHold, now: i64) {
        // An error means the hold is not tracked any more: nothing to release.
        if let Ok(s) = self.machine.release(&hold.id, now) {
            self.ops.insert(s.op, UserOp::Release { hold });
        }
    }

    /// Forgets ready hold `i` when no usage is recorded on it (the ledger expires it).
    pub(crate) fn abandon(&mut self, i: usize) {
        if self.ready.get(i).is_some_and(|h| h.usage.is_none()) {
            self.ready.remove(i);
        }
    }

    /// Resolves every ready hold: commits recorded usage, releases the rest.
    pub(crate) fn settle_all(&mut self, now: i64) {
        for hold in std::mem::take(&mut self.ready) {
            self.resolve(hold, now);
        }
    }
}
