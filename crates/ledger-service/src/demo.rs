//! `serve --demo`: what the demo page needs, clearly apart from the ledger's real API.
//!
//! - On start, the demo accounts are created if missing: `demo` (True Recall, Starter
//!   package bought as purchase `welcome`) and `demo-agent` (AssistLore, signup grant,
//!   `starter` plan for 30 days).
//! - `POST /demo/token {"accountId","deviceId"}` issues a device token (HS256, 1 hour)
//!   for a demo account only — the demo's stand-in for a vendor's sign-in.
//! - `POST /demo/admin` runs the page's shop buttons (purchase, changePlan, convert,
//!   activateAgent, balance) for the caller's own demo account, with its device token.
//!   Never the admin token in a browser; never any other account. When the ledger sells
//!   through Stripe (`--stripe-secret-key-file`, as `scripts/demo.sh` runs it against its
//!   stand-in) `purchase` and `changePlan` are refused: credits are then bought only
//!   through `POST /v1/checkout` and its paid webhook, so the page cannot add credits
//!   nobody paid for.
//! - `POST /demo/refund {"purchaseId"}` refunds a purchase of the caller's own demo
//!   account the way the vendor's `POST /v1/admin/refund` does (the policy decides; one
//!   request per purchase: `requestId` = `demo-<purchaseId>`), for the page's refund
//!   button — a vendor would put its support desk here.
//! - `GET /demo/proxy` says whether this ledger runs the AI proxy (`--upstream-url`): the
//!   page then makes its credit-paid calls through it, else it simulates them, labelled.

use crate::auth::{Caller, Refusal};
use crate::engine::Op;
use crate::reply::Body;
use crate::reply::{error, json_reply};
use crate::routes::{admin_account, AppState, Authenticated};
use crate::service::{wall_clock_ms, Service};
use axum::extract::State;
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;
use jsonwebtoken::{EncodingKey, Header};
use std::sync::Arc;

/// The demo account under True Recall.
pub(crate) const DEMO_ACCOUNT: &str = "demo";
/// The demo account under AssistLore.
pub(crate) const DEMO_AGENT_ACCOUNT: &str = "demo-agent";
/// Demo tokens live this long.
const TOKEN_TTL_S: i64 = 3600;
const DAY_MS: i64 = 86_400_000;
/// The admin commands the page's buttons send.
const DEMO_OPS: [&str; 5] = ["purchase", "changePlan", "convert", "activateAgent", "balance"];
/// The commands that add paid credits: only through checkout when the ledger has Stripe.
const PAID_OPS: [&str; 2] = ["purchase", "changePlan"];

/// The demo's token issuer.
#[derive(Clone)]
pub(crate) struct Demo {
    key: EncodingKey,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Demo(…)")
    }
}

impl Demo {
    /// Issues demo tokens with `secret` (the service's HS256 device-token secret).
    pub(crate) fn new(secret: &[u8]) -> Demo {
        Demo { key: EncodingKey::from_secret(secret) }
    }
}

/// Creates the demo accounts when missing.
pub(crate) async fn set_up(service: &Arc<Service>) -> Result<(), String> {
    let now = wall_clock_ms();
    let demo = || ("accountId", Value::from(DEMO_ACCOUNT));
    let agent = || ("accountId", Value::from(DEMO_AGENT_ACCOUNT));
    for (account, commands) in [
        (
            DEMO_ACCOUNT,
            vec![
                Value::object([("op", "createAccount".into()), demo(), ("policy", "trueRecall".into())]),
                Value::object([("op", "purchase".into()), demo(), ("purchaseId", "welcome".into()), ("packageId", "starter".into())]),
            ],
        ),
        (
            DEMO_AGENT_ACCOUNT,
            vec![
                Value::object([("op", "createAccount".into()), agent(), ("policy", "assistLore".into())]),
                Value::object([("op", "signup".into()), agent()]),
                Value::object([
                    ("op", "changePlan".into()),
                    agent(),
                    ("planId", "starter".into()),
                    ("startsAt", json::to_value(&now)),
                    ("endsAt", json::to_value(&(now + 30 * DAY_MS))),
                ]),
            ],
        ),
    ] {
        let exists = {
            let store = Arc::clone(&service.store);
            let id = account.to_string();
            tokio::task::spawn_blocking(move || store.load(&id)).await.map_err(|e| e.to_string())??.is_some()
        };
        if exists {
            continue;
        }
        for cmd in commands {
            let answer = service.run(Op::Admin, account.to_string(), json::to_string(&cmd), None).await?;
            if !answer.body.starts_with(r#"{"ok":true"#) {
                return Err(format!("demo setup failed: {} -> {}", json::to_string(&cmd), answer.body));
            }
        }
    }
    Ok(())
}

