//! Arithmetic and display rounding on amounts written as decimal strings, for hosts that
//! hold money the way it crosses to them (`"12.5"`): compare, add, subtract, and round to at
//! most a number of fraction digits before a locale formats it. Exact (`rust_decimal`),
//! never through a binary float: `"0.1" + "0.2"` is `"0.3"`.
//!
//! Inputs are strict decimal strings as [`parse_amount`] reads them, with an optional
//! leading `-` (a subtraction may go below zero, and its result must be accepted back).

use crate::decimal_ops;
use crate::money::{parse_amount, MoneyError};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering;

/// The most fraction digits [`round_for_display`] keeps (what every `Intl.NumberFormat`
/// accepts).
pub const MAX_DISPLAY_FRACTION_DIGITS: u32 = 20;

/// A strict decimal string with an optional leading `-` (magnitude as [`parse_amount`]).
pub fn parse_signed(s: &str) -> Result<Decimal, MoneyError> {
    match s.strip_prefix('-') {
        // "--1" and "-+1" are not amounts: the magnitude must start with a digit or a point.
        Some(rest) if rest.starts_with(['-', '+']) => Err(MoneyError::NotADecimal(s.chars().take(40).collect())),
        Some(rest) => parse_amount(rest).map(|v| -v),
        None => parse_amount(s),
    }
}

/// Orders two amounts by value (`"1.50"` equals `"1.5"`).
pub fn compare(a: &str, b: &str) -> Result<Ordering, MoneyError> {
    Ok(parse_signed(a)?.cmp(&parse_signed(b)?))
}

/// `a + b` as a decimal string without trailing zeros.
pub fn add(a: &str, b: &str) -> Result<String, MoneyError> {
    let sum = decimal_ops::add(parse_signed(a)?, parse_signed(b)?).ok_or_else(|| MoneyError::Overflow(format!("{a} + {b}")))?;
    Ok(plain(sum))
}

/// `a − b` as a decimal string without trailing zeros (negative when `b > a`).
pub fn subtract(a: &str, b: &str) -> Result<String, MoneyError> {
    let difference = decimal_ops::sub(parse_signed(a)?, parse_signed(b)?).ok_or_else(|| MoneyError::Overflow(format!("{a} - {b}")))?;
    Ok(plain(difference))
}

/// `amount` rounded to at most `max_fraction_digits` digits after the point, half away
/// from zero (what `Intl.NumberFormat` does by default), as a plain decimal string without
/// trailing zeros. `None` when `max_fraction_digits` is above
/// [`MAX_DISPLAY_FRACTION_DIGITS`].
pub fn round_for_display(amount: &str, max_fraction_digits: u32) -> Result<Option<String>, MoneyError> {
    if max_fraction_digits > MAX_DISPLAY_FRACTION_DIGITS {
        return Ok(None);
    }
    let value = parse_signed(amount)?;
    Ok(Some(plain(value.round_dp_with_strategy(max_fraction_digits, RoundingStrategy::MidpointAwayFromZero))))
}

/// The value in plain notation, without trailing zeros; zero is `"0"` (never `"-0"`).
fn plain(value: Decimal) -> String {
    if value.is_zero() {
        return "0".to_string();
    }
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        assert_eq!(add("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(add("999999999999999.99", "0.01").unwrap(), "1000000000000000");
        assert_eq!(subtract("1", "1.000000000000000001").unwrap(), "-0.000000000000000001");
        assert_eq!(subtract("2.50", "2.5").unwrap(), "0");
        assert_eq!(add("-3", "1.25").unwrap(), "-1.75");
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(compare("1.50", "1.5").unwrap(), Ordering::Equal);
        assert_eq!(compare("10", "9.999999999999999999").unwrap(), Ordering::Greater);
        assert_eq!(compare("-1", "0").unwrap(), Ordering::Less);
        assert_eq!(compare("3e-6", "0.000003").unwrap(), Ordering::Equal);
    }

    #[test]
    fn rounds_half_away_from_zero_for_display() {
        assert_eq!(round_for_display("2.345", 2).unwrap().unwrap(), "2.35");
        assert_eq!(round_for_display("-2.345", 2).unwrap().unwrap(), "-2.35");
        assert_eq!(round_for_display("2.3449999999", 2).unwrap().unwrap(), "2.34");
        assert_eq!(round_for_display("12.5", 0).unwrap().unwrap(), "13");
        assert_eq!(round_for_display("1.10", 4).unwrap().unwrap(), "1.1");
        assert_eq!(round_for_display("1", 21).unwrap(), None);
    }

    #[test]
    fn refuses_what_is_not_a_decimal_string() {
        for bad in ["", "abc", "1,5", "NaN", "--1", "-+1", "1e400", " 1", "Infinity"] {
            assert!(parse_signed(bad).is_err(), "{bad:?} accepted");
            assert!(add(bad, "1").is_err(), "{bad:?} accepted");
        }
    }
}
