//! The shared test harness: a reference ledger and clients driven synchronously, with
//! storage and transport failures on demand ([`harness`]). The tests that need both
//! halves — the sync machine against the ledger, the snapshot tamper suites, the ledger's
//! rules seen from a client — live in this crate's `tests/`; the deterministic fault
//! simulator is [`simulate`] (its world, faults and invariants, over any ledger that implements
//! [`simulate::SimLedger`]), run by the `simulate` binary against the reference ledger and
//! by the ledger service's tests against its SQL store.
//!
//! It may depend on every non-Wasm crate; nothing depends on it but tests.

#![forbid(unsafe_code)]

pub mod harness;
pub mod simulate;
