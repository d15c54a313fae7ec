//! The static files of `--www` and `--pkg` (tower-http's `ServeDir`) behind a guard that
//! serves only what is really inside the directory and not hidden:
//!
//! - a path with a segment starting with `.` — a hidden file or directory left in the
//!   served tree (`.env`, `.git/`), or `..` — is 404;
//! - a path that resolves (symbolic links followed) outside the directory is 404:
//!   `ServeDir` follows links, so a link in the tree to the directory that holds the
//!   database and its key file would have served them, past the start-up check that
//!   keeps that state out of served directories; a link that stays inside is served;
//! - a directory asked for without its trailing `/` is redirected to it under the served
//!   prefix (`/www/sub` → `/www/sub/`): `ServeDir` sees the path without the prefix, so its
//!   own redirect went to `/sub/`, and for `/www///sub` to `//sub/` — another host. The
//!   prefix itself (`/www`) is redirected to `/www/` too: served as it was, the page's
//!   relative `style.css` and `app.js` resolved to `/style.css` and did not load; and a
//!   file asked for with a trailing `/` (`/www/index.html/`) is 404, for the same reason;
//! - every answer forbids framing (`Content-Security-Policy: frame-ancestors 'none'`,
//!   `X-Frame-Options: DENY`: a page of another site could otherwise frame the demo and
//!   trick a click on its Buy or Refund button) and sends no `Referer` onward.
//!
//! The path is decoded exactly as `ServeDir` decodes it (percent-decoding, UTF-8), so the
//! guard judges the file `ServeDir` would open.

use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::services::ServeDir;

/// A served directory.
#[derive(Debug)]
struct Served {
    /// Its real path (symbolic links resolved).
    root: PathBuf,
    /// The path it is served at (`/www`).
    prefix: &'static str,
}

/// The files of `dir`, to be nested at `prefix`.
pub(crate) fn service(dir: &Path, prefix: &'static str) -> Result<Router, String> {
    let root = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let served = Arc::new(Served { root: root.clone(), prefix });
    Ok(Router::new().fallback_service(ServeDir::new(root)).layer(middleware::from_fn_with_state(served, guard)))
}

async fn guard(State(s): State<Arc<Served>>, req: Request, next: Next) -> Response {
    let mut r = checked(&s, req, next).await;
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// The file's answer, or a 404 or redirect in its place (the module's rules).
async fn checked(s: &Served, req: Request, next: Next) -> Response {
    if req.extensions().get::<OriginalUri>().is_some_and(|o| o.0.path() == s.prefix) {
        return redirect(&format!("{}/", s.prefix), req.uri().query());
    }
    let path = req.uri().path();
    let Some(relative) = relative(path) else { return not_found() };
    let Ok(real) = tokio::fs::canonicalize(s.root.join(relative)).await else { return not_found() };
    if !real.starts_with(&s.root) {
        return not_found();
    }
    let is_dir = tokio::fs::metadata(&real).await.is_ok_and(|m| m.is_dir());
    if !is_dir && path.ends_with('/') && path != "/" {
        return not_found();
    }
    if is_dir {
        if !path.ends_with('/') {
            return redirect(&format!("{}{path}/", s.prefix), req.uri().query());
        }
        // `ServeDir` answers a directory with its index.html, which may be a link too.
        if let Ok(index) = tokio::fs::canonicalize(real.join("index.html")).await {
            if !index.starts_with(&s.root) {
                return not_found();
            }
        }
    }
    next.run(req).await
}

/// The request's path as a path relative to the served directory, decoded as `ServeDir`
/// decodes it; `None` when a segment is hidden (starts with `.`, `..` included) or the
/// path is not UTF-8 once decoded.
fn relative(path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode(path.trim_start_matches('/').as_bytes()).decode_utf8().ok()?;
    let mut out = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment.starts_with('.') || segment.contains(['\\', '\0']) {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// A redirect to `to`, the request's `query` kept.
fn redirect(to: &str, query: Option<&str>) -> Response {
    let to = match query {
        Some(q) => format!("{to}?{q}"),
        None => to.to_string(),
    };
    let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(v) = HeaderValue::from_str(&to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::PathBuf;

    #[test]
    fn hidden_segments_and_parents_are_refused_however_encoded() {
        for p in ["/.env", "/%2eenv", "/a/../b", "/a/..%2fb", "/a%2f..%2f..%2fetc", "/.git/config", "/%2e%2e/x", "/a\\..\\b", "/%ff"] {
            assert_eq!(relative(p), None, "{p}");
        }
        assert_eq!(relative("/sub//./a.js"), Some(PathBuf::from("sub/a.js")));
        assert_eq!(relative("/caf%C3%A9.txt"), Some(PathBuf::from("café.txt")));
        assert_eq!(relative("/"), Some(PathBuf::new()));
    }
}
