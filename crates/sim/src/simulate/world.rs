//! The world of one seed: the ledger, two accounts (one per preset policy),
//! their devices and tabs, the network, and the true clock. `step` runs one operation
//! and the faults due; `drain` turns faults off and runs until everything settles.

use crate::simulate::client::{Acked, Device};
use crate::simulate::ledger::SimLedger;
use crate::simulate::net::{Answer, Network, Outcome, Sender};
use crate::simulate::proxy::ProxyActor;
use crate::simulate::rng::Rng;
use crate::simulate::storage::SaveFate;
use crate::simulate::swarm::{draw_mix, Faults, Op, OPS};
use credit_meter_client::host::{Callback, HostError};
use credit_meter_client::Action;
use credit_meter_ledger_core::model::Policy;
use credit_meter_ledger_core::reference::LedgerConfig;
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::{PublicKeys, SnapshotSigner};
use rust_decimal::Decimal;
use serde_json::json;

/// The true clock at the start.
pub(crate) const T0: i64 = 1_700_000_000_000;
const DAY_MS: i64 = 86_400_000;
/// Both preset policies keep a hold open for 10 minutes.
const HOLD_TTL_MS: i64 = 10 * 60_000;

/// Everything one seed runs.
pub(crate) struct World<L> {
    /// The seed's generator.
    pub rng: Rng,
    /// The seed's faults (none while draining).
    pub faults: Faults,
    mix: Vec<u32>,
    /// The ledger.
    pub ledger: L,
    keys: PublicKeys,
    /// Accounts with their policy name.
    pub accounts: Vec<(String, &'static str)>,
    /// Every device of every account.
    pub devices: Vec<Device>,
    /// Answers in flight, and the applied-commit log.
    pub net: Network,
    /// The true (ledger) clock.
    pub t: i64,
    /// Commits users were told are done.
    pub acked: Vec<Acked>,
    /// Operations run.
    pub ops: u64,
    top_ups: u64,
    /// The AI proxy.
    pub proxy: ProxyActor,
}

/// Most installations a seed adds by cloning.
const MAX_CLONES: usize = 3;

/// A machine's entropy, from the seed (deterministic runs).
fn entropy(rng: &mut Rng) -> [u8; 32] {
    let mut e = [0u8; 32];
    for chunk in e.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    e
}

fn credits(thousandths: u64) -> Credits {
    Credits::new(Decimal::new(thousandths as i64, 3)).unwrap_or(Credits::ZERO)
}

/// Credits AssistLore converts into each allowance at the start (not a commit's).
pub(crate) const SETUP_CONVERTED: u64 = 10;

/// Units per credit of the AssistLore allowances (`Policy::assist_lore`).
pub(crate) fn units_per_credit(unit: &str) -> u64 {
    if unit == "ttsCharacters" {
        300
    } else {
        1_000
    }
}

/// The account overdraft limit of the worlds that run it tight (credits).
pub(crate) const TIGHT_ACCOUNT_LIMIT: u64 = 30;

impl<L: SimLedger> World<L> {
    /// Builds the world for `seed` on the ledger `make` builds from its signer and settings.
    pub(crate) fn new(seed: u64, make: impl FnOnce(SnapshotSigner, LedgerConfig) -> L) -> World<L> {
        let mut rng = Rng::new(seed);
        let faults = Faults::draw(&mut rng);
        let mix = draw_mix(&mut rng);
        let signer = SnapshotSigner::from_seed("k1", &[7; 32]);
        let mut keys = PublicKeys::new();
        let _ = keys.insert("k1", &signer.public_key());
        let history = if rng.chance(0.3) { 8 } else { LedgerConfig::default().result_history };
        // One world in five runs the account overdraft bound (PROTOCOL §6.5) tight, below
        // what its devices' offline limits add up to: there the bound must hold whatever
        // the clients do, and honest usage beyond it is recorded unpaid. Elsewhere it is
        // set above anything honest clients can owe, so that they never leave anything unpaid.
        let account_limit = if rng.chance(0.2) { TIGHT_ACCOUNT_LIMIT } else { 10_000 };
        let cfg = LedgerConfig {
            result_history: history,
            account_overdraft_limit: Credits::from_u64(account_limit).unwrap_or(Credits::ZERO),
            ..LedgerConfig::default()
        };
        let mut ledger = make(signer, cfg);
        let accounts = vec![("tr".to_string(), "trueRecall"), ("al".to_string(), "assistLore")];
        let mut devices = Vec::new();
        for (account, policy) in &accounts {
            let p = if *policy == "trueRecall" { Policy::true_recall() } else { Policy::assist_lore() };
            let _ = ledger.create_account(account, p);
            for d in 0..rng.between(1, 3) {
                let id = format!("{account}-d{d}");
                let limit = [0u64, 10, 50, 200][rng.below(4) as usize];
                let _ = ledger.set_offline_limit(account, &id, Credits::from_u64(limit).unwrap_or(Credits::ZERO));
                devices.push(Device::new(account, &id));
            }
        }
        let _ =
            ledger.handle_admin(&json!({"op": "purchase", "accountId": "tr", "purchaseId": "p0", "packageId": "starter"}).to_string(), T0);
        let _ = ledger.handle_admin(&json!({"op": "signup", "accountId": "al"}).to_string(), T0);
        // AssistLore's allowances (PROTOCOL §12): its devices spend TTS characters and LLM
        // tokens in units, drawing these first and converting shortfalls.
        for allowance in ["ttsCharacters", "llmTokens"] {
            let cmd = json!({"op": "convert", "accountId": "al", "allowance": allowance, "credits": SETUP_CONVERTED.to_string()});
            let _ = ledger.handle_admin(&cmd.to_string(), T0);
        }
        let mut w = World {
            rng,
            faults,
            mix,
            ledger,
            keys,
            accounts,
            devices,
            net: Network::default(),
            t: T0,
            acked: Vec::new(),
            ops: 0,
            top_ups: 0,
            proxy: ProxyActor::new(seed),
        };
        for d in 0..w.devices.len() {
            let tabs = w.rng.between(1, 3) as u32;
            w.devices[d].tabs = tabs;
            let e = entropy(&mut w.rng);
            w.devices[d].promote(&w.keys, w.t, e);
            w.pump(d);
        }
        w
    }

