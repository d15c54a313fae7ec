//! The contract between a credit-meter client and its ledger (docs/PROTOCOL.md), and the
//! vocabulary both halves share: money as exact decimals written as strings
//! ([`money`]), every error code ([`error::ErrorCode`]), identifier rules ([`ids`]),
//! base64url, credit packages, the signed balance snapshot ([`snapshot`]: verification
//! always, signing with the feature `sign`) and the push/pull messages ([`message`]).
//!
//! It depends only on `credit-meter-base`. It must not depend on the client core, the
//! client or the ledger: they all depend on it.

#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The infrastructure modules under the names this crate's code uses.
use credit_meter_base::{json, sort};

pub mod base64url;
pub mod decimal_ops;
pub mod error;
pub mod ids;
pub mod message;
pub mod money;
pub mod package;
pub mod snapshot;
pub mod unit_rate;
