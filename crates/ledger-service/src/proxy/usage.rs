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

/// Whether an answer or chunk carries output: a choice with content, a tool call or a
/// finish reason.
pub(crate) fn has_output(v: &Value) -> bool {
    let Some(choices) = v.get("choices").and_then(Value::as_array) else { return false };
    choices.iter().any(|c| {
        let part = c.get("delta").or_else(|| c.get("message"));
        let text = part.and_then(|p| p.get("content")).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        let tools = part.and_then(|p| p.get("tool_calls")).is_some_and(|t| !t.is_null());
        text || tools || c.get("finish_reason").is_some_and(|f| !f.is_null())
    })
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
        assert!(has_output(&json!({"choices":[{"delta":{"content":"hi"}}]})));
        assert!(!has_output(&json!({"choices":[{"delta":{"role":"assistant"}}]})));
    }
}
