//! The Stripe API calls the ledger makes — create a Checkout Session, create a refund,
//! read and change a subscription's price, search an account's subscriptions — as plain
//! form-encoded HTTPS requests (Stripe's documented API, no SDK: no maintained Rust client
//! covers them without pulling in the whole API). The base URL is configurable so tests and
//! the demo point it at a loopback stand-in. The secret key is sent as the bearer token and
//! never logged.

use std::time::Duration;

/// Stripe's API.
pub(crate) const DEFAULT_BASE: &str = "https://api.stripe.com";

/// A Stripe API client.
#[derive(Clone)]
pub(crate) struct StripeApi {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

impl std::fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeApi").field("base", &self.base).finish_non_exhaustive()
    }
}

/// A created Checkout Session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// `cs_…`.
    pub id: String,
    /// The hosted payment page.
    pub url: String,
}

impl StripeApi {
    /// A client for `base` (e.g. [`DEFAULT_BASE`]) with the account's secret key.
    pub(crate) fn new(base: &str, secret_key: String) -> Result<StripeApi, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("credit-meter-ledger/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the HTTP client: {e}"))?;
        Ok(StripeApi { http, base: base.trim_end_matches('/').to_string(), secret_key })
    }

    /// The API's base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a form to `path`, with an idempotency key when given; the JSON answer.
    async fn post(&self, path: &str, form: &[(String, String)], idempotency_key: Option<&str>) -> Result<serde_json::Value, String> {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        self.send(req, path).await
    }

    /// GETs `path`; the JSON answer.
    async fn get(&self, path: &str) -> Result<serde_json::Value, String> {
        self.send(self.http.get(format!("{}{path}", self.base)), path).await
    }

    /// Sends `req` (to `path`) with the secret key; its JSON answer, or why not.
    async fn send(&self, req: reqwest::RequestBuilder, path: &str) -> Result<serde_json::Value, String> {
        let res = req.bearer_auth(&self.secret_key).send().await.map_err(|e| format!("Stripe {path}: {}", e.without_url()))?;
        let status = res.status();
        let body: serde_json::Value =
            res.json().await.map_err(|e| format!("Stripe {path}: the answer is not JSON: {}", e.without_url()))?;
        if !status.is_success() {
            let message = body.pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("no message");
            return Err(format!("Stripe {path}: HTTP {status}: {message}"));
        }
        Ok(body)
    }

    /// The subscriptions Stripe's Search API finds for `query` (see
    /// [`subscription_search_query`]): one page of up to 100, and whether Stripe has more.
    /// Search is eventually consistent (about a minute behind) and matches metadata without
    /// regard to case: the caller judges the returned objects.
    pub(crate) async fn search_subscriptions(&self, query: &str) -> Result<(Vec<serde_json::Value>, bool), String> {
        let path = "/v1/subscriptions/search";
        let req = self.http.get(format!("{}{path}", self.base)).query(&[("query", query), ("limit", "100")]);
        let body = self.send(req, path).await?;
        let data = body.get("data").and_then(|d| d.as_array()).ok_or_else(|| format!("Stripe {path}: the answer has no data"))?;
        Ok((data.clone(), body.get("has_more").and_then(serde_json::Value::as_bool).unwrap_or(false)))
    }

    /// Moves a subscription to another price (the plan change of an account that already
    /// pays for a plan; never a second subscription billing beside the first): its one
    /// item gets `price`, with no proration either way — the ledger's plan credits are
    /// granted per paid cycle, so a prorated difference would buy a whole cycle's
    /// credits for part of its price, and a downgrade's credit would pay back credits
    /// already granted.
    /// - `upgrade`: a new cycle starts now (`billing_cycle_anchor=now`), invoiced in full,
    ///   and applied only once paid (`payment_behavior=pending_if_incomplete`); its
    ///   `invoice.paid` changes the plan. Returns the invoice's payment page when the
    ///   payment needs the buyer.
    /// - otherwise: the new price bills from the next renewal, whose invoice changes the
    ///   plan; `plan` goes into the metadata.
    pub(crate) async fn change_subscription_price(
        &self,
        subscription: &str,
        price: &str,
        plan: &str,
        upgrade: bool,
    ) -> Result<Option<String>, String> {
        let path = format!("/v1/subscriptions/{subscription}");
        let body = self.get(&path).await?;
        let item = body
            .pointer("/items/data/0/id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("Stripe {path}: the subscription has no item"))?;
        // Two checkouts at once for the same change (a double click, two devices) read the
        // same subscription and send the same update: one key, so Stripe applies it once
        // (an upgrade's billing_cycle_anchor=now would otherwise invoice twice). The key
        // names the state it changes from — the item's price and the period it is in — so a
        // later change back and forth is a new request, not a replay of the first.
        let text_at = |p: &str| body.pointer(p).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default();
        let period = [text_at("/current_period_start"), text_at("/items/data/0/current_period_start")].concat();
        let key = format!("credit-meter-plan-{subscription}-{item}-{}-{period}-{price}-{upgrade}", text_at("/items/data/0/price/id"));
        let mut form = vec![
            ("items[0][id]".to_string(), item.to_string()),
            ("items[0][price]".to_string(), price.to_string()),
            ("proration_behavior".to_string(), "none".to_string()),
        ];
        if upgrade {
            form.push(("billing_cycle_anchor".to_string(), "now".to_string()));
            form.push(("payment_behavior".to_string(), "pending_if_incomplete".to_string()));
            form.push(("expand[]".to_string(), "latest_invoice".to_string()));
        } else {
            // A pending update takes no metadata; a change at renewal does.
            form.push(("metadata[planId]".to_string(), plan.to_string()));
        }
        let updated = self.post(&path, &form, Some(&key)).await?;
        let pending = updated.get("pending_update").is_some_and(|p| !p.is_null());
        let url = updated.pointer("/latest_invoice/hosted_invoice_url").and_then(|u| u.as_str()).map(str::to_string);
        Ok(url.filter(|_| pending))
    }

    /// Creates a Checkout Session from its form fields.
    pub(crate) async fn create_checkout_session(&self, form: &[(String, String)]) -> Result<Session, String> {
        let body = self.post("/v1/checkout/sessions", form, None).await?;
        let field = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
        match (field("id"), field("url")) {
            (Some(id), Some(url)) => Ok(Session { id, url }),
            _ => Err("Stripe /v1/checkout/sessions: the answer has no id or url".into()),
        }
    }

    /// Refunds `amount_cents` of a PaymentIntent; Stripe answers a repeated
    /// `idempotency_key` with the first refund instead of refunding twice. Returns `re_…`.
    pub(crate) async fn create_refund(&self, payment_intent: &str, amount_cents: i64, idempotency_key: &str) -> Result<String, String> {
        let form = [
            ("payment_intent".to_string(), payment_intent.to_string()),
            ("amount".to_string(), amount_cents.to_string()),
            ("reason".to_string(), "requested_by_customer".to_string()),
        ];
        let body = self.post("/v1/refunds", &form, Some(idempotency_key)).await?;
        body.get("id").and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| "Stripe /v1/refunds: the answer has no id".to_string())
    }
}

