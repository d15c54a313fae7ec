//! Money: credit and USD amounts on [`rust_decimal::Decimal`], never `f64`.
//!
//! Amounts enter from decimal strings only (`"12.5"`, `"0.000003"`); counts (tokens, cards,
//! characters) enter as non-negative safe integers. Negative, non-finite (`NaN`,
//! `Infinity`) and out-of-range (`1e400`) amounts are errors, never clamped. Amounts are
//! bounded by [`MAX_AMOUNT`] so that every product the library computes (a count up to
//! 2^53 times a price) stays far inside `Decimal`'s range.
//!
//! Rounding happens once, at the debit: [`Credits::round_up_to_step`].

use crate::decimal_ops::{add, ceil, div, mul, sub};
use crate::error::{Coded, BAD_AMOUNT, BAD_INPUT};
use crate::json::{FromJson, JsonError, ToJson, Value};
use credit_meter_base::decimal_text::parse_exact;
use credit_meter_base::plain_decimal::push_plain;
use credit_meter_base::quote::quoted;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// The largest amount accepted anywhere: 10^15 (a quadrillion credits or dollars).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// The largest count accepted: JavaScript's `Number.MAX_SAFE_INTEGER` (2^53 − 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why an amount or a count was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// The string is empty.
    Empty,
    /// The string is not a decimal number (`"12,5"`, `"abc"`, `"1.2.3"`).
    NotADecimal(String),
    /// `NaN`, `Infinity` or another non-finite spelling.
    NonFinite(String),
    /// Below zero.
    Negative(String),
    /// Above [`MAX_AMOUNT`] or beyond what a decimal can hold (`1e400`).
    Overflow(String),
    /// A count that is not a non-negative safe integer.
    BadCount(String),
    /// A rounding step that is zero or negative.
    BadStep(String),
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => write!(f, "amount is empty; expected a decimal string such as \"12.5\""),
            MoneyError::NotADecimal(s) => write!(f, "amount {} is not a decimal string such as \"12.5\"", quoted(s)),
            MoneyError::NonFinite(s) => write!(f, "amount {} is not finite", quoted(s)),
            MoneyError::Negative(s) => write!(f, "amount {} is negative", quoted(s)),
            MoneyError::Overflow(s) => write!(f, "amount {} is out of range (at most 10^15)", quoted(s)),
            MoneyError::BadCount(s) => write!(f, "count {s} is not a non-negative safe integer"),
            MoneyError::BadStep(s) => write!(f, "rounding step {} must be greater than zero", quoted(s)),
        }
    }
}

impl std::error::Error for MoneyError {}

impl Coded for MoneyError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            MoneyError::BadCount(_) => BAD_INPUT,
            _ => BAD_AMOUNT,
        }
    }
}

fn shorten(s: &str) -> String {
    // Error messages quote the input, but never a megabyte of it.
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Parses a non-negative decimal amount from a string, strictly.
///
/// Accepted: `"0"`, `"12"`, `"12.5"`, `".5"`, `"0.000003"`, and scientific notation
/// (`"3e-6"`) for prices copied from provider catalogs. Refused: empty strings, white
/// space, thousands separators, `NaN`/`Infinity`, negative values, more than 28 decimal
/// places, and anything above [`MAX_AMOUNT`].
pub fn parse_amount(s: &str) -> Result<Decimal, MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    // The common case, digits and a point (`"12.5"`): none of the checks below for signs,
    // exponents and non-finite words applies, and the general path would end in the same
    // `parse_exact` — without first copying the text to lower case (one allocation per
    // amount, 1,000 in a snapshot of 1,000 grants). Anything it refuses takes that path.
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        if let Some(value) = parse_exact(s) {
            return check_range(value, s);
        }
    }
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "nan" | "inf" | "infinity") {
        return Err(MoneyError::NonFinite(shorten(s)));
    }
    let bytes = s.as_bytes();
    let valid_chars = bytes.iter().enumerate().all(|(i, &b)| {
        b.is_ascii_digit()
            || b == b'.'
            || b == b'e'
            || b == b'E'
            || ((b == b'-' || b == b'+') && (i == 0 || matches!(bytes[i - 1], b'e' | b'E')))
    });
    if !valid_chars || !bytes.iter().any(u8::is_ascii_digit) {
        return Err(MoneyError::NotADecimal(shorten(s)));
    }
    let value = if lower.contains('e') {
        parse_scientific(s, &lower)?
    } else {
        match parse_exact(s) {
            Some(v) => v,
            None => {
                let digits_only = s.bytes().filter(|&b| b != b'.').all(|b| b.is_ascii_digit() || b == b'-' || b == b'+');
                if digits_only && s.bytes().filter(|&b| b == b'.').count() <= 1 {
                    return Err(MoneyError::Overflow(shorten(s)));
                }
                return Err(MoneyError::NotADecimal(shorten(s)));
            }
        }
    };
    check_range(value, s)
}

