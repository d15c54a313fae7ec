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

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// When it took effect (ms since the Unix epoch); never decreases.
    pub at: i64,
    /// What happened.
    pub kind: EntryKind,
    /// Credits in usable grants after it (holds not subtracted).
    pub balance_after: Credits,
}

/// What a debit paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A metered operation (`"flashcards.generate"`), optionally on behalf of an agent.
    Operation {
        /// Operation id.
        operation: String,
        /// The agent whose usage this is.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseReason {
    /// The host released it.
    Released,
    /// It reached its expiry unresolved.
    Expired,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        hold_id: Option<String>,
        /// What the commit released of the hold.
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
        from: Option<String>,
        /// The new plan.
        to: String,
    },
    /// The billing cycle the plan's credits belong to from now on: a renewal opens a new
    /// one; a plan change while a cycle runs continues that cycle (what it granted stays
    /// counted) and moves its end — unless it is `fresh`: a new cycle the billing system
    /// was paid for in full, which replaces the running one. See [`super::plan`].
    BillingCycle {
        /// The cycle's start.
        starts_at: i64,
        /// The cycle's end.
        ends_at: i64,
        /// `Some(true)`: a new paid cycle replacing the running one (nothing it granted
        /// counts in the new one); absent otherwise.
        fresh: Option<bool>,
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
            EntryKind::BillingCycle { .. } => "billingCycle",
        }
    }
}

/// `{seq, at, type, …the kind's fields, balanceAfter}`: the kind is written inline.
impl crate::json::ToJson for Entry {
    fn write_json(&self, out: &mut String) {
        let mut w = crate::json::ObjectWriter::new(out);
        w.field("seq", &self.seq);
        w.field("at", &self.at);
        crate::json::ToJsonFields::write_fields(&self.kind, &mut w);
        w.field("balanceAfter", &self.balance_after);
        w.end();
    }
}

impl crate::json::FromJson for Entry {
    fn from_json(v: crate::json::Value) -> Result<Self, crate::json::JsonError> {
        use crate::json::{missing_field, take_member, take_object};
        let mut members = take_object(v, "an object")?;
        let mut field = |name: &'static str| take_member(&mut members, name).ok_or_else(|| missing_field(name));
        let seq = u64::from_json(field("seq")?).map_err(|e| e.at_key("seq"))?;
        let at = i64::from_json(field("at")?).map_err(|e| e.at_key("at"))?;
        let balance_after = Credits::from_json(field("balanceAfter")?).map_err(|e| e.at_key("balanceAfter"))?;
        let kind = EntryKind::from_json(crate::json::Value::Object(members))?;
        Ok(Entry { seq, at, kind, balance_after })
    }
}
json_tagged!(Purpose, "kind" [deny] {
    Operation "operation" { operation: "operation", agent_id: "agentId" = default },
    TransferOut "transferOut" { to_account: "toAccount" },
    Adjustment "adjustment" { reason: "reason" },
});
json_unit_enum!(ReleaseReason { Released = "released", Expired = "expired" });
json_tagged!(EntryKind, "type" {
    Grant "grant" { grants: "grants", top_up: "topUp" },
    Hold "hold" { hold: "hold" },
    Debit "debit" { purpose: "purpose", amount: "amount", draws: "draws", hold_id: "holdId" = default, released: "released" = default },
    Release "release" { hold_id: "holdId", amount: "amount", reason: "reason" },
    Expire "expire" { grant_id: "grantId", amount: "amount" },
    Refund "refund" { purchase_id: "purchaseId", voided: "voided", refund_usd: "refundUsd" },
    CarryForward "carryForward" { sources: "sources", grant: "grant" },
    Conversion "conversion" { allowance: "allowance", credits: "credits", draws: "draws", units: "units" },
    AllowanceUse "allowanceUse" { allowance: "allowance", units: "units", operation: "operation", agent_id: "agentId" = default },
    Activation "activation" { agent_id: "agentId", amount: "amount", draws: "draws", cycle_end: "cycleEnd" },
    Renewal "renewal" { agent_id: "agentId", amount: "amount", draws: "draws", cycle_end: "cycleEnd" },
    Deactivation "deactivation" { agent_id: "agentId" },
    PlanChange "planChange" { from: "from" = default, to: "to" },
    BillingCycle "billingCycle" { starts_at: "startsAt", ends_at: "endsAt", fresh: "fresh" = opt },
});
