//! The PostgreSQL backend (not built yet: see the report).

use super::{Loaded, Saved, Store, StoreError, Totals, Write};

/// A PostgreSQL store.
#[derive(Debug)]
pub struct PgStore;

impl PgStore {
    /// Connects.
    pub fn open(_url: &str, _pool: usize) -> Result<PgStore, StoreError> {
        Err("PostgreSQL is not supported by this build yet".into())
    }
}

impl Store for PgStore {
    fn load(&self, _: &str) -> Result<Option<Loaded>, StoreError> {
        Err("unsupported".into())
    }
    fn results(&self, _: &str, _: &str, _: u64, _: u64) -> Result<Vec<(u64, String)>, StoreError> {
        Err("unsupported".into())
    }
    fn save(&self, _: &Write) -> Result<Saved, StoreError> {
        Err("unsupported".into())
    }
    fn entries(&self, _: &str, _: u32) -> Result<Vec<String>, StoreError> {
        Err("unsupported".into())
    }
    fn totals(&self) -> Result<Totals, StoreError> {
        Err("unsupported".into())
    }
    fn ping(&self) -> Result<(), StoreError> {
        Err("unsupported".into())
    }
}