fn parse_scientific(s: &str, lower: &str) -> Result<Decimal, MoneyError> {
    let (mantissa, exponent) = lower.split_once('e').ok_or_else(|| MoneyError::NotADecimal(shorten(s)))?;
    if mantissa.is_empty() || exponent.is_empty() || exponent.contains('e') {
        return Err(MoneyError::NotADecimal(shorten(s)));
    }
    let exp: i64 = match exponent.parse() {
        Ok(e) => e,
        Err(_) if exponent.trim_start_matches(['+', '-']).bytes().all(|b| b.is_ascii_digit()) => {
            return Err(MoneyError::Overflow(shorten(s)));
        }
        Err(_) => return Err(MoneyError::NotADecimal(shorten(s))),
    };
    let m = parse_exact(mantissa).ok_or_else(|| MoneyError::NotADecimal(shorten(s)))?;
    if m.is_zero() {
        return Ok(Decimal::ZERO);
    }
    if exp > 28 {
        return Err(MoneyError::Overflow(shorten(s)));
    }
    if exp < -28 {
        return Err(MoneyError::Overflow(shorten(s)));
    }
    let mut value = m;
    let ten = Decimal::TEN;
    for _ in 0..exp.unsigned_abs() {
        value = if exp > 0 { mul(value, ten) } else { div(value, ten) }.ok_or_else(|| MoneyError::Overflow(shorten(s)))?;
    }
    Ok(value.normalize())
}

/// Whether `value` is a valid amount as it is (non-negative, at most [`MAX_AMOUNT`]); the
/// fast test before [`check_range`], which needs the value's text for its error.
fn in_range(value: Decimal) -> bool {
    (!value.is_sign_negative() || value.is_zero()) && value <= MAX_AMOUNT
}

fn check_range(value: Decimal, original: &str) -> Result<Decimal, MoneyError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(MoneyError::Negative(shorten(original)));
    }
    if value > MAX_AMOUNT {
        return Err(MoneyError::Overflow(shorten(original)));
    }
    // "-0" is zero.
    Ok(if value.is_zero() { Decimal::ZERO } else { value })
}

/// Checks that a JavaScript number is a count: an integer in `0..=2^53−1`.
///
/// This is the only place an `f64` is looked at, and only to refuse it or turn it into an
/// exact integer; money never passes through here.
pub fn count_from_f64(n: f64) -> Result<u64, MoneyError> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER as f64 {
        Ok(n as u64)
    } else {
        Err(MoneyError::BadCount(format!("{n}")))
    }
}

/// A count of tokens, cards or characters: a non-negative integer up to 2^53 − 1.
///
/// Deserialises from a JSON/JS number only when it is a safe integer (`12`, `12.0`), so
/// `1.5`, `-1`, `NaN` and `1e300` are refused rather than truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(pub u64);