/// `POST /demo/token`.
pub(crate) async fn token(State(app): State<AppState>, Body(body): Body) -> Response {
    let Ok(v) = json::from_slice::<Value>(&body) else { return error(400, ErrorCode::BadRequest, "send {\"accountId\",\"deviceId\"}") };
    let (Some(account), Some(device)) = (v.get("accountId").and_then(Value::as_str), v.get("deviceId").and_then(Value::as_str)) else {
        return error(400, ErrorCode::BadRequest, "send {\"accountId\",\"deviceId\"}");
    };
    // The id the token will carry must be one a push may name (PROTOCOL §1): a token for
    // a 4 MB id was signed, megabytes long, for anyone who asked.
    if let Err(e) = credit_meter_protocol::ids::check_device_id(device) {
        return error(400, ErrorCode::BadRequest, &format!("the deviceId {e}"));
    }
    let Some(demo) = app.demo.clone() else { return error(404, ErrorCode::NotFound, "not a demo ledger") };
    if account != DEMO_ACCOUNT && account != DEMO_AGENT_ACCOUNT {
        return app.refuse(&Refusal::forbidden("the demo sign-in is for the demo accounts only"));
    }
    let exp = wall_clock_ms() / 1000 + TOKEN_TTL_S;
    // The demo accounts' low-balance emails go to the stand-in's mailbox (scripts/demo.sh).
    let claims = serde_json::json!({ "sub": account, "device": device, "exp": exp, "email": format!("{account}@demo.invalid") });
    match jsonwebtoken::encode(&Header::default(), &claims, &demo.key) {
        Ok(token) => {
            json_reply(200, json::to_string(&Value::object([("token", token.into()), ("expiresAt", json::to_value(&(exp * 1000)))])))
        }
        Err(_) => error(500, ErrorCode::BadRequest, "cannot issue a token"),
    }
}

/// `POST /demo/admin`.
pub(crate) async fn admin(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    if app.demo.is_none() {
        return error(404, ErrorCode::NotFound, "not a demo ledger");
    }
    let claims = match caller {
        Caller::Device(c) => c,
        Caller::Admin => return app.refuse(&Refusal::forbidden("/demo/admin takes a demo device token")),
    };
    let Ok(body) = String::from_utf8(body.to_vec()) else { return error(400, ErrorCode::BadRequest, "the body is not UTF-8") };
    let op = json::from_str::<Value>(&body).ok().and_then(|v| v.get("op").and_then(Value::as_str).map(str::to_string));
    if !op.as_deref().is_some_and(|o| DEMO_OPS.contains(&o)) {
        return app.refuse(&Refusal::forbidden(format!("the demo allows only {DEMO_OPS:?}")));
    }
    if app.payments.stripe.is_some() && op.as_deref().is_some_and(|o| PAID_OPS.contains(&o)) {
        return app
            .refuse(&Refusal::forbidden("this ledger sells through Stripe: buy with POST /v1/checkout (the page's Buy and plan buttons)"));
    }
    let account = admin_account(&body);
    if account.as_deref() != Some(claims.account.as_str()) || (claims.account != DEMO_ACCOUNT && claims.account != DEMO_AGENT_ACCOUNT) {
        return app.refuse(&Refusal::forbidden("the demo acts on the token's own demo account only"));
    }
    app.run(Op::Admin, claims.account, body, None).await
}

/// `GET /demo/proxy`: `{"proxy": true}` when `POST /v1/ai/chat/completions` forwards to a
/// provider, else `{"proxy": false}` — so the page knows without calling the proxy (a
/// refused call would be a failed request in the browser's console).
pub(crate) async fn proxy_info(State(app): State<AppState>) -> Response {
    json_reply(200, json::to_string(&Value::object([("proxy", app.proxy.is_some().into())])))
}

/// `POST /demo/refund`.
pub(crate) async fn refund(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    if app.demo.is_none() {
        return error(404, ErrorCode::NotFound, "not a demo ledger");
    }
    let claims = match caller {
        Caller::Device(c) => c,
        Caller::Admin => return app.refuse(&Refusal::forbidden("/demo/refund takes a demo device token")),
    };
    if claims.account != DEMO_ACCOUNT && claims.account != DEMO_AGENT_ACCOUNT {
        return app.refuse(&Refusal::forbidden("the demo refunds the token's own demo account only"));
    }
    let purchase = json::from_slice::<Value>(&body).ok().and_then(|v| v.get("purchaseId").and_then(Value::as_str).map(str::to_string));
    let Some(purchase) = purchase.filter(|p| !p.is_empty() && p.len() <= 128) else {
        return error(400, ErrorCode::BadRequest, "send {\"purchaseId\"} (1–128 bytes)");
    };
    let request_id = format!("demo-{purchase}");
    crate::payments::refund::refund_purchase(&app, claims.account, purchase, request_id).await
}
