//! What a proxied request may ask for: a catalog model, text messages, one choice, only
//! the fields of [`FORWARDED`], and at most the `max_tokens` whose worst-case cost at the
//! catalog's rate fits the hold.
//!
//! The prompt's tokens are not known before the provider counts them, so they are bounded
//! by the request body's length in bytes: every token of a byte-level BPE tokenizer is at
//! least one byte of the text, and the body holds all of the text plus JSON syntax. Only
//! text content is accepted for that reason (an image's tokens are not bounded by its URL).

use credit_meter_core::catalog::{Catalog, ModelDefinition, TokenRate};
use credit_meter_protocol::decimal_ops::{div, mul, sub};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Credits;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;

/// The most output tokens a proxied call may ask for whatever the hold (a sanity bound).
pub(crate) const MAX_OUTPUT_TOKENS: u64 = 1_000_000;

/// The request fields the proxy forwards: the model, the messages, the length and the
/// sampling of one choice, its output format, function tools and the end-user id —
/// nothing that changes what the call costs beyond the catalog model's tokens, which the
/// hold was sized for. Everything else is refused, not dropped, so a client learns why:
/// providers keep adding fields that pick another model (OpenRouter's `models` fallbacks
/// and `route`), a dearer host of the model (`provider`), paid extras (`plugins` such as
/// web search, `web_search_options`), a dearer tier (`service_tier`) or output the cap
/// does not bound (`audio`, `modalities`, `prediction`) — an allow-list stays closed to
/// the next one.
pub(crate) const FORWARDED: [&str; 25] = [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "n",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "top_a",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "seed",
    "stop",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
];

/// The members a message may have, a text content part, a tool call in an assistant
/// message, a function tool, and `stream_options`: the same closed list one level down,
/// since providers read extras there too (OpenRouter's and Anthropic's `cache_control`
/// bills cache writes above the input price, a message's `plugins`, an `image_url` beside
/// a text part's text).
const MESSAGE: [&str; 5] = ["role", "content", "name", "tool_calls", "tool_call_id"];
const TEXT_PART: [&str; 2] = ["type", "text"];
const TOOL_CALL: [&str; 3] = ["id", "type", "function"];
const CALLED_FUNCTION: [&str; 2] = ["name", "arguments"];
const TOOL: [&str; 2] = ["type", "function"];
const FUNCTION: [&str; 4] = ["name", "description", "parameters", "strict"];
const STREAM_OPTIONS: [&str; 1] = ["include_usage"];

const RESPONSE_FORMAT: [&str; 2] = ["type", "json_schema"];
const JSON_SCHEMA: [&str; 4] = ["name", "description", "schema", "strict"];
const TOOL_CHOICE: [&str; 2] = ["type", "function"];
const CHOSEN_FUNCTION: [&str; 1] = ["name"];

/// What the plain members must be: numbers for the sampling parameters, booleans, strings;
/// anything else (an object in their place, where a provider might read options) is
/// refused.
fn plain_members(obj: &serde_json::Map<String, Value>) -> Result<(), (ErrorCode, String)> {
    fn integer(v: &Value) -> bool {
        v.is_i64() || v.is_u64()
    }
    fn strings(v: &Value) -> bool {
        v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    }
    fn numbers(v: &Value) -> bool {
        v.as_object().is_some_and(|o| o.values().all(Value::is_number))
    }
    // The forwarded `max_tokens` is what bounds the call to its hold: 0 (which some
    // providers read as "no limit") or a negative one is refused, not forwarded.
    fn positive(v: &Value) -> bool {
        v.as_u64().is_some_and(|n| n >= 1)
    }
    type Fits = fn(&Value) -> bool;
    let kind = |k: &str| -> Option<(&str, Fits)> {
        match k {
            "temperature" | "top_p" | "top_k" | "min_p" | "top_a" | "frequency_penalty" | "presence_penalty" | "repetition_penalty" => {
                Some(("a number", Value::is_number))
            }
            "seed" | "top_logprobs" | "n" => Some(("an integer", integer)),
            "max_tokens" | "max_completion_tokens" => Some(("at least 1 (an integer)", positive)),
            "logprobs" | "parallel_tool_calls" => Some(("a boolean", Value::is_boolean)),
            "user" => Some(("a string", Value::is_string)),
            "stop" => Some(("a string or a list of strings", strings)),
            "logit_bias" => Some(("an object of numbers", numbers)),
            _ => None,
        }
    };
    for (k, v) in obj {
        if let Some((what, fits)) = kind(k) {
            if !v.is_null() && !fits(v) {
                return Err((ErrorCode::BadRequest, format!("{k:?} must be {what}")));
            }
        }
    }
    Ok(())
}

