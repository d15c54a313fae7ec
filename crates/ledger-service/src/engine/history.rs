//! The account's history around one request (see `store::history`): which rows the
//! request names, putting them into the record before the ledger runs, and taking the
//! closed holds and new fingerprints out of it afterwards.
//!
//! The ledger consults history only by id: a hold by the id a mutation or a proxy command
//! names (`DUPLICATE_ID` for a re-sent reserve, the charge of an expired hold's late
//! commit, `NOT_FOUND` for a closed one, the AI proxy's settlement of a hold it paid for),
//! a fingerprint by the mutation being applied. So the rows of the ids a request names are
//! all it could read, and it runs on exactly the answers it would give with the whole
//! history in memory.
//!
//! A closed hold that the AI proxy settled carries its claim and settlement (the record's
//! `proxied` entry) in its row, under [`PROXIED`]: a client's later commit or release of
//! it is answered with the proxy's amounts, a second claim is `HOLD_IN_USE` and a repeated
//! settlement answers the first — and the record keeps only the claims still running, so
//! an account's every proxied call does not stay in every load and save of it.

use super::Op;
use crate::store::history::{ClosedHold, History, HistoryQuery, Seen};
use credit_meter_base::json::FromJson;
use credit_meter_base::json::{self, Value};
use credit_meter_ledger_core::model::{Account, Hold};
use credit_meter_ledger_core::reference::fingerprint::fingerprint;
use credit_meter_ledger_core::reference::proxy::Proxied;
use credit_meter_ledger_core::reference::AccountRecord;
use credit_meter_protocol::message::PushRequest;
use std::collections::{HashMap, HashSet};

/// The history rows a request names: a push's hold ids and its mutations' fingerprints,
/// a proxy command's hold id. Pulls and admin commands name none.
pub(crate) fn query(op: Op, body: &str, push: Option<&PushRequest>) -> HistoryQuery {
    let mut q = HistoryQuery::default();
    match (op, push) {
        (Op::Push, Some(req)) => {
            let mut ids: Vec<String> = req.mutations.iter().map(|m| m.hold_id().to_string()).collect();
            ids.sort();
            ids.dedup();
            q.hold_ids = ids;
            q.fingerprints = Some((req.device_id.clone(), req.mutations.iter().map(fingerprint).collect()));
        }
        (Op::Proxy, _) => {
            if let Ok(Value::Object(members)) = json::from_str::<Value>(body) {
                if let Some((_, Value::String(id))) = members.into_iter().find(|(k, _)| k == "holdId") {
                    q.hold_ids.push(id);
                }
            }
        }
        _ => {}
    }
    q
}

