//! The `/v1/` routes: push and pull (device tokens, for the token's own account only),
//! admin commands (admin token only), the public keys, an account's state (its own
//! device or admin), plus `/healthz` and `/metrics`.

// A handler's early exit is the axum `Response` itself: boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use crate::auth::{Auth, Caller, Refusal};
use crate::engine::Op;
use crate::metrics::Route;
use crate::reply::{error, json_reply, refusal, Body};
use crate::service::{wall_clock_ms, Service};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::message::{PullRequest, PushRequest};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// The ledger.
    pub service: Arc<Service>,
    /// Authentication.
    pub auth: Arc<Auth>,
    /// Journal entries `/v1/state` includes (the latest ones).
    pub state_entries: u32,
    /// The demo's token issuer (`serve --demo` only).
    pub demo: Option<crate::demo::Demo>,
    /// Push budgets per account.
    pub push_rate: Arc<crate::rate::AccountRate>,
    /// Pull budgets per account (a device's `/v1/state` reads count as pulls).
    pub pull_rate: Arc<crate::rate::AccountRate>,
    /// Checkout budgets per account (each checkout is a call to Stripe).
    pub checkout_rate: Arc<crate::rate::AccountRate>,
    /// Budgets of pushed mutations per account (each is kept as a fingerprint for good).
    pub mutation_rate: Arc<crate::rate::AccountRate>,
    /// Stripe checkout, webhook and refunds.
    pub payments: Arc<crate::payments::Payments>,
    /// The AI proxy (`None`: no `--upstream-url`; its route answers `PROXY_UNAVAILABLE`).
    pub proxy: Option<Arc<crate::proxy::Proxy>>,
    /// `--request-timeout-seconds`: how long a request's body may take to arrive
    /// (`reply::Body`, which every route reads its body with). Answering has no deadline: a
    /// request received runs to its answer.
    pub body_deadline: std::time::Duration,
}

impl AppState {
    /// The caller, or the refusal (counted).
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Result<Caller, Response> {
        // Two credentials are none: a proxy in front that reads the other one would not
        // agree with this service about who is calling.
        if headers.get_all(header::AUTHORIZATION).iter().nth(1).is_some() {
            return Err(self.refuse(&Refusal::unauthorized("the request has more than one Authorization header")));
        }
        let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        self.auth.caller(value).map_err(|r| self.refuse(&r))
    }

    /// A refusal response (counted in `/metrics`, logged without credentials).
    pub(crate) fn refuse(&self, r: &Refusal) -> Response {
        self.service.metrics.refusal();
        crate::log_budget::refusal_line!(info, code = r.code.as_str(), reason = %r.message, "refused");
        refusal(r)
    }

    /// The answer of a request the ledger cannot parse: the ledger's own coded error.
    fn unparsed(&self, op: Op, body: &str) -> Response {
        let now = wall_clock_ms();
        let signer = match self.service.keys.read() {
            Ok(k) => k.signer(now),
            Err(_) => return error(503, ErrorCode::StorageFailed, "the key ring is unavailable"),
        };
        let mut empty = RefLedger::new(signer, self.service.cfg.clone());
        let text = match op {
            Op::Push => empty.handle_push(body, now),
            Op::Pull => empty.handle_pull(body, now),
            Op::Admin => empty.handle_admin(body, now),
            Op::Proxy => empty.handle_proxy(body, now),
        };
        json_reply(200, text)
    }

    /// Runs a request on the service and answers.
    pub(crate) async fn run(&self, op: Op, account: String, body: String, push: Option<PushRequest>) -> Response {
        let started = Instant::now();
        match self.service.run(op, account, body, push).await {
            Ok(answer) => {
                let route = match op {
                    Op::Push => Route::Push,
                    Op::Pull => Route::Pull,
                    // The AI proxy's claims and settlements are counted with the admin commands.
                    Op::Admin | Op::Proxy => Route::Admin,
                };
                self.service.metrics.request(route, answer.tally, started.elapsed());
                json_reply(200, answer.body)
            }
            Err(e) => {
                tracing::error!(error = %e, "storage failed; nothing applied");
                error(503, ErrorCode::StorageFailed, "the ledger could not store the request; nothing was applied, send it again")
            }
        }
    }
}

