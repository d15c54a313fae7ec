//! Two devices on one account spending at the same time, some of the time offline:
//! they converge, nothing is charged twice or lost, and the overspend stays within the
//! devices' offline limits.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::HoldState;
use credit_meter_ledger_core::model::{EntryKind, Purpose};
use credit_meter_protocol::money::Credits;
use credit_meter_sim::harness::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
enum Step {
    Reserve(usize, u32),
    Commit(usize, u32),
    Release(usize),
    Toggle(usize),
    Wait(u32),
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize, 1..80u32).prop_map(|(d, a)| Step::Reserve(d, a)),
        4 => (0..2usize, 0..=100u32).prop_map(|(d, p)| Step::Commit(d, p)),
        1 => (0..2usize).prop_map(Step::Release),
        2 => (0..2usize).prop_map(Step::Toggle),
        2 => (0..900_000u32).prop_map(Step::Wait),
        1 => (0..2usize).prop_map(Step::Sync),
    ]
}

fn add(a: Credits, b: Credits) -> Credits {
    a.checked_add(b).unwrap()
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut l = ledger_with("50");
    let mut devices = [Client::new("d1"), Client::new("d2")];
    let mut now = T0;
    for d in devices.iter_mut() {
        d.open(&mut l, now);
    }
    let mut open: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut used = Credits::ZERO;
    for s in steps {
        match *s {
            Step::Reserve(i, a) => {
                let d = &mut devices[i];
                if let Ok(r) = d.m.reserve(&req(&a.to_string()), now) {
                    d.pump(&mut l, now);
                    // The host runs the AI call only when the hold is covered: within the
                    // offline room, or confirmed by the ledger.
                    let confirmed = d.m.hold(&r.hold_id).is_some_and(|h| h.state == HoldState::Open);
                    if r.needs_confirmation && !confirmed {
                        if d.m.release(&r.hold_id, now).is_ok() {
                            d.pump(&mut l, now);
                        }
                    } else if d.m.hold(&r.hold_id).is_some() {
                        open[i].push(r.hold_id);
                    }
                }
            }
            Step::Commit(i, pct) => {
                if let Some(id) = open[i].first().cloned() {
                    let amount = devices[i].m.hold(&id).unwrap().amount;
                    let actual = Credits::new((amount.value() * Decimal::from(pct) / Decimal::from(100)).round_dp(3)).unwrap();
                    devices[i].m.commit(&id, actual, now).unwrap();
                    devices[i].pump(&mut l, now);
                    open[i].remove(0);
                    used = add(used, actual);
                }
            }
            Step::Release(i) => {
                if let Some(id) = open[i].pop() {
                    devices[i].m.release(&id, now).unwrap();
                    devices[i].pump(&mut l, now);
                }
            }
            Step::Toggle(i) => devices[i].offline = !devices[i].offline,
            Step::Wait(ms) => {
                now += i64::from(ms);
                for d in devices.iter_mut() {
                    d.m.timer(now);
                    d.pump(&mut l, now);
                }
            }
            Step::Sync(i) => devices[i].sync(&mut l, now),
        }
        for d in devices.iter() {
            let rec = l.account("a1").unwrap();
            let dev = rec.devices.get(&d.m.state().device_id).cloned().unwrap_or_default();
            prop_assert!(dev.unpaid_total.is_zero(), "unpaid {:?}", dev);
            prop_assert!(dev.overdraft <= c("50"));
        }
    }
    // Everything online, every hold resolved, synced.
    for (i, d) in devices.iter_mut().enumerate() {
        d.offline = false;
        for id in open[i].drain(..) {
            d.m.release(&id, now).unwrap();
        }
        now += 1;
        d.sync(&mut l, now);
    }
    for d in devices.iter_mut() {
        now += 1;
        d.sync(&mut l, now);
        prop_assert!(d.m.is_idle(), "{:?}", d.events);
    }
    let rec = l.account("a1").unwrap();
    let mut op_debits = Credits::ZERO;
    let mut all_debits = Credits::ZERO;
    for e in rec.account.entries() {
        if let EntryKind::Debit { amount, purpose, .. } = &e.kind {
            all_debits = add(all_debits, *amount);
            if !matches!(purpose, Purpose::Operation { operation, .. } if operation == "overdraft.settle") {
                op_debits = add(op_debits, *amount);
            }
        }
    }
    let mut overdraft_total = Credits::ZERO;
    let mut outstanding = Credits::ZERO;
    for dev in rec.devices.values() {
        overdraft_total = add(overdraft_total, dev.overdraft_total);
        outstanding = add(outstanding, dev.overdraft);
        prop_assert!(dev.unpaid_total.is_zero());
    }
    // Exactly once: every credit the hosts committed is charged once — from the balance
    // or as overdraft — never twice, never lost.
    prop_assert_eq!(add(op_debits, overdraft_total), used);
    // The balance only went "below zero" by the outstanding overdraft, within the limits.
    prop_assert!(outstanding <= c("100"));
    prop_assert_eq!(add(rec.account.state().balance(), all_debits), c("500"));
    // Both devices converge on the ledger's balance.
    let balance = rec.account.state().balance();
    for d in devices.iter() {
        prop_assert_eq!(d.m.figures(now).balance, balance);
        prop_assert_eq!(d.m.figures(now).pending, Credits::ZERO);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn two_devices_converge_without_double_charge_or_overspend(steps in proptest::collection::vec(step(), 1..60)) {
        run(&steps)?;
    }
}

#[test]
fn both_devices_spend_everything_while_one_is_offline() {
    let steps = [
        Step::Toggle(1),
        Step::Wait(400_000),
        Step::Reserve(0, 79),
        Step::Commit(0, 100),
        Step::Reserve(1, 50),
        Step::Commit(1, 100),
        Step::Reserve(1, 10),
        Step::Reserve(0, 79),
        Step::Commit(0, 100),
        Step::Toggle(1),
        Step::Sync(1),
    ];
    run(&steps).unwrap();
}
