//! The npm package `credit-meter`: the JavaScript binding of the client (wasm32 only; on
//! other targets the crate is empty). It converts JS values to the core's types, calls the
//! core (`credit-meter-core`) and the client (`credit-meter-client`), and converts results
//! and errors back; no rules live here. Nothing depends on it but the reference ledger's
//! Wasm crate, which reuses its conversions.
//!
//! - [`js_error`]: core errors → JS `Error` objects with a stable `code`.
//! - [`convert`]: JS values ⇄ Rust types through JSON text (results are JSON-compatible: safe for
//!   `JSON.stringify`, money as decimal strings).
//! - [`deferred`]: a pending promise with its two ends.
//! - [`js_host`]: the host object of callbacks as the core's `Host` trait (timeouts, throws,
//!   rejections, hangs).
//! - [`types`]: the TypeScript declarations of every shape that crosses.
//! - [`api`]: the exported functions and the `Catalog` class.
//! - [`amounts`]: the money helpers (compare, add, subtract, format decimal strings).
//! - [`note_text`]: a note's text as the model sees it (what `estimate` priced).
//! - [`text`]: long JS strings into Wasm memory in one copy (for `estimateTokens`).

#![cfg(target_arch = "wasm32")]
#![forbid(unsafe_code)]

#[macro_use]
extern crate credit_meter_base;

// The modules of the crates below, under the names this crate's code uses.
use credit_meter_base::json;
use credit_meter_client::host;
use credit_meter_core::{catalog, estimate, funding};
use credit_meter_protocol::{error, ids, money, snapshot};
// The client's sync machine, under the name the binding's code uses.
use credit_meter_client as sync;

pub mod amounts;
pub mod api;
pub mod convert;
pub mod deferred;
pub mod entropy;
pub mod js_error;
pub mod js_host;
pub mod meter;
pub mod note_text;
pub mod tab_lock;
pub mod text;
pub mod types;
