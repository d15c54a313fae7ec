//! Ledger entries: the append-only record every state change goes through.
//!
//! Each entry is self-contained (a debit lists the exact draws, a grant carries the full
//! grant record), so [`super::replay`] folds entries without re-deciding anything, and each
//! carries the balance after it, which replay checks.

use super::grant::Grant;
use super::hold::Hold;
use super::order::Draw;
use super::policy::AllowanceKind;
use crate::money::{Credits, Usd};
use serde::{Deserialize, Serialize};

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// When it took effect (ms since the Unix epoch); never decreases.
    pub at: i64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EntryKind,
    /// Credits in usable grants after it (holds not subtracted).
    pub balance_after: Credits,
}

/// What a debit paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Purpose {
    /// A metered operation (`"flashcards.generate"`), optionally on behalf of an agent.
    Operation {
        /// Operation id.
        operation: String,
        /// The agent whose usage this is.
        #[serde(default)]
        agent_id: Option<String>,
    },
    /// Credits sent to another account.
    TransferOut {
        /// The receiving account.
        to_account: String,
    },
    /// A manual correction.
    Adjustment {
        /// Why.
        reason: String,
    },
}

/// Why a hold was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReleaseReason {
    /// The host released it.
    Released,
    /// It reached its expiry unresolved.
    Expired,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EntryKind {
    /// New grants (a purchase and its bonus, a plan cycle, the signup grant, a promotion).
    Grant {
        /// The grants, as created.
        grants: Vec<Grant>,
        /// Whether this is a top-up (percent thresholds measure against the last one).
        top_up: bool,
    },
    /// Credits reserved.
    Hold {
        /// The hold, as placed.
        hold: Hold,
    },
    /// Credits drawn from grants; with `holdId`, the commit of that hold (the rest of it
    /// is released by the same entry).
    Debit {
        /// What was paid for.
        purpose: Purpose,
        /// Credits drawn (the sum of `draws`).
        amount: Credits,
        /// The draws, in consumption order.
        draws: Vec<Draw>,
        /// The hold this commits.
        #[serde(default)]
        hold_id: Option<String>,
        /// What the commit released of the hold.
        #[serde(default)]
        released: Credits,
    },
    /// A hold given back in full.
    Release {
        /// The hold.
        hold_id: String,
        /// Credits it held.
        amount: Credits,
        /// Why.
        reason: ReleaseReason,
    },
    /// A grant's remaining credits expired.
    Expire {
        /// The grant.
        grant_id: String,
        /// Credits lost.
        amount: Credits,
    },
    /// A purchase refunded: what was left of it voided, `refundUsd` to pay back.
    Refund {
        /// The purchase.
        purchase_id: String,
        /// Credits voided per grant.
        voided: Vec<Draw>,
        /// Money to pay back.
        refund_usd: Usd,
    },
    /// Unexpired plan credits moved into a new grant.
    CarryForward {
        /// Credits taken from each source grant.
        sources: Vec<Draw>,
        /// The new grant.
        grant: Grant,
    },
    /// Credits converted into allowance units.
    Conversion {
        /// Which allowance.
        allowance: AllowanceKind,
        /// Credits drawn (the sum of `draws`).
        credits: Credits,
        /// The draws.
        draws: Vec<Draw>,
        /// Units added.
        units: u64,
    },
    /// Allowance units used.
    AllowanceUse {
        /// Which allowance.
        allowance: AllowanceKind,
        /// Units used.
        units: u64,
        /// Operation id.
        operation: String,
        /// The agent whose usage this is.
        #[serde(default)]
        agent_id: Option<String>,
    },
    /// An agent created or reactivated: the activation fee plus its first cycle.
    Activation {
        /// The agent.
        agent_id: String,
        /// Credits drawn.
        amount: Credits,
        /// The draws.
        draws: Vec<Draw>,
        /// Its cycle's end (the next renewal).
        cycle_end: i64,
    },
    /// An agent's next cycle paid.
    Renewal {
        /// The agent.
        agent_id: String,
        /// Credits drawn.
        amount: Credits,
        /// The draws.
        draws: Vec<Draw>,
        /// The new cycle's end.
        cycle_end: i64,
    },
    /// An agent that could not pay its cycle became inactive.
    Deactivation {
        /// The agent.
        agent_id: String,
    },
    /// The account moved to another plan.
    PlanChange {
        /// The previous plan.
        #[serde(default)]
        from: Option<String>,
        /// The new plan.
        to: String,
    },
}

impl EntryKind {
    /// The entry type's name as in JSON (`"debit"`, `"expire"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Grant { .. } => "grant",
            EntryKind::Hold { .. } => "hold",
            EntryKind::Debit { .. } => "debit",
            EntryKind::Release { .. } => "release",
            EntryKind::Expire { .. } => "expire",
            EntryKind::Refund { .. } => "refund",
            EntryKind::CarryForward { .. } => "carryForward",
            EntryKind::Conversion { .. } => "conversion",
            EntryKind::AllowanceUse { .. } => "allowanceUse",
            EntryKind::Activation { .. } => "activation",
            EntryKind::Renewal { .. } => "renewal",
            EntryKind::Deactivation { .. } => "deactivation",
            EntryKind::PlanChange { .. } => "planChange",
        }
    }
}
