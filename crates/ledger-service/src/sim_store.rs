//! The deterministic simulator (`credit_meter_sim::simulate`) against the service's SQL
//! store: [`StoreLedger`] is the simulated world's ledger, and every call the world makes
//! on it is one request through the path `service::Service::attempt` takes — load the
//! account and the history rows the request names (or, on PostgreSQL, take the copy of
//! its last save, `account_cache`), `engine::run`, `Store::submit`, wait for the commit
//! (again from a load on a conflict) — with the simulated clock as
//! `now`. The seeds' faults (lost and replayed answers, requests delivered twice, crashed
//! devices, restored and cloned installations, the AI proxy racing the clients) thus
//! reach the store's history tables, result retention and group commit, and the same
//! invariants as against the reference ledger must hold: the summary line all zeros.
//!
//! What the HTTP layer adds before `Service::run` (authentication, rate limits, body
//! limits) is not simulated: a request the ledger cannot parse is answered as the routes
//! answer it, by an empty ledger.
//!
//! Abandoned AI-proxy claims: the service settles them at the start of every request on
//! the account; the simulated world asks for that at its own turn
//! ([`SimLedger::settle_abandoned_claims`], once per step after the proxy's due
//! settlements). Its clock jumps by minutes to days between steps, so a call whose answer
//! was due long ago is settled by the proxy only at the next step; a push delivered
//! earlier in that step would, in the service, settle it as abandoned first — an
//! artifact of the simulation's coarse clock, not a call that outlived its bound. So
//! client requests run with no abandoned-claim age, and the world's turn runs a request
//! with the age the world names (`credit_meter_sim::simulate::ABANDONED_MS`) through the
//! engine's own settling of abandoned claims.

use crate::account_cache::{AccountCache, CachedAccount, DEFAULT_BUDGET};
use crate::engine::{self, Bounds, Op};
use crate::record;
use crate::store::history::HistoryQuery;
use crate::store::{Saved, Store};
use credit_meter_base::json::{self, Value};
use credit_meter_ledger_core::model::{Entry, EntryKind, Policy};
use credit_meter_ledger_core::reference::proxy::{Claim, ProxyUsage, Settlement};
use credit_meter_ledger_core::reference::{AccountRecord, LedgerConfig, RefLedger};
use credit_meter_protocol::message::{PullRequest, PushRequest};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::payload::{MAX_GRANTS, MAX_HOLDS};
use credit_meter_protocol::snapshot::SnapshotSigner;
use credit_meter_sim::simulate::{AccountView, SimLedger};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Attempts of one request before it fails (only another writer conflicts; none here).
const MAX_ATTEMPTS: usize = 50;

/// An abandoned-claim age no claim reaches: client requests settle none (see the module doc).
const NEVER: i64 = i64::MAX;

/// The simulated world's ledger on a store.
pub(crate) struct StoreLedger {
    store: Arc<dyn Store>,
    signer: SnapshotSigner,
    cfg: LedgerConfig,
    retention: u64,
    bounds: Bounds,
    /// The copies of accounts' last saves (empty unless the store checks assumptions).
    cache: AccountCache,
    /// Pushes run on copies: [committed, ran again from a load] (tests check the seeds
    /// took both ways).
    pub(crate) copies: Arc<[AtomicU64; 2]>,
}

impl StoreLedger {
    /// A ledger on `store` with the world's signer and settings: the service's default
    /// bounds, and results kept per device as the world's `result_history` says (it
    /// runs some worlds with a short one, so that duplicates outlive their results).
    pub(crate) fn new(store: Arc<dyn Store>, signer: SnapshotSigner, cfg: LedgerConfig) -> StoreLedger {
        let retention = u64::try_from(cfg.result_history).unwrap_or(u64::MAX);
        // `cli`'s defaults.
        let bounds = Bounds { max_devices: 16, max_open_holds: MAX_HOLDS, max_grants: MAX_GRANTS, abandoned_claim_ms: NEVER };
        let cache = AccountCache::new(if store.checks_assumptions() { DEFAULT_BUDGET } else { 0 });
        StoreLedger { store, signer, cfg, retention, bounds, cache, copies: Arc::default() }
    }