    /// Runs the device's pending actions through the network.
    fn pump(&mut self, d: usize) {
        let actions = self.devices[d].pump(self.t, &mut self.acked);
        for a in actions {
            let dev = &self.devices[d];
            let from = Sender { device: d, incarnation: dev.incarnation(), account: &dev.account, offline: dev.offline };
            self.net.dispatch(from, a, &mut self.ledger, &mut self.rng, &self.faults, self.t);
        }
    }

    /// Delivers every answer due by the true clock.
    fn deliver_due(&mut self) {
        while let Some(p) = self.net.pop_due(self.t) {
            let d = p.device;
            let current = self.devices[d].incarnation() == p.incarnation && p.incarnation != 0;
            let now = self.devices[d].now(self.t);
            // The host's answer, through the driver (host.rs), as the Wasm binding feeds it.
            let (action, answer) = match p.answer {
                Answer::Save { token, state, fate } => {
                    // A save lands whether or not its tab is still the owner.
                    if fate.lands() {
                        self.devices[d].storage.write(state);
                    }
                    let answer = match fate {
                        SaveFate::Ok => Ok(String::new()),
                        _ => Err(HostError::Rejected(Callback::Save, "the storage failed".into())),
                    };
                    (Action::Save { token, state: String::new() }, answer)
                }
                Answer::Request { token, push, outcome } => {
                    let answer = match outcome {
                        Outcome::Body(b) => Ok(b),
                        Outcome::Failed => Err(crate::simulate::host::rejected(push)),
                        Outcome::Timeout => Err(crate::simulate::host::timed_out(push, crate::simulate::net::HOST_TIMEOUT_MS)),
                    };
                    let action =
                        if push { Action::Push { token, request: String::new() } } else { Action::Pull { token, request: String::new() } };
                    (action, answer)
                }
            };
            let is_save = matches!(action, Action::Save { .. });
            match self.devices[d].machine().filter(|_| current) {
                Some(m) => {
                    crate::simulate::host::complete(m, action, &crate::simulate::host::DecidedHost::answering(answer, now), now);
                }
                // An answer for an owner that is gone: a save still landed above.
                None if is_save => {}
                None => continue,
            }
            self.pump(d);
        }
    }

