//! The signed payload: what the ledger vouches for, for one device of one account.
//!
//! JSON, camelCase, money as decimal strings, instants as integer milliseconds since the
//! Unix epoch, counters as integers ≤ 2^53 − 1. Unknown fields are ignored (additions
//! within `v: 1` stay compatible); see `docs/PROTOCOL.md`.

use super::error::SnapshotError;
use crate::money::{Count, Credits, MAX_SAFE_INTEGER};
use rust_decimal::Decimal;

/// At most this many grants in a payload.
pub const MAX_GRANTS: usize = 100_000;
/// At most this many of the device's open holds in a payload.
pub const MAX_HOLDS: usize = 10_000;
/// At most this many allowances or thresholds.
pub const MAX_SMALL_LIST: usize = 64;

/// A usable grant as of `issuedAt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotGrant {
    /// The grant's id.
    pub id: String,
    /// Its kind (`purchase`, `bonus`, `signup`, `planCycle`, …), for display.
    pub kind: String,
    /// Credits left.
    pub remaining: Credits,
    /// The first instant it is no longer usable; absent or `null`: never expires.
    pub expires_at: Option<i64>,
    /// Consumption priority (higher first).
    pub priority: i32,
    /// Refundable until this instant (exclusive); absent: not refundable.
    pub refundable_until: Option<i64>,
}

/// An allowance's units left, and the policy a use in its units follows (PROTOCOL §12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotAllowance {
    /// `llmTokens` or `ttsCharacters`.
    pub kind: String,
    /// Units left.
    pub remaining: Count,
    /// Units of `remaining` set aside by open unit holds of the account (every device's).
    pub held: Count,
    /// Units one credit converts into; absent: the ledger does not take mutations in
    /// this unit (a ledger before §12), so a client reserves in credits only.
    pub units_per_credit: Option<Decimal>,
    /// `"convert"` or `"refuse"`: what a reserve beyond the allowance does.
    pub on_shortfall: Option<String>,
}

impl SnapshotAllowance {
    /// Units not set aside by open holds.
    pub fn free(&self) -> u64 {
        self.remaining.get().saturating_sub(self.held.get())
    }
}

/// One of the account's agents (PROTOCOL §12.6): whether usage attributed to it may run,
/// and what it used this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotAgent {
    /// The agent's id.
    pub id: String,
    /// `"active"` or `"inactive"`.
    pub status: String,
    /// When its current cycle ends (the next renewal).
    pub cycle_end: i64,
    /// Credits its usage drew this cycle.
    pub cycle_credits: Credits,
    /// LLM tokens it used this cycle.
    pub cycle_llm_tokens: Count,
    /// TTS characters it used this cycle.
    pub cycle_tts_characters: Count,
}

impl SnapshotAgent {
    /// Whether usage attributed to it may run.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// One of this device's holds that the ledger has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHold {
    /// The hold's id.
    pub id: String,
    /// Credits reserved.
    pub amount: Credits,
    /// When the ledger releases it unless committed or released first.
    pub expires_at: i64,
    /// A hold reserved in units: the allowance (PROTOCOL §12).
    pub unit: Option<String>,
    /// A hold reserved in units: the units it sets aside from the allowance (`amount`
    /// is then the credits reserved for the shortfall, possibly zero).
    pub units: Option<Count>,
}

/// The signed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPayload {
    /// The account.
    pub account_id: String,
    /// The device it was issued to.
    pub device_id: String,
    /// The account's ledger version: never decreases.
    pub seq: u64,
    /// When it was issued.
    pub issued_at: i64,
    /// From this instant on the snapshot is stale.
    pub expires_at: i64,
    /// Credits in usable grants (the sum of `grants[].remaining`).
    pub balance: Credits,
    /// Credits reserved by all open holds of the account, every device's.
    pub held: Credits,
    /// Usable grants with credits left.
    pub grants: Vec<SnapshotGrant>,
    /// Allowances.
    pub allowances: Vec<SnapshotAllowance>,
    /// This device's open holds.
    pub holds: Vec<SnapshotHold>,
    /// The last mutation seq of this device the ledger applied (or refused): 0 for none.
    pub last_mutation_seq: u64,
    /// Credits this device may still spend without the ledger's acknowledgement.
    pub offline_limit: Credits,
    /// Low-balance levels: the balance is low when below any of them.
    pub low_balance: Vec<Credits>,
    /// How long the ledger keeps a hold open.
    pub hold_ttl_ms: i64,
    /// Conversions round credits up to a multiple of this (PROTOCOL §12); absent: a ledger
    /// before §12.
    pub credit_step: Option<Credits>,
    /// The account's agents (PROTOCOL §12.6); absent: the policy has no agents, or a
    /// ledger before §12.
    pub agents: Option<Vec<SnapshotAgent>>,
}

