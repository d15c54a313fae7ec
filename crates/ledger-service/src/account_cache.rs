//! This process's own last committed save of recently pushed accounts, so that a push can
//! skip loading its account: one statement less on the database and one round trip less
//! per push on PostgreSQL, where the load was a statement of its own beside the batched
//! save (`store::postgres`).
//!
//! A copy may be stale — another process wrote the account since, or a backup was
//! restored — so nothing computed from it is trusted until the database confirmed it:
//! the save of a request run on a copy carries what the copy assumed ([`Assumed`]), and
//! the store commits it only if the account row still has the copy's revision and save
//! stamp (`stamp`) and none of the history rows the request names exists (a load would
//! have read them). Otherwise nothing is written, the save is a conflict, and the request
//! runs again from a load — as after any conflict. A copy is taken out while its account's
//! request runs (requests on one account are serialised in this process) and put back
//! only after a save committed, as the state that save wrote.
//!
//! Memory is bounded by bytes, not by accounts: when the copies exceed the budget, the
//! oldest put are dropped; an account bigger than an eighth of the budget is not kept.
//!
//! Copies pay only when an account's pushes keep coming to the same process. Behind a load
//! balancer that spreads them over several processes, most copies are stale and each push
//! on one costs a wasted run and save before it runs again from a load; so the cache
//! watches its copies' outcomes, and when more than a quarter of a window of
//! [`WINDOW`] conflicted, pushes load for the next [`PAUSE`] before copies are tried
//! again.
//!
//! [`Assumed`]: crate::store::Assumed

use crate::store::Loaded;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// An account as this process's last save of it left it.
#[derive(Debug, Clone)]
pub(crate) struct CachedAccount {
    /// Its row as a load would read it now, if no one else wrote it.
    pub loaded: Loaded,
    /// The save stamp that save wrote (`stamp`).
    pub stamp: i64,
}

impl CachedAccount {
    /// Bytes it holds (roughly: its texts and a fixed overhead).
    fn weight(&self, account_id: &str) -> usize {
        account_id.len() + self.loaded.record.len() + self.loaded.policy.as_ref().map_or(0, String::len) + 96
    }
}

/// The default budget (`--account-cache-mb 32`).
pub(crate) const DEFAULT_BUDGET: usize = 32 << 20;

/// Pushes run on copies whose outcomes are weighed together.
pub(crate) const WINDOW: u32 = 64;

/// Pushes that load instead of using a copy after a window in which copies mostly
/// conflicted.
pub(crate) const PAUSE: u32 = 4096;

/// The copies, bounded by a byte budget.
#[derive(Debug)]
pub(crate) struct AccountCache {
    budget: usize,
    inner: Mutex<Inner>,
    trust: Mutex<Trust>,
}

/// How the copies fared lately.
#[derive(Debug, Default)]
struct Trust {
    /// Pushes on copies in the current window, and how many of them conflicted.
    tried: u32,
    conflicted: u32,
    /// Pushes still to load before copies are tried again.
    paused: u32,
}

/// An account's copy through the attempts of one request (the service's and the
/// simulator's loops share it): lent to an attempt that may run on it, and at the end put
/// back as it was (nothing written), replaced by what a committed save wrote, or dropped
/// after a conflict (the database may hold something else).
#[derive(Debug)]
pub(crate) struct RequestCopy<'a> {
    cache: &'a AccountCache,
    account_id: String,
    /// The copy while no attempt has it.
    kept: Option<CachedAccount>,
    /// Whether attempts may still run on it.
    usable: bool,
    /// Whether the current attempt runs on it.
    lent: bool,
}

