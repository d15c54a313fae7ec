//! The side tables ([`crate::store::side`]) on SQLite.

use super::{sql, SqliteStore};
use crate::store::side::{OutboxEmail, Payment, RefundRow, RefusedPayment, SideRow, SideStore};
use crate::store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::sync::PoisonError;

/// Inserts the side rows of a write inside its transaction (existing keys: no-op).
pub(super) fn insert(tx: &Connection, rows: &[SideRow]) -> Result<(), StoreError> {
    for row in rows {
        match row {
            SideRow::StripeEvent { event_id, kind, account_id, at } => tx.execute(
                "INSERT OR IGNORE INTO stripe_events (event_id, type, account_id, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![event_id, kind, account_id, at],
            ),
            SideRow::Payment(p) => tx.execute(
                "INSERT OR IGNORE INTO payments (purchase_id, account_id, package_id, payment_intent, amount_cents, currency, paid_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![p.purchase_id, p.account_id, p.package_id, p.payment_intent, p.amount_cents, p.currency, p.paid_at],
            ),
            SideRow::Refund(r) => tx.execute(
                "INSERT OR IGNORE INTO refunds (request_id, account_id, purchase_id, payment_intent, amount_cents, response, stripe_refund_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%s','now') * 1000)",
                params![r.request_id, r.account_id, r.purchase_id, r.payment_intent, r.amount_cents, r.response, r.stripe_refund_id],
            ),
            SideRow::Subscription { account_id, subscription_id, plan, at } => tx.execute(
                "INSERT INTO account_subscriptions (account_id, subscription_id, plan, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan, updated_at = excluded.updated_at",
                params![account_id, subscription_id, plan, at],
            ),
            SideRow::Email { email: e, at } => tx.execute(
                "INSERT OR IGNORE INTO email_outbox (id, account_id, recipient, balance, level, created_at, attempts, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?6)",
                params![e.id, e.account_id, e.recipient, e.balance, e.level, at],
            ),
        }
        .map_err(sql)?;
    }
    Ok(())
}

fn payment(r: &Row<'_>) -> rusqlite::Result<Payment> {
    Ok(Payment {
        purchase_id: r.get(0)?,
        account_id: r.get(1)?,
        package_id: r.get(2)?,
        payment_intent: r.get(3)?,
        amount_cents: r.get(4)?,
        currency: r.get(5)?,
        paid_at: r.get(6)?,
    })
}

fn refused_payment(r: &Row<'_>) -> rusqlite::Result<RefusedPayment> {
    Ok(RefusedPayment {
        session_id: r.get(0)?,
        account_id: r.get(1)?,
        package_id: r.get(2)?,
        payment_intent: r.get(3)?,
        amount_cents: r.get(4)?,
        currency: r.get(5)?,
        reason: r.get(6)?,
        refused_at: r.get(7)?,
    })
}

fn refund(r: &Row<'_>) -> rusqlite::Result<RefundRow> {
    Ok(RefundRow {
        request_id: r.get(0)?,
        account_id: r.get(1)?,
        purchase_id: r.get(2)?,
        payment_intent: r.get(3)?,
        amount_cents: r.get(4)?,
        response: r.get(5)?,
        stripe_refund_id: r.get(6)?,
    })
}

const PAYMENT: &str = "SELECT purchase_id, account_id, package_id, payment_intent, amount_cents, currency, paid_at FROM payments";
const REFUSED_PAYMENT: &str =
    "SELECT session_id, account_id, package_id, payment_intent, amount_cents, currency, reason, refused_at FROM refused_payments";
const REFUND: &str = "SELECT request_id, account_id, purchase_id, payment_intent, amount_cents, response, stripe_refund_id FROM refunds";

impl SqliteStore {
    /// Runs a write outside an account save on the writer connection.
    fn write_side(&self, f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<usize>) -> Result<(), StoreError> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f(&writer).map(|_| ()).map_err(sql)
    }
}

impl SideStore for SqliteStore {
    fn account_subscription(&self, account_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT subscription_id, plan FROM account_subscriptions WHERE account_id = ?1", [account_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(sql)
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
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer
            .execute(
                "INSERT INTO account_subscriptions (account_id, subscription_id, plan, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan, updated_at = excluded.updated_at \
                 WHERE account_subscriptions.subscription_id = ?5",
                params![account_id, subscription_id, plan, at, replacing],
            )
            .map(|rows| rows == 1)
            .map_err(sql)
    }

