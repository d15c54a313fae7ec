//! The order in which grants are consumed, and the draw plan of a debit.
//!
//! # The consumption order
//!
//! A debit draws from the grants usable at its instant, in this strict total order:
//!
//! 1. **higher `priority` first** (the policy sets a priority per grant kind; all 0 by
//!    default);
//! 2. **soonest expiry first**, grants that never expire last — credits that would be lost
//!    are used before credits that would not;
//! 3. **granted before paid** — free, bonus, plan and promotional credits go before
//!    purchased ones (which keeps paid credits, the refundable ones, for last);
//! 4. **oldest first** by `effective_at`;
//! 5. **by id** (byte order), which makes the order total: ids are unique per account.
//!
//! The order is evaluated when credits are actually drawn (a debit, a hold's commit, a
//! conversion, an agent fee), never when a hold is placed.

use super::grant::Grant;
use crate::money::Credits;
use std::cmp::Ordering;

/// Compares two grants in consumption order (`Less` is drawn first).
pub fn consumption_order(a: &Grant, b: &Grant) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| match (a.expires_at, b.expires_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.paid.cmp(&b.paid))
        .then_with(|| a.effective_at.cmp(&b.effective_at))
        .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
}

/// Credits taken from one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    /// The grant.
    pub grant_id: String,
    /// Credits taken from it.
    pub amount: Credits,
}

/// The grants a debit would draw from, in order, and whatever they cannot cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawPlan {
    /// The draws, in consumption order; never a zero draw.
    pub draws: Vec<Draw>,
    /// What the usable grants could not cover (zero when they cover it).
    pub shortfall: Credits,
}

/// The grants usable at `at`, in consumption order.
pub fn ordered_usable(grants: &[Grant], at: i64) -> Vec<&Grant> {
    let mut usable: Vec<&Grant> = grants.iter().filter(|g| g.is_usable_at(at) && !g.remaining.is_zero()).collect();
    usable.sort_by(|a, b| consumption_order(a, b));
    usable
}

/// Which grants a debit of `amount` at `at` draws from, in consumption order.
pub fn draw_plan(grants: &[Grant], amount: Credits, at: i64) -> DrawPlan {
    let mut left = amount;
    let mut draws = Vec::new();
    for g in ordered_usable(grants, at) {
        if left.is_zero() {
            break;
        }
        let take = left.min(g.remaining);
        draws.push(Draw { grant_id: g.id.clone(), amount: take });
        left = left.saturating_sub(take);
    }
    DrawPlan { draws, shortfall: left }
}

/// One line of a debit preview: the draw and what it leaves in the grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewDraw {
    /// The grant.
    pub grant_id: String,
    /// Its kind.
    pub kind: super::grant::GrantKind,
    /// Credits the debit takes from it.
    pub amount: Credits,
    /// Credits it keeps afterwards.
    pub remaining_after: Credits,
    /// When it expires.
    pub expires_at: Option<i64>,
    /// Whether it was paid for.
    pub paid: bool,
}

/// Exactly which grants a debit would draw from, and whether it would go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitPreview {
    /// The amount previewed.
    pub amount: Credits,
    /// Spendable credits now (balance minus open holds).
    pub available: Credits,
    /// Whether a debit of `amount` would succeed now.
    pub sufficient: bool,
    /// How much is missing (zero when sufficient).
    pub shortfall: Credits,
    /// The draws, in consumption order.
    pub draws: Vec<PreviewDraw>,
}

/// Builds the preview of a debit of `amount` at `at` given the spendable credits.
pub fn preview(grants: &[Grant], amount: Credits, available: Credits, at: i64) -> DebitPreview {
    let plan = draw_plan(grants, amount, at);
    let draws = plan
        .draws
        .iter()
        .filter_map(|d| {
            let g = grants.iter().find(|g| g.id == d.grant_id)?;
            Some(PreviewDraw {
                grant_id: d.grant_id.clone(),
                kind: g.kind,
                amount: d.amount,
                remaining_after: g.remaining.saturating_sub(d.amount),
                expires_at: g.expires_at,
                paid: g.paid,
            })
        })
        .collect();
    let shortfall = amount.saturating_sub(available);
    DebitPreview { amount, available, sufficient: shortfall.is_zero(), shortfall, draws }
}

json_struct!(Draw [deny] { grant_id: "grantId", amount: "amount" });
json_to!(DrawPlan { draws: "draws", shortfall: "shortfall" });
json_to!(PreviewDraw {
    grant_id: "grantId",
    kind: "kind",
    amount: "amount",
    remaining_after: "remainingAfter",
    expires_at: "expiresAt",
    paid: "paid",
});
json_to!(DebitPreview { amount: "amount", available: "available", sufficient: "sufficient", shortfall: "shortfall", draws: "draws" });
