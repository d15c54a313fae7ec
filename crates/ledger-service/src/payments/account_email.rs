//! The accounts' email addresses (where low-balance emails go): set by the operator with
//! `POST /v1/admin/email {"accountId","email"}` (`"email": null` removes it), or taken
//! from a device token's `email` claim when the device checks out, pushes or pulls.
//! An account without an address gets no email.

use crate::auth::Caller;
use crate::reply::Body;
use crate::reply::{error, json_reply};
use crate::routes::{AppState, Authenticated};
use axum::extract::State;
use axum::response::Response;
use credit_meter_protocol::error::ErrorCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Whether `s` is an email address lettre can send to.
pub(crate) fn valid(s: &str) -> bool {
    s.parse::<lettre::Address>().is_ok()
}

/// Addresses already stored from tokens in this process (a push does not write the same
/// address again).
fn remembered() -> &'static Mutex<HashMap<String, String>> {
    static SEEN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Stores the `email` claim of a device caller as its account's address (when new).
pub(crate) async fn remember(app: &AppState, caller: &Caller) {
    let Caller::Device(c) = caller else { return };
    let Some(email) = c.email.clone().filter(|e| valid(e)) else { return };
    {
        let seen = remembered().lock().unwrap_or_else(PoisonError::into_inner);
        if seen.get(&c.account) == Some(&email) {
            return;
        }
    }
    let store = Arc::clone(&app.service.store);
    let account = c.account.clone();
    let stored = {
        let (account, email) = (account.clone(), email.clone());
        tokio::task::spawn_blocking(move || store.set_email(&account, Some(&email))).await
    };
    match stored {
        Ok(Ok(())) => {
            remembered().lock().unwrap_or_else(PoisonError::into_inner).insert(account, email);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "storing an account's email address failed"),
        Err(_) => {}
    }
}

/// `POST /v1/admin/email {"accountId","email"}`: the admin token only.
pub(crate) async fn set(State(app): State<AppState>, Authenticated(caller): Authenticated, Body(body): Body) -> Response {
    if let Caller::Device(_) = caller {
        return app.refuse(&crate::auth::Refusal::forbidden("this route needs the admin token"));
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return error(400, ErrorCode::BadRequest, "the body is not JSON {\"accountId\",\"email\"}");
    };
    let Some(account) = v.get("accountId").and_then(|a| a.as_str()).filter(|a| !a.is_empty()).map(str::to_string) else {
        return error(400, ErrorCode::BadRequest, "accountId is missing");
    };
    let email = match v.get("email") {
        Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(e)) if valid(e) => Some(e.clone()),
        _ => return error(400, ErrorCode::BadRequest, "email must be an email address or null"),
    };
    let store = Arc::clone(&app.service.store);
    let (a, e) = (account.clone(), email.clone());
    match tokio::task::spawn_blocking(move || store.set_email(&a, e.as_deref())).await {
        Ok(Ok(())) => {
            let mut seen = remembered().lock().unwrap_or_else(PoisonError::into_inner);
            seen.remove(&account);
            json_reply(200, r#"{"ok":true,"result":null}"#.into())
        }
        _ => error(503, ErrorCode::StorageFailed, "the address could not be stored"),
    }
}
