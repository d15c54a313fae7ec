//! Counters for `/metrics` (Prometheus text format): requests by route, mutations by
//! status, request latency as a histogram; open holds and outstanding overdraft are read
//! from the store when scraped (so they are right across processes and restarts).

use crate::engine::Tally;
use crate::store::Totals;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets (seconds).
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The process's counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pushes: AtomicU64,
    pulls: AtomicU64,
    admin: AtomicU64,
    refusals: AtomicU64,
    applied: AtomicU64,
    refused: AtomicU64,
    duplicate: AtomicU64,
    gap: AtomicU64,
    conflicts: AtomicU64,
    copy_committed: AtomicU64,
    copy_conflicted: AtomicU64,
    buckets: [AtomicU64; 12],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
}

/// Which route a request took.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    /// `/v1/push`.
    Push,
    /// `/v1/pull`.
    Pull,
    /// `/v1/admin`.
    Admin,
}

impl Metrics {
    /// Counts one ledger request and its latency.
    pub(crate) fn request(&self, route: Route, tally: Tally, took: Duration) {
        let c = match route {
            Route::Push => &self.pushes,
            Route::Pull => &self.pulls,
            Route::Admin => &self.admin,
        };
        c.fetch_add(1, Ordering::Relaxed);
        self.applied.fetch_add(tally.applied, Ordering::Relaxed);
        self.refused.fetch_add(tally.refused, Ordering::Relaxed);
        self.duplicate.fetch_add(tally.duplicate, Ordering::Relaxed);
        self.gap.fetch_add(tally.gap, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Counts a request refused by authentication.
    pub(crate) fn refusal(&self) {
        self.refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a save that met a concurrent write and ran again.
    pub(crate) fn conflict(&self) {
        self.conflicts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a push run on the process's copy of its account (`account_cache`) by how
    /// its save ended.
    pub(crate) fn copy_push(&self, conflicted: bool) {
        let c = if conflicted { &self.copy_conflicted } else { &self.copy_committed };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The text for `/metrics`.
    pub(crate) fn render(&self, totals: Option<&Totals>) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP credit_meter_requests_total Ledger requests handled, by route.\n# TYPE credit_meter_requests_total counter"
        );
        for (route, c) in [("push", &self.pushes), ("pull", &self.pulls), ("admin", &self.admin)] {
            let _ = writeln!(out, "credit_meter_requests_total{{route=\"{route}\"}} {}", g(c));
        }
        let _ = writeln!(out, "# HELP credit_meter_auth_refusals_total Requests refused with UNAUTHORIZED or FORBIDDEN.\n# TYPE credit_meter_auth_refusals_total counter");
        let _ = writeln!(out, "credit_meter_auth_refusals_total {}", g(&self.refusals));
        let _ = writeln!(
            out,
            "# HELP credit_meter_mutations_total Pushed mutations, by result status.\n# TYPE credit_meter_mutations_total counter"
        );
        for (status, c) in [("applied", &self.applied), ("refused", &self.refused), ("duplicate", &self.duplicate), ("gap", &self.gap)] {
            let _ = writeln!(out, "credit_meter_mutations_total{{status=\"{status}\"}} {}", g(c));
        }
        let _ = writeln!(out, "# HELP credit_meter_write_conflicts_total Saves that met another process's write and ran again.\n# TYPE credit_meter_write_conflicts_total counter");
        let _ = writeln!(out, "credit_meter_write_conflicts_total {}", g(&self.conflicts));
        let _ = writeln!(out, "# HELP credit_meter_copy_pushes_total Pushes run on this process's copy of their account instead of a load, by how their save ended (PostgreSQL).\n# TYPE credit_meter_copy_pushes_total counter");
        for (outcome, c) in [("committed", &self.copy_committed), ("conflict", &self.copy_conflicted)] {
            let _ = writeln!(out, "credit_meter_copy_pushes_total{{outcome=\"{outcome}\"}} {}", g(c));
        }
        let _ = writeln!(out, "# HELP credit_meter_request_seconds Ledger request latency (push, pull, admin).\n# TYPE credit_meter_request_seconds histogram");
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "credit_meter_request_seconds_bucket{{le=\"{bound}\"}} {}", g(b));
        }
        let count = g(&self.latency_count);
        let _ = writeln!(out, "credit_meter_request_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "credit_meter_request_seconds_sum {}", g(&self.latency_micros) as f64 / 1e6);
        let _ = writeln!(out, "credit_meter_request_seconds_count {count}");
        if let Some(t) = totals {
            let _ = writeln!(
                out,
                "# HELP credit_meter_accounts Accounts in the store.\n# TYPE credit_meter_accounts gauge\ncredit_meter_accounts {}",
                t.accounts
            );
            let _ = writeln!(out, "# HELP credit_meter_open_holds Open holds over all accounts.\n# TYPE credit_meter_open_holds gauge\ncredit_meter_open_holds {}", t.open_holds);
            // A decimal string: Prometheus reads it as a float, which is fine for a gauge.
            let _ = writeln!(out, "# HELP credit_meter_overdraft_credits Outstanding device overdraft over all accounts.\n# TYPE credit_meter_overdraft_credits gauge\ncredit_meter_overdraft_credits {}", t.overdraft);
        }
        out
    }
}
