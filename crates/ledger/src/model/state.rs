//! The ledger's state and the fold that builds it from entries.
//!
//! [`LedgerState::apply`] is the only code that changes a state; the account's commands
//! build entries and apply them, and [`replay`] applies a list of entries to the initial
//! state. Applying checks every entry (ids exist, draws fit, holds are open, times do not
//! go back), so a forged or reordered list is refused with `REPLAY_MISMATCH`, never a
//! panic.

use super::agent::{Agent, AgentStatus};
use super::allowance::AllowanceBalance;
use super::entry::{Entry, EntryKind, Purpose, ReleaseReason};
use super::error::{add, sub, LedgerError};
use super::grant::{Grant, GrantKind};
use super::hold::{Hold, HoldStatus};
use super::notice::{evaluate, Notice};
use super::order::Draw;
use super::plan::BillingCycle;
use super::policy::{AllowanceKind, PlanTerms, Policy};
use crate::money::Credits;
use rust_decimal::Decimal;

/// Everything the ledger knows, as the fold of its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerState {
    /// The last entry's `seq` (0 before the first).
    pub last_seq: u64,
    /// The last entry's `at`.
    pub last_at: Option<i64>,
    /// Every grant ever made, in creation order.
    pub grants: Vec<Grant>,
    /// Every hold ever placed, in creation order.
    pub holds: Vec<Hold>,
    /// Allowances, one per kind that was ever converted into.
    pub allowances: Vec<AllowanceBalance>,
    /// Agents, in creation order.
    pub agents: Vec<Agent>,
    /// The current plan.
    pub plan: Option<String>,
    /// The current billing cycle and the plan credits granted in it (`None` before the
    /// first cycle, and for accounts recorded before billing cycles were).
    pub cycle: Option<BillingCycle>,
    /// Whether the one-time signup grant was given.
    pub signup_granted: bool,
    /// The last top-up's total (percent thresholds measure against it).
    pub last_top_up: Credits,
    /// Refunded purchases.
    pub refunded: Vec<String>,
    /// Per low-balance threshold: whether it will fire on the next crossing.
    pub armed: Vec<bool>,
}

fn mismatch(m: impl Into<String>) -> LedgerError {
    LedgerError::ReplayMismatch(m.into())
}

fn sum_draws(draws: &[Draw]) -> Result<Credits, LedgerError> {
    draws.iter().try_fold(Credits::ZERO, |acc, d| add(acc, d.amount))
}

fn sat_add(a: Credits, b: Credits) -> Credits {
    a.checked_add(b).unwrap_or(a)
}

/// Whether two ids are equal, compared from their last byte: a reserve looks its hold id
/// up among all the account's holds (up to 10,000 open ones) to refuse a duplicate, and ids
/// a device makes mostly differ in a counter at their end, so most comparisons stop at the
/// first byte compared instead of calling `memcmp` (half a push's time at 9,000 holds).
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().rev().zip(b.bytes().rev()).all(|(x, y)| x == y)
}

/// The sum of `amounts`, added one by one with [`sat_add`] (an addition that would leave
/// the range is skipped), computed in one pass of integer additions.
///
/// Every read of the available credits sums the account's open holds, and an account may
/// hold 10,000: adding them as `Credits`, each step checked against the range, was most
/// of a push's time (2,000 such sums in a push of 1,000 reserves). Amounts are summed here
/// as integer mantissas per decimal scale instead (at most 2^96 each, so an `i128` holds
/// the sum of 2^31 of them), and the per-scale sums are then added as decimals. When the
/// exact total is in range it is the one-by-one result (the amounts are non-negative, so
/// no partial sum left the range); otherwise the one-by-one fold runs.
fn sum_in_range<I: Iterator<Item = Credits> + Clone>(amounts: I) -> Credits {
    let mut by_scale = [0i128; 29];
    for a in amounts.clone() {
        let v = a.value();
        // `scale()` is at most 28 for every `Decimal`.
        if let Some(slot) = by_scale.get_mut(v.scale() as usize) {
            *slot = slot.saturating_add(v.mantissa());
        }
    }
    let mut parts = by_scale.iter().enumerate().filter(|(_, m)| **m != 0);
    let top_scale = parts.clone().map(|(scale, _)| scale).max().unwrap_or(0);
    let exact = parts
        .try_fold(Decimal::ZERO, |acc, (scale, &m)| {
            let part = Decimal::try_from_i128_with_scale(m, u32::try_from(scale).ok()?).ok()?;
            acc.checked_add(part)
        })
        // A decimal addition that cannot keep every digit rounds to a smaller scale: then
        // the one-by-one fold decides, rounding as it always did.
        .filter(|sum| sum.is_zero() || sum.scale() as usize == top_scale);
    match exact.map(Credits::new) {
        Some(Ok(total)) => total,
        _ => amounts.fold(Credits::ZERO, sat_add),
    }
}

