//! Group commit of account saves on SQLite. Every save goes to one writer thread; it takes
//! all the saves waiting (up to [`MAX_BATCH`]) and commits them in one `BEGIN IMMEDIATE`
//! transaction — one fsync and one lock hand-off for many requests, where each push used
//! to pay its own (SQLite has one writer at a time anyway). Each save answers only after
//! the COMMIT of its batch returned, so nothing is acknowledged before it is durable.
//!
//! One save must not sink the others: each runs under its own savepoint, and a save that
//! fails (or finds its account changed: [`Saved::Conflict`]) is rolled back to it alone
//! and answered so, while the rest of the batch commits. Should a failure end the whole
//! transaction (SQLite rolls back on some I/O and full-disk errors), that save is answered
//! with its error and the others run again in a new transaction. A COMMIT that fails
//! answers every save of the batch with the error (nothing of it was applied; the clients
//! send again, and duplicates are answered as such).

use super::{apply, sql};
use crate::store::Pending;
use crate::store::{Saved, StoreError, Write};
use rusqlite::{Connection, TransactionBehavior};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

/// Most saves one transaction takes: bounds how long a save waits behind the others of its
/// batch (their statements run before its COMMIT).
pub(super) const MAX_BATCH: usize = 64;

/// How one save ended.
type Outcome = Result<Saved, StoreError>;

/// One save waiting for its batch.
struct Job {
    write: Write,
    answer: tokio::sync::oneshot::Sender<Outcome>,
}

/// The way to the writer thread.
#[derive(Debug)]
pub(super) struct GroupCommit {
    jobs: Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("account", &self.write.account_id).finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer thread on `writer` (which other writes may lock between batches).
    pub(super) fn start(writer: Arc<Mutex<Connection>>) -> Result<GroupCommit, StoreError> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&writer, &queue))
            .map_err(|e| format!("cannot start the SQLite writer thread: {e}"))?;
        Ok(GroupCommit { jobs })
    }

    /// Queues `write` for the next batch; the outcome comes once that batch committed (or
    /// failed).
    pub(super) fn submit(&self, write: Write) -> Pending {
        let (answer, answered) = tokio::sync::oneshot::channel();
        match self.jobs.send(Job { write, answer }) {
            Ok(()) => Pending::Queued(answered),
            Err(_) => Pending::Done(Err("the SQLite writer thread has stopped".to_string())),
        }
    }
}

/// The writer thread: batch after batch until the store is dropped.
fn run(writer: &Mutex<Connection>, queue: &Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<&Write> = batch.iter().map(|j| &j.write).collect();
        let outcomes = {
            let mut conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            commit(&mut conn, &writes)
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // A request that gave up waiting (its task was dropped) needs no answer.
            let _ = job.answer.send(outcome);
        }
    }
}

/// Why one transaction of a batch did not commit.
enum Failed {
    /// The save at this index failed and took the transaction with it: the others go again.
    One(usize, StoreError),
    /// The transaction could not begin or commit: every save of it fails.
    All(StoreError),
}