    /// Fires due machine timers.
    fn timers(&mut self) {
        for d in 0..self.devices.len() {
            let now = self.devices[d].now(self.t);
            if let Some(m) = self.devices[d].machine() {
                if m.next_timeout().is_some_and(|at| at <= now) {
                    m.timer(now);
                    self.pump(d);
                }
            }
        }
    }

    /// A device crashes: every tab dies; a save in flight lands or is lost.
    fn crash(&mut self, d: usize) {
        if crate::simulate::tracing() {
            eprintln!("t={} crash {}", self.t - T0, self.devices[d].id);
        }
        for p in self.net.take_device(d) {
            if let Answer::Save { state, fate, .. } = p.answer {
                if fate.lands() && self.rng.chance(self.faults.lands_at_crash) {
                    self.devices[d].storage.write(state);
                }
            }
        }
        let dev = &mut self.devices[d];
        dev.owner = None;
        dev.tabs = 0;
        dev.down_until = self.t + self.rng.between(0, 120_000);
    }

    /// Opens a tab on a device; it owns the loop when no other tab does.
    fn open_tab(&mut self, d: usize) {
        self.devices[d].tabs += 1;
        if self.devices[d].owner.is_none() {
            let e = entropy(&mut self.rng);
            self.devices[d].promote(&self.keys, self.t, e);
            self.pump(d);
        }
    }

    /// The owning tab closes (its saves in flight still land); the next one takes over.
    fn close_tab(&mut self, d: usize) {
        let dev = &mut self.devices[d];
        if dev.owner.take().is_none() {
            return;
        }
        dev.tabs = dev.tabs.saturating_sub(1);
        if dev.tabs > 0 {
            let e = entropy(&mut self.rng);
            self.devices[d].promote(&self.keys, self.t, e);
            self.pump(d);
        } else {
            self.devices[d].down_until = self.t + self.rng.between(0, 600_000);
        }
    }

    fn faults_step(&mut self) {
        let n = self.devices.len() as u64;
        let d = self.rng.below(n) as usize;
        if self.rng.chance(self.faults.crash * n as f64) {
            self.crash(d);
        }
        if self.rng.chance(self.faults.partition * n as f64) {
            self.devices[d].offline = !self.devices[d].offline;
        }
        if self.rng.chance(self.faults.clock_jump * n as f64) {
            let jump = self.rng.between(60_000, 3 * DAY_MS);
            let dev = &mut self.devices[d];
            dev.clock_offset = if self.rng.chance(0.5) { dev.clock_offset + jump } else { dev.clock_offset - jump };
            if self.rng.chance(0.3) {
                dev.clock_offset = 0;
            }
        }
        if self.rng.chance(self.faults.restore * n as f64) {
            self.restore(d);
        }
        if self.rng.chance(self.faults.clone * n as f64) {
            self.clone_installation(d);
        }
        if self.devices[d].tabs == 0 && self.t >= self.devices[d].down_until {
            self.open_tab(d);
        }
    }

    /// The device restarts from one of its older saves (a backup restored). Only when
    /// the current save has no mutation waiting: restoring over one would delete usage
    /// that exists nowhere else, which no protocol can recover (PROTOCOL.md §9).
    fn restore(&mut self, d: usize) {
        self.crash(d);
        let dev = &mut self.devices[d];
        if dev.storage.has_outbox() || dev.storage.backups().is_empty() {
            return;
        }
        let i = self.rng.below(dev.storage.backups().len() as u64) as usize;
        let old = dev.storage.backups()[i].clone();
        if crate::simulate::tracing() {
            eprintln!("t={} restore {} backup {i}", self.t - T0, dev.id);
        }
        dev.storage.restore(old);
        dev.restored = true;
    }

