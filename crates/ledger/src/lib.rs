//! The ledger side of credit-meter: the authority the clients sync with.
//!
//! - [`model`]: the credit model — grants, the consumption order, holds, expiry, refunds,
//!   plans, allowances, agents — a pure fold over entries under a product's `Policy`
//!   (True Recall's and AssistLore's are presets).
//! - [`reference`]: the reference ledger — many accounts and devices, each device's
//!   mutations applied exactly once, signed snapshots, the admin commands — deterministic
//!   and string-based, so tests, the simulator, the HTTP server and JavaScript drive the
//!   same code.
//!
//! It depends on `credit-meter-protocol` (with signing) and `credit-meter-base`; it must
//! not depend on the client core or the client (the catalog is only a test dependency).

#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The modules of the crates below, under the names this crate's code uses.
use credit_meter_base::json;
use credit_meter_protocol::{error, ids, message, money, package, snapshot, unit_rate};

pub mod model;
pub mod reference;
