//! Credits for a proxied call, priced by the catalog's rule for the hold's operation,
//! rounded up once to the catalog's step, and **never below the call's cost** at the
//! model's prices (OpenRouter's reported `usage.cost` when higher, [`at_model_prices`]):
//! - a fixed token rate (`perToken` with `tokensPerCredit`, AssistLore's `message`): the
//!   provider's reported prompt and completion tokens ÷ `tokensPerCredit` — the rate the
//!   ledger policy converts `llmTokens` at, so a message paid in credits costs what the
//!   allowance would — or the call's cost when that is more (a model dearer per token
//!   than the rate: the operation's own model is the only one its hold may call,
//!   [`pinned_model`], but a catalog may pin a dear one, and an operation that names no
//!   model may call any);
//! - per card (`perCard` with `outputTokensPerCard`, True Recall's flashcards): the
//!   reported completion tokens ÷ `outputTokensPerCard` × `creditsPerCard` — the cards
//!   the answer is worth by the catalog's own measure of a card, so "1 credit ≈ 1 card"
//!   holds through the proxy (the proxy cannot count cards in an app's answer, and the
//!   client's count is not the authority, PROTOCOL §6.7) — and never less than the
//!   call's cost at the model's prices (below), so no call is sold under the provider's
//!   price;
//! - a `perToken` operation with a `markup`: the reported tokens at the model's USD
//!   prices, converted at the catalog's credits per USD, times the markup. When
//!   OpenRouter reports `usage.cost` and it comes to more, that is charged instead: the
//!   catalog's prices may lag the provider's;
//! - any other operation has no price for a call's tokens: the proxy refuses its holds
//!   ([`rate`]).
//!
//! A hold reserved in LLM tokens is settled in tokens, not credits ([`tokens_for`]): the
//! reported tokens, or the tokens whose worth at the policy's rate covers the call's cost
//! when that is more.

use super::usage::Reported;
use credit_meter_core::catalog::{Catalog, Charge, ModelDefinition, TokenRate};
use credit_meter_core::pricing::{self, Usage};
use credit_meter_protocol::decimal_ops::{div, mul};
use credit_meter_protocol::money::Credits;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// How a proxied call on an operation is priced from the provider's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyRate {
    /// By tokens: a fixed rate, or the model's prices times a markup.
    Tokens(TokenRate),
    /// By the cards the completion is worth: `output_tokens_per_card` completion tokens
    /// make one card of `credits_per_card`; at least the cost at the model's prices.
    PerCard { credits_per_card: Credits, output_tokens_per_card: u64 },
}

/// How the operation `operation` prices a proxied call: its token rate when it is
/// token-priced; per card when it is priced per card and says how many completion
/// tokens a card takes. `None` for any other operation — free, flat, per character, per
/// card without `outputTokensPerCard`, or not in the catalog: the catalog gives no price
/// for an AI call's tokens there, and pricing them at the model's cost would let a
/// client label its hold with the cheapest operation (a 1-credit hold of a free
/// operation would buy some 8,000 completion tokens, ~130 cards). The proxy refuses such
/// a hold (`HOLD_NOT_OPEN`) and releases it before the provider is called.
pub(crate) fn rate(catalog: &Catalog, operation: &str) -> Option<ProxyRate> {
    let op = catalog.operation(operation).ok()?;
    match (&op.charge, op.output_tokens_per_card) {
        (Charge::PerCard { credits_per_card }, Some(t)) if t > 0 => {
            Some(ProxyRate::PerCard { credits_per_card: *credits_per_card, output_tokens_per_card: t })
        }
        (charge, _) => charge.token_rate().map(ProxyRate::Tokens),
    }
}

/// The only model a proxied call paid by a hold of `operation` may ask for: the catalog
/// operation's `model`, when it names one and its price is a fixed token rate
/// (`tokensPerCredit`, AssistLore's `message`). A fixed rate was set for that model's
/// costs: without the pin, a client could label a hold with an operation priced for a
/// cheap model and buy a dear one's tokens at the cheap model's rate (the floor at cost,
/// [`credits_for`], keeps that above the provider's price, not at the vendor's margin).
/// A per-card or markup price follows the model the call uses (True Recall lets its user
/// pick the model that writes the cards), so those are not pinned. `None`: no pin (any
/// catalog model; the charge is still never below the call's cost).
pub(crate) fn pinned_model<'c>(catalog: &'c Catalog, operation: &str) -> Option<&'c str> {
    let fixed = matches!(rate(catalog, operation), Some(ProxyRate::Tokens(TokenRate::Fixed(_))));
    catalog.operation(operation).ok().filter(|_| fixed)?.model.as_deref()
}

