//! `POST /v1/admin/refund {"accountId","purchaseId","requestId"}` (admin token): refunds
//! a purchase under the account's policy, once per `requestId`.
//!
//! 1. A `requestId` already recorded answers with its recorded answer (and, if Stripe
//!    has not yet accepted that refund, sends it again with the same idempotency key).
//! 2. Otherwise the ledger refunds the purchase: its refund rule decides — True Recall:
//!    the unused part (remaining credits, bonus included) within 14 days of purchase,
//!    paid back pro rata of the price; AssistLore: refused with `NOT_REFUNDABLE` — and
//!    the purchase's remaining credits are voided in the same transaction that records
//!    the request with the amount.
//! 3. After the commit, the amount is refunded through Stripe on the purchase's
//!    PaymentIntent with `Idempotency-Key: credit-meter-refund-<requestId>` (Stripe
//!    refunds once per key), and Stripe's refund id is recorded. When Stripe fails the
//!    answer is HTTP 502 `PAYMENT_PROVIDER_FAILED`: the credits are voided and the request
//!    is recorded; the same request sent again completes it.
//!
//! A purchase not paid through Stripe (an admin `purchase`) is refunded in the ledger
//! only.

use crate::auth::{Caller, Refusal};
use crate::engine::Op;
use crate::reply::Body;
use crate::reply::{error, json_reply};
use crate::routes::{AppState, Authenticated};
use crate::store::side::{RefundRow, SideRow};
use axum::extract::State;
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Usd;
use serde_json::Value as J;
use std::sync::Arc;

/// The ledger's admin command that refunds a purchase.
pub(crate) fn ledger_refund_body(account: &str, purchase: &str) -> String {
    json::to_string(&Value::object([("op", "refund".into()), ("accountId", account.into()), ("purchaseId", purchase.into())]))
}

/// The refund's amount in cents from the ledger's answer (`None`: it refused).
fn refunded_cents(response: &str) -> Option<i64> {
    let v: J = serde_json::from_str(response).ok()?;
    if !super::webhook::applied(&v) {
        return None;
    }
    let usd: Usd = v.pointer("/result/refundUsd")?.as_str()?.parse().ok()?;
    super::cents(usd)
}

/// The Stripe idempotency key of a refund request.
fn idempotency_key(request_id: &str) -> String {
    format!("credit-meter-refund-{request_id}")
}

/// The answer: the ledger's, with Stripe's refund id added to its result.
fn answer(response: &str, stripe_refund_id: Option<&str>) -> Response {
    let mut v: J = serde_json::from_str(response).unwrap_or(J::Null);
    if let (Some(result), Some(id)) = (v.get_mut("result").and_then(J::as_object_mut), stripe_refund_id) {
        result.insert("stripeRefundId".into(), J::String(id.to_string()));
    }
    json_reply(200, v.to_string())
}

/// Sends the recorded refund to Stripe (if it goes there and is not sent yet).
async fn send(app: &AppState, row: &RefundRow) -> Result<Option<String>, Response> {
    if row.stripe_refund_id.is_some() {
        return Ok(row.stripe_refund_id.clone());
    }
    let Some(intent) = row.payment_intent.as_deref().filter(|_| row.amount_cents > 0) else { return Ok(None) };
    let Some(stripe) = app.payments.stripe.as_ref() else {
        return Err(error(
            503,
            ErrorCode::PaymentsUnavailable,
            "the credits are voided, but this ledger has no Stripe secret key to pay back",
        ));
    };
    match stripe.create_refund(intent, row.amount_cents, &idempotency_key(&row.request_id)).await {
        Ok(id) => {
            let store = Arc::clone(&app.service.store);
            let (req, rid) = (row.request_id.clone(), id.clone());
            if !matches!(tokio::task::spawn_blocking(move || store.refund_sent(&req, &rid)).await, Ok(Ok(()))) {
                tracing::warn!(request = %row.request_id, "Stripe refunded, but recording its id failed; a repeat is safe (same idempotency key)");
            }
            tracing::info!(request = %row.request_id, refund = %id, cents = row.amount_cents, "refund sent to Stripe");
            Ok(Some(id))
        }
        Err(e) => {
            tracing::warn!(request = %row.request_id, error = %e, "Stripe refund failed");
            Err(error(
                502,
                ErrorCode::PaymentProviderFailed,
                "the purchase is refunded in the ledger and the request recorded, but Stripe did not take the refund; send the same request again",
            ))
        }
    }
}

