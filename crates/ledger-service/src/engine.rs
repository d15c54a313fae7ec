//! One request on one account: the stored record is loaded into a reference ledger
//! (`credit_meter_ledger_core::reference::RefLedger`, the same rules the tests, the simulator and the
//! Wasm ledger run), the request runs, and the record comes out again together with what
//! the store must append: new journal entries and new mutation results.
//!
//! The ledger answers a duplicate with its original result from the device's recent
//! results; those live in the `results` table, so before a push whose seqs reach back to
//! already-applied ones, the kept results of that range are put back into the device.
//! Likewise the closed holds and fingerprints the request names are read back from the
//! history tables before it runs and the new ones taken out after (see [`history`]).

pub(crate) mod history;

use crate::account_cache::CachedAccount;
use crate::record;
use crate::store::history::{History, HistoryQuery};
use crate::store::{Assumed, JournalEntry, Loaded, Store, StoredResult, Write};
use credit_meter_base::json;
use credit_meter_ledger_core::model::HoldStatus;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::message::{MutationResult, PushRequest, ResultStatus};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::SnapshotSigner;

/// Per-account bounds the service enforces on top of the ledger's rules: a write that
/// would take an account past one is not saved and is answered with the protocol error
/// `LIMIT_REACHED` (the account stays as it was; a later request that stays within the
/// bounds — e.g. commits and releases that close holds — is applied). So the ledger never
/// signs a snapshot the client must reject (it accepts at most
/// `credit_meter_protocol::snapshot::MAX_HOLDS` holds and `MAX_GRANTS` grants) and made-up device
/// ids cannot multiply an account's offline overdraft without end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Devices per account.
    pub max_devices: usize,
    /// Open holds per account, and refused reserves it remembers (`counts`).
    pub max_open_holds: usize,
    /// Live grants (usable, not used up) per account.
    pub max_grants: usize,
    /// How old an unsettled AI-proxy claim is when it counts as abandoned and is charged
    /// its hold in full (`proxy::abandoned_after`).
    pub abandoned_claim_ms: i64,
}

/// The code of a request refused by [`Bounds`].
pub(crate) use credit_meter_protocol::error::LIMIT_REACHED;

/// Reads the stored results of a device's seqs `from..=to` (see `Store::results`).
pub(crate) type ResultLookup<'a> = dyn FnMut(&str, u64, u64) -> Result<Vec<(u64, String)>, String> + 'a;

/// Reads the account's history rows a query names (see `HistoryStore::history`).
pub(crate) type HistoryLookup<'a> = dyn FnMut(&HistoryQuery) -> Result<History, String> + 'a;

/// What a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `POST /v1/push`.
    Push,
    /// `POST /v1/pull`.
    Pull,
    /// `POST /v1/admin`.
    Admin,
    /// A claim or settlement of the AI proxy (`RefLedger::handle_proxy`).
    Proxy,
}

/// Mutations of a push by how they ended (for `/metrics`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    /// Applied.
    pub applied: u64,
    /// Refused.
    pub refused: u64,
    /// Duplicates.
    pub duplicate: u64,
    /// Gaps.
    pub gap: u64,
}

/// What running a request produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The response body.
    pub response: String,
    /// What to save (`None`: nothing changed).
    pub write: Option<Write>,
    /// The push's mutations by status.
    pub tally: Tally,
    /// What the ledger raised while running it (low-balance crossings: `email::outbox`).
    pub notices: Vec<credit_meter_ledger_core::model::Notice>,
    /// The account's row as a load will read it once `write` committed (`None`: no write):
    /// what this process keeps of it (`account_cache`).
    pub next: Option<Loaded>,
}