impl RequestCopy<'_> {
    /// The copy for the next attempt to run on (`None`: that attempt loads); hand it back
    /// with [`RequestCopy::returned`] when the attempt is done with it.
    pub(crate) fn lend(&mut self) -> Option<CachedAccount> {
        let copy = if self.usable { self.kept.take() } else { None };
        self.lent = copy.is_some();
        copy
    }

    /// Takes back what [`RequestCopy::lend`] gave.
    pub(crate) fn returned(&mut self, copy: Option<CachedAccount>) {
        self.kept = self.kept.take().or(copy);
    }

    /// Whether the current attempt runs on the copy.
    pub(crate) fn on_copy(&self) -> bool {
        self.lent
    }

    /// The attempt on the copy made no save that would check it: the next attempt loads.
    pub(crate) fn unchecked(&mut self) {
        self.usable = false;
    }

    /// The request ends with nothing written: the copy goes back as it was.
    pub(crate) fn answered(self) {
        if let Some(copy) = self.kept {
            self.cache.put(&self.account_id, copy);
        }
    }

    /// The current attempt's save ended `conflicted` or not (`next`: the account as it
    /// wrote it): a committed save's account goes into the cache; after a conflict the copy
    /// is dropped and further attempts load.
    pub(crate) fn saved(&mut self, conflicted: bool, next: CachedAccount) {
        if self.lent {
            self.cache.copy_outcome(conflicted);
        }
        if conflicted {
            self.kept = None;
            self.usable = false;
        } else {
            self.cache.put(&self.account_id, next);
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// Account id → (when it was put, the copy).
    map: HashMap<String, (u64, CachedAccount)>,
    /// Puts in order, oldest first; an entry whose account was put again or taken since
    /// is skipped when reached (and compacted away when they outnumber the live ones).
    order: VecDeque<(String, u64)>,
    /// Total weight of the copies in `map`.
    bytes: usize,
    /// The next put's number.
    puts: u64,
}

impl AccountCache {
    /// A cache of at most `budget` bytes (0: keeps nothing).
    pub(crate) fn new(budget: usize) -> AccountCache {
        AccountCache { budget, inner: Mutex::new(Inner::default()), trust: Mutex::new(Trust::default()) }
    }

    /// Whether a push should run on its account's copy now (see the module doc); a push
    /// told no counts towards the pause.
    pub(crate) fn copies_pay(&self) -> bool {
        let mut t = self.trust.lock().unwrap_or_else(PoisonError::into_inner);
        if t.paused > 0 {
            t.paused -= 1;
            return false;
        }
        true
    }

    /// Counts how the save of a push run on a copy ended.
    pub(crate) fn copy_outcome(&self, conflicted: bool) {
        let mut t = self.trust.lock().unwrap_or_else(PoisonError::into_inner);
        t.tried += 1;
        t.conflicted += u32::from(conflicted);
        if t.tried >= WINDOW {
            if t.conflicted * 4 > t.tried {
                t.paused = PAUSE;
            }
            t.tried = 0;
            t.conflicted = 0;
        }
    }

    /// Takes the account's copy out (`None`: there is none).
    pub(crate) fn take(&self, account_id: &str) -> Option<CachedAccount> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, copy) = inner.map.remove(account_id)?;
        inner.bytes -= copy.weight(account_id);
        Some(copy)
    }

    /// Keeps `copy` as the account's, dropping the oldest copies while over the budget.
    pub(crate) fn put(&self, account_id: &str, copy: CachedAccount) {
        let weight = copy.weight(account_id);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, old)) = inner.map.remove(account_id) {
            inner.bytes -= old.weight(account_id);
        }
        if weight > self.budget / 8 {
            return;
        }
        let n = inner.puts;
        inner.puts += 1;
        inner.map.insert(account_id.to_string(), (n, copy));
        inner.bytes += weight;
        inner.order.push_back((account_id.to_string(), n));
        while inner.bytes > self.budget {
            let Some((id, put)) = inner.order.pop_front() else { break };
            if inner.map.get(&id).is_some_and(|(p, _)| *p == put) {
                if let Some((_, old)) = inner.map.remove(&id) {
                    inner.bytes -= old.weight(&id);
                }
            }
        }
        if inner.order.len() > 2 * inner.map.len() + 64 {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(id, put)| map.get(id).is_some_and(|(p, _)| p == put));
        }
    }

    /// The account's copy as one request on it uses it, taken out of the cache until the
    /// request ends; `push`: only pushes run on copies.
    pub(crate) fn for_request(&self, account_id: &str, push: bool) -> RequestCopy<'_> {
        let kept = self.take(account_id);
        let usable = push && kept.is_some() && self.copies_pay();
        RequestCopy { cache: self, account_id: account_id.to_string(), kept, usable, lent: false }
    }

    /// (copies, bytes) held now.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        (inner.map.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(rev: i64, record_len: usize) -> CachedAccount {
        CachedAccount { loaded: Loaded { rev, record: "x".repeat(record_len), policy: Some("{}".into()) }, stamp: rev * 7 }
    }

    #[test]
    fn a_copy_is_taken_once_and_put_back_replaced() {
        let cache = AccountCache::new(1 << 20);
        assert!(cache.take("a").is_none());
        cache.put("a", copy(1, 10));
        cache.put("a", copy(2, 10));
        let got = cache.take("a").expect("kept");
        assert_eq!((got.loaded.rev, got.stamp), (2, 14));
        assert!(cache.take("a").is_none(), "taken out");
        assert_eq!(cache.held(), (0, 0));
    }

    #[test]
    fn the_budget_drops_the_oldest_and_bounds_the_bookkeeping() {
        let one = copy(1, 1000).weight("acct-000");
        let cache = AccountCache::new(one * 10);
        for i in 0..100 {
            cache.put(&format!("acct-{i:03}"), copy(1, 1000));
        }
        let (n, bytes) = cache.held();
        assert_eq!(n, 10);
        assert!(bytes <= one * 10, "{bytes}");
        assert!(cache.take("acct-000").is_none(), "the oldest went first");
        assert!(cache.take("acct-099").is_some(), "the newest stays");
        // Putting the same accounts again and again does not grow the order queue.
        for round in 0..10_000 {
            let id = format!("acct-{:03}", 90 + round % 9);
            let c = cache.take(&id).unwrap_or_else(|| copy(1, 1000));
            cache.put(&id, c);
        }
        let inner = cache.inner.lock().expect("lock");
        assert!(inner.order.len() <= 2 * inner.map.len() + 64, "{}", inner.order.len());
    }

    #[test]
    fn a_request_puts_back_its_copy_replaces_it_after_a_commit_and_drops_it_after_a_conflict() {
        let cache = AccountCache::new(1 << 20);
        cache.put("a", copy(1, 10));
        // Not a push: nothing is lent, and the copy goes back untouched.
        let mut pull = cache.for_request("a", false);
        assert!(pull.lend().is_none());
        pull.answered();
        // A push runs on it; its attempt wrote nothing checkable, so the next one loads, and
        // the request ends with nothing written: the copy goes back as it was.
        let mut push = cache.for_request("a", true);
        let lent = push.lend();
        assert_eq!(lent.as_ref().map(|c| c.loaded.rev), Some(1));
        push.returned(lent);
        push.unchecked();
        assert!(push.lend().is_none() && !push.on_copy());
        push.answered();
        // A committed save replaces it with what it wrote.
        let mut push = cache.for_request("a", true);
        let lent = push.lend();
        push.returned(lent);
        push.saved(false, copy(2, 10));
        assert_eq!(cache.take("a").map(|c| c.loaded.rev), Some(2));
        cache.put("a", copy(2, 10));
        // A conflict drops it: the next attempt loads and a request that then ends with
        // nothing written puts nothing back.
        let mut push = cache.for_request("a", true);
        let lent = push.lend();
        push.returned(lent);
        push.saved(true, copy(3, 10));
        assert!(push.lend().is_none());
        push.answered();
        assert!(cache.take("a").is_none());
    }

    #[test]
    fn copies_that_mostly_conflict_are_paused_and_tried_again() {
        let cache = AccountCache::new(1 << 20);
        // A quarter of a window conflicting is fine.
        for i in 0..WINDOW {
            assert!(cache.copies_pay());
            cache.copy_outcome(i % 4 == 0);
        }
        assert!(cache.copies_pay());
        // One more than a quarter is not: the next PAUSE pushes load.
        for i in 0..WINDOW {
            cache.copy_outcome(i <= WINDOW / 4);
        }
        for _ in 0..PAUSE {
            assert!(!cache.copies_pay());
        }
        assert!(cache.copies_pay(), "tried again after the pause");
    }

    #[test]
    fn an_account_too_big_for_the_budget_is_not_kept_and_replaces_nothing_stale() {
        let cache = AccountCache::new(8_000);
        cache.put("a", copy(1, 10));
        cache.put("a", copy(2, 5_000));
        assert!(cache.take("a").is_none(), "the big copy is not kept, nor the older one");
        let none = AccountCache::new(0);
        none.put("a", copy(1, 1));
        assert!(none.take("a").is_none());
    }
}
