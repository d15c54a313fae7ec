//! Save stamps: a number every save writes into its account's row, unique to that save, so
//! that a process holding its own last save of an account in memory (`account_cache`) can
//! tell that the row is still the one it wrote. The revision alone cannot: it is a
//! counter, and after a backup is restored under running processes the same revision can
//! come back with other contents. A stamp is this process's random base plus a counter
//! times an odd constant (a bijection of the counter: unique within the process for 2^64
//! saves); two processes' stamps meet only if their random bases do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// An odd constant (the golden ratio in 64 bits): consecutive stamps differ in many bits.
const STEP: u64 = 0x9E37_79B9_7F4A_7C15;

static BASE: OnceLock<u64> = OnceLock::new();
static COUNT: AtomicU64 = AtomicU64::new(0);

/// This process's random base: from the OS, or, should it have none, from the clock and
/// the process id (still distinct between processes started apart).
fn base() -> u64 {
    *BASE.get_or_init(|| {
        let mut bytes = [0u8; 8];
        match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => {
                let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
                nanos ^ (u64::from(std::process::id()) << 32)
            }
        }
    })
}

/// A stamp no other save of this process has had.
pub(crate) fn next() -> i64 {
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    base().wrapping_add(n.wrapping_mul(STEP)) as i64
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamps_do_not_repeat_within_a_process() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100_000 {
            assert!(seen.insert(super::next()), "a stamp came twice");
        }
    }
}
