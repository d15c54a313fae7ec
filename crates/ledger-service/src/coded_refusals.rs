//! The refusals the HTTP layers make before any handler runs — an unknown route (404), a
//! route asked with another method (405), a body above `--max-body` (413) — carry the
//! protocol's error body like every other refusal: the router and the body limit answer
//! them with an empty or plain-text body of their own ("length limit exceeded"), which a
//! client reads as `BAD_RESPONSE` and a person as nothing. The served files (`/www/`, `/pkg/`) keep their
//! plain 404, a missing file's.

use crate::reply::error;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use credit_meter_protocol::error::ErrorCode;

/// Replaces the body of a bodiless or plain-text 404, 405 or 413 with a coded one,
/// keeping the status and the headers that matter (`Allow` on a 405).
pub(crate) async fn coded_refusals(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let served = path.starts_with("/www/") || path.starts_with("/pkg/") || path == "/www" || path == "/pkg";
    let r = next.run(req).await;
    let json = r.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || served {
        return r;
    }
    let (code, message) = match r.status() {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::BadRequest, "this route does not take this method (see the Allow header)"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::BadRequest, "the request body is larger than the service accepts; nothing was applied")
        }
        _ => return r,
    };
    let mut coded = error(r.status().as_u16(), code, message);
    if let Some(allow) = r.headers().get(header::ALLOW) {
        coded.headers_mut().insert(header::ALLOW, allow.clone());
    }
    coded
}
