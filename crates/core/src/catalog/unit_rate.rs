//! One source of truth per rate: a catalog operation priced per allowance unit must charge
//! exactly the rate the ledger's policy converts credits at.
//!
//! The ledger policy's `unitsPerCredit` is the source (the ledger applies it when credits
//! are converted into an allowance and when a shortfall is converted); the catalog states
//! the same rate for the path that charges credits directly. A host that loads both —
//! a catalog for the client and a policy for the ledger — calls
//! [`Catalog::check_unit_rate`] once per allowance and refuses the pair when it fails.

use super::{Catalog, CatalogError, Charge};
use credit_meter_base::quote::quoted;
use rust_decimal::Decimal;

impl Catalog {
    /// Checks that `operation` charges `units_per_credit` units per credit exactly (TTS:
    /// characters per credit, from `charactersPerCredit`, or `creditsPerCharacter` whose
    /// product with the rate is exactly 1; LLM tokens: `tokensPerCredit`). `BAD_CATALOG`
    /// when it charges another rate or is not priced per unit at a fixed rate (a perToken
    /// operation with a `markup` follows the model's USD price, so it cannot agree with a
    /// fixed token rate).
    pub fn check_unit_rate(&self, operation: &str, units_per_credit: Decimal) -> Result<(), CatalogError> {
        let op = self.operation(operation)?;
        let agrees = match &op.charge {
            Charge::PerCharacter { characters_per_credit: Some(n), .. } => *n == units_per_credit,
            Charge::PerCharacter { credits_per_character: Some(p), .. } => {
                crate::decimal_ops::mul(p.value(), units_per_credit).is_some_and(|one| one == Decimal::ONE)
            }
            Charge::PerToken { tokens_per_credit: Some(n), .. } => *n == units_per_credit,
            other => {
                return Err(CatalogError::Invalid(format!(
                    "operation {} is charged {}, not per unit at a fixed rate; the policy converts {units_per_credit} units per credit",
                    quoted(operation),
                    quoted(other.kind())
                )))
            }
        };
        if agrees {
            Ok(())
        } else {
            Err(CatalogError::Invalid(format!(
                "operation {} charges another rate than the policy's {units_per_credit} units per credit ({:?})",
                quoted(operation),
                op.charge
            )))
        }
    }

    /// The operations whose charge counts the allowance unit `unit`: `"ttsCharacters"` —
    /// every per-character operation; `"llmTokens"` — every per-token operation; any other
    /// unit — none.
    pub fn operations_in_unit<'a>(&'a self, unit: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.definition().operations.iter().filter(move |op| unit_of(&op.charge) == Some(unit)).map(|op| op.id.as_str())
    }

    /// Checks every operation that counts `unit` (see [`Catalog::operations_in_unit`])
    /// against a policy's `unitsPerCredit` for that allowance: the check a host runs when it
    /// loads a catalog together with a ledger policy, once per allowance of the policy.
    /// `BAD_CATALOG` names the first operation that disagrees.
    pub fn check_allowance_rate(&self, unit: &str, units_per_credit: Decimal) -> Result<(), CatalogError> {
        self.operations_in_unit(unit).try_for_each(|op| self.check_unit_rate(op, units_per_credit)).map_err(|e| match e {
            CatalogError::Invalid(m) => CatalogError::Invalid(format!("{m}: the {unit} allowance and the catalog must agree on one rate")),
            other => other,
        })
    }
}