impl SnapshotPayload {
    /// An allowance by kind, when the ledger takes mutations in its units.
    pub fn unit_allowance(&self, unit: &str) -> Option<&SnapshotAllowance> {
        self.allowances.iter().find(|a| a.kind == unit && a.units_per_credit.is_some())
    }

    /// Units of `unit` set aside by this device's open holds, per the payload.
    pub fn own_held_units(&self, unit: &str) -> u64 {
        self.holds.iter().filter(|h| h.unit.as_deref() == Some(unit)).fold(0u64, |acc, h| acc.saturating_add(h.units.map_or(0, Count::get)))
    }
}

impl SnapshotPayload {
    /// Parses payload bytes (already verified) and checks their consistency.
    pub fn parse(bytes: &[u8]) -> Result<SnapshotPayload, SnapshotError> {
        let p: SnapshotPayload = crate::json::from_slice(bytes).map_err(|_| SnapshotError::Malformed("payload is not a valid snapshot"))?;
        p.validate()?;
        Ok(p)
    }

    /// Checks sizes, ranges and that `balance` is the sum of the grants.
    pub fn validate(&self) -> Result<(), SnapshotError> {
        if self.grants.len() > MAX_GRANTS || self.holds.len() > MAX_HOLDS {
            return Err(SnapshotError::Malformed("too many grants or holds"));
        }
        if self.agents.as_ref().is_some_and(|a| a.len() > MAX_HOLDS) {
            return Err(SnapshotError::Malformed("too many agents"));
        }
        if self.allowances.len() > MAX_SMALL_LIST || self.low_balance.len() > MAX_SMALL_LIST {
            return Err(SnapshotError::Malformed("too many allowances or thresholds"));
        }
        if self.seq > MAX_SAFE_INTEGER || self.last_mutation_seq > MAX_SAFE_INTEGER {
            return Err(SnapshotError::Malformed("seq above 2^53 - 1"));
        }
        if self.account_id.is_empty() || self.device_id.is_empty() || self.expires_at < self.issued_at || self.hold_ttl_ms <= 0 {
            return Err(SnapshotError::Malformed("empty id, expiry before issue or hold TTL not positive"));
        }
        let mut sum = Credits::ZERO;
        for g in &self.grants {
            sum = sum.checked_add(g.remaining).map_err(|_| SnapshotError::Malformed("grants add up beyond range"))?;
        }
        if sum != self.balance {
            return Err(SnapshotError::Malformed("balance is not the sum of the grants"));
        }
        Ok(())
    }

    /// Credits in grants still usable at `now` (grants expiring at or before `now` left out).
    pub fn balance_at(&self, now: i64) -> Credits {
        if self.grants.iter().all(|g| g.expires_at.is_none_or(|e| now < e)) {
            return self.balance;
        }
        self.grants
            .iter()
            .filter(|g| g.expires_at.is_none_or(|e| now < e))
            .fold(Credits::ZERO, |acc, g| acc.checked_add(g.remaining).unwrap_or(acc))
    }

    /// Credits this device's open holds reserve, per the payload.
    pub fn own_held(&self) -> Credits {
        self.holds.iter().fold(Credits::ZERO, |acc, h| acc.checked_add(h.amount).unwrap_or(acc))
    }

    /// Whether `balance` is below any low-balance level.
    pub fn is_low(&self, balance: Credits) -> bool {
        self.low_balance.iter().any(|&level| balance < level)
    }
}

json_struct!(SnapshotGrant {
    id: "id",
    kind: "kind",
    remaining: "remaining",
    expires_at: "expiresAt" = opt,
    priority: "priority" = default,
    refundable_until: "refundableUntil" = opt,
});
json_struct!(SnapshotAllowance {
    kind: "kind",
    remaining: "remaining",
    held: "held" = default,
    units_per_credit: "unitsPerCredit" = opt,
    on_shortfall: "onShortfall" = opt,
});
json_struct!(SnapshotHold { id: "id", amount: "amount", expires_at: "expiresAt", unit: "unit" = opt, units: "units" = opt });
json_struct!(SnapshotPayload {
    account_id: "accountId",
    device_id: "deviceId",
    seq: "seq",
    issued_at: "issuedAt",
    expires_at: "expiresAt",
    balance: "balance",
    held: "held",
    grants: "grants",
    allowances: "allowances" = default,
    holds: "holds" = default,
    last_mutation_seq: "lastMutationSeq",
    offline_limit: "offlineLimit",
    low_balance: "lowBalance" = default,
    hold_ttl_ms: "holdTtlMs",
    credit_step: "creditStep" = opt,
    agents: "agents" = opt,
});
json_struct!(SnapshotAgent {
    id: "id",
    status: "status",
    cycle_end: "cycleEnd",
    cycle_credits: "cycleCredits" = default,
    cycle_llm_tokens: "cycleLlmTokens" = default,
    cycle_tts_characters: "cycleTtsCharacters" = default,
});
