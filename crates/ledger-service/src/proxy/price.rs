//! Credits for a proxied call, priced by the catalog's rule for the hold's operation,
//! rounded up once to the catalog's step:
//! - a fixed token rate (`perToken` with `tokensPerCredit`, AssistLore's `message`): the
//!   provider's reported prompt and completion tokens ÷ `tokensPerCredit`, whatever the
//!   model and whatever the provider says it cost — the rate the ledger policy converts
//!   `llmTokens` at, so a message paid in credits costs what the allowance would;
//! - otherwise the reported tokens at the model's USD prices, converted at the catalog's
//!   credits per USD, times the markup of the operation when it is token-priced (1
//!   otherwise). When OpenRouter reports `usage.cost` and it comes to more, that is
//!   charged instead: the catalog's prices may lag the provider's.

use super::usage::Reported;
use credit_meter_core::catalog::{Catalog, ModelDefinition, TokenRate};
use credit_meter_core::pricing::{self, Usage};
use credit_meter_protocol::decimal_ops::mul;
use credit_meter_protocol::money::Credits;
use rust_decimal::Decimal;

/// How the operation `operation` prices tokens: its token rate when it is token-priced,
/// else the model's price at markup 1.
pub(crate) fn rate(catalog: &Catalog, operation: &str) -> TokenRate {
    catalog.operation(operation).ok().and_then(|o| o.charge.token_rate()).unwrap_or(TokenRate::Markup(one()))
}

fn one() -> Credits {
    Credits::new(Decimal::ONE).unwrap_or(Credits::ZERO)
}

/// The credits `usage` on `model` costs for `operation`.
pub(crate) fn credits_for(catalog: &Catalog, model: &ModelDefinition, operation: &str, usage: &Reported) -> Result<Credits, String> {
    let m = match rate(catalog, operation) {
        // The catalog's own price (`pricing::credits_for`): the reported tokens at the
        // fixed rate, rounded up once.
        TokenRate::Fixed(_) => {
            let op = catalog.operation(operation).map_err(|e| e.to_string())?;
            let tokens = Usage { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, ..Usage::default() };
            return pricing::credits_for(catalog, op, Some(model), &tokens).map_err(|e| e.to_string());
        }
        TokenRate::Markup(m) => m.value(),
    };
    let usd = model.usd_for(usage.prompt_tokens, usage.completion_tokens).map_err(|e| e.to_string())?;
    let at_catalog = to_credits(catalog, usd.value(), m)?;
    match usage.cost {
        Some(cost) => Ok(at_catalog.max(to_credits(catalog, cost.value(), m)?)),
        None => Ok(at_catalog),
    }
}

fn to_credits(catalog: &Catalog, usd: Decimal, markup: Decimal) -> Result<Credits, String> {
    let raw = mul(usd, catalog.credits_per_usd()).and_then(|c| mul(c, markup)).ok_or("the price overflows")?;
    let credits = Credits::new(raw).map_err(|e| e.to_string())?;
    catalog.round_debit(credits).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit_meter_protocol::money::Usd;

    #[test]
    fn tokens_at_the_catalog_price_and_cost_when_higher() {
        let c = model_priced();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let u = Reported { prompt_tokens: 1800, completion_tokens: 950, cost: None };
        // 1800 × 0.00000015 + 950 × 0.0000006 = 0.00084 USD × 200 = 0.168 credits.
        assert_eq!(credits_for(&c, m, "message", &u).unwrap().to_plain_string(), "0.168");
        let higher = Reported { cost: Some(Usd::parse("0.001").unwrap()), ..u.clone() };
        assert_eq!(credits_for(&c, m, "message", &higher).unwrap().to_plain_string(), "0.2");
        let lower = Reported { cost: Some(Usd::parse("0.0001").unwrap()), ..u };
        assert_eq!(credits_for(&c, m, "message", &lower).unwrap().to_plain_string(), "0.168");
    }

    #[test]
    fn a_fixed_rate_operation_charges_its_tokens_per_credit_whatever_the_model_or_cost() {
        let c = Catalog::default_catalog();
        let (mini, big) = (c.model("openai/gpt-4o-mini").unwrap(), c.model("openai/gpt-4o").unwrap());
        let u = Reported { prompt_tokens: 1800, completion_tokens: 950, cost: None };
        // 2750 tokens at 1000 per credit (the AssistLore policy's llmTokens rate) = 2.75.
        assert_eq!(credits_for(&c, mini, "message", &u).unwrap().to_plain_string(), "2.75");
        assert_eq!(credits_for(&c, big, "message", &u).unwrap().to_plain_string(), "2.75");
        let costly = Reported { cost: Some(Usd::parse("1").unwrap()), ..u };
        assert_eq!(credits_for(&c, mini, "message", &costly).unwrap().to_plain_string(), "2.75");
        // 1 token = 0.001 credit exactly; 1001 tokens round up once, to 1.001.
        let one = Reported { prompt_tokens: 1, completion_tokens: 0, cost: None };
        assert_eq!(credits_for(&c, mini, "message", &one).unwrap().to_plain_string(), "0.001");
        let odd = Reported { prompt_tokens: 1000, completion_tokens: 1, cost: None };
        assert_eq!(credits_for(&c, mini, "message", &odd).unwrap().to_plain_string(), "1.001");
        let c3 = Catalog::parse(
            &credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""tokensPerCredit": "3000""#),
        )
        .unwrap();
        // 1000 / 3000 = 0.333… → rounds up to 0.334, never down.
        assert_eq!(
            credits_for(&c3, mini, "message", &Reported { prompt_tokens: 1000, completion_tokens: 0, cost: None })
                .unwrap()
                .to_plain_string(),
            "0.334"
        );
        // An operation that is not token-priced pays at the model's price (markup 1).
        assert_eq!(credits_for(&c, mini, "flashcards.generate", &u).unwrap().to_plain_string(), "0.168");
    }

    /// The default catalog with `message` priced by its model again (markup 1).
    fn model_priced() -> Catalog {
        let json = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#);
        Catalog::parse(&json).unwrap()
    }
}