/// The credits `usage` on `model` costs for `operation`.
pub(crate) fn credits_for(catalog: &Catalog, model: &ModelDefinition, operation: &str, usage: &Reported) -> Result<Credits, String> {
    let rate = rate(catalog, operation).ok_or_else(|| format!("the catalog gives operation {operation:?} no price for an AI call"))?;
    let m = match rate {
        // The catalog's own price (`pricing::credits_for`): the reported tokens at the
        // fixed rate, rounded up once; never below the call's cost.
        ProxyRate::Tokens(TokenRate::Fixed(_)) => {
            let op = catalog.operation(operation).map_err(|e| e.to_string())?;
            let tokens = Usage { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, ..Usage::default() };
            let by_rate = pricing::credits_for(catalog, op, Some(model), &tokens).map_err(|e| e.to_string())?;
            return Ok(by_rate.max(at_model_prices(catalog, model, usage, Decimal::ONE)?));
        }
        ProxyRate::PerCard { credits_per_card, output_tokens_per_card } => {
            let cards = div(Decimal::from(usage.completion_tokens), Decimal::from(output_tokens_per_card)).ok_or("the price overflows")?;
            let raw = mul(cards, credits_per_card.value()).ok_or("the price overflows")?;
            let by_cards = catalog.round_debit(Credits::new(raw).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            return Ok(by_cards.max(at_model_prices(catalog, model, usage, Decimal::ONE)?));
        }
        ProxyRate::Tokens(TokenRate::Markup(m)) => m.value(),
    };
    at_model_prices(catalog, model, usage, m)
}

/// The LLM tokens a call paid by a hold reserved in tokens commits: the reported prompt
/// plus completion tokens, or — when more — the fewest whole tokens worth the call's cost
/// at the policy's rate of `units_per_credit` tokens a credit: ⌈cost × rate⌉, the cost
/// being [`at_model_prices`] at markup 1 (rounded up to the step). The ledger draws them
/// from the allowance and converts any shortfall at the same rate, so the call is never
/// paid below its cost in allowance or in credits.
pub(crate) fn tokens_for(catalog: &Catalog, model: &ModelDefinition, usage: &Reported, units_per_credit: Decimal) -> Result<u64, String> {
    let used = usage.prompt_tokens.saturating_add(usage.completion_tokens);
    let cost = at_model_prices(catalog, model, usage, Decimal::ONE)?;
    let worth = mul(cost.value(), units_per_credit).ok_or("the price overflows")?.ceil();
    Ok(used.max(worth.to_u64().ok_or("the price overflows")?))
}

/// `usage` at the model's prices (or OpenRouter's reported cost when higher) × `markup`.
fn at_model_prices(catalog: &Catalog, model: &ModelDefinition, usage: &Reported, markup: Decimal) -> Result<Credits, String> {
    let usd = model.usd_for(usage.prompt_tokens, usage.completion_tokens).map_err(|e| e.to_string())?;
    let at_catalog = to_credits(catalog, usd.value(), markup)?;
    match usage.cost {
        Some(cost) => Ok(at_catalog.max(to_credits(catalog, cost.value(), markup)?)),
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
    fn a_fixed_rate_operation_charges_its_tokens_per_credit_never_below_cost() {
        let c = Catalog::default_catalog();
        let (mini, big) = (c.model("openai/gpt-4o-mini").unwrap(), c.model("openai/gpt-4o").unwrap());
        let u = Reported { prompt_tokens: 1800, completion_tokens: 950, cost: None };
        // 2750 tokens at 1000 per credit (the AssistLore policy's llmTokens rate) = 2.75;
        // at gpt-4o-mini's prices they cost 0.168, less.
        assert_eq!(credits_for(&c, mini, "message", &u).unwrap().to_plain_string(), "2.75");
        // At gpt-4o's, 1800 × 0.0000025 + 950 × 0.00001 = 0.014 USD × 200 = 2.8 credits: more
        // than the rate, so the cost is charged.
        assert_eq!(credits_for(&c, big, "message", &u).unwrap().to_plain_string(), "2.8");
        // The reviewer's call: 1,000 prompt and 9,972 completion tokens on gpt-4-turbo were
        // charged 10.972 credits at the rate ($0.055) for $0.30916 of the provider's; now
        // its cost, 61.832 credits.
        let turbo = c.model("openai/gpt-4-turbo").unwrap();
        let dear = Reported { prompt_tokens: 1000, completion_tokens: 9972, cost: None };
        assert_eq!(credits_for(&c, turbo, "message", &dear).unwrap().to_plain_string(), "61.832");
        // A reported cost above both is charged: $1 = 200 credits.
        let costly = Reported { cost: Some(Usd::parse("1").unwrap()), ..u };
        assert_eq!(credits_for(&c, mini, "message", &costly).unwrap().to_plain_string(), "200");
        let cheap = Reported { cost: Some(Usd::parse("0.001").unwrap()), ..u };
        assert_eq!(credits_for(&c, mini, "message", &cheap).unwrap().to_plain_string(), "2.75");
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
        // An operation that is neither token- nor card-priced has no price for a call.
        for op in ["tts", "agent.activate", "flashcards.review", "no.such.operation"] {
            assert_eq!(rate(&c, op), None, "{op}");
            assert!(credits_for(&c, mini, op, &u).is_err(), "{op}");
        }
    }

    #[test]
    fn a_token_hold_commits_its_tokens_or_the_tokens_its_cost_is_worth() {
        let c = Catalog::default_catalog();
        let (mini, turbo) = (c.model("openai/gpt-4o-mini").unwrap(), c.model("openai/gpt-4-turbo").unwrap());
        let thousand = Decimal::from(1000);
        // gpt-4o-mini: 2,750 tokens cost 0.168 credits = 168 tokens' worth: the tokens.
        let u = Reported { prompt_tokens: 1800, completion_tokens: 950, cost: None };
        assert_eq!(tokens_for(&c, mini, &u, thousand), Ok(2750));
        // gpt-4-turbo: 10,972 tokens cost 61.832 credits = 61,832 tokens at 1,000 a credit.
        let dear = Reported { prompt_tokens: 1000, completion_tokens: 9972, cost: None };
        assert_eq!(tokens_for(&c, turbo, &dear, thousand), Ok(61_832));
        // OpenRouter's reported cost when higher: $1 = 200 credits = 200,000 tokens.
        let costly = Reported { cost: Some(Usd::parse("1").unwrap()), ..u };
        assert_eq!(tokens_for(&c, mini, &costly, thousand), Ok(200_000));
        // The worth is rounded up to a whole token: 1 token costs 0.001 credit (the step) = 3
        // tokens at 3,000 a credit.
        let one = Reported { prompt_tokens: 1, completion_tokens: 0, cost: None };
        assert_eq!(tokens_for(&c, mini, &one, Decimal::from(3000)), Ok(3));
    }

    #[test]
    fn a_per_card_operation_charges_the_cards_its_completion_is_worth_never_under_cost() {
        let c = Catalog::default_catalog();
        let mini = c.model("openai/gpt-4o-mini").unwrap();
        assert_eq!(
            rate(&c, "flashcards.generate").unwrap(),
            ProxyRate::PerCard { credits_per_card: Credits::parse("1").unwrap(), output_tokens_per_card: 60 }
        );
        // 240 completion tokens at 60 per card = 4 cards = 4 credits; the prompt is in the card's price.
        let four = Reported { prompt_tokens: 1800, completion_tokens: 240, cost: None };
        assert_eq!(credits_for(&c, mini, "flashcards.generate", &four).unwrap().to_plain_string(), "4");
        // 88 tokens = 1.4666… cards, rounded up once to the step (0.001).
        let part = Reported { prompt_tokens: 82, completion_tokens: 88, cost: None };
        assert_eq!(credits_for(&c, mini, "flashcards.generate", &part).unwrap().to_plain_string(), "1.467");
        // A provider whose reported cost is above the cards' price is charged its cost.
        let costly = Reported { cost: Some(credit_meter_protocol::money::Usd::parse("0.05").unwrap()), ..four };
        assert_eq!(credits_for(&c, mini, "flashcards.generate", &costly).unwrap().to_plain_string(), "10");
        // Without outputTokensPerCard the operation has no card measure: no price for a call.
        let bare =
            Catalog::parse(&credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(",\n      \"outputTokensPerCard\": 60", "")).unwrap();
        assert_eq!(rate(&bare, "flashcards.generate"), None);
    }

    /// The default catalog with `message` priced by its model again (markup 1).
    fn model_priced() -> Catalog {
        let json = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""markup": "1""#);
        Catalog::parse(&json).unwrap()
    }
}
