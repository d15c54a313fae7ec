//! The one conversion rule between credits and allowance units (LLM tokens, TTS
//! characters), shared by the ledger and the client so that an offline unit reserve
//! comes to the same credits as the ledger's (`docs/PROTOCOL.md` §12).
//!
//! - `c` credits convert into `floor(c × unitsPerCredit)` units;
//! - `n` units cost the fewest credits, a multiple of the credit step, that convert into
//!   at least `n` units: `n / unitsPerCredit` rounded **up** to the step.

use crate::money::{Credits, MoneyError, MAX_SAFE_INTEGER};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Units `credits` convert into at `rate` units per credit: `floor(credits × rate)`;
/// `None` when that exceeds 2^53 − 1.
///
/// `to_u64` truncates toward zero and refuses negatives, so on the products it keeps (never
/// negative) it is the floor; the product goes through the crate's one copy of the
/// multiplication (`decimal_ops::mul`), not `checked_mul` and `floor` inlined here (1.4 KB
/// of the .wasm, and `floor` brought the subtraction operator's own copy of the addition).
pub fn units_for_credits(rate: Decimal, credits: Credits) -> Option<u64> {
    crate::decimal_ops::mul(credits.value(), rate).and_then(|v| v.to_u64()).filter(|&u| u <= MAX_SAFE_INTEGER)
}

/// The fewest credits (a multiple of `step`) that convert into at least `units` at
/// `rate` units per credit (`rate` > 0).
pub fn credits_for_units(rate: Decimal, units: u64, step: Credits) -> Result<Credits, MoneyError> {
    let overflow = || MoneyError::Overflow(format!("{units} units at {rate} per credit"));
    if rate <= Decimal::ZERO {
        return Err(overflow());
    }
    let exact = crate::decimal_ops::div(Decimal::from(units), rate).ok_or_else(overflow)?;
    let mut credits = Credits::new(exact)?.round_up_to_step(step)?;
    // Division rounds at 28 digits; make sure the rounding never leaves a unit short.
    for _ in 0..2 {
        if units_for_credits(rate, credits).ok_or_else(overflow)? >= units {
            return Ok(credits);
        }
        credits = credits.checked_add(step)?;
    }
    Ok(credits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap_or_default()
    }

    #[test]
    fn units_are_floored_and_credits_rounded_up_to_the_step() {
        let step = Credits::parse("0.001").unwrap_or_default();
        assert_eq!(units_for_credits(d("300"), Credits::parse("10").unwrap_or_default()), Some(3_000));
        assert_eq!(units_for_credits(d("333.333"), Credits::parse("1").unwrap_or_default()), Some(333));
        // 93 characters at 300 per credit: 0.31 credits exactly.
        assert_eq!(credits_for_units(d("300"), 93, step).ok(), Credits::parse("0.31").ok());
        // 1 character: 0.00333… rounds up to 0.004.
        assert_eq!(credits_for_units(d("300"), 1, step).ok(), Credits::parse("0.004").ok());
        assert_eq!(credits_for_units(d("300"), 0, step).ok(), Some(Credits::ZERO));
        assert!(credits_for_units(Decimal::ZERO, 1, step).is_err());
    }

    #[test]
    fn units_are_the_floor_of_the_product_as_floor_would_give() {
        let rates = ["300", "333.333", "0.7", "1", "1000", "0.0000001", "7.5", "99999999999"];
        let amounts = ["0", "0.001", "0.31", "0.999", "1", "2.5", "12.345678", "1000000000000000"];
        for r in rates {
            for a in amounts {
                let (rate, credits) = (d(r), Credits::parse(a).unwrap_or_default());
                let by_floor =
                    credits.value().checked_mul(rate).map(|v| v.floor()).and_then(|v| v.to_u64()).filter(|&u| u <= MAX_SAFE_INTEGER);
                assert_eq!(units_for_credits(rate, credits), by_floor, "{a} credits at {r}");
            }
        }
    }
}
