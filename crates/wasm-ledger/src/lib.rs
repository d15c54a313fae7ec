//! The npm package `credit-meter-ledger`: the reference ledger in JavaScript (wasm32 only;
//! empty on other targets) — `ReferenceLedger` (accounts, devices, push/pull/admin as
//! strings) and `LedgerAccount` (the credit model of one account) — for demos, tests and
//! the README. Never shipped to clients: a client does not run the ledger's authority.
//! It converts and calls `credit-meter-ledger-core`; the JS conversions come from the
//! client's binding (`credit-meter`).

#![cfg(target_arch = "wasm32")]
#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The modules of the crates below, under the names this crate's code uses.
use credit_meter_base::json;
use credit_meter_ledger_core::{model, reference};
use credit_meter_protocol::{base64url, error, money, snapshot};

/// The ledger model's JS API (`LedgerAccount`).
pub mod ledger;
/// The reference ledger for JS demos and tests (`ReferenceLedger`).
pub mod ref_ledger;