    /// Runs one request on `account_id` at `now` as `Service::attempts` does, settling
    /// claims older than `abandoned_ms` first: the response once its write committed.
    fn request(
        &self,
        op: Op,
        account_id: &str,
        body: &str,
        push: Option<&PushRequest>,
        now: i64,
        abandoned_ms: i64,
    ) -> Result<String, String> {
        let bounds = Bounds { abandoned_claim_ms: abandoned_ms, ..self.bounds };
        // As the service: a push runs on the copy of the account's last save when there
        // is one (`account_cache`; PostgreSQL), again from a load when its save finds the
        // copy's assumptions broken — a named fingerprint or closed hold exists, which a
        // resent mutation makes so.
        let mut copy = self.cache.for_request(account_id, op == Op::Push);
        for _ in 0..MAX_ATTEMPTS {
            let lent = copy.lend();
            let mut out = engine::run_on_store(
                &*self.store,
                lent.as_ref(),
                self.signer.clone(),
                &self.cfg,
                op,
                account_id,
                body,
                push,
                now,
                self.retention,
                bounds,
                &mut |_: &str| {},
            )?;
            copy.returned(lent);
            let (Some(mut w), Some(next)) = (out.write.take(), out.next.take()) else {
                if copy.on_copy() {
                    copy.unchecked();
                    continue;
                }
                copy.answered();
                return Ok(out.response);
            };
            w.side.extend(crate::email::outbox::rows(&*self.store, account_id, &out.notices, now)?);
            if copy.on_copy() && !w.side.is_empty() {
                copy.unchecked();
                continue;
            }
            let stamp = w.stamp;
            let conflicted = self.store.submit(w).wait()? == Saved::Conflict;
            if copy.on_copy() {
                self.copies[usize::from(conflicted)].fetch_add(1, Ordering::Relaxed);
            }
            copy.saved(conflicted, CachedAccount { loaded: next, stamp });
            if !conflicted {
                return Ok(out.response);
            }
        }
        Err(format!("account {account_id:?}: too many conflicting writes"))
    }

    /// The answer to a request the ledger cannot parse, as `routes` gives it.
    fn unparsed(&self, op: Op, body: &str, now: i64) -> String {
        let mut empty = RefLedger::new(self.signer.clone(), self.cfg.clone());
        match op {
            Op::Push => empty.handle_push(body, now),
            Op::Pull => empty.handle_pull(body, now),
            Op::Admin => empty.handle_admin(body, now),
            Op::Proxy => empty.handle_proxy(body, now),
        }
    }

    /// A request's answer, or a storage failure as the protocol error the service sends.
    fn answer(&self, op: Op, account_id: &str, body: &str, push: Option<&PushRequest>, now: i64) -> String {
        self.request(op, account_id, body, push, now, NEVER).unwrap_or_else(|e| storage_failed(&e))
    }

    /// An admin or proxy command's `result`, or its error as text.
    fn command(&self, op: Op, account_id: &str, body: &Value, now: i64, abandoned_ms: i64) -> Result<Value, String> {
        let text = self.request(op, account_id, &json::to_string(body), None, now, abandoned_ms)?;
        let v: Value = json::from_str(&text).map_err(|e| format!("answer {text}: {e}"))?;
        match (v.get("ok"), v.get("result")) {
            (Some(Value::Bool(true)), Some(result)) => Ok(result.clone()),
            _ => Err(text),
        }
    }

    /// The account's record with every closed hold (and the proxy's settlements of
    /// them) put back from the history tables.
    fn whole_record(&self, account_id: &str) -> Result<Option<AccountRecord>, String> {
        let Some(loaded) = self.store.load(account_id)? else { return Ok(None) };
        let mut rec = record::from_loaded(&loaded)?;
        let query = HistoryQuery { hold_ids: self.store.closed_hold_ids(account_id)?, fingerprints: None };
        engine::history::hydrate(&mut rec, &self.store.history(account_id, &query)?)?;
        Ok(Some(rec))
    }

    /// The whole account: [`StoreLedger::whole_record`] and its journal.
    fn view(&self, account_id: &str) -> Result<Option<AccountView>, String> {
        let Some(rec) = self.whole_record(account_id)? else { return Ok(None) };
        let entries = self
            .store
            .entries(account_id, u32::MAX)?
            .iter()
            .map(|t| json::from_str::<Entry>(t).map_err(|e| format!("stored entry: {e}")))
            .collect::<Result<Vec<Entry>, String>>()?;
        // The ledger keeps holds in the order they were placed: the order of their hold
        // entries (the store appends closed ones in id order). Only the order is changed.
        let placed: HashMap<&str, u64> = entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Hold { hold } => Some((hold.id.as_str(), e.seq)),
                _ => None,
            })
            .collect();
        let mut state = rec.account.state().clone();
        state.holds.sort_by_key(|h| placed.get(h.id.as_str()).copied().unwrap_or(u64::MAX));
        Ok(Some(AccountView { policy: rec.account.policy().clone(), state, entries, version: rec.version, devices: rec.devices }))
    }
}

/// The body the service answers a storage failure with (HTTP 503).
fn storage_failed(e: &str) -> String {
    let error = Value::object([
        ("code", credit_meter_protocol::error::ErrorCode::StorageFailed.as_str().into()),
        ("message", format!("storage failed: {e}").into()),
    ]);
    json::to_string(&Value::object([("error", error)]))
}

fn field<T: json::FromJson>(v: &Value, key: &str) -> Result<T, String> {
    let member = v.get(key).cloned().ok_or_else(|| format!("no {key:?} in {}", json::to_string(v)))?;
    json::from_value(member).map_err(|e| format!("{key}: {e}"))
}

impl SimLedger for StoreLedger {
    fn config(&self) -> &LedgerConfig {
        &self.cfg
    }

    fn create_account(&mut self, account_id: &str, policy: Policy) -> Result<(), String> {
        let cmd = Value::object([("op", "createAccount".into()), ("accountId", account_id.into()), ("policy", json::to_value(&policy))]);
        self.command(Op::Admin, account_id, &cmd, 0, NEVER).map(|_| ())
    }

