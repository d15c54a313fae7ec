//! The proxy's two requests on the ledger, each run like a push (the account locked in
//! this process, loaded, changed by the reference ledger, saved in one transaction that
//! checks the row's revision, answered only once committed): the **claim** of the hold
//! before the provider is called, and the **settlement** after its answer ended.
//! A settlement is retried while the store fails (the provider's work is done: its charge
//! must not be lost); a duplicate or concurrent settlement of the hold changes nothing.

use crate::engine::Op;
use crate::service::Service;
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Credits;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// A claimed hold.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    /// Credits it reserves.
    pub amount: Credits,
    /// The operation it was reserved for.
    pub operation: String,
}

/// Why a claim failed: a ledger code and message, or a storage failure (`None`).
pub(crate) type ClaimError = (Option<ErrorCode>, String);

/// Claims `hold` of `account` for one call (`device`: the caller's pinned device).
pub(crate) async fn claim(service: &Arc<Service>, account: &str, hold: &str, device: Option<&str>) -> Result<Claimed, ClaimError> {
    let mut body = json!({"op": "claim", "accountId": account, "holdId": hold});
    if let Some(d) = device {
        body["deviceId"] = d.into();
    }
    let text = body.to_string();
    let answer = service.run(Op::Proxy, account.to_string(), text, None).await.map_err(|e| (None, e))?;
    let result = ok_result(&answer.body)?;
    let amount = result.get("amount").and_then(Value::as_str).and_then(|s| Credits::parse(s).ok());
    let operation = result.get("operation").and_then(Value::as_str).unwrap_or_default().to_string();
    match amount {
        Some(amount) => Ok(Claimed { amount, operation }),
        None => Err((None, format!("the ledger's claim answer has no amount: {}", answer.body))),
    }
}

/// A settlement as the ledger recorded it.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    /// Credits drawn from grants, recorded as overdraft, and left unpaid (their sum is the usage).
    pub charged: Credits,
    /// See `charged`.
    pub overdraft: Credits,
    /// See `charged`.
    pub unpaid: Credits,
    /// Whether this request made it (`false`: it was already settled).
    pub first: bool,
}

/// Settles `hold`: `usage` credits charged, or (`None`) released. Retries while the
/// store fails, for a few minutes; gives up with an error (logged by the caller).
pub(crate) async fn settle(service: &Arc<Service>, account: &str, hold: &str, usage: Option<Credits>) -> Result<Settled, String> {
    let mut body = json!({"op": "settle", "accountId": account, "holdId": hold});
    if let Some(u) = usage {
        body["usage"] = u.to_plain_string().into();
    }
    let text = body.to_string();
    let mut wait = Duration::from_millis(100);
    let mut last = String::new();
    for _ in 0..12 {
        match service.run(Op::Proxy, account.to_string(), text.clone(), None).await {
            Ok(answer) => {
                let r = ok_result(&answer.body).map_err(|(_, m)| m)?;
                let amount = |k: &str| r.get(k).and_then(Value::as_str).and_then(|s| Credits::parse(s).ok()).unwrap_or(Credits::ZERO);
                let first = r.get("first").and_then(Value::as_bool).unwrap_or(false);
                return Ok(Settled { charged: amount("charged"), overdraft: amount("overdraft"), unpaid: amount("unpaid"), first });
            }
            Err(e) => last = e,
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    Err(format!("the store kept failing: {last}"))
}

/// The `result` of an `{"ok":true,…}` answer, or its coded error.
fn ok_result(body: &str) -> Result<Value, ClaimError> {
    let v: Value = serde_json::from_str(body).map_err(|e| (None, format!("the ledger's answer does not parse: {e}")))?;
    if v.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(v.get("result").cloned().unwrap_or(Value::Null));
    }
    let err = v.get("error");
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_str).and_then(ErrorCode::parse);
    let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("refused").to_string();
    Err((code, message))
}