/// Runs one request on the account `account_id` as loaded (`None`: it does not exist;
/// only `createAccount` makes it). `rev` is the revision read; `lookup(device, from, to)`
/// reads stored results; `read`: the history rows the request names
/// ([`history::query`]), as read with the account; `rows` reads more of them (the closed
/// holds of AI-proxy claims the request settles as abandoned). `retention`: results kept
/// per device.
/// `early` gets the response as soon as the ledger computed it, before the write is built
/// (`Service::run_early`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    signer: SnapshotSigner,
    cfg: &LedgerConfig,
    op: Op,
    account_id: &str,
    loaded: Option<&Loaded>,
    body: &str,
    push: Option<&PushRequest>,
    now: i64,
    retention: u64,
    bounds: Bounds,
    lookup: &mut ResultLookup<'_>,
    rows: &mut HistoryLookup<'_>,
    mut read: History,
    early: &mut dyn FnMut(&str),
) -> Result<Outcome, String> {
    let (mut rec, stored_policy) = match loaded {
        Some(l) => {
            let (rec, policy) = record::from_loaded_with_policy(l)?;
            (Some(rec), policy)
        }
        None => (None, None),
    };
    if let Some(rec) = rec.as_mut() {
        history::hydrate(rec, &read)?;
        // Claims this request settles as abandoned (below, whatever the request) whose hold
        // already closed — it expired — have their hold in the history tables, and the
        // request does not name them: without it the settlement would not find the hold
        // and charge the usage as a bare "proxy" debit, or (a hold in tokens) fail.
        let hold_ids = history::abandoned_without_hold(rec, now, bounds.abandoned_claim_ms);
        if !hold_ids.is_empty() {
            let more = rows(&HistoryQuery { hold_ids, fingerprints: None })?;
            history::hydrate(rec, &more)?;
            read.closed_holds.extend(more.closed_holds);
        }
    }
    let before_counts = rec.as_ref().map(|r| counts(r, now)).unwrap_or((0, 0, 0, 0));
    // The push's device as loaded: its cursor before the push, and its recent results.
    let mut before_seq = 0;
    if let (Some(rec), Some(req)) = (rec.as_mut(), push) {
        if let Some(device) = rec.devices.get_mut(&req.device_id) {
            before_seq = device.last_seq;
            // A mutation sent again under a new seq (renumbered after a conflict: a restored
            // or copied state) is answered with the result of the seq its fingerprint was
            // first seen under, so that result goes back too, not only those of the push's
            // own seqs.
            let first_seen = read.fingerprints.iter().filter(|f| f.device_id == req.device_id).map(|f| f.seq).min();
            let lowest = req.mutations.iter().map(|m| m.seq()).chain(first_seen).min().unwrap_or(u64::MAX);
            if lowest <= device.last_seq {
                let kept_from = device.last_seq.saturating_sub(retention).saturating_add(1);
                let rows = lookup(&req.device_id, lowest.max(kept_from), device.last_seq)?;
                // Only a run of seqs that ends at the cursor can go back (the device keeps
                // its results as a contiguous run).
                let mut run: Vec<MutationResult> = Vec::new();
                let mut expect = device.last_seq;
                for (seq, text) in rows.into_iter().rev() {
                    if seq != expect {
                        break;
                    }
                    run.push(json::from_str(&text).map_err(|e| format!("stored result: {e}"))?);
                    expect = expect.saturating_sub(1);
                }
                for r in run.into_iter().rev() {
                    device.restore_result(r);
                }
            }
        }
    }
    let before_text = loaded.map(|l| l.record.as_str());
    // The ledger keeps every result of this request in memory; the store keeps them.
    let mut cfg = cfg.clone();
    cfg.result_history = usize::MAX;
    let mut ledger = RefLedger::new(signer, cfg);
    if let Some(rec) = rec {
        ledger.insert_account(account_id, rec);
    }
    // Claims whose proxy died before settling are settled first, whatever the request.
    for (hold, s) in ledger.settle_abandoned_claims(account_id, now, bounds.abandoned_claim_ms) {
        tracing::warn!(hold = %hold, charged = %s.charged, overdraft = %s.overdraft, "an abandoned AI-proxy claim was charged its hold in full");
    }
    let response = match op {
        Op::Push => ledger.handle_push(body, now),
        Op::Pull => ledger.handle_pull(body, now),
        Op::Admin => ledger.handle_admin(body, now),
        Op::Proxy => ledger.handle_proxy(body, now),
    };
    early(&response);
    let Some(mut rec) = ledger.take_account(account_id) else {
        return Ok(Outcome { response, write: None, tally: Tally::default(), notices: Vec::new(), next: None });
    };
    let notices = rec.account.take_notices();
    let after_counts = counts(&rec, now);
    for (what, before, after, max) in [
        ("devices", before_counts.0, after_counts.0, bounds.max_devices),
        ("open holds", before_counts.1, after_counts.1, bounds.max_open_holds),
        ("live grants", before_counts.2, after_counts.2, bounds.max_grants),
        ("refused reserves not yet released or committed", before_counts.3, after_counts.3, bounds.max_open_holds),
    ] {
        if after > max && after > before {
            let message = format!("the account would have {after} {what}; this ledger allows {max} (nothing in this request was applied)");
            return Ok(Outcome {
                response: limit_error(op, &message),
                write: None,
                tally: Tally::default(),
                notices: Vec::new(),
                next: None,
            });
        }
    }
    let text = record::to_json(&rec);
    let mut tally = Tally::default();
    let mut results = Vec::new();
    let mut forget_below = Vec::new();
    if let Some(req) = push {
        if let Some(device) = rec.devices.get(&req.device_id) {
            for seq in before_seq.saturating_add(1)..=device.last_seq {
                if let Some(r) = device.result(seq) {
                    results.push(StoredResult { device_id: req.device_id.clone(), seq, json: json::to_string(r) });
                }
            }
            if device.last_seq > retention {
                forget_below.push((req.device_id.clone(), device.last_seq - retention));
            }
            for m in &req.mutations {
                let seq = m.seq();
                if seq <= before_seq {
                    tally.duplicate += 1;
                } else if seq > device.last_seq {
                    tally.gap += 1;
                } else if device.result(seq).is_some_and(|r| r.status == ResultStatus::Refused) {
                    tally.refused += 1;
                } else {
                    tally.applied += 1;
                }
            }
        }
    }
    let moved = history::extract(&rec, &read);
    let policy = record::policy_to_store(&rec, stored_policy.as_deref());
    if before_text == Some(text.as_str()) && moved == History::default() && policy.is_none() {
        return Ok(Outcome { response, write: None, tally, notices, next: None });
    }
    let entries = rec.account.entries().iter().map(|e| JournalEntry { seq: e.seq, at: e.at, json: json::to_string(e) }).collect();
    let open_holds = rec.account.state().holds.iter().filter(|h| h.status == HoldStatus::Open).count() as u64;
    let overdraft = rec.devices.values().fold(Credits::ZERO, |acc, d| acc.checked_add(d.overdraft).unwrap_or(acc));
    // A save sets the revision to one more than the one read (a new account's to 1), and
    // stores the policy it carries, or keeps the one stored.
    let next = Loaded {
        rev: loaded.map_or(1, |l| l.rev.saturating_add(1)),
        record: text.clone(),
        policy: policy.clone().or_else(|| loaded.and_then(|l| l.policy.clone())),
    };
    let write = Write {
        account_id: account_id.to_string(),
        expect_rev: loaded.map(|l| l.rev),
        record: text,
        policy,
        open_holds,
        overdraft: overdraft.to_plain_string(),
        entries,
        results,
        forget_below,
        now,
        side: Vec::new(),
        history: moved,
        stamp: crate::stamp::next(),
        assumed: None,
    };
    Ok(Outcome { response, write: Some(write), tally, notices, next: Some(next) })
}