/// The Search API query for an account's subscriptions that have not ended:
/// `metadata['accountId']:'<account>' AND -status:'canceled' AND -status:'incomplete_expired'`.
/// Stripe's query language joins clauses with AND or with OR, never both, so the statuses
/// that still bill (`active`, `past_due`, `trialing`) are told apart on the returned
/// objects; leaving the ended ones out keeps an account's old subscriptions from filling
/// the page. A quote in the id is escaped as Stripe documents (`\'`); `None` for an id with
/// a backslash, whose escaping Stripe does not document — such an id cannot be searched for
/// with certainty.
pub(crate) fn subscription_search_query(account: &str) -> Option<String> {
    if account.contains('\\') {
        return None;
    }
    let value = account.replace('\'', "\\'");
    Some(format!("metadata['accountId']:'{value}' AND -status:'canceled' AND -status:'incomplete_expired'"))
}

/// Whether `id` looks like one of Stripe's ids (`sub_…`: ASCII letters, digits and `_`), so
/// that it can go into a request path as it is.
pub(crate) fn is_stripe_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_query_quotes_the_account_id_as_stripe_documents() {
        assert_eq!(
            subscription_search_query("acct-1").as_deref(),
            Some("metadata['accountId']:'acct-1' AND -status:'canceled' AND -status:'incomplete_expired'")
        );
        assert_eq!(
            subscription_search_query("o'brien \"x\" AND status:'active").as_deref(),
            Some("metadata['accountId']:'o\\'brien \"x\" AND status:\\'active' AND -status:'canceled' AND -status:'incomplete_expired'"),
            "a quote cannot end the value: the whole id stays one value"
        );
        assert_eq!(subscription_search_query("a\\b"), None, "a backslash's escaping is not documented");
    }
}
