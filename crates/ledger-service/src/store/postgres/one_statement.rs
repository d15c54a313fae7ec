//! The common save — an existing account, no payment or email rows — as one statement:
//! the conditional `UPDATE` of the account row and every insert and delete of the write
//! as data-modifying CTEs that act only when the `UPDATE` found the revision it expects.
//! One statement is one implicit transaction and one round trip, where the
//! transaction of separate statements took seven (each a wait on the database on a
//! loaded machine). The effect is the same: all of it committed or none of it. The writer
//! threads (`group_commit`) commit many such saves with one statement; this one is what
//! they fall back to, save by save, when a batch's statement fails as a whole.
//!
//! A save of a request that ran on this process's copy of its account
//! (`Write::assumed`, `account_cache`) also finds, in the same `UPDATE`'s condition, the
//! copy's save stamp in the row and none of the history rows the request names (`clash`:
//! one key probe per row, as `group_commit::SAVE_MANY`'s); otherwise it writes nothing,
//! like a revision that moved on.

use super::{int, pg};
use crate::store::{Saved, StoreError, Write};
use postgres::{Client, Statement};

/// The statement.
pub(super) const SAVE: &str = "
WITH clash AS MATERIALIZED (
  SELECT 1 FROM unnest($24::text[]) AS q(hold_id),
  LATERAL (SELECT 1 FROM closed_holds c WHERE c.account_id = $1 AND c.hold_id = q.hold_id LIMIT 1) c
  UNION ALL
  SELECT 1 FROM unnest($26::bytea[]) AS q(fp),
  LATERAL (SELECT 1 FROM fingerprints f WHERE f.account_id = $1 AND f.device_id = $25::text AND f.fingerprint = q.fp LIMIT 1) f
), acc AS (
  UPDATE accounts SET rev = rev + 1, record = $3, open_holds = $4, overdraft = $5, updated_at = $6, stamp = $22
  WHERE id = $1 AND rev = $2 AND ($23::bigint IS NULL OR (stamp = $23 AND NOT EXISTS (SELECT 1 FROM clash)))
  RETURNING 1
), new_entries AS (
  INSERT INTO entries (account_id, seq, at, entry)
  SELECT $1, * FROM unnest($7::bigint[], $8::bigint[], $9::text[]) WHERE EXISTS (SELECT 1 FROM acc)
), new_results AS (
  INSERT INTO results (account_id, device_id, seq, result)
  SELECT $1, * FROM unnest($10::text[], $11::bigint[], $12::text[]) WHERE EXISTS (SELECT 1 FROM acc)
  ON CONFLICT (account_id, device_id, seq) DO UPDATE SET result = EXCLUDED.result
), forgotten AS (
  DELETE FROM results r USING unnest($13::text[], $14::bigint[]) AS f(device_id, below)
  WHERE r.account_id = $1 AND r.device_id = f.device_id AND r.seq <= f.below AND EXISTS (SELECT 1 FROM acc)
), closed AS (
  INSERT INTO closed_holds (account_id, hold_id, hold, owner)
  SELECT $1, * FROM unnest($15::text[], $16::text[], $17::text[]) WHERE EXISTS (SELECT 1 FROM acc)
  ON CONFLICT (account_id, hold_id) DO UPDATE SET hold = EXCLUDED.hold, owner = EXCLUDED.owner
), seen AS (
  INSERT INTO fingerprints (account_id, device_id, fingerprint, seq)
  SELECT $1, * FROM unnest($18::text[], $19::bytea[], $20::bigint[]) WHERE EXISTS (SELECT 1 FROM acc)
  ON CONFLICT (account_id, device_id, fingerprint) DO UPDATE SET seq = EXCLUDED.seq
), policy AS (
  INSERT INTO account_policies (account_id, policy)
  SELECT $1, $21::text WHERE $21::text IS NOT NULL AND EXISTS (SELECT 1 FROM acc)
  ON CONFLICT (account_id) DO UPDATE SET policy = EXCLUDED.policy
)
SELECT count(*) FROM acc";

/// Saves `w` (an existing account read at `rev`, no side rows) with [`SAVE`], prepared.
pub(super) fn save(c: &mut Client, statement: &Statement, w: &Write, rev: i64) -> Result<Saved, StoreError> {
    let below = |device: &str| w.forget_below.iter().find(|(d, _)| d == device).map(|(_, b)| *b);
    // A result the same write forgets is not inserted (the sibling DELETE cannot see it).
    let results: Vec<_> = w.results.iter().filter(|r| below(&r.device_id).is_none_or(|b| r.seq > b)).collect();
    let e_seq: Vec<i64> = w.entries.iter().map(|e| int(e.seq)).collect();
    let e_at: Vec<i64> = w.entries.iter().map(|e| e.at).collect();
    let e_json: Vec<&str> = w.entries.iter().map(|e| e.json.as_str()).collect();
    let r_device: Vec<&str> = results.iter().map(|r| r.device_id.as_str()).collect();
    let r_seq: Vec<i64> = results.iter().map(|r| int(r.seq)).collect();
    let r_json: Vec<&str> = results.iter().map(|r| r.json.as_str()).collect();
    let f_device: Vec<&str> = w.forget_below.iter().map(|(d, _)| d.as_str()).collect();
    let f_below: Vec<i64> = w.forget_below.iter().map(|(_, b)| int(*b)).collect();
    let h = &w.history.closed_holds;
    let h_id: Vec<&str> = h.iter().map(|h| h.hold_id.as_str()).collect();
    let h_hold: Vec<&str> = h.iter().map(|h| h.hold.as_str()).collect();
    let h_owner: Vec<Option<&str>> = h.iter().map(|h| h.owner.as_deref()).collect();
    let s = &w.history.fingerprints;
    let s_device: Vec<&str> = s.iter().map(|s| s.device_id.as_str()).collect();
    let s_fp: Vec<&[u8]> = s.iter().map(|s| &s.fingerprint[..]).collect();
    let s_seq: Vec<i64> = s.iter().map(|s| int(s.seq)).collect();
    let assumed = w.assumed.as_ref();
    let expect_stamp: Option<i64> = assumed.map(|a| a.stamp);
    let absent_holds: Vec<&str> = assumed.map_or(Vec::new(), |a| a.absent.hold_ids.iter().map(String::as_str).collect());
    let (absent_device, absent_fps): (&str, Vec<&[u8]>) = match assumed.and_then(|a| a.absent.fingerprints.as_ref()) {
        Some((device, fps)) => (device.as_str(), fps.iter().map(|f| &f[..]).collect()),
        None => ("", Vec::new()),
    };
    let row = c
        .query_one(
            statement,
            &[
                &w.account_id,
                &rev,
                &w.record,
                &int(w.open_holds),
                &w.overdraft,
                &w.now,
                &e_seq,
                &e_at,
                &e_json,
                &r_device,
                &r_seq,
                &r_json,
                &f_device,
                &f_below,
                &h_id,
                &h_hold,
                &h_owner,
                &s_device,
                &s_fp,
                &s_seq,
                &w.policy,
                &w.stamp,
                &expect_stamp,
                &absent_holds,
                &absent_device,
                &absent_fps,
            ],
        )
        .map_err(pg)?;
    Ok(if row.get::<_, i64>(0) == 1 { Saved::Committed } else { Saved::Conflict })
}
