#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
pub mod json;
pub mod error;
pub mod money;
pub mod catalog;
pub mod estimate;
pub mod funding;
pub mod host;
pub mod pricing;
pub mod ledger;
pub mod base64url;
pub mod snapshot;
pub mod sync;
mod sort;
mod decimal_ops;
#[cfg(feature = "ledger")]
pub mod server;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
