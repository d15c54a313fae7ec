//! Per-account locking inside one process: requests on the same account run one after
//! another, requests on different accounts in parallel. A fixed array of mutexes indexed
//! by a hash of the account id, so memory does not grow with the number of accounts (two
//! accounts may share a stripe; they then merely wait for each other).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use tokio::sync::{Mutex, MutexGuard};

/// Striped account locks.
#[derive(Debug)]
pub(crate) struct AccountLocks {
    stripes: Vec<Mutex<()>>,
}

impl AccountLocks {
    /// `n` stripes (at least 1).
    pub(crate) fn new(n: usize) -> AccountLocks {
        AccountLocks { stripes: (0..n.max(1)).map(|_| Mutex::new(())).collect() }
    }

    /// Waits for the account's stripe.
    pub(crate) async fn lock(&self, account_id: &str) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        account_id.hash(&mut h);
        let i = (h.finish() % self.stripes.len() as u64) as usize;
        self.stripes[i].lock().await
    }
}
