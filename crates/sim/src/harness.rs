//! Shared harness for the sync tests: a reference ledger and clients driven
//! synchronously, with storage and transport failures on demand.
//!
//! Clients run their machine's actions through the same async driver as the Wasm binding
//! ([`credit_meter_client::driver`]) over an in-memory [`Host`], whose futures are always
//! ready: [`block_on`] polls each once.

use credit_meter_client::driver::perform;
use credit_meter_client::host::{Callback, Exchange, Host, HostError};
use credit_meter_client::{Ack, Config, Event, Machine, ReserveRequest};
use credit_meter_ledger_core::model::{Policy, PurchaseRequest};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::{PublicKeys, SnapshotSigner};
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The test ledger's signing seed (never a real key).
pub const SEED: [u8; 32] = [7; 32];
/// The tests' clock at the start (ms since 1970).
pub const T0: i64 = 1_700_000_000_000;

/// Credits from a decimal string; panics on a typo in a test.
pub fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

/// The test ledger's signer, key id `k1`.
pub fn signer() -> SnapshotSigner {
    SnapshotSigner::from_seed("k1", &SEED)
}

/// The public keys a client of the test ledger is given.
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
    l.with_account("a1", T0, |a, now| a.purchase(&PurchaseRequest { purchase_id: "p1".into(), package_id: "starter".into() }, now))
        .unwrap();
    l
}

/// A reservation of `amount` for `flashcards.generate`.
pub fn req(amount: &str) -> ReserveRequest {
    ReserveRequest { amount: c(amount), operation: "flashcards.generate".into(), agent_id: None, unit: None }
}

/// Runs a future that is ready on its first poll (everything the in-memory host does).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the in-memory host never waits"),
    }
}

/// The in-memory host of one [`Client`] for one pump: its storage, the ledger as its
/// network, and the failure switches.
struct MemoryHost<'a> {
    ledger: RefCell<&'a mut RefLedger>,
    storage: RefCell<&'a mut Option<String>>,
    pushes: RefCell<&'a mut Vec<String>>,
    fail_saves: bool,
    offline: bool,
    now: i64,
}

impl Host for MemoryHost<'_> {
    async fn load(&self) -> Result<Option<String>, HostError> {
        Ok(self.storage.borrow().clone())
    }

    async fn exchange(&self, exchange: Exchange, body: &str) -> Result<String, HostError> {
        if exchange == Exchange::Save {
            if self.fail_saves {
                return Err(HostError::Rejected(Callback::Save, "disk full".into()));
            }
            **self.storage.borrow_mut() = Some(body.to_string());
            return Ok(String::new());
        }
        if exchange == Exchange::Push {
            self.pushes.borrow_mut().push(body.to_string());
        }
        if self.offline {
            return Err(HostError::Rejected(exchange.callback(), "offline".into()));
        }
        let mut ledger = self.ledger.borrow_mut();
        Ok(match exchange {
            Exchange::Push => ledger.handle_push(body, self.now),
            _ => ledger.handle_pull(body, self.now),
        })
    }

    fn now(&self) -> Result<i64, HostError> {
        Ok(self.now)
    }
}

/// A client with in-memory storage and switches for failures.
pub struct Client {
    /// Its sync machine.
    pub m: Machine,
    /// What its host saved last.
    pub storage: Option<String>,
    /// The machine's events so far.
    pub events: Vec<Event>,
    /// Every save fails while set.
    pub fail_saves: bool,
    /// Every push and pull fails while set.
    pub offline: bool,
    /// Every push request sent, in order.
    pub pushes: Vec<String>,
}

impl Client {
    /// A client of account `a1` on `device`, with nothing stored.
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

    /// Opens the machine on what is stored and runs what it asks for.
    pub fn open(&mut self, l: &mut RefLedger, now: i64) {
        let stored = self.storage.clone();
        self.m.open(stored.as_deref(), now);
        self.pump(l, now);
    }

    /// Runs every action through the driver and the in-memory host until the machine is
    /// quiet.
    pub fn pump(&mut self, l: &mut RefLedger, now: i64) {
        let host = MemoryHost {
            ledger: RefCell::new(l),
            storage: RefCell::new(&mut self.storage),
            pushes: RefCell::new(&mut self.pushes),
            fail_saves: self.fail_saves,
            offline: self.offline,
            now,
        };
        for _ in 0..10_000 {
            let Some(action) = self.m.poll_action() else { break };
            block_on(perform(&host, action)).feed(&mut self.m, now);
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

    /// The events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The first acknowledgement of a mutation of `kind` (`"reserve"`, `"commit"`,
    /// `"release"`) among the events so far.
    pub fn acknowledged(&self, kind: &str) -> Option<Ack> {
        self.events.iter().find_map(|e| match e {
            Event::Acknowledged(a) if a.kind == kind => Some(a.clone()),
            _ => None,
        })
    }
}