/// The holds of the record's AI-proxy claims that a request at `now` settles as
/// abandoned (unsettled `abandoned_ms` after they were made) and that are not in the
/// record: closed, so in the history tables, and named by no request (see `engine::run`).
pub(crate) fn abandoned_without_hold(rec: &AccountRecord, now: i64, abandoned_ms: i64) -> Vec<String> {
    rec.proxied
        .iter()
        .filter(|(id, p)| {
            p.settlement.is_none() && p.claimed_at.saturating_add(abandoned_ms) <= now && rec.account.state().hold(id).is_none()
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// The member of a closed hold's stored JSON that holds the AI proxy's claim and
/// settlement of it (absent for a hold the proxy never paid for).
pub(crate) const PROXIED: &str = "proxied";

/// Puts the rows read for a request into its account's record: closed holds into the
/// state with their owners and the proxy's settlements, fingerprints into their devices.
/// What the record already has (one written before the history tables) is kept as it is.
pub(crate) fn hydrate(rec: &mut AccountRecord, rows: &History) -> Result<(), String> {
    if !rows.closed_holds.is_empty() {
        let mut state = rec.account.state().clone();
        for row in &rows.closed_holds {
            if state.hold(&row.hold_id).is_some() {
                continue;
            }
            let (hold, proxied) = closed_hold_from(row).map_err(|e| format!("stored hold {:?}: {e}", row.hold_id))?;
            state.holds.push(hold);
            if let Some(owner) = &row.owner {
                rec.hold_owner.entry(row.hold_id.clone()).or_insert_with(|| owner.clone());
            }
            if let Some(p) = proxied {
                rec.proxied.entry(row.hold_id.clone()).or_insert(p);
            }
        }
        let clock = rec.account.clock();
        rec.account = Account::from_state(rec.account.policy().clone(), state, clock).map_err(|e| format!("stored account: {e}"))?;
    }
    for f in &rows.fingerprints {
        if let Some(device) = rec.devices.get_mut(&f.device_id) {
            if device.seen(&f.fingerprint).is_none() {
                device.restore_fingerprint(f.fingerprint, f.seq);
            }
        }
    }
    Ok(())
}

/// The history rows to write after a request: every closed hold that leaves the record
/// (not [`stays_in_record`]) and every fingerprint in it, where not already stored as it is (`read`: the rows read for the request).
/// For a record written before the history tables this is all of its history, once.
pub(crate) fn extract(rec: &AccountRecord, read: &History) -> History {
    let stored: HashMap<&str, &ClosedHold> = read.closed_holds.iter().map(|h| (h.hold_id.as_str(), h)).collect();
    let mut out = History::default();
    for h in rec.account.state().holds.iter().filter(|h| !stays_in_record(rec, h)) {
        let row = ClosedHold { hold_id: h.id.clone(), hold: closed_hold_json(rec, h), owner: rec.hold_owner.get(&h.id).cloned() };
        if stored.get(h.id.as_str()) != Some(&&row) {
            out.closed_holds.push(row);
        }
    }
    let seen: HashSet<(&str, &[u8; 16], u64)> = read.fingerprints.iter().map(|f| (f.device_id.as_str(), &f.fingerprint, f.seq)).collect();
    for (id, device) in &rec.devices {
        for (fp, seq) in device.fingerprints() {
            if !seen.contains(&(id.as_str(), fp, seq)) {
                out.fingerprints.push(Seen { device_id: id.clone(), fingerprint: *fp, seq });
            }
        }
    }
    out.closed_holds.sort_by(|a, b| a.hold_id.cmp(&b.hold_id));
    out.fingerprints.sort_by_key(|f| f.seq);
    out
}

/// Whether `h` is live state, kept in the account's record rather than in a history row:
/// open, or claimed by the AI proxy and not yet settled — an abandoned claim is settled by
/// whatever request comes next, which names no hold, so its hold must be at hand even
/// after it expired (`record::to_json` keeps these holds and their owners).
pub(crate) fn stays_in_record(rec: &AccountRecord, h: &Hold) -> bool {
    h.is_open() || rec.proxied.get(&h.id).is_some_and(|p| p.settlement.is_none())
}

/// A closed hold's stored JSON, for a hold that leaves the record (not
/// [`stays_in_record`]): the hold, with the proxy's claim and settlement of it under
/// [`PROXIED`] when the proxy paid for it (a claim still unsettled keeps its hold in the
/// record, so any claim here is settled).
fn closed_hold_json(rec: &AccountRecord, h: &Hold) -> String {
    let mut v = json::to_value(h);
    if let (Some(p), Value::Object(members)) = (rec.proxied.get(&h.id), &mut v) {
        members.push((PROXIED.to_string(), json::to_value(p)));
    }
    json::to_string(&v)
}

/// A closed hold and the proxy's settlement of it from their stored JSON.
fn closed_hold_from(row: &ClosedHold) -> Result<(Hold, Option<Proxied>), json::JsonError> {
    let mut members = json::take_object(json::from_str(&row.hold)?, "hold")?;
    let proxied = json::take_member(&mut members, PROXIED).map(Proxied::from_json).transpose()?;
    Ok((Hold::from_json(Value::Object(members))?, proxied))
}
