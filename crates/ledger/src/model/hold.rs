//! Holds: credits reserved before an AI call, then committed (≤ the held amount, the rest
//! released) or released.
//!
//! A hold does not pin particular grants: it lowers the spendable amount
//! (`available = balance − open holds`), and its commit draws from grants in the
//! consumption order *at commit time*. A hold is usable until its `expires_at`
//! (exclusive, like grants); the ledger releases it at that instant.
//!
//! Hold ids are unique for the life of the account, closed holds included, so a retried
//! reserve or commit is recognised rather than applied twice (the basis of exactly-once
//! sync with a remote ledger).

use super::entry::Purpose;
use super::policy::AllowanceKind;
use crate::money::Credits;

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    /// Reserving credits.
    Open,
    /// Committed (the debit entry says how much).
    Committed,
    /// Released by the host.
    Released,
    /// Released at its expiry.
    Expired,
}

/// A hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Unique for the life of the account.
    pub id: String,
    /// Credits reserved.
    pub amount: Credits,
    /// What it is for; its commit is a debit for this.
    pub purpose: Purpose,
    /// When it was placed.
    pub created_at: i64,
    /// The first instant it no longer reserves anything.
    pub expires_at: i64,
    /// Where it stands.
    pub status: HoldStatus,
    /// Credits its commit drew (zero unless committed).
    pub committed: Credits,
    /// A hold reserved in allowance units (see `unit_hold`): the allowance units it sets
    /// aside; `amount` is then the credits reserved for the shortfall (possibly zero).
    pub units: Option<HeldUnits>,
}

/// The allowance units a unit hold sets aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldUnits {
    /// Which allowance.
    pub allowance: AllowanceKind,
    /// Units asked for (what the reserve was for).
    pub requested: u64,
    /// Units of the allowance set aside (`requested` minus the shortfall `amount` pays for).
    pub reserved: u64,
}

impl Hold {
    /// Whether it still reserves credits.
    pub fn is_open(&self) -> bool {
        self.status == HoldStatus::Open
    }
}

/// A request to reserve credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// The hold's id (unique for the life of the account).
    pub hold_id: String,
    /// Credits to reserve.
    pub amount: Credits,
    /// Operation id.
    pub operation: String,
    /// The agent whose usage it is.
    pub agent_id: Option<String>,
    /// Expiry; the policy's `holdTtlMs` from now when absent.
    pub expires_at: Option<i64>,
}

json_unit_enum!(HoldStatus { Open = "open", Committed = "committed", Released = "released", Expired = "expired" });
json_struct!(Hold [deny] {
    id: "id",
    amount: "amount",
    purpose: "purpose",
    created_at: "createdAt",
    expires_at: "expiresAt",
    status: "status",
    committed: "committed" = default,
    units: "units" = opt,
});
json_struct!(HeldUnits [deny] { allowance: "allowance", requested: "requested", reserved: "reserved" });
json_struct!(HoldRequest [deny] {
    hold_id: "holdId",
    amount: "amount",
    operation: "operation",
    agent_id: "agentId" = default,
    expires_at: "expiresAt" = default,
});
