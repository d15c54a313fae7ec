//! Group commit of account saves on PostgreSQL, as SQLite's (`store::sqlite::group_commit`):
//! the common save (an existing account, no payment or email rows) goes to a few writer
//! threads; each takes every save waiting (up to [`MAX_BATCH`], at most one per account)
//! and commits them all with **one statement** ([`SAVE_MANY`]): one implicit transaction,
//! one round trip, one commit (one WAL flush) for many requests, where each save used to
//! be a statement and a transaction of its own. PostgreSQL's per-statement and
//! per-transaction work (protocol, executor start-up for the seven CTEs, snapshot, commit
//! record, flush request, a backend wake-up) was most of its CPU per push at 64 devices.
//!
//! Each account's `UPDATE` is still conditional on the revision its request read, and every
//! insert of a save acts only when its account's `UPDATE` found that revision: a save whose
//! account changed meanwhile (another process wrote it) writes nothing and is answered
//! [`Saved::Conflict`] — the request is run again on the new state — while the others of the
//! batch commit. Every save is answered only after the statement (and so its commit)
//! returned: nothing is acknowledged before it is durable. Should the statement fail as a
//! whole (a constraint violated by one save, a deadlock with another process's batch, a
//! lost connection), nothing of it was applied, and each of its saves is tried again alone
//! with the one-save statement (`one_statement`), so one save's error stays its own.

use super::{int, one_statement, pg};
use crate::store::{Pending, Saved, StoreError, Write};
use postgres::{Client, Statement};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

/// Most saves one statement takes: bounds how long a save waits behind the others of its
/// batch.
const MAX_BATCH: usize = 64;

/// How one save ended.
type Outcome = Result<Saved, StoreError>;

/// One save waiting for its batch (`rev`: the revision its request read).
struct Job {
    write: Write,
    rev: i64,
    answer: tokio::sync::oneshot::Sender<Outcome>,
}

/// The way to the writer threads.
pub(super) struct GroupCommit {
    jobs: Sender<Job>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

/// The statement: the saves' account rows updated together (each only at the revision its
/// request read), and each save's rows inserted or deleted only when its account's row was.
/// `a.id = ANY($1)` lets the planner find the rows by the primary key whatever it guesses
/// of the arrays' lengths (without it, small batches were planned as a scan of `accounts`,
/// whose pages fill with the versions of frequently updated rows).
///
/// A save of a request that ran on this process's copy of its account (`Write::assumed`,
/// `account_cache`) updates its row only if the row also has the copy's save stamp and
/// none of the history rows the request names exists (`clash`): otherwise it is a conflict.
/// `clash` is one key probe per named row (`LATERAL … LIMIT 1`, as `history::LOAD_FOR`)
/// computed once for the batch (`MATERIALIZED`): written as `EXISTS`, the generic plan
/// scanned every closed hold and fingerprint of each account — a cost that grew with the
/// account's history and halved pushes/s at 64 devices within seconds.
pub(super) const SAVE_MANY: &str = "
WITH clash AS MATERIALIZED (
  SELECT q.account_id FROM unnest($30::text[], $31::text[]) AS q(account_id, hold_id),
  LATERAL (SELECT 1 FROM closed_holds c WHERE c.account_id = q.account_id AND c.hold_id = q.hold_id LIMIT 1) c
  UNION ALL
  SELECT q.account_id FROM unnest($32::text[], $33::text[], $34::bytea[]) AS q(account_id, device_id, fp),
  LATERAL (SELECT 1 FROM fingerprints f WHERE f.account_id = q.account_id AND f.device_id = q.device_id AND f.fingerprint = q.fp LIMIT 1) f
), acc AS (
  UPDATE accounts a SET rev = a.rev + 1, record = u.record, open_holds = u.open_holds, overdraft = u.overdraft, updated_at = u.now, stamp = u.stamp
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $28::bigint[], $29::bigint[])
    AS u(id, rev, record, open_holds, overdraft, now, stamp, expect_stamp)
  WHERE a.id = ANY($1) AND a.id = u.id AND a.rev = u.rev
    AND (u.expect_stamp IS NULL OR (a.stamp = u.expect_stamp AND NOT EXISTS (SELECT 1 FROM clash WHERE clash.account_id = a.id)))
  RETURNING a.id
), new_entries AS (
  INSERT INTO entries (account_id, seq, at, entry)
  SELECT e.* FROM unnest($7::text[], $8::bigint[], $9::bigint[], $10::text[]) AS e(account_id, seq, at, entry)
  WHERE e.account_id IN (SELECT id FROM acc)
), new_results AS (
  INSERT INTO results (account_id, device_id, seq, result)
  SELECT r.* FROM unnest($11::text[], $12::text[], $13::bigint[], $14::text[]) AS r(account_id, device_id, seq, result)
  WHERE r.account_id IN (SELECT id FROM acc)
  ON CONFLICT (account_id, device_id, seq) DO UPDATE SET result = EXCLUDED.result
), forgotten AS (
  DELETE FROM results r USING unnest($15::text[], $16::text[], $17::bigint[]) AS f(account_id, device_id, below)
  WHERE r.account_id = f.account_id AND r.device_id = f.device_id AND r.seq <= f.below AND f.account_id IN (SELECT id FROM acc)
), closed AS (
  INSERT INTO closed_holds (account_id, hold_id, hold, owner)
  SELECT h.* FROM unnest($18::text[], $19::text[], $20::text[], $21::text[]) AS h(account_id, hold_id, hold, owner)
  WHERE h.account_id IN (SELECT id FROM acc)
  ON CONFLICT (account_id, hold_id) DO UPDATE SET hold = EXCLUDED.hold, owner = EXCLUDED.owner
), seen AS (
  INSERT INTO fingerprints (account_id, device_id, fingerprint, seq)
  SELECT s.* FROM unnest($22::text[], $23::text[], $24::bytea[], $25::bigint[]) AS s(account_id, device_id, fingerprint, seq)
  WHERE s.account_id IN (SELECT id FROM acc)
  ON CONFLICT (account_id, device_id, fingerprint) DO UPDATE SET seq = EXCLUDED.seq
), policy AS (
  INSERT INTO account_policies (account_id, policy)
  SELECT p.* FROM unnest($26::text[], $27::text[]) AS p(account_id, policy)
  WHERE p.account_id IN (SELECT id FROM acc)
  ON CONFLICT (account_id) DO UPDATE SET policy = EXCLUDED.policy
)
SELECT id FROM acc";

