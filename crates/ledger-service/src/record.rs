//! One account as a store keeps it: the account's policy, current state and clock, its
//! snapshot version, its devices' cursors and overdrafts, and which device placed each
//! hold — as one JSON document per account row. The journal of entries and the results
//! remembered to answer duplicates live in their own tables (see `store`), so this
//! document holds the account's current state only, never its history of requests.
//! Closed holds, the owners of closed holds, the AI proxy's settlements of closed holds
//! and mutation fingerprints are history too:
//! [`to_json`] leaves them out (`engine` moves them to `store::history`'s tables), and
//! [`from_json`] still reads them from records written before those tables existed.
//! The account's policy is stored apart from the record too ([`policy_json`]: written
//! only when it changes, parsed once per distinct text by `policy_cache`); a record
//! written before that still holds it as its `policy` member, and is read as it is.

use crate::store::Loaded;
use credit_meter_base::json::{self, FromJson, JsonError, Value};
use credit_meter_ledger_core::model::{Account, LedgerState, Policy};
use credit_meter_ledger_core::reference::proxy::Proxied;
use credit_meter_ledger_core::reference::{AccountRecord, Device};
use credit_meter_protocol::money::Credits;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The record's live part as the JSON text stored in the account's row: open holds and
/// their owners, no fingerprints, no policy (see the module doc).
pub(crate) fn to_json(rec: &AccountRecord) -> String {
    write(rec, true)
}

/// The account's policy as the JSON text stored apart from its record.
pub(crate) fn policy_json(rec: &AccountRecord) -> String {
    json::to_string(&json::to_value(rec.account.policy()))
}

/// The policy text a save must store, given the policy stored apart when the account was
/// loaded ([`from_loaded_with_policy`]): the account's policy when the account is new, its
/// stored record still held the policy (written before the policy was stored apart), or
/// the request changed it; `None` when the stored policy is still the account's.
pub(crate) fn policy_to_store(rec: &AccountRecord, stored: Option<&Policy>) -> Option<String> {
    match stored {
        Some(p) if p == rec.account.policy() => None,
        _ => Some(policy_json(rec)),
    }
}

/// The record of an account row as loaded.
pub(crate) fn from_loaded(loaded: &Loaded) -> Result<AccountRecord, String> {
    Ok(from_loaded_with_policy(loaded)?.0)
}

/// The record of an account row as loaded, and the policy stored apart from it, parsed once
/// (`policy_cache`) for both the record and [`policy_to_store`]'s comparison (`None`: the
/// record holds its policy, as one written before the policy was stored apart does).
pub(crate) fn from_loaded_with_policy(loaded: &Loaded) -> Result<(AccountRecord, Option<Arc<Policy>>), String> {
    let stored = loaded.policy.as_deref().map(crate::policy_cache::parse).transpose()?;
    Ok((from_json(&loaded.record, stored.as_deref())?, stored))
}

/// The whole record as one JSON text, history included: what the service stored before
/// the history tables (tests make such records to check they are still read and moved).
#[cfg(test)]
pub(crate) fn to_full_json(rec: &AccountRecord) -> String {
    write(rec, false)
}

