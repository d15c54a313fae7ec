//! Holds and usage in an allowance's units (LLM tokens, TTS characters): the path a
//! client takes when it meters generated audio or messages (PROTOCOL §12).
//!
//! - A **unit reserve** of `n` units sets aside what the allowance has free (its
//!   remaining units minus those other open unit holds set aside) and, for the shortfall,
//!   reserves the credits that convert into it (rounded up to the credit step) — or is
//!   refused with `INSUFFICIENT_ALLOWANCE` when the policy's `onShortfall` is `refuse`.
//! - A **unit commit** of `u` units closes the hold (its credits and units are given
//!   back), then draws `u` units: from the allowance first; a shortfall is converted at
//!   the policy's rate (credits rounded up) whatever `onShortfall` says — the usage
//!   happened — and what the balance cannot pay for is returned as `uncovered` credits
//!   for the caller to charge like any uncovered usage.

use super::account::{Account, Tx};
use super::entry::{EntryKind, Purpose, ReleaseReason};
use super::error::{add_ms, LedgerError};
use super::hold::{HeldUnits, Hold, HoldStatus};
use super::order::draw_plan;
use super::policy::{AllowanceKind, AllowanceTerms, OnShortfall};
use crate::money::Credits;

/// A request to reserve allowance units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHoldRequest {
    /// The hold's id (unique for the life of the account).
    pub hold_id: String,
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Units to reserve (more than zero).
    pub units: u64,
    /// Operation id.
    pub operation: String,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
}

/// What drawing units came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDraw {
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Units drawn from the allowance (after any conversion).
    pub units_used: u64,
    /// Credits converted to cover the shortfall.
    pub credits_converted: Credits,
    /// Credits for units neither the allowance nor the balance covered: the caller
    /// charges them (overdraft rules); zero normally.
    pub uncovered: Credits,
    /// Units left in the allowance.
    pub remaining: u64,
}

impl Account {
    fn unit_terms(&self, kind: AllowanceKind) -> Result<AllowanceTerms, LedgerError> {
        self.policy()
            .allowance(kind)
            .cloned()
            .ok_or_else(|| LedgerError::BadInput(format!("this policy has no {} allowance", kind.json_name())))
    }

    /// Reserves `units` of an allowance at `now` (see the module's rules).
    pub fn reserve_units(&mut self, req: &UnitHoldRequest, now: i64) -> Result<Hold, LedgerError> {
        let terms = self.unit_terms(req.allowance)?;
        if req.hold_id.is_empty() || req.units == 0 || req.units > crate::money::MAX_SAFE_INTEGER {
            return Err(LedgerError::BadInput("a unit hold needs an id and 1..2^53-1 units".into()));
        }
        let expires_at = add_ms(now, self.policy().hold_ttl_ms)?;
        self.transact(now, |tx| {
            if tx.state.hold(&req.hold_id).is_some() {
                return Err(LedgerError::Duplicate(req.hold_id.clone()));
            }
            if let Some(id) = &req.agent_id {
                if !tx.state.agent(id).is_some_and(|a| a.is_active()) {
                    return Err(LedgerError::AgentInactive(id.clone()));
                }
            }
            let free = tx.state.allowance_free(req.allowance);
            let reserved = req.units.min(free);
            let short = req.units - reserved;
            let mut credits = Credits::ZERO;
            if short > 0 {
                if terms.on_shortfall == OnShortfall::Refuse {
                    return Err(LedgerError::InsufficientAllowance { needed: req.units, available: free });
                }
                credits = super::allowance::credits_for(&terms, short, tx.policy.credit_step)?;
                tx.require_available(credits)?;
            }
            let hold = Hold {
                id: req.hold_id.clone(),
                amount: credits,
                purpose: Purpose::Operation { operation: req.operation.clone(), agent_id: req.agent_id.clone() },
                created_at: now,
                expires_at,
                status: HoldStatus::Open,
                committed: Credits::ZERO,
                units: Some(HeldUnits { allowance: req.allowance, requested: req.units, reserved }),
            };
            tx.push(now, EntryKind::Hold { hold: hold.clone() })?;
            Ok(hold)
        })
    }

