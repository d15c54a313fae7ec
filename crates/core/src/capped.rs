//! The smaller result that fits: when the balance does not cover an operation's high
//! estimate, the largest capped version of the same call that it does cover — at most N
//! flashcards, or a reply of at most M tokens — so a user with enough for part of the
//! work is offered that part instead of a flat "not enough credits".
//!
//! The cap is expressed in the estimate request's own fields (`cards`,
//! `maxOutputTokens`): estimating the same request with the cap added gives a high
//! estimate of exactly [`CappedOffer::reserve`], which the balance covers, so `decide`
//! on it says `credits`. The caller honours the cap by asking the AI for no more than
//! that (the usage it commits then never exceeds the hold).

use crate::catalog::{Catalog, CatalogError, Charge, OperationDefinition};
use crate::estimate::Estimate;
use crate::money::Credits;
use crate::pricing::{credits_for, Usage};

/// The shortest reply worth offering for a token-priced call: a cap below this would cut
/// an answer off before it says anything useful, so no capped option is offered.
pub const MIN_CAPPED_OUTPUT_TOKENS: u64 = 50;

/// A smaller version of the estimated call that the balance covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CappedOffer {
    /// At most this many flashcards (per-card operations): estimate again with `cards`.
    pub cards: Option<u64>,
    /// At most this many completion tokens (per-token operations): estimate again with
    /// `maxOutputTokens`, and pass the same limit to the AI call.
    pub max_output_tokens: Option<u64>,
    /// Credits to hold for the capped call: its high estimate, within the balance.
    pub reserve: Credits,
    /// Credits the capped call most likely costs.
    pub expected: Credits,
}

/// The largest `n` in `0..limit` with `fits(n)`, for a `fits` that holds up to some
/// point and not after it; `None` when not even `0` fits.
fn largest_fitting(limit: u64, mut fits: impl FnMut(u64) -> Result<bool, CatalogError>) -> Result<Option<u64>, CatalogError> {
    if limit == 0 || !fits(0)? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (0, limit - 1); // fits(lo) holds; the answer is in lo..=hi
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid)? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(Some(lo))
}

/// The capped option for `est` under `balance`, when there is a useful one: per-card
/// operations offer at least one card, per-token ones at least
/// [`MIN_CAPPED_OUTPUT_TOKENS`]; other charges (per character, flat) cannot be capped.
/// Only meaningful when the balance does not cover `est.credits.high`.
pub fn capped_offer(
    catalog: &Catalog,
    op: &OperationDefinition,
    est: &Estimate,
    balance: Credits,
) -> Result<Option<CappedOffer>, CatalogError> {
    let model = match est.model.as_deref() {
        Some(id) => Some(catalog.model(id)?),
        None => None,
    };
    let price = |usage: Usage| credits_for(catalog, op, model, &usage);
    match &op.charge {
        Charge::PerCard { .. } => {
            let Some(cards) = est.cards else { return Ok(None) };
            let usage = |n: u64| Usage { cards: n, input_tokens: est.input_tokens.high, output_tokens: 0, characters: 0 };
            let Some(n) = largest_fitting(cards.high, |n| Ok(price(usage(n))? <= balance))?.filter(|n| *n >= 1) else {
                return Ok(None);
            };
            let reserve = price(usage(n))?;
            Ok(Some(CappedOffer { cards: Some(n), max_output_tokens: None, reserve, expected: reserve }))
        }
        Charge::PerToken { .. } => {
            let input = est.input_tokens;
            let usage = |input_tokens: u64, m: u64| Usage { cards: 0, input_tokens, output_tokens: m, characters: 0 };
            let fitting = largest_fitting(est.output_tokens.high, |m| Ok(price(usage(input.high, m))? <= balance))?;
            let Some(m) = fitting.filter(|m| *m >= MIN_CAPPED_OUTPUT_TOKENS) else { return Ok(None) };
            let reserve = price(usage(input.high, m))?;
            let expected = price(usage(input.expected, est.output_tokens.expected.min(m)))?;
            Ok(Some(CappedOffer { cards: None, max_output_tokens: Some(m), reserve, expected }))
        }
        Charge::Free | Charge::Flat { .. } | Charge::PerCharacter { .. } => Ok(None),
    }
}

json_to!(CappedOffer { cards: "cards", max_output_tokens: "maxOutputTokens", reserve: "reserve", expected: "expected" });

#[cfg(test)]
#[path = "capped_tests.rs"]
mod tests;