impl Count {
    /// The count as a `u64`.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl ToJson for Count {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

impl FromJson for Count {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        let Value::Number(text) = v else {
            return Err(JsonError::invalid_type("a non-negative safe integer"));
        };
        match exact_count(&text) {
            Some(n) if n <= MAX_SAFE_INTEGER => Ok(Count(n)),
            _ => Err(JsonError::new(MoneyError::BadCount(text).to_string())),
        }
    }
}

/// The integer a JSON number's text denotes exactly (`12`, `12.0`, `1.2e1`, `-0`), or
/// `None` when it is negative, has a fraction or needs more than 17 digits. Exact and
/// without `f64`.
fn exact_count(text: &str) -> Option<u64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((mantissa, exp)) => (mantissa, exp.trim_start_matches('+')),
        None => (text, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exp: i64 = match exp.strip_prefix('-') {
        Some(d) => -(crate::json::parse_u64(d)?.min(1 << 20) as i64),
        None => crate::json::parse_u64(exp)?.min(1 << 20) as i64,
    };
    let digits: String = [int, frac].concat();
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0); // zero, whatever its sign or exponent
    }
    if negative {
        return None;
    }
    // The value is `digits × 10^scale`.
    let scale = exp - frac.len() as i64;
    let kept = if scale < 0 {
        let cut = digits.len().checked_sub(scale.unsigned_abs() as usize)?;
        // `get`, not indexing: the text is ASCII, so it never returns None, and the .wasm
        // keeps no str-slicing panic (whose message needs core's `{:?}` of char).
        if !digits.get(cut..)?.bytes().all(|b| b == b'0') {
            return None;
        }
        digits.get(..cut)?
    } else {
        digits
    };
    if kept.len() as i64 + scale.max(0) > 17 {
        return None;
    }
    let mut n = if kept.is_empty() { 0 } else { crate::json::parse_u64(kept)? };
    for _ in 0..scale.max(0) {
        n *= 10;
    }
    Some(n)
}

// What the two amount types do, written once (the macro below only wraps these).

/// `value` as an amount: in range (non-negative, at most [`MAX_AMOUNT`]), "-0" made zero.
#[inline(never)]
fn amount(value: Decimal) -> Result<Decimal, MoneyError> {
    // Formatted only for the error: arithmetic checks every result through here.
    if in_range(value) {
        return Ok(if value.is_zero() { Decimal::ZERO } else { value });
    }
    check_range(value, &value.to_string())
}

/// `a + b` as an amount.
#[inline(never)]
fn add_amounts(a: Decimal, b: Decimal) -> Result<Decimal, MoneyError> {
    let sum = add(a, b).ok_or_else(|| MoneyError::Overflow(format!("{a} + {b}")))?;
    amount(sum)
}

/// `a − b`, or zero when `b` is larger (both amounts).
fn sub_amounts(a: Decimal, b: Decimal) -> Decimal {
    // `b` is smaller: the difference is in range.
    if b >= a {
        Decimal::ZERO
    } else {
        sub(a, b).unwrap_or_default()
    }
}

/// The decimal string JavaScript sees: no exponent, no trailing zeros (`"12.5"`).
#[inline(never)]
fn plain(value: Decimal) -> String {
    let mut out = String::new();
    push_plain(&mut out, value);
    out
}

/// `value` as a JSON string of its plain text, written in place (no `String` per amount).
/// The quotes are `push_str`s, as in the JSON writer (`push(char)` runs the UTF-8 encoder).
#[inline(never)]
#[allow(clippy::single_char_add_str)]
fn write_plain_json(value: Decimal, out: &mut String) {
    out.push_str("\"");
    push_plain(out, value);
    out.push_str("\"");
}

/// An amount from JSON: a decimal string, parsed strictly.
#[inline(never)]
fn amount_from_json(v: Value) -> Result<Decimal, JsonError> {
    match v {
        Value::String(s) => parse_amount(&s).map_err(|e| JsonError::new(e.to_string())),
        _ => Err(JsonError::invalid_type("a decimal string")),
    }
}