    /// Commits `used` units on an open unit hold at `now`: the hold is closed, then the
    /// units are drawn (see the module's rules).
    pub fn commit_units(&mut self, hold_id: &str, used: u64, now: i64) -> Result<UnitDraw, LedgerError> {
        let h = self.state().hold(hold_id).cloned().ok_or_else(|| LedgerError::NotFound(format!("hold {hold_id:?}")))?;
        let (Some(units), true) = (h.units, h.is_open()) else {
            return Err(LedgerError::NotFound(format!("open unit hold {hold_id:?}")));
        };
        let terms = self.unit_terms(units.allowance)?;
        let Purpose::Operation { operation, agent_id } = h.purpose.clone() else {
            return Err(LedgerError::NotFound(format!("open unit hold {hold_id:?}")));
        };
        self.transact(now, |tx| {
            let agent_active = agent_id.as_ref().is_none_or(|id| tx.state.agent(id).is_some_and(|a| a.is_active()));
            if agent_active {
                // Committed for no credits: the usage is drawn below, in units.
                let kind = EntryKind::Debit {
                    purpose: h.purpose.clone(),
                    amount: Credits::ZERO,
                    draws: Vec::new(),
                    hold_id: Some(h.id.clone()),
                    released: h.amount,
                };
                tx.push(now, kind)?;
            } else {
                tx.push(now, EntryKind::Release { hold_id: h.id.clone(), amount: h.amount, reason: ReleaseReason::Released })?;
            }
            draw_in(tx, &terms, used, &operation, agent_id.as_deref(), now)
        })
    }

    /// Draws `used` units without a hold at `now` (the commit of a unit hold that expired
    /// or whose reserve was refused).
    pub fn draw_units(
        &mut self,
        allowance: AllowanceKind,
        used: u64,
        operation: &str,
        agent_id: Option<&str>,
        now: i64,
    ) -> Result<UnitDraw, LedgerError> {
        let terms = self.unit_terms(allowance)?;
        self.transact(now, |tx| draw_in(tx, &terms, used, operation, agent_id, now))
    }
}

fn draw_in(
    tx: &mut Tx<'_>,
    terms: &AllowanceTerms,
    used: u64,
    operation: &str,
    agent_id: Option<&str>,
    now: i64,
) -> Result<UnitDraw, LedgerError> {
    let kind = terms.kind;
    // Usage of an agent that is no longer active still happened: it counts for the
    // account only.
    let agent = agent_id.filter(|id| tx.state.agent(id).is_some_and(|a| a.is_active()));
    let free = tx.state.allowance_free(kind);
    let mut out = UnitDraw { allowance: kind, units_used: used, credits_converted: Credits::ZERO, uncovered: Credits::ZERO, remaining: 0 };
    if used > free {
        let credits = super::allowance::credits_for(terms, used - free, tx.policy.credit_step)?;
        if credits <= tx.state.available() {
            let added = super::allowance::units_for(terms, credits)?;
            let draws = draw_plan(&tx.state.grants, credits, now).draws;
            tx.push(now, EntryKind::Conversion { allowance: kind, credits, draws, units: added })?;
            out.credits_converted = credits;
        } else {
            out.units_used = free;
            out.uncovered = credits;
        }
    }
    if out.units_used > 0 {
        tx.push(
            now,
            EntryKind::AllowanceUse {
                allowance: kind,
                units: out.units_used,
                operation: operation.to_string(),
                agent_id: agent.map(str::to_string),
            },
        )?;
    }
    out.remaining = tx.state.allowance(kind).remaining;
    Ok(out)
}

json_struct!(UnitHoldRequest [deny] { hold_id: "holdId", allowance: "allowance", units: "units", operation: "operation", agent_id: "agentId" = default });
json_to!(UnitDraw {
    allowance: "allowance",
    units_used: "unitsUsed",
    credits_converted: "creditsConverted",
    uncovered: "uncovered",
    remaining: "remaining"
});