    /// A second installation starts from a copy of the device's saved state, with the
    /// same device id (data.json synced to another machine); both run from now on.
    fn clone_installation(&mut self, d: usize) {
        if self.devices.iter().filter(|x| x.copy_of.is_some()).count() >= MAX_CLONES {
            return;
        }
        let src = &self.devices[d];
        let mut copy = crate::simulate::client::Device::new(&src.account, &src.id);
        copy.storage = src.storage.clone();
        copy.copy_of = Some(src.copy_of.unwrap_or(d));
        copy.offline = self.rng.chance(0.5);
        copy.clock_offset = src.clock_offset;
        if crate::simulate::tracing() {
            eprintln!("t={} clone {} offline {}", self.t - T0, src.id, copy.offline);
        }
        self.devices.push(copy);
        let n = self.devices.len() - 1;
        self.open_tab(n);
    }

    fn top_up(&mut self) {
        self.top_ups += 1;
        let i = self.rng.below(self.accounts.len() as u64) as usize;
        let (account, policy) = self.accounts[i].clone();
        let cmd = if policy == "trueRecall" && self.rng.chance(0.5) {
            let pkg = ["starter", "pro"][self.rng.below(2) as usize];
            json!({"op": "purchase", "accountId": account, "purchaseId": format!("p{}", self.top_ups), "packageId": pkg})
        } else {
            let amount = credits(self.rng.between(1_000, 300_000) as u64);
            let expires = if self.rng.chance(0.5) { Some(self.t + self.rng.between(60_000, 3 * DAY_MS)) } else { None };
            let grant =
                json!({"id": format!("g{}", self.top_ups), "kind": "promotion", "amount": amount.to_string(), "expiresAt": expires});
            json!({"op": "grant", "accountId": account, "grant": grant})
        };
        let _ = self.ledger.handle_admin(&cmd.to_string(), self.t);
    }

    fn user_op(&mut self, op: Op, d: usize) {
        let now = self.devices[d].now(self.t);
        let lore = self.devices[d].account == "al";
        let rng = &mut self.rng;
        let Some(o) = self.devices[d].owner.as_mut() else { return };
        let n = o.ready().len() as u64;
        match op {
            Op::Reserve => {
                let amount =
                    if rng.chance(0.5) { credits(rng.between(1, 60) as u64 * 1_000) } else { credits(rng.between(1, 60_000) as u64) };
                // AssistLore devices meter two calls in three in an allowance's units:
                // about as many units as the credits would buy.
                let unit = if lore { [None, Some("ttsCharacters"), Some("llmTokens")][rng.below(3) as usize] } else { None };
                let amount = match unit {
                    Some(u) => Credits::new((amount.value() * Decimal::from(units_per_credit(u))).ceil()).unwrap_or(Credits::ZERO),
                    None => amount,
                };
                let r = o.reserve(amount, unit, now, self.t + HOLD_TTL_MS);
                if crate::simulate::tracing() {
                    let f = o.machine.figures(now);
                    eprintln!(
                        "t={} reserve {} {} -> {:?} room {} exposure {} limit {:?} seq {} fresh {:?} outbox {}",
                        self.t - T0,
                        o.machine.state().device_id,
                        amount.to_plain_string(),
                        r.is_ok(),
                        f.room.to_plain_string(),
                        f.exposure.to_plain_string(),
                        o.machine.state().payload().map(|p| p.offline_limit.to_plain_string()),
                        f.seq,
                        f.freshness,
                        f.outbox
                    );
                }
            }
            Op::Commit if n > 0 => {
                let i = rng.below(n) as usize;
                let late = o.ready()[i].usage.is_none() && o.ready()[i].deadline < self.t;
                if late {
                    // The call outlived its hold: the host aborted it, nothing was used.
                    o.release_ready(i, now);
                    self.pump(d);
                    return;
                }
                let held = o.ready()[i].amount.value();
                let actual = match rng.below(10) {
                    0..=5 => held * Decimal::from(rng.below(101)) / Decimal::from(100),
                    6..=8 => held,
                    _ => {
                        // Above the hold, within what may still be spent offline.
                        let room = o.machine.figures(now).room.value();
                        held + (held * Decimal::from(rng.below(51)) / Decimal::from(100)).min(room)
                    }
                };
                let actual = match o.ready()[i].unit {
                    // Whole units; above the hold only by units the room can pay for.
                    Some(u) => {
                        let rate = Decimal::from(units_per_credit(u));
                        let room = (o.machine.figures(now).room.value() * rate).floor();
                        let cap = held + (room - Decimal::ONE).max(Decimal::ZERO);
                        actual.floor().min(cap).max(Decimal::ZERO)
                    }
                    None => actual.round_dp(3),
                };
                let actual = Credits::new(actual).unwrap_or(Credits::ZERO);
                if crate::simulate::tracing() {
                    let h = &o.ready()[i];
                    let mh = o.machine.hold(&h.id);
                    eprintln!(
                        "t={} commit {} {} of {} deadline {} machine {:?} fresh {:?}",
                        self.t - T0,
                        h.id,
                        actual.to_plain_string(),
                        h.amount.to_plain_string(),
                        h.deadline - T0,
                        mh.map(|m| (m.state, m.expires_at - T0)),
                        o.machine.figures(now).freshness
                    );
                }
                o.commit(i, actual, now);
            }
            Op::Release if n > 0 => o.release_ready(rng.below(n) as usize, now),
            Op::Abandon if n > 0 => o.abandon(rng.below(n) as usize),
            Op::Sync => o.machine.sync(now),
            _ => return,
        }
        self.pump(d);
    }

