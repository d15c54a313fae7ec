//! The sync state machine (sans-IO): events in, actions and notifications out.
//!
//! The machine never calls the host, reads a clock or sleeps. A driver feeds it:
//!
//! - [`Machine::open`] with what the host's `load` returned (or `None`);
//! - the operations [`Machine::reserve`], [`Machine::commit`], [`Machine::release`];
//! - completions: [`Machine::save_done`], [`Machine::push_done`], [`Machine::pull_done`]
//!   with the token of the action they answer;
//! - [`Machine::timer`] when [`Machine::next_timeout`] is reached, [`Machine::sync`] when
//!   the host asks for a sync;
//!
//! and after each call drains [`Machine::poll_action`] (run each action, at most one
//! save and one push-or-pull are ever outstanding) and [`Machine::poll_event`].
//!
//! **Persist before send.** An operation appends a mutation and asks for a save; the
//! operation is done ([`Event::OpDurable`]) only when a save containing it succeeds, and
//! only then can the mutation be pushed. When that save fails, the operation — and any
//! operation staged after it — is undone and reported ([`Event::OpFailed`] with
//! `SAVE_FAILED`); nothing of it was sent.

use super::message::Mutation;
use super::state::{ClientState, HoldState, LocalHold, OutboxEntry, MAX_HOLDS, MAX_OUTBOX};
use super::sync_error::{SyncError, SAVE_FAILED};
use super::view::{figures, Figures, Totals};
use crate::money::Credits;
use crate::snapshot::PublicKeys;
use std::collections::VecDeque;

/// Identifies an operation until it is durable or failed.
pub type OpId = u64;

/// Something the driver must do for the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Call the host's `save(state)`, then [`Machine::save_done`] with `token`.
    Save {
        /// Answer with this.
        token: u64,
        /// The persisted state (JSON).
        state: String,
    },
    /// Call the host's `push(request)`, then [`Machine::push_done`] with `token`.
    Push {
        /// Answer with this.
        token: u64,
        /// The push request (JSON).
        request: String,
    },
    /// Call the host's `pull(request)`, then [`Machine::pull_done`] with `token`.
    Pull {
        /// Answer with this.
        token: u64,
        /// The pull request (JSON).
        request: String,
    },
}

/// What a host's push or pull produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// It returned this body (which may still be malformed).
    Body(&'a str),
    /// It rejected, threw, or the network failed.
    Failed,
    /// It did not answer within the driver's timeout.
    Timeout,
}

/// Something the host may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The operation's save succeeded: it happened and will be pushed.
    OpDurable {
        /// The operation.
        op: OpId,
    },
    /// The operation did not happen (`SAVE_FAILED`); nothing of it was sent.
    OpFailed {
        /// The operation.
        op: OpId,
        /// Why.
        code: crate::error::ErrorCode,
    },
    /// The ledger acknowledged a mutation (first time only).
    Acknowledged(super::respond::Ack),
    /// A response was applied: a fresh snapshot is held.
    Synced {
        /// The snapshot's seq.
        seq: u64,
        /// Mutations still waiting.
        outbox: usize,
    },
    /// A push or pull failed; it is retried at `retry_at`.
    SyncFailed {
        /// Why (`TIMEOUT`, `TRANSPORT_FAILED`, `BAD_RESPONSE`, `BAD_SIGNATURE`, …, or the
        /// ledger's error code).
        code: String,
        /// Consecutive failures.
        attempt: u32,
        /// When the machine will try again (ms).
        retry_at: i64,
    },
    /// The persisted state was (partly) discarded on open and will be resynced.
    CacheDiscarded {
        /// `TAMPERED_CACHE` or `WRONG_ACCOUNT`.
        code: crate::error::ErrorCode,
        /// Mutations kept from the outbox.
        kept_mutations: usize,
        /// Whether the outbox could not be kept.
        outbox_lost: bool,
    },
}

/// Tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The account.
    pub account_id: String,
    /// This device.
    pub device_id: String,
    /// Mutations per push.
    pub max_batch: usize,
    /// First retry delay (ms); doubled per consecutive failure.
    pub backoff_base_ms: i64,
    /// Longest retry delay (ms).
    pub backoff_max_ms: i64,
    /// How long to wait before pulling again after a pull left the snapshot stale (ms).
    pub stale_repull_ms: i64,
    /// Fresh random bytes, never persisted: mutation ids and hold-id suffixes are drawn
    /// from them (`super::nonce`), so a copied or restored state makes mutations the
    /// ledger can tell apart. Drivers pass real randomness; a fixed value only in tests.
    pub entropy: [u8; super::nonce::ENTROPY_BYTES],
}

