//! Which handler answers a request: CORS preflights, `/v1/` (the ledger), everything
//! else a static file.

use crate::api;
use crate::app::App;
use crate::http::{preflight, Reply};
use crate::statics::Statics;
use crate::request::{Method, Request};

/// The reply to one request.
pub(crate) fn route(app: &mut App, statics: &Statics, req: &mut Request) -> Reply {
    let url = req.url().to_string();
    let url = url.split('#').next().unwrap_or("");
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if *req.method() == Method::Options {
        return preflight(req);
    }
    if path == "/v1" || path.starts_with("/v1/") {
        return api::handle(app, req, path, query);
    }
    match req.method() {
        Method::Get | Method::Head => statics.serve(path),
        _ => Reply::method_not_allowed("GET, HEAD"),
    }
}
