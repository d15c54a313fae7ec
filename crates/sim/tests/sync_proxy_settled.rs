//! The client and a hold settled by the ledger's AI proxy (PROTOCOL §6.7): the client's
//! commit is acknowledged with `settledBy: "proxy"` and the proxy's amounts (it learns
//! what the call cost, whatever it committed), and its balance is charged once.

use credit_meter_sim::harness::*;

#[test]
fn the_client_learns_the_proxys_settlement_from_its_commit() {
    let mut l = ledger_with("50");
    let mut d = Client::new("d1");
    d.open(&mut l, T0);
    let r = d.m.reserve(&req("10"), T0).unwrap();
    d.pump(&mut l, T0);
    // The proxy claims the hold and settles it from the provider's usage.
    l.claim_hold("a1", &r.hold_id, Some("d1"), T0).unwrap();
    let (s, first) = l.settle_hold("a1", &r.hold_id, Some(c("3.5")), T0 + 1).unwrap();
    assert!(first);
    // The client commits less than the provider reported.
    d.m.commit(&r.hold_id, c("1"), T0 + 2).unwrap();
    d.pump(&mut l, T0 + 2);
    let ack = d.acknowledged("commit").expect("the commit is acknowledged");
    assert_eq!(ack.settled_by.as_deref(), Some("proxy"));
    assert_eq!((ack.charged, ack.overdraft, ack.unpaid), (Some(s.charged), Some(s.overdraft), Some(s.unpaid)));
    assert_eq!(ack.charged, Some(c("3.5")));
    assert!(d.m.is_idle());
    let f = d.m.figures(T0 + 2);
    assert_eq!((f.balance, f.available), (c("496.5"), c("496.5")));
}
