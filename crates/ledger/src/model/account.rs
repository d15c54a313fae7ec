//! The account: a policy, the state, the entries, and the commands that append to them.
//!
//! Every command takes `now` (ms since the Unix epoch; the ledger never reads a clock),
//! first **advances** the ledger to `now` — recording, in time order, every grant expiry,
//! hold expiry and agent renewal or deactivation due at or before `now` — and then
//! records its own entries atomically: all of them or, on error, none.

use super::entry::{Entry, EntryKind, Purpose, ReleaseReason};
use super::error::{add_ms, LedgerError};
use super::grant::{Grant, GrantKind, GrantView};
use super::hold::{Hold, HoldRequest, HoldStatus};
use super::notice::Notice;
use super::order::{draw_plan, preview, DebitPreview};
use super::policy::{Payer, Policy};
use super::state::LedgerState;
use crate::money::Credits;

/// A credit account under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    policy: Policy,
    state: LedgerState,
    entries: Vec<Entry>,
    clock: Option<i64>,
    notices: Vec<Notice>,
}

/// A command in progress: its entries are applied to the account's state as they are
/// pushed, and undone if the command fails, so a command records all of its entries or
/// none.
///
/// Undoing does not copy the whole state up front: an account may hold thousands of open
/// holds, and copying them for every mutation made a push's cost grow with them (a push
/// of 1,000 reserves took 2 s at 9,000 open holds). The holds an entry can change are
/// named by the entry itself ([`EntryKind::Hold`] appends one; a commit's
/// [`EntryKind::Debit`] and a [`EntryKind::Release`] change the one they name), so only
/// those are saved before it applies; the rest of the state (grants, allowances, agents,
/// counters) is copied once when the command starts.
pub(crate) struct Tx<'p> {
    pub(crate) policy: &'p Policy,
    pub(crate) state: &'p mut LedgerState,
    undo: Undo,
    entries: Vec<Entry>,
    notices: Vec<Notice>,
}

/// What [`Tx`] restores when its command fails.
struct Undo {
    /// The state as the command found it, without its holds.
    rest: LedgerState,
    /// How many holds there were.
    holds_len: usize,
    /// Holds the command's entries changed, by index, as they were before: restored in
    /// reverse order, so a hold changed twice ends as it was first saved.
    changed_holds: Vec<(usize, Hold)>,
}

impl Undo {
    fn new(state: &mut LedgerState) -> Undo {
        let holds = std::mem::take(&mut state.holds);
        let rest = state.clone();
        state.holds = holds;
        Undo { rest, holds_len: state.holds.len(), changed_holds: Vec::new() }
    }

    /// Saves the hold `kind` changes in place, if any, before it applies.
    fn save_hold_of(&mut self, state: &LedgerState, kind: &EntryKind) {
        let id = match kind {
            EntryKind::Debit { hold_id: Some(id), .. } | EntryKind::Release { hold_id: id, .. } => id,
            _ => return,
        };
        if let Some((i, h)) = state.hold_index(id).and_then(|i| Some((i, state.holds.get(i)?))) {
            self.changed_holds.push((i, h.clone()));
        }
    }

    /// Puts `state` back as the command found it.
    fn restore(self, state: &mut LedgerState) {
        let mut holds = std::mem::take(&mut state.holds);
        holds.truncate(self.holds_len);
        for (i, h) in self.changed_holds.into_iter().rev() {
            if let Some(slot) = holds.get_mut(i) {
                *slot = h;
            }
        }
        *state = self.rest;
        state.holds = holds;
    }
}