impl LedgerState {
    /// The state before any entry.
    pub fn initial(policy: &Policy) -> LedgerState {
        LedgerState {
            last_seq: 0,
            last_at: None,
            grants: Vec::new(),
            holds: Vec::new(),
            allowances: Vec::new(),
            agents: Vec::new(),
            plan: policy.initial_plan.clone(),
            cycle: None,
            signup_granted: false,
            last_top_up: Credits::ZERO,
            refunded: Vec::new(),
            armed: vec![false; policy.low_balance.len()],
        }
    }

    /// Credits in grants (usable ones: the ledger expires the others as time passes).
    pub fn balance(&self) -> Credits {
        // Every entry keeps the balance within range, so this sum cannot overflow.
        sum_in_range(self.grants.iter().map(|g| g.remaining))
    }

    /// Credits reserved by open holds.
    pub fn held(&self) -> Credits {
        // Each hold fit what was available when it was placed, so the sum stays in range.
        sum_in_range(self.holds.iter().filter(|h| h.is_open()).map(|h| h.amount))
    }

    /// Units of an allowance set aside by open unit holds.
    pub fn allowance_held(&self, kind: AllowanceKind) -> u64 {
        self.holds
            .iter()
            .filter(|h| h.is_open())
            .filter_map(|h| h.units.filter(|u| u.allowance == kind))
            .fold(0u64, |acc, u| acc.saturating_add(u.reserved))
    }

    /// Units of an allowance not set aside by open unit holds.
    pub fn allowance_free(&self, kind: AllowanceKind) -> u64 {
        self.allowance(kind).remaining.saturating_sub(self.allowance_held(kind))
    }

    /// Spendable credits: balance minus open holds (zero if holds exceed it).
    pub fn available(&self) -> Credits {
        self.balance().saturating_sub(self.held())
    }

    /// The total of the latest top-up not refunded: the grants a top-up entry makes are a
    /// signup grant, a plan cycle's grant, or a purchase with its bonus (one purchase id),
    /// recorded in creation order; zero when none stands. What `last_top_up` becomes when a
    /// purchase is refunded.
    fn last_standing_top_up(&self) -> Credits {
        let refunded = |g: &Grant| g.purchase_id.as_ref().is_some_and(|p| self.refunded.contains(p));
        let tops_up = |g: &&Grant| matches!(g.kind, GrantKind::Signup | GrantKind::PlanCycle | GrantKind::Purchase | GrantKind::Bonus);
        let Some(last) = self.grants.iter().rev().filter(tops_up).find(|g| !refunded(g)) else { return Credits::ZERO };
        match &last.purchase_id {
            Some(p) => sum_in_range(self.grants.iter().filter(|g| g.purchase_id.as_ref() == Some(p)).map(|g| g.amount)),
            None => last.amount,
        }
    }

    /// A grant by id.
    pub fn grant(&self, id: &str) -> Option<&Grant> {
        self.grants.iter().find(|g| g.id == id)
    }

    /// A hold by id.
    pub fn hold(&self, id: &str) -> Option<&Hold> {
        self.hold_index(id).and_then(|i| self.holds.get(i))
    }

    /// Where the hold `id` is in `holds`: the one lookup of a hold by id (the account's undo
    /// saves the hold an entry will change by this index).
    pub(crate) fn hold_index(&self, id: &str) -> Option<usize> {
        self.holds.iter().position(|h| same_id(&h.id, id))
    }

    /// The hold `id`, to change (`NOT_FOUND` when there is none).
    fn hold_mut(&mut self, id: &str) -> Result<&mut Hold, LedgerError> {
        let i = self.hold_index(id);
        i.and_then(|i| self.holds.get_mut(i)).ok_or_else(|| LedgerError::NotFound(format!("hold {id:?}")))
    }

    /// An agent by id.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// An allowance's balance (zero if never converted into).
    pub fn allowance(&self, kind: AllowanceKind) -> AllowanceBalance {
        self.allowances.iter().find(|a| a.kind == kind).cloned().unwrap_or_else(|| AllowanceBalance::empty(kind))
    }

