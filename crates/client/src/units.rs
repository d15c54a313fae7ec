//! The device's side of usage in an allowance's units (PROTOCOL §12): what the allowance
//! has free as far as this device knows, and what a reserve or commit in units comes to
//! in credits — by the same rule the ledger applies (`unit_rate`), so an offline unit
//! reserve within the offline room is decided the same way.
//!
//! ```text
//! free = allowance.remaining − (allowance.held − units of this device's holds in the snapshot
//!                               + units of those this state does not know: another copy's)
//!        − units of this device's local unit holds − units of unit commits in the outbox
//! ```

use super::message::Mutation;
use super::state::{ClientState, HoldState};
use super::sync_error::SyncError;
use crate::money::Credits;
use crate::snapshot::SnapshotAllowance;
use credit_meter_protocol::unit_rate::credits_for_units;

/// A mutation amount as a whole number of units (≤ 2^53 − 1).
///
/// Whole when truncating leaves the value equal (what `fract().is_zero()` says, without
/// `fract`'s subtraction operator, which carries its own copy of the addition into the .wasm).
pub fn whole(amount: Credits) -> Option<u64> {
    use rust_decimal::prelude::ToPrimitive;
    let v = amount.value();
    (v.trunc() == v).then(|| v.to_u64()).flatten().filter(|&n| n <= crate::money::MAX_SAFE_INTEGER)
}

/// What a reserve of some units comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPlan {
    /// Units set aside from the allowance.
    pub units: u64,
    /// Credits to reserve for the shortfall (possibly zero).
    pub credits: Credits,
}

/// The snapshot's terms of `unit`, when the ledger takes mutations in it.
pub fn terms<'a>(state: &'a ClientState, unit: &str) -> Result<&'a SnapshotAllowance, SyncError> {
    let p = state.payload().ok_or(SyncError::NoSnapshot)?;
    p.unit_allowance(unit).ok_or(SyncError::BadInput("the ledger has no allowance in this unit (or predates usage in units)"))
}

/// Units of `unit` free for this device at `now`.
pub fn free_units(state: &ClientState, unit: &str, now: i64) -> Result<u64, SyncError> {
    let a = terms(state, unit)?;
    let p = state.payload().ok_or(SyncError::NoSnapshot)?;
    // The snapshot lists this device id's holds, another copy's among them: those set
    // units aside like another device's (`view::foreign_holds`).
    let foreign = crate::view::foreign_holds(state)
        .filter(|h| h.unit.as_deref() == Some(unit))
        .fold(0u64, |acc, h| acc.saturating_add(h.units.map_or(0, |u| u.get())));
    let held_other = a.held.get().saturating_sub(p.own_held_units(unit)).saturating_add(foreign);
    let own: u64 = state
        .holds
        .iter()
        .filter(|h| h.unit.as_deref() == Some(unit) && h.state != HoldState::Refused && h.counts_at(now))
        .fold(0, |acc, h| acc.saturating_add(h.units.unwrap_or(0)));
    let pending: u64 = state
        .outbox
        .iter()
        .filter(|e| matches!(&e.mutation, Mutation::Commit { unit: Some(u), .. } if u == unit))
        .fold(0, |acc, e| acc.saturating_add(e.units.unwrap_or(0)));
    Ok(a.remaining.get().saturating_sub(held_other).saturating_sub(own).saturating_sub(pending))
}

/// Credits `units` beyond the allowance cost under the snapshot's terms of `unit`.
pub fn credits_for(state: &ClientState, unit: &str, units: u64) -> Result<Credits, SyncError> {
    let a = terms(state, unit)?;
    let rate = a.units_per_credit.ok_or(SyncError::BadInput("no rate"))?;
    let step = state.payload().and_then(|p| p.credit_step).ok_or(SyncError::BadInput("the snapshot has no credit step"))?;
    credits_for_units(rate, units, step).map_err(|_| SyncError::BadInput("units out of range"))
}

/// A reserve of `units` of `unit` at `now`: the allowance first, the shortfall in credits
/// — or `INSUFFICIENT_ALLOWANCE` when the policy refuses a shortfall.
pub fn plan_reserve(state: &ClientState, unit: &str, units: u64, now: i64) -> Result<UnitPlan, SyncError> {
    let free = free_units(state, unit, now)?;
    let reserved = units.min(free);
    let short = units - reserved;
    if short > 0 && terms(state, unit)?.on_shortfall.as_deref() == Some("refuse") {
        return Err(SyncError::InsufficientAllowance { needed: units, available: free });
    }
    Ok(UnitPlan { units: reserved, credits: credits_for(state, unit, short)? })
}

/// What a unit commit of `used` units on a hold that set aside `held` units comes to: the
/// units it draws from the allowance and the credits the rest may cost.
pub fn plan_commit(state: &ClientState, unit: &str, used: u64, held: u64) -> Result<UnitPlan, SyncError> {
    let from_allowance = used.min(held);
    Ok(UnitPlan { units: from_allowance, credits: credits_for(state, unit, used - from_allowance)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_takes_integers_at_any_scale_and_refuses_fractions() {
        let whole_of = |s: &str| Credits::parse(s).ok().and_then(whole);
        assert_eq!(whole_of("93"), Some(93));
        assert_eq!(whole_of("93.000"), Some(93));
        assert_eq!(whole_of("0"), Some(0));
        assert_eq!(whole_of("0.0"), Some(0));
        assert_eq!(whole_of("93.5"), None);
        assert_eq!(whole_of("0.001"), None);
        // Credits stop at 10^15, below 2^53 − 1.
        assert_eq!(whole_of("1000000000000000"), Some(1_000_000_000_000_000));
    }
}
