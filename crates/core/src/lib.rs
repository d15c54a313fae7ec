//! The client core of credit-meter: what an AI operation will cost and who pays for it.
//!
//! - [`catalog`]: the vendor's price list (models, operations, packages), validated.
//! - [`estimate`]: a low / expected / high estimate of an operation from a markdown note,
//!   token counts or TTS characters (tokens through the `token-estimate` crate).
//! - [`pricing`]: credits for an actual usage, rounded once at the debit; own-key USD.
//! - [`amount_text`]: compare, add, subtract and round amounts written as decimal strings
//!   (the hosts' money helpers; exact).
//! - [`funding`]: the decision — the user's own key, credits, nobody, or "not enough:
//!   buy this package or use your key".
//! - [`capped`]: the smaller result that fits when the whole one does not (at most N
//!   cards, a reply of at most M tokens), which `funding` offers.
//!
//! Pure functions over values: no clock, no I/O, no JavaScript. It depends on
//! `credit-meter-protocol` (money, error codes, packages), `credit-meter-base` and
//! `token-estimate`; it must not depend on the sync client or the ledger.

#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The modules of the crates below, under the names this crate's code uses.
use credit_meter_base::{json, sort};
use credit_meter_protocol::{decimal_ops, error, money, package};

pub mod amount_text;
pub mod capped;
pub mod catalog;
pub mod estimate;
pub mod funding;
pub mod pricing;