    fn subscription_ended(&self, subscription_id: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.query_row("SELECT 1 FROM ended_subscriptions WHERE subscription_id = ?1", [subscription_id], |_| Ok(()))
                .optional()
                .map_err(sql)
        })
        .map(|r| r.is_some())
    }

    fn end_subscription(&self, subscription_id: &str, account_id: &str, at: i64) -> Result<(), StoreError> {
        self.write_side(|c| {
            c.execute(
                "INSERT OR IGNORE INTO ended_subscriptions (subscription_id, account_id, ended_at) VALUES (?1, ?2, ?3)",
                params![subscription_id, account_id, at],
            )
        })
    }

    fn record_event(&self, event_id: &str, kind: &str, account_id: &str, at: i64) -> Result<(), StoreError> {
        self.write_side(|c| {
            c.execute(
                "INSERT OR IGNORE INTO stripe_events (event_id, type, account_id, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![event_id, kind, account_id, at],
            )
        })
    }

    fn event_seen(&self, event_id: &str) -> Result<bool, StoreError> {
        self.with(|c| c.query_row("SELECT 1 FROM stripe_events WHERE event_id = ?1", [event_id], |_| Ok(())).optional().map_err(sql))
            .map(|r| r.is_some())
    }

    fn payment(&self, purchase_id: &str) -> Result<Option<Payment>, StoreError> {
        self.with(|c| c.query_row(&format!("{PAYMENT} WHERE purchase_id = ?1"), [purchase_id], payment).optional().map_err(sql))
    }

    fn payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError> {
        self.with(|c| c.query_row(&format!("{PAYMENT} WHERE payment_intent = ?1"), [payment_intent], payment).optional().map_err(sql))
    }

    fn record_refused_payment(&self, r: &RefusedPayment) -> Result<(), StoreError> {
        self.write_side(|c| {
            c.execute(
                "INSERT OR IGNORE INTO refused_payments (session_id, account_id, package_id, payment_intent, amount_cents, currency, reason, refused_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![r.session_id, r.account_id, r.package_id, r.payment_intent, r.amount_cents, r.currency, r.reason, r.refused_at],
            )
        })
    }

    fn refused_payment_by_intent(&self, payment_intent: &str) -> Result<Option<RefusedPayment>, StoreError> {
        self.with(|c| {
            c.query_row(&format!("{REFUSED_PAYMENT} WHERE payment_intent = ?1"), [payment_intent], refused_payment).optional().map_err(sql)
        })
    }

    fn session_refused(&self, session_id: &str) -> Result<bool, StoreError> {
        self.with(|c| c.query_row("SELECT 1 FROM refused_payments WHERE session_id = ?1", [session_id], |_| Ok(())).optional().map_err(sql))
            .map(|r| r.is_some())
    }

    fn refund(&self, request_id: &str) -> Result<Option<RefundRow>, StoreError> {
        self.with(|c| c.query_row(&format!("{REFUND} WHERE request_id = ?1"), [request_id], refund).optional().map_err(sql))
    }

    fn refunds_of(&self, purchase_id: &str) -> Result<Vec<RefundRow>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("{REFUND} WHERE purchase_id = ?1")).map_err(sql)?;
            let rows = stmt.query_map([purchase_id], refund).map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)
        })
    }

    fn refund_sent(&self, request_id: &str, stripe_refund_id: &str) -> Result<(), StoreError> {
        self.write_side(|c| {
            c.execute("UPDATE refunds SET stripe_refund_id = ?2 WHERE request_id = ?1", params![request_id, stripe_refund_id])
        })
    }

    fn email_of(&self, account_id: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT email FROM account_emails WHERE account_id = ?1", [account_id], |r| r.get(0)).optional().map_err(sql)
        })
    }

    fn set_email(&self, account_id: &str, email: Option<&str>) -> Result<(), StoreError> {
        self.write_side(|c| match email {
            Some(e) => c.execute(
                "INSERT INTO account_emails (account_id, email) VALUES (?1, ?2) ON CONFLICT (account_id) DO UPDATE SET email = excluded.email",
                params![account_id, e],
            ),
            None => c.execute("DELETE FROM account_emails WHERE account_id = ?1", [account_id]),
        })
    }

    fn due_emails(&self, now: i64, limit: u32) -> Result<Vec<OutboxEmail>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, account_id, recipient, balance, level, attempts FROM email_outbox \
                     WHERE sent_at IS NULL AND next_attempt_at <= ?1 ORDER BY created_at, id LIMIT ?2",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(params![now, limit], |r| {
                    Ok(OutboxEmail {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        recipient: r.get(2)?,
                        balance: r.get(3)?,
                        level: r.get(4)?,
                        attempts: r.get(5)?,
                    })
                })
                .map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)
        })
    }

    fn claim_email(&self, id: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer
            .execute(
                "UPDATE email_outbox SET next_attempt_at = ?3 WHERE id = ?1 AND sent_at IS NULL AND next_attempt_at <= ?2",
                params![id, now, until],
            )
            .map(|n| n == 1)
            .map_err(sql)
    }

    fn email_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.write_side(|c| c.execute("UPDATE email_outbox SET sent_at = ?2, last_error = NULL WHERE id = ?1", params![id, now]))
    }

    fn email_failed(&self, id: &str, attempts: i64, next_attempt_at: i64, error: &str) -> Result<(), StoreError> {
        self.write_side(|c| {
            c.execute(
                "UPDATE email_outbox SET attempts = ?2, next_attempt_at = ?3, last_error = ?4 WHERE id = ?1 AND sent_at IS NULL",
                params![id, attempts, next_attempt_at, error],
            )
        })
    }

    fn email_counts(&self) -> Result<(u64, u64), StoreError> {
        self.with(|c| {
            c.query_row("SELECT count(*) - count(sent_at), count(sent_at) FROM email_outbox", [], |r| {
                Ok((u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0), u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
            })
            .map_err(sql)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;

    #[test]
    fn a_subscription_found_at_stripe_is_recorded_unless_a_newer_record_is_there() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("cm-adopt-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let store = SqliteStore::open(&dir.join("ledger.sqlite"), 1).expect("open");
        crate::store::side::check_adopt_subscription(&store);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