impl Tx<'_> {
    /// Applies an entry to the account's state (undone if the command fails).
    pub(crate) fn push(&mut self, at: i64, kind: EntryKind) -> Result<(), LedgerError> {
        let seq = self.state.last_seq.saturating_add(1);
        self.undo.save_hold_of(self.state, &kind);
        let notices = self.state.apply(self.policy, seq, at, &kind)?;
        self.notices.extend(notices);
        self.entries.push(Entry { seq, at, kind, balance_after: self.state.balance() });
        Ok(())
    }

    /// Refuses with `INSUFFICIENT_CREDITS` (and the policy's remedies) unless `amount`
    /// is spendable.
    pub(crate) fn require_available(&self, amount: Credits) -> Result<(), LedgerError> {
        let available = self.state.available();
        if amount > available {
            return Err(LedgerError::InsufficientCredits { needed: amount, available, remedies: self.policy.remedies() });
        }
        Ok(())
    }
}

/// A package purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// The payment's id (unique; a retried purchase is refused as a duplicate).
    pub purchase_id: String,
    /// The package bought.
    pub package_id: String,
}

/// A promotional or manual grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRequest {
    /// The grant's id (unique).
    pub id: String,
    /// `promotion` or `adjustment`.
    pub kind: GrantKind,
    /// Credits.
    pub amount: Credits,
    /// Expiry; never when absent.
    pub expires_at: Option<i64>,
    /// Priority; the policy's for the kind when absent.
    pub priority: Option<i32>,
}

/// A direct debit (no hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitRequest {
    /// Credits.
    pub amount: Credits,
    /// Operation id.
    pub operation: String,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
}

/// A metered operation: who pays follows the policy (free operations and an own key
/// cost nothing; an own key is ignored where the policy does not allow one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Operation id.
    pub operation: String,
    /// What it costs in credits.
    pub credits: Credits,
    /// The operation never costs credits (review, manual edits, statistics…).
    pub free: bool,
    /// The user has an own API key configured.
    pub own_key: bool,
    /// The operation accepts an own key.
    pub operation_allows_own_key: bool,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
}

fn yes() -> bool {
    true
}

/// What a charge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    /// Who paid.
    pub payer: Payer,
    /// Credits drawn (zero unless credits paid).
    pub credits: Credits,
    /// The debit entry's seq, when credits paid.
    pub seq: Option<u64>,
}

/// The balance and everything behind it at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    /// The instant.
    pub at: i64,
    /// Credits in usable grants.
    pub balance: Credits,
    /// Credits reserved by open holds.
    pub held: Credits,
    /// `balance − held`.
    pub available: Credits,
    /// Whether the balance is below any low-balance threshold.
    pub low: bool,
    /// Every grant with its status and refundability.
    pub grants: Vec<GrantView>,
    /// Open holds.
    pub holds: Vec<Hold>,
    /// Allowances.
    pub allowances: Vec<super::allowance::AllowanceBalance>,
    /// The current plan.
    pub plan: Option<String>,
    /// Agents.
    pub agents: Vec<super::agent::Agent>,
}

impl Account {
    /// A new, empty account. Refuses an invalid policy.
    pub fn new(policy: Policy) -> Result<Account, LedgerError> {
        policy.validate()?;
        let state = LedgerState::initial(&policy);
        Ok(Account { policy, state, entries: Vec::new(), clock: None, notices: Vec::new() })
    }

    /// An account as a store kept it: its policy, its current state and its clock, without
    /// the entries that built the state (a store keeps those in its own journal). Entries
    /// made after this call are in [`Account::entries`]: what a store appends to its
    /// journal when it saves the account again. Refuses an invalid policy.
    pub fn from_state(policy: Policy, state: LedgerState, clock: Option<i64>) -> Result<Account, LedgerError> {
        policy.validate()?;
        Ok(Account { policy, state, entries: Vec::new(), clock, notices: Vec::new() })
    }

