//! Error codes shared by every operation.
//!
//! Each operation has its own error enum (see `money::MoneyError`, `catalog::CatalogError`,
//! `estimate::EstimateError`, `funding::DecideError`); all of them implement [`Coded`], which
//! gives the stable string code that JavaScript sees as `error.code`. Codes never change
//! once released: hosts branch on them.

/// An error with a stable, machine-readable code (`"BAD_INPUT"`, `"BAD_CATALOG"`, …).
pub trait Coded: std::fmt::Display {
    /// The stable code, in SCREAMING_SNAKE_CASE.
    fn code(&self) -> &'static str;
}

/// Input that does not have the expected shape or range.
pub const BAD_INPUT: &str = "BAD_INPUT";
/// An amount that is not a finite, non-negative decimal within range.
pub const BAD_AMOUNT: &str = "BAD_AMOUNT";
/// A catalog that does not parse or does not validate.
pub const BAD_CATALOG: &str = "BAD_CATALOG";
/// A model id that the catalog does not list.
pub const UNKNOWN_MODEL: &str = "UNKNOWN_MODEL";
/// An operation id that the catalog does not list.
pub const UNKNOWN_OPERATION: &str = "UNKNOWN_OPERATION";
/// An encoding name other than `o200k_base` or `cl100k_base`.
pub const UNKNOWN_ENCODING: &str = "UNKNOWN_ENCODING";