fn write(rec: &AccountRecord, live: bool) -> String {
    let devices = rec
        .devices
        .iter()
        .map(|(id, d)| {
            let refused: Vec<(String, Value)> = sorted(&d.refused_reserves).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            let mut fields = vec![
                ("lastSeq".to_string(), json::to_value(&d.last_seq)),
                ("overdraft".to_string(), json::to_value(&d.overdraft)),
                ("overdraftTotal".to_string(), json::to_value(&d.overdraft_total)),
                ("vouched".to_string(), json::to_value(&d.vouched)),
                ("unpaidTotal".to_string(), json::to_value(&d.unpaid_total)),
                ("refusedReserves".to_string(), Value::Object(refused)),
            ];
            if let Some(limit) = &d.offline_limit {
                fields.push(("offlineLimit".to_string(), json::to_value(limit)));
            }
            if live {
                return (id.clone(), Value::Object(fields));
            }
            // Each applied or refused mutation's fingerprint (PROTOCOL §6.1: duplicates
            // are told by content), as hex, in seq order.
            let mut seen: Vec<(&[u8; 16], u64)> = d.fingerprints().collect();
            seen.sort_by_key(|(_, seq)| *seq);
            let seen: Vec<Value> =
                seen.into_iter().map(|(fp, seq)| Value::Array(vec![Value::String(hex(fp)), json::to_value(&seq)])).collect();
            fields.push(("fingerprints".to_string(), Value::Array(seen)));
            (id.clone(), Value::Object(fields))
        })
        .collect();
    // Holds that stay in the record, and those that leave it for their history row.
    let (mut kept, mut leaving) = (HashSet::new(), HashSet::new());
    for h in &rec.account.state().holds {
        let side = if crate::engine::history::stays_in_record(rec, h) { &mut kept } else { &mut leaving };
        side.insert(h.id.as_str());
    }
    let state = if live {
        let mut state = rec.account.state().clone();
        state.holds.retain(|h| kept.contains(h.id.as_str()));
        json::to_value(&state)
    } else {
        json::to_value(rec.account.state())
    };
    let owners = sorted(&rec.hold_owner)
        .into_iter()
        .filter(|(k, _)| !live || kept.contains(k.as_str()))
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut fields = vec![("version".to_string(), json::to_value(&rec.version))];
    if !live {
        fields.push(("policy".to_string(), json::to_value(rec.account.policy())));
    }
    fields.extend([
        ("state".to_string(), state),
        ("devices".to_string(), Value::Object(devices)),
        ("holdOwner".to_string(), Value::Object(owners)),
    ]);
    // Holds the AI proxy claimed (absent in records written before the proxy); live, not
    // those that leave the record with their hold (`engine::history` stores them in its row).
    let proxied: BTreeMap<&String, &Proxied> = rec.proxied.iter().filter(|(id, _)| !live || !leaving.contains(id.as_str())).collect();
    if !proxied.is_empty() {
        let members = proxied.into_iter().map(|(id, p)| (id.clone(), json::to_value(p))).collect();
        fields.push(("proxied".to_string(), Value::Object(members)));
    }
    if let Some(clock) = rec.account.clock() {
        fields.push(("clock".to_string(), json::to_value(&clock)));
    }
    json::to_string(&Value::Object(fields))
}

/// The record from its stored JSON text and its account's policy as stored apart (`None`:
/// the record holds its policy, as one written before the policy was stored apart does).
pub(crate) fn from_json(text: &str, policy: Option<&Policy>) -> Result<AccountRecord, String> {
    let bad = |e: JsonError| format!("stored account: {e}");
    let v: Value = json::from_str(text).map_err(bad)?;
    let mut m = json::take_object(v, "account").map_err(bad)?;
    let mut take = |k: &str| json::take_member(&mut m, k).ok_or_else(|| format!("stored account: no {k:?}"));
    let version = u64::from_json(take("version")?).map_err(bad)?;
    let policy = match (json::take_member(&mut m, "policy"), policy) {
        (Some(v), _) => <Policy as FromJson>::from_json(v).map_err(bad)?,
        (None, Some(p)) => p.clone(),
        (None, None) => return Err("stored account: no policy".to_string()),
    };
    let mut take = |k: &str| json::take_member(&mut m, k).ok_or_else(|| format!("stored account: no {k:?}"));
    let state = LedgerState::from_json(take("state")?).map_err(bad)?;
    let devices_v = take("devices")?;
    let owners_v = take("holdOwner")?;
    let proxied = match json::take_member(&mut m, "proxied") {
        Some(v) => BTreeMap::from_json(v).map_err(bad)?,
        None => BTreeMap::new(),
    };
    let clock = match json::take_member(&mut m, "clock") {
        Some(c) => Some(i64::from_json(c).map_err(bad)?),
        None => None,
    };
    let account = Account::from_state(policy, state, clock).map_err(|e| format!("stored account: {e}"))?;
    let mut devices = BTreeMap::new();
    for (id, d) in json::take_object(devices_v, "devices").map_err(bad)? {
        devices.insert(id, device_from(d).map_err(bad)?);
    }
    let hold_owner = strings(owners_v).map_err(bad)?;
    Ok(AccountRecord { account, version, devices, hold_owner, proxied })
}

