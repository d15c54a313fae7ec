//! The reference ledger (feature `ledger`): many accounts and devices under the ledger
//! model's policies; it applies each device's mutations exactly once and answers with
//! signed snapshots. Deterministic — time is passed in — and string-based
//! ([`RefLedger::handle_push`], [`RefLedger::handle_pull`], [`RefLedger::handle_admin`]),
//! so tests, the simulation, an HTTP server and JavaScript can all drive it.
//!
//! The rules (also in `docs/PROTOCOL.md`):
//!
//! - mutations of a device are applied in seq order, each once: a seq at or below the
//!   last applied is a **duplicate** (answered with the original result while it is
//!   remembered), the next seq is applied — or **refused** for good, which still
//!   advances the seq — and a seq beyond the next is a **gap**: refused without
//!   advancing, like everything after it in the batch;
//! - holds expire at their `expiresAt` (the policy's hold TTL after the reserve was
//!   applied), whoever placed them;
//! - usage the balance cannot cover is recorded as the device's **overdraft**, at most
//!   its offline limit (beyond it only by the amount of a hold that expired before its
//!   commit arrived); overdraft is settled from the next credits available.

pub mod admin;
pub mod apply;
pub mod device;
pub mod fingerprint;
pub mod handle;
pub mod proxy;
pub mod strict;
pub mod units;

pub use device::Device;

use crate::model::{Account, LedgerError, Policy};
use crate::money::Credits;
use crate::snapshot::SnapshotSigner;
use std::collections::{BTreeMap, HashMap};

/// The ledger's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerConfig {
    /// How long a snapshot stays fresh (ms).
    pub snapshot_ttl_ms: i64,
    /// A device's offline limit unless set per device.
    pub offline_limit: Credits,
    /// The most outstanding overdraft an account may carry over all its devices, vouched
    /// credits included (PROTOCOL §6.5): what no number of device ids or expired holds can
    /// exceed. Usage beyond it is recorded as unpaid.
    pub account_overdraft_limit: Credits,
    /// Most mutations accepted in one push.
    pub max_batch: usize,
    /// Results remembered per device to answer duplicates.
    pub result_history: usize,
}

impl Default for LedgerConfig {
    /// Snapshots fresh for 5 minutes, an offline limit of 50 credits per device and 200
    /// per account, 10,000 mutations per push, 100,000 results remembered per device.
    fn default() -> Self {
        LedgerConfig {
            snapshot_ttl_ms: 5 * 60_000,
            offline_limit: Credits::from_u64(50).unwrap_or_default(),
            account_overdraft_limit: Credits::from_u64(200).unwrap_or_default(),
            max_batch: 10_000,
            result_history: 100_000,
        }
    }
}

/// One account and its devices.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The credit account.
    pub account: Account,
    /// The snapshot version: bumped by every change.
    pub version: u64,
    /// Devices by id.
    pub devices: BTreeMap<String, Device>,
    /// Which device placed each hold.
    pub hold_owner: HashMap<String, String>,
    /// Holds that paid for a call through the ledger's AI proxy, by hold id (see [`proxy`]).
    pub proxied: BTreeMap<String, proxy::Proxied>,
}

/// The reference ledger.
#[derive(Debug)]
pub struct RefLedger {
    signer: SnapshotSigner,
    cfg: LedgerConfig,
    accounts: BTreeMap<String, AccountRecord>,
}

impl RefLedger {
    /// A ledger signing with `signer`.
    pub fn new(signer: SnapshotSigner, cfg: LedgerConfig) -> RefLedger {
        RefLedger { signer, cfg, accounts: BTreeMap::new() }
    }

    /// The settings.
    pub fn config(&self) -> &LedgerConfig {
        &self.cfg
    }

    /// The signer (its key id and public key are what clients are given).
    pub fn signer(&self) -> &SnapshotSigner {
        &self.signer
    }

    /// Replaces the signing key (key rotation: a new key id).
    pub fn rotate_key(&mut self, signer: SnapshotSigner) {
        self.signer = signer;
    }

    /// Opens an account under a policy. Refuses an existing id.
    pub fn create_account(&mut self, account_id: &str, policy: Policy) -> Result<(), LedgerError> {
        if let Err(e) = crate::ids::check_account_id(account_id) {
            return Err(LedgerError::BadInput(format!("account id {e}")));
        }
        if self.accounts.contains_key(account_id) {
            return Err(LedgerError::Duplicate(account_id.to_string()));
        }
        let account = Account::new(policy)?;
        self.accounts.insert(
            account_id.to_string(),
            AccountRecord { account, version: 1, devices: BTreeMap::new(), hold_owner: HashMap::new(), proxied: BTreeMap::new() },
        );
        Ok(())
    }

    /// An account.
    pub fn account(&self, account_id: &str) -> Option<&AccountRecord> {
        self.accounts.get(account_id)
    }

    /// Puts an account record in (replacing one with that id): a store that keeps one
    /// account per row loads it into a ledger, runs one request, then takes it out again
    /// with [`RefLedger::take_account`].
    pub fn insert_account(&mut self, account_id: &str, record: AccountRecord) {
        self.accounts.insert(account_id.to_string(), record);
    }

    /// Takes an account record out of the ledger (see [`RefLedger::insert_account`]).
    pub fn take_account(&mut self, account_id: &str) -> Option<AccountRecord> {
        self.accounts.remove(account_id)
    }

    /// Runs an admin command on an account (purchase, grant, …) at `now`, then settles
    /// overdrafts and bumps the version.
    pub fn with_account<T>(
        &mut self,
        account_id: &str,
        now: i64,
        f: impl FnOnce(&mut Account, i64) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let rec = self.accounts.get_mut(account_id).ok_or_else(|| LedgerError::NotFound(format!("account {account_id:?}")))?;
        let now = now.max(rec.account.clock().unwrap_or(i64::MIN));
        let out = f(&mut rec.account, now)?;
        apply::settle(rec, now);
        rec.version = rec.version.saturating_add(1);
        Ok(out)
    }

    /// Sets one device's offline limit.
    pub fn set_offline_limit(&mut self, account_id: &str, device_id: &str, limit: Credits) -> Result<(), LedgerError> {
        let rec = self.accounts.get_mut(account_id).ok_or_else(|| LedgerError::NotFound(format!("account {account_id:?}")))?;
        rec.devices.entry(device_id.to_string()).or_default().offline_limit = Some(limit);
        rec.version = rec.version.saturating_add(1);
        Ok(())
    }

    /// Advances every account to `now`: expires grants and orphaned holds.
    pub fn advance(&mut self, now: i64) {
        for rec in self.accounts.values_mut() {
            let before = rec.account.state().last_seq;
            let at = now.max(rec.account.clock().unwrap_or(i64::MIN));
            if rec.account.advance(at).is_ok() && rec.account.state().last_seq != before {
                rec.version = rec.version.saturating_add(1);
            }
        }
    }
}
