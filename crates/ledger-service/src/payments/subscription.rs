//! Plans sold as Stripe subscriptions (plan-based policies such as AssistLore's).
//!
//! - `POST /v1/checkout {"planId"}` (device token) creates a Checkout Session in mode
//!   `subscription` for the plan's recurring Stripe Price (`--stripe-plan-price
//!   PLAN=price_…`), with the account and plan in the session's and the subscription's
//!   metadata (`accountId`, `planId`) and `client_reference_id` = the account. An account
//!   that already pays for a plan gets no second subscription: the one that pays
//!   (`account_subscriptions`, recorded with each paid invoice) changes its price instead.
//!   An account on a paid plan without a live record (it subscribed before the ledger
//!   recorded subscriptions; the record comes with its next renewal) has its live
//!   subscription looked up at Stripe first (Search API, by `metadata.accountId`; one this
//!   ledger's checkout made for a plan it sells, `active`, `past_due`, `trialing`, `paused`
//!   or `incomplete`): one is recorded and changed; more than one is refused
//!   (`409 LIMIT_REACHED`, logged: the ledger does not guess which); a failed search is
//!   `502 PAYMENT_PROVIDER_FAILED`; none opens the Checkout. An account on its policy's
//!   initial plan is not searched for. A paid invoice of the account's current plan and
//!   cycle delivered again records its subscription where there is no record:
//!   the operator settles a checkout the search could not (a 409, or Search unavailable to
//!   the Stripe account) by resending that invoice's event from Stripe's dashboard.
//! - `invoice.paid` is the only event that adds credits: the paid line's Price names the
//!   plan and its `period` the cycle. If the account is already on that plan, the ledger
//!   starts the cycle (a renewal: `startCycle`); otherwise it changes the plan starting
//!   that cycle (`changePlan`: subscribe, upgrade, downgrade — the ledger's carry-forward
//!   rule decides what the old plan's credits do), as a new paid cycle with the plan's
//!   full credits (`newCycle`) unless the invoice prorates (credits unused time back). The cycle's grant id is
//!   `plan:<plan>:<cycle start>`, which the ledger refuses twice, so each invoice is
//!   applied once however often it is delivered. An invoice whose period no longer
//!   contains now (delivered after its cycle ended) grants nothing.
//! - `customer.subscription.deleted` (and `.updated` to `canceled`, `unpaid` or
//!   `incomplete_expired`) ends the plan when Stripe says: the subscription is recorded as
//!   ended — an invoice of it that arrives later grants nothing — and the account goes back
//!   to the policy's initial plan; credits already granted keep their cycle's expiry.
//!   Other `.updated` events change nothing: a plan change takes effect with its paid
//!   invoice, so no change adds credits that were not paid for.

use super::stripe_api::{is_stripe_id, subscription_search_query, StripeApi};
use super::webhook::{ack, applied, applied_text, id_of, text};
use crate::engine::Op;
use crate::reply::{error, json_reply};
use crate::routes::AppState;
use crate::service::wall_clock_ms;
use crate::store::side::SideRow;
use crate::store::Store;
use axum::response::Response;
use credit_meter_base::json::{self, Value};
use credit_meter_protocol::error::ErrorCode;
use serde_json::Value as J;
use std::sync::Arc;

/// The account's current plan and its policy's initial plan (`Err`: a response).
async fn plans_of(app: &AppState, account: &str) -> Result<(Option<String>, Option<String>, Vec<(String, u32)>), Response> {
    let Some(rec) = super::load_account(app, account).await? else {
        return Err(error(404, ErrorCode::UnknownAccount, &format!("no account {account:?}")));
    };
    let policy = rec.account.policy();
    let plans = policy.plans.iter().map(|p| (p.id.clone(), p.rank)).collect();
    Ok((rec.account.state().plan.clone(), policy.initial_plan.clone(), plans))
}

/// The account's subscription record — the subscription, the plan it pays for — and
/// whether the webhook recorded that subscription as ended. Blocking: the store's reads.
fn record_of(store: &Arc<dyn Store>, account: &str) -> Result<Option<(String, String, bool)>, String> {
    let Some((sub, paid)) = store.account_subscription(account)? else { return Ok(None) };
    let ended = store.subscription_ended(&sub)?;
    Ok(Some((sub, paid, ended)))
}

