//! `POST /v1/webhooks/stripe`: Stripe's events, verified with the endpoint's signing
//! secret ([`super::signature`]) before anything is read from them; a bad signature is
//! HTTP 400 `BAD_SIGNATURE` and changes nothing.
//!
//! - `checkout.session.completed` with `payment_status: "paid"` (and
//!   `checkout.session.async_payment_succeeded`) for a `mode: "payment"` session grants
//!   `metadata.packageId` to the account `client_reference_id` as the ledger purchase
//!   whose id is the session id — only when it was paid what this ledger asked at
//!   checkout (`metadata.priceCents`, in USD: `amount_total`, or with Adaptive Pricing
//!   `currency_conversion.amount_total` in its `source_currency`), and that price was at
//!   least the package's price now and more than zero (the metadata is the session's own:
//!   anyone able to make sessions on the vendor's Stripe account — another integration, a
//!   dashboard user, a leaked restricted key — could write a $0 price in it; a session
//!   made before a price rise is refused like the rest and granted by hand); any other paid session
//!   (another product of the vendor's Stripe account, a coupon) is logged, recorded as
//!   refused (`refused_payments`, once per session) and not granted, then or by any later
//!   delivery (a refusal stands; the operator may grant it by hand). The purchase, the
//!   payment row (PaymentIntent, amount) and the event id are committed in one
//!   transaction; the ledger refuses a second purchase with the same id, so however many
//!   times and however concurrently Stripe delivers the session's events, it is granted
//!   once.
//! - `charge.refunded` (refunded in full) and `charge.dispute.created` for a purchase paid
//!   here: unless the ledger already refunded it (an admin refund), the ledger's refund
//!   rule is applied to the purchase — its remaining credits (bonus included) are voided
//!   when the policy and the refund window allow; otherwise the credits stay and the event
//!   is logged for the operator (see README "Payments and notifications"). A partial refund
//!   voids nothing (logged for the operator). One of a session refused above is
//!   acknowledged (logged): nothing was granted, and nothing will be. One that arrives
//!   before its purchase was granted (its charge names an account and package of this
//!   ledger's checkout, and its session was not refused) is 500, so that Stripe sends it
//!   again once the grant went through.
//! - `invoice.paid`, `customer.subscription.updated` / `.deleted`: plans
//!   ([`super::subscription`]).
//! - Every other event is acknowledged (HTTP 200) and ignored.
//!
//! Answers: 200 when the event is applied, already applied or ignored; 400 for a bad
//! signature or a body that is not an event; 500 with the ledger's code for a paid session
//! it cannot grant (an unknown account, a package the policy does not sell: logged, and
//! Stripe retries it) and for a refund or dispute of a purchase not granted yet; 503 when
//! storage failed (Stripe retries).

use super::refund::ledger_refund_body;
use crate::engine::Op;
use crate::reply::Body;
use crate::reply::{error, json_reply};
use crate::routes::AppState;
use crate::service::wall_clock_ms;
use crate::store::side::{Payment, RefundRow, RefusedPayment, SideRow};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;
use serde_json::Value as J;
use std::sync::Arc;

