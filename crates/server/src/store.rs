//! The SQLite file behind the server: the signing key, and an append-only log of every
//! request the ledger applied (kind, body, the `now` it ran at, the response sent).
//!
//! The reference ledger is deterministic — the same requests at the same `now`s give the
//! same state and the same response bytes — so the log *is* the state: on start it is
//! replayed into a fresh [`RefLedger`]. A request's row is committed before its response
//! leaves the process, so nothing a client was told is ever lost, and a duplicate sent
//! after a restart meets the same device seqs as before.
//!
//! Tables: `meta` (schema version, creation time), `keys` (the Ed25519 seed per key id;
//! the private key — keep the file private), `requests` (the log).

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::snapshot::SnapshotSigner;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The schema version this binary writes and reads.
const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
  kid        TEXT PRIMARY KEY,
  seed       BLOB NOT NULL CHECK (length(seed) = 32),
  public_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS requests (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  kind     TEXT NOT NULL CHECK (kind IN ('push', 'pull', 'admin', 'advance')),
  body     TEXT NOT NULL,
  now      INTEGER NOT NULL,
  response TEXT NOT NULL
);
";

/// What a logged request did to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `RefLedger::handle_push`.
    Push,
    /// `RefLedger::handle_pull`.
    Pull,
    /// `RefLedger::handle_admin`.
    Admin,
    /// `RefLedger::advance` (no body, no response).
    Advance,
}

impl Kind {
    /// The name stored in the `kind` column.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Push => "push",
            Kind::Pull => "pull",
            Kind::Admin => "admin",
            Kind::Advance => "advance",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        [Kind::Push, Kind::Pull, Kind::Admin, Kind::Advance].into_iter().find(|k| k.name() == name)
    }

    /// Runs this request on the ledger at `now` and returns the response body.
    pub(crate) fn apply(self, ledger: &mut RefLedger, body: &str, now: i64) -> String {
        match self {
            Kind::Push => ledger.handle_push(body, now),
            Kind::Pull => ledger.handle_pull(body, now),
            Kind::Admin => ledger.handle_admin(body, now),
            Kind::Advance => {
                ledger.advance(now);
                String::new()
            }
        }
    }
}

/// One applied request, as logged.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    /// What it was.
    pub kind: Kind,
    /// The request body.
    pub body: String,
    /// The time it ran at (ms since the epoch).
    pub now: i64,
    /// The response sent.
    pub response: String,
}

/// A signing key as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredKey {
    /// The key id.
    pub kid: String,
    /// The 32-byte Ed25519 seed.
    pub seed: [u8; 32],
}

impl StoredKey {
    /// The signer for this key.
    pub(crate) fn signer(&self) -> SnapshotSigner {
        SnapshotSigner::from_seed(&self.kid, &self.seed)
    }
}

/// The ledger rebuilt from the file.
#[derive(Debug)]
pub(crate) struct Restored {
    /// The ledger, as it was after the last logged request.
    pub ledger: RefLedger,
    /// Requests replayed.
    pub replayed: u64,
    /// Replayed requests whose response differs from the one logged (0 unless the
    /// ledger's code changed since they were written).
    pub mismatches: u64,
    /// The latest `now` in the log (the server never runs a request earlier than this).
    pub last_now: i64,
}

/// An open ledger file.
#[derive(Debug)]
pub(crate) struct Store {
    conn: Connection,
}

/// A storage failure, as text for the operator.
pub(crate) type StoreError = String;

fn sql(e: rusqlite::Error) -> StoreError {
    format!("sqlite: {e}")
}

impl Store {
    /// Opens (or creates) the file and its tables. Commits are durable (WAL,
    /// `synchronous=FULL`): a row is on disk when [`Store::append`] returns.
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let conn = Connection::open(path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        let version: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).optional().map_err(sql)?;
        match version.as_deref() {
            None => {
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?1)", [SCHEMA_VERSION]).map_err(sql)?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(other) => return Err(format!("{} has schema version {other}; this server reads {SCHEMA_VERSION}", path.display())),
        }
        Ok(Store { conn })
    }

    /// The active signing key, if the file has one (none: a first run).
    pub(crate) fn active_key(&self) -> Result<Option<StoredKey>, StoreError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row("SELECT kid, seed FROM keys WHERE active = 1 ORDER BY created_at DESC, kid LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sql)?;
        let Some((kid, seed)) = row else { return Ok(None) };
        let seed: [u8; 32] = seed.try_into().map_err(|_| format!("key {kid:?}: the seed is not 32 bytes"))?;
        Ok(Some(StoredKey { kid, seed }))
    }

    /// Stores a first run in one transaction: the new key and the requests that set up
    /// the demo accounts. Either all of it is in the file afterwards or none.
    pub(crate) fn first_run(&mut self, key: &StoredKey, now: i64, setup: &[Logged]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(sql)?;
        let public = key.signer().public_key_base64url();
        tx.execute("INSERT INTO keys (kid, seed, public_key, created_at, active) VALUES (?1, ?2, ?3, ?4, 1)", params![key.kid, &key.seed[..], public, now])
            .map_err(sql)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('createdAt', ?1)", [now.to_string()]).map_err(sql)?;
        for l in setup {
            insert(&tx, l)?;
        }
        tx.commit().map_err(sql)
    }

    /// Appends one applied request; durable when this returns `Ok`.
    pub(crate) fn append(&self, logged: &Logged) -> Result<(), StoreError> {
        insert(&self.conn, logged)
    }

    /// Replays the log into a new ledger signing with `key`.
    pub(crate) fn restore(&self, key: &StoredKey) -> Result<Restored, StoreError> {
        let mut ledger = RefLedger::new(key.signer(), LedgerConfig::default());
        let mut stmt = self.conn.prepare("SELECT id, kind, body, now, response FROM requests ORDER BY id").map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        let (mut replayed, mut mismatches, mut last_now) = (0u64, 0u64, i64::MIN);
        while let Some(row) = rows.next().map_err(sql)? {
            let id: i64 = row.get(0).map_err(sql)?;
            let kind: String = row.get(1).map_err(sql)?;
            let kind = Kind::parse(&kind).ok_or_else(|| format!("request {id}: unknown kind {kind:?}"))?;
            let body: String = row.get(2).map_err(sql)?;
            let now: i64 = row.get(3).map_err(sql)?;
            let logged: String = row.get(4).map_err(sql)?;
            if kind.apply(&mut ledger, &body, now) != logged {
                mismatches += 1;
            }
            replayed += 1;
            last_now = last_now.max(now);
        }
        Ok(Restored { ledger, replayed, mismatches, last_now })
    }
}

fn insert(conn: &Connection, l: &Logged) -> Result<(), StoreError> {
    conn.execute("INSERT INTO requests (kind, body, now, response) VALUES (?1, ?2, ?3, ?4)", params![l.kind.name(), l.body, l.now, l.response])
        .map(|_| ())
        .map_err(sql)
}
