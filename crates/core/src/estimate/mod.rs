//! Estimates of what an operation will cost before it runs.
//!
//! - [`tokens`]: token counts for `o200k_base` / `cl100k_base` without the vocabularies.
//! - [`note`]: what of a markdown note is sent, and its structure.
//! - [`cards`]: expected flashcards from that structure.
//! - [`calibration`]: per-user correction of the card estimate from actual results.
//! - [`operation`]: the whole estimate of one operation, as low / expected / high.

pub mod calibration;
pub mod cards;
pub mod note;
pub mod operation;
pub mod tokens;

pub use calibration::{calibrate, CalibrateRequest, CalibrationState, Observation};
pub use cards::{CardModel, CountRange};
pub use note::{analyze_note, NoteAnalysis, NoteStructure};
pub use operation::{estimate, estimate_with, Bounds, Estimate, EstimateError, EstimateRequest, NoteSummary};
pub use tokens::{estimate_tokens, estimate_tokens_utf8, parse_encoding, Encoding, UnknownEncoding};
