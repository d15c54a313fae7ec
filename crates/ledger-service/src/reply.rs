//! HTTP replies with the ledger's JSON bodies. Protocol answers (including a coded
//! protocol error such as `BAD_REQUEST`) are HTTP 200; transport-level refusals carry a
//! protocol error body *and* their HTTP status: 401 `UNAUTHORIZED`, 403 `FORBIDDEN`,
//! 404 `UNKNOWN_ACCOUNT` on `/v1/state`, 503 `STORAGE_FAILED`.

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