/// `POST /v1/checkout {"planId"}` for the device's account.
pub(crate) async fn checkout(app: &AppState, account: &str, plan: &str) -> Response {
    let Some(stripe) = app.payments.stripe.as_ref() else {
        return error(503, ErrorCode::PaymentsUnavailable, "this ledger has no Stripe secret key (--stripe-secret-key-file)");
    };
    let (current, initial, plans) = match plans_of(app, account).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rank = |id: &str| plans.iter().find(|(p, _)| p == id).map(|(_, r)| *r);
    let (Some(new_rank), Some(price)) = (rank(plan), app.payments.price_of(plan)) else {
        return error(404, ErrorCode::NotFound, &format!("the account's policy sells no plan {plan:?} (see --stripe-plan-price)"));
    };
    // An account that already pays for a plan changes that subscription's price: a new
    // Checkout would make a second subscription, billing beside the first.
    let store = Arc::clone(&app.service.store);
    let id = account.to_string();
    let recorded = tokio::task::spawn_blocking(move || record_of(&store, &id)).await;
    let ended_record = match recorded {
        Ok(Ok(None)) => None,
        Ok(Ok(Some((sub, paid, false)))) => {
            let upgrade = rank(&paid).is_some_and(|r| new_rank > r);
            return change_plan(stripe, account, &sub, price, plan, upgrade).await;
        }
        Ok(Ok(Some((sub, _, true)))) => Some(sub),
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its subscriptions; try again"),
    };
    // No live record, yet a plan other than the initial one: an account that subscribed
    // before the ledger recorded subscriptions (its record comes with its next renewal).
    // Stripe knows its subscription; a Checkout now would bill beside it.
    if current.is_some_and(|c| Some(&c) != initial.as_ref()) {
        match live_subscription_at_stripe(app, stripe, account).await {
            Err(r) => return r,
            Ok(None) => {}
            Ok(Some((sub, paid))) => {
                let store = Arc::clone(&app.service.store);
                let (a, s, p, ended) = (account.to_string(), sub.clone(), paid.clone(), ended_record);
                let at = wall_clock_ms();
                let adopted = tokio::task::spawn_blocking(move || {
                    if store.adopt_subscription(&a, &s, &p, at, ended.as_deref())? {
                        return Ok(None);
                    }
                    // A paid invoice recorded another subscription meanwhile: that record is
                    // newer than the search, and the one to change.
                    Ok::<_, String>(match record_of(&store, &a)? {
                        Some((sub, paid, false)) => Some(Some((sub, paid))),
                        _ => Some(None),
                    })
                })
                .await;
                let (sub, paid) = match adopted {
                    Ok(Ok(None)) => {
                        tracing::info!(subscription = %sub, plan = %paid, "the account's live subscription was found at Stripe and recorded");
                        (sub, paid)
                    }
                    Ok(Ok(Some(Some(recorded)))) => recorded,
                    Ok(Ok(Some(None))) => {
                        return error(
                            409,
                            ErrorCode::LimitReached,
                            "the account's subscription changed while the ledger looked it up; try again",
                        )
                    }
                    _ => return error(503, ErrorCode::StorageFailed, "the ledger could not record the account's subscription; try again"),
                };
                let upgrade = rank(&paid).is_some_and(|r| new_rank > r);
                return change_plan(stripe, account, &sub, price, plan, upgrade).await;
            }
        }
    }
    let form: Vec<(String, String)> = [
        ("mode", "subscription"),
        ("client_reference_id", account),
        ("metadata[accountId]", account),
        ("metadata[planId]", plan),
        ("subscription_data[metadata][accountId]", account),
        ("subscription_data[metadata][planId]", plan),
        ("line_items[0][price]", price),
        ("line_items[0][quantity]", "1"),
        ("success_url", &app.payments.success_url),
        ("cancel_url", &app.payments.cancel_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    match stripe.create_checkout_session(&form).await {
        Ok(session) => {
            let result = Value::object([("sessionId", session.id.into()), ("url", session.url.into())]);
            json_reply(200, json::to_string(&Value::object([("ok", true.into()), ("result", result)])))
        }
        Err(e) => {
            tracing::warn!(error = %e, "creating a subscription checkout session failed");
            error(502, ErrorCode::PaymentProviderFailed, "Stripe did not create the checkout session; try again")
        }
    }
}

/// Moves the account's paying subscription `sub` to `price` (see
/// [`super::stripe_api::StripeApi::change_subscription_price`]): an upgrade starts a new
/// cycle now, paid in full, whose `invoice.paid` changes the plan; a downgrade (or the
/// same plan: undoing a downgrade not yet in effect) changes the price from the next
/// renewal, whose invoice changes the plan. Answers `{"ok":true,"result":
/// {"subscriptionId","changed":true,"takesEffect":"now"|"renewal"}}`, plus `"url"` (the
/// invoice's payment page) when the upgrade's payment needs the buyer (3-D Secure, a
/// declined card): until it is paid, nothing changes.
async fn change_plan(stripe: &StripeApi, account: &str, sub: &str, price: &str, plan: &str, upgrade: bool) -> Response {
    if !is_stripe_id(sub) {
        tracing::error!(account, "the recorded subscription id is not one of Stripe's");
        return error(503, ErrorCode::StorageFailed, "the account's subscription record is damaged");
    }
    match stripe.change_subscription_price(sub, price, plan, upgrade).await {
        Ok(pay_url) => {
            tracing::info!(subscription = %sub, plan, upgrade, "the subscription's plan was changed; its invoice changes the account's plan");
            let when = if upgrade { "now" } else { "renewal" };
            let mut fields = vec![
                ("subscriptionId".to_string(), Value::from(sub)),
                ("changed".to_string(), true.into()),
                ("takesEffect".to_string(), when.into()),
            ];
            if let Some(url) = pay_url {
                fields.push(("url".to_string(), Value::from(url.as_str())));
            }
            let result = Value::Object(fields);
            json_reply(200, json::to_string(&Value::object([("ok", true.into()), ("result", result)])))
        }
        Err(e) => {
            tracing::warn!(error = %e, "changing a subscription's plan failed");
            error(502, ErrorCode::PaymentProviderFailed, "Stripe did not change the subscription; try again")
        }
    }
}

/// Subscription statuses that bill or may again: `active`, `past_due` (Stripe retries its
/// invoice), `trialing` (billed when the trial ends), `paused` (billed when it resumes) and
/// `incomplete` (its first payment is still being attempted).
const BILLING: [&str; 5] = ["active", "past_due", "trialing", "paused", "incomplete"];

/// The account's live subscription at Stripe — its id and the plan its item's price is for
/// — found with the Search API (`metadata['accountId']`, see
/// [`subscription_search_query`]) for an account on a paid plan that the ledger has no live
/// record of. Counted are only the returned subscriptions whose `metadata.accountId` is the
/// account exactly (the search matches without regard to case, and is eventually
/// consistent) with a status that bills or may again, that this ledger's checkout made
/// (`metadata.planId`) for a plan it sells (by its item's price, else that `planId`), and
/// that the ledger has not recorded as ended: another product of the vendor's Stripe
/// account is never repriced. `Ok(None)`: none, so a Checkout opens no second one. `Err` is the answer: `502
/// PAYMENT_PROVIDER_FAILED` when the search fails; `409 LIMIT_REACHED` when more than one
/// is live (or there are more than a page) or the account's id cannot be searched for —
/// the ledger neither guesses which one to change nor opens another, and logs it for the
/// operator.
async fn live_subscription_at_stripe(app: &AppState, stripe: &StripeApi, account: &str) -> Result<Option<(String, String)>, Response> {
    let Some(query) = subscription_search_query(account) else {
        tracing::error!(account, "a plan checkout was refused: the account is on a paid plan the ledger has no subscription record of, and its id (a backslash) cannot be searched for at Stripe; its next paid invoice records the subscription, or its current one sent again from Stripe's dashboard");
        return Err(error(
            409,
            ErrorCode::LimitReached,
            "the ledger cannot look up this account's subscription at Stripe; a plan change is possible once it is recorded (its next paid invoice, or the current one sent again from Stripe's dashboard)",
        ));
    };
    let (found, more) = match stripe.search_subscriptions(&query).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "searching the account's subscriptions at Stripe failed");
            return Err(error(
                502,
                ErrorCode::PaymentProviderFailed,
                "Stripe did not answer the search for the account's subscription; try again",
            ));
        }
    };
    let mut live = Vec::new();
    for sub in &found {
        let billing = text(sub, "/status").is_some_and(|s| BILLING.contains(&s.as_str()));
        if !billing || text(sub, "/metadata/accountId").as_deref() != Some(account) {
            continue;
        }
        // Only a subscription this ledger's checkout made (it writes `metadata.planId`) for a
        // plan the ledger sells: another product of the vendor's Stripe account keyed by the
        // same user id must never be repriced as a plan.
        let Some(asked) = text(sub, "/metadata/planId") else { continue };
        let Some(paid) = plan_of_subscription(app, sub).or_else(|| app.payments.price_of(&asked).map(|_| asked)) else {
            tracing::debug!("a subscription of the account for no plan this ledger sells was passed over");
            continue;
        };
        match text(sub, "/id").filter(|id| is_stripe_id(id)) {
            Some(id) => live.push((id, paid)),
            None => {
                tracing::warn!("Stripe's subscription search answered a subscription without a valid id");
                return Err(error(
                    502,
                    ErrorCode::PaymentProviderFailed,
                    "Stripe's answer to the subscription search was not understood; try again",
                ));
            }
        }
    }
    // A subscription whose end the webhook recorded may still be live to the search.
    let store = Arc::clone(&app.service.store);
    let ids: Vec<String> = live.iter().map(|(id, _)| id.clone()).collect();
    let ended =
        match tokio::task::spawn_blocking(move || ids.iter().map(|id| store.subscription_ended(id)).collect::<Result<Vec<_>, _>>()).await {
            Ok(Ok(ended)) => ended,
            _ => return Err(error(503, ErrorCode::StorageFailed, "the ledger could not read its subscriptions; try again")),
        };
    let live: Vec<_> = live.into_iter().zip(ended).filter(|(_, ended)| !ended).map(|(live, _)| live).collect();
    match live.as_slice() {
        [] if !more => Ok(None),
        [(id, paid)] if !more => Ok(Some((id.clone(), paid.clone()))),
        _ => {
            let ids: Vec<&str> = live.iter().map(|(id, _)| id.as_str()).collect();
            tracing::error!(account, subscriptions = ?ids, more, "a plan checkout was refused: the account has more than one live subscription at Stripe and no record of which pays for its plan; cancel the extra ones");
            Err(error(
                409,
                ErrorCode::LimitReached,
                "the account has more than one live subscription at Stripe; the ledger cannot tell which to change and opens no other",
            ))
        }
    }
}

