//! The SQLite backend: one file in WAL mode with `synchronous=FULL` (a commit is on disk
//! before it returns), a small pool of connections for reads (they run beside the
//! writer), and one writer connection. Account saves reach it through one writer thread
//! that commits them in batches (`group_commit`: one `BEGIN IMMEDIATE` … COMMIT, so one
//! fsync, for all the saves waiting; each save answered only after its batch committed)
//! — SQLite has one writer at a time anyway, and an in-process queue is prompt where
//! SQLite's busy handler sleeps and retries (that alone made p99 several hundred ms at
//! 8 devices). `BEGIN IMMEDIATE` makes another process on the same file wait its turn.
//! Versioned migrations run on open.

use super::{Loaded, Saved, Store, StoreError, Totals, Write};
use credit_meter_protocol::money::Credits;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

mod group_commit;
mod history;
mod side;

/// The migrations, in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY,
  rev        INTEGER NOT NULL,
  record     TEXT NOT NULL,
  open_holds INTEGER NOT NULL,
  overdraft  TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE entries (
  account_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  entry      TEXT NOT NULL,
  PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;
CREATE TABLE results (
  account_id TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  result     TEXT NOT NULL,
  PRIMARY KEY (account_id, device_id, seq)
) WITHOUT ROWID;
",
    super::side::MIGRATION,
    history::MIGRATION,
    // The account's policy apart from its record (`record::policy_json`; NULL: the
    // record holds it).
    "ALTER TABLE accounts ADD COLUMN policy TEXT;",
    super::side::SUBSCRIPTIONS_MIGRATION,
    super::side::REFUSED_PAYMENTS_MIGRATION,
];

/// A SQLite store.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    idle: Mutex<Vec<Connection>>,
    freed: Condvar,
    /// The one connection that writes: the group-commit thread's between batches, and the
    /// side writes' (`side`) in between.
    writer: Arc<Mutex<Connection>>,
    /// Account saves, committed in batches by one writer thread.
    batches: group_commit::GroupCommit,
}

fn sql(e: rusqlite::Error) -> StoreError {
    format!("sqlite: {e}")
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(sql)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
    Ok(conn)
}

/// Runs the migrations not yet applied, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").map_err(sql)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let done: Option<i64> = tx.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0)).optional().map_err(sql)?.flatten();
    let done = usize::try_from(done.unwrap_or(0)).map_err(|_| "schema_version is negative".to_string())?;
    if done > MIGRATIONS.len() {
        return Err(format!("the database has schema version {done}; this build knows {}", MIGRATIONS.len()));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.execute_batch(step).map_err(sql)?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [i as i64 + 1]).map_err(sql)?;
    }
    tx.commit().map_err(sql)
}

impl SqliteStore {
    /// Opens (or creates) the file, migrates it and opens `pool` connections.
    pub(crate) fn open(path: &Path, pool: usize) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        // A new file is made readable by the service only (SQLite gives its -wal and -shm
        // files the same mode): it holds every account.
        if !path.exists() {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            opts.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        }
        let mut first = connect(path)?;
        migrate(&mut first)?;
        let mut idle = Vec::new();
        for _ in 0..pool.max(1) {
            idle.push(connect(path)?);
        }
        let writer = Arc::new(Mutex::new(first));
        let batches = group_commit::GroupCommit::start(Arc::clone(&writer))?;
        Ok(SqliteStore { idle: Mutex::new(idle), freed: Condvar::new(), writer, batches })
    }

    /// Runs `f` on a pooled connection (waits for one when all are busy).
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self.freed.wait(idle).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let out = f(&mut conn);
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        self.freed.notify_one();
        out
    }
}

