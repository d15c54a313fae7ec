//! The server's ledger and its file together: every request that reaches the ledger runs
//! at the wall clock (never earlier than the last one) and is committed to the file
//! before its response is handed back.

use crate::setup;
use crate::store::{Kind, Logged, Store, StoreError};
use credit_meter_ledger_core::reference::RefLedger;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The ledger backed by its SQLite file.
#[derive(Debug)]
pub(crate) struct App {
    ledger: RefLedger,
    store: Store,
    last_now: i64,
}

/// Milliseconds since the Unix epoch by the wall clock.
pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

impl App {
    /// Opens the file: sets up the key and the demo accounts when it has no key yet,
    /// otherwise replays its log. Reports what it did on stderr.
    pub(crate) fn open(path: &Path) -> Result<App, StoreError> {
        let started = Instant::now();
        let mut store = Store::open(path)?;
        let now = wall_clock_ms();
        let (ledger, last_now) = match store.active_key()? {
            None => {
                let ledger = setup::first_run(&mut store, now)?;
                eprintln!(
                    "credit-meter ledger: new file {}: signing key {:?}, demo accounts {:?} and {:?}",
                    path.display(),
                    ledger.signer().kid(),
                    setup::DEMO_ACCOUNT,
                    setup::DEMO_AGENT_ACCOUNT
                );
                (ledger, now)
            }
            Some(key) => {
                let restored = store.restore(&key)?;
                eprintln!(
                    "credit-meter ledger: {}: replayed {} requests in {} ms (signing key {:?})",
                    path.display(),
                    restored.replayed,
                    started.elapsed().as_millis(),
                    key.kid
                );
                if restored.mismatches > 0 {
                    eprintln!(
                        "credit-meter ledger: warning: {} replayed responses differ from the logged ones (written by another version?)",
                        restored.mismatches
                    );
                }
                (restored.ledger, restored.last_now)
            }
        };
        Ok(App { ledger, store, last_now })
    }

    /// The ledger (read only: changes go through [`App::run`]).
    pub(crate) fn ledger(&self) -> &RefLedger {
        &self.ledger
    }

    /// The time a request runs at now: the wall clock, never before the last request.
    pub(crate) fn now(&self) -> i64 {
        wall_clock_ms().max(self.last_now)
    }

    /// Runs a request on the ledger and commits it to the file; returns the response only
    /// once it is durable. If the file refuses the row, the ledger is rebuilt from the
    /// file (so memory never holds what the file does not) and the error is returned;
    /// if even that fails the process exits rather than serve a ledger it cannot persist.
    pub(crate) fn run(&mut self, kind: Kind, body: String) -> Result<String, StoreError> {
        let now = self.now();
        let response = kind.apply(&mut self.ledger, &body, now);
        let logged = Logged { kind, body, now, response };
        if let Err(e) = self.store.append(&logged) {
            match self.store.active_key().and_then(|k| k.ok_or_else(|| "the key is gone".to_string())).and_then(|k| self.store.restore(&k)) {
                Ok(restored) => self.ledger = restored.ledger,
                Err(fatal) => {
                    eprintln!("credit-meter ledger: cannot persist ({e}) nor reload ({fatal}): exiting");
                    std::process::exit(1);
                }
            }
            return Err(e);
        }
        self.last_now = now;
        Ok(logged.response)
    }
}