/// The subscription's metadata on an invoice (older and newer API versions).
fn invoice_metadata(invoice: &J, key: &str) -> Option<String> {
    text(invoice, &format!("/subscription_details/metadata/{key}"))
        .or_else(|| text(invoice, &format!("/parent/subscription_details/metadata/{key}")))
}

/// The paid plan line of an invoice: (plan, period start ms, period end ms).
fn paid_line(app: &AppState, invoice: &J) -> Option<(String, i64, i64)> {
    let lines = invoice.pointer("/lines/data")?.as_array()?;
    lines.iter().rev().find_map(|line| {
        if credits_back(line) {
            return None; // the unused time of the old plan, credited back on a change
        }
        let price = id_of(line, "/price").or_else(|| text(line, "/pricing/price_details/price"))?;
        let plan = app.payments.plan_of(&price)?.to_string();
        let start = line.pointer("/period/start")?.as_i64()?.checked_mul(1000)?;
        let end = line.pointer("/period/end")?.as_i64()?.checked_mul(1000)?;
        Some((plan, start, end))
    })
}

/// Whether an invoice prorates a change within a cycle: a line that credits unused time
/// back (a negative amount) or one Stripe marks as proration (`proration`, or
/// `parent.subscription_item_details.proration` in newer API versions).
fn prorated(invoice: &J) -> bool {
    let lines = invoice.pointer("/lines/data").and_then(J::as_array).map(Vec::as_slice).unwrap_or_default();
    lines.iter().any(|line| {
        credits_back(line)
            || line.get("proration").and_then(J::as_bool) == Some(true)
            || line.pointer("/parent/subscription_item_details/proration").and_then(J::as_bool) == Some(true)
    })
}