impl Store for SqliteStore {
    fn load(&self, account_id: &str) -> Result<Option<Loaded>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT rev, record, policy FROM accounts WHERE id = ?1", [account_id], |r| {
                Ok(Loaded { rev: r.get(0)?, record: r.get(1)?, policy: r.get(2)? })
            })
            .optional()
            .map_err(sql)
        })
    }

    fn load_for(
        &self,
        account_id: &str,
        query: &super::history::HistoryQuery,
    ) -> Result<(Option<Loaded>, super::history::History), StoreError> {
        self.with(|c| {
            let loaded = c
                .prepare_cached("SELECT rev, record, policy FROM accounts WHERE id = ?1")
                .map_err(sql)?
                .query_row([account_id], |r| Ok(Loaded { rev: r.get(0)?, record: r.get(1)?, policy: r.get(2)? }))
                .optional()
                .map_err(sql)?;
            let read = if loaded.is_some() && !query.is_empty() { history::read(c, account_id, query)? } else { Default::default() };
            Ok((loaded, read))
        })
    }

    fn results(&self, account_id: &str, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, String)>, StoreError> {
        let (from, to) = (i64::try_from(from).unwrap_or(i64::MAX), i64::try_from(to).unwrap_or(i64::MAX));
        self.with(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, result FROM results WHERE account_id = ?1 AND device_id = ?2 AND seq BETWEEN ?3 AND ?4 ORDER BY seq",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(params![account_id, device_id, from, to], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(sql)?;
            rows.map(|r| r.map(|(s, j)| (u64::try_from(s).unwrap_or(0), j)).map_err(sql)).collect()
        })
    }

    fn submit(&self, w: Write) -> super::Pending {
        // Assumptions are not checked here (`Store::checks_assumptions`).
        if w.assumed.is_some() {
            return super::Pending::Done(Ok(super::Saved::Conflict));
        }
        self.batches.submit(w)
    }

    fn entries(&self, account_id: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT entry FROM entries WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2").map_err(sql)?;
            let rows = stmt.query_map(params![account_id, limit], |r| r.get::<_, String>(0)).map_err(sql)?;
            let mut out: Vec<String> = rows.collect::<Result<_, _>>().map_err(sql)?;
            out.reverse();
            Ok(out)
        })
    }

    fn totals(&self) -> Result<Totals, StoreError> {
        self.with(|c| {
            let (accounts, open): (i64, Option<i64>) =
                c.query_row("SELECT count(*), sum(open_holds) FROM accounts", [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql)?;
            // Money is summed as decimals in Rust, never as SQL floats.
            let mut stmt = c.prepare_cached("SELECT overdraft FROM accounts WHERE overdraft <> '0'").map_err(sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql)?;
            let mut total = Credits::ZERO;
            for row in rows {
                let text = row.map_err(sql)?;
                if let Ok(c) = Credits::parse(&text) {
                    total = total.checked_add(c).unwrap_or(total);
                }
            }
            Ok(Totals {
                accounts: u64::try_from(accounts).unwrap_or(0),
                open_holds: u64::try_from(open.unwrap_or(0)).unwrap_or(0),
                overdraft: total.to_plain_string(),
            })
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(sql))
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: every committed page into the main file, the
    /// `-wal` emptied.
    fn close(&self) -> Result<(), StoreError> {
        let busy = self.with(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)).map_err(sql))?;
        if busy == 0 {
            Ok(())
        } else {
            Err("the WAL checkpoint was blocked by another connection".to_string())
        }
    }
}

/// One save's statements, inside the caller's transaction (a savepoint of a group commit:
/// `group_commit`): checks the account still has the revision the request read, then
/// writes the row and appends what the request added. `Conflict` writes nothing. Every
/// statement is prepared once per connection (`prepare_cached`).
fn apply(c: &Connection, w: &Write) -> Result<Saved, StoreError> {
    let rev: Option<i64> = c
        .prepare_cached("SELECT rev FROM accounts WHERE id = ?1")
        .map_err(sql)?
        .query_row([&w.account_id], |r| r.get(0))
        .optional()
        .map_err(sql)?;
    if rev != w.expect_rev {
        return Ok(Saved::Conflict);
    }
    let open = i64::try_from(w.open_holds).unwrap_or(i64::MAX);
    match w.expect_rev {
        None => c
            .prepare_cached("INSERT INTO accounts (id, rev, record, open_holds, overdraft, updated_at, policy) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(sql)?
            .execute(params![w.account_id, w.record, open, w.overdraft, w.now, w.policy])
            .map_err(sql)?,
        Some(r) => c
            .prepare_cached(
                "UPDATE accounts SET rev = ?2, record = ?3, open_holds = ?4, overdraft = ?5, updated_at = ?6, policy = coalesce(?7, policy) WHERE id = ?1",
            )
            .map_err(sql)?
            .execute(params![w.account_id, r + 1, w.record, open, w.overdraft, w.now, w.policy])
            .map_err(sql)?,
    };
    let mut entry = c.prepare_cached("INSERT INTO entries (account_id, seq, at, entry) VALUES (?1, ?2, ?3, ?4)").map_err(sql)?;
    for e in &w.entries {
        entry.execute(params![w.account_id, i64::try_from(e.seq).unwrap_or(i64::MAX), e.at, e.json]).map_err(sql)?;
    }
    let mut result =
        c.prepare_cached("INSERT OR REPLACE INTO results (account_id, device_id, seq, result) VALUES (?1, ?2, ?3, ?4)").map_err(sql)?;
    for r in &w.results {
        result.execute(params![w.account_id, r.device_id, i64::try_from(r.seq).unwrap_or(i64::MAX), r.json]).map_err(sql)?;
    }
    let mut forget = c.prepare_cached("DELETE FROM results WHERE account_id = ?1 AND device_id = ?2 AND seq <= ?3").map_err(sql)?;
    for (device, below) in &w.forget_below {
        forget.execute(params![w.account_id, device, i64::try_from(*below).unwrap_or(i64::MAX)]).map_err(sql)?;
    }
    history::insert(c, &w.account_id, &w.history)?;
    side::insert(c, &w.side)?;
    Ok(Saved::Committed)
}