    /// Runs one step: time passes, answers arrive, faults strike, one operation runs.
    pub(crate) fn step(&mut self) {
        self.ops += 1;
        self.t += self.rng.between(0, 1_500);
        self.deliver_due();
        self.proxy.settle_due(&mut self.ledger, &self.accounts, self.t, false);
        self.faults_step();
        let op = OPS[self.rng.weighted(&self.mix)].0;
        let d = self.rng.below(self.devices.len() as u64) as usize;
        match op {
            Op::TopUp => self.top_up(),
            Op::Proxy => self.proxy.start(&mut self.ledger, &self.accounts, self.t),
            Op::Wait => {
                self.t += if self.rng.chance(0.8) { self.rng.between(60_000, 1_200_000) } else { self.rng.between(3_600_000, 2 * DAY_MS) }
            }
            Op::CloseTab => self.close_tab(d),
            Op::OpenTab => self.open_tab(d),
            Op::Tick => {
                let now = self.devices[d].now(self.t);
                if let Some(m) = self.devices[d].machine() {
                    m.timer(now);
                }
                self.pump(d);
            }
            _ => self.user_op(op, d),
        }
        self.timers();
    }

    /// Turns faults off and runs until every device is idle, every hold resolved or
    /// expired, and every device holds the ledger's latest snapshot. False when it did
    /// not settle.
    pub(crate) fn drain(&mut self) -> bool {
        self.faults = Faults::none();
        for dev in self.devices.iter_mut() {
            dev.offline = false;
            dev.clock_offset = 0;
        }
        // The proxy's calls end (those whose proxy died are settled once abandoned).
        self.proxy.settle_due(&mut self.ledger, &self.accounts, self.t, true);
        let mut settled = false;
        for _ in 0..100 {
            for d in 0..self.devices.len() {
                if self.devices[d].owner.is_none() {
                    self.devices[d].tabs = 0;
                    self.open_tab(d);
                }
                let now = self.devices[d].now(self.t);
                if let Some(o) = self.devices[d].owner.as_mut() {
                    o.settle_all(now);
                    o.machine.sync(now);
                }
                self.pump(d);
            }
            self.run_network();
            if self.devices.iter().all(|d| d.user_idle() && d.owner.as_ref().is_some_and(|o| o.machine.is_idle())) {
                settled = true;
                break;
            }
            self.t += 1_000;
        }
        // Orphaned holds expire; then everyone pulls twice so all see the last change.
        self.t += 11 * 60_000;
        for _ in 0..2 {
            for d in 0..self.devices.len() {
                let now = self.devices[d].now(self.t);
                if let Some(m) = self.devices[d].machine() {
                    m.sync(now);
                }
                self.pump(d);
                self.run_network();
            }
            self.t += 1;
        }
        settled
    }

    fn run_network(&mut self) {
        while let Some(due) = self.net.next_due() {
            self.t = self.t.max(due);
            self.deliver_due();
        }
    }
}