impl Config {
    /// Defaults: 1,000 mutations per push, backoff from 1 s to 5 min, re-pull after 60 s.
    pub fn new(account_id: &str, device_id: &str) -> Config {
        Config {
            account_id: account_id.to_string(),
            device_id: device_id.to_string(),
            max_batch: 1_000,
            backoff_base_ms: 1_000,
            backoff_max_ms: 300_000,
            stale_repull_ms: 60_000,
            entropy: super::nonce::os_entropy(),
        }
    }
}

/// A reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    /// Credits to reserve (more than zero).
    pub amount: Credits,
    /// The operation id (`"flashcards.generate"`).
    pub operation: String,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
    /// An allowance's unit (`"ttsCharacters"`, `"llmTokens"`): `amount` then counts
    /// units, a whole number (PROTOCOL §12).
    pub unit: Option<String>,
}

/// A staged reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// Wait for [`Event::OpDurable`] / [`Event::OpFailed`] with this.
    pub op: OpId,
    /// The new hold's id.
    pub hold_id: String,
    /// The credits held (for a reserve in units: for the shortfall).
    pub amount: Credits,
    /// A reserve in units: the allowance units set aside.
    pub units: Option<u64>,
    /// Its mutation seq.
    pub seq: u64,
    /// The amount is beyond the offline limit: run the AI call only after the ledger
    /// confirms the reserve ([`Event::Acknowledged`] with status `applied` for this hold).
    pub needs_confirmation: bool,
}

/// A staged commit or release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// Wait for [`Event::OpDurable`] / [`Event::OpFailed`] with this.
    pub op: OpId,
    /// Its mutation seq.
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub(super) enum Undo {
    Reserve { hold_id: String },
    Close { hold: LocalHold },
}

