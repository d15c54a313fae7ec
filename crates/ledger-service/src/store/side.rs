//! Rows that payments and low-balance emails keep beside the accounts, and the store
//! calls that read and update them.
//!
//! The rows that must change together with an account — the Stripe event that granted a
//! purchase, the purchase's payment, a refund request, a low-balance email job — are
//! [`SideRow`]s carried by the account's [`super::Write`] and inserted in the same
//! transaction as the account row: either the credits and the row are both committed or
//! neither is. Inserting a row whose key already exists is a no-op (a request run again
//! after a conflict writes the same rows).

use super::StoreError;

/// The schema of the side tables (one migration; `BIGINT` reads as `INTEGER` in SQLite).
pub(crate) const MIGRATION: &str = "
CREATE TABLE stripe_events (
  event_id    TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE TABLE payments (
  purchase_id    TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  package_id     TEXT NOT NULL,
  payment_intent TEXT,
  amount_cents   BIGINT NOT NULL,
  currency       TEXT NOT NULL,
  paid_at        BIGINT NOT NULL
);
CREATE INDEX payments_by_intent ON payments (payment_intent);
CREATE TABLE refunds (
  request_id       TEXT PRIMARY KEY,
  account_id       TEXT NOT NULL,
  purchase_id      TEXT NOT NULL,
  payment_intent   TEXT,
  amount_cents     BIGINT NOT NULL,
  response         TEXT NOT NULL,
  stripe_refund_id TEXT,
  created_at       BIGINT NOT NULL
);
CREATE TABLE account_emails (
  account_id TEXT PRIMARY KEY,
  email      TEXT NOT NULL
);
CREATE TABLE email_outbox (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  balance         TEXT NOT NULL,
  level           TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  attempts        BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  sent_at         BIGINT,
  last_error      TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (sent_at, next_attempt_at);
CREATE TABLE ended_subscriptions (
  subscription_id TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  ended_at        BIGINT NOT NULL
);
";

/// The subscription that pays for each account's plan: the one whose paid invoice last
/// set or renewed it (a later migration than [`MIGRATION`]).
pub(crate) const SUBSCRIPTIONS_MIGRATION: &str = "
CREATE TABLE account_subscriptions (
  account_id      TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  plan            TEXT NOT NULL,
  updated_at      BIGINT NOT NULL
);
";

/// The paid Checkout Sessions the webhook refused to grant for a reason its redelivery
/// does not change ([`RefusedPayment`]), found by PaymentIntent when the payment is
/// refunded or disputed (a later migration than [`SUBSCRIPTIONS_MIGRATION`]).
pub(crate) const REFUSED_PAYMENTS_MIGRATION: &str = "
CREATE TABLE refused_payments (
  session_id     TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  package_id     TEXT NOT NULL,
  payment_intent TEXT,
  amount_cents   BIGINT NOT NULL,
  currency       TEXT NOT NULL,
  reason         TEXT NOT NULL,
  refused_at     BIGINT NOT NULL
);
CREATE INDEX refused_payments_by_intent ON refused_payments (payment_intent);
";

/// A Stripe payment that granted a purchase (`purchase_id` = the Checkout Session id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payment {
    /// The ledger purchase id: the Checkout Session's id.
    pub purchase_id: String,
    /// The account credited.
    pub account_id: String,
    /// The package bought.
    pub package_id: String,
    /// The PaymentIntent refunds go to (`None`: none was given).
    pub payment_intent: Option<String>,
    /// What was paid, in the currency's minor unit.
    pub amount_cents: i64,
    /// ISO currency, lowercase.
    pub currency: String,
    /// When the grant was committed (ms).
    pub paid_at: i64,
}

/// A paid Checkout Session the webhook refused to grant — paid another amount or currency
/// than this ledger's checkout asked, or not a checkout of this ledger: nothing was granted
/// for it, and nothing will be, so a refund or dispute of its payment has nothing to void
/// and nothing to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefusedPayment {
    /// The Checkout Session's id.
    pub session_id: String,
    /// The account it was paid for (`client_reference_id`).
    pub account_id: String,
    /// The package it was paid for.
    pub package_id: String,
    /// Its PaymentIntent (`None`: none was given).
    pub payment_intent: Option<String>,
    /// What was paid (`amount_total`), in the currency's minor unit.
    pub amount_cents: i64,
    /// ISO currency, lowercase.
    pub currency: String,
    /// Why it was refused.
    pub reason: String,
    /// When it was refused (ms).
    pub refused_at: i64,
}