impl GroupCommit {
    /// Starts `writers` writer threads, each with its own connection to `url`.
    pub(super) fn start(url: &str, writers: usize) -> Result<GroupCommit, StoreError> {
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..writers.max(1) {
            let mut writer = Writer::connect(url)?;
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("pg-writer-{n}"))
                .spawn(move || writer.run(&queue))
                .map_err(|e| format!("cannot start a PostgreSQL writer thread: {e}"))?;
        }
        Ok(GroupCommit { jobs })
    }

    /// Queues `write` (read at `rev`) for the next batch; the outcome comes once that batch
    /// committed (or failed).
    pub(super) fn submit(&self, write: Write, rev: i64) -> Pending {
        let (answer, answered) = tokio::sync::oneshot::channel();
        match self.jobs.send(Job { write, rev, answer }) {
            Ok(()) => Pending::Queued(answered),
            Err(_) => Pending::Done(Err("the PostgreSQL writer threads have stopped".to_string())),
        }
    }
}

/// A writer thread's connection and its prepared statements (made again after the
/// connection broke).
struct Writer {
    url: String,
    conn: Option<(Client, Statement, Statement)>,
}

impl Writer {
    fn connect(url: &str) -> Result<Writer, StoreError> {
        let mut w = Writer { url: url.to_string(), conn: None };
        w.ready()?;
        Ok(w)
    }

    /// The connection, opened (and the statements prepared) if it is not.
    fn ready(&mut self) -> Result<&mut (Client, Statement, Statement), StoreError> {
        if self.conn.as_ref().is_some_and(|(c, _, _)| c.is_closed()) {
            self.conn = None;
        }
        if self.conn.is_none() {
            let mut c = super::connect(&self.url)?;
            let many = c.prepare(SAVE_MANY).map_err(pg)?;
            let one = c.prepare(one_statement::SAVE).map_err(pg)?;
            self.conn = Some((c, many, one));
        }
        self.conn.as_mut().ok_or_else(|| "no PostgreSQL connection".to_string())
    }

