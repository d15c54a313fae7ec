//! The PostgreSQL backend: several service processes share one database. A save is one
//! transaction whose first statement is the conditional `UPDATE … WHERE id = $1 AND
//! rev = $2` of the account row: it takes the row lock, and a process that lost the
//! race finds no row with its revision (nothing written; it runs the request again on
//! the new state). Migrations run under an advisory lock, so processes starting together
//! migrate once. Connections come from a small pool of blocking clients; a broken one is
//! replaced by a new one. The common save (an existing account, no payment or email rows)
//! is committed in groups by [`WRITERS`] writer threads with connections of their own: one
//! statement and one commit for all the saves waiting (`group_commit`).

use super::{Loaded, Saved, Store, StoreError, Totals, Write};
use credit_meter_protocol::money::Credits;
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, PoisonError};

mod group_commit;
mod history;
mod one_statement;
mod side;

/// The migrations, in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY,
  rev        BIGINT NOT NULL,
  record     TEXT NOT NULL,
  open_holds BIGINT NOT NULL,
  overdraft  TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE entries (
  account_id TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  at         BIGINT NOT NULL,
  entry      TEXT NOT NULL,
  PRIMARY KEY (account_id, seq)
);
CREATE TABLE results (
  account_id TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  result     TEXT NOT NULL,
  PRIMARY KEY (account_id, device_id, seq)
);
",
    super::side::MIGRATION,
    history::MIGRATION,
    // The account's policy apart from its record (`record::policy_json`; no row: the
    // record holds it), in a table of its own so that the update of the account row
    // every push makes does not log it again.
    "CREATE TABLE account_policies (account_id TEXT PRIMARY KEY, policy TEXT NOT NULL);",
    // The stamp of the save that wrote the row (`crate::stamp`; NULL: written before).
    "ALTER TABLE accounts ADD COLUMN stamp BIGINT;",
    super::side::SUBSCRIPTIONS_MIGRATION,
    super::side::REFUSED_PAYMENTS_MIGRATION,
];

/// Writer threads (each with its own connection, beside the pool) that commit saves in
/// groups: several, so that some run their statement while others wait for their commit
/// (with 8 devices, 2 writers made pushes slower than one statement per save; 4 did not).
const WRITERS: usize = 4;

/// How long a connection that failed a request has to answer an empty query to be kept.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// An arbitrary constant: the advisory lock migrations hold.
const MIGRATION_LOCK: i64 = 0x6372_6564_6974;

/// A PostgreSQL store.
pub(crate) struct PgStore {
    /// Where to open connections (a broken one is replaced by a new one).
    url: String,
    /// Most connections open at once.
    size: usize,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// The common saves, committed in groups.
    batches: group_commit::GroupCommit,
}

/// The pool's connections: those not in use, and how many are open in all.
struct Pool {
    idle: Vec<Pooled>,
    open: usize,
    /// Set by `close`: a connection handed back is closed, not kept.
    closed: bool,
}

/// A pooled connection and the statements prepared on it (the per-push ones: parsed and
/// planned once per connection, one round trip each call instead of two).
struct Pooled {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

fn pg(e: postgres::Error) -> StoreError {
    format!("postgres: {e}")
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Opens a connection for the store. Its prepared statements are planned once, for any
/// arguments (`plan_cache_mode = force_generic_plan`): left to choose, PostgreSQL planned
/// the load of an account and its history again on every call (~0.18 ms of the backend's
/// CPU per push), because the generic plan's guess of ten ids per array costs more than a
/// plan for the one or two a push names — yet it is the same plan, one key probe per id
/// (`history::LOAD_FOR`).
fn connect(url: &str) -> Result<Client, StoreError> {
    let mut c = Client::connect(url, NoTls).map_err(pg)?;
    c.batch_execute("SET plan_cache_mode = force_generic_plan").map_err(pg)?;
    Ok(c)
}

/// A fresh database on `CREDIT_METER_TEST_POSTGRES_URL` (`None`: unset, not tested here).
#[cfg(test)]
pub(crate) fn test_database(name: &str) -> Option<String> {
    let url = std::env::var("CREDIT_METER_TEST_POSTGRES_URL").ok()?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let db = format!("cm_{name}_{}_{nanos}", std::process::id());
    Client::connect(&url, NoTls).expect("connect").batch_execute(&format!("CREATE DATABASE {db}")).expect("create");
    Some(format!("{}/{db}", url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b)))
}

fn migrate(c: &mut Client) -> Result<(), StoreError> {
    let mut tx = c.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").map_err(pg)?;
    let done: Option<i64> = tx.query_one("SELECT max(version) FROM schema_version", &[]).map_err(pg)?.get(0);
    let done = usize::try_from(done.unwrap_or(0)).map_err(|_| "schema_version is negative".to_string())?;
    if done > MIGRATIONS.len() {
        return Err(format!("the database has schema version {done}; this build knows {}", MIGRATIONS.len()));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(step).map_err(pg)?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&(i as i64 + 1)]).map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

impl PgStore {
    /// Connects `pool` clients to `url` and migrates.
    pub(crate) fn open(url: &str, pool: usize) -> Result<PgStore, StoreError> {
        let mut first = connect(url)?;
        migrate(&mut first)?;
        let size = pool.max(1);
        let mut idle = vec![Pooled { client: first, prepared: HashMap::new() }];
        for _ in 1..size {
            idle.push(Pooled { client: connect(url)?, prepared: HashMap::new() });
        }
        let batches = group_commit::GroupCommit::start(url, WRITERS)?;
        let pool = Mutex::new(Pool { open: idle.len(), idle, closed: false });
        Ok(PgStore { url: url.to_string(), size, pool, freed: Condvar::new(), batches })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.checkout(|p| f(&mut p.client))
    }