/// Refuses an object with a member outside `allowed` (`what` names where, for the message).
fn closed(v: &Value, allowed: &[&str], what: &str) -> Result<(), (ErrorCode, String)> {
    let Some(obj) = v.as_object() else {
        return Err((ErrorCode::BadRequest, format!("{what} is not an object")));
    };
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(field) => Err((
            ErrorCode::BadRequest,
            format!("the field {field:?} of {what} is not proxied: it could make the provider bill beyond what the hold pays for"),
        )),
        None => Ok(()),
    }
}

/// Checks a request body and returns its model (a catalog model) and whether it streams.
pub(crate) fn check<'a>(catalog: &'a Catalog, body: &Value) -> Result<(&'a ModelDefinition, bool), (ErrorCode, String)> {
    let bad = |m: &str| (ErrorCode::BadRequest, m.to_string());
    closed(body, &FORWARDED, "the request")?;
    let obj = body.as_object().ok_or_else(|| bad("the request is not an object"))?;
    if let Some(tools) = obj.get("tools") {
        let only_functions = || bad("only function tools (\"type\": \"function\") are proxied");
        for tool in tools.as_array().ok_or_else(only_functions)? {
            if tool.get("type").and_then(Value::as_str) != Some("function") {
                return Err(only_functions());
            }
            closed(tool, &TOOL, "a tool")?;
            if let Some(f) = tool.get("function") {
                closed(f, &FUNCTION, "a tool's function")?;
            }
        }
    }
    if let Some(o) = obj.get("stream_options").filter(|o| !o.is_null()) {
        closed(o, &STREAM_OPTIONS, "stream_options")?;
    }
    plain_members(obj)?;
    if let Some(f) = obj.get("response_format").filter(|f| !f.is_null()) {
        closed(f, &RESPONSE_FORMAT, "response_format")?;
        if !matches!(f.get("type").and_then(Value::as_str), Some("text" | "json_object" | "json_schema")) {
            return Err(bad("response_format's type must be \"text\", \"json_object\" or \"json_schema\""));
        }
        if let Some(schema) = f.get("json_schema") {
            closed(schema, &JSON_SCHEMA, "response_format's json_schema")?;
        }
    }
    match obj.get("tool_choice") {
        None | Some(Value::Null) => {}
        Some(Value::String(c)) if matches!(c.as_str(), "none" | "auto" | "required") => {}
        Some(c @ Value::Object(_)) if c.get("type").and_then(Value::as_str) == Some("function") => {
            closed(c, &TOOL_CHOICE, "tool_choice")?;
            if let Some(f) = c.get("function") {
                closed(f, &CHOSEN_FUNCTION, "tool_choice's function")?;
            }
        }
        Some(_) => return Err(bad("tool_choice must be \"none\", \"auto\", \"required\" or a function")),
    }
    let model = obj.get("model").and_then(Value::as_str).ok_or_else(|| bad("no \"model\""))?;
    let model = catalog.model(model).map_err(|_| (ErrorCode::UnknownModel, format!("model {model:?} is not in the catalog")))?;
    let messages = obj.get("messages").and_then(Value::as_array).ok_or_else(|| bad("no \"messages\" array"))?;
    for m in messages {
        closed(m, &MESSAGE, "a message")?;
        let only_text = || bad("only text message content is proxied");
        match m.get("content") {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(Value::Array(parts)) => {
                for part in parts {
                    if part.get("type").and_then(Value::as_str) != Some("text") {
                        return Err(only_text());
                    }
                    closed(part, &TEXT_PART, "a content part")?;
                }
            }
            Some(_) => return Err(only_text()),
        }
        for call in m.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            closed(call, &TOOL_CALL, "a tool call")?;
            if let Some(f) = call.get("function") {
                closed(f, &CALLED_FUNCTION, "a tool call's function")?;
            }
        }
    }
    if obj.get("n").is_some_and(|n| n.as_u64() != Some(1)) {
        return Err(bad("only one choice (n = 1) is proxied"));
    }
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("\"stream\" is not a boolean")),
    };
    Ok((model, stream))
}

