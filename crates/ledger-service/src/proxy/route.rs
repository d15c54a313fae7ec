//! `POST /v1/ai/chat/completions`: a device's OpenAI-compatible chat completion, paid by
//! the hold named in `X-Credit-Hold`. Every refusal is a coded protocol error body and
//! happens before the provider is called:
//!
//! | HTTP | code | when |
//! | --- | --- | --- |
//! | 503 | `PROXY_UNAVAILABLE` | no `--upstream-url` |
//! | 401/403 | `UNAUTHORIZED`/`FORBIDDEN` | no valid device token (the admin token is refused) |
//! | 400 | `BAD_REQUEST` | a body that cannot be read (a malformed chunked encoding), not JSON, no messages, non-text content, `n` ≠ 1, `stream` not a boolean, a field the proxy does not forward (`limits::FORWARDED`), a tool that is not a function |
//! | 400 | `UNKNOWN_MODEL` | a model the catalog does not list |
//! | 400 | `MODEL_NOT_ALLOWED` | a model other than the one the hold's fixed-rate catalog operation names (the hold is released) |
//! | 402 | `HOLD_NOT_OPEN` | no `X-Credit-Hold`, or not an open hold of the account (and device) the ledger applied, or a credit hold of an operation with no price for an AI call (released) |
//! | 409 | `HOLD_IN_USE` | the hold already paid for a call |
//! | 402 | `HOLD_TOO_SMALL` | the hold cannot pay for the prompt and one output token (the hold is released) |
//! | 502 | `UPSTREAM_FAILED` | the provider could not be reached or answered an error status (the hold is released, no `X-Credit-*` header); or the request may have reached it and no success status came in time, or a non-streamed answer did not arrive whole (charged its worst case, in `X-Credit-Charged` or `X-Credit-Units`) |
//!
//! A stream that started (the provider answered 200) is never released: if it fails — it
//! breaks off, goes silent for the idle time, reaches the call's deadline, ends without
//! `[DONE]` or carries the provider's error event — it is settled (the provider's usage if
//! read, else the call's worst case) and then ends with the proxy's event `data:
//! {"error":{"code":"UPSTREAM_FAILED","message":…,"charged":"<money>"}}` (`"units":<tokens>`
//! instead of `charged` for a hold in LLM tokens) instead of `[DONE]`.

use super::ledger::Spend;
use super::limits;
use super::relay::{self, Call, Started};
use crate::auth::{Caller, Refusal};
use crate::reply::error;
use crate::routes::{AppState, Authenticated};
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Credits;
use std::sync::Arc;

/// The header naming the hold that pays.
pub(crate) const HOLD_HEADER: &str = "x-credit-hold";
/// The response header with the credits a non-streamed call is charged: the provider's
/// usage at the catalog's prices (or the call's worst case, without usage), which the
/// settlement committed right after the answer draws, records as overdraft or leaves
/// unpaid. Also on a `502 UPSTREAM_FAILED` that was charged (the request may have reached
/// the provider, but no success status came in time, or a non-streamed answer did not
/// arrive whole): its worst case, settled before. A stream says its charge in the `charged`
/// (`units`) member of the proxy's closing error event instead.
pub(crate) const CHARGED_HEADER: &str = "x-credit-charged";
/// The response header, instead of [`CHARGED_HEADER`], of a non-streamed call paid by a
/// hold reserved in LLM tokens: the tokens the settlement commits (the allowance drawn
/// first, any shortfall converted by the ledger's policy).
pub(crate) const UNITS_HEADER: &str = "x-credit-units";

/// `r` with the header saying what the settlement of a non-streamed call commits.
fn with_charge(mut r: Response, charged: Spend) -> Response {
    let (name, value) = match charged {
        Spend::Credits(c) => (CHARGED_HEADER, c.to_plain_string()),
        Spend::Tokens(n) => (UNITS_HEADER, n.to_string()),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(name, v);
    }
    r
}

fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::HoldInUse => 409,
        ErrorCode::HoldNotOpen | ErrorCode::HoldTooSmall => 402,
        ErrorCode::UnknownAccount => 404,
        ErrorCode::StorageFailed => 503,
        _ => 400,
    }
}

/// `POST /v1/ai/chat/completions`.
pub(crate) async fn chat_completions(State(app): State<AppState>, Authenticated(caller): Authenticated, req: Request) -> Response {
    let Some(proxy) = app.proxy.clone() else {
        return error(503, ErrorCode::ProxyUnavailable, "this ledger has no AI proxy (--upstream-url)");
    };
    let claims = match caller {
        Caller::Device(c) => c,
        Caller::Admin => return app.refuse(&Refusal::forbidden("the AI proxy is for devices: the admin token never pays for a call")),
    };
    let Some(hold) =
        req.headers().get(HOLD_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|h| !h.is_empty()).map(str::to_string)
    else {
        return error(402, ErrorCode::HoldNotOpen, "send X-Credit-Hold: the id of an open hold that pays for the call");
    };
    // Every call locks and reads the account (to claim the hold) before it can be refused,
    // so calls come out of the account's push budget, as the pushes that reserve them do.
    let message = "too many AI calls and pushes for this account; try again later";
    if let Err(r) = crate::routes::within_budget(&app.push_rate, &claims.account, 1, "ai call", message) {
        return r;
    }
    // The body is read only now, after the budget check, but like every route's: within
    // the request deadline (a caller that trickles it would otherwise hold the connection
    // and what it sent for the connection's whole life; the answer may stream longer).
    let body = match crate::reply::Body::from_request(req, &app).await {
        Ok(crate::reply::Body(body)) => body,
        Err(refusal) => return refusal,
    };
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return error(400, ErrorCode::BadRequest, "the body is not a JSON chat completion request"),
    };
    let (model, stream) = match limits::check(&proxy.catalog, &request) {
        Ok((m, s)) => (m.clone(), s),
        Err((code, message)) => return error(status_of(code), code, &message),
    };
    let call = Call {
        proxy: Arc::clone(&proxy),
        service: Arc::clone(&app.service),
        account: claims.account.clone(),
        hold,
        device: claims.device.clone(),
        model,
        request,
        // Counted once the hold is claimed (relay): a made-up hold costs no counting.
        prompt_bound: u64::MAX,
        stream,
        hold_amount: Credits::ZERO,
        operation: String::new(),
        hold_units: None,
        hold_rate: None,
        max_tokens: 0,
    };
    match relay::start(call).await {
        Started::Whole { status, body, charged } => {
            let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            with_charge(r, charged)
        }
        Started::Stream(rx) => {
            let stream =
                futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx)) });
            let mut r = Response::new(Body::from_stream(stream));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Started::Failed { message, charged: None } => error(502, ErrorCode::UpstreamFailed, &message),
        Started::Failed { message, charged: Some(charged) } => with_charge(error(502, ErrorCode::UpstreamFailed, &message), charged),
        Started::Refused((Some(code), message)) => {
            crate::log_budget::refusal_line!(info, code = code.as_str(), "proxy refused a hold");
            error(status_of(code), code, &message)
        }
        Started::Refused((None, e)) => {
            tracing::error!(error = %e, "claiming a hold failed; nothing was answered from the provider");
            error(503, ErrorCode::StorageFailed, "the ledger could not claim the hold; nothing was charged, try again")
        }
    }
}