    /// Runs `f` with `sql` prepared on a pooled connection (prepared on its first use there).
    fn with_prepared<T>(
        &self,
        sql: &'static str,
        f: impl FnOnce(&mut Client, &Statement) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.checkout(|p| {
            let statement = match p.prepared.get(sql) {
                Some(s) => s.clone(),
                None => {
                    let s = p.client.prepare(sql).map_err(pg)?;
                    p.prepared.insert(sql, s.clone());
                    s
                }
            };
            f(&mut p.client, &statement)
        })
    }

    /// Runs `f` on an idle connection; when none is idle and fewer than `size` are open
    /// (a broken one was dropped), on a new one; otherwise waits for one. A connection
    /// found broken after `f` is dropped, not put back, so a database restart or a killed
    /// backend costs the requests that were using it, never the pool's capacity.
    fn checkout<T>(&self, f: impl FnOnce(&mut Pooled) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut c = {
            let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(c) = pool.idle.pop() {
                    break c;
                }
                if pool.open < self.size {
                    pool.open += 1;
                    drop(pool);
                    match connect(&self.url) {
                        Ok(client) => break Pooled { client, prepared: HashMap::new() },
                        Err(e) => {
                            self.pool.lock().unwrap_or_else(PoisonError::into_inner).open -= 1;
                            self.freed.notify_one();
                            return Err(e);
                        }
                    }
                }
                pool = self.freed.wait(pool).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let out = f(&mut c);
        // A connection that failed a request goes back only if it still answers: the
        // client may learn that the server ended it only after the request's error.
        let broken = c.client.is_closed() || (out.is_err() && c.client.is_valid(CHECK_TIMEOUT).is_err());
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        // One broken, or handed back after `close`, is closed (dropped) here, on the
        // blocking thread the store runs on, once the pool's lock is released.
        let dropped = if broken || pool.closed {
            pool.open -= 1;
            Some(c)
        } else {
            pool.idle.push(c);
            None
        };
        drop(pool);
        drop(dropped);
        self.freed.notify_one();
        out
    }
}

impl PgStore {
    /// A save in a transaction of its own on a pooled connection: a new account's, or one
    /// with payment or email rows.
    fn save_here(&self, w: &Write) -> Result<Saved, StoreError> {
        // Assumptions are checked by the statements of the common save only: the service
        // runs a request on its copy of an account only when its save is one of those.
        if w.assumed.is_some() {
            return Ok(Saved::Conflict);
        }
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg)?;
            let open = int(w.open_holds);
            let n = match w.expect_rev {
                None => tx
                    .execute(
                        "INSERT INTO accounts (id, rev, record, open_holds, overdraft, updated_at, stamp) VALUES ($1, 1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                        &[&w.account_id, &w.record, &open, &w.overdraft, &w.now, &w.stamp],
                    )
                    .map_err(pg)?,
                Some(rev) => tx
                    .execute(
                        "UPDATE accounts SET rev = rev + 1, record = $3, open_holds = $4, overdraft = $5, updated_at = $6, stamp = $7 WHERE id = $1 AND rev = $2",
                        &[&w.account_id, &rev, &w.record, &open, &w.overdraft, &w.now, &w.stamp],
                    )
                    .map_err(pg)?,
            };
            if n != 1 {
                tx.rollback().map_err(pg)?;
                return Ok(Saved::Conflict);
            }
            if let Some(policy) = &w.policy {
                tx.execute(
                    "INSERT INTO account_policies (account_id, policy) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET policy = EXCLUDED.policy",
                    &[&w.account_id, policy],
                )
                .map_err(pg)?;
            }
            if !w.entries.is_empty() {
                let seqs: Vec<i64> = w.entries.iter().map(|e| int(e.seq)).collect();
                let ats: Vec<i64> = w.entries.iter().map(|e| e.at).collect();
                let jsons: Vec<&str> = w.entries.iter().map(|e| e.json.as_str()).collect();
                tx.execute("INSERT INTO entries (account_id, seq, at, entry) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[])", &[&w.account_id, &seqs, &ats, &jsons])
                    .map_err(pg)?;
            }
            if !w.results.is_empty() {
                let devices: Vec<&str> = w.results.iter().map(|r| r.device_id.as_str()).collect();
                let seqs: Vec<i64> = w.results.iter().map(|r| int(r.seq)).collect();
                let jsons: Vec<&str> = w.results.iter().map(|r| r.json.as_str()).collect();
                tx.execute(
                    "INSERT INTO results (account_id, device_id, seq, result) SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[]) \
                     ON CONFLICT (account_id, device_id, seq) DO UPDATE SET result = EXCLUDED.result",
                    &[&w.account_id, &devices, &seqs, &jsons],
                )
                .map_err(pg)?;
            }
            for (device, below) in &w.forget_below {
                tx.execute("DELETE FROM results WHERE account_id = $1 AND device_id = $2 AND seq <= $3", &[&w.account_id, device, &int(*below)]).map_err(pg)?;
            }
            history::insert(&mut tx, &w.account_id, &w.history)?;
            side::insert(&mut tx, &w.side)?;
            tx.commit().map_err(pg)?;
            Ok(Saved::Committed)
        })
    }
}

