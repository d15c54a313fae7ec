//! `POST /v1/checkout {"packageId"}` with a device token (`{"planId"}`: a subscription,
//! see [`super::subscription`]): creates a Stripe Checkout
//! Session (mode `payment`) for a package of the account's policy — its price in USD
//! cents and its name from the catalog — and answers `{"ok":true,"result":{"sessionId",
//! "url"}}`; the app sends the buyer to `url`. The session carries the account as
//! `client_reference_id` and the package as `metadata.packageId` (also on the
//! PaymentIntent, so charge events name them); the credits are granted by the webhook
//! when Stripe reports the session paid, never by this call.

use crate::auth::{Caller, Refusal};
use crate::reply::Body;
use crate::reply::{error, json_reply};
use crate::routes::{AppState, Authenticated};
use axum::extract::State;
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;

/// The form fields of the Checkout Session for `package` bought by `account`.
pub(crate) fn session_form(
    account: &str,
    package_id: &str,
    name: &str,
    cents: i64,
    success_url: &str,
    cancel_url: &str,
) -> Vec<(String, String)> {
    [
        ("mode", "payment".to_string()),
        ("client_reference_id", account.to_string()),
        ("metadata[packageId]", package_id.to_string()),
        ("metadata[accountId]", account.to_string()),
        // What the session must be paid: the webhook grants only a session paid this (a
        // session this ledger did not create, or paid less through a coupon, has none).
        ("metadata[priceCents]", cents.to_string()),
        ("payment_intent_data[metadata][packageId]", package_id.to_string()),
        ("payment_intent_data[metadata][accountId]", account.to_string()),
        ("line_items[0][quantity]", "1".to_string()),
        ("line_items[0][price_data][currency]", "usd".to_string()),
        ("line_items[0][price_data][unit_amount]", cents.to_string()),
        ("line_items[0][price_data][product_data][name]", name.to_string()),
        ("success_url", success_url.to_string()),
        ("cancel_url", cancel_url.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `POST /v1/checkout`.
pub(crate) async fn checkout(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    let Caller::Device(claims) = &caller else {
        return app.refuse(&Refusal::forbidden("checkout is for a device of the buying account, not the admin token"));
    };
    let Some(stripe) = app.payments.stripe.as_ref() else {
        return error(503, ErrorCode::PaymentsUnavailable, "this ledger has no Stripe secret key (--stripe-secret-key-file)");
    };
    let message = "too many checkouts for this account; try again in a minute";
    if let Err(r) = crate::routes::within_budget(&app.checkout_rate, &claims.account, 1, "checkout", message) {
        return r;
    }
    let parsed = json::from_str::<Value>(std::str::from_utf8(&body).unwrap_or("")).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).filter(|p| !p.is_empty()).map(str::to_string);
    if let Some(plan) = field("planId") {
        super::account_email::remember(&app, &caller).await;
        return super::subscription::checkout(&app, &claims.account, &plan).await;
    }
    let Some(package_id) = field("packageId") else {
        return error(400, ErrorCode::BadRequest, "the body must be {\"packageId\":\"…\"} or {\"planId\":\"…\"}");
    };
    super::account_email::remember(&app, &caller).await;
    let account = claims.account.clone();
    let rec = match super::load_account(&app, &account).await {
        Ok(Some(rec)) => rec,
        Ok(None) => return error(404, ErrorCode::UnknownAccount, &format!("no account {account:?}")),
        Err(r) => return r,
    };
    let Some(pkg) = rec.account.policy().package(&package_id).cloned() else {
        return error(404, ErrorCode::NotFound, &format!("the account's policy sells no package {package_id:?}"));
    };
    let Some(cents) = super::cents(pkg.price_usd).filter(|c| *c > 0) else {
        return error(400, ErrorCode::BadRequest, &format!("package {package_id:?} has no price in whole cents"));
    };
    let form = session_form(&account, &package_id, &pkg.name, cents, &app.payments.success_url, &app.payments.cancel_url);
    match stripe.create_checkout_session(&form).await {
        Ok(session) => {
            tracing::info!(session = %session.id, package = %package_id, "checkout session created");
            let result = Value::object([("sessionId", session.id.into()), ("url", session.url.into())]);
            json_reply(200, json::to_string(&Value::object([("ok", true.into()), ("result", result)])))
        }
        Err(e) => {
            tracing::warn!(error = %e, "creating a checkout session failed");
            error(502, ErrorCode::PaymentProviderFailed, "Stripe did not create the checkout session; try again")
        }
    }
}

/// `GET /demo/payments` (`serve --demo` only): `{"standIn": URL}` when checkout goes to a
/// loopback stand-in of Stripe (`scripts/demo.sh`), else `{"standIn": null}` — the demo
/// page shows its test-mode buy buttons and mailbox only then.
pub(crate) async fn demo_info(State(app): State<AppState>) -> Response {
    let stand_in =
        app.payments.stripe.as_ref().map(|s| s.base()).filter(|b| b.starts_with("http://127.0.0.1:") || b.starts_with("http://localhost:"));
    let v = match stand_in {
        Some(b) => Value::String(b.to_string()),
        None => Value::Null,
    };
    json_reply(200, json::to_string(&Value::object([("standIn", v)])))
}