    fn set_offline_limit(&mut self, account_id: &str, device_id: &str, limit: Credits) -> Result<(), String> {
        let cmd = Value::object([
            ("op", "setOfflineLimit".into()),
            ("accountId", account_id.into()),
            ("deviceId", device_id.into()),
            ("limit", json::to_value(&limit)),
        ]);
        self.command(Op::Admin, account_id, &cmd, 0, NEVER).map(|_| ())
    }

    fn handle_push(&mut self, body: &str, now: i64) -> String {
        match json::from_str::<PushRequest>(body) {
            Ok(req) => self.answer(Op::Push, &req.account_id, body, Some(&req), now),
            Err(_) => self.unparsed(Op::Push, body, now),
        }
    }

    fn handle_pull(&mut self, body: &str, now: i64) -> String {
        match json::from_str::<PullRequest>(body) {
            Ok(req) => self.answer(Op::Pull, &req.account_id, body, None, now),
            Err(_) => self.unparsed(Op::Pull, body, now),
        }
    }

    fn handle_admin(&mut self, body: &str, now: i64) -> String {
        match crate::routes::admin_account(body) {
            Some(account) => self.answer(Op::Admin, &account, body, None, now),
            None => self.unparsed(Op::Admin, body, now),
        }
    }

    fn holds(&mut self, account_id: &str) -> Vec<(String, Credits)> {
        match self.view(account_id) {
            Ok(Some(v)) => v.state.holds.iter().map(|h| (h.id.clone(), h.amount)).collect(),
            _ => Vec::new(),
        }
    }

    fn claim_hold(&mut self, account_id: &str, hold_id: &str, now: i64) -> Result<Claim, String> {
        let cmd = Value::object([("op", "claim".into()), ("accountId", account_id.into()), ("holdId", hold_id.into())]);
        let r = self.command(Op::Proxy, account_id, &cmd, now, NEVER)?;
        Ok(Claim {
            hold_id: field(&r, "holdId")?,
            device_id: field(&r, "deviceId")?,
            amount: field(&r, "amount")?,
            expires_at: field(&r, "expiresAt")?,
            operation: field(&r, "operation")?,
            units: if r.get("units").is_some() { Some(field(&r, "units")?) } else { None },
            units_per_credit: if r.get("unitsPerCredit").is_some() { Some(field(&r, "unitsPerCredit")?) } else { None },
        })
    }

    fn settle_hold_with(&mut self, account_id: &str, hold_id: &str, usage: ProxyUsage, now: i64) -> Result<(Settlement, bool), String> {
        let Value::Object(mut cmd) = Value::object([("op", "settle".into()), ("accountId", account_id.into()), ("holdId", hold_id.into())])
        else {
            return Err("a command is an object".into());
        };
        match usage {
            ProxyUsage::Credits(c) => cmd.push(("usage".into(), json::to_value(&c))),
            ProxyUsage::Tokens(n) => cmd.push(("units".into(), Value::from_u64(n))),
            ProxyUsage::Released => {}
        }
        let r = self.command(Op::Proxy, account_id, &Value::Object(cmd), now, NEVER)?;
        let first: bool = field(&r, "first")?;
        let mut members = json::take_object(r, "settlement").map_err(|e| e.to_string())?;
        members.retain(|(k, _)| k != "first");
        let s = json::from_value::<Settlement>(Value::Object(members)).map_err(|e| format!("settlement: {e}"))?;
        Ok((s, first))
    }

    fn settle_abandoned_claims(&mut self, account_id: &str, now: i64, older_than_ms: i64) -> Vec<(String, Settlement)> {
        // The claims the reference ledger would settle: unsettled, old enough.
        let Ok(Some(loaded)) = self.store.load(account_id) else { return Vec::new() };
        let Ok(rec) = record::from_loaded(&loaded) else { return Vec::new() };
        let due: Vec<String> = rec
            .proxied
            .iter()
            .filter(|(_, p)| p.settlement.is_none() && p.claimed_at.saturating_add(older_than_ms) <= now)
            .map(|(id, _)| id.clone())
            .collect();
        if due.is_empty() {
            return Vec::new();
        }
        // Any request on the account settles them first (`engine::run`); this one changes
        // nothing itself: a settlement of a hold nobody claimed, refused `NOT_FOUND`.
        let cmd = Value::object([("op", "settle".into()), ("accountId", account_id.into()), ("holdId", "sim-never-claimed".into())]);
        if self.request(Op::Proxy, account_id, &json::to_string(&cmd), None, now, older_than_ms).is_err() {
            return Vec::new();
        }
        // What the engine settled, read back (closed holds carry their settlement).
        let Ok(Some(after)) = self.whole_record(account_id) else { return Vec::new() };
        due.into_iter().filter_map(|id| Some((id.clone(), after.proxied.get(&id)?.settlement.clone()?))).collect()
    }

    fn account(&self, account_id: &str) -> Option<AccountView> {
        self.view(account_id).ok().flatten()
    }
}

mod tests;
mod twin;
