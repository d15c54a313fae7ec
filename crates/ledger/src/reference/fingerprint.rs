//! The ledger's fingerprint of a mutation: what tells a resent mutation from a different
//! one that reuses its seq (a restored or copied client state, or a forged push).
//!
//! It is SHA-512 over the mutation's canonical JSON with `seq` set to 0, cut to 16 bytes:
//! every field of its type but `seq` counts (a reserve's `type`, `id`, `at`, `holdId`,
//! `amount`, `operation`, `unit`, `agentId`; a commit has no `operation` or `agentId`, a
//! release no `amount` or `unit`: members a type lacks are ignored, so never counted),
//! and amounts are compared by value (`"12.50"` = `"12.5"`). The seq is left
//! out because a client renumbers a mutation that met a conflict; the ledger must still
//! recognise it when it was in fact applied under its earlier seq. Like Stripe's
//! idempotency keys, which keep a hash of the request body next to the key.

use crate::message::Mutation;
use sha2::{Digest, Sha512};

/// 16 bytes identifying a mutation's content.
pub type Fingerprint = [u8; 16];

/// The fingerprint of `m`.
pub fn fingerprint(m: &Mutation) -> Fingerprint {
    let mut canonical = m.clone();
    canonical.set_seq(0);
    let text = crate::json::to_string(&canonical);
    let digest = Sha512::new().chain_update(b"credit-meter/mutation\n").chain_update(text.as_bytes()).finalize();
    let mut out = [0u8; 16];
    if let Some(head) = digest.get(..16) {
        out.copy_from_slice(head);
    }
    out
}
