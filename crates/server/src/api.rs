//! The `/v1/` routes: the wire protocol (push, pull), the admin commands, the public keys
//! and a read-only dump of an account.
//!
//! Protocol answers are always HTTP 200 with the ledger's own JSON (a bad request is a
//! coded error inside it); 4xx is for misuse of HTTP itself (wrong method, unknown
//! route, a body over the limit or not UTF-8, a missing query parameter).

use crate::app::App;
use crate::http::{query_param, read_body, Reply};
use crate::store::Kind;
use credit_meter_base::json::{self, Value};
use crate::request::{Method, Request};

/// Answers a request whose path starts with `/v1/`.
pub(crate) fn handle(app: &mut App, req: &mut Request, path: &str, query: &str) -> Reply {
    let get = matches!(req.method(), Method::Get | Method::Head);
    let post = *req.method() == Method::Post;
    let kind = match path {
        "/v1/push" => Kind::Push,
        "/v1/pull" => Kind::Pull,
        "/v1/admin" => Kind::Admin,
        "/v1/keys" if get => return Reply::json(200, keys(app)),
        "/v1/state" if get => return state_route(app, query),
        "/v1/keys" | "/v1/state" => return Reply::method_not_allowed("GET, HEAD"),
        _ => return Reply::not_found(),
    };
    if !post {
        return Reply::method_not_allowed("POST");
    }
    let body = match read_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    match app.run(kind, body) {
        Ok(response) => Reply::json(200, response),
        Err(e) => Reply::error(503, "STORAGE_FAILED", &format!("not applied: {e}")),
    }
}

/// `{kid: base64url public key}`: what a `Meter` is given as `publicKeys`.
fn keys(app: &App) -> String {
    let signer = app.ledger().signer();
    json::to_string(&Value::Object(vec![(signer.kid().to_string(), signer.public_key_base64url().into())]))
}

fn state_route(app: &App, query: &str) -> Reply {
    let Some(account) = query_param(query, "account") else {
        return Reply::error(400, "BAD_REQUEST", "use /v1/state?account=ID");
    };
    match state(app, &account) {
        Some(v) => Reply::json(200, json::to_string(&v)),
        None => Reply::error(404, "UNKNOWN_ACCOUNT", &format!("no account {account:?}")),
    }
}

/// The account at the current time, computed on a copy (a read changes nothing and is
/// not logged): the balance view (balance, held, available, low, grants, holds,
/// allowances, plan, agents) plus the account id, policy name, snapshot version, devices
/// and every entry.
fn state(app: &App, account_id: &str) -> Option<Value> {
    let rec = app.ledger().account(account_id)?;
    let mut account = rec.account.clone();
    let at = app.now().max(account.clock().unwrap_or(i64::MIN));
    let view = account.balance(at).ok()?;
    let Value::Object(mut out) = json::to_value(&view) else { return None };
    let limit = app.ledger().config().offline_limit;
    let devices = rec
        .devices
        .iter()
        .map(|(id, d)| {
            let v = Value::object([
                ("lastSeq", json::to_value(&d.last_seq)),
                ("overdraft", json::to_value(&d.overdraft)),
                ("overdraftTotal", json::to_value(&d.overdraft_total)),
                ("unpaidTotal", json::to_value(&d.unpaid_total)),
                ("offlineLimit", json::to_value(&d.offline_limit.unwrap_or(limit))),
            ]);
            (id.clone(), v)
        })
        .collect();
    let extra = [
        ("accountId", account_id.into()),
        ("policy", account.policy().name.as_str().into()),
        ("version", json::to_value(&rec.version)),
        ("devices", Value::Object(devices)),
        ("entries", json::to_value(account.entries())),
    ];
    for (key, value) in extra {
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), value));
    }
    Some(Value::Object(out))
}