/// Saves `writes` in one transaction, each under its own savepoint; returns each one's
/// outcome, in order, after the COMMIT (see the module doc).
pub(super) fn commit(c: &mut Connection, writes: &[&Write]) -> Vec<Outcome> {
    let mut out: Vec<Option<Outcome>> = vec![None; writes.len()];
    loop {
        let pending: Vec<usize> = (0..writes.len()).filter(|&i| out[i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        match transaction(c, writes, &pending) {
            Ok(done) => {
                for (i, outcome) in done {
                    out[i] = Some(outcome);
                }
            }
            Err(Failed::One(i, e)) => out[i] = Some(Err(e)),
            Err(Failed::All(e)) => {
                for i in pending {
                    out[i] = Some(Err(e.clone()));
                }
            }
        }
    }
    out.into_iter().map(|o| o.unwrap_or_else(|| Err("a save was left out of its batch".into()))).collect()
}

/// One transaction over the saves `pending` (indices into `writes`).
fn transaction(c: &mut Connection, writes: &[&Write], pending: &[usize]) -> Result<Vec<(usize, Outcome)>, Failed> {
    let mut tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| Failed::All(sql(e)))?;
    let mut done = Vec::with_capacity(pending.len());
    for &i in pending {
        let outcome = savepoint(&mut tx, writes[i]);
        if outcome.is_err() && tx.is_autocommit() {
            // SQLite rolled the whole transaction back: the saves before this one are undone.
            return Err(Failed::One(i, outcome.err().unwrap_or_default()));
        }
        done.push((i, outcome));
    }
    tx.commit().map_err(|e| Failed::All(sql(e)))?;
    Ok(done)
}

/// One save under its own savepoint: on an error, only its statements are rolled back.
fn savepoint(tx: &mut rusqlite::Transaction<'_>, w: &Write) -> Outcome {
    let sp = tx.savepoint().map_err(sql)?;
    let saved = apply(&sp, w)?;
    sp.commit().map_err(sql)?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::super::{connect, migrate, SqliteStore};
    use super::*;
    use rusqlite::OptionalExtension;

    fn temp_db(name: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("cm-group-commit-{}-{nanos}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("ledger.sqlite")
    }

    /// A save of `account` at `rev` (`None`: new) appending journal entries `seqs`.
    fn write(account: &str, rev: Option<i64>, seqs: &[u64]) -> Write {
        Write::bare(account, rev, seqs)
    }

    fn rev(c: &Connection, account: &str) -> Option<i64> {
        c.query_row("SELECT rev FROM accounts WHERE id = ?1", [account], |r| r.get(0)).optional().expect("query")
    }

    fn entries(c: &Connection, account: &str) -> i64 {
        c.query_row("SELECT count(*) FROM entries WHERE account_id = ?1", [account], |r| r.get(0)).expect("query")
    }

    #[test]
    fn a_failing_save_is_rolled_back_alone_and_the_rest_of_its_batch_commits() {
        let path = temp_db("one-fails");
        let mut c = connect(&path).expect("open");
        migrate(&mut c).expect("migrate");
        let writes = [
            write("a", None, &[1]),
            // Creates its account row, then fails on its second entry (the same key twice).
            write("b", None, &[1, 1]),
            write("c", None, &[1, 2]),
            // Expects a revision the account does not have.
            write("d", Some(3), &[1]),
        ];
        let out = commit(&mut c, &writes.iter().collect::<Vec<_>>());
        assert_eq!(out[0], Ok(Saved::Committed));
        assert!(out[1].as_ref().is_err_and(|e| e.contains("UNIQUE")), "{:?}", out[1]);
        assert_eq!(out[2], Ok(Saved::Committed));
        assert_eq!(out[3], Ok(Saved::Conflict));
        // What another connection sees: the committed saves whole, nothing of the others.
        let other = connect(&path).expect("open");
        assert_eq!((rev(&other, "a"), entries(&other, "a")), (Some(1), 1));
        assert_eq!((rev(&other, "b"), entries(&other, "b")), (None, 0), "the failed save's account row was rolled back too");
        assert_eq!((rev(&other, "c"), entries(&other, "c")), (Some(1), 2));
        assert_eq!(rev(&other, "d"), None);
        // The writer connection is usable for the next batch.
        let next = commit(&mut c, &[&write("b", None, &[1])]);
        assert_eq!(next, vec![Ok(Saved::Committed)]);
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn concurrent_saves_are_on_disk_when_answered() {
        let path = temp_db("concurrent");
        let store = SqliteStore::open(&path, 2).expect("open");
        let (accounts, saves) = (16, 20);
        // Answered: another connection sees it already.
        crate::store::check_saves_visible_when_answered(&store, accounts, saves, &|account| {
            let other = connect(&path).expect("open");
            (rev(&other, account), entries(&other, account))
        });
        drop(store);
        let c = connect(&path).expect("reopen");
        for a in 0..accounts {
            assert_eq!((rev(&c, &format!("acct-{a}")), entries(&c, &format!("acct-{a}"))), (Some(saves), saves));
        }
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }
}