/// Whether an invoice line credits something back (a negative amount: on a change, the old
/// plan's unused time).
fn credits_back(line: &J) -> bool {
    line.get("amount").and_then(J::as_i64).is_some_and(|a| a < 0)
}

/// Runs an admin command for an event and tells what became of it. `paid_by`: the
/// subscription and plan of a paid invoice, recorded as what pays for the account's plan
/// in the same transaction — when the command was applied.
async fn apply(
    app: &AppState,
    event_id: &str,
    kind: &str,
    account: &str,
    body: String,
    paid_by: Option<(&str, &str)>,
) -> Result<J, Response> {
    let at = wall_clock_ms();
    let row = SideRow::StripeEvent { event_id: event_id.into(), kind: kind.into(), account_id: account.into(), at };
    let paid_by = paid_by.map(|(subscription, plan)| SideRow::Subscription {
        account_id: account.into(),
        subscription_id: subscription.into(),
        plan: plan.into(),
        at,
    });
    let rows = move |response: &str| std::iter::once(row.clone()).chain(paid_by.clone().filter(|_| applied_text(response))).collect();
    match app.service.run_with(Op::Admin, account.to_string(), body, None, Box::new(rows)).await {
        Ok(a) => Ok(serde_json::from_str(&a.body).unwrap_or(J::Null)),
        Err(e) => {
            tracing::error!(error = %e, "storage failed; the event is not applied");
            Err(error(503, ErrorCode::StorageFailed, "the ledger could not store the event; send it again"))
        }
    }
}

