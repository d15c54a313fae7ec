//! The JavaScript binding (wasm32 only). It converts JS values to the core's types,
//! calls the core, and converts results and errors back; no logic lives here.
//!
//! - [`error`]: core errors → JS `Error` objects with a stable `code`.
//! - [`convert`]: JS values ⇄ Rust types through JSON text (results are JSON-compatible: safe for
//!   `JSON.stringify`, money as decimal strings).
//! - [`deferred`]: a pending promise with its two ends.
//! - [`host`]: the host object of callbacks as the core's `Host` trait (timeouts, throws,
//!   rejections, hangs).
//! - [`types`]: the TypeScript declarations of every shape that crosses.
//! - [`api`]: the exported functions and the `Catalog` class.
//! - [`text`]: long JS strings into Wasm memory in one copy (for `estimateTokens`).
//! - `ledger` (feature `ledger`): the `LedgerAccount` class of the reference ledger.

pub mod api;
pub mod convert;
pub mod deferred;
pub mod entropy;
pub mod error;
pub mod host;
pub mod meter;
pub mod tab_lock;
pub mod text;
/// The reference ledger for JS demos and tests (feature `ledger`).
#[cfg(feature = "ledger")]
pub mod ref_ledger;
/// The ledger model's JS API (`LedgerAccount`): only with the `ledger` feature, for the
/// reference-ledger package and demos. It would triple the client .wasm (+355 KB raw,
/// +122 KB gzip measured), and a client never runs the ledger's authority itself.
#[cfg(feature = "ledger")]
pub mod ledger;
pub mod types;
