//! The first run on an empty file: a new Ed25519 signing key from the OS's randomness,
//! and the demo accounts, set up through the ledger's own admin commands so that they are
//! logged (and replayed) like any other request:
//!
//! - `demo`: True Recall, with the Starter package bought (purchase `welcome`);
//! - `demo-agent`: AssistLore, with its signup grant and subscribed to the `starter` plan
//!   for a 30-day cycle starting now.

use crate::store::{Kind, Logged, Store, StoreError, StoredKey};
use credit_meter_protocol::base64url;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_base::json::{self, Value};

/// The demo account under True Recall.
pub(crate) const DEMO_ACCOUNT: &str = "demo";
/// The demo account under AssistLore.
pub(crate) const DEMO_AGENT_ACCOUNT: &str = "demo-agent";
const DAY_MS: i64 = 86_400_000;

/// A new signing key made at `now`: 32 random bytes from the OS, and the key id
/// `ledger-<now, 13 digits>-<6 more random bytes>`, so that key ids sort in creation order
/// (docs/PROTOCOL.md, key rotation) and two ledger files never share one.
pub(crate) fn new_key(now: i64) -> Result<StoredKey, StoreError> {
    let mut bytes = [0u8; 38];
    getrandom::fill(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&bytes[..32]);
    Ok(StoredKey { kid: format!("ledger-{now:013}-{}", base64url::encode(&bytes[32..])), seed })
}

/// The admin commands that create the demo accounts at `now`.
fn demo_commands(now: i64) -> Vec<String> {
    let demo = || ("accountId", Value::from(DEMO_ACCOUNT));
    let agent = || ("accountId", Value::from(DEMO_AGENT_ACCOUNT));
    [
        Value::object([("op", "createAccount".into()), demo(), ("policy", "trueRecall".into())]),
        Value::object([("op", "purchase".into()), demo(), ("purchaseId", "welcome".into()), ("packageId", "starter".into())]),
        Value::object([("op", "createAccount".into()), agent(), ("policy", "assistLore".into())]),
        Value::object([("op", "signup".into()), agent()]),
        Value::object([
            ("op", "changePlan".into()),
            agent(),
            ("planId", "starter".into()),
            ("startsAt", json::to_value(&now)),
            ("endsAt", json::to_value(&(now + 30 * DAY_MS))),
        ]),
    ]
    .iter()
    .map(json::to_string)
    .collect()
}

/// Sets up an empty file at `now`: generates the key, runs the demo commands and stores
/// both in one transaction. Returns the ledger in that state.
pub(crate) fn first_run(store: &mut Store, now: i64) -> Result<RefLedger, StoreError> {
    let key = new_key(now)?;
    let mut ledger = RefLedger::new(key.signer(), LedgerConfig::default());
    let mut logged = Vec::new();
    for body in demo_commands(now) {
        let response = Kind::Admin.apply(&mut ledger, &body, now);
        if !response.starts_with(r#"{"ok":true"#) {
            return Err(format!("demo setup failed: {body} -> {response}"));
        }
        logged.push(Logged { kind: Kind::Admin, body, now, response });
    }
    store.first_run(&key, now, &logged)?;
    Ok(ledger)
}