/// The caller, authenticated from the request's head alone. As a handler's argument
/// before its body, it refuses a request without a valid credential before a byte of the
/// body is read (axum extracts the head's arguments first and the body last): a caller
/// nobody vouches for cannot make the service buffer `--max-body` per connection by
/// announcing a large body and sending it slowly, or never.
#[derive(Debug)]
pub(crate) struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        app.caller(&parts.headers).map(Authenticated)
    }
}

fn utf8(body: Bytes) -> Result<String, Response> {
    String::from_utf8(body.to_vec()).map_err(|_| error(400, ErrorCode::BadRequest, "the body is not UTF-8"))
}

/// Checks a device may act as `account`/`device`.
fn device_may(caller: &Caller, account: &str, device: &str) -> Result<(), Refusal> {
    match caller {
        Caller::Admin => {
            Err(Refusal::forbidden("the admin token is for /v1/admin and /v1/state; devices push and pull with their own token"))
        }
        Caller::Device(c) if c.account != account => Err(Refusal::forbidden("the token is for another account")),
        Caller::Device(c) if c.device.as_deref().is_some_and(|d| d != device) => Err(Refusal::forbidden("the token is for another device")),
        Caller::Device(_) => Ok(()),
    }
}

/// Takes `cost` (one request, or a push's mutations) from `account`'s budget in `rate`; when
/// less is left, HTTP 429 `RATE_LIMITED` with `message` (`what` names it in the log).
pub(crate) fn within_budget(
    rate: &crate::rate::AccountRate,
    account: &str,
    cost: usize,
    what: &str,
    message: &str,
) -> Result<(), Response> {
    if rate.allow_n(account, cost) {
        return Ok(());
    }
    crate::log_budget::refusal_line!(info, request = what, "request rate of an account exceeded");
    Err(error(429, ErrorCode::RateLimited, message))
}