/// A refund request as recorded with the ledger's refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefundRow {
    /// The caller's idempotency id.
    pub request_id: String,
    /// The account.
    pub account_id: String,
    /// The purchase refunded.
    pub purchase_id: String,
    /// Where the money goes back (`None`: the purchase was not paid through Stripe).
    pub payment_intent: Option<String>,
    /// What is paid back, in cents.
    pub amount_cents: i64,
    /// The admin answer of the refund (replayed to a repeated request).
    pub response: String,
    /// Stripe's refund id once Stripe accepted it.
    pub stripe_refund_id: Option<String>,
}

/// A low-balance email waiting in the outbox (or sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxEmail {
    /// One id per crossing: `low-balance:<account>:<entry seq>:<threshold>`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The address.
    pub recipient: String,
    /// The balance after the crossing (a decimal string).
    pub balance: String,
    /// The threshold's level at the crossing (a decimal string).
    pub level: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// A row written in the same transaction as an account change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SideRow {
    /// A Stripe event whose effect is this write.
    StripeEvent {
        /// Stripe's event id (`evt_…`).
        event_id: String,
        /// Its type.
        kind: String,
        /// The account it changed.
        account_id: String,
        /// When it was applied (ms).
        at: i64,
    },
    /// The payment behind a purchase granted by this write.
    Payment(Payment),
    /// A refund executed by this write.
    Refund(RefundRow),
    /// The subscription whose paid invoice this write applied now pays for the account's
    /// plan (replaces the account's previous one).
    Subscription {
        /// The account.
        account_id: String,
        /// Stripe's subscription id (`sub_…`).
        subscription_id: String,
        /// The plan its invoice paid for.
        plan: String,
        /// When (ms).
        at: i64,
    },
    /// A low-balance email job (the crossing is in this write).
    Email {
        /// The job.
        email: OutboxEmail,
        /// When it was queued (ms); it is due at once.
        at: i64,
    },
}

