//! A bound on how many lines the service writes about requests it refuses. Each refusal
//! (a bad or missing credential, a spent rate budget) is worth a line, but they cost the
//! caller nothing: a probe wrote 48,792 "rate exceeded" lines in one run. At most
//! [`LINES_PER_SECOND`] are written each second; the next line written says how many were
//! left out before it, so the count stays in the log (and every refusal stays counted in
//! `/metrics`).

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Lines about refusals written per second, at most.
pub(crate) const LINES_PER_SECOND: u64 = 20;

/// The current second's start and count of lines written, and the refusals left out since
/// the last line written.
#[derive(Debug)]
pub(crate) struct LogBudget {
    window: Mutex<(Instant, u64, u64)>,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget { window: Mutex::new((Instant::now(), 0, 0)) }
    }
}

impl LogBudget {
    /// `Some(left out before this one)` when this refusal may be written, `None` when the
    /// second's lines are spent (it is counted instead).
    pub(crate) fn take(&self) -> Option<u64> {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(w.0).as_secs() >= 1 {
            (w.0, w.1) = (now, 0);
        }
        if w.1 >= LINES_PER_SECOND {
            w.2 += 1;
            return None;
        }
        w.1 += 1;
        Some(std::mem::take(&mut w.2))
    }
}

/// The service's one budget (all refusal lines share it).
pub(crate) static REFUSALS: std::sync::LazyLock<LogBudget> = std::sync::LazyLock::new(LogBudget::default);

/// Writes a line about a refusal at `level` (`info`, `warn`) within [`REFUSALS`], with
/// `left_out` (the refusals left out before it) among its fields; beyond the second's
/// budget nothing is written. `refusal_line!(warn, peer = %ip, "limit reached")`.
macro_rules! refusal_line {
    ($level:ident, $($fields:tt)+) => {
        if let Some(left_out) = $crate::log_budget::REFUSALS.take() {
            tracing::$level!(left_out, $($fields)+);
        }
    };
}
pub(crate) use refusal_line;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_beyond_the_seconds_budget_are_counted_and_reported_by_the_next_one() {
        let b = LogBudget::default();
        let written: Vec<_> = (0..LINES_PER_SECOND + 5).map(|_| b.take()).collect();
        assert!(written.iter().take(LINES_PER_SECOND as usize).all(|w| *w == Some(0)));
        assert!(written.iter().skip(LINES_PER_SECOND as usize).all(Option::is_none), "{written:?}");
        // A new second: the first line says how many were left out.
        b.window.lock().unwrap().0 -= std::time::Duration::from_secs(1);
        assert_eq!(b.take(), Some(5));
        assert_eq!(b.take(), Some(0));
    }
}
