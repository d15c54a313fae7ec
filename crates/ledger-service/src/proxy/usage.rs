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

/// Whether an answer or chunk carries output: a choice with a finish reason, or whose
/// `delta` (stream) or `message` has any member but `role` that is not empty — content,
/// tool calls, and also reasoning (`reasoning`, `reasoning_content`, `reasoning_details`,
/// as OpenRouter and others stream it), a `refusal`, or a member this proxy does not know.
/// Counting by default what is not known to be empty is what keeps a stream that forwarded
/// only reasoning from being released as "failed before any output" (a free call).
pub(crate) fn has_output(v: &Value) -> bool {
    let Some(choices) = v.get("choices").and_then(Value::as_array) else { return false };
    let not_empty = |x: &Value| match x {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    };
    choices.iter().any(|c| {
        let part = c.get("delta").or_else(|| c.get("message")).and_then(Value::as_object);
        let said = part.is_some_and(|p| p.iter().any(|(k, x)| k != "role" && not_empty(x)));
        said || c.get("finish_reason").is_some_and(|f| !f.is_null())
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

    /// Anything a delta says beyond its role is output, known or not: a stream that
    /// forwarded only reasoning or a refusal and then broke off is charged, not released.
    #[test]
    fn reasoning_refusals_and_unknown_members_are_output_and_empty_ones_are_not() {
        for said in [
            json!({"reasoning":"thinking"}),
            json!({"reasoning_content":"thinking"}),
            json!({"reasoning_details":[{"type":"reasoning.text","text":"x"}]}),
            json!({"refusal":"no"}),
            json!({"tool_calls":[{"index":0}]}),
            json!({"audio":{"data":"AAAA"}}),
        ] {
            assert!(has_output(&json!({"choices":[{"delta":said.clone()}]})), "{said}");
            assert!(has_output(&json!({"choices":[{"message":said.clone()}]})), "{said}");
        }
        for quiet in [json!({"role":"assistant","content":""}), json!({"content":null,"tool_calls":[]}), json!({"reasoning":""}), json!({})]
        {
            assert!(!has_output(&json!({"choices":[{"delta":quiet.clone()}]})), "{quiet}");
        }
        assert!(has_output(&json!({"choices":[{"delta":{},"finish_reason":"stop"}]})));
        assert!(!has_output(&json!({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0}})));
    }
}
