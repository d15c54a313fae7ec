//! Token estimate for OpenAI's `o200k_base` and `cl100k_base` encodings, without their
//! vocabularies.
//!
//! The estimator itself lives in its own crate, `token-estimate`
//! (`crates/token-estimate`, which describes how it works), so that the release profile
//! can compile that hot loop for speed while the rest of the package is compiled for size;
//! this module is its public face: the [`Encoding`] names and [`estimate_tokens`].

use crate::error::{Coded, ErrorCode, UNKNOWN_ENCODING};
use credit_meter_base::quote::quoted_prefix;
use std::fmt;

pub use token_estimate::Encoding;

/// An encoding name that is not `o200k_base` or `cl100k_base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEncoding(pub String);

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown encoding {}; expected \"o200k_base\" or \"cl100k_base\"", quoted_prefix(&self.0, 40))
    }
}

impl std::error::Error for UnknownEncoding {}

impl Coded for UnknownEncoding {
    fn code(&self) -> ErrorCode {
        UNKNOWN_ENCODING
    }
}

/// Parses `"o200k_base"` or `"cl100k_base"`.
pub fn parse_encoding(name: &str) -> Result<Encoding, UnknownEncoding> {
    Encoding::from_name(name).ok_or_else(|| UnknownEncoding(name.to_string()))
}

/// Estimates how many tokens `text` encodes to under `encoding`.
///
/// Never panics, for any input; linear in the length of `text`.
pub fn estimate_tokens(text: &str, encoding: Encoding) -> u64 {
    token_estimate::estimate(text, encoding)
}

/// [`estimate_tokens`] on text given as UTF-8 bytes that are already known to be valid
/// (such as what a `TextEncoder` wrote), without validating them again: on valid UTF-8 it
/// returns exactly what [`estimate_tokens`] returns for the same text.
///
/// On bytes that are not valid UTF-8 the count is unspecified, but it never panics and
/// stays linear in the length of `text`.
pub fn estimate_tokens_utf8(text: &[u8], encoding: Encoding) -> u64 {
    token_estimate::estimate_utf8(text, encoding)
}