macro_rules! amount_type {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: $name = $name(Decimal::ZERO);

            /// Wraps a decimal that is already known to be in range (non-negative, ≤ 10^15).
            pub fn new(value: Decimal) -> Result<Self, MoneyError> {
                amount(value).map($name)
            }

            /// Parses a decimal string strictly; see [`parse_amount`].
            pub fn parse(s: &str) -> Result<Self, MoneyError> {
                parse_amount(s).map($name)
            }

            /// A whole number of units.
            pub fn from_u64(n: u64) -> Result<Self, MoneyError> {
                Self::new(Decimal::from(n))
            }

            /// The decimal value.
            pub fn value(self) -> Decimal {
                self.0
            }

            /// Whether this is zero.
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// `self + other`, refused above [`MAX_AMOUNT`].
            pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
                add_amounts(self.0, other.0).map($name)
            }

            /// `self − other`, or zero when `other` is larger.
            pub fn saturating_sub(self, other: Self) -> Self {
                $name(sub_amounts(self.0, other.0))
            }

            /// The decimal string JavaScript sees: no exponent, no trailing zeros (`"12.5"`).
            pub fn to_plain_string(self) -> String {
                plain(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.to_plain_string(), $unit)
            }
        }

        impl FromStr for $name {
            type Err = MoneyError;
            fn from_str(s: &str) -> Result<Self, MoneyError> {
                Self::parse(s)
            }
        }

        impl ToJson for $name {
            fn write_json(&self, out: &mut String) {
                write_plain_json(self.0, out);
            }
        }

        impl FromJson for $name {
            fn from_json(v: Value) -> Result<Self, JsonError> {
                amount_from_json(v).map($name)
            }
        }
    };
}

amount_type!(
    /// An amount of credits: non-negative, at most 10^15, exact.
    Credits,
    "credits"
);
amount_type!(
    /// An amount of US dollars: non-negative, at most 10^15, exact.
    Usd,
    "USD"
);

impl Credits {
    /// Rounds up to a multiple of `step` (e.g. `0.001` or `1` credit). Applied once per
    /// debit, never per token.
    pub fn round_up_to_step(self, step: Credits) -> Result<Credits, MoneyError> {
        if step.is_zero() {
            return Err(MoneyError::BadStep(step.to_plain_string()));
        }
        // Checked: a step far finer than the amount overflows the quotient (a panic with `/`).
        let units = div(self.0, step.0)
            .ok_or_else(|| MoneyError::Overflow(format!("{} in steps of {}", self.to_plain_string(), step.to_plain_string())))?;
        let units = ceil(units);
        let rounded = mul(units, step.0).ok_or_else(|| MoneyError::Overflow(self.to_plain_string()))?;
        Credits::new(rounded.normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn max_amount_is_ten_to_the_fifteenth() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_000u64));
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(parse_amount("12.5").unwrap(), d("12.5"));
        assert_eq!(parse_amount("0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_amount("-0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_amount(".5").unwrap(), d("0.5"));
        assert_eq!(parse_amount("0.000003").unwrap(), d("0.000003"));
        assert_eq!(parse_amount("1000000000000000").unwrap(), MAX_AMOUNT);
    }

    #[test]
    fn parses_scientific_prices() {
        assert_eq!(parse_amount("3e-6").unwrap(), d("0.000003"));
        assert_eq!(parse_amount("1.5E2").unwrap(), d("150"));
        assert_eq!(parse_amount("0e400").unwrap(), Decimal::ZERO);
    }