    /// Batch after batch until the store is dropped. A save of an account already in the
    /// batch waits for the next one (one `UPDATE` row per account).
    fn run(&mut self, queue: &Mutex<Receiver<Job>>) {
        let mut held: Vec<Job> = Vec::new();
        loop {
            let mut batch: Vec<Job> = Vec::new();
            {
                let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
                if held.is_empty() {
                    match queue.recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => return,
                    }
                }
                let take = |job: Job, batch: &mut Vec<Job>, held: &mut Vec<Job>| {
                    if batch.len() >= MAX_BATCH || batch.iter().any(|b| b.write.account_id == job.write.account_id) {
                        held.push(job);
                    } else {
                        batch.push(job);
                    }
                };
                for job in std::mem::take(&mut held) {
                    take(job, &mut batch, &mut held);
                }
                while batch.len() < MAX_BATCH {
                    let Ok(job) = queue.try_recv() else { break };
                    take(job, &mut batch, &mut held);
                }
            }
            // The account rows are locked in id order, as another process's batch locks them.
            batch.sort_by(|a, b| a.write.account_id.cmp(&b.write.account_id));
            let outcomes = self.commit(&batch);
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                // A request that gave up waiting needs no answer.
                let _ = job.answer.send(outcome);
            }
        }
    }

    /// Commits `batch` with one statement — again on a new connection when this one was
    /// found broken (the database restarted, the backend was ended) —; when it fails, each
    /// save alone. Sending a batch again is safe even if the broken connection had
    /// committed it: every account's revision has then moved on, so each save is a conflict
    /// and its request runs again on the committed state (its mutations then answered as
    /// duplicates with their original results).
    fn commit(&mut self, batch: &[Job]) -> Vec<Outcome> {
        let mut together = self.try_many(batch);
        if together.is_err() && self.broken() {
            self.conn = None;
            together = self.try_many(batch);
        }
        match together {
            Ok(outcomes) => outcomes,
            Err(e) if batch.len() == 1 => vec![Err(e)],
            Err(_) => batch
                .iter()
                .map(|j| match self.ready() {
                    Ok((c, _, one)) => one_statement::save(c, one, &j.write, j.rev),
                    Err(e) => Err(e),
                })
                .collect(),
        }
    }
}

impl Writer {
    fn try_many(&mut self, batch: &[Job]) -> Result<Vec<Outcome>, StoreError> {
        let (c, many, _) = self.ready()?;
        save_many(c, many, batch)
    }

    /// Whether the connection no longer answers (the client may learn that the server
    /// ended it only from the error of the request that found it).
    fn broken(&mut self) -> bool {
        self.conn.as_mut().is_none_or(|(c, _, _)| c.is_closed() || c.is_valid(CHECK_TIMEOUT).is_err())
    }
}

/// How long a connection that failed a statement has to answer an empty query to be kept.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs [`SAVE_MANY`] for `batch`: each save committed, or a conflict when its account
/// had changed.
fn save_many(c: &mut Client, statement: &Statement, batch: &[Job]) -> Result<Vec<Outcome>, StoreError> {
    let ws: Vec<&Write> = batch.iter().map(|j| &j.write).collect();
    let a_id: Vec<&str> = ws.iter().map(|w| w.account_id.as_str()).collect();
    let a_rev: Vec<i64> = batch.iter().map(|j| j.rev).collect();
    let a_record: Vec<&str> = ws.iter().map(|w| w.record.as_str()).collect();
    let a_open: Vec<i64> = ws.iter().map(|w| int(w.open_holds)).collect();
    let a_overdraft: Vec<&str> = ws.iter().map(|w| w.overdraft.as_str()).collect();
    let a_now: Vec<i64> = ws.iter().map(|w| w.now).collect();
    let a_stamp: Vec<i64> = ws.iter().map(|w| w.stamp).collect();
    let a_expect_stamp: Vec<Option<i64>> = ws.iter().map(|w| w.assumed.as_ref().map(|a| a.stamp)).collect();
    let (mut ch_acc, mut ch_id) = (Vec::new(), Vec::new());
    let (mut cf_acc, mut cf_device, mut cf_fp) = (Vec::new(), Vec::new(), Vec::new());
    let (mut e_acc, mut e_seq, mut e_at, mut e_json) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut r_acc, mut r_device, mut r_seq, mut r_json) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut f_acc, mut f_device, mut f_below) = (Vec::new(), Vec::new(), Vec::new());
    let (mut h_acc, mut h_id, mut h_hold, mut h_owner) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut s_acc, mut s_device, mut s_fp, mut s_seq) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut p_acc, mut p_policy) = (Vec::new(), Vec::new());
    for w in &ws {
        let acc = w.account_id.as_str();
        if let Some(a) = &w.assumed {
            for id in &a.absent.hold_ids {
                ch_acc.push(acc);
                ch_id.push(id.as_str());
            }
            if let Some((device, fps)) = &a.absent.fingerprints {
                for fp in fps {
                    cf_acc.push(acc);
                    cf_device.push(device.as_str());
                    cf_fp.push(&fp[..]);
                }
            }
        }
        if let Some(policy) = &w.policy {
            p_acc.push(acc);
            p_policy.push(policy.as_str());
        }
        for e in &w.entries {
            e_acc.push(acc);
            e_seq.push(int(e.seq));
            e_at.push(e.at);
            e_json.push(e.json.as_str());
        }
        let below = |device: &str| w.forget_below.iter().find(|(d, _)| d == device).map(|(_, b)| *b);
        // A result the same write forgets is not inserted (the sibling DELETE cannot see it).
        for r in w.results.iter().filter(|r| below(&r.device_id).is_none_or(|b| r.seq > b)) {
            r_acc.push(acc);
            r_device.push(r.device_id.as_str());
            r_seq.push(int(r.seq));
            r_json.push(r.json.as_str());
        }
        for (device, b) in &w.forget_below {
            f_acc.push(acc);
            f_device.push(device.as_str());
            f_below.push(int(*b));
        }
        for h in &w.history.closed_holds {
            h_acc.push(acc);
            h_id.push(h.hold_id.as_str());
            h_hold.push(h.hold.as_str());
            h_owner.push(h.owner.as_deref());
        }
        for s in &w.history.fingerprints {
            s_acc.push(acc);
            s_device.push(s.device_id.as_str());
            s_fp.push(&s.fingerprint[..]);
            s_seq.push(int(s.seq));
        }
    }
    let rows = c
        .query(
            statement,
            &[
                &a_id,
                &a_rev,
                &a_record,
                &a_open,
                &a_overdraft,
                &a_now,
                &e_acc,
                &e_seq,
                &e_at,
                &e_json,
                &r_acc,
                &r_device,
                &r_seq,
                &r_json,
                &f_acc,
                &f_device,
                &f_below,
                &h_acc,
                &h_id,
                &h_hold,
                &h_owner,
                &s_acc,
                &s_device,
                &s_fp,
                &s_seq,
                &p_acc,
                &p_policy,
                &a_stamp,
                &a_expect_stamp,
                &ch_acc,
                &ch_id,
                &cf_acc,
                &cf_device,
                &cf_fp,
            ],
        )
        .map_err(pg)?;
    let updated: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(ws.iter().map(|w| Ok(if updated.contains(&w.account_id) { Saved::Committed } else { Saved::Conflict })).collect())
}

