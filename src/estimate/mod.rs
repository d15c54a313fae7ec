//! Estimates of what an operation will cost before it runs.

pub mod tokens;

pub use tokens::{estimate_tokens, Encoding, UnknownEncoding};
