//! Plans: credits per billing cycle that expire at the cycle's end, plan changes, and
//! carrying unexpired plan credits forward.
//!
//! The billing system owns the calendar: the host passes each cycle's `startsAt` and
//! `endsAt`; the ledger grants plan credits as `planCycle` grants effective at `startsAt`
//! and expiring at `endsAt` (unusable from `endsAt` on).
//!
//! **Plan changes never mint credits.** The state records the current billing cycle and
//! the plan credits granted in it ([`BillingCycle`]). The rule:
//! - *Renewal* ([`Account::start_cycle`]) opens a new cycle and grants the plan's
//!   `creditsPerCycle`. It is refused while the current cycle still runs.
//! - *A plan change while a cycle runs* continues that cycle (its end becomes the
//!   request's `endsAt`) and grants only what the new plan has beyond the credits already
//!   granted in the cycle: an upgrade grants the difference, a downgrade (or a return to a
//!   plan already paid in this cycle) grants nothing; the lower plan's credits come with
//!   the next renewal.
//! - *A plan change with no cycle running* opens a new cycle with the new plan's credits.
//! - *A plan change that starts a new paid cycle* (`newCycle: true`: the billing system
//!   started a new period and was paid the new plan's full price for it, as the Stripe
//!   integration's upgrades and new subscriptions are) replaces the running cycle and
//!   grants the new plan's full credits; what the old cycle granted is the old payment's.
//!
//! So the plan credits granted in one cycle equal the credits of the highest plan held in
//! it — what a billing system charges when an upgrade is billed the price difference at
//! once and a downgrade is never refunded. On a plan change the policy's carry-forward
//! rule decides whether the unexpired plan credits (`planCycle` and earlier
//! `carriedForward` grants) move into one new `carriedForward` grant, which expires at the
//! new cycle's end (or never, per policy); carrying moves credits, it never adds any.
//! Credits that are not carried keep their own expiry.

use super::account::Account;
use super::entry::EntryKind;
use super::error::LedgerError;
use super::grant::{Grant, GrantKind};
use super::order::{ordered_usable, Draw};
use super::policy::{CarryExpiry, CarryOn, PlanTerms};
use crate::money::Credits;

/// The account's current billing cycle, as recorded by `billingCycle` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingCycle {
    /// Its start.
    pub starts_at: i64,
    /// Its end: the next renewal may start from here.
    pub ends_at: i64,
    /// Plan credits (`planCycle` grants) granted in it, across every plan change.
    pub granted: Credits,
}

impl BillingCycle {
    /// Whether the cycle still runs at `at` (its end is exclusive).
    pub fn is_running_at(&self, at: i64) -> bool {
        at < self.ends_at
    }
}

/// A billing cycle of the current plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRequest {
    /// The cycle's start (≤ now).
    pub starts_at: i64,
    /// The cycle's end (> now); its credits are unusable from this instant.
    pub ends_at: i64,
}

/// A move to another plan, starting its first cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChangeRequest {
    /// The new plan.
    pub plan_id: String,
    /// Its first cycle's start (≤ now).
    pub starts_at: i64,
    /// Its first cycle's end (> now).
    pub ends_at: i64,
    /// The billing system started a new period and was paid the new plan's full price for
    /// it: the change replaces a running cycle and grants the plan's full credits, instead
    /// of continuing the cycle with only the difference (JSON `newCycle`, default false).
    pub new_cycle: bool,
}

/// What a plan change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChangeOutcome {
    /// The previous plan.
    pub from: Option<String>,
    /// The new plan.
    pub to: String,
    /// Whether the new plan ranks higher.
    pub upgrade: bool,
    /// Credits carried forward.
    pub carried: Credits,
    /// The carried-forward grant.
    pub carried_grant: Option<Grant>,
    /// The new cycle's grant (none for a plan without cycle credits).
    pub cycle_grant: Option<Grant>,
}

fn check_cycle(starts_at: i64, ends_at: i64, now: i64) -> Result<(), LedgerError> {
    if starts_at > now || ends_at <= now {
        return Err(LedgerError::BadInput(format!("a cycle must contain now: {starts_at} ≤ {now} < {ends_at}")));
    }
    Ok(())
}

/// The `planCycle` grant of `amount` (none for zero).
fn cycle_grant(account: &Account, plan: &PlanTerms, amount: Credits, starts_at: i64, ends_at: i64) -> Option<Grant> {
    if amount.is_zero() {
        return None;
    }
    Some(Grant {
        expires_at: Some(ends_at),
        priority: account.policy().priorities.of(GrantKind::PlanCycle),
        ..Grant::new(format!("plan:{}:{starts_at}", plan.id), GrantKind::PlanCycle, amount, starts_at)
    })
}

impl Account {
    /// The billing cycle running at `now`, if any.
    pub fn running_cycle(&self, now: i64) -> Option<&BillingCycle> {
        self.state().cycle.as_ref().filter(|c| c.is_running_at(now))
    }