    /// Rebuilds an account from its entries (see [`super::replay`]).
    pub fn from_entries(policy: Policy, entries: Vec<Entry>) -> Result<Account, LedgerError> {
        policy.validate()?;
        let state = super::state::replay(&policy, &entries)?;
        let clock = state.last_at;
        Ok(Account { policy, state, entries, clock, notices: Vec::new() })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The state (the fold of [`Account::entries`]).
    pub fn state(&self) -> &LedgerState {
        &self.state
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries after `seq`.
    pub fn entries_since(&self, seq: u64) -> &[Entry] {
        let start = self.entries.partition_point(|e| e.seq <= seq);
        &self.entries[start..]
    }

    /// The latest time the ledger was advanced to.
    pub fn clock(&self) -> Option<i64> {
        self.clock
    }

    /// Notices raised since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Runs a command at `now` atomically after advancing to `now`.
    pub(crate) fn transact<T>(&mut self, now: i64, f: impl FnOnce(&mut Tx<'_>) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        self.advance(now)?;
        self.run(f)
    }

    fn run<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        let undo = Undo::new(&mut self.state);
        let mut tx = Tx { policy: &self.policy, state: &mut self.state, undo, entries: Vec::new(), notices: Vec::new() };
        match f(&mut tx) {
            Ok(out) => {
                let Tx { entries, notices, .. } = tx;
                self.entries.extend(entries);
                self.notices.extend(notices);
                Ok(out)
            }
            Err(e) => {
                let Tx { undo, .. } = tx;
                undo.restore(&mut self.state);
                Err(e)
            }
        }
    }

    /// Records everything due at or before `now`, in time order: grant expiries, then
    /// hold expiries, then agent renewals (or deactivations), by id within each. Running
    /// to `t2` in one step records exactly what running to `t1` and then `t2` records.
    pub fn advance(&mut self, now: i64) -> Result<(), LedgerError> {
        if let Some(clock) = self.clock {
            if now < clock {
                return Err(LedgerError::ClockBackwards { now, clock });
            }
        }
        while let Some((at, kind)) = self.next_due(now) {
            self.run(|tx| tx.push(at, kind))?;
        }
        self.clock = Some(now);
        Ok(())
    }

    fn next_due(&self, now: i64) -> Option<(i64, EntryKind)> {
        let s = &self.state;
        let grant = s
            .grants
            .iter()
            .filter(|g| !g.remaining.is_zero())
            .filter_map(|g| g.expires_at.filter(|&e| e <= now).map(|e| (e, 0u8, g.id.as_str())));
        let hold = s.holds.iter().filter(|h| h.is_open() && h.expires_at <= now).map(|h| (h.expires_at, 1u8, h.id.as_str()));
        let agent = s.agents.iter().filter(|a| a.is_active() && a.cycle_end <= now).map(|a| (a.cycle_end, 2u8, a.id.as_str()));
        let (at, class, id) = grant.chain(hold).chain(agent).min()?;
        let kind = match class {
            0 => EntryKind::Expire { grant_id: id.to_string(), amount: s.grant(id)?.remaining },
            1 => EntryKind::Release { hold_id: id.to_string(), amount: s.hold(id)?.amount, reason: ReleaseReason::Expired },
            _ => {
                let terms = self.policy.agents.as_ref();
                let fee = terms.map(|t| t.subscription_credits).unwrap_or_default();
                let next = terms.and_then(|t| at.checked_add(t.cycle_ms));
                match next {
                    Some(cycle_end) if fee <= s.available() => {
                        EntryKind::Renewal { agent_id: id.to_string(), amount: fee, draws: draw_plan(&s.grants, fee, at).draws, cycle_end }
                    }
                    _ => EntryKind::Deactivation { agent_id: id.to_string() },
                }
            }
        };
        Some((at, kind))
    }

    /// The balance, grants, holds, allowances, plan and agents at `now`.
    pub fn balance(&mut self, now: i64) -> Result<BalanceView, LedgerError> {
        self.advance(now)?;
        let s = &self.state;
        let refunds = self.policy.refunds.is_some();
        let balance = s.balance();
        let low = self.policy.low_balance.iter().any(|t| balance < t.level(s.last_top_up));
        Ok(BalanceView {
            at: now,
            balance,
            held: s.held(),
            available: s.available(),
            low,
            grants: s
                .grants
                .iter()
                .map(|g| GrantView {
                    status: g.status_at(now),
                    refundable: refunds
                        && g.is_refundable_at(now)
                        && !g.remaining.is_zero()
                        && g.purchase_id.as_ref().is_some_and(|p| !s.refunded.contains(p)),
                    grant: g.clone(),
                })
                .collect(),
            holds: s.holds.iter().filter(|h| h.is_open()).cloned().collect(),
            allowances: s.allowances.clone(),
            plan: s.plan.clone(),
            agents: s.agents.clone(),
        })
    }

    /// Spendable credits at `now` (balance minus open holds).
    pub fn available(&mut self, now: i64) -> Result<Credits, LedgerError> {
        self.advance(now)?;
        Ok(self.state.available())
    }

    /// Exactly which grants a debit of `amount` at `now` would draw from.
    pub fn preview_debit(&mut self, amount: Credits, now: i64) -> Result<DebitPreview, LedgerError> {
        self.advance(now)?;
        Ok(preview(&self.state.grants, amount, self.state.available(), now))
    }

    /// Buys a package: its credits as a paid grant and its bonus as a granted one, both
    /// tied to the purchase (refundable until the policy's window closes).
    pub fn purchase(&mut self, req: &PurchaseRequest, now: i64) -> Result<Vec<Grant>, LedgerError> {
        let pkg =
            self.policy.package(&req.package_id).cloned().ok_or_else(|| LedgerError::NotFound(format!("package {:?}", req.package_id)))?;
        if req.purchase_id.is_empty() {
            return Err(LedgerError::BadInput("purchase id is empty".into()));
        }
        let expires_at = self.policy.purchase_expires_after_ms.map(|d| add_ms(now, d)).transpose()?;
        let refundable_until = self.policy.refunds.as_ref().map(|r| add_ms(now, r.window_ms)).transpose()?;
        let make = |id: String, kind: GrantKind, amount: Credits| Grant {
            expires_at,
            priority: self.policy.priorities.of(kind),
            refundable_until,
            purchase_id: Some(req.purchase_id.clone()),
            ..Grant::new(id, kind, amount, now)
        };
        let mut grants = vec![Grant { price_usd: Some(pkg.price_usd), ..make(req.purchase_id.clone(), GrantKind::Purchase, pkg.credits) }];
        if !pkg.bonus.is_zero() {
            grants.push(make(format!("{}:bonus", req.purchase_id), GrantKind::Bonus, pkg.bonus));
        }
        if self.state.grants.iter().any(|g| g.purchase_id.as_ref() == Some(&req.purchase_id)) {
            return Err(LedgerError::Duplicate(req.purchase_id.clone()));
        }
        self.transact(now, |tx| {
            tx.push(now, EntryKind::Grant { grants: grants.clone(), top_up: true })?;
            Ok(grants)
        })
    }

    /// The one free signup grant; refused with `ALREADY_GRANTED` the second time.
    pub fn grant_signup(&mut self, now: i64) -> Result<Grant, LedgerError> {
        let terms = self.policy.signup_grant.clone().ok_or_else(|| LedgerError::BadInput("this policy has no signup grant".into()))?;
        if self.state.signup_granted {
            return Err(LedgerError::AlreadyGranted("the signup grant".into()));
        }
        let grant = Grant {
            expires_at: terms.expires_after_ms.map(|d| add_ms(now, d)).transpose()?,
            priority: self.policy.priorities.of(GrantKind::Signup),
            ..Grant::new("signup", GrantKind::Signup, terms.credits, now)
        };
        self.transact(now, |tx| {
            tx.push(now, EntryKind::Grant { grants: vec![grant.clone()], top_up: true })?;
            Ok(grant)
        })
    }

    /// A promotional credit or a manual adjustment (kinds `promotion` or `adjustment`).
    pub fn grant(&mut self, req: &GrantRequest, now: i64) -> Result<Grant, LedgerError> {
        if !matches!(req.kind, GrantKind::Promotion | GrantKind::Adjustment) {
            return Err(LedgerError::BadInput("only promotion and adjustment grants are made directly".into()));
        }
        if req.id.is_empty() || req.amount.is_zero() {
            return Err(LedgerError::BadInput("a grant needs an id and a non-zero amount".into()));
        }
        if let Some(e) = req.expires_at.filter(|&e| e <= now) {
            return Err(LedgerError::BadInput(format!("grant expiry {e} is not after now ({now})")));
        }
        let grant = Grant {
            expires_at: req.expires_at,
            priority: req.priority.unwrap_or(self.policy.priorities.of(req.kind)),
            ..Grant::new(req.id.clone(), req.kind, req.amount, now)
        };
        self.transact(now, |tx| {
            tx.push(now, EntryKind::Grant { grants: vec![grant.clone()], top_up: false })?;
            Ok(grant)
        })
    }

    /// Draws `amount` now, in consumption order.
    pub fn debit(&mut self, req: &DebitRequest, now: i64) -> Result<Entry, LedgerError> {
        let purpose = Purpose::Operation { operation: req.operation.clone(), agent_id: req.agent_id.clone() };
        self.debit_for(purpose, req.amount, now)
    }

    fn debit_for(&mut self, purpose: Purpose, amount: Credits, now: i64) -> Result<Entry, LedgerError> {
        self.transact(now, |tx| {
            if let Purpose::Operation { agent_id: Some(id), .. } = &purpose {
                if !tx.state.agent(id).is_some_and(|a| a.is_active()) {
                    return Err(LedgerError::AgentInactive(id.clone()));
                }
            }
            tx.require_available(amount)?;
            let draws = draw_plan(&tx.state.grants, amount, now).draws;
            tx.push(now, EntryKind::Debit { purpose, amount, draws, hold_id: None, released: Credits::ZERO })?;
            tx.entries.last().cloned().ok_or_else(|| LedgerError::BadInput("no entry".into()))
        })
    }

    /// Charges a metered operation: nothing when it is free or an usable own key pays,
    /// otherwise a debit of `credits`.
    pub fn charge(&mut self, req: &ChargeRequest, now: i64) -> Result<Charged, LedgerError> {
        let payer = self.policy.payer(req.free, req.own_key, req.operation_allows_own_key);
        if payer != Payer::Credits || req.credits.is_zero() {
            self.advance(now)?;
            return Ok(Charged { payer, credits: Credits::ZERO, seq: None });
        }
        let e = self.debit(&DebitRequest { amount: req.credits, operation: req.operation.clone(), agent_id: req.agent_id.clone() }, now)?;
        Ok(Charged { payer, credits: req.credits, seq: Some(e.seq) })
    }

    /// Reserves credits until the request's expiry (or the policy's hold TTL).
    pub fn reserve(&mut self, req: &HoldRequest, now: i64) -> Result<Hold, LedgerError> {
        if req.hold_id.is_empty() || req.amount.is_zero() {
            return Err(LedgerError::BadInput("a hold needs an id and a non-zero amount".into()));
        }
        let expires_at = match req.expires_at {
            Some(e) if e > now => e,
            Some(e) => return Err(LedgerError::BadInput(format!("hold expiry {e} is not after now ({now})"))),
            None => add_ms(now, self.policy.hold_ttl_ms)?,
        };
        let hold = Hold {
            id: req.hold_id.clone(),
            amount: req.amount,
            purpose: Purpose::Operation { operation: req.operation.clone(), agent_id: req.agent_id.clone() },
            created_at: now,
            expires_at,
            status: HoldStatus::Open,
            committed: Credits::ZERO,
            units: None,
        };
        self.transact(now, |tx| {
            if tx.state.hold(&hold.id).is_some() {
                return Err(LedgerError::Duplicate(hold.id.clone()));
            }
            if let Some(id) = &req.agent_id {
                if !tx.state.agent(id).is_some_and(|a| a.is_active()) {
                    return Err(LedgerError::AgentInactive(id.clone()));
                }
            }
            tx.require_available(hold.amount)?;
            tx.push(now, EntryKind::Hold { hold: hold.clone() })?;
            Ok(hold)
        })
    }

    fn open_hold(tx: &Tx<'_>, hold_id: &str) -> Result<Hold, LedgerError> {
        let h = tx.state.hold(hold_id).ok_or_else(|| LedgerError::NotFound(format!("hold {hold_id:?}")))?;
        if !h.is_open() {
            return Err(LedgerError::NotFound(format!("open hold {hold_id:?} (it is {:?})", h.status)));
        }
        Ok(h.clone())
    }

    /// Commits `amount` (at most the held amount) of a hold, drawing from grants in the
    /// consumption order now; the rest of the hold is released.
    pub fn commit(&mut self, hold_id: &str, amount: Credits, now: i64) -> Result<Entry, LedgerError> {
        self.transact(now, |tx| {
            let h = Self::open_hold(tx, hold_id)?;
            if amount > h.amount {
                return Err(LedgerError::HoldExceeded { hold_id: hold_id.into(), held: h.amount, requested: amount });
            }
            let others = tx.state.held().saturating_sub(h.amount);
            let spendable = tx.state.balance().saturating_sub(others);
            if amount > spendable {
                return Err(LedgerError::InsufficientCredits { needed: amount, available: spendable, remedies: tx.policy.remedies() });
            }
            let draws = draw_plan(&tx.state.grants, amount, now).draws;
            let released = h.amount.saturating_sub(amount);
            tx.push(now, EntryKind::Debit { purpose: h.purpose, amount, draws, hold_id: Some(hold_id.into()), released })?;
            tx.entries.last().cloned().ok_or_else(|| LedgerError::BadInput("no entry".into()))
        })
    }

    /// Releases a hold in full.
    pub fn release(&mut self, hold_id: &str, now: i64) -> Result<Entry, LedgerError> {
        self.transact(now, |tx| {
            let h = Self::open_hold(tx, hold_id)?;
            tx.push(now, EntryKind::Release { hold_id: hold_id.into(), amount: h.amount, reason: ReleaseReason::Released })?;
            tx.entries.last().cloned().ok_or_else(|| LedgerError::BadInput("no entry".into()))
        })
    }

    /// Moves credits to another account, where the policy allows it (a debit here, an
    /// `adjustment` grant there). Refused with `TRANSFER_FORBIDDEN` otherwise.
    pub fn transfer(
        &mut self,
        to: &mut Account,
        to_account: &str,
        transfer_id: &str,
        amount: Credits,
        now: i64,
    ) -> Result<(), LedgerError> {
        if !self.policy.transfers_allowed || !to.policy.transfers_allowed {
            return Err(LedgerError::TransferForbidden);
        }
        let grant = GrantRequest { id: transfer_id.into(), kind: GrantKind::Adjustment, amount, expires_at: None, priority: None };
        // Check the receiving side first so that a failure leaves both accounts unchanged.
        let mut receiver = to.clone();
        receiver.grant(&grant, now)?;
        self.debit_for(Purpose::TransferOut { to_account: to_account.into() }, amount, now)?;
        *to = receiver;
        Ok(())
    }
}

json_struct!(PurchaseRequest [deny] { purchase_id: "purchaseId", package_id: "packageId" });
json_struct!(GrantRequest [deny] {
    id: "id",
    kind: "kind",
    amount: "amount",
    expires_at: "expiresAt" = default,
    priority: "priority" = default,
});
json_struct!(DebitRequest [deny] { amount: "amount", operation: "operation", agent_id: "agentId" = default });
json_struct!(ChargeRequest [deny] {
    operation: "operation",
    credits: "credits",
    free: "free" = default,
    own_key: "ownKey" = default,
    operation_allows_own_key: "operationAllowsOwnKey" = (yes()),
    agent_id: "agentId" = default,
});
json_to!(Charged { payer: "payer", credits: "credits", seq: "seq" });
json_to!(BalanceView {
    at: "at",
    balance: "balance",
    held: "held",
    available: "available",
    low: "low",
    grants: "grants",
    holds: "holds",
    allowances: "allowances",
    plan: "plan",
    agents: "agents",
});
