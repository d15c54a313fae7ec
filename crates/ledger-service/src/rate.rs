//! Request rates per account: a token bucket per account, one set for pushes
//! (`--pushes-per-minute`), one for the mutations in them (`--mutations-per-minute`: each
//! is kept as a fingerprint for the account's life, so this bounds how fast one account
//! can grow the database), one for pulls (`--pulls-per-minute`) and one for Stripe
//! checkouts (`--checkouts-per-minute`): that many requests at
//! once, refilled evenly over a minute. A pull costs the ledger a signed snapshot (every
//! grant and hold of the account written and signed), so an account's devices cannot ask
//! for them without end either. Buckets of accounts that have not asked for a while are
//! full again and are dropped, so memory follows the accounts active in the last minute;
//! the map is also capped (`MAX_TRACKED`): when it is full of active accounts, new accounts
//! are refused until buckets refill (a flood of made-up account ids cannot grow memory
//! without end, and cannot be served anyway without tokens).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Most accounts tracked at once.
const MAX_TRACKED: usize = 100_000;

/// Per-account budgets of one kind of request.
#[derive(Debug)]
pub(crate) struct AccountRate {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl AccountRate {
    /// `per_minute` requests per account per minute (0: unlimited).
    pub(crate) fn new(per_minute: u32) -> AccountRate {
        AccountRate { per_minute: f64::from(per_minute), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes `n` from the account's budget at once (at most the whole budget, so that no
    /// request is refused forever); `false`, taking nothing, when fewer are left.
    pub(crate) fn allow_n(&self, account: &str, n: usize) -> bool {
        if self.per_minute <= 0.0 {
            return true;
        }
        let cost = (n as f64).min(self.per_minute);
        let now = Instant::now();
        let refill =
            |tokens: f64, since: Instant| (tokens + now.duration_since(since).as_secs_f64() * self.per_minute / 60.0).min(self.per_minute);
        let mut b = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !b.contains_key(account) && b.len() >= MAX_TRACKED {
            let full = self.per_minute;
            b.retain(|_, (t, since)| refill(*t, *since) < full);
            if b.len() >= MAX_TRACKED {
                return false;
            }
        }
        let (tokens, since) = b.entry(account.to_string()).or_insert((self.per_minute, now));
        let available = refill(*tokens, *since);
        if available < cost {
            (*tokens, *since) = (available, now);
            return false;
        }
        (*tokens, *since) = (available - cost, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_per_account_and_spent_pushes_are_refused() {
        let r = AccountRate::new(3);
        assert!((0..3).all(|_| r.allow_n("a", 1)));
        assert!(!r.allow_n("a", 1), "the fourth push within the minute");
        assert!(r.allow_n("b", 1), "another account has its own budget");
        assert!(AccountRate::new(0).allow_n("a", 1), "0 is unlimited");
    }

    #[test]
    fn a_budget_of_mutations_is_taken_whole_or_not_at_all() {
        let r = AccountRate::new(10);
        assert!(r.allow_n("a", 6));
        assert!(!r.allow_n("a", 5), "4 left: a request of 5 is refused whole");
        assert!(r.allow_n("a", 4), "and the refusal took nothing");
        assert!(!r.allow_n("a", 1));
        let big = AccountRate::new(10);
        assert!(big.allow_n("b", 25), "a request above the whole budget costs the whole budget, so it is never refused forever");
        assert!(!big.allow_n("b", 1));
    }
}