    #[test]
    fn refuses_bad_amounts_with_the_right_kind() {
        assert_eq!(parse_amount(""), Err(MoneyError::Empty));
        assert!(matches!(parse_amount("NaN"), Err(MoneyError::NonFinite(_))));
        assert!(matches!(parse_amount("-Infinity"), Err(MoneyError::NonFinite(_))));
        assert!(matches!(parse_amount("-1"), Err(MoneyError::Negative(_))));
        assert!(matches!(parse_amount("1e400"), Err(MoneyError::Overflow(_))));
        assert!(matches!(parse_amount("1e99999999999999999999"), Err(MoneyError::Overflow(_))));
        assert!(matches!(parse_amount("1000000000000000.1"), Err(MoneyError::Overflow(_))));
        assert!(matches!(parse_amount("99999999999999999999999999999999"), Err(MoneyError::Overflow(_))));
        for bad in [" 1", "1 ", "1,5", "1.2.3", "abc", "0x10", "1e", "e5", ".", "+", "--1", "1-"] {
            assert!(matches!(parse_amount(bad), Err(MoneyError::NotADecimal(_))), "{bad:?} -> {:?}", parse_amount(bad));
        }
    }

    #[test]
    fn error_messages_quote_at_most_forty_chars() {
        let long = "x".repeat(1_000_000);
        let msg = parse_amount(&long).unwrap_err().to_string();
        assert!(msg.len() < 120, "{}", msg.len());
    }

    #[test]
    fn counts_must_be_safe_integers() {
        assert_eq!(count_from_f64(0.0), Ok(0));
        assert_eq!(count_from_f64(9_007_199_254_740_991.0), Ok(MAX_SAFE_INTEGER));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 9_007_199_254_740_992.0, 1e300] {
            assert!(count_from_f64(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_deserialize_only_from_safe_integers() {
        assert_eq!(crate::json::from_str::<Count>("12").unwrap(), Count(12));
        assert_eq!(crate::json::from_str::<Count>("12.0").unwrap(), Count(12));
        for bad in ["-1", "1.5", "1e300", "9007199254740992", "\"12\"", "null", "true", "5e-1", "500e-5", "1e-999999999999"] {
            assert!(crate::json::from_str::<Count>(bad).is_err(), "{bad}");
        }
        // Exact, without f64: every spelling of an integer in range.
        for (text, n) in [
            ("1e3", 1000),
            ("1.50e1", 15),
            ("50e-1", 5),
            ("0.05e2", 5),
            ("-0", 0),
            ("-0.0e5", 0),
            ("9007199254740991", MAX_SAFE_INTEGER),
            ("9.007199254740991e15", MAX_SAFE_INTEGER),
        ] {
            assert_eq!(crate::json::from_str::<Count>(text).unwrap(), Count(n), "{text}");
        }
    }

    #[test]
    fn rounds_up_once_to_the_step() {
        let step = Credits::parse("0.001").unwrap();
        assert_eq!(Credits::parse("1.0001").unwrap().round_up_to_step(step).unwrap(), Credits::parse("1.001").unwrap());
        assert_eq!(Credits::parse("1.001").unwrap().round_up_to_step(step).unwrap(), Credits::parse("1.001").unwrap());
        let one = Credits::parse("1").unwrap();
        assert_eq!(Credits::parse("12.01").unwrap().round_up_to_step(one).unwrap(), Credits::parse("13").unwrap());
        assert_eq!(Credits::ZERO.round_up_to_step(one).unwrap(), Credits::ZERO);
        assert!(Credits::parse("1").unwrap().round_up_to_step(Credits::ZERO).is_err());
    }

    #[test]
    fn serializes_as_plain_strings() {
        let c = Credits::parse("12.50").unwrap();
        assert_eq!(crate::json::to_string(&c), "\"12.5\"");
        let back: Credits = crate::json::from_str("\"12.5\"").unwrap();
        assert_eq!(back, c);
        assert!(crate::json::from_str::<Credits>("12.5").is_err(), "numbers are not money");
        assert!(crate::json::from_str::<Credits>("\"-3\"").is_err());
    }

    #[test]
    fn addition_is_bounded() {
        let big = Credits::new(MAX_AMOUNT).unwrap();
        assert!(big.checked_add(Credits::from_u64(1).unwrap()).is_err());
        assert_eq!(Credits::from_u64(3).unwrap().saturating_sub(Credits::from_u64(5).unwrap()), Credits::ZERO);
    }
}
