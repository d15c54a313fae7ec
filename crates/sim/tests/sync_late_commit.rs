//! Found by the simulator (`examples/simulate`, seed 1151): a commit made while its hold
//! was open, delivered after the hold expired (the device was offline) and after another
//! device spent the freed credits, was partly written off as `unpaid` although the
//! client followed every rule. The ledger now records up to the expired hold's amount
//! as overdraft whatever the offline limit (PROTOCOL §6.4), and settles it later.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_client::HoldState;
use credit_meter_ledger_core::model::PurchaseRequest;
use credit_meter_sim::harness::*;

#[test]
fn a_commit_of_an_open_hold_that_arrives_after_expiry_is_not_written_off() {
    // Offline limit 0: every reserve waits for the ledger's confirmation.
    let mut l = ledger_with("0");
    let mut d1 = Client::new("d1");
    let mut d2 = Client::new("d2");
    let mut now = T0;
    d1.open(&mut l, now);
    d2.open(&mut l, now);
    let r = d1.m.reserve(&req("40"), now).unwrap();
    assert!(r.needs_confirmation);
    d1.pump(&mut l, now);
    assert_eq!(d1.m.hold(&r.hold_id).unwrap().state, HoldState::Open, "confirmed by the ledger");
    // The AI call ran; the commit is durable, but the device is cut off before pushing it.
    d1.offline = true;
    d1.m.commit(&r.hold_id, c("40"), now).unwrap();
    d1.pump(&mut l, now);
    assert_eq!(d1.m.state().outbox.len(), 1);
    // The hold expires; the other device spends everything that is left.
    now += 11 * 60_000;
    d2.sync(&mut l, now);
    let r2 = d2.m.reserve(&req("490"), now).unwrap();
    d2.pump(&mut l, now);
    d2.m.commit(&r2.hold_id, c("490"), now).unwrap();
    d2.pump(&mut l, now);
    // The late commit arrives: 10 credits were left, 30 become overdraft, none unpaid.
    d1.offline = false;
    now += 1;
    d1.sync(&mut l, now);
    assert!(d1.m.is_idle());
    let dev = l.account("a1").unwrap().devices.get("d1").cloned().unwrap();
    assert_eq!(dev.unpaid_total, c("0"));
    assert_eq!(dev.overdraft, c("30"));
    assert_eq!(dev.vouched, c("30"), "not counted against the offline limit");
    // The next purchase settles it.
    l.with_account("a1", now, |a, now| a.purchase(&PurchaseRequest { purchase_id: "p2".into(), package_id: "starter".into() }, now))
        .unwrap();
    let rec = l.account("a1").unwrap();
    let dev = rec.devices.get("d1").unwrap();
    assert!(dev.overdraft.is_zero() && dev.vouched.is_zero());
    assert_eq!(rec.account.state().balance(), c("470"));
}
