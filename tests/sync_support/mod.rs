//! Shared harness for the sync tests: a reference ledger and clients driven
//! synchronously, with storage and transport failures on demand.
#![allow(dead_code)]

use credit_meter::ledger::{Policy, PurchaseRequest};
use credit_meter::money::Credits;
use credit_meter::server::{LedgerConfig, RefLedger};
use credit_meter::snapshot::{PublicKeys, SnapshotSigner};
use credit_meter::sync::{Action, Config, Event, Machine, ReserveRequest, Transport};

pub const SEED: [u8; 32] = [7; 32];
pub const T0: i64 = 1_700_000_000_000;

pub fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

pub fn signer() -> SnapshotSigner {
    SnapshotSigner::from_seed("k1", &SEED)
}

pub fn keys() -> PublicKeys {
    let mut k = PublicKeys::new();
    k.insert("k1", &signer().public_key()).unwrap();
    k
}

/// A ledger with account "a1" (True Recall) holding `credits` (a "starter" package is 500).
pub fn ledger_with(limit: &str) -> RefLedger {
    let cfg = LedgerConfig { offline_limit: c(limit), ..LedgerConfig::default() };
    let mut l = RefLedger::new(signer(), cfg);
    l.create_account("a1", Policy::true_recall()).unwrap();
    l.with_account("a1", T0, |a, now| a.purchase(&PurchaseRequest { purchase_id: "p1".into(), package_id: "starter".into() }, now)).unwrap();
    l
}

pub fn req(amount: &str) -> ReserveRequest {
    ReserveRequest { amount: c(amount), operation: "flashcards.generate".into(), agent_id: None }
}

/// A client with in-memory storage and switches for failures.
pub struct Client {
    pub m: Machine,
    pub storage: Option<String>,
    pub events: Vec<Event>,
    pub fail_saves: bool,
    pub offline: bool,
    pub pushes: Vec<String>,
}

impl Client {
    pub fn new(device: &str) -> Client {
        // Fixed entropy per device name: the golden transcript stays byte for byte.
        let mut cfg = Config::new("a1", device);
        cfg.entropy = [device.len() as u8; 32];
        cfg.entropy[..device.len().min(32)].copy_from_slice(&device.as_bytes()[..device.len().min(32)]);
        Client { m: Machine::new(cfg, keys()), storage: None, events: Vec::new(), fail_saves: false, offline: false, pushes: Vec::new() }
    }

    /// Another installation running device `device`'s saved state (a restored backup, or
    /// a copy synced to a second machine): its own entropy, `n` telling copies apart.
    pub fn installation(device: &str, n: u8, storage: Option<String>) -> Client {
        let mut cfg = Config::new("a1", device);
        cfg.entropy = [n; 32];
        Client { m: Machine::new(cfg, keys()), storage, events: Vec::new(), fail_saves: false, offline: false, pushes: Vec::new() }
    }

    pub fn open(&mut self, l: &mut RefLedger, now: i64) {
        let stored = self.storage.clone();
        self.m.open(stored.as_deref(), now);
        self.pump(l, now);
    }

    /// Runs every action until the machine is quiet.
    pub fn pump(&mut self, l: &mut RefLedger, now: i64) {
        for _ in 0..10_000 {
            let Some(a) = self.m.poll_action() else { break };
            match a {
                Action::Save { token, state } => {
                    if self.fail_saves {
                        self.m.save_done(token, false, now);
                    } else {
                        self.storage = Some(state);
                        self.m.save_done(token, true, now);
                    }
                }
                Action::Push { token, request } => {
                    self.pushes.push(request.clone());
                    if self.offline {
                        self.m.push_done(token, Transport::Failed, now);
                    } else {
                        let body = l.handle_push(&request, now);
                        self.m.push_done(token, Transport::Body(&body), now);
                    }
                }
                Action::Pull { token, request } => {
                    if self.offline {
                        self.m.pull_done(token, Transport::Failed, now);
                    } else {
                        let body = l.handle_pull(&request, now);
                        self.m.pull_done(token, Transport::Body(&body), now);
                    }
                }
            }
            while let Some(e) = self.m.poll_event() {
                self.events.push(e);
            }
        }
        while let Some(e) = self.m.poll_event() {
            self.events.push(e);
        }
    }

    /// Asks for a sync and runs it.
    pub fn sync(&mut self, l: &mut RefLedger, now: i64) {
        self.m.sync(now);
        self.pump(l, now);
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}
