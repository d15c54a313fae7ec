//! The simulated world on a store and on the reference ledger at once ([`Twin`]): the
//! service runs each request through the same `RefLedger` rules on an account loaded
//! from the store (`engine`), so given the same requests it must give the same answers —
//! every push, pull and admin answer the same bytes (signed snapshots included), every
//! claim and settlement of the AI proxy the same, and after the run the same account:
//! state with every closed hold, journal, version and device figures. A difference is a
//! request the store's load, history tables, result retention or save changed.

use super::StoreLedger;
use credit_meter_ledger_core::model::Policy;
use credit_meter_ledger_core::reference::proxy::{Claim, ProxyUsage, Settlement};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::Credits;
use credit_meter_sim::simulate::{AccountView, SimLedger};
use std::cell::RefCell;
use std::rc::Rc;
/// The world's ledger when it runs on a store and on the reference ledger at once: every
/// call goes to both; the store's answer is the one the world sees, and every answer of
/// the reference ledger that differs is noted.
pub(super) struct Twin {
    /// The ledger on a store: its answers are the world's.
    pub store: StoreLedger,
    /// The reference ledger, given the same calls.
    pub reference: RefLedger,
    /// Each call whose answers differ, with both answers.
    pub diffs: Rc<RefCell<Vec<String>>>,
}

impl Twin {
    /// `store`, noting when `reference` differs.
    fn same<T: PartialEq + std::fmt::Debug>(&self, what: &str, store: T, reference: T) -> T {
        if store != reference {
            self.diffs.borrow_mut().push(format!("{what}: store {store:?}, reference {reference:?}"));
        }
        store
    }
}

impl SimLedger for Twin {
    fn config(&self) -> &LedgerConfig {
        self.store.config()
    }
    fn create_account(&mut self, a: &str, p: Policy) -> Result<(), String> {
        let r = SimLedger::create_account(&mut self.reference, a, p.clone());
        let s = self.store.create_account(a, p);
        self.same("createAccount", s.is_ok(), r.is_ok());
        s
    }
    fn set_offline_limit(&mut self, a: &str, d: &str, l: Credits) -> Result<(), String> {
        let r = SimLedger::set_offline_limit(&mut self.reference, a, d, l);
        let s = self.store.set_offline_limit(a, d, l);
        self.same("setOfflineLimit", s.is_ok(), r.is_ok());
        s
    }
    fn handle_push(&mut self, body: &str, now: i64) -> String {
        let r = SimLedger::handle_push(&mut self.reference, body, now);
        let s = self.store.handle_push(body, now);
        self.same(&format!("push {body}"), s, r)
    }
    fn handle_pull(&mut self, body: &str, now: i64) -> String {
        let r = SimLedger::handle_pull(&mut self.reference, body, now);
        let s = self.store.handle_pull(body, now);
        self.same(&format!("pull {body}"), s, r)
    }
    fn handle_admin(&mut self, body: &str, now: i64) -> String {
        let r = SimLedger::handle_admin(&mut self.reference, body, now);
        let s = self.store.handle_admin(body, now);
        self.same(&format!("admin {body}"), s, r)
    }
    fn holds(&mut self, a: &str) -> Vec<(String, Credits)> {
        let r = SimLedger::holds(&mut self.reference, a);
        let s = self.store.holds(a);
        self.same("holds", s, r)
    }
    fn claim_hold(&mut self, a: &str, h: &str, now: i64) -> Result<Claim, String> {
        let r = SimLedger::claim_hold(&mut self.reference, a, h, now);
        let s = self.store.claim_hold(a, h, now);
        self.same(&format!("claim {h}"), s.clone().ok(), r.ok());
        s
    }
    fn settle_hold_with(&mut self, a: &str, h: &str, u: ProxyUsage, now: i64) -> Result<(Settlement, bool), String> {
        let r = SimLedger::settle_hold_with(&mut self.reference, a, h, u, now);
        let s = self.store.settle_hold_with(a, h, u, now);
        self.same(&format!("settle {h}"), s.clone().ok(), r.ok());
        s
    }
    fn settle_abandoned_claims(&mut self, a: &str, now: i64, older: i64) -> Vec<(String, Settlement)> {
        let r = SimLedger::settle_abandoned_claims(&mut self.reference, a, now, older);
        let s = self.store.settle_abandoned_claims(a, now, older);
        self.same("abandoned claims", s, r)
    }
    fn account(&self, a: &str) -> Option<AccountView> {
        let (s, r) = (self.store.account(a), SimLedger::account(&self.reference, a));
        let key = |v: &Option<AccountView>| {
            v.as_ref().map(|v| {
                let devices: Vec<_> = v
                    .devices
                    .iter()
                    .map(|(id, d)| (id.clone(), d.last_seq, d.overdraft, d.overdraft_total, d.unpaid_total, d.offline_limit))
                    .collect();
                (v.state.clone(), v.entries.clone(), v.version, devices)
            })
        };
        self.same(&format!("account {a}"), key(&s), key(&r));
        s
    }
}