fn device_from(v: Value) -> Result<Device, JsonError> {
    let mut m = json::take_object(v, "device")?;
    let mut credits = |k: &str| -> Result<Credits, JsonError> { json::field(json::take_member(&mut m, k), k) };
    let overdraft = credits("overdraft")?;
    let overdraft_total = credits("overdraftTotal")?;
    let vouched = credits("vouched")?;
    let unpaid_total = credits("unpaidTotal")?;
    let last_seq: u64 = json::field(json::take_member(&mut m, "lastSeq"), "lastSeq")?;
    let offline_limit = match json::take_member(&mut m, "offlineLimit") {
        Some(v) => Some(Credits::from_json(v)?),
        None => None,
    };
    let refused_reserves = match json::take_member(&mut m, "refusedReserves") {
        Some(v) => strings(v)?,
        None => HashMap::new(),
    };
    let fingerprints = json::take_member(&mut m, "fingerprints");
    // `Device` has private fields (its in-memory results): start from the default.
    let mut d = Device::default();
    if let Some(Value::Array(items)) = fingerprints {
        for item in items {
            let bad = || JsonError::new("a fingerprint is not [32 hex digits, seq]");
            let Value::Array(pair) = item else { return Err(bad()) };
            let mut pair = pair.into_iter();
            let (Some(Value::String(fp)), Some(seq), None) = (pair.next(), pair.next(), pair.next()) else { return Err(bad()) };
            d.restore_fingerprint(unhex(&fp).ok_or_else(bad)?, u64::from_json(seq)?);
        }
    }
    (d.last_seq, d.overdraft, d.overdraft_total, d.vouched, d.unpaid_total) = (last_seq, overdraft, overdraft_total, vouched, unpaid_total);
    (d.offline_limit, d.refused_reserves) = (offline_limit, refused_reserves);
    Ok(d)
}

