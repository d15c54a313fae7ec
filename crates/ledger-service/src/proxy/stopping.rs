//! The proxy's part of a shutdown: the calls in flight are cut and settled before the
//! process exits. Without it, a SIGTERM (every deploy) dropped the runtime under running
//! calls: their claims stayed unsettled until the ledger took them for abandoned, twice the
//! call limit later, and charged each its whole hold, whatever the provider had produced.
//!
//! [`Stopping::stop`] tells every call to stop reading the provider and its client
//! ([`Stopping::stopped`]); each then settles like a call that reached its deadline (the
//! usage the provider reported so far, else its worst case). [`Stopping::drained`] waits
//! until every call's task has ended, its settlement committed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Whether the service is stopping, and the calls still running.
#[derive(Debug)]
pub(crate) struct Stopping {
    stop: watch::Sender<bool>,
    calls: Arc<Calls>,
}

/// The number of calls in flight, and a wake-up for when it reaches zero.
#[derive(Debug, Default)]
struct Calls {
    running: AtomicUsize,
    idle: Notify,
}

/// One running call: counted until dropped (at the end of its task, settled or not).
#[derive(Debug)]
pub(crate) struct Running(Arc<Calls>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Default for Stopping {
    fn default() -> Stopping {
        Stopping { stop: watch::channel(false).0, calls: Arc::default() }
    }
}

impl Stopping {
    /// Counts a call until the returned guard is dropped.
    pub(crate) fn call(&self) -> Running {
        self.calls.running.fetch_add(1, Ordering::AcqRel);
        Running(Arc::clone(&self.calls))
    }

    /// Tells every call to stop (and every later one at once).
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves once [`Stopping::stop`] was called (at once if it was).
    pub(crate) async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|&s| s).await;
    }

    /// Waits, at most `within`, until no call runs; whether none does.
    pub(crate) async fn drained(&self, within: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.calls.idle.notified();
                if self.calls.running.load(Ordering::Acquire) == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(within, wait).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_wakes_the_calls_and_drained_waits_for_the_last_one() {
        let s = Arc::new(Stopping::default());
        let (a, b) = (s.call(), s.call());
        assert!(!s.drained(Duration::from_millis(20)).await, "two calls run");
        let waiter = {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.stopped().await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished(), "not stopped yet");
        s.stop();
        tokio::time::timeout(Duration::from_secs(1), waiter).await.expect("stop wakes a waiting call").unwrap();
        tokio::time::timeout(Duration::from_secs(1), s.stopped()).await.expect("and a later one at once");
        drop(a);
        assert!(!s.drained(Duration::from_millis(20)).await, "one call still runs");
        let drained = {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.drained(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(b);
        assert!(drained.await.unwrap(), "the last call's end wakes the wait");
    }
}