/// `POST /v1/push`.
pub(crate) async fn push(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    let body = match utf8(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(req) = json::from_str::<PushRequest>(&body) else {
        // Parsing a body costs the service what its size does, so a device's body that is
        // no push request comes out of its account's push budget like one that is (it
        // is then parsed once more, in an empty ledger, for the protocol's answer).
        if let Caller::Device(c) = &caller {
            let message = "too many pushes for this account; send again later (nothing was applied)";
            if let Err(r) = within_budget(&app.push_rate, &c.account, 1, "push", message) {
                return r;
            }
        }
        return app.unparsed(Op::Push, &body);
    };
    if let Err(r) = device_may(&caller, &req.account_id, &req.device_id) {
        return app.refuse(&r);
    }
    let message = "too many pushes for this account; send again later (nothing was applied)";
    if let Err(r) = within_budget(&app.push_rate, &req.account_id, 1, "push", message) {
        return r;
    }
    let message = "too many mutations for this account this minute; send again later (nothing was applied)";
    if let Err(r) = within_budget(&app.mutation_rate, &req.account_id, req.mutations.len(), "push mutations", message) {
        return r;
    }
    let account = req.account_id.clone();
    crate::payments::account_email::remember(&app, &caller).await;
    app.run(Op::Push, account, body, Some(req)).await
}

/// `POST /v1/pull`.
pub(crate) async fn pull(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    let body = match utf8(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(req) = json::from_str::<PullRequest>(&body) else {
        // As for a push: a device's body that is no pull request costs its pull budget.
        if let Caller::Device(c) = &caller {
            if let Err(r) = within_budget(&app.pull_rate, &c.account, 1, "pull", "too many pulls for this account; pull again later") {
                return r;
            }
        }
        return app.unparsed(Op::Pull, &body);
    };
    if let Err(r) = device_may(&caller, &req.account_id, &req.device_id) {
        return app.refuse(&r);
    }
    if let Err(r) = within_budget(&app.pull_rate, &req.account_id, 1, "pull", "too many pulls for this account; pull again later") {
        return r;
    }
    crate::payments::account_email::remember(&app, &caller).await;
    app.run(Op::Pull, req.account_id, body, None).await
}

/// The `accountId` of an admin command (`None`: it has none; the ledger refuses it).
pub(crate) fn admin_account(body: &str) -> Option<String> {
    json::from_str::<Value>(body).ok()?.get("accountId")?.as_str().map(str::to_string)
}

/// `POST /v1/admin`: the admin token only. While the AI proxy runs, a `createAccount`
/// whose policy converts an allowance at another rate than the proxy's catalog charges
/// its operations is refused with `BAD_CATALOG` (`proxy::rates`).
pub(crate) async fn admin(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    if let Caller::Device(_) = caller {
        return app.refuse(&Refusal::forbidden("/v1/admin needs the admin token; a device token is never enough"));
    }
    let body = match utf8(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let (Some(proxy), Some(policy)) = (&app.proxy, crate::proxy::rates::created_policy(&body)) {
        if let Err(e) = crate::proxy::rates::check(&proxy.catalog, &policy) {
            return error(400, ErrorCode::BadCatalog, &format!("the proxy's catalog and this policy disagree: {e}"));
        }
    }
    match admin_account(&body) {
        Some(account) => app.run(Op::Admin, account, body, None).await,
        None => app.unparsed(Op::Admin, &body),
    }
}

/// `GET /v1/keys`: `{kid: base64url public key}` of every published key.
pub(crate) async fn keys(State(app): State<AppState>) -> Response {
    match app.service.keys.read() {
        Ok(k) => json_reply(200, k.public_json()),
        Err(_) => error(503, ErrorCode::StorageFailed, "the key ring is unavailable"),
    }
}

/// `GET /v1/state?account=ID`: the account's own devices or admin.
pub(crate) async fn state(State(app): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let caller = match app.caller(&headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(account) = q.get("account").cloned() else { return error(400, ErrorCode::BadRequest, "use /v1/state?account=ID") };
    if let Caller::Device(c) = &caller {
        if c.account != account {
            return app.refuse(&Refusal::forbidden("the token is for another account"));
        }
        // Writing an account's state costs what writing its snapshot does: a device's reads
        // come out of its account's pull budget (the admin's do not).
        if let Err(r) =
            within_budget(&app.pull_rate, &account, 1, "state", "too many pulls and state reads for this account; read again later")
        {
            return r;
        }
    }
    match app.service.state(account.clone(), app.state_entries).await {
        Ok(Some(text)) => json_reply(200, text),
        Ok(None) => error(404, ErrorCode::UnknownAccount, &format!("no account {account:?}")),
        Err(e) => {
            tracing::error!(error = %e, "reading an account failed");
            error(503, ErrorCode::StorageFailed, "the ledger could not read the account")
        }
    }
}

/// `GET /healthz`: 200 when the database answers.
pub(crate) async fn healthz(State(app): State<AppState>) -> Response {
    let store = Arc::clone(&app.service.store);
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => json_reply(200, r#"{"ok":true}"#.into()),
        _ => error(503, ErrorCode::StorageFailed, "the database does not answer"),
    }
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    // Counts of accounts, holds and overdraft are the vendor's business: the admin token
    // only (Prometheus: `authorization: {credentials_file: …}`).
    match app.caller(&headers) {
        Ok(Caller::Admin) => {}
        Ok(Caller::Device(_)) => return app.refuse(&Refusal::forbidden("/metrics needs the admin token")),
        Err(r) => return r,
    }
    let store = Arc::clone(&app.service.store);
    let totals = tokio::task::spawn_blocking(move || store.totals()).await.ok().and_then(Result::ok);
    let mut r = json_reply(200, app.service.metrics.render(totals.as_ref()));
    r.headers_mut().insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}
