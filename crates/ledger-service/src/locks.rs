//! Per-account locking inside one process: requests on the same account run one after
//! another, requests on different accounts in parallel. A fixed array of mutexes indexed
//! by a hash of the account id, so memory does not grow with the number of accounts (two
//! accounts may share a stripe; they then merely wait for each other).
//!
//! The hash is keyed at random per process (`RandomState`): with a fixed key anyone could
//! compute offline which account ids share a victim's stripe, open such an account and
//! stall the victim's requests behind its own.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use tokio::sync::{Mutex, MutexGuard};

/// Striped account locks.
#[derive(Debug)]
pub(crate) struct AccountLocks {
    stripes: Vec<Mutex<()>>,
    /// The process's secret hash key.
    hasher: RandomState,
}

impl AccountLocks {
    /// `n` stripes (at least 1).
    pub(crate) fn new(n: usize) -> AccountLocks {
        AccountLocks { stripes: (0..n.max(1)).map(|_| Mutex::new(())).collect(), hasher: RandomState::new() }
    }

    /// The account's stripe.
    fn stripe(&self, account_id: &str) -> usize {
        (self.hasher.hash_one(account_id) % self.stripes.len() as u64) as usize
    }

    /// Waits for the account's stripe.
    pub(crate) async fn lock(&self, account_id: &str) -> MutexGuard<'_, ()> {
        self.stripes[self.stripe(account_id)].lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two processes' locks (two instances) put a set of ids in different stripes: the
    /// stripe of an id cannot be known in advance. With a fixed key the two would agree.
    #[test]
    fn stripes_are_keyed_per_instance() {
        let (a, b) = (AccountLocks::new(4096), AccountLocks::new(4096));
        let ids: Vec<String> = (0..64).map(|i| format!("account-{i}")).collect();
        let same = ids.iter().filter(|id| a.stripe(id) == b.stripe(id)).count();
        assert!(same < 8, "{same} of 64 ids in the same stripe in both: the key is not random");
    }
}
