//! The JavaScript binding (wasm32 only). It converts JS values to the core's types,
//! calls the core, and converts results and errors back; no logic lives here.
//!
//! - [`error`]: core errors → JS `Error` objects with a stable `code`.
//! - [`convert`]: JS values ⇄ serde types (results are JSON-compatible: safe for
//!   `JSON.stringify`, money as decimal strings).
//! - [`types`]: the TypeScript declarations of every shape that crosses.
//! - [`api`]: the exported functions and the `Catalog` class.

pub mod api;
pub mod convert;
pub mod error;
pub mod types;