    /// The current plan's terms.
    pub fn plan_terms<'p>(&self, policy: &'p Policy) -> Option<&'p PlanTerms> {
        self.plan.as_deref().and_then(|id| policy.plan(id))
    }

    fn allowance_mut(&mut self, kind: AllowanceKind) -> &mut AllowanceBalance {
        let i = match self.allowances.iter().position(|a| a.kind == kind) {
            Some(i) => i,
            None => {
                self.allowances.push(AllowanceBalance::empty(kind));
                self.allowances.sort_by_key(|a| a.kind);
                self.allowances.iter().position(|a| a.kind == kind).unwrap_or(0)
            }
        };
        &mut self.allowances[i]
    }

    fn agent_mut(&mut self, id: &str) -> Result<&mut Agent, LedgerError> {
        self.agents.iter_mut().find(|a| a.id == id).ok_or_else(|| mismatch(format!("unknown agent {id:?}")))
    }

    fn active_agent_mut(&mut self, id: &str) -> Result<&mut Agent, LedgerError> {
        let a = self.agents.iter_mut().find(|a| a.id == id).ok_or_else(|| LedgerError::AgentInactive(id.to_string()))?;
        if a.is_active() {
            Ok(a)
        } else {
            Err(LedgerError::AgentInactive(id.to_string()))
        }
    }

    /// Takes each draw from its grant; all must be usable at `at` and fit.
    fn consume(&mut self, draws: &[Draw], at: i64) -> Result<(), LedgerError> {
        for d in draws {
            let g =
                self.grants.iter_mut().find(|g| g.id == d.grant_id).ok_or_else(|| mismatch(format!("unknown grant {:?}", d.grant_id)))?;
            if d.amount.is_zero() || !g.is_usable_at(at) || d.amount > g.remaining {
                return Err(mismatch(format!("grant {:?} cannot give {} at {at}", g.id, d.amount.to_plain_string())));
            }
            g.remaining = sub(g.remaining, d.amount)?;
            g.consumed = add(g.consumed, d.amount)?;
        }
        Ok(())
    }

    /// Checks a drawn amount against spendable credits, then consumes the draws.
    fn spend(&mut self, amount: Credits, draws: &[Draw], at: i64, spendable: Credits) -> Result<(), LedgerError> {
        if sum_draws(draws)? != amount {
            return Err(mismatch("draws do not add up to the amount"));
        }
        if amount > spendable {
            return Err(LedgerError::InsufficientCredits { needed: amount, available: spendable, remedies: Vec::new() });
        }
        self.consume(draws, at)
    }

    fn add_grant(&mut self, g: &Grant, at: i64) -> Result<(), LedgerError> {
        let fresh = g.remaining == g.amount
            && [g.consumed, g.expired, g.voided, g.carried].iter().all(|c| c.is_zero())
            && !g.amount.is_zero()
            && !g.id.is_empty();
        if !fresh || g.effective_at > at || g.expires_at.is_some_and(|e| e <= at) {
            return Err(mismatch(format!("grant {:?} is not a fresh grant usable at {at}", g.id)));
        }
        if self.grant(&g.id).is_some() {
            return Err(LedgerError::Duplicate(g.id.clone()));
        }
        add(self.balance(), g.amount)?;
        self.grants.push(g.clone());
        Ok(())
    }

    /// Applies one entry's change at `at`; returns the notices it raises. On error the
    /// state may be partly changed: callers apply to a copy (see `Account`).
    pub fn apply(&mut self, policy: &Policy, seq: u64, at: i64, kind: &EntryKind) -> Result<Vec<Notice>, LedgerError> {
        if seq != self.last_seq.saturating_add(1) {
            return Err(mismatch(format!("entry {seq} follows {}", self.last_seq)));
        }
        if self.last_at.is_some_and(|t| at < t) {
            return Err(mismatch(format!("entry {seq} at {at} is earlier than the one before")));
        }
        let mut notices = Vec::new();
        match kind {
            EntryKind::Grant { grants, top_up } => {
                let mut total = Credits::ZERO;
                for g in grants {
                    if g.kind == GrantKind::Signup {
                        if self.signup_granted {
                            return Err(LedgerError::AlreadyGranted("the signup grant".into()));
                        }
                        self.signup_granted = true;
                    }
                    self.add_grant(g, at)?;
                    total = add(total, g.amount)?;
                    if g.kind == GrantKind::PlanCycle {
                        if let Some(c) = self.cycle.as_mut().filter(|c| c.is_running_at(at)) {
                            c.granted = add(c.granted, g.amount)?;
                        }
                    }
                }
                if *top_up {
                    self.last_top_up = total;
                }
            }
            EntryKind::Hold { hold } => {
                if self.hold(&hold.id).is_some() {
                    return Err(LedgerError::Duplicate(hold.id.clone()));
                }
                if hold.status != HoldStatus::Open || !hold.committed.is_zero() || hold.expires_at <= at || hold.created_at != at {
                    return Err(mismatch(format!("hold {:?} is not a fresh open hold", hold.id)));
                }
                let available = self.available();
                if hold.amount > available {
                    return Err(LedgerError::InsufficientCredits { needed: hold.amount, available, remedies: Vec::new() });
                }
                if let Some(u) = hold.units {
                    let free = self.allowance_free(u.allowance);
                    if u.reserved > u.requested || u.reserved > free {
                        return Err(LedgerError::InsufficientAllowance { needed: u.reserved, available: free });
                    }
                }
                self.holds.push(hold.clone());
            }
            EntryKind::Debit { purpose, amount, draws, hold_id, released } => {
                let spendable = match hold_id {
                    Some(id) => {
                        let held_total = self.held();
                        let h = self.hold_mut(id)?;
                        if !h.is_open() || add(*amount, *released)? != h.amount || &h.purpose != purpose {
                            return Err(mismatch(format!("debit does not commit hold {id:?} as placed")));
                        }
                        h.status = HoldStatus::Committed;
                        h.committed = *amount;
                        self.balance().saturating_sub(held_total.saturating_sub(*amount).saturating_sub(*released))
                    }
                    None if released.is_zero() => self.available(),
                    None => return Err(mismatch("a debit without a hold releases nothing")),
                };
                self.spend(*amount, draws, at, spendable)?;
                if let Purpose::Operation { agent_id: Some(agent), .. } = purpose {
                    let a = self.active_agent_mut(agent)?;
                    a.cycle_credits = sat_add(a.cycle_credits, *amount);
                }
            }
            EntryKind::Release { hold_id, amount, reason } => {
                let h = self.hold_mut(hold_id)?;
                if !h.is_open() || h.amount != *amount || (*reason == ReleaseReason::Expired && at < h.expires_at) {
                    return Err(mismatch(format!("hold {hold_id:?} cannot be released so")));
                }
                h.status = match reason {
                    ReleaseReason::Released => HoldStatus::Released,
                    ReleaseReason::Expired => HoldStatus::Expired,
                };
            }
            EntryKind::Expire { grant_id, amount } => {
                let g =
                    self.grants.iter_mut().find(|g| &g.id == grant_id).ok_or_else(|| mismatch(format!("unknown grant {grant_id:?}")))?;
                if !g.is_expired_at(at) || g.remaining != *amount || amount.is_zero() {
                    return Err(mismatch(format!("grant {grant_id:?} does not expire so at {at}")));
                }
                g.expired = add(g.expired, *amount)?;
                g.remaining = Credits::ZERO;
            }
            EntryKind::Refund { purchase_id, voided, .. } => {
                if self.refunded.contains(purchase_id) {
                    return Err(mismatch(format!("purchase {purchase_id:?} was already refunded")));
                }
                let members = self.grants.iter().filter(|g| g.purchase_id.as_ref() == Some(purchase_id) && !g.remaining.is_zero()).count();
                if members != voided.len() {
                    return Err(mismatch("a refund voids every grant of its purchase"));
                }
                for d in voided {
                    let g = self
                        .grants
                        .iter_mut()
                        .find(|g| g.id == d.grant_id)
                        .ok_or_else(|| mismatch(format!("unknown grant {:?}", d.grant_id)))?;
                    if g.purchase_id.as_ref() != Some(purchase_id) || g.remaining != d.amount || d.amount.is_zero() {
                        return Err(mismatch(format!("grant {:?} is not voided so", d.grant_id)));
                    }
                    g.voided = add(g.voided, d.amount)?;
                    g.remaining = Credits::ZERO;
                }
                self.refunded.push(purchase_id.clone());
                // A refunded purchase is a top-up that did not happen: percent thresholds
                // measure against the last one that stands (else a refund of a large
                // purchase made the same balance "low" and sent the low-balance email).
                self.last_top_up = self.last_standing_top_up();
            }
            EntryKind::CarryForward { sources, grant } => {
                if grant.kind != GrantKind::CarriedForward || sum_draws(sources)? != grant.amount {
                    return Err(mismatch("a carried-forward grant holds exactly its sources"));
                }
                for d in sources {
                    let g = self
                        .grants
                        .iter_mut()
                        .find(|g| g.id == d.grant_id)
                        .ok_or_else(|| mismatch(format!("unknown grant {:?}", d.grant_id)))?;
                    if !g.kind.is_plan_credit() || !g.is_usable_at(at) || d.amount > g.remaining || d.amount.is_zero() {
                        return Err(mismatch(format!("grant {:?} cannot carry forward", d.grant_id)));
                    }
                    g.remaining = sub(g.remaining, d.amount)?;
                    g.carried = add(g.carried, d.amount)?;
                }
                self.add_grant(grant, at)?;
            }
            EntryKind::Conversion { allowance, credits, draws, units } => {
                let spendable = self.available();
                self.spend(*credits, draws, at, spendable)?;
                let a = self.allowance_mut(*allowance);
                a.remaining = a
                    .remaining
                    .checked_add(*units)
                    .filter(|&u| u <= crate::money::MAX_SAFE_INTEGER)
                    .ok_or_else(|| LedgerError::BadInput("allowance out of range".into()))?;
                a.converted = a.converted.saturating_add(*units);
                a.credits = sat_add(a.credits, *credits);
            }
            EntryKind::AllowanceUse { allowance, units, agent_id, .. } => {
                if let Some(id) = agent_id {
                    let ag = self.active_agent_mut(id)?;
                    match allowance {
                        AllowanceKind::LlmTokens => ag.cycle_llm_tokens = ag.cycle_llm_tokens.saturating_add(*units),
                        AllowanceKind::TtsCharacters => ag.cycle_tts_characters = ag.cycle_tts_characters.saturating_add(*units),
                    }
                }
                let a = self.allowance_mut(*allowance);
                if *units > a.remaining {
                    return Err(LedgerError::InsufficientAllowance { needed: *units, available: a.remaining });
                }
                a.remaining -= *units;
                a.used = a.used.saturating_add(*units);
            }
            EntryKind::Activation { agent_id, amount, draws, cycle_end } => {
                if *cycle_end <= at || self.agent(agent_id).is_some_and(Agent::is_active) {
                    return Err(mismatch(format!("agent {agent_id:?} cannot be activated so")));
                }
                let spendable = self.available();
                self.spend(*amount, draws, at, spendable)?;
                let fresh = Agent {
                    id: agent_id.clone(),
                    status: AgentStatus::Active,
                    cycle_start: at,
                    cycle_end: *cycle_end,
                    cycle_credits: Credits::ZERO,
                    cycle_llm_tokens: 0,
                    cycle_tts_characters: 0,
                    fees: *amount,
                    deactivated_at: None,
                };
                match self.agents.iter_mut().find(|a| &a.id == agent_id) {
                    Some(a) => *a = Agent { fees: sat_add(a.fees, *amount), deactivated_at: a.deactivated_at, ..fresh },
                    None => self.agents.push(fresh),
                }
            }
            EntryKind::Renewal { agent_id, amount, draws, cycle_end } => {
                let a = self.agent(agent_id).ok_or_else(|| mismatch(format!("unknown agent {agent_id:?}")))?;
                if !a.is_active() || a.cycle_end != at || *cycle_end <= at {
                    return Err(mismatch(format!("agent {agent_id:?} does not renew at {at}")));
                }
                let spendable = self.available();
                self.spend(*amount, draws, at, spendable)?;
                let a = self.agent_mut(agent_id)?;
                a.cycle_start = at;
                a.cycle_end = *cycle_end;
                a.cycle_credits = Credits::ZERO;
                a.cycle_llm_tokens = 0;
                a.cycle_tts_characters = 0;
                a.fees = sat_add(a.fees, *amount);
            }
            EntryKind::Deactivation { agent_id } => {
                let a = self.agent_mut(agent_id)?;
                if !a.is_active() || a.cycle_end > at {
                    return Err(mismatch(format!("agent {agent_id:?} is not due at {at}")));
                }
                a.status = AgentStatus::Inactive;
                a.deactivated_at = Some(at);
                notices.push(Notice::AgentDeactivated { agent_id: agent_id.clone(), seq, at });
            }
            EntryKind::PlanChange { from, to } => {
                if from != &self.plan || policy.plan(to).is_none() || from.as_deref() == Some(to.as_str()) {
                    return Err(mismatch(format!("plan change to {to:?} does not follow the current plan")));
                }
                self.plan = Some(to.clone());
            }
            EntryKind::BillingCycle { starts_at, ends_at, fresh } => {
                if *starts_at > at || *ends_at <= at {
                    return Err(mismatch(format!("billing cycle {starts_at}..{ends_at} does not contain {at}")));
                }
                // A cycle that still runs is continued: what it granted stays counted — unless
                // this one is a fresh cycle, paid in full, that replaces it.
                let running = self.cycle.as_ref().filter(|c| c.is_running_at(at) && *fresh != Some(true));
                let granted = running.map(|c| c.granted).unwrap_or_default();
                self.cycle = Some(BillingCycle { starts_at: *starts_at, ends_at: *ends_at, granted });
            }
        }
        self.last_seq = seq;
        self.last_at = Some(at);
        let balance = self.balance();
        let mut fired = evaluate(&policy.low_balance, &mut self.armed, balance, self.last_top_up, seq, at);
        fired.append(&mut notices);
        Ok(fired)
    }
}

