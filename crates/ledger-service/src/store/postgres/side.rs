//! The side tables ([`crate::store::side`]) on PostgreSQL.

use super::{pg, PgStore};
use crate::store::side::{OutboxEmail, Payment, RefundRow, RefusedPayment, SideRow, SideStore};
use crate::store::StoreError;
use postgres::{Row, Transaction};

/// Inserts the side rows of a write inside its transaction (existing keys: no-op).
pub(super) fn insert(tx: &mut Transaction<'_>, rows: &[SideRow]) -> Result<(), StoreError> {
    for row in rows {
        match row {
            SideRow::StripeEvent { event_id, kind, account_id, at } => tx.execute(
                "INSERT INTO stripe_events (event_id, type, account_id, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[event_id, kind, account_id, at],
            ),
            SideRow::Payment(p) => tx.execute(
                "INSERT INTO payments (purchase_id, account_id, package_id, payment_intent, amount_cents, currency, paid_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[&p.purchase_id, &p.account_id, &p.package_id, &p.payment_intent, &p.amount_cents, &p.currency, &p.paid_at],
            ),
            SideRow::Refund(r) => tx.execute(
                "INSERT INTO refunds (request_id, account_id, purchase_id, payment_intent, amount_cents, response, stripe_refund_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING",
                &[&r.request_id, &r.account_id, &r.purchase_id, &r.payment_intent, &r.amount_cents, &r.response, &r.stripe_refund_id],
            ),
            SideRow::Subscription { account_id, subscription_id, plan, at } => tx.execute(
                "INSERT INTO account_subscriptions (account_id, subscription_id, plan, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan, updated_at = excluded.updated_at",
                &[account_id, subscription_id, plan, at],
            ),
            SideRow::Email { email: e, at } => tx.execute(
                "INSERT INTO email_outbox (id, account_id, recipient, balance, level, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $6) ON CONFLICT DO NOTHING",
                &[&e.id, &e.account_id, &e.recipient, &e.balance, &e.level, at],
            ),
        }
        .map_err(pg)?;
    }
    Ok(())
}

fn payment(r: &Row) -> Payment {
    Payment {
        purchase_id: r.get(0),
        account_id: r.get(1),
        package_id: r.get(2),
        payment_intent: r.get(3),
        amount_cents: r.get(4),
        currency: r.get(5),
        paid_at: r.get(6),
    }
}

fn refused_payment(r: &Row) -> RefusedPayment {
    RefusedPayment {
        session_id: r.get(0),
        account_id: r.get(1),
        package_id: r.get(2),
        payment_intent: r.get(3),
        amount_cents: r.get(4),
        currency: r.get(5),
        reason: r.get(6),
        refused_at: r.get(7),
    }
}

fn refund(r: &Row) -> RefundRow {
    RefundRow {
        request_id: r.get(0),
        account_id: r.get(1),
        purchase_id: r.get(2),
        payment_intent: r.get(3),
        amount_cents: r.get(4),
        response: r.get(5),
        stripe_refund_id: r.get(6),
    }
}

const PAYMENT: &str = "SELECT purchase_id, account_id, package_id, payment_intent, amount_cents, currency, paid_at FROM payments";
const REFUSED_PAYMENT: &str =
    "SELECT session_id, account_id, package_id, payment_intent, amount_cents, currency, reason, refused_at FROM refused_payments";
const REFUND: &str = "SELECT request_id, account_id, purchase_id, payment_intent, amount_cents, response, stripe_refund_id FROM refunds";

