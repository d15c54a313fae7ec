//! The history tables ([`crate::store::history`]) on PostgreSQL.

use super::{int, pg, PgStore};
use crate::store::history::{fingerprint_from, ClosedHold, History, HistoryQuery, HistoryStore, Seen};
use crate::store::{Loaded, StoreError};
use postgres::Transaction;

/// The tables' migration.
pub(super) const MIGRATION: &str = "
CREATE TABLE closed_holds (
  account_id TEXT NOT NULL,
  hold_id    TEXT NOT NULL,
  hold       TEXT NOT NULL,
  owner      TEXT,
  PRIMARY KEY (account_id, hold_id)
);
CREATE TABLE fingerprints (
  account_id  TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  fingerprint BYTEA NOT NULL,
  seq         BIGINT NOT NULL,
  PRIMARY KEY (account_id, device_id, fingerprint)
);
";

/// Writes a request's history rows inside its account's transaction, one statement per
/// table (a row with the same key is replaced: a closed hold whose owner the ledger forgot).
pub(super) fn insert(tx: &mut Transaction<'_>, account_id: &str, rows: &History) -> Result<(), StoreError> {
    if !rows.closed_holds.is_empty() {
        let ids: Vec<&str> = rows.closed_holds.iter().map(|h| h.hold_id.as_str()).collect();
        let holds: Vec<&str> = rows.closed_holds.iter().map(|h| h.hold.as_str()).collect();
        let owners: Vec<Option<&str>> = rows.closed_holds.iter().map(|h| h.owner.as_deref()).collect();
        tx.execute(
            "INSERT INTO closed_holds (account_id, hold_id, hold, owner) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[]) \
             ON CONFLICT (account_id, hold_id) DO UPDATE SET hold = EXCLUDED.hold, owner = EXCLUDED.owner",
            &[&account_id, &ids, &holds, &owners],
        )
        .map_err(pg)?;
    }
    if !rows.fingerprints.is_empty() {
        let devices: Vec<&str> = rows.fingerprints.iter().map(|f| f.device_id.as_str()).collect();
        let fps: Vec<&[u8]> = rows.fingerprints.iter().map(|f| &f.fingerprint[..]).collect();
        let seqs: Vec<i64> = rows.fingerprints.iter().map(|f| int(f.seq)).collect();
        tx.execute(
            "INSERT INTO fingerprints (account_id, device_id, fingerprint, seq) SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::bigint[]) \
             ON CONFLICT (account_id, device_id, fingerprint) DO UPDATE SET seq = EXCLUDED.seq",
            &[&account_id, &devices, &fps, &seqs],
        )
        .map_err(pg)?;
    }
    Ok(())
}

/// The account's row and the history rows a request names, one snapshot. Each named hold
/// id and fingerprint is one probe of its table's primary key, a lateral `LIMIT 1`
/// subquery per id: written as `fingerprint = ANY($4)` (or as a join with the unnested
/// array), the planner chose — from the statistics of a table that was small when the
/// statement was planned, and grows with every push — to read all of the device's
/// fingerprints (all of the account's closed holds) and filter or hash them, so every push
/// read the device's whole history: ~220 pages per push after 200 pushes, most of
/// PostgreSQL's CPU per push, and growing. A `LIMIT` subquery cannot be flattened into a
/// join, so each id is looked up by its full key whatever the statistics say (at most one
/// row matches: the key is unique).
const LOAD_FOR: &str = "
SELECT 0::int, rev, record, (SELECT policy FROM account_policies WHERE account_id = $1), NULL::text, NULL::bytea FROM accounts WHERE id = $1
UNION ALL
SELECT 1, NULL::bigint, h.hold_id, h.hold, h.owner, NULL::bytea
FROM unnest($2::text[]) AS q(id),
LATERAL (SELECT hold_id, hold, owner FROM closed_holds WHERE account_id = $1 AND hold_id = q.id LIMIT 1) h
UNION ALL
SELECT 2, f.seq, NULL, NULL, NULL, f.fingerprint
FROM unnest($4::bytea[]) AS q(fp),
LATERAL (SELECT seq, fingerprint FROM fingerprints WHERE account_id = $1 AND device_id = $3 AND fingerprint = q.fp LIMIT 1) f";

/// The history rows a query names, without the account row ([`HistoryStore::history`]);
/// one key probe per id, as [`LOAD_FOR`].
const BY_KEY: &str = "
SELECT h.hold_id, h.hold, h.owner, NULL::bytea, NULL::bigint
FROM unnest($2::text[]) AS q(id),
LATERAL (SELECT hold_id, hold, owner FROM closed_holds WHERE account_id = $1 AND hold_id = q.id LIMIT 1) h
UNION ALL
SELECT NULL, NULL, NULL, f.fingerprint, f.seq
FROM unnest($4::bytea[]) AS q(fp),
LATERAL (SELECT fingerprint, seq FROM fingerprints WHERE account_id = $1 AND device_id = $3 AND fingerprint = q.fp LIMIT 1) f";