fn code(v: &J) -> Option<String> {
    text(v, "/error/code")
}

/// The subscription an invoice paid for (older and newer API versions).
fn invoice_subscription(invoice: &J) -> Option<String> {
    id_of(invoice, "/subscription").or_else(|| text(invoice, "/parent/subscription_details/subscription"))
}

/// Whether the webhook recorded `subscription` as ended (`Err`: the 503 answer).
async fn ended(app: &AppState, subscription: &str) -> Result<bool, Response> {
    let store = Arc::clone(&app.service.store);
    let sub = subscription.to_string();
    match tokio::task::spawn_blocking(move || store.subscription_ended(&sub)).await {
        Ok(Ok(ended)) => Ok(ended),
        _ => Err(error(503, ErrorCode::StorageFailed, "the ledger could not read its subscriptions; send it again")),
    }
}

/// The answer to an invoice that recorded the subscription paying for the account's plan.
const RECORDED: &str = "recorded: the subscription that pays for the account's plan";

/// Records `subscription` as what pays for the account's plan from a paid invoice of the
/// plan and cycle the account is in (`cycle` contains now, `plan` is `current`) that
/// granted nothing — delivered again, its cycle granted already — where the account has no
/// record: one that subscribed before the ledger recorded subscriptions. Resending the
/// current `invoice.paid` event from Stripe's dashboard is so the operator's way to settle a
/// plan checkout the search could not (a 409, or Search unavailable to the Stripe account).
/// `Ok(true)`: recorded now.
async fn record_from_current_invoice(
    app: &AppState,
    account: &str,
    subscription: &str,
    plan: &str,
    (starts_at, ends_at): (i64, i64),
    current: Option<&str>,
) -> Result<bool, Response> {
    let now = wall_clock_ms();
    if current != Some(plan) || starts_at > now || now >= ends_at {
        return Ok(false);
    }
    let store = Arc::clone(&app.service.store);
    let (a, s, p) = (account.to_string(), subscription.to_string(), plan.to_string());
    match tokio::task::spawn_blocking(move || store.adopt_subscription(&a, &s, &p, now, None)).await {
        Ok(Ok(recorded)) => {
            if recorded {
                tracing::info!(
                    subscription,
                    plan,
                    "a paid invoice delivered again recorded the subscription that pays for the account's plan"
                );
            }
            Ok(recorded)
        }
        _ => Err(error(503, ErrorCode::StorageFailed, "the ledger could not record the account's subscription; send it again")),
    }
}

