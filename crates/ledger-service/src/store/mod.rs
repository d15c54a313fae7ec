//! Where the ledger keeps its accounts: one trait, two backends — SQLite (embedded, the
//! default: one file, nothing else to run) and PostgreSQL (many service processes on one
//! database).
//!
//! The state is stored, not replayed. Tables (see each backend's migrations):
//!
//! - `accounts`: one row per account with its current state as one JSON document
//!   (`record`), a revision number bumped by every write, and two figures for `/metrics`
//!   (open holds, total overdraft);
//! - `entries`: the append-only journal, `(account, seq)` → the entry;
//! - `results`: the result of every applied or refused mutation, `(account, device, seq)`,
//!   kept for the last `result_retention` seqs of each device so that a resent mutation
//!   is answered `duplicate` *with its original result*; older ones are deleted (a
//!   duplicate of those is still never applied twice: the device's cursor is in the
//!   account row — it is only answered without the original);
//! - the account's policy, apart from its record (written only when it changes): a
//!   column of `accounts` on SQLite, a row of `account_policies` on PostgreSQL (so that
//!   the update of the account row every push makes does not log it again);
//! - `closed_holds` and `fingerprints`: the account's history the ledger consults by id
//!   (closed holds, mutation fingerprints; see [`history`]), so that the record holds live
//!   state only;
//! - `schema_version`: the migrations applied.
//!
//! A write is optimistic: the service reads an account (no lock), runs the request on it,
//! then saves in one transaction that first checks the row still has the revision it
//! read — `BEGIN IMMEDIATE` on SQLite, a conditional `UPDATE` on PostgreSQL (which takes
//! the row lock). A mismatch (another process wrote the account meanwhile) is
//! [`Saved::Conflict`] and the service runs the request again on the new state. Inside
//! one process, requests on the same account are already serialised by `locks`, so
//! conflicts only happen between processes. Nothing is answered before the save commits.
//!
//! On PostgreSQL a push may skip the read: it runs on the process's copy of its own last
//! save of the account (`account_cache`), and the save checks what that assumed
//! ([`Assumed`]: the revision and save stamp of that save, no history row the request
//! names) in the same conditional `UPDATE` — a mismatch is a conflict like any other.

pub(crate) mod history;
pub(crate) mod postgres;
pub(crate) mod side;
pub(crate) mod sqlite;

/// A storage failure, as text for the operator (never sent to a client in full).
pub(crate) type StoreError = String;

/// An account row as read.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The revision it had (a save must find it unchanged).
    pub rev: i64,
    /// The record's JSON text (`record::from_json`).
    pub record: String,
    /// The account's policy as JSON, stored apart from the record (`None`: the record
    /// was written before that and holds it).
    pub policy: Option<String>,
}

/// One journal entry to append.
#[derive(Debug, Clone)]
pub(crate) struct JournalEntry {
    /// The entry's seq within its account.
    pub seq: u64,
    /// When it took effect (ms since the epoch).
    pub at: i64,
    /// The entry as JSON.
    pub json: String,
}

/// One mutation result to remember.
#[derive(Debug, Clone)]
pub(crate) struct StoredResult {
    /// The device.
    pub device_id: String,
    /// The mutation's seq.
    pub seq: u64,
    /// The `MutationResult` as JSON.
    pub json: String,
}

/// Everything one request changes on one account, saved in one transaction.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    /// The account.
    pub account_id: String,
    /// The revision read (`None`: the account is new; the save fails if it exists).
    pub expect_rev: Option<i64>,
    /// The new record text.
    pub record: String,
    /// The account's policy as JSON when it must be stored: a new account, a changed
    /// policy, or a record that held it (`record::policy_to_store`); `None`: the stored
    /// one stays.
    pub policy: Option<String>,
    /// Open holds in it (for `/metrics`).
    pub open_holds: u64,
    /// Its devices' outstanding overdraft, a decimal string (for `/metrics`).
    pub overdraft: String,
    /// New journal entries.
    pub entries: Vec<JournalEntry>,
    /// New mutation results.
    pub results: Vec<StoredResult>,
    /// Per device: results at or below this seq are deleted (retention).
    pub forget_below: Vec<(String, u64)>,
    /// The wall-clock time of the write.
    pub now: i64,
    /// Payment and email rows committed with the account (`side`).
    pub side: Vec<side::SideRow>,
    /// Closed holds and fingerprints taken out of the record (`history`).
    pub history: history::History,
    /// The save's stamp (`crate::stamp`), written into the account row.
    pub stamp: i64,
    /// What the request assumed when it ran on this process's copy of the account instead
    /// of a load (`account_cache`); `None`: it ran on a load.
    pub assumed: Option<Assumed>,
}

/// What a request run on this process's copy of its account (`account_cache`) assumed of
/// the database: the save commits only if all of it still holds, and is otherwise a
/// [`Saved::Conflict`] that writes nothing (the request then runs again from a load).
#[derive(Debug, Clone)]
pub(crate) struct Assumed {
    /// The account row still has the copy's save stamp (and, as every save checks,
    /// revision).
    pub stamp: i64,
    /// None of these history rows exists — a load would have read them into the record.
    pub absent: history::HistoryQuery,
}

