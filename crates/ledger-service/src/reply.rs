//! HTTP replies with the ledger's JSON bodies. Protocol answers (including a coded
//! protocol error such as `BAD_REQUEST`) are HTTP 200; transport-level refusals carry a
//! protocol error body *and* their HTTP status: 401 `UNAUTHORIZED`, 403 `FORBIDDEN`,
//! 404 `UNKNOWN_ACCOUNT` on `/v1/state`, 503 `STORAGE_FAILED`.

use crate::routes::AppState;
use axum::extract::FromRequest;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;

/// A JSON body with a status.
pub(crate) fn json_reply(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `{"v":2,"ok":false,"error":{"code","message"}}` (the protocol's version) with `status`: the shape of both the
/// protocol's error responses (`v`, `error`) and the admin API's (`ok`, `error`).
pub(crate) fn error(status: u16, code: ErrorCode, message: &str) -> Response {
    let body = Value::object([
        ("v", Value::from_u64(u64::from(credit_meter_protocol::message::PROTOCOL_VERSION))),
        ("ok", Value::Bool(false)),
        ("error", Value::object([("code", code.as_str().into()), ("message", message.into())])),
    ]);
    json_reply(status, json::to_string(&body))
}

/// A refusal by authentication (401/403).
pub(crate) fn refusal(r: &crate::auth::Refusal) -> Response {
    error(r.status, r.code, &r.message)
}

/// A request's whole body, received within the request deadline (`--request-timeout-seconds`).
/// Unlike axum's `Bytes` extractor, whose rejection is a plain-text 400 ("Failed to buffer
/// the request body…"), a body the service cannot read — a broken chunked encoding, a
/// connection that failed mid-body — is answered with the protocol's error body: HTTP 400
/// `BAD_REQUEST` (PROTOCOL §5.0). A body above the route's limit stays HTTP 413 (its coded
/// body comes from `coded_refusals`); one not received in time is HTTP 408 `TIMEOUT`.
///
/// The deadline bounds receiving, not answering: a request whose body arrived runs to its
/// answer however long its commit takes. A deadline over the whole request answered 408
/// "nothing was applied" to requests whose work went on and committed (a stalled disk, a
/// lock held by another writer): an operator who believed it and granted again with a new
/// id granted twice.
#[derive(Debug)]
pub(crate) struct Body(pub axum::body::Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        match tokio::time::timeout(state.body_deadline, <axum::body::Bytes as FromRequest<AppState>>::from_request(req, state)).await {
            Ok(read) => read.map(Body).map_err(unreadable),
            Err(_) => Err(late_body()),
        }
    }
}

/// The answer to a body not received within the request deadline (see [`Body`]).
fn late_body() -> Response {
    error(408, ErrorCode::Timeout, "the request body was not received within the request deadline; nothing was applied")
}

/// The answer to a body that could not be read (see [`Body`]).
fn unreadable(rejection: axum::extract::rejection::BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return rejection.into_response();
    }
    error(
        400,
        ErrorCode::BadRequest,
        "the request body could not be read (a malformed chunked encoding, or a connection that failed mid-body); nothing was applied",
    )
}