#[derive(Debug, Clone)]
pub(super) struct StagedOp {
    pub(super) op: OpId,
    pub(super) seq: u64,
    pub(super) undo: Undo,
    pub(super) save: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct SaveFlight {
    pub(super) token: u64,
    pub(super) through_seq: u64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Flight {
    pub(super) token: u64,
    pub(super) push: bool,
    pub(super) last_seq: u64,
}

/// The sync state machine of one device.
#[derive(Debug)]
pub struct Machine {
    pub(super) cfg: Config,
    pub(super) keys: PublicKeys,
    pub(super) st: ClientState,
    pub(super) totals: Totals,
    pub(super) staged: Vec<StagedOp>,
    pub(super) durable_seq: u64,
    pub(super) next_op: OpId,
    pub(super) next_token: u64,
    pub(super) save: Option<SaveFlight>,
    pub(super) dirty: bool,
    pub(super) save_retry_at: Option<i64>,
    pub(super) request: Option<Flight>,
    pub(super) attempts: u32,
    pub(super) retry_at: Option<i64>,
    pub(super) want_pull: bool,
    pub(super) opened: bool,
    pub(super) actions: VecDeque<Action>,
    pub(super) events: VecDeque<Event>,
    pub(super) nonces: super::nonce::Nonces,
    /// A response left the outbox numbered other than `lastMutationSeq + 1, + 2, …`.
    pub(super) renumber: bool,
}

impl Machine {
    /// A machine for one account and device, verifying with `keys`. Call
    /// [`Machine::open`] next.
    pub fn new(cfg: Config, keys: PublicKeys) -> Machine {
        let st = ClientState::empty(&cfg.account_id, &cfg.device_id);
        let nonces = super::nonce::Nonces::new(cfg.entropy);
        Machine {
            cfg,
            keys,
            st,
            totals: Totals::default(),
            staged: Vec::new(),
            durable_seq: 0,
            next_op: 1,
            next_token: 1,
            save: None,
            dirty: false,
            save_retry_at: None,
            request: None,
            attempts: 0,
            retry_at: None,
            want_pull: false,
            opened: false,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            nonces,
            renumber: false,
        }
    }

    /// Starts from what the host's `load` returned. A state that does not verify is
    /// (partly) discarded and reported with [`Event::CacheDiscarded`]; then the machine
    /// pushes what is pending, or pulls.
    pub fn open(&mut self, persisted: Option<&str>, now: i64) {
        let (st, discarded) = match persisted {
            Some(json) => ClientState::load(json, &self.cfg.account_id, &self.cfg.device_id, &self.keys),
            None => (ClientState::empty(&self.cfg.account_id, &self.cfg.device_id), None),
        };
        self.st = st;
        self.renumber = true;
        self.totals = Totals::of(&self.st);
        self.durable_seq = self.st.next_seq.saturating_sub(1);
        self.staged.clear();
        self.save = None;
        self.request = None;
        self.retry_at = None;
        self.attempts = 0;
        self.opened = true;
        self.want_pull = true;
        if let Some(d) = discarded {
            self.dirty = true;
            self.events.push_back(Event::CacheDiscarded { code: d.code, kept_mutations: d.kept_mutations, outbox_lost: d.outbox_lost });
        }
        self.observe(now);
        self.drive(now);
    }

    /// The next action to run, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next notification, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Machine::timer`] next (ms), if anything is scheduled.
    pub fn next_timeout(&self) -> Option<i64> {
        let mut t: Option<i64> = None;
        let mut consider = |x: Option<i64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if self.dirty && self.save.is_none() {
            consider(self.save_retry_at);
        }
        if self.request.is_none() {
            consider(self.retry_at);
            if self.retry_at.is_none() {
                consider(self.st.payload().map(|p| p.expires_at));
            }
        }
        t
    }

    /// The clock reached a scheduled instant (or any instant: extra calls are harmless).
    pub fn timer(&mut self, now: i64) {
        self.observe(now);
        if self.save_retry_at.is_some_and(|t| now >= t) {
            self.save_retry_at = None;
        }
        self.drive(now);
    }

    /// The host asks for a sync now: retries immediately and pulls if nothing is pending.
    pub fn sync(&mut self, now: i64) {
        self.observe(now);
        self.want_pull = true;
        self.retry_at = None;
        self.save_retry_at = None;
        self.drive(now);
    }

    /// The device's figures at `now` (available, held, exposure, freshness, …).
    pub fn figures(&self, now: i64) -> Figures {
        figures(&self.st, self.totals, now)
    }

    /// The state as held in memory (including operations not yet durable).
    pub fn state(&self) -> &ClientState {
        &self.st
    }

    /// Where a hold stands, if this device still tracks it.
    pub fn hold(&self, hold_id: &str) -> Option<&LocalHold> {
        self.st.hold(hold_id)
    }

    /// Whether nothing is outstanding: no operation waiting for a save, no request in
    /// flight, an empty outbox.
    pub fn is_idle(&self) -> bool {
        self.staged.is_empty() && self.save.is_none() && self.request.is_none() && self.st.outbox.is_empty()
    }

    /// Whether a push or pull is in flight (after a response, the machine goes straight
    /// on to push mutations that became durable meanwhile).
    pub fn is_sending(&self) -> bool {
        self.request.is_some()
    }

    pub(super) fn observe(&mut self, now: i64) {
        self.st.latest_seen = self.st.latest_seen.max(now);
    }

    pub(super) fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        t
    }

    fn check_room(&self) -> Result<(), SyncError> {
        if !self.opened {
            return Err(SyncError::NotOpen);
        }
        if self.st.outbox.len() >= MAX_OUTBOX || self.st.holds.len() >= MAX_HOLDS {
            return Err(SyncError::OutboxFull);
        }
        Ok(())
    }

    fn stage(&mut self, entry: OutboxEntry, undo: Undo, now: i64) -> (OpId, u64) {
        let seq = entry.mutation.seq();
        self.totals.add_entry(&entry);
        self.st.outbox.push_back(entry);
        self.st.next_seq = seq.saturating_add(1);
        let op = self.next_op;
        self.next_op = self.next_op.wrapping_add(1);
        self.staged.push(StagedOp { op, seq, undo, save: None });
        self.dirty = true;
        self.save_retry_at = None;
        self.drive(now);
        (op, seq)
    }

    /// Reserves credits before an AI call. Refused with `INSUFFICIENT_CREDITS` when the
    /// available credits do not cover it, with `OFFLINE_LIMIT` when the snapshot is stale
    /// (or the clock untrusted) and the offline room does not cover it. The hold exists
    /// once [`Event::OpDurable`] arrives for the returned op.
    pub fn reserve(&mut self, req: &ReserveRequest, now: i64) -> Result<Reserved, SyncError> {
        self.check_room()?;
        if req.amount.is_zero() || req.operation.is_empty() || req.operation.len() > 200 {
            return Err(SyncError::BadInput("a reserve needs a non-zero amount and an operation id (at most 200 bytes)"));
        }
        self.observe(now);
        let ttl = self.st.payload().map(|p| p.hold_ttl_ms).ok_or(SyncError::NoSnapshot)?;
        // An agent the snapshot shows as not active (or does not list) would be refused.
        if let (Some(id), Some(agents)) = (&req.agent_id, self.st.payload().and_then(|p| p.agents.as_ref())) {
            if !agents.iter().any(|a| &a.id == id && a.is_active()) {
                return Err(SyncError::AgentInactive(id.clone()));
            }
        }
        // In units: the allowance first, the shortfall in credits (PROTOCOL §12).
        // Until the ledger confirms it, a unit hold may cost every unit converted: another
        // device may have used the allowance meanwhile.
        let (credits, units, worst) = match &req.unit {
            None => (req.amount, None, None),
            Some(unit) => {
                let n = super::units::whole(req.amount).ok_or(SyncError::BadInput("a reserve in units needs a whole number of units"))?;
                let plan = super::units::plan_reserve(&self.st, unit, n, now)?;
                (plan.credits, Some(plan.units), Some(super::units::credits_for(&self.st, unit, n)?))
            }
        };
        let f = self.figures(now);
        if credits > f.available {
            return Err(SyncError::InsufficientCredits {
                needed: credits,
                available: f.available,
                shortfall: credits.saturating_sub(f.available),
            });
        }
        let needs_confirmation = worst.unwrap_or(credits) > f.room;
        if needs_confirmation && f.freshness.is_bounded() {
            return Err(SyncError::OfflineLimit { needed: worst.unwrap_or(credits), room: f.room });
        }
        let seq = self.st.next_seq;
        // A random suffix: copies of one saved state never reuse each other's hold ids.
        let hold_id = [self.cfg.device_id.as_str(), ":", &self.nonces.next_id()].concat();
        self.st.holds.push(LocalHold {
            id: hold_id.clone(),
            amount: credits,
            state: HoldState::Pending,
            expires_at: now.saturating_add(ttl),
            unit: req.unit.clone(),
            units,
            worst,
        });
        let mutation = Mutation::Reserve {
            seq,
            at: now,
            id: Some(self.nonces.next_id()),
            hold_id: hold_id.clone(),
            amount: req.amount,
            operation: req.operation.clone(),
            agent_id: req.agent_id.clone(),
            unit: req.unit.clone(),
        };
        let entry = OutboxEntry { mutation, exposure: Credits::ZERO, credits: None, units: None };
        let (op, seq) = self.stage(entry, Undo::Reserve { hold_id: hold_id.clone() }, now);
        Ok(Reserved { op, hold_id, amount: credits, units, seq, needs_confirmation })
    }

    /// Commits the actual usage of a hold. At most the hold: the rest is released. Above
    /// the hold, the whole actual amount is recorded (the usage happened) and the ledger
    /// charges it by its commit rule (`docs/PROTOCOL.md`).
    pub fn commit(&mut self, hold_id: &str, actual: Credits, now: i64) -> Result<Staged, SyncError> {
        self.check_room()?;
        self.observe(now);
        let i = self.st.holds.iter().position(|h| h.id == hold_id).ok_or_else(|| SyncError::UnknownHold(hold_id.to_string()))?;
        if self.st.holds[i].unit.is_some() {
            return Err(SyncError::BadInput("this hold was reserved in units: commit it in units"));
        }
        let hold = self.st.holds.remove(i);
        let exposure = if hold.state == HoldState::Open && now < hold.expires_at { actual.saturating_sub(hold.amount) } else { actual };
        let mutation = Mutation::Commit {
            seq: self.st.next_seq,
            at: now,
            id: Some(self.nonces.next_id()),
            hold_id: hold.id.clone(),
            amount: actual,
            unit: None,
        };
        let (op, seq) = self.stage(OutboxEntry { mutation, exposure, credits: None, units: None }, Undo::Close { hold }, now);
        Ok(Staged { op, seq })
    }

    /// Commits the units a hold reserved in units really used (PROTOCOL §12): drawn from
    /// the allowance as far as the hold set aside; beyond it the units cost credits at the
    /// rate, charged by the ledger's commit rule like usage above a credit hold.
    pub fn commit_units(&mut self, hold_id: &str, used: u64, now: i64) -> Result<Staged, SyncError> {
        self.check_room()?;
        self.observe(now);
        let i = self.st.holds.iter().position(|h| h.id == hold_id).ok_or_else(|| SyncError::UnknownHold(hold_id.to_string()))?;
        let Some(unit) = self.st.holds[i].unit.clone() else {
            return Err(SyncError::BadInput("this hold was reserved in credits: commit it in credits"));
        };
        if used > crate::money::MAX_SAFE_INTEGER {
            return Err(SyncError::BadInput("units out of range"));
        }
        let plan = super::units::plan_commit(&self.st, &unit, used, self.st.holds[i].units.unwrap_or(0))?;
        let amount = Credits::from_u64(used).map_err(|_| SyncError::BadInput("units out of range"))?;
        let hold = self.st.holds.remove(i);
        // Beyond an open hold: what its units do not cover. Otherwise the ledger may find
        // none of the allowance free: every unit converted.
        let exposure = if hold.state == HoldState::Open && now < hold.expires_at {
            plan.credits.saturating_sub(hold.amount)
        } else {
            super::units::credits_for(&self.st, &unit, used)?
        };
        let mutation = Mutation::Commit {
            seq: self.st.next_seq,
            at: now,
            id: Some(self.nonces.next_id()),
            hold_id: hold.id.clone(),
            amount,
            unit: Some(unit),
        };
        let entry = OutboxEntry { mutation, exposure, credits: Some(plan.credits), units: Some(plan.units) };
        let (op, seq) = self.stage(entry, Undo::Close { hold }, now);
        Ok(Staged { op, seq })
    }

    /// Releases a hold in full (the AI call failed or was cancelled).
    pub fn release(&mut self, hold_id: &str, now: i64) -> Result<Staged, SyncError> {
        self.check_room()?;
        self.observe(now);
        let i = self.st.holds.iter().position(|h| h.id == hold_id).ok_or_else(|| SyncError::UnknownHold(hold_id.to_string()))?;
        let hold = self.st.holds.remove(i);
        let mutation = Mutation::Release { seq: self.st.next_seq, at: now, id: Some(self.nonces.next_id()), hold_id: hold.id.clone() };
        let (op, seq) =
            self.stage(OutboxEntry { mutation, exposure: Credits::ZERO, credits: None, units: None }, Undo::Close { hold }, now);
        Ok(Staged { op, seq })
    }

    /// The host's `save` for `token` finished (`ok`: it succeeded).
    pub fn save_done(&mut self, token: u64, ok: bool, now: i64) {
        self.observe(now);
        let Some(flight) = self.save.filter(|f| f.token == token) else { return };
        self.save = None;
        if ok {
            self.durable_seq = self.durable_seq.max(flight.through_seq);
            let events = &mut self.events;
            self.staged.retain(|s| {
                let done = s.save == Some(token);
                if done {
                    events.push_back(Event::OpDurable { op: s.op });
                }
                !done
            });
        } else {
            if let Some(first) = self.staged.iter().position(|s| s.save == Some(token)) {
                let failed: Vec<StagedOp> = self.staged.drain(first..).collect();
                for s in failed.into_iter().rev() {
                    self.undo(s);
                }
                self.totals = Totals::of(&self.st);
            }
            // What is in storage is unknown now: save again, but not in a tight loop.
            self.dirty = true;
            self.save_retry_at = Some(now.saturating_add(self.cfg.backoff_base_ms));
        }
        self.drive(now);
    }

    fn undo(&mut self, s: StagedOp) {
        if self.st.outbox.back().is_some_and(|e| e.mutation.seq() == s.seq) {
            self.st.outbox.pop_back();
            self.st.next_seq = s.seq;
        }
        match s.undo {
            Undo::Reserve { hold_id } => self.st.holds.retain(|h| h.id != hold_id),
            Undo::Close { hold } => self.st.holds.push(hold),
        }
        self.events.push_back(Event::OpFailed { op: s.op, code: SAVE_FAILED });
    }

    /// A tracked hold by id, including one whose commit or release is not durable yet.
    pub(super) fn hold_mut(&mut self, id: &str) -> Option<&mut LocalHold> {
        if let Some(i) = self.st.holds.iter().position(|h| h.id == id) {
            return self.st.holds.get_mut(i);
        }
        self.staged.iter_mut().find_map(|s| match &mut s.undo {
            Undo::Close { hold } if hold.id == id => Some(hold),
            _ => None,
        })
    }

    pub(super) fn emit_save(&mut self) {
        let token = self.token();
        for s in self.staged.iter_mut().filter(|s| s.save.is_none()) {
            s.save = Some(token);
        }
        self.save = Some(SaveFlight { token, through_seq: self.st.next_seq.saturating_sub(1) });
        self.dirty = false;
        self.actions.push_back(Action::Save { token, state: self.st.to_json() });
    }
}
