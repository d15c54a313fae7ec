//! What a use of an operation costs: credits charged, and what the provider would bill
//! the user's own key (BYOK) for the same tokens.
//!
//! The credit amount is rounded up to the catalog's step once, here, for the whole debit.

use crate::catalog::{Catalog, CatalogError, Charge, ModelDefinition, OperationDefinition};
use crate::money::{Credits, Usd};
use rust_decimal::Decimal;

/// Actual or expected usage of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Flashcards generated (per-card operations).
    pub cards: u64,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Text-to-speech characters (per-character operations).
    pub characters: u64,
}

fn times(price: Credits, n: u64, what: &str) -> Result<Decimal, CatalogError> {
    crate::decimal_ops::mul(price.value(), Decimal::from(n)).ok_or_else(|| CatalogError::Overflow(format!("{n} {what} at {price} each")))
}

/// Credits one use with `usage` costs, rounded up to the catalog's step.
///
/// `model` is the model the operation ran on (needed by token-priced operations).
pub fn credits_for(
    catalog: &Catalog,
    op: &OperationDefinition,
    model: Option<&ModelDefinition>,
    usage: &Usage,
) -> Result<Credits, CatalogError> {
    let raw = match &op.charge {
        Charge::Free => Decimal::ZERO,
        Charge::Flat { credits } => credits.value(),
        Charge::PerCard { credits_per_card } => times(*credits_per_card, usage.cards, "cards")?,
        Charge::PerCharacter { credits_per_character: Some(price), .. } => times(*price, usage.characters, "characters")?,
        Charge::PerCharacter { characters_per_credit, .. } => {
            let per = characters_per_credit.unwrap_or(Decimal::ONE);
            crate::decimal_ops::div(Decimal::from(usage.characters), per)
                .ok_or_else(|| CatalogError::Overflow(format!("{} characters at {per} per credit", usage.characters)))?
        }
        Charge::PerToken { tokens_per_credit: Some(per), .. } => {
            let tokens = usage.input_tokens.saturating_add(usage.output_tokens);
            crate::decimal_ops::div(Decimal::from(tokens), *per)
                .ok_or_else(|| CatalogError::Overflow(format!("{tokens} tokens at {per} per credit")))?
        }
        Charge::PerToken { markup, .. } => {
            let markup = markup.map_or(Decimal::ONE, |m| m.value());
            let model = match model {
                Some(m) => m,
                None => catalog.model(op.model.as_deref().unwrap_or_default())?,
            };
            let usd = model.usd_for(usage.input_tokens, usage.output_tokens)?;
            let credits = catalog.usd_to_credits(usd)?;
            crate::decimal_ops::mul(credits.value(), markup)
                .ok_or_else(|| CatalogError::Overflow(format!("{credits} with markup {markup}")))?
        }
    };
    catalog.round_debit(Credits::new(raw)?)
}

/// What the provider bills for these tokens on the user's own key (no rounding).
pub fn provider_usd(model: &ModelDefinition, usage: &Usage) -> Result<Usd, CatalogError> {
    model.usd_for(usage.input_tokens, usage.output_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(cards: u64, input: u64, output: u64, characters: u64) -> Usage {
        Usage { cards, input_tokens: input, output_tokens: output, characters }
    }

    #[test]
    fn per_card_is_one_credit_a_card() {
        let c = Catalog::default_catalog();
        let op = c.operation("flashcards.generate").unwrap();
        assert_eq!(credits_for(&c, op, None, &usage(12, 1800, 950, 0)).unwrap().to_plain_string(), "12");
    }

    #[test]
    fn per_token_at_a_fixed_rate_counts_every_token_and_rounds_once() {
        let c = Catalog::default_catalog();
        let op = c.operation("message").unwrap();
        // 1,000 tokens per credit (the AssistLore policy's llmTokens rate): 2,750 → 2.75.
        assert_eq!(credits_for(&c, op, None, &usage(0, 1800, 950, 0)).unwrap().to_plain_string(), "2.75");
        let big = c.model("openai/gpt-4o").unwrap();
        assert_eq!(credits_for(&c, op, Some(big), &usage(0, 1800, 950, 0)).unwrap().to_plain_string(), "2.75");
        let thirds =
            Catalog::parse(&crate::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""tokensPerCredit": "3000""#))
                .unwrap();
        // 1000 / 3000 = 0.333… → up to the 0.001 step once.
        assert_eq!(
            credits_for(&thirds, thirds.operation("message").unwrap(), None, &usage(0, 1000, 0, 0)).unwrap().to_plain_string(),
            "0.334"
        );
    }

    #[test]
    fn per_token_normalises_usd_into_credits_and_rounds_once() {
        let c = Catalog::parse(&crate::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#)).unwrap();
        let op = c.operation("message").unwrap();
        // 1800 × 0.00000015 + 950 × 0.0000006 = 0.00084 USD × 200 = 0.168 credits.
        assert_eq!(credits_for(&c, op, None, &usage(0, 1800, 950, 0)).unwrap().to_plain_string(), "0.168");
        // 1 token: 0.00000015 × 200 = 0.00003 → rounds up to the 0.001 step.
        assert_eq!(credits_for(&c, op, None, &usage(0, 1, 0, 0)).unwrap().to_plain_string(), "0.001");
        let big = c.model("openai/gpt-4o").unwrap();
        assert_eq!(credits_for(&c, op, Some(big), &usage(0, 1000, 1000, 0)).unwrap().to_plain_string(), "2.5");
    }

    #[test]
    fn per_character_flat_and_free() {
        let c = Catalog::default_catalog();
        let tts = c.operation("tts").unwrap();
        // 300 characters per credit, the AssistLore policy's conversion rate: 93 → 0.31, and
        // a remainder rounds up once to the step (1000 / 300 = 3.333… → 3.334).
        assert_eq!(credits_for(&c, tts, None, &usage(0, 0, 0, 93)).unwrap().to_plain_string(), "0.31");
        assert_eq!(credits_for(&c, tts, None, &usage(0, 0, 0, 1000)).unwrap().to_plain_string(), "3.334");
        assert_eq!(credits_for(&c, tts, None, &usage(0, 0, 0, 3000)).unwrap().to_plain_string(), "10");
        let act = c.operation("agent.activate").unwrap();
        assert_eq!(credits_for(&c, act, None, &Usage::default()).unwrap().to_plain_string(), "100");
        let review = c.operation("flashcards.review").unwrap();
        assert!(credits_for(&c, review, None, &usage(99, 99, 99, 99)).unwrap().is_zero());
    }

    #[test]
    fn provider_cost_is_exact() {
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        assert_eq!(provider_usd(m, &usage(0, 1800, 950, 0)).unwrap().to_plain_string(), "0.00084");
    }
}

json_struct!(Usage { cards: "cards", input_tokens: "inputTokens", output_tokens: "outputTokens", characters: "characters" });