/// The allowance unit a charge counts, if any.
fn unit_of(charge: &Charge) -> Option<&'static str> {
    match charge {
        Charge::PerCharacter { .. } => Some("ttsCharacters"),
        Charge::PerToken { .. } => Some("llmTokens"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;

    fn with_tts(charge: &str) -> Catalog {
        let json = super::super::DEFAULT_CATALOG_JSON.replace(r#"{ "kind": "perCharacter", "charactersPerCredit": "300" }"#, charge);
        Catalog::parse(&json).unwrap()
    }

    #[test]
    fn the_default_catalog_charges_tts_at_the_assist_lore_conversion_rate() {
        Catalog::default_catalog().check_unit_rate("tts", Decimal::from(300)).unwrap();
        with_tts(r#"{ "kind": "perCharacter", "creditsPerCharacter": "0.004" }"#).check_unit_rate("tts", Decimal::from(250)).unwrap();
    }

    #[test]
    fn a_disagreeing_rate_is_refused_with_a_code() {
        // The issue's pair: 0.003 credits per character (≈ 333 per credit) against 300.
        let old = with_tts(r#"{ "kind": "perCharacter", "creditsPerCharacter": "0.003" }"#);
        let e = old.check_unit_rate("tts", Decimal::from(300)).unwrap_err();
        assert_eq!((e.code().as_str(), e.to_string().contains("300")), ("BAD_CATALOG", true), "{e}");
        let e = Catalog::default_catalog().check_unit_rate("tts", Decimal::from(333)).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG");
        let model_priced = with_message(r#"{ "kind": "perToken", "markup": "1" }"#);
        let e = model_priced.check_unit_rate("message", Decimal::from(1000)).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG", "token prices that follow the model have no fixed rate: {e}");
        let e = Catalog::default_catalog().check_unit_rate("message", Decimal::from(999)).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG", "{e}");
        assert_eq!(Catalog::default_catalog().check_unit_rate("nope", Decimal::ONE).unwrap_err().code().as_str(), "UNKNOWN_OPERATION");
    }

    fn with_message(charge: &str) -> Catalog {
        let json = super::super::DEFAULT_CATALOG_JSON.replace(MESSAGE_CHARGE, charge);
        assert_ne!(json, super::super::DEFAULT_CATALOG_JSON, "the default catalog's message charge moved");
        Catalog::parse(&json).unwrap()
    }

    const MESSAGE_CHARGE: &str = r#"{ "kind": "perToken", "tokensPerCredit": "1000" }"#;

    #[test]
    fn the_default_catalog_charges_messages_at_the_assist_lore_token_rate() {
        let c = Catalog::default_catalog();
        c.check_unit_rate("message", Decimal::from(1000)).unwrap();
        c.check_allowance_rate("llmTokens", Decimal::from(1000)).unwrap();
        c.check_allowance_rate("ttsCharacters", Decimal::from(300)).unwrap();
        assert_eq!(c.operations_in_unit("llmTokens").collect::<Vec<_>>(), ["message"]);
        assert_eq!(c.operations_in_unit("ttsCharacters").collect::<Vec<_>>(), ["tts"]);
        assert_eq!(c.operations_in_unit("cards").count(), 0);
        c.check_allowance_rate("cards", Decimal::ONE).unwrap();
    }

    #[test]
    fn an_allowance_whose_rate_an_operation_disagrees_with_is_refused_naming_it() {
        let c = Catalog::default_catalog();
        let e = c.check_allowance_rate("llmTokens", Decimal::from(500)).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG");
        assert!(e.to_string().contains("\"message\"") && e.to_string().contains("llmTokens"), "{e}");
        let model_priced = with_message(r#"{ "kind": "perToken" }"#);
        let e = model_priced.check_allowance_rate("llmTokens", Decimal::from(1000)).unwrap_err();
        assert!(e.to_string().contains("not per unit at a fixed rate"), "{e}");
        // A policy without an llmTokens allowance has nothing to disagree with.
        model_priced.check_allowance_rate("ttsCharacters", Decimal::from(300)).unwrap();
    }

    #[test]
    fn a_per_token_charge_takes_at_most_one_rate_and_a_positive_one() {
        let both = r#"{ "kind": "perToken", "markup": "1", "tokensPerCredit": "1000" }"#;
        for charge in [both, r#"{ "kind": "perToken", "tokensPerCredit": "0" }"#, r#"{ "kind": "perToken", "markup": "0" }"#] {
            let json = DEFAULT_JSON_TTS.replace(MESSAGE_CHARGE, charge);
            assert_eq!(Catalog::parse(&json).unwrap_err().code().as_str(), "BAD_CATALOG", "{charge}");
        }
        assert_eq!(
            with_message(r#"{ "kind": "perToken" }"#).operation("message").unwrap().charge.token_rate(),
            Some(crate::catalog::TokenRate::Markup(crate::money::Credits::parse("1").unwrap()))
        );
    }

    #[test]
    fn a_per_character_charge_takes_exactly_one_positive_rate() {
        let both = r#"{ "kind": "perCharacter", "creditsPerCharacter": "0.004", "charactersPerCredit": "250" }"#;
        for charge in [both, r#"{ "kind": "perCharacter" }"#, r#"{ "kind": "perCharacter", "charactersPerCredit": "0" }"#] {
            let json = DEFAULT_JSON_TTS.replace(r#"{ "kind": "perCharacter", "charactersPerCredit": "300" }"#, charge);
            assert_eq!(Catalog::parse(&json).unwrap_err().code().as_str(), "BAD_CATALOG", "{charge}");
        }
    }

    const DEFAULT_JSON_TTS: &str = super::super::DEFAULT_CATALOG_JSON;
}