/// A string field at a JSON pointer.
pub(crate) fn text(v: &J, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(J::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// An id field that Stripe sends as a string or, expanded, as an object with `id`.
pub(crate) fn id_of(v: &J, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        J::String(s) if !s.is_empty() => Some(s.clone()),
        J::Object(o) => o.get("id").and_then(J::as_str).map(str::to_string),
        _ => None,
    }
}

/// The `stripe_refund_id` of a refund Stripe reported rather than one the ledger asked for.
const MADE_IN_STRIPE: &str = "made-in-stripe";

/// Whether an admin answer (`{"ok":true,…}` or a refusal) says the command was applied.
pub(crate) fn applied(answer: &J) -> bool {
    answer.get("ok") == Some(&J::Bool(true))
}

/// [`applied`] on an answer's text (what a write's side-row closure is handed).
pub(crate) fn applied_text(answer: &str) -> bool {
    serde_json::from_str::<J>(answer).is_ok_and(|v| applied(&v))
}

pub(crate) fn ack(what: &str) -> Response {
    json_reply(200, json::to_string(&Value::object([("received", true.into()), ("result", what.into())])))
}

/// The most bytes an event may have. Stripe's are a few kilobytes (a Checkout Session's,
/// 3–6 KB); anyone may post here, and a body must be read before its signature can be
/// checked, so the route reads at most this much (`server.rs`; the service's `--max-body`,
/// 4 MiB by default, is for pushes). 128 connections holding 4 MiB bodies open took the
/// service from 9 MB to 538 MB before.
pub(crate) const MAX_EVENT_BYTES: usize = 256 * 1024;

/// The ledger's webhook secret and the request's `Stripe-Signature` header: taken before the
/// body is read, so a request to a ledger without a secret, or without the header, is
/// answered at once (503 `PAYMENTS_UNAVAILABLE`, 400 `BAD_SIGNATURE`) instead of after its
/// body arrives.
pub(crate) struct SignatureHeader {
    secret: Vec<u8>,
    header: String,
}

impl FromRequestParts<AppState> for SignatureHeader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let Some(secret) = app.payments.webhook_secret.clone() else {
            return Err(error(503, ErrorCode::PaymentsUnavailable, "this ledger has no webhook secret (--stripe-webhook-secret-file)"));
        };
        match parts.headers.get("stripe-signature").and_then(|h| h.to_str().ok()) {
            Some(h) => Ok(SignatureHeader { secret, header: h.to_string() }),
            None => Err(error(400, ErrorCode::BadSignature, "no Stripe-Signature header")),
        }
    }
}

/// `POST /v1/webhooks/stripe`.
pub(crate) async fn stripe(State(app): State<AppState>, signed: SignatureHeader, Body(body): Body) -> Response {
    let SignatureHeader { secret, header } = signed;
    if let Err(e) = super::signature::verify(&body, &header, &secret, wall_clock_ms() / 1000, app.payments.tolerance_s) {
        // Within the refusal log budget: a bad signature costs the sender nothing.
        crate::log_budget::refusal_line!(info, reason = %e, "a webhook event was refused");
        return error(400, ErrorCode::BadSignature, &e.to_string());
    }
    let Ok(event) = serde_json::from_slice::<J>(&body) else { return error(400, ErrorCode::BadRequest, "the event is not JSON") };
    let (Some(event_id), Some(kind)) = (text(&event, "/id"), text(&event, "/type")) else {
        return error(400, ErrorCode::BadRequest, "the event has no id or type");
    };
    let object = event.pointer("/data/object").cloned().unwrap_or(J::Null);
    let store = Arc::clone(&app.service.store);
    let seen = {
        let id = event_id.clone();
        tokio::task::spawn_blocking(move || store.event_seen(&id)).await
    };
    match seen {
        // A paid invoice sent again may still record the subscription of an account the
        // ledger has none of (`subscription::invoice_paid_again`).
        Ok(Ok(true)) if kind == "invoice.paid" => return super::subscription::invoice_paid_again(&app, &object).await,
        Ok(Ok(true)) => return ack("duplicate"),
        Ok(Ok(false)) => {}
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its events; send it again"),
    }
    match kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => grant(&app, &event_id, &kind, &object).await,
        "charge.refunded" | "charge.dispute.created" => charge_back(&app, &event_id, &kind, &object).await,
        "invoice.paid" => super::subscription::invoice_paid(&app, &event_id, &object).await,
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            super::subscription::subscription_changed(&app, &event_id, &kind, &object).await
        }
        _ => ack("ignored"),
    }
}