#[cfg(test)]
impl Write {
    /// A bare save of `account` at `rev` (`None`: new) appending journal entries `seqs`
    /// whose record is `{"rev":n}`: what the group-commit tests of both stores queue.
    pub(crate) fn bare(account: &str, rev: Option<i64>, seqs: &[u64]) -> Write {
        Write {
            account_id: account.into(),
            expect_rev: rev,
            record: format!("{{\"rev\":{}}}", rev.unwrap_or(0) + 1),
            policy: None,
            open_holds: 0,
            overdraft: "0".into(),
            entries: seqs.iter().map(|&seq| JournalEntry { seq, at: 0, json: format!("{{\"seq\":{seq}}}") }).collect(),
            results: Vec::new(),
            forget_below: Vec::new(),
            now: 0,
            side: Vec::new(),
            history: Default::default(),
            stamp: crate::stamp::next(),
            assumed: None,
        }
    }
}

/// Saves `saves` revisions of each of `accounts` accounts through `store`, one thread per
/// account, and after each answer asks `seen(account)` — read over another connection —
/// for the account's (revision, journal entries): an answered save is already visible.
/// Both stores' group-commit tests run it.
#[cfg(test)]
pub(crate) fn check_saves_visible_when_answered(
    store: &dyn Store,
    accounts: usize,
    saves: i64,
    seen: &(dyn Fn(&str) -> (Option<i64>, i64) + Sync),
) {
    std::thread::scope(|s| {
        for a in 0..accounts {
            s.spawn(move || {
                let account = format!("acct-{a}");
                for n in 0..saves {
                    let expect = if n == 0 { None } else { Some(n) };
                    let seq = u64::try_from(n + 1).expect("a small seq");
                    assert_eq!(store.submit(Write::bare(&account, expect, &[seq])).wait(), Ok(Saved::Committed), "{account} save {n}");
                    assert_eq!(seen(&account), (Some(n + 1), n + 1), "{account} save {n}: answered, so visible");
                }
            });
        }
    });
}

/// How a save ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Committed.
    Committed,
    /// The row changed since it was read (or was created meanwhile): nothing written.
    Conflict,
}

/// A save handed to a store: already done, or queued for a writer thread that answers
/// once the save's transaction committed (or failed). A request waits for it without
/// holding a thread (`Service::run_with`).
#[derive(Debug)]
pub(crate) enum Pending {
    /// Saved (or failed) before `submit` returned.
    Done(Result<Saved, StoreError>),
    /// The writer's answer to come.
    Queued(tokio::sync::oneshot::Receiver<Result<Saved, StoreError>>),
}

impl Pending {
    /// Waits for the outcome on this (blocking) thread.
    #[cfg(test)]
    pub(crate) fn wait(self) -> Result<Saved, StoreError> {
        match self {
            Pending::Done(outcome) => outcome,
            Pending::Queued(answer) => answer.blocking_recv().map_err(|_| "the store's writer thread has stopped".to_string())?,
        }
    }

    /// Waits for the outcome without holding a thread.
    pub(crate) async fn done(self) -> Result<Saved, StoreError> {
        match self {
            Pending::Done(outcome) => outcome,
            Pending::Queued(answer) => answer.await.map_err(|_| "the store's writer thread has stopped".to_string())?,
        }
    }
}

/// Totals over all accounts, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Totals {
    /// Accounts.
    pub accounts: u64,
    /// Open holds.
    pub open_holds: u64,
    /// Outstanding overdraft (decimal string).
    pub overdraft: String,
}

/// A ledger store. Blocking: the service calls it from `spawn_blocking`.
pub(crate) trait Store: side::SideStore + history::HistoryStore + Send + Sync + 'static {
    /// The account's row, if it exists.
    fn load(&self, account_id: &str) -> Result<Option<Loaded>, StoreError>;
    /// The account's row and the history rows `query` names (see [`history`]).
    fn load_for(&self, account_id: &str, query: &history::HistoryQuery) -> Result<(Option<Loaded>, history::History), StoreError> {
        let loaded = self.load(account_id)?;
        let read = if loaded.is_some() && !query.is_empty() { self.history(account_id, query)? } else { history::History::default() };
        Ok((loaded, read))
    }
    /// The stored results of a device's seqs `from..=to`, in seq order (those kept).
    fn results(&self, account_id: &str, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, String)>, StoreError>;
    /// Saves one request's changes in one transaction (see the module doc): on a writer
    /// thread when the backend has one (returning at once), the outcome arriving through
    /// [`Pending`] after the commit.
    fn submit(&self, write: Write) -> Pending;
    /// The account's latest `limit` journal entries, oldest first, as JSON.
    fn entries(&self, account_id: &str, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Totals for `/metrics`.
    fn totals(&self) -> Result<Totals, StoreError>;
    /// Whether the database answers (for `/healthz`).
    fn ping(&self) -> Result<(), StoreError>;
    /// Whether saves carrying [`Write::assumed`] are checked (PostgreSQL: a request may then
    /// run on this process's copy of its account instead of a load). A store that does not
    /// check them answers such a save [`Saved::Conflict`] without writing.
    fn checks_assumptions(&self) -> bool {
        false
    }
    /// Called once the service has stopped serving: leaves the database complete in its
    /// main file where the backend keeps a journal beside it (SQLite: the WAL folded in and
    /// emptied), so that a copy of the file alone, made while the service is stopped, is
    /// the whole ledger.
    fn close(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Opens the store a `--database` URL names: `sqlite:PATH` or `postgres://…`.
pub(crate) fn open(url: &str, pool: usize) -> Result<Box<dyn Store>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        return Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(path), pool)?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PgStore::open(url, pool)?));
    }
    Err(format!("--database {url:?}: use sqlite:PATH or postgres://USER@HOST/DB"))
}
