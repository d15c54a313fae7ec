//! The ledger's errors and their stable codes.

use super::policy::Remedy;
use crate::error::{Coded, BAD_AMOUNT, BAD_INPUT};
use crate::money::{Credits, MoneyError};
pub use credit_meter_protocol::error::{
    AGENT_INACTIVE, AGENT_LIMIT, ALREADY_GRANTED, CLOCK_BACKWARDS, DUPLICATE_ID, HOLD_EXCEEDED, INSUFFICIENT_ALLOWANCE,
    INSUFFICIENT_CREDITS, NOT_FOUND, NOT_REFUNDABLE, REPLAY_MISMATCH, TRANSFER_FORBIDDEN,
};
use std::fmt;

/// Why a purchase cannot be refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRefusal {
    /// The policy has no refunds at all.
    PolicyForbids,
    /// The refund window closed (the window's end instant is already outside it).
    WindowClosed,
    /// The purchase was already refunded.
    AlreadyRefunded,
    /// Every credit of the purchase was consumed or expired.
    NothingLeft,
    /// Open holds need credits of this purchase; release or commit them first.
    Held,
}

impl RefundRefusal {
    /// A sentence for the user.
    pub fn explain(self) -> &'static str {
        match self {
            RefundRefusal::PolicyForbids => "credits cannot be refunded under this policy",
            RefundRefusal::WindowClosed => "the refund window of this purchase has closed",
            RefundRefusal::AlreadyRefunded => "this purchase was already refunded",
            RefundRefusal::NothingLeft => "no unused credits are left in this purchase",
            RefundRefusal::Held => "open holds need these credits; release or commit them first",
        }
    }
}

/// Why a ledger operation was refused. Nothing changed when one is returned (time-driven
/// entries such as expiries up to `now` may still have been recorded first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// Input of the wrong shape or range, or an operation the policy does not have.
    BadInput(String),
    /// An amount out of range.
    BadAmount(String),
    /// Not enough spendable credits.
    InsufficientCredits {
        /// Credits needed.
        needed: Credits,
        /// Credits spendable now.
        available: Credits,
        /// What the user can do about it under this policy.
        remedies: Vec<Remedy>,
    },
    /// Not enough allowance units and the policy does not convert credits for this kind.
    InsufficientAllowance {
        /// Units needed.
        needed: u64,
        /// Units left.
        available: u64,
    },
    /// A refund that is not allowed.
    NotRefundable {
        /// The purchase.
        purchase_id: String,
        /// Why.
        reason: RefundRefusal,
    },
    /// The plan's agent cap is reached.
    AgentLimit {
        /// Active agents the plan allows.
        limit: u32,
    },
    /// The agent is inactive.
    AgentInactive(String),
    /// Transfers between accounts are forbidden.
    TransferForbidden,
    /// The id was already used.
    Duplicate(String),
    /// The id is unknown.
    NotFound(String),
    /// The one-time grant was already given.
    AlreadyGranted(String),
    /// `now` is earlier than the ledger's clock.
    ClockBackwards {
        /// The time given.
        now: i64,
        /// The ledger's clock.
        clock: i64,
    },
    /// A commit larger than its hold.
    HoldExceeded {
        /// The hold.
        hold_id: String,
        /// Credits it holds.
        held: Credits,
        /// Credits the commit asked for.
        requested: Credits,
    },
    /// Entries that do not replay.
    ReplayMismatch(String),
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::BadInput(m) => write!(f, "bad ledger input: {m}"),
            LedgerError::BadAmount(m) => write!(f, "amount out of range: {m}"),
            LedgerError::InsufficientCredits { needed, available, .. } => {
                write!(f, "not enough credits: {} needed, {} available", needed.to_plain_string(), available.to_plain_string())
            }
            LedgerError::InsufficientAllowance { needed, available } => {
                write!(f, "not enough allowance: {needed} units needed, {available} left")
            }
            LedgerError::NotRefundable { purchase_id, reason } => {
                write!(f, "purchase {:?} is not refundable: {}", short(purchase_id), reason.explain())
            }
            LedgerError::AgentLimit { limit } => write!(f, "the plan allows at most {limit} active agents"),
            LedgerError::AgentInactive(id) => write!(f, "agent {:?} is not active", short(id)),
            LedgerError::TransferForbidden => write!(f, "credits cannot be transferred between accounts"),
            LedgerError::Duplicate(id) => write!(f, "id {:?} was already used", short(id)),
            LedgerError::NotFound(id) => write!(f, "{} not found", short(id)),
            LedgerError::AlreadyGranted(what) => write!(f, "{what} is granted once and was already granted"),
            LedgerError::ClockBackwards { now, clock } => {
                write!(f, "time {now} is earlier than the ledger's clock {clock}")
            }
            LedgerError::HoldExceeded { hold_id, held, requested } => {
                write!(f, "hold {:?} holds {} but {} was committed", short(hold_id), held.to_plain_string(), requested.to_plain_string())
            }
            LedgerError::ReplayMismatch(m) => write!(f, "entries do not replay: {m}"),
        }
    }
}

impl std::error::Error for LedgerError {}

impl Coded for LedgerError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            LedgerError::BadInput(_) => BAD_INPUT,
            LedgerError::BadAmount(_) => BAD_AMOUNT,
            LedgerError::InsufficientCredits { .. } => INSUFFICIENT_CREDITS,
            LedgerError::InsufficientAllowance { .. } => INSUFFICIENT_ALLOWANCE,
            LedgerError::NotRefundable { .. } => NOT_REFUNDABLE,
            LedgerError::AgentLimit { .. } => AGENT_LIMIT,
            LedgerError::AgentInactive(_) => AGENT_INACTIVE,
            LedgerError::TransferForbidden => TRANSFER_FORBIDDEN,
            LedgerError::Duplicate(_) => DUPLICATE_ID,
            LedgerError::NotFound(_) => NOT_FOUND,
            LedgerError::AlreadyGranted(_) => ALREADY_GRANTED,
            LedgerError::ClockBackwards { .. } => CLOCK_BACKWARDS,
            LedgerError::HoldExceeded { .. } => HOLD_EXCEEDED,
            LedgerError::ReplayMismatch(_) => REPLAY_MISMATCH,
        }
    }
}

impl From<MoneyError> for LedgerError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::BadCount(m) => LedgerError::BadInput(m),
            other => LedgerError::BadAmount(other.to_string()),
        }
    }
}

/// `a − b`, refused (never clamped) when `b > a`.
pub(crate) fn sub(a: Credits, b: Credits) -> Result<Credits, LedgerError> {
    if b > a {
        return Err(LedgerError::ReplayMismatch(format!("{} cannot be taken from {}", b.to_plain_string(), a.to_plain_string())));
    }
    Ok(a.saturating_sub(b))
}

/// `a + b`, refused above the amount range.
pub(crate) fn add(a: Credits, b: Credits) -> Result<Credits, LedgerError> {
    a.checked_add(b).map_err(LedgerError::from)
}

/// `t + d` for instants and durations in milliseconds, refused on overflow.
pub(crate) fn add_ms(t: i64, d: i64) -> Result<i64, LedgerError> {
    t.checked_add(d).ok_or_else(|| LedgerError::BadInput(format!("time {t} + {d} ms is out of range")))
}

json_unit_enum!(RefundRefusal {
    PolicyForbids = "policyForbids",
    WindowClosed = "windowClosed",
    AlreadyRefunded = "alreadyRefunded",
    NothingLeft = "nothingLeft",
    Held = "held",
});
