//! Who pays when the account has an allowance for the operation's units (PROTOCOL §12):
//! the Meter's `decide` sees the allowance the way its `reserve` in units does, so audio an
//! AssistLore user's TTS characters cover is not refused for want of credits, and the
//! decision it returns reserves in those units.
//!
//! An operation draws on an allowance when its charge counts that allowance's unit — per
//! character: `ttsCharacters` (the estimate's characters) — and the snapshot gives the
//! allowance a conversion rate (`unitsPerCredit`). The units then come first; the credits
//! held are what the rest converts to (`units::plan_reserve`, the ledger's rule).
//!
//! Not yet for LLM tokens: the catalog prices a message's tokens at its model's price
//! (and so does the AI proxy), which is not the allowance's one rate (README "AssistLore",
//! one source of truth per rate); until the two agree, a message is decided in credits
//! and an app that meters it in `llmTokens` reserves in units itself.

use crate::catalog::Catalog;
use crate::estimate::Estimate;
use crate::funding::{self, Decision, Funding, Remedies};
use crate::machine::Machine;
use crate::money::Credits;
use crate::sync_error::SyncError;
use crate::units;

/// The allowance unit `estimate` counts and how many of it (high, expected), if any.
fn units_of(estimate: &Estimate) -> Option<(&'static str, u64, u64)> {
    match estimate.charge.as_str() {
        "perCharacter" => estimate.characters.map(|c| ("ttsCharacters", c, c)),
        _ => None,
    }
}

/// `decision` (made in credits against `balance`) decided again against the account's
/// allowance for the operation's units, when the snapshot has one with a rate; otherwise
/// `decision` unchanged.
pub fn with_allowance(
    machine: &Machine,
    catalog: &Catalog,
    estimate: &Estimate,
    decision: Decision,
    balance: Credits,
    now: i64,
) -> Decision {
    if !matches!(decision.funding, Funding::Credits | Funding::Insufficient) || !estimate.has_work {
        return decision;
    }
    let Some((unit, high, expected)) = units_of(estimate) else { return decision };
    let state = machine.state();
    if units::terms(state, unit).map_or(true, |t| t.units_per_credit.is_none()) {
        return decision;
    }
    let label = "read-aloud characters";
    let in_units = |d: Decision| Decision { unit: Some(unit.to_string()), units: Some(high), capped: None, ..d };
    let plan = match units::plan_reserve(state, unit, high, now) {
        Ok(plan) => plan,
        Err(SyncError::InsufficientAllowance { needed, available }) => {
            return in_units(Decision {
                funding: Funding::Insufficient,
                proceed: false,
                reserve: Credits::ZERO,
                shortfall: None,
                package: None,
                options: Vec::new(),
                reason: format!("Not enough {label}: {needed} needed, {available} left, and this plan does not convert credits into more."),
                ..decision
            });
        }
        Err(_) => return decision,
    };
    let expected_credits = units::credits_for(state, unit, expected.saturating_sub(plan.units)).unwrap_or(plan.credits).min(plan.credits);
    let covered = if plan.units >= high {
        format!("Your {label} cover it ({high})")
    } else {
        format!("Your {label} cover {} of {high}; the rest costs at most {} credits", plan.units, plan.credits.to_plain_string())
    };
    if plan.credits <= balance {
        return in_units(Decision {
            funding: Funding::Credits,
            proceed: true,
            reserve: plan.credits,
            expected: expected_credits,
            shortfall: None,
            package: None,
            options: Vec::new(),
            reason: format!("{covered}."),
            ..decision
        });
    }
    let shortfall = plan.credits.saturating_sub(balance);
    let byok = catalog.operation(&estimate.operation).map(|o| o.byok).unwrap_or(false);
    let Remedies { package, options } = funding::remedies(catalog, byok, shortfall);
    in_units(Decision {
        funding: Funding::Insufficient,
        proceed: false,
        reserve: Credits::ZERO,
        expected: expected_credits,
        shortfall: Some(shortfall),
        package,
        options,
        reason: format!("{covered}: {} more credits needed.", shortfall.to_plain_string()),
        ..decision
    })
}