/// The most completion tokens whose cost, with `prompt_bound` prompt tokens, fits `hold`
/// at `rate` (one credit step kept for rounding): at a fixed rate, the tokens the hold
/// buys less the prompt's, and no more than the hold pays for at the model's prices (the
/// fixed-rate charge is never below cost, `price::credits_for`); at the model's prices,
/// what the USD the hold buys leaves after the prompt (and any per-request price), × the
/// markup. `None`: not even one.
pub(crate) fn max_tokens_within(
    catalog: &Catalog,
    model: &ModelDefinition,
    rate: TokenRate,
    hold: Credits,
    prompt_bound: u64,
) -> Option<u64> {
    let credits = sub(hold.value(), catalog.credit_step().value())?;
    let markup = match rate {
        TokenRate::Fixed(per) => {
            if credits <= Decimal::ZERO {
                return None;
            }
            let by_rate = mul(credits, per)?.floor().to_u64()?.checked_sub(prompt_bound)?;
            let n = by_rate.min(max_tokens_at_cost(catalog, model, hold, prompt_bound)?).min(MAX_OUTPUT_TOKENS);
            return (n >= 1).then_some(n);
        }
        TokenRate::Markup(m) => m.value(),
    };
    let per_usd = mul(catalog.credits_per_usd(), markup)?;
    let usd = div(credits, per_usd)?;
    let p = &model.pricing;
    let prompt = mul(p.prompt.value(), Decimal::from(prompt_bound))?;
    let request = p.request.map(|r| r.value()).unwrap_or_default();
    let left = sub(sub(usd, prompt)?, request)?;
    if left <= Decimal::ZERO {
        return None;
    }
    let per_token = p.completion.value();
    let n = if per_token.is_zero() { MAX_OUTPUT_TOKENS } else { div(left, per_token)?.floor().to_u64()?.min(MAX_OUTPUT_TOKENS) };
    (n >= 1).then_some(n)
}

/// The most completion tokens a hold of `hold` credits pays for at `credits_per_card`
/// per `output_tokens_per_card` tokens (one credit step kept for rounding), within what
/// its cost at the model's prices allows too (the per-card price is never below cost).
/// `None`: not even one.
pub(crate) fn max_tokens_for_cards(
    catalog: &Catalog,
    model: &ModelDefinition,
    credits_per_card: Credits,
    output_tokens_per_card: u64,
    hold: Credits,
    prompt_bound: u64,
) -> Option<u64> {
    let credits = sub(hold.value(), catalog.credit_step().value())?;
    if credits <= Decimal::ZERO || credits_per_card.value() <= Decimal::ZERO {
        return None;
    }
    let by_cards = mul(div(credits, credits_per_card.value())?, Decimal::from(output_tokens_per_card))?.floor().to_u64()?;
    let at_cost = max_tokens_within(catalog, model, TokenRate::Markup(Credits::new(Decimal::ONE).ok()?), hold, prompt_bound)?;
    let n = by_cards.min(at_cost).min(MAX_OUTPUT_TOKENS);
    (n >= 1).then_some(n)
}

/// The largest request whose tokens the proxy counts: ~90 ms of one core for 256 KiB of
/// random letters (measured, release build); a longer one is bounded by its bytes.
pub(crate) const COUNTED_BYTES: usize = 256 << 10;

/// Tokens added to the count of a request with `tools` or a `response_format`: the
/// provider writes their definitions in its own format, which can cost more than their
/// JSON (about 7 + 12 tokens a function by OpenAI's count, against ~11 for its JSON).
pub(crate) const DEFINITIONS_SLACK: u64 = 32;

