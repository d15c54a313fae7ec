//! The ledger the simulated world runs against, as a trait: every call the world, the
//! network, the AI proxy actor and the invariants make on it. The simulator's own binary
//! runs the in-memory reference ledger ([`RefLedger`]); the ledger service's tests run the
//! same world against its SQL store (each call one request through the service's path:
//! load, run, save, wait for the commit), so that both face the same seeds.

use credit_meter_ledger_core::model::{Entry, LedgerState, Policy};
use credit_meter_ledger_core::reference::proxy::{Claim, ProxyUsage, Settlement};
use credit_meter_ledger_core::reference::{Device, LedgerConfig, RefLedger};
use credit_meter_protocol::money::Credits;
use std::collections::BTreeMap;

/// An account as the invariants read it after a run: all of it, history included.
#[derive(Debug, Clone)]
pub struct AccountView {
    /// The account's policy.
    pub policy: Policy,
    /// Its state as the ledger keeps it, with every hold ever placed (closed ones too),
    /// in the order they were placed.
    pub state: LedgerState,
    /// Its whole journal, oldest first (the invariants fold it and compare with `state`).
    pub entries: Vec<Entry>,
    /// The snapshot version.
    pub version: u64,
    /// Its devices by id.
    pub devices: BTreeMap<String, Device>,
}

/// A ledger the world can run against. Errors are text: the world only reports them.
pub trait SimLedger {
    /// The settings the world built it with.
    fn config(&self) -> &LedgerConfig;
    /// Opens an account under a policy.
    fn create_account(&mut self, account_id: &str, policy: Policy) -> Result<(), String>;
    /// Sets one device's offline limit.
    fn set_offline_limit(&mut self, account_id: &str, device_id: &str, limit: Credits) -> Result<(), String>;
    /// A device's push (`POST /v1/push`) at `now`: the response body.
    fn handle_push(&mut self, body: &str, now: i64) -> String;
    /// A device's pull (`POST /v1/pull`) at `now`: the response body.
    fn handle_pull(&mut self, body: &str, now: i64) -> String;
    /// An admin command (`POST /v1/admin`) at `now`: the response body.
    fn handle_admin(&mut self, body: &str, now: i64) -> String;
    /// Every hold of the account (open and closed) with its amount, in the order placed:
    /// what the AI proxy actor picks from (a closed one must be refused).
    fn holds(&mut self, account_id: &str) -> Vec<(String, Credits)>;
    /// The AI proxy claims a hold at `now` (PROTOCOL §6.7).
    fn claim_hold(&mut self, account_id: &str, hold_id: &str, now: i64) -> Result<Claim, String>;
    /// The AI proxy settles a claimed hold at `now`: the settlement and whether this call
    /// made it.
    fn settle_hold_with(&mut self, account_id: &str, hold_id: &str, usage: ProxyUsage, now: i64) -> Result<(Settlement, bool), String>;
    /// The ledger settles the account's claims unsettled `older_than_ms` after they were
    /// made (their proxy died): the holds settled now.
    fn settle_abandoned_claims(&mut self, account_id: &str, now: i64, older_than_ms: i64) -> Vec<(String, Settlement)>;
    /// The whole account, for the invariants (`None`: unknown).
    fn account(&self, account_id: &str) -> Option<AccountView>;
}

impl SimLedger for RefLedger {
    fn config(&self) -> &LedgerConfig {
        RefLedger::config(self)
    }

    fn create_account(&mut self, account_id: &str, policy: Policy) -> Result<(), String> {
        RefLedger::create_account(self, account_id, policy).map_err(|e| e.to_string())
    }

    fn set_offline_limit(&mut self, account_id: &str, device_id: &str, limit: Credits) -> Result<(), String> {
        RefLedger::set_offline_limit(self, account_id, device_id, limit).map_err(|e| e.to_string())
    }

    fn handle_push(&mut self, body: &str, now: i64) -> String {
        RefLedger::handle_push(self, body, now)
    }

    fn handle_pull(&mut self, body: &str, now: i64) -> String {
        RefLedger::handle_pull(self, body, now)
    }

    fn handle_admin(&mut self, body: &str, now: i64) -> String {
        RefLedger::handle_admin(self, body, now)
    }

    fn holds(&mut self, account_id: &str) -> Vec<(String, Credits)> {
        let Some(rec) = RefLedger::account(self, account_id) else { return Vec::new() };
        rec.account.state().holds.iter().map(|h| (h.id.clone(), h.amount)).collect()
    }

    fn claim_hold(&mut self, account_id: &str, hold_id: &str, now: i64) -> Result<Claim, String> {
        RefLedger::claim_hold(self, account_id, hold_id, None, now).map_err(|e| format!("{e:?}"))
    }

    fn settle_hold_with(&mut self, account_id: &str, hold_id: &str, usage: ProxyUsage, now: i64) -> Result<(Settlement, bool), String> {
        RefLedger::settle_hold_with(self, account_id, hold_id, usage, now).map_err(|e| format!("{e:?}"))
    }

    fn settle_abandoned_claims(&mut self, account_id: &str, now: i64, older_than_ms: i64) -> Vec<(String, Settlement)> {
        RefLedger::settle_abandoned_claims(self, account_id, now, older_than_ms)
    }

    fn account(&self, account_id: &str) -> Option<AccountView> {
        let rec = RefLedger::account(self, account_id)?;
        Some(AccountView {
            policy: rec.account.policy().clone(),
            state: rec.account.state().clone(),
            entries: rec.account.entries().to_vec(),
            version: rec.version,
            devices: rec.devices.clone(),
        })
    }
}
