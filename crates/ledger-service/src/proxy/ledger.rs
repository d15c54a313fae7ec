//! The proxy's two requests on the ledger, each run like a push (the account locked in
//! this process, loaded, changed by the reference ledger, saved in one transaction that
//! checks the row's revision): the **claim** of the hold, and the **settlement** after
//! the call ended.
//!
//! **The claim races the provider.** [`claim`] answers as soon as the ledger has checked
//! the hold and computed the claim — the account still locked in this process, its save
//! (one fsync) under way — and hands back a [`Durable`] to await the commit. The proxy
//! starts the provider's request at once and forwards no byte of its answer before the
//! claim is committed ([`super::relay`]). So the check "an open hold of this account that
//! the ledger applied and that never paid for a call" still precedes every request to the
//! provider; only the claim's durability overlaps the provider's latency. Why that is
//! enough:
//!
//! - the client gets nothing before the claim is durable, so no output is ever served
//!   on a claim a crash could lose; a proxy killed after the commit leaves a durable
//!   unsettled claim, which the ledger charges the hold in full once it is abandoned
//!   (`RefLedger::settle_abandoned_claims`);
//! - within one process the account lock is held from the check to the commit, so a
//!   client's concurrent commit or a second call on the hold waits and then sees the
//!   claim: the claim can still fail after the provider was called only when the store
//!   fails, or when another process (several services on one PostgreSQL database) wrote
//!   the account between the load and the save and the hold is no longer claimable on the
//!   retry. The proxy then cancels the provider's request and answers the coded error:
//!   the vendor may pay a provider for a request whose answer nobody received — at most
//!   the hold's worth, since `max_tokens` is capped — but no user is served uncharged
//!   output. Waiting for the commit before calling would remove that rare cost at the
//!   price of one fsync on every call;
//! - one hold still pays for one call: the claim is what makes a second call on the hold
//!   `HOLD_IN_USE`, and its check runs before any request.
//!
//! A settlement is retried while the store fails (the provider's work is done: its charge
//! must not be lost); a duplicate or concurrent settlement of the hold changes nothing.

use crate::engine::Op;
use crate::service::{Answer, Service};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Credits;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A claimed hold.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    /// Credits it reserves.
    pub amount: Credits,
    /// The operation it was reserved for.
    pub operation: String,
    /// For a hold reserved in LLM tokens (PROTOCOL §12): the tokens it pays for (the most
    /// the call may use); `None` for a credit hold.
    pub units: Option<u64>,
    /// For a hold reserved in LLM tokens: the account's policy rate (tokens a credit), what
    /// a token is worth when the call's cost is charged in tokens (`price::tokens_for`).
    pub units_per_credit: Option<Decimal>,
    /// When the hold expires (ms): the call must be settled before then.
    pub expires_at: i64,
}

/// What a proxied call used, as its settlement commits it: credits for a credit hold,
/// LLM tokens for a hold reserved in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spend {
    /// The provider's usage priced by the catalog.
    Credits(Credits),
    /// The provider's prompt plus completion tokens.
    Tokens(u64),
}

impl std::fmt::Display for Spend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spend::Credits(c) => write!(f, "{} credits", c.to_plain_string()),
            Spend::Tokens(n) => write!(f, "{n} tokens"),
        }
    }
}

/// Why a claim failed: a ledger code and message, or a storage failure (`None`).
pub(crate) type ClaimError = (Option<ErrorCode>, String);

/// The commit of a claim the ledger accepted.
#[derive(Debug)]
pub(crate) struct Durable(Option<JoinHandle<Result<Answer, String>>>);

impl Durable {
    /// Waits until the claim is committed (`Ok`), or failed: the store failed, or on a
    /// retry after another process's write the hold was no longer claimable.
    pub(crate) async fn wait(self) -> Result<(), ClaimError> {
        let Some(task) = self.0 else { return Ok(()) };
        match task.await {
            Ok(Ok(answer)) => ok_result(&answer.body).map(|_| ()),
            Ok(Err(e)) => Err((None, e)),
            Err(e) => Err((None, format!("the claim's task failed: {e}"))),
        }
    }
}

/// Claims `hold` of `account` for one call (`device`: the caller's pinned device): the
/// claim as the ledger computed it, before it is committed, and its commit to await.
pub(crate) async fn claim(
    service: &Arc<Service>,
    account: &str,
    hold: &str,
    device: Option<&str>,
) -> Result<(Claimed, Durable), ClaimError> {
    let mut body = json!({"op": "claim", "accountId": account, "holdId": hold});
    if let Some(d) = device {
        body["deviceId"] = d.into();
    }
    let (tx, rx) = oneshot::channel();
    let (service, account, text) = (Arc::clone(service), account.to_string(), body.to_string());
    let task = tokio::spawn(async move { service.run_early(Op::Proxy, account, text, tx).await });
    let (answer, durable) = match rx.await {
        Ok(early) => (early, Durable(Some(task))),
        // No early answer (the store failed before the ledger ran): the final one.
        Err(_) => match task.await {
            Ok(Ok(a)) => (a.body, Durable(None)),
            Ok(Err(e)) => return Err((None, e)),
            Err(e) => return Err((None, format!("the claim's task failed: {e}"))),
        },
    };
    let result = ok_result(&answer)?;
    let amount = result.get("amount").and_then(Value::as_str).and_then(|s| Credits::parse(s).ok());
    let operation = result.get("operation").and_then(Value::as_str).unwrap_or_default().to_string();
    let units = result.get("units").and_then(Value::as_u64);
    let units_per_credit = result.get("unitsPerCredit").and_then(Value::as_str).and_then(|s| Decimal::from_str_exact(s).ok());
    match (amount, result.get("expiresAt").and_then(Value::as_i64)) {
        (Some(amount), Some(expires_at)) => Ok((Claimed { amount, operation, units, units_per_credit, expires_at }, durable)),
        _ => Err((None, format!("the ledger's claim answer has no amount or expiresAt: {answer}"))),
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

/// Settles `hold`: `usage` committed (credits charged, or tokens drawn from the allowance
/// with the shortfall converted), or (`None`) released. Retries while the store fails,
/// for a few minutes; gives up with an error (logged by the caller).
pub(crate) async fn settle(service: &Arc<Service>, account: &str, hold: &str, usage: Option<Spend>) -> Result<Settled, String> {
    let mut body = json!({"op": "settle", "accountId": account, "holdId": hold});
    match usage {
        Some(Spend::Credits(c)) => body["usage"] = c.to_plain_string().into(),
        Some(Spend::Tokens(n)) => body["units"] = n.into(),
        None => {}
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