/// `POST /v1/admin/refund`.
pub(crate) async fn refund(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    if let Caller::Device(_) = caller {
        return app.refuse(&Refusal::forbidden("refunds need the admin token"));
    }
    let v: J = serde_json::from_slice(&body).unwrap_or(J::Null);
    let field = |k: &str| v.get(k).and_then(J::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(account), Some(purchase), Some(request_id)) = (field("accountId"), field("purchaseId"), field("requestId")) else {
        return error(400, ErrorCode::BadRequest, "the body must be {\"accountId\",\"purchaseId\",\"requestId\"}");
    };
    refund_purchase(&app, account, purchase, request_id).await
}

/// Refunds `purchase` of `account` once per `request_id` (steps 1–3 of the module doc);
/// the caller has been authorised for the account.
pub(crate) async fn refund_purchase(app: &AppState, account: String, purchase: String, request_id: String) -> Response {
    let store = Arc::clone(&app.service.store);
    let looked = {
        let (req, pur) = (request_id.clone(), purchase.clone());
        tokio::task::spawn_blocking(move || Ok::<_, String>((store.refund(&req)?, store.payment(&pur)?))).await
    };
    let (existing, payment) = match looked {
        Ok(Ok(x)) => x,
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its refunds"),
    };
    if let Some(row) = existing {
        if row.account_id != account || row.purchase_id != purchase {
            return error(400, ErrorCode::BadRequest, "this requestId was used for another purchase");
        }
        return match send(app, &row).await {
            Ok(id) => answer(&row.response, id.as_deref()),
            Err(r) => r,
        };
    }
    let intent = payment.filter(|p| p.account_id == account).and_then(|p| p.payment_intent);
    let row = RefundRow {
        request_id: request_id.clone(),
        account_id: account.clone(),
        purchase_id: purchase.clone(),
        payment_intent: intent,
        amount_cents: 0,
        response: String::new(),
        stripe_refund_id: None,
    };
    let template = row.clone();
    let side = move |response: &str| match refunded_cents(response) {
        Some(cents) => vec![SideRow::Refund(RefundRow { amount_cents: cents, response: response.to_string(), ..template.clone() })],
        None => Vec::new(),
    };
    let body = ledger_refund_body(&account, &purchase);
    let response = match app.service.run_with(Op::Admin, account, body, None, Box::new(side)).await {
        Ok(a) => a.body,
        Err(e) => {
            tracing::error!(error = %e, "storage failed; nothing refunded");
            return error(503, ErrorCode::StorageFailed, "the ledger could not store the refund; nothing was refunded");
        }
    };
    let Some(cents) = refunded_cents(&response) else {
        // A concurrent request with the same id may have refunded it just before.
        let store = Arc::clone(&app.service.store);
        let req = request_id.clone();
        if let Ok(Ok(Some(row))) = tokio::task::spawn_blocking(move || store.refund(&req)).await {
            if row.purchase_id == purchase {
                return match send(app, &row).await {
                    Ok(id) => answer(&row.response, id.as_deref()),
                    Err(r) => r,
                };
            }
        }
        return json_reply(200, response);
    };
    let row = RefundRow { amount_cents: cents, response: response.clone(), ..row };
    match send(app, &row).await {
        Ok(id) => answer(&response, id.as_deref()),
        Err(r) => r,
    }
}
