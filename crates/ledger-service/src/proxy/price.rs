//! Credits for a proxied call, priced by the catalog: the provider's reported tokens at
//! the model's USD prices, converted at the catalog's credits per USD, times the markup
//! of the hold's operation when it is token-priced (1 otherwise), rounded up once to the
//! catalog's step. When OpenRouter reports `usage.cost` and it comes to more, that is
//! charged instead: the catalog's prices may lag the provider's.

use super::usage::Reported;
use credit_meter_core::catalog::{Catalog, Charge, ModelDefinition};
use credit_meter_protocol::decimal_ops::mul;
use credit_meter_protocol::money::Credits;
use rust_decimal::Decimal;

/// The markup on token prices of the operation `operation` (1 unless token-priced).
pub(crate) fn markup(catalog: &Catalog, operation: &str) -> Decimal {
    match catalog.operation(operation).map(|o| &o.charge) {
        Ok(Charge::PerToken { markup }) => markup.value(),
        _ => Decimal::ONE,
    }
}

/// The credits `usage` on `model` costs for `operation`.
pub(crate) fn credits_for(catalog: &Catalog, model: &ModelDefinition, operation: &str, usage: &Reported) -> Result<Credits, String> {
    let m = markup(catalog, operation);
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
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let u = Reported { prompt_tokens: 1800, completion_tokens: 950, cost: None };
        // 1800 × 0.00000015 + 950 × 0.0000006 = 0.00084 USD × 200 = 0.168 credits.
        assert_eq!(credits_for(&c, m, "message", &u).unwrap().to_plain_string(), "0.168");
        let higher = Reported { cost: Some(Usd::parse("0.001").unwrap()), ..u.clone() };
        assert_eq!(credits_for(&c, m, "message", &higher).unwrap().to_plain_string(), "0.2");
        let lower = Reported { cost: Some(Usd::parse("0.0001").unwrap()), ..u };
        assert_eq!(credits_for(&c, m, "message", &lower).unwrap().to_plain_string(), "0.168");
    }
}
