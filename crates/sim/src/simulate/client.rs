//! One device: its storage, its tabs (only the owner of the tab lock runs the sync
//! machine, as the Wasm binding's tab lock does), its clock, and the user of the owning
//! tab, who reserves before an AI call and commits or releases after it. The user's
//! operations wait for the machine the way the binding's promises do: through the
//! client's [`Settlements`] (which event answers which operation, a refused reservation
//! ended by [`meter::refused_reserve`]).

use crate::simulate::storage::Storage;
use credit_meter_client::meter;
use credit_meter_client::settle::{Confirm, Settle, Settlements};
use credit_meter_client::{Action, Config, Event, Machine, ReserveRequest, SyncError};
use credit_meter_core::catalog::Catalog;
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::PublicKeys;

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

/// An operation waiting for its save (and a reserve the ledger must confirm, for that).
#[derive(Debug, Clone)]
enum UserOp {
    Reserve { hold: UserHold },
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
    /// The user's operations waiting for the machine.
    waiting: Settlements<UserOp>,
    /// How many operations wait.
    in_flight: usize,
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
        let now = self.now(t);
        let stored = crate::simulate::host::load(&crate::simulate::host::DecidedHost::loading(self.storage.load(), now));
        machine.open(stored.as_deref(), now);
        self.owner =
            Some(Owner { machine, incarnation: self.incarnations, ready: Vec::new(), waiting: Settlements::default(), in_flight: 0 });
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
        self.owner.as_ref().is_none_or(|o| o.ready.is_empty() && o.in_flight == 0)
    }
}

impl Owner {
    fn on_event(&mut self, e: Event, account: &str, now: i64, acked: &mut Vec<Acked>) {
        let Some(settle) = self.waiting.on_event(&e, false) else { return };
        if let Settle::ResolveWithBalance(_) | Settle::RejectAll(..) = settle {
            return; // the user never waits on sync() here
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        match settle {
            Settle::Resolve(UserOp::Reserve { hold }) => self.ready.push(hold),
            Settle::Resolve(UserOp::Commit { hold, amount }) => acked.push(Acked { account: account.into(), hold_id: hold.id, amount }),
            Settle::Resolve(UserOp::Release { .. }) => {}
            // The save failed: the commit did not happen, but the usage did: commit again.
            Settle::Reject(UserOp::Commit { hold, amount }, ..) => self.ready.push(UserHold { usage: Some(amount), ..hold }),
            // The release did not happen: release again.
            Settle::Reject(UserOp::Release { hold }, ..) => self.release(hold, now),
            Settle::Reject(UserOp::Reserve { .. }, ..) => {}
            // The ledger refused it: the AI call is not made, and the hold ends as the
            // binding ends it.
            Settle::RefusedReserve(_, refused) => {
                let _ = meter::refused_reserve(&mut self.machine, &Catalog::default_catalog(), &refused, now);
            }
            Settle::ResolveWithBalance(_) | Settle::RejectAll(..) => {}
        }
    }

    /// Waits for `op` like a binding's promise.
    fn wait(&mut self, op: credit_meter_client::OpId, user: UserOp, confirm: Option<Confirm>) {
        self.waiting.wait_op(op, user, confirm);
        self.in_flight += 1;
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
        let confirm = r.needs_confirmation.then(|| Confirm {
            hold_id: r.hold_id.clone(),
            operation: operation.into(),
            units: unit.and_then(|_| credit_meter_client::units::whole(amount)),
        });
        let hold = UserHold { id: r.hold_id, amount, unit, usage: None, deadline };
        self.wait(r.op, UserOp::Reserve { hold }, confirm);
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
            Ok(s) => self.wait(s.op, UserOp::Commit { hold, amount }, None),
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
            self.wait(s.op, UserOp::Release { hold }, None);
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