impl SideStore for PgStore {
    fn account_subscription(&self, account_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            let row =
                c.query_opt("SELECT subscription_id, plan FROM account_subscriptions WHERE account_id = $1", &[&account_id]).map_err(pg)?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn adopt_subscription(
        &self,
        account_id: &str,
        subscription_id: &str,
        plan: &str,
        at: i64,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let rows = c
                .execute(
                    "INSERT INTO account_subscriptions (account_id, subscription_id, plan, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan, updated_at = excluded.updated_at \
                     WHERE account_subscriptions.subscription_id = $5",
                    &[&account_id, &subscription_id, &plan, &at, &replacing],
                )
                .map_err(pg)?;
            Ok(rows == 1)
        })
    }

    fn subscription_ended(&self, subscription_id: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(c.query_opt("SELECT 1 FROM ended_subscriptions WHERE subscription_id = $1", &[&subscription_id]).map_err(pg)?.is_some())
        })
    }

    fn end_subscription(&self, subscription_id: &str, account_id: &str, at: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO ended_subscriptions (subscription_id, account_id, ended_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&subscription_id, &account_id, &at],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn record_event(&self, event_id: &str, kind: &str, account_id: &str, at: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO stripe_events (event_id, type, account_id, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&event_id, &kind, &account_id, &at],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn event_seen(&self, event_id: &str) -> Result<bool, StoreError> {
        self.with(|c| Ok(c.query_opt("SELECT 1 FROM stripe_events WHERE event_id = $1", &[&event_id]).map_err(pg)?.is_some()))
    }

    fn payment(&self, purchase_id: &str) -> Result<Option<Payment>, StoreError> {
        self.with(|c| Ok(c.query_opt(&format!("{PAYMENT} WHERE purchase_id = $1"), &[&purchase_id]).map_err(pg)?.as_ref().map(payment)))
    }

    fn payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError> {
        self.with(|c| {
            Ok(c.query_opt(&format!("{PAYMENT} WHERE payment_intent = $1 LIMIT 1"), &[&payment_intent]).map_err(pg)?.as_ref().map(payment))
        })
    }

    fn record_refused_payment(&self, r: &RefusedPayment) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO refused_payments (session_id, account_id, package_id, payment_intent, amount_cents, currency, reason, refused_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                &[&r.session_id, &r.account_id, &r.package_id, &r.payment_intent, &r.amount_cents, &r.currency, &r.reason, &r.refused_at],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn refused_payment_by_intent(&self, payment_intent: &str) -> Result<Option<RefusedPayment>, StoreError> {
        self.with(|c| {
            Ok(c.query_opt(&format!("{REFUSED_PAYMENT} WHERE payment_intent = $1 LIMIT 1"), &[&payment_intent])
                .map_err(pg)?
                .as_ref()
                .map(refused_payment))
        })
    }

    fn session_refused(&self, session_id: &str) -> Result<bool, StoreError> {
        self.with(|c| Ok(c.query_opt("SELECT 1 FROM refused_payments WHERE session_id = $1", &[&session_id]).map_err(pg)?.is_some()))
    }

    fn refund(&self, request_id: &str) -> Result<Option<RefundRow>, StoreError> {
        self.with(|c| Ok(c.query_opt(&format!("{REFUND} WHERE request_id = $1"), &[&request_id]).map_err(pg)?.as_ref().map(refund)))
    }

    fn refunds_of(&self, purchase_id: &str) -> Result<Vec<RefundRow>, StoreError> {
        self.with(|c| Ok(c.query(&format!("{REFUND} WHERE purchase_id = $1"), &[&purchase_id]).map_err(pg)?.iter().map(refund).collect()))
    }

    fn refund_sent(&self, request_id: &str, stripe_refund_id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("UPDATE refunds SET stripe_refund_id = $2 WHERE request_id = $1", &[&request_id, &stripe_refund_id]).map_err(pg)?;
            Ok(())
        })
    }

    fn email_of(&self, account_id: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            Ok(c.query_opt("SELECT email FROM account_emails WHERE account_id = $1", &[&account_id]).map_err(pg)?.map(|r| r.get(0)))
        })
    }

    fn set_email(&self, account_id: &str, email: Option<&str>) -> Result<(), StoreError> {
        self.with(|c| {
            match email {
                Some(e) => c.execute(
                    "INSERT INTO account_emails (account_id, email) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET email = EXCLUDED.email",
                    &[&account_id, &e],
                ),
                None => c.execute("DELETE FROM account_emails WHERE account_id = $1", &[&account_id]),
            }
            .map_err(pg)?;
            Ok(())
        })
    }

    fn due_emails(&self, now: i64, limit: u32) -> Result<Vec<OutboxEmail>, StoreError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT id, account_id, recipient, balance, level, attempts FROM email_outbox \
                     WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2",
                    &[&now, &i64::from(limit)],
                )
                .map_err(pg)?;
            Ok(rows
                .iter()
                .map(|r| OutboxEmail {
                    id: r.get(0),
                    account_id: r.get(1),
                    recipient: r.get(2),
                    balance: r.get(3),
                    level: r.get(4),
                    attempts: r.get(5),
                })
                .collect())
        })
    }

    fn claim_email(&self, id: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE email_outbox SET next_attempt_at = $3 WHERE id = $1 AND sent_at IS NULL AND next_attempt_at <= $2",
                    &[&id, &now, &until],
                )
                .map_err(pg)?;
            Ok(n == 1)
        })
    }

    fn email_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("UPDATE email_outbox SET sent_at = $2, last_error = NULL WHERE id = $1", &[&id, &now]).map_err(pg)?;
            Ok(())
        })
    }

    fn email_failed(&self, id: &str, attempts: i64, next_attempt_at: i64, error: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE email_outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1 AND sent_at IS NULL",
                &[&id, &attempts, &next_attempt_at, &error],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn email_counts(&self) -> Result<(u64, u64), StoreError> {
        self.with(|c| {
            let r = c.query_one("SELECT count(*) - count(sent_at), count(sent_at) FROM email_outbox", &[]).map_err(pg)?;
            Ok((u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), u64::try_from(r.get::<_, i64>(1)).unwrap_or(0)))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_subscription_found_at_stripe_is_recorded_unless_a_newer_record_is_there() {
        let Some(url) = super::super::test_database("adopt") else { return };
        let store = super::PgStore::open(&url, 1).expect("open");
        crate::store::side::check_adopt_subscription(&store);
    }
}