/// Grants a paid Checkout Session's package once.
async fn grant(app: &AppState, event_id: &str, kind: &str, session: &J) -> Response {
    if text(session, "/mode").as_deref() != Some("payment") || text(session, "/payment_status").as_deref() != Some("paid") {
        return ack("ignored: not a paid payment session");
    }
    let (Some(session_id), Some(account), Some(package)) =
        (text(session, "/id"), text(session, "/client_reference_id"), text(session, "/metadata/packageId"))
    else {
        tracing::warn!(event = event_id, "a paid session without client_reference_id or metadata.packageId was ignored");
        return ack("ignored: no client_reference_id or metadata.packageId");
    };
    // A refusal stands: a session refused once is not granted by a later delivery (a legacy
    // session's price check reads the package's price now, which can change), so that a
    // refund or dispute acknowledged for it as "nothing was granted" stays true. The
    // operator grants one by hand (an admin purchase) after reviewing it in Stripe.
    let store = Arc::clone(&app.service.store);
    let id = session_id.clone();
    match tokio::task::spawn_blocking(move || store.session_refused(&id)).await {
        Ok(Ok(false)) => {}
        Ok(Ok(true)) => {
            tracing::warn!(event = event_id, session = %session_id, "a paid session refused before was delivered again: not granted");
            return ack("ignored: this session was refused before");
        }
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its refused sessions; send it again"),
    }
    // The price asked: the session's own, or — a session this ledger's checkout created
    // before it wrote one (its `metadata.accountId`), paid within its 24 hours or by a
    // delayed method — the package's price now. An account not there yet (the purchase
    // below answers 500, and Stripe retries) is checked on that retry.
    let checked = match text(session, "/metadata/priceCents").and_then(|c| c.parse::<i64>().ok()) {
        Some(cents) if cents <= 0 => Err("asked no price: not a sale of this ledger"),
        Some(cents) => match package_cents(app, &account, &package).await {
            Ok(Some(now)) if cents < now => Err("asked less than its package's price"),
            Ok(_) => paid_as_asked(session, cents),
            Err(r) => return r,
        },
        None if text(session, "/metadata/accountId").is_some() => match package_cents(app, &account, &package).await {
            Ok(Some(cents)) => paid_as_asked(session, cents),
            Ok(None) => Ok(()), // no such account or package: the purchase below refuses it
            Err(r) => return r,
        },
        None => Err("no metadata.priceCents: not a checkout of this ledger"),
    };
    let now = wall_clock_ms();
    let (payment_intent, amount_cents, currency) = (
        id_of(session, "/payment_intent"),
        session.pointer("/amount_total").and_then(J::as_i64).unwrap_or(0),
        text(session, "/currency").unwrap_or_default(),
    );
    if let Err(why) = checked {
        tracing::error!(event = event_id, session = %session_id, why, "a paid session was not granted: review it in Stripe");
        // Recorded, so that a refund or dispute of this payment is known for one of a
        // session never granted instead of one not granted yet (`charge_back`).
        let refused = RefusedPayment {
            session_id,
            account_id: account,
            package_id: package,
            payment_intent,
            amount_cents,
            currency,
            reason: why.to_string(),
            refused_at: now,
        };
        let store = Arc::clone(&app.service.store);
        if !matches!(tokio::task::spawn_blocking(move || store.record_refused_payment(&refused)).await, Ok(Ok(()))) {
            return error(503, ErrorCode::StorageFailed, "the ledger could not record the refused session; send it again");
        }
        return ack(&format!("ignored: {why}"));
    }
    let payment = Payment {
        purchase_id: session_id.clone(),
        account_id: account.clone(),
        package_id: package.clone(),
        payment_intent,
        amount_cents,
        currency,
        paid_at: now,
    };
    let body = json::to_string(&Value::object([
        ("op", "purchase".into()),
        ("accountId", account.as_str().into()),
        ("purchaseId", session_id.as_str().into()),
        ("packageId", package.as_str().into()),
    ]));
    let rows = vec![
        SideRow::StripeEvent { event_id: event_id.to_string(), kind: kind.to_string(), account_id: account.clone(), at: now },
        SideRow::Payment(payment),
    ];
    // The payment and the event are recorded only with the grant: a refused purchase (its
    // id taken, say) leaves no payment row that would later pass for this session's.
    let granted_rows = move |response: &str| if applied_text(response) { rows.clone() } else { Vec::new() };
    let answer = app.service.run_with(Op::Admin, account, body, None, Box::new(granted_rows)).await;
    match answer {
        Ok(a) => {
            let v: J = serde_json::from_str(&a.body).unwrap_or(J::Null);
            if applied(&v) {
                tracing::info!(session = %session_id, "checkout session paid: package granted");
                return ack("granted");
            }
            match text(&v, "/error/code").as_deref() {
                // The purchase id is taken: by this session's own grant (a redelivery: its
                // payment row was committed with it), or by a grant that merely shares the
                // id (an admin grant named `cs_…`), which must not swallow a paid session.
                Some("DUPLICATE_ID") => {
                    let store = Arc::clone(&app.service.store);
                    let id = session_id.clone();
                    match tokio::task::spawn_blocking(move || store.payment(&id)).await {
                        Ok(Ok(Some(_))) => ack("duplicate"),
                        Ok(Ok(None)) => {
                            tracing::error!(session = %session_id, "a paid session's purchase id is taken by another grant of the account; nothing granted");
                            error(
                                500,
                                ErrorCode::DuplicateId,
                                "this paid session's purchase id is taken by another grant of the account; the ledger has logged it",
                            )
                        }
                        _ => error(503, ErrorCode::StorageFailed, "the ledger could not read its payments; send it again"),
                    }
                }
                code => {
                    // Paid, and nothing granted: answered as a failure, so that Stripe
                    // retries it (for up to three days) and its dashboard shows it. Once the
                    // operator creates the account or restores the package, a retry grants.
                    tracing::error!(session = %session_id, code = ?code, "a paid checkout session could not be granted");
                    let code = code.and_then(ErrorCode::parse).unwrap_or(ErrorCode::BadRequest);
                    error(500, code, "this paid session could not be granted (see the code); the ledger has logged it and grants it when Stripe sends it again after the cause is fixed")
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "storage failed; the event is not applied");
            error(503, ErrorCode::StorageFailed, "the ledger could not store the grant; send it again")
        }
    }
}

/// Whether a paid session was paid what this ledger asked at checkout: `metadata.priceCents`
/// in USD cents, as `amount_total` in `usd`, or — Adaptive Pricing showed the buyer another
/// currency — as `currency_conversion.amount_total` in its `source_currency` `usd`.
/// `Err`: why not.
fn paid_as_asked(session: &J, asked: i64) -> Result<(), &'static str> {
    let (paid, currency) = match session.get("currency_conversion").filter(|c| !c.is_null()) {
        Some(c) => (c.pointer("/amount_total").and_then(J::as_i64), text(c, "/source_currency")),
        None => (session.pointer("/amount_total").and_then(J::as_i64), text(session, "/currency")),
    };
    if currency.as_deref().map(str::to_ascii_lowercase).as_deref() != Some("usd") {
        return Err("not paid in USD, the currency of its price");
    }
    if paid != Some(asked) {
        return Err("paid another amount than its package's price");
    }
    Ok(())
}