/// Folds entries into the state they produce, checking each entry's sequence number and
/// `balanceAfter`. `replay(policy, account.entries())` equals `account.state()`.
pub fn replay(policy: &Policy, entries: &[Entry]) -> Result<LedgerState, LedgerError> {
    let mut state = LedgerState::initial(policy);
    for e in entries {
        state.apply(policy, e.seq, e.at, &e.kind).map_err(|err| match err {
            LedgerError::ReplayMismatch(m) => LedgerError::ReplayMismatch(m),
            other => mismatch(format!("entry {}: {other}", e.seq)),
        })?;
        if state.balance() != e.balance_after {
            return Err(mismatch(format!(
                "entry {} says the balance is {} but the entries give {}",
                e.seq,
                e.balance_after.to_plain_string(),
                state.balance().to_plain_string()
            )));
        }
    }
    Ok(state)
}

json_struct!(LedgerState [deny] {
    last_seq: "lastSeq",
    last_at: "lastAt",
    grants: "grants",
    holds: "holds",
    allowances: "allowances",
    agents: "agents",
    plan: "plan",
    cycle: "cycle" = default,
    signup_granted: "signupGranted",
    last_top_up: "lastTopUp",
    refunded: "refunded",
    armed: "armed",
});

#[cfg(test)]
mod tests {
    use super::{sat_add, sum_in_range};
    use crate::money::Credits;
    use rust_decimal::Decimal;