/// The side tables' reads and updates outside an account write.
pub(crate) trait SideStore {
    /// The subscription that pays for the account's plan, and that plan, if one does.
    fn account_subscription(&self, account_id: &str) -> Result<Option<(String, String)>, StoreError>;
    /// Records `subscription_id` as what pays for the account's `plan` — a live
    /// subscription found at Stripe for an account with no live record (one that subscribed
    /// before the ledger recorded subscriptions) — when the account has no record, or its
    /// record still names `replacing` (the ended subscription read before the search). One
    /// statement: a record a paid invoice wrote meanwhile is newer and stays. `true` when
    /// this call wrote the record; `false` when a newer one stayed (the caller reads it
    /// again and changes the subscription it names, not the one it found).
    fn adopt_subscription(
        &self,
        account_id: &str,
        subscription_id: &str,
        plan: &str,
        at: i64,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Whether this Stripe subscription has ended.
    fn subscription_ended(&self, subscription_id: &str) -> Result<bool, StoreError>;
    /// Records that a Stripe subscription ended (its late invoices grant nothing).
    fn end_subscription(&self, subscription_id: &str, account_id: &str, at: i64) -> Result<(), StoreError>;
    /// Records a Stripe event that changed no account (a refund or dispute the ledger's
    /// rule keeps the credits for), so it is answered as a duplicate from then on.
    fn record_event(&self, event_id: &str, kind: &str, account_id: &str, at: i64) -> Result<(), StoreError>;
    /// Whether this Stripe event was already applied.
    fn event_seen(&self, event_id: &str) -> Result<bool, StoreError>;
    /// The Stripe payment of a purchase.
    fn payment(&self, purchase_id: &str) -> Result<Option<Payment>, StoreError>;
    /// The purchase paid by this PaymentIntent.
    fn payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError>;
    /// Records a paid session the webhook refused to grant (a session already recorded:
    /// no-op, so a redelivery of its event changes nothing).
    fn record_refused_payment(&self, refused: &RefusedPayment) -> Result<(), StoreError>;
    /// The refused session paid by this PaymentIntent.
    fn refused_payment_by_intent(&self, payment_intent: &str) -> Result<Option<RefusedPayment>, StoreError>;
    /// Whether the webhook refused this paid session: a refusal stands (a later delivery
    /// of the session is not granted), so that a refund acknowledged for it as "nothing
    /// was granted" stays true.
    fn session_refused(&self, session_id: &str) -> Result<bool, StoreError>;
    /// A recorded refund request.
    fn refund(&self, request_id: &str) -> Result<Option<RefundRow>, StoreError>;
    /// The refunds recorded for a purchase.
    fn refunds_of(&self, purchase_id: &str) -> Result<Vec<RefundRow>, StoreError>;
    /// Records Stripe's id for a refund request it accepted.
    fn refund_sent(&self, request_id: &str, stripe_refund_id: &str) -> Result<(), StoreError>;
    /// The account's email address.
    fn email_of(&self, account_id: &str) -> Result<Option<String>, StoreError>;
    /// Sets (or, with `None`, removes) the account's email address.
    fn set_email(&self, account_id: &str, email: Option<&str>) -> Result<(), StoreError>;
    /// Up to `limit` unsent emails due at `now`, oldest first.
    fn due_emails(&self, now: i64, limit: u32) -> Result<Vec<OutboxEmail>, StoreError>;
    /// Claims a due unsent email for sending until `until` (false: another sender has it).
    fn claim_email(&self, id: &str, now: i64, until: i64) -> Result<bool, StoreError>;
    /// Marks an email sent.
    fn email_sent(&self, id: &str, now: i64) -> Result<(), StoreError>;
    /// Records a failed attempt and when to try again.
    fn email_failed(&self, id: &str, attempts: i64, next_attempt_at: i64, error: &str) -> Result<(), StoreError>;
    /// The number of emails in the outbox: (unsent, sent).
    fn email_counts(&self) -> Result<(u64, u64), StoreError>;
}

/// Checks [`SideStore::adopt_subscription`] on a fresh store (both backends' tests run it).
#[cfg(test)]
pub(crate) fn check_adopt_subscription(store: &dyn SideStore) {
    let row = |a: &str| store.account_subscription(a).expect("read");
    assert!(store.adopt_subscription("a", "sub_found", "starter", 1, None).expect("adopt"), "no record: written");
    assert_eq!(row("a"), Some(("sub_found".into(), "starter".into())), "no record: recorded");
    assert!(!store.adopt_subscription("a", "sub_other", "pro", 2, None).expect("adopt"), "a newer record: not written");
    assert_eq!(row("a"), Some(("sub_found".into(), "starter".into())), "a record written meanwhile stays");
    assert!(!store.adopt_subscription("a", "sub_other", "pro", 3, Some("sub_gone")).expect("adopt"), "another record: not written");
    assert_eq!(row("a"), Some(("sub_found".into(), "starter".into())), "only the ended record it read is replaced");
    assert!(store.adopt_subscription("a", "sub_other", "pro", 4, Some("sub_found")).expect("adopt"), "the record it read: replaced");
    assert_eq!(row("a"), Some(("sub_other".into(), "pro".into())), "the ended record it read is replaced");
    store.adopt_subscription("a", "sub_other", "pro", 4, Some("sub_found")).expect("adopt");
    assert_eq!(row("a"), Some(("sub_other".into(), "pro".into())));
}
