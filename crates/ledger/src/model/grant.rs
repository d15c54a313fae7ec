//! Grants: every credit in the ledger belongs to exactly one grant, an individual record
//! of where it came from, when it can be used, and what happened to it.
//!
//! Each grant keeps its own accounting, and it always holds that
//! `amount = consumed + expired + voided + carried + remaining` (see
//! [`Grant::is_conserved`]).
//!
//! **Time rule:** a grant is usable at instant `t` when `effective_at ≤ t < expires_at`.
//! A grant expiring at `T` is *not* usable at `T`.

use crate::money::{Credits, Usd};

/// Where a grant's credits came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantKind {
    /// The paid part of a package purchase.
    Purchase,
    /// The bonus of a package purchase (granted, belongs to the purchase).
    Bonus,
    /// The free grant given once at signup.
    Signup,
    /// The credits of one billing cycle of a plan.
    PlanCycle,
    /// Plan credits carried forward into a new cycle by an upgrade.
    CarriedForward,
    /// Promotional credits.
    Promotion,
    /// A manual adjustment by the vendor (or credits received by a transfer).
    Adjustment,
}

impl GrantKind {
    /// Whether credits of this kind were paid for (as opposed to granted).
    pub fn is_paid(self) -> bool {
        matches!(self, GrantKind::Purchase)
    }

    /// Whether this kind is plan credit that an upgrade may carry forward.
    pub fn is_plan_credit(self) -> bool {
        matches!(self, GrantKind::PlanCycle | GrantKind::CarriedForward)
    }
}

/// One grant of credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Unique within the account (`"p-17"`, `"p-17:bonus"`, `"signup"`, `"plan:pro:…"`).
    pub id: String,
    /// Where the credits came from.
    pub kind: GrantKind,
    /// Credits granted.
    pub amount: Credits,
    /// Credits still usable (until `expires_at`).
    pub remaining: Credits,
    /// Credits drawn by debits, conversions, fees and transfers.
    pub consumed: Credits,
    /// Credits that expired unused.
    pub expired: Credits,
    /// Credits voided by a refund.
    pub voided: Credits,
    /// Credits moved into a carried-forward grant.
    pub carried: Credits,
    /// From when the grant is usable (ms since the Unix epoch).
    pub effective_at: i64,
    /// The first instant it is no longer usable; `None` never expires.
    pub expires_at: Option<i64>,
    /// Higher priority is drawn first (see [`super::order`]).
    pub priority: i32,
    /// Paid for (a purchase) rather than granted.
    pub paid: bool,
    /// The first instant a refund is no longer possible; `None` is not refundable.
    pub refundable_until: Option<i64>,
    /// The purchase this grant belongs to (its paid part and its bonus).
    pub purchase_id: Option<String>,
    /// What was paid for this grant's purchase (on the paid grant only).
    pub price_usd: Option<Usd>,
}

/// A grant's state at an instant, derived from its accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    /// Usable, with credits left.
    Active,
    /// Everything drawn.
    Exhausted,
    /// Past its expiry.
    Expired,
    /// Voided by a refund.
    Voided,
    /// Moved into a carried-forward grant.
    CarriedForward,
}

impl Grant {
    /// A fresh grant with nothing drawn yet.
    pub fn new(id: impl Into<String>, kind: GrantKind, amount: Credits, effective_at: i64) -> Grant {
        Grant {
            id: id.into(),
            kind,
            amount,
            remaining: amount,
            consumed: Credits::ZERO,
            expired: Credits::ZERO,
            voided: Credits::ZERO,
            carried: Credits::ZERO,
            effective_at,
            expires_at: None,
            priority: 0,
            paid: kind.is_paid(),
            refundable_until: None,
            purchase_id: None,
            price_usd: None,
        }
    }

    /// Whether the grant can be drawn from at `t` (`effective_at ≤ t < expires_at`).
    pub fn is_usable_at(&self, t: i64) -> bool {
        t >= self.effective_at && self.expires_at.is_none_or(|e| t < e)
    }

    /// Whether the grant has expired by `t` (a grant expiring at `T` is expired at `T`).
    pub fn is_expired_at(&self, t: i64) -> bool {
        self.expires_at.is_some_and(|e| t >= e)
    }

    /// `amount = consumed + expired + voided + carried + remaining`.
    pub fn is_conserved(&self) -> bool {
        let parts = [self.consumed, self.expired, self.voided, self.carried, self.remaining];
        let mut sum = rust_decimal::Decimal::ZERO;
        for p in parts {
            match sum.checked_add(p.value()) {
                Some(s) => sum = s,
                None => return false,
            }
        }
        sum == self.amount.value()
    }

    /// The grant's status at `t`.
    pub fn status_at(&self, t: i64) -> GrantStatus {
        if !self.remaining.is_zero() {
            if self.is_expired_at(t) {
                GrantStatus::Expired
            } else {
                GrantStatus::Active
            }
        } else if !self.voided.is_zero() {
            GrantStatus::Voided
        } else if !self.carried.is_zero() {
            GrantStatus::CarriedForward
        } else if !self.expired.is_zero() {
            GrantStatus::Expired
        } else {
            GrantStatus::Exhausted
        }
    }

    /// Whether a refund window is open at `t` (it closes at `refundable_until`, exclusive).
    pub fn is_refundable_at(&self, t: i64) -> bool {
        self.refundable_until.is_some_and(|u| t < u) && self.purchase_id.is_some()
    }
}

/// A grant as shown to a user at an instant: the record plus its derived status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    /// The record.
    pub grant: Grant,
    /// Its status at the instant of the view.
    pub status: GrantStatus,
    /// Whether its purchase can still be refunded at that instant (policy permitting).
    pub refundable: bool,
}

json_unit_enum!(GrantKind {
    Purchase = "purchase",
    Bonus = "bonus",
    Signup = "signup",
    PlanCycle = "planCycle",
    CarriedForward = "carriedForward",
    Promotion = "promotion",
    Adjustment = "adjustment",
});
json_struct!(Grant [deny] {
    id: "id",
    kind: "kind",
    amount: "amount",
    remaining: "remaining",
    consumed: "consumed",
    expired: "expired",
    voided: "voided",
    carried: "carried",
    effective_at: "effectiveAt",
    expires_at: "expiresAt",
    priority: "priority",
    paid: "paid",
    refundable_until: "refundableUntil",
    purchase_id: "purchaseId",
    price_usd: "priceUsd",
});
json_unit_enum!(GrantStatus {
    Active = "active",
    Exhausted = "exhausted",
    Expired = "expired",
    Voided = "voided",
    CarriedForward = "carriedForward",
});

/// The grant's members inline, then `status` and `refundable`.
impl crate::json::ToJson for GrantView {
    fn write_json(&self, out: &mut String) {
        let mut w = crate::json::ObjectWriter::new(out);
        crate::json::ToJsonFields::write_fields(&self.grant, &mut w);
        w.field("status", &self.status);
        w.field("refundable", &self.refundable);
        w.end();
    }
}