fn hex(fp: &[u8; 16]) -> String {
    fp.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    if text.len() != 32 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn strings(v: Value) -> Result<HashMap<String, String>, JsonError> {
    json::take_object(v, "map")?.into_iter().map(|(k, v)| Ok((k, String::from_json(v)?))).collect()
}

/// A map's members in key order, so that the same record is always the same text.
fn sorted(map: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
    use credit_meter_protocol::snapshot::SnapshotSigner;

    /// The account's policy as a save stores it apart ([`policy_json`]) and a load reads it
    /// back.
    fn stored_policy(rec: &AccountRecord) -> Policy {
        (*crate::policy_cache::parse(&policy_json(rec)).expect("the stored policy parses")).clone()
    }

    /// A save stores the policy only when the account is new, its record held the policy,
    /// or the policy differs from the one stored apart.
    #[test]
    fn the_policy_is_stored_only_when_it_is_not_already() {
        let mut l = RefLedger::new(SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
        assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"trueRecall"}"#, 0).contains("true"));
        let rec = l.take_account("a").expect("account");
        let loaded = |policy: Option<String>| Loaded { rev: 1, record: to_json(&rec), policy };
        let (_, stored) = from_loaded_with_policy(&loaded(Some(policy_json(&rec)))).expect("loads");
        assert_eq!(policy_to_store(&rec, stored.as_deref()), None, "the same policy is stored already");
        assert_eq!(policy_to_store(&rec, None), Some(policy_json(&rec)), "new account, or the record held it");
        let mut other = stored_policy(&rec);
        other.name.push_str(" (changed)");
        assert_eq!(policy_to_store(&rec, Some(&other)), Some(policy_json(&rec)), "a changed policy");
        let (_, none) = from_loaded_with_policy(&Loaded { rev: 1, record: to_full_json(&rec), policy: None }).expect("loads");
        assert!(none.is_none(), "a record that holds its policy has none stored apart");
    }

    /// A claim the proxy never settled (its process died) is settled by the ledger once
    /// abandoned, by whatever request comes next — which names no hold. Its hold must then
    /// still be in the record even if it expired meanwhile, or the settlement would not
    /// find it and would charge the usage apart from the hold (no late-commit rules).
    #[test]
    fn a_claimed_hold_that_expired_stays_in_the_record_until_its_claim_is_settled() {
        let ledger = || RefLedger::new(SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
        let mut l = ledger();
        let now = 1_700_000_000_000;
        assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"trueRecall"}"#, now).contains("true"));
        assert!(l.handle_admin(r#"{"op":"purchase","accountId":"a","purchaseId":"p","packageId":"starter"}"#, now).contains("true"));
        let push = r#"{"v":2,"accountId":"a","deviceId":"d","mutations":[{"type":"reserve","seq":1,"at":0,"holdId":"d:1","amount":"5","operation":"x"}]}"#;
        assert!(l.handle_push(push, now).contains("applied"));
        l.claim_hold("a", "d:1", Some("d"), now).expect("claimed");
        let later = now + 7 * 24 * 3_600_000;
        let _ = l.handle_push(r#"{"v":2,"accountId":"a","deviceId":"d","mutations":[]}"#, later);
        let rec = l.take_account("a").expect("account");
        assert!(rec.account.state().hold("d:1").is_some_and(|h| !h.is_open()), "the hold expired");
        let live = from_json(&to_json(&rec), Some(&stored_policy(&rec))).expect("parses");
        assert!(live.account.state().hold("d:1").is_some(), "the claimed hold left the record");
        assert_eq!(live.hold_owner.get("d:1").map(String::as_str), Some("d"));
        let (mut whole, mut stored) = (ledger(), ledger());
        whole.insert_account("a", rec);
        stored.insert_account("a", live);
        let want = whole.settle_abandoned_claims("a", later + 1, 0);
        assert_eq!(want.len(), 1);
        assert_eq!(stored.settle_abandoned_claims("a", later + 1, 0), want);
        let balance = |l: &RefLedger| l.account("a").map(|r| r.account.state().balance());
        assert_eq!(balance(&stored), balance(&whole));
    }

    #[test]
    fn a_record_survives_the_round_trip_through_its_text() {
        let mut l = RefLedger::new(SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
        let now = 1_700_000_000_000;
        assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"trueRecall"}"#, now).contains("true"));
        assert!(l.handle_admin(r#"{"op":"purchase","accountId":"a","purchaseId":"p","packageId":"starter"}"#, now).contains("true"));
        let push = r#"{"v":2,"accountId":"a","deviceId":"d","mutations":[{"type":"reserve","seq":1,"at":0,"holdId":"d:1","amount":"10","operation":"x"},{"type":"commit","seq":2,"at":0,"holdId":"d:1","amount":"70"}]}"#;
        assert!(l.handle_push(push, now).contains("applied"));
        // A hold the AI proxy settled and one it claimed.
        let push = r#"{"v":2,"accountId":"a","deviceId":"d","mutations":[{"type":"reserve","seq":3,"at":0,"holdId":"d:2","amount":"5","operation":"x"},{"type":"reserve","seq":4,"at":0,"holdId":"d:3","amount":"5","operation":"x"}]}"#;
        assert!(l.handle_push(push, now).contains("applied"));
        l.claim_hold("a", "d:2", None, now).expect("claimed");
        l.settle_hold("a", "d:2", Some(Credits::parse("1.5").expect("credits")), now).expect("settled");
        l.claim_hold("a", "d:3", Some("d"), now).expect("claimed");
        let rec = l.take_account("a").expect("account");
        let text = to_full_json(&rec);
        let back = from_json(&text, None).expect("parses");
        assert_eq!(to_full_json(&back), text);
        assert_eq!(back.account.state(), rec.account.state());
        assert_eq!(back.devices["d"].last_seq, 4);
        assert_eq!(back.devices["d"].overdraft, rec.devices["d"].overdraft);
        assert_eq!(back.hold_owner, rec.hold_owner);
        assert_eq!(back.proxied, rec.proxied);
        assert_eq!(back.proxied.len(), 2);
        assert_eq!(back.devices["d"].fingerprints().count(), 4);
        // The live part: the open hold and its owner, no fingerprints, no policy (stored
        // apart, and read back with it).
        assert!(!to_json(&rec).contains("\"policy\""), "{}", to_json(&rec));
        assert!(from_json(&to_json(&rec), None).is_err(), "no policy anywhere");
        let live = from_json(&to_json(&rec), Some(&stored_policy(&rec))).expect("parses");
        let ids: Vec<&str> = live.account.state().holds.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["d:3"]);
        assert_eq!(live.hold_owner.keys().collect::<Vec<_>>(), ["d:3"]);
        assert_eq!(live.devices["d"].fingerprints().count(), 0);
        assert_eq!(live.account.state().balance(), rec.account.state().balance());
        // The running claim stays; the settled one leaves with its closed hold's row, and
        // reading that row back restores it as it was.
        assert_eq!(live.proxied.keys().collect::<Vec<_>>(), ["d:3"]);
        assert_eq!(live.proxied["d:3"], rec.proxied["d:3"]);
        let rows = crate::engine::history::extract(&rec, &crate::store::history::History::default());
        let row = rows.closed_holds.iter().find(|h| h.hold_id == "d:2").expect("a row for the settled hold");
        assert!(row.hold.contains("\"proxied\":"), "{}", row.hold);
        assert!(!rows.closed_holds.iter().find(|h| h.hold_id == "d:1").expect("row").hold.contains("proxied"));
        let mut back = live;
        crate::engine::history::hydrate(&mut back, &rows).expect("hydrates");
        assert_eq!(back.proxied, rec.proxied);
        let mut holds: Vec<&str> = back.account.state().holds.iter().map(|h| h.id.as_str()).collect();
        holds.sort_unstable();
        assert_eq!(holds, ["d:1", "d:2", "d:3"]);
    }
}
