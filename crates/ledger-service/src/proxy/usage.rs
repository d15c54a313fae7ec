//! What the provider reported it used: `usage.prompt_tokens`, `usage.completion_tokens`
//! and OpenRouter's `usage.cost` (USD), read from a whole answer or from the chunks of a
//! stream (the last chunk carries it when `stream_options.include_usage` is set).

use credit_meter_protocol::money::Usd;
use serde_json::Value;

/// Usage as the provider reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens (reasoning included, as providers count them).
    pub completion_tokens: u64,
    /// OpenRouter's cost in USD, when present.
    pub cost: Option<Usd>,
}

/// The `usage` of an answer or chunk, when it has one with token counts.
pub(crate) fn from_answer(v: &Value) -> Option<Reported> {
    let u = v.get("usage")?;
    let prompt_tokens = u.get("prompt_tokens")?.as_u64()?;
    let completion_tokens = u.get("completion_tokens")?.as_u64()?;
    let cost = u.get("cost").and_then(|c| match c {
        Value::Number(n) => Usd::parse(&n.to_string()).ok(),
        Value::String(s) => Usd::parse(s).ok(),
        _ => None,
    });
    Some(Reported { prompt_tokens, completion_tokens, cost })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_with_and_without_cost() {
        let a = json!({"usage":{"prompt_tokens":10,"completion_tokens":5,"cost":0.0012}});
        assert_eq!(from_answer(&a), Some(Reported { prompt_tokens: 10, completion_tokens: 5, cost: Some(Usd::parse("0.0012").unwrap()) }));
        assert_eq!(from_answer(&json!({"usage":null})), None);
        assert_eq!(from_answer(&json!({"choices":[]})), None);
    }
}
