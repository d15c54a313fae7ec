//! The email outbox: one row per low-balance crossing, written with the crossing.
//!
//! The ledger raises [`Notice::LowBalance`] once per crossing (the threshold then stays
//! disarmed until the balance is back at its level). The service turns each notice of a
//! write into an outbox row keyed by the account, the entry that crossed and the
//! threshold — `low-balance:<account>:<seq>:<threshold>` — and commits it with the
//! account: a crossing that is committed always has its row, and a request run again
//! after a conflict writes the same key (a no-op). Accounts without an email address
//! get no row.

use crate::auth::{Caller, Refusal};
use crate::reply::{error, json_reply};
use crate::routes::AppState;
use crate::store::side::{OutboxEmail, SideRow};
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use credit_meter_ledger_core::model::Notice;
use credit_meter_protocol::error::ErrorCode;
use std::sync::Arc;

/// The outbox rows of a write's notices (none without an address for the account).
pub(crate) fn rows(store: &dyn Store, account_id: &str, notices: &[Notice], now: i64) -> Result<Vec<SideRow>, StoreError> {
    let crossings: Vec<_> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::LowBalance { threshold, level, balance, seq, .. } => Some((*threshold, *level, *balance, *seq)),
            Notice::AgentDeactivated { .. } => None,
        })
        .collect();
    if crossings.is_empty() {
        return Ok(Vec::new());
    }
    let Some(recipient) = store.email_of(account_id)? else { return Ok(Vec::new()) };
    Ok(crossings
        .into_iter()
        .map(|(threshold, level, balance, seq)| SideRow::Email {
            email: OutboxEmail {
                id: format!("low-balance:{account_id}:{seq}:{threshold}"),
                account_id: account_id.to_string(),
                recipient: recipient.clone(),
                balance: balance.to_plain_string(),
                level: level.to_plain_string(),
                attempts: 0,
            },
            at: now,
        })
        .collect())
}

/// `GET /v1/admin/outbox` (admin token): `{"unsent":N,"sent":M}`, the outbox's rows
/// waiting to be sent and sent (for monitoring: a growing `unsent` is a mail problem).
pub(crate) async fn counts(State(app): State<AppState>, headers: HeaderMap) -> Response {
    match app.caller(&headers) {
        Ok(Caller::Admin) => {}
        Ok(Caller::Device(_)) => return app.refuse(&Refusal::forbidden("this route needs the admin token")),
        Err(r) => return r,
    }
    let store = Arc::clone(&app.service.store);
    match tokio::task::spawn_blocking(move || store.email_counts()).await {
        Ok(Ok((unsent, sent))) => json_reply(200, format!(r#"{{"unsent":{unsent},"sent":{sent}}}"#)),
        _ => error(503, ErrorCode::StorageFailed, "the outbox could not be read"),
    }
}