/// The device and the distinct fingerprints `query` names (a push may carry one mutation
/// twice: each stored row is read once, as with `= ANY`).
fn named_fingerprints(query: &HistoryQuery) -> (&str, Vec<&[u8]>) {
    match &query.fingerprints {
        Some((d, f)) => {
            let mut fps: Vec<&[u8]> = f.iter().map(|f| &f[..]).collect();
            fps.sort_unstable();
            fps.dedup();
            (d.as_str(), fps)
        }
        None => ("", Vec::new()),
    }
}

/// An account's row and the history rows a query names, in one statement (one snapshot,
/// one round trip): `Store::load_for` on PostgreSQL.
pub(super) fn load_for(store: &PgStore, account_id: &str, query: &HistoryQuery) -> Result<(Option<Loaded>, History), StoreError> {
    let (device, fps) = named_fingerprints(query);
    store.with_prepared(LOAD_FOR, |c, statement| {
        let rows = c.query(statement, &[&account_id, &query.hold_ids, &device, &fps]).map_err(pg)?;
        let (mut loaded, mut out) = (None, History::default());
        for r in rows {
            match r.get::<_, i32>(0) {
                0 => loaded = Some(Loaded { rev: r.get(1), record: r.get(2), policy: r.get(3) }),
                1 => {
                    out.closed_holds.push(ClosedHold { hold_id: r.get(2), hold: r.get(3), owner: r.get(4) });
                }
                _ => {
                    if let Some(fingerprint) = r.get::<_, Option<Vec<u8>>>(5).as_deref().and_then(fingerprint_from) {
                        let seq: i64 = r.get(1);
                        out.fingerprints.push(Seen { device_id: device.to_string(), fingerprint, seq: u64::try_from(seq).unwrap_or(0) });
                    }
                }
            }
        }
        if loaded.is_none() {
            out = History::default();
        }
        Ok((loaded, out))
    })
}

impl HistoryStore for PgStore {
    fn history(&self, account_id: &str, query: &HistoryQuery) -> Result<History, StoreError> {
        let (device, fps) = named_fingerprints(query);
        self.with(|c| {
            // One round trip for both tables; one key probe per id.
            let rows = c.query(BY_KEY, &[&account_id, &query.hold_ids, &device, &fps]).map_err(pg)?;
            let mut out = History::default();
            for r in rows {
                if let Some(hold_id) = r.get::<_, Option<String>>(0) {
                    out.closed_holds.push(ClosedHold { hold_id, hold: r.get(1), owner: r.get(2) });
                } else if let Some(fingerprint) = r.get::<_, Option<Vec<u8>>>(3).as_deref().and_then(fingerprint_from) {
                    let seq: i64 = r.get(4);
                    out.fingerprints.push(Seen { device_id: device.to_string(), fingerprint, seq: u64::try_from(seq).unwrap_or(0) });
                }
            }
            Ok(out)
        })
    }

    #[cfg(test)]
    fn closed_hold_ids(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let rows = c.query("SELECT hold_id FROM closed_holds WHERE account_id = $1", &[&account_id]).map_err(pg)?;
            let mut ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            // In byte order whatever the database's collation.
            ids.sort();
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The load reads each named fingerprint and closed hold by its full key, planned on
    /// new, empty tables (the statistics that made the planner read a device's whole
    /// history instead) with the plan the store's connections use (generic): no scan of an
    /// account's or device's rows to filter or hash them.
    #[test]
    fn the_load_probes_each_named_id_by_its_key() {
        let Some(url) = super::super::test_database("load_plan") else { return };
        drop(PgStore::open(&url, 1).expect("open and migrate"));
        let mut c = super::super::connect(&url).expect("connect");
        c.batch_execute(&format!("PREPARE load_for (text, text[], text, bytea[]) AS {LOAD_FOR}")).expect("prepare");
        let plan: Vec<String> = c
            .query("EXPLAIN EXECUTE load_for ('a', ARRAY['d:1', 'd:2'], 'd', ARRAY['\\x00'::bytea, '\\x01'::bytea])", &[])
            .expect("explain")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("(account_id = $1) AND (device_id = $3) AND (fingerprint = "), "{plan}");
        assert!(plan.contains("(account_id = $1) AND (hold_id = "), "{plan}");
        for scan in ["Hash", "Filter: (fingerprint", "Filter: (hold_id", "Seq Scan on fingerprints", "Seq Scan on closed_holds"] {
            assert!(!plan.contains(scan), "{scan}: {plan}");
        }
    }
}