/// Runs one request ([`run`]) on the account as `store` has it: loads the account with the
/// history rows the request names, and lets the ledger read stored results and further
/// history rows from the same store. The one path of every request, for the service and
/// for the simulator's ledger on a store (`sim_store`).
///
/// With `cached` (this process's copy of the account, `account_cache`), runs on the copy
/// instead of a load, as if none of the named history rows existed, and the write carries
/// those assumptions ([`Write::assumed`]) for the store to check when it saves.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_on_store(
    store: &dyn Store,
    cached: Option<&CachedAccount>,
    signer: SnapshotSigner,
    cfg: &LedgerConfig,
    op: Op,
    account_id: &str,
    body: &str,
    push: Option<&PushRequest>,
    now: i64,
    retention: u64,
    bounds: Bounds,
    early: &mut dyn FnMut(&str),
) -> Result<Outcome, String> {
    let query = history::query(op, body, push);
    let mut lookup = |device: &str, from: u64, to: u64| store.results(account_id, device, from, to);
    let mut rows = |q: &HistoryQuery| store.history(account_id, q);
    let Some(copy) = cached else {
        let (loaded, read) = store.load_for(account_id, &query)?;
        return run(signer, cfg, op, account_id, loaded.as_ref(), body, push, now, retention, bounds, &mut lookup, &mut rows, read, early);
    };
    let read = History::default();
    let mut out =
        run(signer, cfg, op, account_id, Some(&copy.loaded), body, push, now, retention, bounds, &mut lookup, &mut rows, read, early)?;
    if let Some(w) = out.write.as_mut() {
        w.assumed = Some(Assumed { stamp: copy.stamp, absent: query });
    }
    Ok(out)
}

/// (devices, open holds, live grants, refused reserves remembered) of an account at `now`.
/// A refused reserve is remembered (in the record, so in every load and save of the
/// account) until its device releases or commits it, as a client does at once: bounded
/// like open holds, or one device could grow its account's record by 10,000 entries a
/// push — pushes that each load, parse and rewrite all of it.
fn counts(rec: &credit_meter_ledger_core::reference::AccountRecord, now: i64) -> (usize, usize, usize, usize) {
    let state = rec.account.state();
    let open = state.holds.iter().filter(|h| h.status == HoldStatus::Open).count();
    let grants = state.grants.iter().filter(|g| g.is_usable_at(now) && !g.remaining.is_zero()).count();
    let refused = rec.devices.values().map(|d| d.refused_reserves.len()).sum();
    (rec.devices.len(), open, grants, refused)
}

/// The `LIMIT_REACHED` answer in the shape of the request's kind.
fn limit_error(op: Op, message: &str) -> String {
    let error = json::Value::object([("code", LIMIT_REACHED.as_str().into()), ("message", message.into())]);
    match op {
        Op::Admin | Op::Proxy => json::to_string(&json::Value::object([("error", error), ("ok", false.into())])),
        Op::Push | Op::Pull => json::to_string(&json::Value::object([
            ("v", json::Value::from_u64(u64::from(credit_meter_protocol::message::PROTOCOL_VERSION))),
            ("error", error),
        ])),
    }
}
