//! Payments through Stripe: Checkout Sessions for the catalog's packages ([`checkout`])
//! and the policy's plans ([`subscription`]),
//! the signed webhook that grants a paid session's package exactly once ([`webhook`],
//! [`signature`]), refunds under the account's policy ([`refund`]), the accounts' email
//! addresses for low-balance emails ([`account_email`]), and their configuration
//! ([`config`]).

pub(crate) mod account_email;
pub(crate) mod checkout;
pub(crate) mod config;
pub(crate) mod refund;
pub(crate) mod signature;
pub(crate) mod stripe_api;
pub(crate) mod subscription;
pub(crate) mod webhook;

use credit_meter_protocol::money::Usd;
use rust_decimal::prelude::ToPrimitive;
use stripe_api::StripeApi;

/// What the payment routes need.
pub(crate) struct Payments {
    /// Stripe's API with the secret key (`None`: checkout and refunds through Stripe are off).
    pub stripe: Option<StripeApi>,
    /// The webhook endpoint's signing secret (`None`: the webhook refuses every event).
    pub webhook_secret: Option<Vec<u8>>,
    /// How far a webhook's signed timestamp may be from now (s).
    pub tolerance_s: i64,
    /// Where Stripe sends the buyer after paying.
    pub success_url: String,
    /// Where Stripe sends the buyer who cancels.
    pub cancel_url: String,
    /// `(plan id, Stripe recurring Price id)` of the plans sold as subscriptions.
    pub plan_prices: Vec<(String, String)>,
}

impl Payments {
    /// The Stripe Price of a plan.
    pub(crate) fn price_of(&self, plan: &str) -> Option<&str> {
        self.plan_prices.iter().find(|(p, _)| p == plan).map(|(_, price)| price.as_str())
    }

    /// The plan a Stripe Price is for.
    pub(crate) fn plan_of(&self, price: &str) -> Option<&str> {
        self.plan_prices.iter().find(|(_, p)| p == price).map(|(plan, _)| plan.as_str())
    }
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("stripe", &self.stripe)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "…"))
            .field("tolerance_s", &self.tolerance_s)
            .finish_non_exhaustive()
    }
}

/// The account's record as stored, read off the async threads for a payment route (`None`:
/// no such account; `Err`: a 503 `STORAGE_FAILED` answer, the store or the record failed).
pub(crate) async fn load_account(
    app: &crate::routes::AppState,
    account: &str,
) -> Result<Option<credit_meter_ledger_core::reference::AccountRecord>, axum::response::Response> {
    let unreadable = || crate::reply::error(503, credit_meter_protocol::error::ErrorCode::StorageFailed, "the account could not be read");
    let store = std::sync::Arc::clone(&app.service.store);
    let id = account.to_string();
    match tokio::task::spawn_blocking(move || store.load(&id)).await {
        Ok(Ok(Some(loaded))) => crate::record::from_loaded(&loaded).map(Some).map_err(|e| {
            tracing::error!(error = %e, "a stored account does not load");
            unreadable()
        }),
        Ok(Ok(None)) => Ok(None),
        _ => Err(unreadable()),
    }
}

/// Dollars as cents (`None`: not a whole number of cents, or out of range).
pub(crate) fn cents(usd: Usd) -> Option<i64> {
    let c = usd.value().checked_mul(rust_decimal::Decimal::ONE_HUNDRED)?;
    if c.fract() != rust_decimal::Decimal::ZERO {
        return None;
    }
    c.to_i64()
}