/// `invoice.paid` whose event the ledger applied before (a redelivery, or the operator's
/// resend from Stripe's dashboard): `duplicate`, after recording its subscription where
/// [`record_from_current_invoice`] says so.
pub(crate) async fn invoice_paid_again(app: &AppState, invoice: &J) -> Response {
    let subscription = invoice_subscription(invoice);
    let (Some(subscription), Some(account), Some((plan, starts_at, ends_at))) =
        (subscription, invoice_metadata(invoice, "accountId"), paid_line(app, invoice))
    else {
        return ack("duplicate");
    };
    match ended(app, &subscription).await {
        Ok(false) => {}
        Ok(true) => return ack("duplicate"),
        Err(r) => return r,
    }
    // The event was applied before: an account gone since (or a failed read) leaves it a
    // duplicate, never an error Stripe would retry.
    let Ok((current, _, _)) = plans_of(app, &account).await else { return ack("duplicate") };
    match record_from_current_invoice(app, &account, &subscription, &plan, (starts_at, ends_at), current.as_deref()).await {
        Ok(true) => ack(RECORDED),
        Ok(false) => ack("duplicate"),
        Err(r) => r,
    }
}

/// `invoice.paid`: starts the paid cycle of the invoice's plan, once.
pub(crate) async fn invoice_paid(app: &AppState, event_id: &str, invoice: &J) -> Response {
    let subscription = invoice_subscription(invoice);
    let (Some(subscription), Some(account)) = (subscription, invoice_metadata(invoice, "accountId")) else {
        return ack("ignored: not a subscription invoice of an account");
    };
    let Some((plan, starts_at, ends_at)) = paid_line(app, invoice) else {
        tracing::warn!(event = event_id, "a paid invoice without a line for a configured plan price was ignored");
        return ack("ignored: no line for a plan's price");
    };
    match ended(app, &subscription).await {
        Ok(false) => {}
        Ok(true) => return ack("ignored: the subscription has ended"),
        Err(r) => return r,
    }
    let current = match plans_of(app, &account).await {
        Ok((current, _, _)) => current,
        Err(r) => return r,
    };
    let cycle = || {
        json::to_string(&Value::object([
            ("op", "startCycle".into()),
            ("accountId", account.as_str().into()),
            ("startsAt", json::to_value(&starts_at)),
            ("endsAt", json::to_value(&ends_at)),
        ]))
    };
    let mut out = if current.as_deref() == Some(plan.as_str()) {
        apply(app, event_id, "invoice.paid", &account, cycle(), Some((&subscription, &plan))).await
    } else {
        // An invoice without proration pays a whole new period at the plan's full price (a
        // new subscription; an upgrade this ledger made, `billing_cycle_anchor: now`, no
        // proration): it opens a new cycle with the plan's full credits (`newCycle`). One
        // that credits the old plan's unused time (a change prorated within the cycle, made
        // at Stripe) continues the cycle: the plan's credits beyond those already granted.
        let change = json::to_string(&Value::object([
            ("op", "changePlan".into()),
            ("accountId", account.as_str().into()),
            ("planId", plan.as_str().into()),
            ("startsAt", json::to_value(&starts_at)),
            ("endsAt", json::to_value(&ends_at)),
            ("newCycle", (!prorated(invoice)).into()),
        ]));
        apply(app, event_id, "invoice.paid", &account, change, Some((&subscription, &plan))).await
    };
    // A concurrent delivery changed the plan first: then this is that cycle again.
    if let Ok(v) = &out {
        if code(v).as_deref() == Some("BAD_INPUT") && text(v, "/error/message").is_some_and(|m| m.contains("already on plan")) {
            out = apply(app, event_id, "invoice.paid", &account, cycle(), Some((&subscription, &plan))).await;
        }
    }
    match out {
        Err(r) => r,
        Ok(v) if applied(&v) => {
            tracing::info!(subscription = %subscription, plan = %plan, "invoice paid: the plan's cycle started");
            ack("granted")
        }
        Ok(v) => {
            match record_from_current_invoice(app, &account, &subscription, &plan, (starts_at, ends_at), current.as_deref()).await {
                Ok(true) => return ack(RECORDED),
                Ok(false) => {}
                Err(r) => return r,
            }
            match code(&v).as_deref() {
                Some("DUPLICATE_ID") => ack("duplicate"),
                c => {
                    tracing::warn!(subscription = %subscription, code = ?c, message = ?text(&v, "/error/message"), "a paid invoice granted nothing");
                    ack("ignored: the ledger refused the cycle (e.g. it has already ended)")
                }
            }
        }
    }
}