/// The prompt tokens a call is capped for: the exact tokens of the request as it is
/// forwarded (re-serialized: raw UTF-8, where a `\u` escape in the client's body counted
/// two tokens for a character the provider gets as three) in the model's encoding
/// (tiktoken-rs), its messages, tools and format with their JSON (which only adds), plus 3
/// for the reply's priming and [`DEFINITIONS_SLACK`] when it has tools or a format; never
/// above its bytes, and its bytes when the model names no encoding or the request is above
/// [`COUNTED_BYTES`] (a prompt that long needs a hold of that size in any case).
///
/// The bytes alone were a true bound, but four times the tokens of ordinary text: a hold
/// sized by the client's estimate could not pay for a message of 2,000 characters
/// (`HOLD_TOO_SMALL`). The package's estimate is no bound: it is off by a few percent for
/// ordinary text, more for text it does not model (Braille and private-use symbols cost
/// about three times what it says), and a client may send a longer prompt than it
/// estimated. The route counts only after the hold is claimed, so a made-up hold costs no
/// counting.
pub(crate) fn prompt_bound(request: &Value, model: &ModelDefinition) -> u64 {
    let Ok(body) = serde_json::to_string(request) else { return u64::MAX };
    let bytes = u64::try_from(body.len()).unwrap_or(u64::MAX);
    let Some(encoding) = model.encoding.filter(|_| body.len() <= COUNTED_BYTES) else { return bytes };
    let bpe = match encoding {
        credit_meter_core::estimate::Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        credit_meter_core::estimate::Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    };
    let definitions = ["tools", "response_format"].iter().any(|k| request.get(*k).is_some_and(|v| !v.is_null()));
    let exact = u64::try_from(bpe.encode_ordinary(&body).len()).unwrap_or(u64::MAX);
    exact.saturating_add(3).saturating_add(if definitions { DEFINITIONS_SLACK } else { 0 }).min(bytes)
}

/// The most completion tokens whose cost at the model's prices (markup 1), with
/// `prompt_bound` prompt tokens, fits `credits`: the cap that keeps a charge that is never
/// below cost (`price::credits_for`, `price::tokens_for`) within what a hold pays for.
fn max_tokens_at_cost(catalog: &Catalog, model: &ModelDefinition, credits: Credits, prompt_bound: u64) -> Option<u64> {
    max_tokens_within(catalog, model, TokenRate::Markup(Credits::new(Decimal::ONE).ok()?), credits, prompt_bound)
}

/// The most completion tokens a hold reserved in LLM tokens allows with `prompt_bound`
/// prompt tokens: the tokens it pays for less the prompt's, and no more than keeps the
/// call's cost at the model's prices within what those tokens are worth at the policy's
/// `units_per_credit` — `hold_tokens ÷ units_per_credit` credits, rounded down to the
/// step, one step kept for rounding (the settlement commits the larger of the two,
/// `price::tokens_for`). `None`: not even one.
pub(crate) fn max_tokens_of(
    catalog: &Catalog,
    model: &ModelDefinition,
    hold_tokens: u64,
    units_per_credit: Decimal,
    prompt_bound: u64,
) -> Option<u64> {
    let by_tokens = hold_tokens.checked_sub(prompt_bound)?;
    let step = catalog.credit_step().value();
    let worth = mul(div(div(Decimal::from(hold_tokens), units_per_credit)?, step)?.floor(), step)?;
    let n = by_tokens.min(max_tokens_at_cost(catalog, model, Credits::new(worth).ok()?, prompt_bound)?).min(MAX_OUTPUT_TOKENS);
    (n >= 1).then_some(n)
}

