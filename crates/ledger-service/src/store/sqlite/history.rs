//! The history tables ([`crate::store::history`]) on SQLite.

use super::{sql, SqliteStore};
use crate::store::history::{ClosedHold, History, HistoryQuery, HistoryStore, Seen};
use crate::store::StoreError;
use rusqlite::{params, Connection};

/// The tables' migration (clustered on their keys: `WITHOUT ROWID`).
pub(super) const MIGRATION: &str = "
CREATE TABLE closed_holds (
  account_id TEXT NOT NULL,
  hold_id    TEXT NOT NULL,
  hold       TEXT NOT NULL,
  owner      TEXT,
  PRIMARY KEY (account_id, hold_id)
) WITHOUT ROWID;
CREATE TABLE fingerprints (
  account_id  TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  seq         INTEGER NOT NULL,
  PRIMARY KEY (account_id, device_id, fingerprint)
) WITHOUT ROWID;
";

/// Writes a request's history rows inside its account's transaction (a row with the same
/// key is replaced: a closed hold whose owner the ledger forgot).
pub(super) fn insert(tx: &Connection, account_id: &str, rows: &History) -> Result<(), StoreError> {
    let mut hold =
        tx.prepare_cached("INSERT OR REPLACE INTO closed_holds (account_id, hold_id, hold, owner) VALUES (?1, ?2, ?3, ?4)").map_err(sql)?;
    for h in &rows.closed_holds {
        hold.execute(params![account_id, h.hold_id, h.hold, h.owner]).map_err(sql)?;
    }
    let mut seen = tx
        .prepare_cached("INSERT OR REPLACE INTO fingerprints (account_id, device_id, fingerprint, seq) VALUES (?1, ?2, ?3, ?4)")
        .map_err(sql)?;
    for f in &rows.fingerprints {
        seen.execute(params![account_id, f.device_id, &f.fingerprint[..], i64::try_from(f.seq).unwrap_or(i64::MAX)]).map_err(sql)?;
    }
    Ok(())
}

impl HistoryStore for SqliteStore {
    fn history(&self, account_id: &str, query: &HistoryQuery) -> Result<History, StoreError> {
        self.with(|c| read(c, account_id, query))
    }

    #[cfg(test)]
    fn closed_hold_ids(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT hold_id FROM closed_holds WHERE account_id = ?1").map_err(sql)?;
            let rows = stmt.query_map(params![account_id], |r| r.get::<_, String>(0)).map_err(sql)?;
            let mut ids: Vec<String> = rows.collect::<Result<_, _>>().map_err(sql)?;
            ids.sort();
            Ok(ids)
        })
    }
}

/// The history rows of `account_id` that `query` names, on one connection.
pub(super) fn read(c: &Connection, account_id: &str, query: &HistoryQuery) -> Result<History, StoreError> {
    let mut out = History::default();
    let mut hold = c.prepare_cached("SELECT hold, owner FROM closed_holds WHERE account_id = ?1 AND hold_id = ?2").map_err(sql)?;
    for id in &query.hold_ids {
        let mut rows = hold.query(params![account_id, id]).map_err(sql)?;
        if let Some(r) = rows.next().map_err(sql)? {
            out.closed_holds.push(ClosedHold { hold_id: id.clone(), hold: r.get(0).map_err(sql)?, owner: r.get(1).map_err(sql)? });
        }
    }
    if let Some((device, fps)) = &query.fingerprints {
        let mut seen =
            c.prepare_cached("SELECT seq FROM fingerprints WHERE account_id = ?1 AND device_id = ?2 AND fingerprint = ?3").map_err(sql)?;
        for fp in fps {
            let mut rows = seen.query(params![account_id, device, &fp[..]]).map_err(sql)?;
            if let Some(r) = rows.next().map_err(sql)? {
                let seq: i64 = r.get(0).map_err(sql)?;
                out.fingerprints.push(Seen { device_id: device.clone(), fingerprint: *fp, seq: u64::try_from(seq).unwrap_or(0) });
            }
        }
    }
    Ok(out)
}
