//! The two Stripe API calls the ledger makes — create a Checkout Session, create a
//! refund — as plain form-encoded HTTPS requests (Stripe's documented API, no SDK: no
//! maintained Rust client covers both without pulling in the whole API). The base URL is
//! configurable so tests and the demo point it at a loopback stand-in. The secret key is
//! sent as the bearer token and never logged.

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
        let mut req = self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.secret_key).form(form);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let res = req.send().await.map_err(|e| format!("Stripe {path}: {}", e.without_url()))?;
        let status = res.status();
        let body: serde_json::Value =
            res.json().await.map_err(|e| format!("Stripe {path}: the answer is not JSON: {}", e.without_url()))?;
        if !status.is_success() {
            let message = body.pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("no message");
            return Err(format!("Stripe {path}: HTTP {status}: {message}"));
        }
        Ok(body)
    }

    /// Moves a subscription to another price (the plan change of an account that already
    /// pays for a plan): its one item gets `price`, the change is prorated and invoiced at
    /// once, so the `invoice.paid` that follows changes the plan (never a second
    /// subscription billing beside the first). `plan` goes into its metadata.
    pub(crate) async fn change_subscription_price(&self, subscription: &str, price: &str, plan: &str) -> Result<(), String> {
        let path = format!("/v1/subscriptions/{subscription}");
        let res = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.secret_key).send().await;
        let res = res.map_err(|e| format!("Stripe {path}: {}", e.without_url()))?;
        let status = res.status();
        let body: serde_json::Value =
            res.json().await.map_err(|e| format!("Stripe {path}: the answer is not JSON: {}", e.without_url()))?;
        if !status.is_success() {
            return Err(format!("Stripe {path}: HTTP {status}"));
        }
        let item = body
            .pointer("/items/data/0/id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("Stripe {path}: the subscription has no item"))?;
        let form = [
            ("items[0][id]".to_string(), item.to_string()),
            ("items[0][price]".to_string(), price.to_string()),
            ("proration_behavior".to_string(), "always_invoice".to_string()),
            ("metadata[planId]".to_string(), plan.to_string()),
        ];
        self.post(&path, &form, None).await.map(drop)
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