impl Store for PgStore {
    /// Closes the idle connections now, on the blocking thread the service calls this on,
    /// and any handed back later as it comes back. A `postgres::Client` blocks on its own
    /// runtime when dropped: left in the pool, the connections were dropped by the last
    /// holder of the store, a task the tokio runtime dropped at shutdown on one of its
    /// threads, where blocking panics — every SIGTERM ended in an abort (exit 134).
    fn close(&self) -> Result<(), StoreError> {
        let idle = {
            let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            pool.closed = true;
            pool.open -= pool.idle.len();
            std::mem::take(&mut pool.idle)
        };
        drop(idle);
        Ok(())
    }

    fn load(&self, account_id: &str) -> Result<Option<Loaded>, StoreError> {
        self.with(|c| {
            let row = c
                .query_opt(
                    "SELECT rev, record, (SELECT policy FROM account_policies WHERE account_id = $1) FROM accounts WHERE id = $1",
                    &[&account_id],
                )
                .map_err(pg)?;
            Ok(row.map(|r| Loaded { rev: r.get(0), record: r.get(1), policy: r.get(2) }))
        })
    }

    fn load_for(
        &self,
        account_id: &str,
        query: &super::history::HistoryQuery,
    ) -> Result<(Option<Loaded>, super::history::History), StoreError> {
        history::load_for(self, account_id, query)
    }

    fn results(&self, account_id: &str, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT seq, result FROM results WHERE account_id = $1 AND device_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq",
                    &[&account_id, &device_id, &int(from), &int(to)],
                )
                .map_err(pg)?;
            Ok(rows.iter().map(|r| (u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), r.get(1))).collect())
        })
    }

    fn submit(&self, w: Write) -> super::Pending {
        if let (Some(rev), true) = (w.expect_rev, w.side.is_empty()) {
            return self.batches.submit(w, rev);
        }
        super::Pending::Done(self.save_here(&w))
    }
    fn entries(&self, account_id: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let rows = c
                .query("SELECT entry FROM entries WHERE account_id = $1 ORDER BY seq DESC LIMIT $2", &[&account_id, &i64::from(limit)])
                .map_err(pg)?;
            let mut out: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            out.reverse();
            Ok(out)
        })
    }

    fn totals(&self) -> Result<Totals, StoreError> {
        self.with(|c| {
            let row = c.query_one("SELECT count(*), coalesce(sum(open_holds), 0)::bigint FROM accounts", &[]).map_err(pg)?;
            let (accounts, open): (i64, i64) = (row.get(0), row.get(1));
            // Money is summed as decimals in Rust, never as SQL floats.
            let mut total = Credits::ZERO;
            for r in c.query("SELECT overdraft FROM accounts WHERE overdraft <> '0'", &[]).map_err(pg)? {
                if let Ok(x) = Credits::parse(r.get::<_, &str>(0)) {
                    total = total.checked_add(x).unwrap_or(total);
                }
            }
            Ok(Totals {
                accounts: u64::try_from(accounts).unwrap_or(0),
                open_holds: u64::try_from(open).unwrap_or(0),
                overdraft: total.to_plain_string(),
            })
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| c.query_one("SELECT 1", &[]).map(|_| ()).map_err(pg))
    }

    fn checks_assumptions(&self) -> bool {
        true
    }
}
