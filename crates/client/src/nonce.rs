//! Fresh random identifiers for this device's mutations and holds.
//!
//! A saved client state can be restored from a backup or copied to another installation
//! (a vault synced by Obsidian Sync, iCloud, git…). Every copy then continues from the
//! same `nextSeq`, so seqs alone cannot tell two copies' mutations apart. Each mutation
//! therefore carries a random `id`, and each hold id a random suffix, drawn from entropy
//! that is never persisted: a copy of the state does not copy it, so two copies diverge
//! from their first new mutation, and the ledger tells a resent mutation (same content)
//! from a different one that reuses its seq (`docs/PROTOCOL.md` §6.1).
//!
//! The entropy is 32 bytes given by the driver (the Wasm binding: `crypto.getRandomValues`;
//! native: the operating system's randomness through `RandomState`; the simulation: its
//! seed). Identifiers are `SHA-512(entropy ‖ counter)` cut to 16 bytes (122 bits of the
//! base64url text are random), so no two are equal in practice across installations.

use sha2::{Digest, Sha512};

/// Bytes of entropy a machine is seeded with.
pub const ENTROPY_BYTES: usize = 32;

/// Draws identifiers from the seed entropy and a counter.
#[derive(Debug, Clone)]
pub struct Nonces {
    seed: [u8; ENTROPY_BYTES],
    counter: u64,
}

impl Nonces {
    /// A generator over `seed`.
    pub fn new(seed: [u8; ENTROPY_BYTES]) -> Nonces {
        Nonces { seed, counter: 0 }
    }

    /// The next identifier: 22 base64url characters (16 bytes).
    pub fn next_id(&mut self) -> String {
        let mut h = Sha512::new();
        h.update(b"credit-meter/nonce\n");
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        self.counter = self.counter.wrapping_add(1);
        let digest = h.finalize();
        crate::base64url::encode(digest.get(..16).unwrap_or(&[]))
    }
}

/// Entropy from the operating system, natively: `RandomState` keys are drawn from the
/// OS's randomness once per process, and each call hashes a fresh counter and the clock
/// with a new `RandomState`.
#[cfg(not(target_arch = "wasm32"))]
pub fn os_entropy() -> [u8; ENTROPY_BYTES] {
    use std::hash::{BuildHasher, Hasher};
    let call = next_call();
    let mut out = [0u8; ENTROPY_BYTES];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(call);
        h.write_usize(i);
        if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

/// On wasm32 there is no OS randomness to draw (`RandomState`'s keys are fixed there) and
/// the binding always replaces this with `crypto.getRandomValues`: bytes that differ per
/// call, from the call counter through the SHA-512 the ids use anyway (SipHash would add
/// its code to the .wasm for values no one keeps).
#[cfg(target_arch = "wasm32")]
pub fn os_entropy() -> [u8; ENTROPY_BYTES] {
    let digest = Sha512::new().chain_update(b"credit-meter/os-entropy\n").chain_update(next_call().to_le_bytes()).finalize();
    let mut out = [0u8; ENTROPY_BYTES];
    out.copy_from_slice(digest.get(..ENTROPY_BYTES).unwrap_or(&[0; ENTROPY_BYTES]));
    out
}

/// How many times [`os_entropy`] was called before (this process or instance).
fn next_call() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    CALLS.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_per_counter_and_per_seed() {
        let mut a = Nonces::new([1; 32]);
        let mut b = Nonces::new([2; 32]);
        let (a1, a2, b1) = (a.next_id(), a.next_id(), b.next_id());
        assert_eq!(a1.len(), 22);
        assert_ne!(a1, a2);
        assert_ne!(a1, b1);
        assert_eq!(Nonces::new([1; 32]).next_id(), a1, "deterministic for one seed");
        assert_ne!(os_entropy(), os_entropy());
    }
}