/// Rewrites the request for the provider: `max_tokens` = the smaller of the client's
/// (`max_tokens` or `max_completion_tokens`) and `cap`; a stream asks for the usage chunk.
pub(crate) fn rewrite(body: &mut Value, cap: u64, stream: bool) {
    let Some(obj) = body.as_object_mut() else { return };
    let asked = ["max_tokens", "max_completion_tokens"].iter().filter_map(|k| obj.get(*k).and_then(Value::as_u64)).min();
    obj.remove("max_completion_tokens");
    obj.insert("max_tokens".into(), Value::from(asked.map_or(cap, |a| a.min(cap))));
    if stream {
        let opts = obj.entry("stream_options").or_insert_with(|| Value::Object(Default::default()));
        if let Some(o) = opts.as_object_mut() {
            o.insert("include_usage".into(), Value::Bool(true));
        } else {
            *opts = serde_json::json!({"include_usage": true});
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_prompt_bound_counts_the_forwarded_request_up_to_its_limit_and_bytes_beyond() {
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let req = |content: &str| json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": content}]});
        let count = |v: &Value| tiktoken_rs::o200k_base().unwrap().encode_ordinary(&serde_json::to_string(v).unwrap()).len() as u64;
        let english = req(&"The quick brown fox jumps over the lazy dog. ".repeat(1000));
        let b = prompt_bound(&english, m);
        assert_eq!(b, count(&english) + 3);
        assert!(b < serde_json::to_string(&english).unwrap().len() as u64 / 3, "English: {b} tokens");
        let emoji: String = (0..2_000u32).filter_map(|i| char::from_u32(0x1F300 + (i * 7919) % 0x2FF)).collect();
        assert!(prompt_bound(&req(&emoji), m) > 4_000, "emoji are counted, not estimated");
        // A `\u` escape in the client's body is counted as the raw character forwarded.
        let escaped: Value =
            serde_json::from_str(&format!(r#"{{"messages":[{{"role":"user","content":"{}"}}]}}"#, "\\uabcd".repeat(3000))).unwrap();
        let raw_tokens = tiktoken_rs::o200k_base().unwrap().encode_ordinary(&"\u{abcd}".repeat(3000)).len() as u64;
        assert!(prompt_bound(&escaped, m) >= raw_tokens, "escapes are counted as the characters the provider gets");
        let tools = json!({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}]});
        assert_eq!(prompt_bound(&tools, m), count(&tools) + 3 + DEFINITIONS_SLACK);
        let huge = req(&"a".repeat(COUNTED_BYTES + 1));
        assert_eq!(prompt_bound(&huge, m), serde_json::to_string(&huge).unwrap().len() as u64, "beyond the limit: the bytes");
        let no_encoding = ModelDefinition { encoding: None, ..m.clone() };
        assert_eq!(prompt_bound(&english, &no_encoding), serde_json::to_string(&english).unwrap().len() as u64);
    }

    #[test]
    fn a_per_card_cap_is_the_cards_the_hold_pays_for() {
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let per = Credits::parse("1").unwrap();
        // 3 credits less one step = 2.999 cards of 60 tokens = 179 tokens; cost allows far more.
        assert_eq!(max_tokens_for_cards(&c, m, per, 60, Credits::parse("3").unwrap(), 1000), Some(179));
        let priced = crate::proxy::price::credits_for(
            &c,
            m,
            "flashcards.generate",
            &crate::proxy::usage::Reported { prompt_tokens: 1000, completion_tokens: 179, cost: None },
        )
        .unwrap();
        assert!(priced <= Credits::parse("3").unwrap(), "{priced}");
        assert_eq!(max_tokens_for_cards(&c, m, per, 60, Credits::parse("0.001").unwrap(), 10), None);
    }

    #[test]
    fn the_cap_keeps_the_worst_case_within_the_hold() {
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let hold = Credits::parse("1").unwrap();
        let at_cost = TokenRate::Markup(Credits::parse("1").unwrap());
        let n = max_tokens_within(&c, m, at_cost, hold, 1000).unwrap();
        // (0.999 / 200 − 1000 × 0.00000015) / 0.0000006 = 8075 tokens.
        assert_eq!(n, 8075);
        let usd = m.usd_for(1000, n).unwrap().value() * Decimal::from(200);
        assert!(usd <= hold.value());
        assert_eq!(max_tokens_within(&c, m, at_cost, Credits::parse("0.001").unwrap(), 10), None);
    }

    #[test]
    fn at_a_fixed_rate_the_cap_is_the_tokens_the_hold_buys_less_the_prompt() {
        let c = Catalog::default_catalog();
        let m = c.model("openai/gpt-4o-mini").unwrap();
        let rate = c.operation("message").unwrap().charge.token_rate().unwrap();
        assert_eq!(rate, TokenRate::Fixed(Decimal::from(1000)));
        // 0.999 × 1000 = 999 tokens, 300 of them the prompt's.
        let hold = Credits::parse("1").unwrap();
        assert_eq!(max_tokens_within(&c, m, rate, hold, 300), Some(699));
        let cost = super::super::price::credits_for(
            &c,
            m,
            "message",
            &super::super::usage::Reported { prompt_tokens: 300, completion_tokens: 699, cost: None },
        );
        assert!(cost.unwrap() <= hold);
        assert_eq!(max_tokens_within(&c, m, rate, hold, 999), None);
        assert_eq!(max_tokens_within(&c, m, rate, Credits::parse("0.001").unwrap(), 0), None);
        // A model dearer per token than the rate: the cap keeps the call's cost (which the
        // charge never goes below) within the hold too. 10 credits at gpt-4-turbo's prices
        // with 1,000 prompt tokens: (9.999 / 200 − 0.01) / 0.00003 = 1333 completion tokens,
        // not the 8,999 the rate alone allowed.
        let turbo = c.model("openai/gpt-4-turbo").unwrap();
        let ten = Credits::parse("10").unwrap();
        assert_eq!(max_tokens_within(&c, turbo, rate, ten, 1000), Some(1333));
        let usage = super::super::usage::Reported { prompt_tokens: 1000, completion_tokens: 1333, cost: None };
        let cost = super::super::price::credits_for(&c, turbo, "message", &usage).unwrap();
        assert!(cost <= ten && cost > Credits::parse("9.9").unwrap(), "{cost}");
        // A hold that cannot pay for the prompt at cost pays for nothing.
        assert_eq!(max_tokens_within(&c, turbo, rate, Credits::parse("2").unwrap(), 1000), None);
    }

    #[test]
    fn a_token_holds_cap_keeps_its_cost_within_what_its_tokens_are_worth() {
        let c = Catalog::default_catalog();
        let (mini, turbo) = (c.model("openai/gpt-4o-mini").unwrap(), c.model("openai/gpt-4-turbo").unwrap());
        let thousand = Decimal::from(1000);
        // gpt-4o-mini: the tokens less the prompt's (their cost is far below their worth).
        assert_eq!(max_tokens_of(&c, mini, 5000, thousand, 300), Some(4700));
        // gpt-4-turbo: 5,000 tokens are worth 5 credits; (4.999 / 200 − 300 × 0.00001) /
        // 0.00003 = 733 completion tokens, whose cost comes to 4,998 tokens' worth.
        assert_eq!(max_tokens_of(&c, turbo, 5000, thousand, 300), Some(733));
        let usage = super::super::usage::Reported { prompt_tokens: 300, completion_tokens: 733, cost: None };
        assert_eq!(super::super::price::tokens_for(&c, turbo, &usage, thousand), Ok(4998));
        // 1,000 tokens are worth 1 credit: (0.999 / 200 − 100 × 0.00001) / 0.00003 = 133.
        assert_eq!(max_tokens_of(&c, turbo, 1000, thousand, 100), Some(133));
        // At 3,000 tokens a credit they are worth 0.333: not even the prompt's cost.
        assert_eq!(max_tokens_of(&c, turbo, 1000, Decimal::from(3000), 300), None);
        assert_eq!(max_tokens_of(&c, mini, 1000, Decimal::from(3000), 300), Some(700));
        assert_eq!(max_tokens_of(&c, mini, 300, thousand, 300), None);
    }

    #[test]
    fn requests_are_checked_and_rewritten() {
        let c = Catalog::default_catalog();
        let ok = json!({"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":50,"stream":true});
        assert!(check(&c, &ok).unwrap().1);
        let other = json!({"model":"x/y","messages":[]});
        assert_eq!(check(&c, &other).unwrap_err().0, ErrorCode::UnknownModel);
        let image = json!({"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":[{"type":"image_url"}]}]});
        assert_eq!(check(&c, &image).unwrap_err().0, ErrorCode::BadRequest);
        let fallback = json!({"model":"openai/gpt-4o-mini","messages":[],"models":["openai/o1-pro"]});
        assert_eq!(check(&c, &fallback).unwrap_err().0, ErrorCode::BadRequest);
        // One level down the list is closed too: what a provider bills beyond the tokens.
        let m = "openai/gpt-4o-mini";
        let tool = json!({"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"x":{"cache_control":1}}},"strict":true}});
        let call = json!({"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}});
        let fine = json!({"model":m,"stream":true,"stream_options":{"include_usage":true},"tools":[tool],"messages":[
            {"role":"system","content":[{"type":"text","text":"be brief"}]},
            {"role":"assistant","content":null,"tool_calls":[call]},
            {"role":"tool","tool_call_id":"c1","name":"f","content":"42"}]});
        assert!(check(&c, &fine).is_ok(), "a function's parameters are a schema, not checked: {:?}", check(&c, &fine));
        let plain = json!({"model":m,"messages":[],"temperature":0.2,"top_p":1,"seed":7,"stop":["\n"],"user":"u","logprobs":false,
            "logit_bias":{"50256":-100},"tool_choice":{"type":"function","function":{"name":"f"}},
            "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","anything":1},"strict":true}}});
        assert!(check(&c, &plain).is_ok(), "{:?}", check(&c, &plain));
        for choice in ["none", "auto", "required"] {
            assert!(check(&c, &json!({"model":m,"messages":[],"tool_choice":choice})).is_ok(), "{choice}");
        }
        let refused = [
            (json!({"model":m,"messages":[{"role":"user","content":"hi","plugins":[{"id":"web"}]}]}), "plugins"),
            (
                json!({"model":m,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}]}),
                "cache_control",
            ),
            (json!({"model":m,"messages":[{"role":"user","content":[{"type":"text","text":"hi","image_url":"http://x"}]}]}), "image_url"),
            (
                json!({"model":m,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"},"cache_control":{}}]}),
                "cache_control",
            ),
            (
                json!({"model":m,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","web":true}}]}),
                "web",
            ),
            (json!({"model":m,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true,"extra":1}}), "extra"),
            (
                json!({"model":m,"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}","x":1}}]}]}),
                "\"x\"",
            ),
            (json!({"model":m,"messages":["hi"]}), "not an object"),
            (json!({"model":m,"messages":[],"response_format":{"type":"json_object","models":["openai/o1-pro"]}}), "models"),
            (json!({"model":m,"messages":[],"response_format":{"type":"json_schema","json_schema":{"name":"x","plugins":[]}}}), "plugins"),
            (json!({"model":m,"messages":[],"response_format":{"type":"web"}}), "response_format's type"),
            (
                json!({"model":m,"messages":[],"tool_choice":{"type":"function","function":{"name":"f"},"cache_control":{}}}),
                "cache_control",
            ),
            (json!({"model":m,"messages":[],"tool_choice":{"type":"function","function":{"name":"f","provider":{}}}}), "provider"),
            (json!({"model":m,"messages":[],"tool_choice":{"type":"web_search_preview"}}), "tool_choice"),
            (json!({"model":m,"messages":[],"tool_choice":"web"}), "tool_choice"),
            (json!({"model":m,"messages":[],"stop":{"plugins":[]}}), "\"stop\""),
            (json!({"model":m,"messages":[],"user":{"provider":{}}}), "\"user\""),
            (json!({"model":m,"messages":[],"temperature":{"models":[]}}), "\"temperature\""),
            (json!({"model":m,"messages":[],"parallel_tool_calls":{"route":"x"}}), "\"parallel_tool_calls\""),
            (json!({"model":m,"messages":[],"logit_bias":{"50256":{"plugins":[1]}}}), "\"logit_bias\""),
            (json!({"model":m,"messages":[],"seed":1.5}), "\"seed\""),
            (json!({"model":m,"messages":[],"max_tokens":0}), "\"max_tokens\" must be at least 1"),
            (json!({"model":m,"messages":[],"max_tokens":50,"max_completion_tokens":0}), "\"max_completion_tokens\" must be at least 1"),
            (json!({"model":m,"messages":[],"max_tokens":-5}), "\"max_tokens\" must be at least 1"),
        ];
        for (body, field) in refused {
            let (code, message) = check(&c, &body).unwrap_err();
            assert_eq!(code, ErrorCode::BadRequest, "{body}");
            assert!(message.contains(field), "{field}: {message}");
        }
        let mut b = ok.clone();
        rewrite(&mut b, 30, true);
        assert_eq!(b["max_tokens"], 30);
        assert!(b.get("max_completion_tokens").is_none());
        assert_eq!(b["stream_options"]["include_usage"], true);
        let mut b = ok;
        rewrite(&mut b, 3000, false);
        assert_eq!(b["max_tokens"], 50);
    }
}
