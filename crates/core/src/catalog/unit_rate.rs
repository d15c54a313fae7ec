//! One source of truth per rate: a catalog operation priced per allowance unit must charge
//! exactly the rate the ledger's policy converts credits at.
//!
//! The ledger policy's `unitsPerCredit` is the source (the ledger applies it when credits
//! are converted into an allowance and when a shortfall is converted); the catalog states
//! the same rate for the path that charges credits directly. A host that loads both —
//! a catalog for the client and a policy for the ledger — calls
//! [`Catalog::check_unit_rate`] once per allowance and refuses the pair when it fails.

use super::{Catalog, CatalogError, Charge};
use rust_decimal::Decimal;

impl Catalog {
    /// Checks that `operation` charges `units_per_credit` units per credit exactly (TTS:
    /// characters per credit, from `charactersPerCredit`, or `creditsPerCharacter` whose
    /// product with the rate is exactly 1). `BAD_CATALOG` when it charges another rate or
    /// is not priced per unit at a fixed rate (token-priced operations follow the model's
    /// USD price, so they cannot agree with a fixed token rate).
    pub fn check_unit_rate(&self, operation: &str, units_per_credit: Decimal) -> Result<(), CatalogError> {
        let op = self.operation(operation)?;
        let agrees = match &op.charge {
            Charge::PerCharacter { characters_per_credit: Some(n), .. } => *n == units_per_credit,
            Charge::PerCharacter { credits_per_character: Some(p), .. } => {
                crate::decimal_ops::mul(p.value(), units_per_credit).is_some_and(|one| one == Decimal::ONE)
            }
            other => {
                return Err(CatalogError::Invalid(format!(
                    "operation {operation:?} is charged {:?}, not per unit at a fixed rate; the policy converts {units_per_credit} units per credit",
                    other.kind()
                )))
            }
        };
        if agrees {
            Ok(())
        } else {
            Err(CatalogError::Invalid(format!(
                "operation {operation:?} charges another rate than the policy's {units_per_credit} units per credit ({:?})",
                op.charge
            )))
        }
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
        let e = Catalog::default_catalog().check_unit_rate("message", Decimal::from(1000)).unwrap_err();
        assert_eq!(e.code().as_str(), "BAD_CATALOG", "token prices follow the model: {e}");
        assert_eq!(Catalog::default_catalog().check_unit_rate("nope", Decimal::ONE).unwrap_err().code().as_str(), "UNKNOWN_OPERATION");
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