    /// Opens the current plan's next billing cycle (renewal) and grants its credits.
    /// Refused (`BAD_INPUT`) while the current cycle still runs: a cycle is paid once.
    /// Unused credits of earlier cycles still expire at their own cycle's end.
    pub fn start_cycle(&mut self, req: &CycleRequest, now: i64) -> Result<Option<Grant>, LedgerError> {
        check_cycle(req.starts_at, req.ends_at, now)?;
        let plan_id = self.state().plan.clone().ok_or_else(|| LedgerError::BadInput("the account has no plan".into()))?;
        let plan = self.policy().plan(&plan_id).cloned().ok_or_else(|| LedgerError::NotFound(format!("plan {plan_id:?}")))?;
        if let Some(c) = self.running_cycle(now) {
            return Err(LedgerError::BadInput(format!("the current billing cycle runs until {}; renew from then on", c.ends_at)));
        }
        let grant = cycle_grant(self, &plan, plan.credits_per_cycle, req.starts_at, req.ends_at);
        self.transact(now, |tx| {
            tx.push(now, EntryKind::BillingCycle { starts_at: req.starts_at, ends_at: req.ends_at, fresh: None })?;
            if let Some(g) = &grant {
                tx.push(now, EntryKind::Grant { grants: vec![g.clone()], top_up: true })?;
            }
            Ok(grant)
        })
    }

    /// Moves the account to another plan; the request's cycle becomes the current billing
    /// cycle. While a cycle runs, the change continues it and grants only the new plan's
    /// credits beyond those already granted in it (an upgrade: the difference; a
    /// downgrade: nothing until the next renewal); with no cycle running it opens one with
    /// the new plan's credits. Carries unexpired plan credits forward when the policy says
    /// so for this change (AssistLore: on an upgrade). See the module doc.
    pub fn change_plan(&mut self, req: &PlanChangeRequest, now: i64) -> Result<PlanChangeOutcome, LedgerError> {
        check_cycle(req.starts_at, req.ends_at, now)?;
        let to = self.policy().plan(&req.plan_id).cloned().ok_or_else(|| LedgerError::NotFound(format!("plan {:?}", req.plan_id)))?;
        let from = self.state().plan.clone();
        if from.as_deref() == Some(to.id.as_str()) {
            return Err(LedgerError::BadInput(format!("the account is already on plan {:?}; start a cycle instead", to.id)));
        }
        let from_rank = from.as_deref().and_then(|f| self.policy().plan(f)).map(|p| p.rank);
        let upgrade = from_rank.is_none_or(|r| to.rank > r);
        let rule = self.policy().carry_forward;
        let carry = match rule.on {
            CarryOn::Never => false,
            CarryOn::Upgrade => upgrade,
            CarryOn::AnyChange => true,
        };
        // Expire what ended before `now` first, so "running" is judged on the current state.
        self.advance(now)?;
        let already = if req.new_cycle { Credits::ZERO } else { self.running_cycle(now).map(|c| c.granted).unwrap_or_default() };
        let cycle = cycle_grant(self, &to, to.credits_per_cycle.saturating_sub(already), req.starts_at, req.ends_at);
        let carry_priority = self.policy().priorities.of(GrantKind::CarriedForward);
        self.transact(now, |tx| {
            tx.push(now, EntryKind::PlanChange { from: from.clone(), to: to.id.clone() })?;
            let fresh = req.new_cycle.then_some(true);
            tx.push(now, EntryKind::BillingCycle { starts_at: req.starts_at, ends_at: req.ends_at, fresh })?;
            let mut carried_grant = None;
            if carry {
                let sources: Vec<Draw> = ordered_usable(&tx.state.grants, now)
                    .into_iter()
                    .filter(|g| g.kind.is_plan_credit())
                    .map(|g| Draw { grant_id: g.id.clone(), amount: g.remaining })
                    .collect();
                let amount = sources.iter().try_fold(Credits::ZERO, |acc, d| acc.checked_add(d.amount))?;
                if !amount.is_zero() {
                    // Several changes may start at the same instant; the entry's sequence
                    // number keeps a second carry's id distinct.
                    let mut id = format!("carry:{}:{}", to.id, req.starts_at);
                    if tx.state.grant(&id).is_some() {
                        id = format!("{id}#{}", tx.state.last_seq.saturating_add(1));
                    }
                    let grant = Grant {
                        expires_at: match rule.expiry {
                            CarryExpiry::NewCycleEnd => Some(req.ends_at),
                            CarryExpiry::Never => None,
                        },
                        priority: carry_priority,
                        ..Grant::new(id, GrantKind::CarriedForward, amount, now)
                    };
                    tx.push(now, EntryKind::CarryForward { sources, grant: grant.clone() })?;
                    carried_grant = Some(grant);
                }
            }
            if let Some(g) = &cycle {
                tx.push(now, EntryKind::Grant { grants: vec![g.clone()], top_up: true })?;
            }
            Ok(PlanChangeOutcome {
                from,
                to: to.id.clone(),
                upgrade,
                carried: carried_grant.as_ref().map(|g| g.amount).unwrap_or_default(),
                carried_grant,
                cycle_grant: cycle,
            })
        })
    }
}

json_struct!(BillingCycle [deny] { starts_at: "startsAt", ends_at: "endsAt", granted: "granted" });
json_struct!(CycleRequest [deny] { starts_at: "startsAt", ends_at: "endsAt" });
json_struct!(PlanChangeRequest [deny] { plan_id: "planId", starts_at: "startsAt", ends_at: "endsAt", new_cycle: "newCycle" = default });
json_to!(PlanChangeOutcome {
    from: "from",
    to: "to",
    upgrade: "upgrade",
    carried: "carried",
    carried_grant: "carriedGrant",
    cycle_grant: "cycleGrant",
});
