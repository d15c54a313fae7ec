//! Refunds: eligibility and the refund of a purchase.
//!
//! A purchase (its paid grant and its bonus grant) is refundable while
//! `now < refundableUntil` (purchase time + the policy's window; the end instant is
//! outside the window). A refund **voids what is left of the purchase** — paid and bonus
//! credits alike — and never touches credits already consumed. The money paid back is
//! the purchase price pro rata of the unused credits: `price × remaining ÷ (credits +
//! bonus)`, rounded down to the cent, so every credit of a purchase is worth the same
//! whichever of its grants was drawn first. Under a policy without refunds every purchase
//! is refused with `NOT_REFUNDABLE` (`policyForbids`).

use super::account::Account;
use super::entry::EntryKind;
use super::error::{add, sub, LedgerError, RefundRefusal};
use super::order::Draw;
use crate::money::{Credits, Usd};
use rust_decimal::{Decimal, RoundingStrategy};

/// Whether and how much a purchase can be refunded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundQuote {
    /// The purchase.
    pub purchase_id: String,
    /// Whether `refund` would succeed now.
    pub eligible: bool,
    /// Why not, when not.
    pub refusal: Option<RefundRefusal>,
    /// The first instant the purchase is no longer refundable.
    pub refundable_until: Option<i64>,
    /// Credits the purchase granted (paid + bonus).
    pub purchased: Credits,
    /// Credits of it already consumed (never refunded).
    pub consumed: Credits,
    /// Credits a refund voids (what is left of it).
    pub remaining: Credits,
    /// What was paid.
    pub price_usd: Usd,
    /// What a refund pays back.
    pub refund_usd: Usd,
}

impl Account {
    /// Whether a purchase can be refunded at `now`, and for how much.
    pub fn refund_quote(&mut self, purchase_id: &str, now: i64) -> Result<RefundQuote, LedgerError> {
        self.advance(now)?;
        let s = self.state();
        let members: Vec<_> = s.grants.iter().filter(|g| g.purchase_id.as_deref() == Some(purchase_id)).collect();
        let mut quote = RefundQuote {
            purchase_id: purchase_id.to_string(),
            eligible: false,
            refusal: None,
            refundable_until: members.iter().filter_map(|g| g.refundable_until).min(),
            purchased: Credits::ZERO,
            consumed: Credits::ZERO,
            remaining: Credits::ZERO,
            price_usd: members.iter().filter_map(|g| g.price_usd).next().unwrap_or_default(),
            refund_usd: Usd::ZERO,
        };
        if self.policy().refunds.is_none() {
            quote.refusal = Some(RefundRefusal::PolicyForbids);
            return Ok(quote);
        }
        if members.is_empty() {
            return Err(LedgerError::NotFound(format!("purchase {purchase_id:?}")));
        }
        for g in &members {
            quote.purchased = add(quote.purchased, g.amount)?;
            quote.consumed = add(quote.consumed, g.consumed)?;
            quote.remaining = add(quote.remaining, g.remaining)?;
        }
        let refusal = if s.refunded.iter().any(|p| p == purchase_id) {
            Some(RefundRefusal::AlreadyRefunded)
        } else if quote.refundable_until.is_none_or(|u| now >= u) {
            Some(RefundRefusal::WindowClosed)
        } else if quote.remaining.is_zero() {
            Some(RefundRefusal::NothingLeft)
        } else if sub(s.balance(), quote.remaining)? < s.held() {
            Some(RefundRefusal::Held)
        } else {
            None
        };
        quote.refusal = refusal;
        quote.eligible = refusal.is_none();
        if quote.eligible {
            let value = quote
                .price_usd
                .value()
                .checked_mul(quote.remaining.value())
                .and_then(|v| v.checked_div(quote.purchased.value()))
                .map(|v| v.round_dp_with_strategy(2, RoundingStrategy::ToZero))
                .unwrap_or(Decimal::ZERO);
            quote.refund_usd = Usd::new(value)?;
        }
        Ok(quote)
    }

    /// Refunds a purchase at `now`: voids what is left of it (bonus included) and returns
    /// the executed quote. Refused with `NOT_REFUNDABLE` and the reason.
    pub fn refund(&mut self, purchase_id: &str, now: i64) -> Result<RefundQuote, LedgerError> {
        let quote = self.refund_quote(purchase_id, now)?;
        if let Some(reason) = quote.refusal {
            return Err(LedgerError::NotRefundable { purchase_id: purchase_id.to_string(), reason });
        }
        let voided: Vec<Draw> = self
            .state()
            .grants
            .iter()
            .filter(|g| g.purchase_id.as_deref() == Some(purchase_id) && !g.remaining.is_zero())
            .map(|g| Draw { grant_id: g.id.clone(), amount: g.remaining })
            .collect();
        let refund_usd = quote.refund_usd;
        self.transact(now, |tx| {
            tx.push(now, EntryKind::Refund { purchase_id: purchase_id.to_string(), voided, refund_usd })?;
            Ok(quote)
        })
    }
}

json_to!(RefundQuote {
    purchase_id: "purchaseId",
    eligible: "eligible",
    refusal: "refusal",
    refundable_until: "refundableUntil",
    purchased: "purchased",
    consumed: "consumed",
    remaining: "remaining",
    price_usd: "priceUsd",
    refund_usd: "refundUsd",
});
