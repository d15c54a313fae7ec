//! Allowances: credits converted into LLM-token or TTS-character units that never
//! expire and are drawn by the operations that use them.
//!
//! The policy states the rate (`unitsPerCredit`). A conversion of `c` credits adds
//! `floor(c × rate)` units. A use draws units from the allowance; when it falls short and
//! the policy says `convert`, the ledger first converts just enough credits — the
//! shortfall divided by the rate, rounded **up** to the credit step — so token counts are
//! normalised into credits by configuration, never by code.

use super::account::Account;
use super::entry::EntryKind;
use super::error::LedgerError;
use super::order::draw_plan;
use super::policy::{AllowanceKind, AllowanceTerms, OnShortfall};
use crate::money::Credits;

/// An allowance's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowanceBalance {
    /// Which allowance.
    pub kind: AllowanceKind,
    /// Units left (they never expire).
    pub remaining: u64,
    /// Units ever added by conversions.
    pub converted: u64,
    /// Units ever used.
    pub used: u64,
    /// Credits ever converted into it.
    pub credits: Credits,
}

impl AllowanceBalance {
    /// An allowance nothing was converted into yet.
    pub fn empty(kind: AllowanceKind) -> AllowanceBalance {
        AllowanceBalance { kind, remaining: 0, converted: 0, used: 0, credits: Credits::ZERO }
    }
}

/// Units `credits` convert into: `floor(credits × unitsPerCredit)` (the protocol's rule,
/// `credit_meter_protocol::unit_rate`, which the client applies offline too).
pub fn units_for(terms: &AllowanceTerms, credits: Credits) -> Result<u64, LedgerError> {
    crate::unit_rate::units_for_credits(terms.units_per_credit, credits)
        .ok_or_else(|| LedgerError::BadInput(format!("{} credits convert into too many units", credits.to_plain_string())))
}

/// The fewest credits (a multiple of `step`) that convert into at least `units`.
pub fn credits_for(terms: &AllowanceTerms, units: u64, step: Credits) -> Result<Credits, LedgerError> {
    crate::unit_rate::credits_for_units(terms.units_per_credit, units, step)
        .map_err(|e| LedgerError::BadInput(format!("allowance rate: {e}")))
}

/// A conversion request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertRequest {
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Credits to convert.
    pub credits: Credits,
}

/// A use of allowance units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowanceUseRequest {
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Units used (tokens or characters).
    pub units: crate::money::Count,
    /// Operation id (`"message"`, `"tts"`).
    pub operation: String,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
}

/// What a conversion or a use did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowanceOutcome {
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Credits converted (zero when the allowance covered a use).
    pub credits_converted: Credits,
    /// Units added by the conversion.
    pub units_added: u64,
    /// Units used.
    pub units_used: u64,
    /// Units left.
    pub remaining: u64,
}

impl Account {
    fn allowance_terms(&self, kind: AllowanceKind) -> Result<AllowanceTerms, LedgerError> {
        self.policy().allowance(kind).cloned().ok_or_else(|| LedgerError::BadInput(format!("this policy has no {kind:?} allowance")))
    }

    /// Converts credits into allowance units at `now`.
    pub fn convert(&mut self, req: &ConvertRequest, now: i64) -> Result<AllowanceOutcome, LedgerError> {
        let terms = self.allowance_terms(req.allowance)?;
        let units = units_for(&terms, req.credits)?;
        if units == 0 {
            return Err(LedgerError::BadInput(format!("{} credits convert into no units", req.credits.to_plain_string())));
        }
        self.transact(now, |tx| {
            tx.require_available(req.credits)?;
            let draws = draw_plan(&tx.state.grants, req.credits, now).draws;
            tx.push(now, EntryKind::Conversion { allowance: req.allowance, credits: req.credits, draws, units })?;
            Ok(AllowanceOutcome {
                allowance: req.allowance,
                credits_converted: req.credits,
                units_added: units,
                units_used: 0,
                remaining: tx.state.allowance(req.allowance).remaining,
            })
        })
    }

    /// Uses allowance units at `now`, converting credits first for any shortfall when the
    /// policy says so.
    pub fn use_allowance(&mut self, req: &AllowanceUseRequest, now: i64) -> Result<AllowanceOutcome, LedgerError> {
        let terms = self.allowance_terms(req.allowance)?;
        let units = req.units.get();
        self.transact(now, |tx| {
            if let Some(id) = &req.agent_id {
                if !tx.state.agent(id).is_some_and(|a| a.is_active()) {
                    return Err(LedgerError::AgentInactive(id.clone()));
                }
            }
            let have = tx.state.allowance(req.allowance).remaining;
            let mut out = AllowanceOutcome {
                allowance: req.allowance,
                credits_converted: Credits::ZERO,
                units_added: 0,
                units_used: units,
                remaining: 0,
            };
            if units > have {
                if terms.on_shortfall == OnShortfall::Refuse {
                    return Err(LedgerError::InsufficientAllowance { needed: units, available: have });
                }
                let credits = credits_for(&terms, units - have, tx.policy.credit_step)?;
                tx.require_available(credits)?;
                let added = units_for(&terms, credits)?;
                let draws = draw_plan(&tx.state.grants, credits, now).draws;
                tx.push(now, EntryKind::Conversion { allowance: req.allowance, credits, draws, units: added })?;
                out.credits_converted = credits;
                out.units_added = added;
            }
            if units > 0 {
                tx.push(
                    now,
                    EntryKind::AllowanceUse {
                        allowance: req.allowance,
                        units,
                        operation: req.operation.clone(),
                        agent_id: req.agent_id.clone(),
                    },
                )?;
            }
            out.remaining = tx.state.allowance(req.allowance).remaining;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn terms(rate: &str) -> AllowanceTerms {
        AllowanceTerms {
            kind: AllowanceKind::TtsCharacters,
            units_per_credit: Decimal::from_str_exact(rate).unwrap_or_default(),
            on_shortfall: OnShortfall::Convert,
        }
    }

    #[test]
    fn converting_floors_units_and_buying_units_rounds_credits_up() {
        let step = Credits::parse("0.001").unwrap_or_default();
        let t = terms("333.333");
        assert_eq!(units_for(&t, Credits::parse("1").unwrap_or_default()).ok(), Some(333));
        let credits = credits_for(&t, 1_000, step).unwrap_or_default();
        assert_eq!(credits, Credits::parse("3.001").unwrap_or_default());
        assert!(units_for(&t, credits).unwrap_or(0) >= 1_000);
        assert_eq!(credits_for(&terms("1000"), 0, step).ok(), Some(Credits::ZERO));
    }

    #[test]
    fn enormous_conversions_are_refused() {
        let t = terms("1000000000");
        assert!(units_for(&t, Credits::parse("1000000000000000").unwrap_or_default()).is_err());
    }
}

json_struct!(AllowanceBalance [deny] { kind: "kind", remaining: "remaining", converted: "converted", used: "used", credits: "credits" });
json_struct!(ConvertRequest [deny] { allowance: "allowance", credits: "credits" });
json_struct!(AllowanceUseRequest [deny] { allowance: "allowance", units: "units", operation: "operation", agent_id: "agentId" = default });
json_to!(AllowanceOutcome {
    allowance: "allowance",
    credits_converted: "creditsConverted",
    units_added: "unitsAdded",
    units_used: "unitsUsed",
    remaining: "remaining",
});