/// The plan a subscription object pays for (its items' price, by `--stripe-plan-price`),
/// when it names one.
fn plan_of_subscription(app: &AppState, sub: &J) -> Option<String> {
    let items = sub.pointer("/items/data")?.as_array()?;
    items.iter().find_map(|item| id_of(item, "/price").and_then(|price| app.payments.plan_of(&price).map(str::to_string)))
}

/// `customer.subscription.updated` / `.deleted`: ends the plan when the subscription ends.
pub(crate) async fn subscription_changed(app: &AppState, event_id: &str, kind: &str, sub: &J) -> Response {
    let status = text(sub, "/status").unwrap_or_default();
    let ended = kind == "customer.subscription.deleted" || matches!(status.as_str(), "canceled" | "unpaid" | "incomplete_expired");
    if !ended {
        return ack("ignored: plan changes take effect when their invoice is paid");
    }
    let (Some(subscription), Some(account)) = (text(sub, "/id"), text(sub, "/metadata/accountId")) else {
        return ack("ignored: no subscription id or metadata.accountId");
    };
    let now = wall_clock_ms();
    let store = Arc::clone(&app.service.store);
    let (s, a) = (subscription.clone(), account.clone());
    if !matches!(tokio::task::spawn_blocking(move || store.end_subscription(&s, &a, now)).await, Ok(Ok(()))) {
        return error(503, ErrorCode::StorageFailed, "the ledger could not record the subscription's end; send it again");
    }
    let (current, initial) = match plans_of(app, &account).await {
        Ok((current, initial, _)) => (current, initial),
        Err(r) => return r,
    };
    let Some(initial) = initial.filter(|i| current.as_deref() != Some(i.as_str())) else { return ack("ended") };
    // Only the subscription that pays for the account's plan ends it: another one of the
    // account's subscriptions ending (an older plan's, say) leaves the plan as it is. The
    // ledger knows which pays (its last paid invoice's); without that record, the ended
    // subscription's price tells whether it was for the current plan.
    let store = Arc::clone(&app.service.store);
    let id = account.clone();
    let paying = match tokio::task::spawn_blocking(move || store.account_subscription(&id)).await {
        Ok(Ok(p)) => p,
        _ => return error(503, ErrorCode::StorageFailed, "the ledger could not read its subscriptions; send it again"),
    };
    if paying.as_ref().is_some_and(|(paying, _)| paying != &subscription) {
        tracing::info!(subscription = %subscription, current = ?current, "a subscription ended that does not pay for the account's plan; the plan stays");
        return ack("ended; the account is on another plan, which stays");
    }
    if let Some(ended_plan) = plan_of_subscription(app, sub).filter(|_| paying.is_none()) {
        if current.as_deref() != Some(ended_plan.as_str()) {
            tracing::info!(subscription = %subscription, plan = %ended_plan, current = ?current, "a subscription ended that is not the current plan's; the plan stays");
            return ack("ended; the account is on another plan, which stays");
        }
    }
    // The initial plan's cycle: from now; its length does not matter to a plan without
    // cycle credits, and the next subscription's invoice replaces it.
    let body = json::to_string(&Value::object([
        ("op", "changePlan".into()),
        ("accountId", account.as_str().into()),
        ("planId", initial.as_str().into()),
        ("startsAt", json::to_value(&now)),
        ("endsAt", json::to_value(&now.saturating_add(30 * 86_400_000))),
    ]));
    match apply(app, event_id, kind, &account, body, None).await {
        Err(r) => r,
        Ok(v) if applied(&v) => {
            tracing::info!(subscription = %subscription, plan = %initial, "subscription ended: back to the initial plan");
            ack("ended")
        }
        Ok(v) => {
            tracing::warn!(subscription = %subscription, code = ?code(&v), "subscription ended; the plan change was refused");
            ack("ended")
        }
    }
}
