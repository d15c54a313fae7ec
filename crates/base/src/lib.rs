//! Infrastructure every credit-meter crate shares, and nothing else: the lean JSON layer
//! ([`json`]: a strict parser, a writer, `FromJson`/`ToJson` and the `json_*!` macros that
//! write their impls — instead of serde, which made up a third of the client .wasm) and the
//! one stable merge sort ([`sort`]) the crates use instead of each instantiating std's, and the
//! quoting of input in error messages ([`quote`]) that spares the .wasm core's `{:?}` of str,
//! and the exact reading of decimal strings ([`decimal_text`]) that spares it rust_decimal's parser, and
//! their plain writing ([`plain_decimal`]) that spares the amounts the client writes `core::fmt`.
//!
//! It owns no domain type and depends on no other crate of the workspace; everything else
//! depends on it.

#![forbid(unsafe_code)]

pub mod decimal_text;
#[macro_use]
pub mod json;
pub mod plain_decimal;
pub mod quote;
pub mod sort;