    fn one_by_one(xs: &[Credits]) -> Credits {
        xs.iter().copied().fold(Credits::ZERO, sat_add)
    }

    fn c(mantissa: i64, scale: u32) -> Credits {
        Credits::new(Decimal::new(mantissa, scale)).unwrap()
    }

    #[test]
    fn the_fast_sum_is_the_one_by_one_sum_at_every_scale() {
        // Deterministic pseudo-random amounts at scales 0..=12, some of them zero.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut xs = Vec::new();
        for i in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let scale = i % 13;
            let m = (x % 1_000_000_000) as i64 * i64::from(i % 7 != 0);
            xs.push(c(m, scale));
            if i % 97 == 0 || i == 4_999 {
                let fast = sum_in_range(xs.iter().copied());
                assert_eq!(fast, one_by_one(&xs), "after {} amounts", xs.len());
                assert_eq!(fast.to_plain_string(), one_by_one(&xs).to_plain_string());
            }
        }
        assert_eq!(sum_in_range(std::iter::empty()), Credits::ZERO);
    }

    #[test]
    fn a_sum_past_the_range_or_past_decimal_precision_falls_back_to_one_by_one() {
        let max = Credits::new(crate::money::MAX_AMOUNT).unwrap();
        // Past the range: the one-by-one fold skips the additions that would leave it.
        let xs = [max, c(1, 0), c(5, 1), max];
        assert_eq!(sum_in_range(xs.iter().copied()), one_by_one(&xs));
        assert_eq!(sum_in_range(xs.iter().copied()), max);
        // 15 whole digits and 14 decimals do not fit a decimal's 28-29 digits: each
        // addition rounds. One by one, 4e-14 is rounded away twice; added together first
        // (8e-14) it would round up to 1e-13. The fast sum must not differ so.
        let tiny = c(4, 14);
        let xs = [c(999_999_999_999_999, 0), tiny, tiny];
        assert_eq!(one_by_one(&xs), c(999_999_999_999_999, 0));
        assert_eq!(sum_in_range(xs.iter().copied()), one_by_one(&xs));
    }
}