#[cfg(test)]
mod tests {
    use super::super::PgStore;
    use super::*;
    use crate::store::Store;
    use postgres::NoTls;

    fn database(name: &str) -> Option<String> {
        super::super::test_database(name)
    }

    /// A save of `account` at `rev` (`None`: new) appending journal entries `seqs`.
    fn write(account: &str, rev: Option<i64>, seqs: &[u64]) -> Write {
        Write::bare(account, rev, seqs)
    }

    fn job(w: Write) -> Job {
        let rev = w.expect_rev.unwrap_or(0);
        Job { write: w, rev, answer: tokio::sync::oneshot::channel().0 }
    }

    /// (revision, journal entries) of an account as another connection sees it.
    fn seen(url: &str, account: &str) -> (Option<i64>, i64) {
        let mut c = Client::connect(url, NoTls).expect("connect");
        let rev = c.query_opt("SELECT rev FROM accounts WHERE id = $1", &[&account]).expect("rev").map(|r| r.get(0));
        let n = c.query_one("SELECT count(*) FROM entries WHERE account_id = $1", &[&account]).expect("entries").get(0);
        (rev, n)
    }

    #[test]
    fn one_statement_commits_a_batch_and_a_failing_save_fails_alone() {
        let Some(url) = database("group_commit") else { return };
        let store = PgStore::open(&url, 1).expect("open");
        for a in ["a", "b", "c", "d"] {
            assert_eq!(store.submit(write(a, None, &[1])).wait(), Ok(Saved::Committed));
        }
        let mut writer = Writer::connect(&url).expect("writer");
        // All fine: one statement, every account one revision on.
        let out = writer.commit(&[job(write("a", Some(1), &[2])), job(write("c", Some(1), &[2]))]);
        assert_eq!(out, vec![Ok(Saved::Committed), Ok(Saved::Committed)]);
        assert_eq!((seen(&url, "a"), seen(&url, "c")), ((Some(2), 2), (Some(2), 2)));
        let out = writer.commit(&[
            job(write("a", Some(2), &[3])),
            // Journal entry 1 exists: the statement fails, this save alone in the end.
            job(write("b", Some(1), &[1])),
            job(write("c", Some(2), &[3, 4])),
            // Read at a revision the account no longer has: nothing of it is written.
            job(write("d", Some(7), &[2])),
        ]);
        assert_eq!(out[0], Ok(Saved::Committed));
        assert!(out[1].is_err(), "{:?}", out[1]);
        assert_eq!(out[2], Ok(Saved::Committed));
        assert_eq!(out[3], Ok(Saved::Conflict));
        assert_eq!(seen(&url, "a"), (Some(3), 3));
        assert_eq!(seen(&url, "b"), (Some(1), 1), "the failed save wrote nothing");
        assert_eq!(seen(&url, "c"), (Some(3), 4));
        assert_eq!(seen(&url, "d"), (Some(1), 1), "the conflicting save wrote nothing");
    }

