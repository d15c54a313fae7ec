//! Who pays when the account has an allowance for the operation's units (PROTOCOL §12):
//! the Meter's `decide` sees the allowance the way its `reserve` in units does, so audio an
//! AssistLore user's TTS characters cover, or a message its LLM tokens cover, is not
//! refused for want of credits, and the decision it returns reserves in those units.
//!
//! An operation draws on an allowance when its charge counts that allowance's unit at the
//! allowance's one rate — per character: `ttsCharacters` (the estimate's characters); per
//! token at a fixed `tokensPerCredit`: `llmTokens` (the estimate's prompt + completion
//! tokens) — and the snapshot gives the allowance a conversion rate (`unitsPerCredit`).
//! The units then come first; the credits held are what the rest converts to
//! (`units::plan_reserve`, the ledger's rule). A per-token operation priced by its model
//! (a `markup`) has no one rate to draw units at, so it is decided in credits (README
//! "AssistLore", one source of truth per rate).

use crate::catalog::{Catalog, TokenRate};
use crate::estimate::Estimate;
use crate::funding::{self, Decision, Funding, Remedies};
use crate::machine::Machine;
use crate::money::Credits;
use crate::sync_error::SyncError;
use crate::units;

/// What a decision in an allowance's units reserves: the unit, how many of it (high,
/// expected), and how the reason names them.
struct InUnits {
    unit: &'static str,
    high: u64,
    expected: u64,
    label: &'static str,
}

/// The allowance unit `estimate` counts and how many of it, if any.
fn units_of(catalog: &Catalog, estimate: &Estimate) -> Option<InUnits> {
    match estimate.charge.as_str() {
        "perCharacter" => {
            estimate.characters.map(|c| InUnits { unit: "ttsCharacters", high: c, expected: c, label: "read-aloud characters" })
        }
        "perToken" => {
            let op = catalog.operation(&estimate.operation).ok()?;
            if !matches!(op.charge.token_rate(), Some(TokenRate::Fixed(_))) {
                return None;
            }
            let (i, o) = (estimate.input_tokens, estimate.output_tokens);
            Some(InUnits {
                unit: "llmTokens",
                high: i.high.saturating_add(o.high),
                expected: i.expected.saturating_add(o.expected),
                label: "message tokens",
            })
        }
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
    let Some(InUnits { unit, high, expected, label }) = units_of(catalog, estimate) else { return decision };
    let state = machine.state();
    if units::terms(state, unit).map_or(true, |t| t.units_per_credit.is_none()) {
        return decision;
    }
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
