//! Low-balance thresholds and the notices the ledger raises.
//!
//! A threshold has a level: an absolute number of credits, or a percentage of the last
//! top-up (a purchase with its bonus, a plan cycle's credits, the signup grant). The
//! balance is **low** when it is strictly below the level. A threshold fires one notice
//! when the balance crosses from not-low to low, then stays quiet (disarmed) until the
//! balance is back at or above the level (re-armed). A new account starts disarmed: an
//! empty balance was never "crossed". The balance checked is the credits in grants
//! (holds do not count), so a reserve followed by a release never fires a notice.

use super::error::LedgerError;
use crate::money::Credits;
use rust_decimal::Decimal;

/// A low-balance threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Threshold {
    /// Low below a fixed number of credits.
    Absolute {
        /// The level.
        credits: Credits,
    },
    /// Low below a percentage (0–100) of the last top-up.
    PercentOfLastTopUp {
        /// The percentage, a decimal string.
        percent: Decimal,
    },
}

impl Threshold {
    /// Refuses percentages outside 0–100.
    pub fn validate(&self) -> Result<(), LedgerError> {
        match self {
            Threshold::PercentOfLastTopUp { percent } if *percent < Decimal::ZERO || *percent > Decimal::ONE_HUNDRED => {
                Err(LedgerError::BadInput(format!("threshold percent {percent} must be within 0–100")))
            }
            _ => Ok(()),
        }
    }

    /// The level given the last top-up.
    pub fn level(&self, last_top_up: Credits) -> Credits {
        match self {
            Threshold::Absolute { credits } => *credits,
            Threshold::PercentOfLastTopUp { percent } => last_top_up
                .value()
                .checked_mul(*percent)
                .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
                .and_then(|v| Credits::new(v.normalize()).ok())
                .unwrap_or(Credits::ZERO),
        }
    }
}

/// Something the host should tell the user about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The balance crossed below a threshold.
    LowBalance {
        /// Index of the threshold in the policy's `lowBalance`.
        threshold: usize,
        /// The threshold's level at the crossing.
        level: Credits,
        /// The balance after the entry that crossed it.
        balance: Credits,
        /// The entry that crossed it.
        seq: u64,
        /// When.
        at: i64,
    },
    /// An agent could not pay its next cycle and became inactive.
    AgentDeactivated {
        /// The agent.
        agent_id: String,
        /// The entry.
        seq: u64,
        /// When.
        at: i64,
    },
}

/// Updates the thresholds' armed flags for a new balance and returns the notices fired.
pub(crate) fn evaluate(
    thresholds: &[Threshold],
    armed: &mut Vec<bool>,
    balance: Credits,
    last_top_up: Credits,
    seq: u64,
    at: i64,
) -> Vec<Notice> {
    armed.resize(thresholds.len(), false);
    let mut out = Vec::new();
    for (i, t) in thresholds.iter().enumerate() {
        let level = t.level(last_top_up);
        let low = balance < level;
        if low && armed[i] {
            armed[i] = false;
            out.push(Notice::LowBalance { threshold: i, level, balance, seq, at });
        } else if !low {
            armed[i] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u64) -> Credits {
        Credits::from_u64(n).unwrap_or_default()
    }

    #[test]
    fn fires_once_per_crossing_and_rearms_at_the_level() {
        let t = [Threshold::Absolute { credits: c(10) }];
        let mut armed = Vec::new();
        let fired: Vec<usize> =
            [20, 9, 5, 10, 9, 0].iter().enumerate().map(|(i, &b)| evaluate(&t, &mut armed, c(b), c(0), i as u64, 0).len()).collect();
        assert_eq!(fired, [0, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn percent_levels_follow_the_last_top_up() {
        let t = Threshold::PercentOfLastTopUp { percent: Decimal::new(125, 1) };
        assert_eq!(t.level(c(3000)), c(375));
        assert_eq!(t.level(Credits::ZERO), Credits::ZERO);
        assert!(Threshold::PercentOfLastTopUp { percent: Decimal::from(101) }.validate().is_err());
    }
}

json_tagged!(Threshold, "kind" [deny] {
    Absolute "absolute" { credits: "credits" },
    PercentOfLastTopUp "percentOfLastTopUp" { percent: "percent" },
});
json_tagged_to!(Notice, "kind" {
    LowBalance "lowBalance" { threshold: "threshold", level: "level", balance: "balance", seq: "seq", at: "at" },
    AgentDeactivated "agentDeactivated" { agent_id: "agentId", seq: "seq", at: "at" },
});