/// The price in cents of the package the account's policy sells as `package`: `None` when
/// the account or the package is not there (the purchase then answers why).
async fn package_cents(app: &AppState, account: &str, package: &str) -> Result<Option<i64>, Response> {
    let rec = super::load_account(app, account).await?;
    Ok(rec.and_then(|rec| rec.account.policy().package(package).and_then(|p| super::cents(p.price_usd))))
}

/// What a PaymentIntent paid for, as this ledger recorded it.
enum Paid {
    /// A granted purchase, and the refunds recorded for it.
    Granted(Payment, Vec<RefundRow>),
    /// A paid session the webhook refused to grant: nothing was granted for it.
    Refused(RefusedPayment),
    /// Nothing recorded (yet).
    Unknown,
}

/// A refund or dispute made in Stripe: the ledger's refund rule on the purchase.
async fn charge_back(app: &AppState, event_id: &str, kind: &str, charge: &J) -> Response {
    let Some(intent) = id_of(charge, "/payment_intent") else { return ack("ignored: no payment_intent") };
    if kind == "charge.refunded" {
        let (amount, refunded) = (charge.pointer("/amount").and_then(J::as_i64), charge.pointer("/amount_refunded").and_then(J::as_i64));
        let whole = charge.get("refunded") == Some(&J::Bool(true)) || matches!((amount, refunded), (Some(a), Some(r)) if r >= a);
        if !whole {
            // Voiding the whole purchase for a part of its price would take what was paid
            // for; voiding a share is the operator's call (admin `refund` or a grant).
            tracing::warn!(event = event_id, payment_intent = %intent, ?amount, ?refunded, "a partial refund in Stripe voided nothing: review it");
            return ack("ignored: a partial refund voids nothing (logged for the operator)");
        }
    }
    let store = Arc::clone(&app.service.store);
    let wanted = intent.clone();
    // A grant wins over a refusal of the same payment (were a refused session granted
    // after all, its refund voids the purchase like any other).
    let found = tokio::task::spawn_blocking(move || {
        if let Some(p) = store.payment_by_intent(&wanted)? {
            let refunds = store.refunds_of(&p.purchase_id)?;
            return Ok(Paid::Granted(p, refunds));
        }
        Ok::<_, String>(store.refused_payment_by_intent(&wanted)?.map_or(Paid::Unknown, Paid::Refused))
    })
    .await;
    let (payment, refunds) = match found {
        Ok(Ok(Paid::Granted(p, refunds))) => (p, refunds),
        Ok(Ok(Paid::Refused(r))) => {
            // Its session will never be granted: asking Stripe to send this again (for
            // three days) would wait for nothing. The money is the operator's business in
            // Stripe; the ledger has nothing to void.
            tracing::info!(
                event = event_id, kind, payment_intent = %intent, session = %r.session_id, account = %r.account_id, reason = %r.reason,
                "a refund or dispute of a refused session: nothing was granted, nothing to void"
            );
            return ack("ignored: the session this charge paid was refused, nothing was granted");
        }
        Ok(Ok(Paid::Unknown)) if text(charge, "/metadata/accountId").is_some() && text(charge, "/metadata/packageId").is_some() => {
            // A charge of this ledger's checkout whose purchase is not granted yet (its
            // session is still being retried): ask Stripe to send this again, so that the
            // refund is not lost and the purchase not granted after it for good.
            tracing::warn!(event = event_id, payment_intent = %intent, "a refund or dispute came before its purchase was granted; Stripe will send it again");
            return error(500, ErrorCode::NotFound, "the purchase this charge paid for is not granted yet; send this event again");
        }
        Ok(Ok(Paid::Unknown)) => return ack("ignored: not a purchase paid here"),
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its payments; send it again"),
    };
    if !refunds.is_empty() {
        return ack("already refunded by the ledger");
    }
    let now = wall_clock_ms();
    let account = payment.account_id.clone();
    let amount = match kind {
        "charge.refunded" => charge.pointer("/amount_refunded").and_then(J::as_i64),
        _ => charge.pointer("/amount").and_then(J::as_i64),
    }
    .unwrap_or(0);
    let event_row = SideRow::StripeEvent { event_id: event_id.to_string(), kind: kind.to_string(), account_id: account.clone(), at: now };
    let request_id = format!("stripe:{event_id}");
    let (purchase, intent) = (payment.purchase_id.clone(), payment.payment_intent.clone());
    let rows = move |response: &str| {
        vec![
            event_row.clone(),
            SideRow::Refund(RefundRow {
                request_id: request_id.clone(),
                account_id: account.clone(),
                purchase_id: purchase.clone(),
                payment_intent: intent.clone(),
                amount_cents: amount,
                response: response.to_string(),
                // Made in Stripe: nothing to send to it.
                stripe_refund_id: Some(MADE_IN_STRIPE.to_string()),
            }),
        ]
    };
    let body = ledger_refund_body(&payment.account_id, &payment.purchase_id);
    match app.service.run_with(Op::Admin, payment.account_id.clone(), body, None, Box::new(rows)).await {
        Ok(a) => {
            let v: J = serde_json::from_str(&a.body).unwrap_or(J::Null);
            if applied(&v) {
                tracing::info!(purchase = %payment.purchase_id, kind, "refunded or disputed in Stripe: the purchase's remaining credits are voided");
                ack("voided")
            } else {
                tracing::warn!(
                    purchase = %payment.purchase_id, kind, code = ?text(&v, "/error/code"),
                    "refunded or disputed in Stripe, but the ledger's refund rule keeps the credits; review it"
                );
                let store = Arc::clone(&app.service.store);
                let (id, k, a) = (event_id.to_string(), kind.to_string(), payment.account_id.clone());
                if !matches!(tokio::task::spawn_blocking(move || store.record_event(&id, &k, &a, wall_clock_ms())).await, Ok(Ok(()))) {
                    return error(503, ErrorCode::StorageFailed, "the ledger could not record the event; send it again");
                }
                ack("kept: the ledger's refund rule does not allow voiding")
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "storage failed; the event is not applied");
            error(503, ErrorCode::StorageFailed, "the ledger could not store the event; send it again")
        }
    }
}