    /// A save run on a copy of its account (`Write::assumed`) commits, in a batch and
    /// alone, only while the row has the copy's stamp and none of the named history rows
    /// exists.
    #[test]
    fn a_save_on_a_copy_commits_only_while_what_it_assumed_holds() {
        use crate::store::history::{ClosedHold, HistoryQuery, Seen};
        use crate::store::Assumed;
        let Some(url) = database("assumed") else { return };
        let store = PgStore::open(&url, 1).expect("open");
        let mut writer = Writer::connect(&url).expect("writer");
        let mut one = super::super::connect(&url).expect("connect");
        let one_save = one.prepare(one_statement::SAVE).expect("prepare");
        // Account "a" with a closed hold "h0" and device d's fingerprint [9; 16].
        let mut first = write("a", None, &[1]);
        first.history.closed_holds.push(ClosedHold { hold_id: "h0".into(), hold: "{}".into(), owner: None });
        first.history.fingerprints.push(Seen { device_id: "d".into(), fingerprint: [9; 16], seq: 1 });
        let mut stamp = first.stamp;
        assert_eq!(store.submit(first).wait(), Ok(Saved::Committed));
        let on_copy = |rev: i64, seq: u64, stamp: i64, holds: &[&str], fp: [u8; 16], device: &str| {
            let mut w = write("a", Some(rev), &[seq]);
            let absent =
                HistoryQuery { hold_ids: holds.iter().map(|h| h.to_string()).collect(), fingerprints: Some((device.into(), vec![fp])) };
            w.assumed = Some(Assumed { stamp, absent });
            w
        };
        let mut rev = 1;
        for alone in [false, true] {
            let mut save = |w: Write| -> Outcome {
                if alone {
                    one_statement::save(&mut one, &one_save, &w, w.expect_rev.unwrap_or(0))
                } else {
                    // With a plain save of another account in the same statement.
                    let other = write(&format!("other-{}", w.stamp), None, &[1]);
                    assert_eq!(store.submit(other.clone()).wait(), Ok(Saved::Committed));
                    let other = write(&other.account_id, Some(1), &[2]);
                    let out = writer.commit(&[job(w), job(other)]);
                    assert_eq!(out[1], Ok(Saved::Committed), "the other save is not held back");
                    out[0].clone()
                }
            };
            let seq = u64::try_from(rev).expect("small") + 1;
            // Another stamp at the same revision (a restored backup): nothing written.
            assert_eq!(save(on_copy(rev, seq, stamp ^ 1, &["h1"], [1; 16], "d")), Ok(Saved::Conflict));
            // A named closed hold exists: a load would have read it.
            assert_eq!(save(on_copy(rev, seq, stamp, &["h1", "h0"], [1; 16], "d")), Ok(Saved::Conflict));
            // A named fingerprint exists for that device.
            assert_eq!(save(on_copy(rev, seq, stamp, &["h1"], [9; 16], "d")), Ok(Saved::Conflict));
            assert_eq!(seen(&url, "a"), (Some(rev), rev), "no conflicting save wrote anything");
            // All holds (the same fingerprint under another device is another row).
            let w = on_copy(rev, seq, stamp, &["h1"], [9; 16], "e");
            let next = w.stamp;
            assert_eq!(save(w), Ok(Saved::Committed));
            rev += 1;
            stamp = next;
            assert_eq!(seen(&url, "a"), (Some(rev), rev));
        }
        // A save run on a load assumes nothing: stamps do not concern it.
        let w = write("a", Some(rev), &[u64::try_from(rev).expect("small") + 1]);
        assert_eq!(store.submit(w).wait(), Ok(Saved::Committed));
    }

    #[test]
    fn saves_through_the_writer_threads_are_committed_when_answered() {
        let Some(url) = database("group_commit_threads") else { return };
        let store = PgStore::open(&url, 2).expect("open");
        crate::store::check_saves_visible_when_answered(&store, 12, 10, &|account| seen(&url, account));
    }
}
