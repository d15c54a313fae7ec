//! A saved client state restored from a backup or copied to a second installation
//! (issue 17 §1): nothing is lost and nothing is charged twice, in any interleaving,
//! online or offline. The ledger tells a resent mutation from a different one that
//! reuses its seq by content (`docs/PROTOCOL.md` §6.1) and the client renumbers.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_ledger_core::model::EntryKind;
use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_protocol::money::Credits;
use credit_meter_sim::harness::*;

/// Credits drawn by commits and settlements on "a1" (every debit entry).
fn debited(l: &RefLedger) -> Credits {
    l.account("a1")
        .unwrap()
        .account
        .entries()
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Debit { amount, .. } => Some(*amount),
            _ => None,
        })
        .fold(Credits::ZERO, |a, b| a.checked_add(b).unwrap())
}

fn balance(l: &RefLedger) -> Credits {
    l.account("a1").unwrap().account.state().balance()
}

/// Reserves `hold` credits and commits `used` of them.
fn spend(cl: &mut Client, l: &mut RefLedger, hold: &str, used: &str, now: i64) -> String {
    let r = cl.m.reserve(&req(hold), now).unwrap();
    cl.pump(l, now);
    cl.m.commit(&r.hold_id, c(used), now + 1).unwrap();
    cl.pump(l, now + 1);
    r.hold_id
}

#[test]
fn restoring_an_older_save_offline_loses_nothing() {
    // Issue 17 §1 exactly: S0, reserve 10 / commit 5 synced, restore S0 offline,
    // reserve 10 / commit 7, reconnect: 12 charged, balance 488.
    let mut l = ledger_with("50");
    let mut laptop = Client::installation("laptop", 1, None);
    laptop.open(&mut l, T0);
    let s0 = laptop.storage.clone();
    let first = spend(&mut laptop, &mut l, "10", "5", T0 + 10);
    assert_eq!(l.account("a1").unwrap().devices["laptop"].last_seq, 2);
    assert_eq!(balance(&l), c("495"));

    let mut restored = Client::installation("laptop", 2, s0);
    restored.offline = true;
    restored.open(&mut l, T0 + 100);
    let second = spend(&mut restored, &mut l, "10", "7", T0 + 110);
    assert_ne!(first, second, "hold ids never collide across copies");
    assert_eq!(restored.m.state().outbox.len(), 2);
    restored.offline = false;
    restored.sync(&mut l, T0 + 200);

    assert_eq!(balance(&l), c("488"));
    assert_eq!(debited(&l), c("12"));
    assert!(restored.m.state().outbox.is_empty());
    assert_eq!(l.account("a1").unwrap().devices["laptop"].last_seq, 4, "renumbered to 3 and 4");
    assert!(restored.pushes.iter().any(|p| p.contains("\"seq\":3")));
    // The restored copy converged to the ledger.
    let p = restored.m.state().payload().unwrap();
    assert_eq!(p.balance, c("488"));
    assert_eq!(p.last_mutation_seq, 4);
}

#[test]
fn restoring_a_save_whose_outbox_was_already_pushed_charges_nothing_twice() {
    // A "newer" save: taken while two mutations waited; they were pushed afterwards;
    // the save comes back and resends them under their old (or renumbered) seqs.
    let mut l = ledger_with("50");
    let mut a = Client::installation("laptop", 1, None);
    a.open(&mut l, T0);
    a.offline = true;
    spend(&mut a, &mut l, "10", "4", T0 + 10);
    let saved = a.storage.clone();
    a.offline = false;
    a.sync(&mut l, T0 + 20);
    spend(&mut a, &mut l, "10", "6", T0 + 30);
    assert_eq!(debited(&l), c("10"));

    let mut b = Client::installation("laptop", 2, saved);
    b.open(&mut l, T0 + 40);
    b.sync(&mut l, T0 + 41);
    assert_eq!(debited(&l), c("10"), "the resent commit of 4 is a duplicate");
    assert!(b.m.state().outbox.is_empty());
    spend(&mut b, &mut l, "2", "2", T0 + 50);
    assert_eq!(debited(&l), c("12"));
    // And the first copy still works after the other one renumbered past it.
    spend(&mut a, &mut l, "1", "1", T0 + 60);
    a.sync(&mut l, T0 + 61);
    assert_eq!(debited(&l), c("13"));
    assert!(a.m.state().outbox.is_empty() && b.m.state().outbox.is_empty());
}

/// Two installations running copies of one state, interleaved step by step.
fn two_installations(offline: bool) {
    let mut l = ledger_with("50");
    let mut a = Client::installation("laptop", 1, None);
    a.open(&mut l, T0);
    let copy = a.storage.clone();
    let mut b = Client::installation("laptop", 2, copy);
    b.open(&mut l, T0 + 1);
    a.offline = offline;
    b.offline = offline;
    let mut now = T0 + 10;
    let mut expected = Credits::ZERO;
    for round in 0..6u32 {
        let used_a = format!("{}", round + 1);
        let used_b = format!("{}.5", round);
        spend(&mut a, &mut l, "5", &used_a, now);
        spend(&mut b, &mut l, "5", &used_b, now + 2);
        expected = expected.checked_add(c(&used_a)).unwrap().checked_add(c(&used_b)).unwrap();
        now += 10;
        if offline && round == 2 {
            // B reconnects first for a while, then A too.
            b.offline = false;
            b.sync(&mut l, now);
        }
        if offline && round == 4 {
            a.offline = false;
            a.sync(&mut l, now);
        }
    }
    a.offline = false;
    b.offline = false;
    for _ in 0..3 {
        a.sync(&mut l, now);
        b.sync(&mut l, now);
        now += 1;
    }
    assert!(a.m.state().outbox.is_empty(), "A's outbox drained");
    assert!(b.m.state().outbox.is_empty(), "B's outbox drained");
    assert_eq!(debited(&l), expected, "every commit of both copies charged once");
    assert_eq!(balance(&l), c("500").saturating_sub(expected));
    assert!(l.account("a1").unwrap().account.state().holds.iter().all(|h| !h.is_open()), "no hold left open");
    let last = l.account("a1").unwrap().devices["laptop"].last_seq;
    assert_eq!(last, 24, "12 reserves and 12 commits, each applied once");
    assert_eq!(a.m.state().payload().unwrap().balance, b.m.state().payload().unwrap().balance);
}

#[test]
fn two_installations_with_one_device_id_online() {
    two_installations(false);
}

#[test]
fn two_installations_with_one_device_id_offline() {
    two_installations(true);
}

#[test]
fn a_copy_does_not_count_the_other_copys_holds_as_its_own() {
    // The snapshot lists every hold of the device id; holds the other copy placed
    // reserve credits like another device's.
    let mut l = ledger_with("50");
    let mut a = Client::installation("laptop", 1, None);
    a.open(&mut l, T0);
    let mut b = Client::installation("laptop", 2, a.storage.clone());
    b.open(&mut l, T0);
    let r = a.m.reserve(&req("100"), T0 + 1).unwrap();
    a.pump(&mut l, T0 + 1);
    assert!(a.m.hold(&r.hold_id).is_some());
    b.sync(&mut l, T0 + 2);
    let f = b.m.figures(T0 + 2);
    assert_eq!(f.held_other, c("100"));
    assert_eq!(f.available, c("400"));
}
