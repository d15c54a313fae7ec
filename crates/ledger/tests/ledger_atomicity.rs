//! A command records all of its entries or none: when it fails, the account's state is
//! exactly what it was, even where the failure comes after an entry already changed a hold
//! or a grant (the account applies entries in place and undoes them; see `Tx` in
//! `model/account.rs`). The random-history version is in `ledger_props.rs`.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_ledger_core::model::*;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::money::Credits;

const DAY: i64 = 86_400_000;
const MONTH: i64 = 30 * DAY;

fn cr(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

/// AssistLore's signup credits (500), an agent activated at 0 (300: 200 left) and a hold of
/// 10 credits placed for it that stays open past the agent's cycle; at the cycle's end the
/// 190 available cannot pay the 200 renewal, so the agent is inactive from `MONTH`.
fn agent_hold_outlives_agent() -> Account {
    let mut a = Account::new(Policy::assist_lore()).unwrap();
    a.grant_signup(0).unwrap();
    a.activate_agent("bot", 0).unwrap();
    let hold = HoldRequest {
        hold_id: "h".into(),
        amount: cr("10"),
        operation: "message".into(),
        agent_id: Some("bot".into()),
        expires_at: Some(3 * MONTH),
    };
    a.reserve(&hold, 1).unwrap();
    a.advance(MONTH).unwrap();
    assert_eq!(a.state().agent("bot").unwrap().status, AgentStatus::Inactive);
    a
}

#[test]
fn a_commit_refused_after_its_debit_changed_the_hold_leaves_everything_as_it_was() {
    let mut a = agent_hold_outlives_agent();
    let before = a.clone();
    // The debit marks the hold committed and draws the grant before it finds the agent
    // inactive: all of that must be undone.
    let err = a.commit("h", cr("4"), MONTH).unwrap_err();
    assert_eq!(err.code(), "AGENT_INACTIVE");
    assert_eq!(a.state(), before.state());
    assert_eq!(a.entries(), before.entries());
    let h = a.state().hold("h").unwrap();
    assert_eq!((h.status, h.committed), (HoldStatus::Open, Credits::ZERO));
    assert_eq!(a.state().grants[0].remaining, cr("200"), "nothing drawn");
    assert_eq!(a.balance(MONTH).unwrap().held, cr("10"));
    assert_eq!(replay(a.policy(), a.entries()).unwrap(), *a.state());
    // The hold can still be released, and is released once.
    a.release("h", MONTH).unwrap();
    assert_eq!(a.state().hold("h").unwrap().status, HoldStatus::Released);
    assert_eq!(a.release("h", MONTH).unwrap_err().code(), "NOT_FOUND");
}

#[test]
fn a_refused_command_after_many_holds_keeps_every_hold() {
    // Undo restores the holds an entry changed by their index: with many holds, one
    // failed commit must leave every other hold, and the order of all of them, alone.
    let mut a = Account::new(Policy::true_recall()).unwrap();
    a.grant(&GrantRequest { id: "g".into(), kind: GrantKind::Promotion, amount: cr("100"), expires_at: None, priority: None }, 0).unwrap();
    for i in 0..50 {
        let req = HoldRequest { hold_id: format!("h{i}"), amount: cr("1"), operation: "op".into(), agent_id: None, expires_at: None };
        a.reserve(&req, 1).unwrap();
    }
    a.commit("h7", cr("1"), 2).unwrap();
    let before = a.clone();
    let err = a.commit("h7", cr("1"), 2).unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "a closed hold is not committed twice");
    let err = a.commit("h8", cr("2"), 2).unwrap_err();
    assert_eq!(err.code(), "HOLD_EXCEEDED");
    let dup = HoldRequest { hold_id: "h9".into(), amount: cr("1"), operation: "op".into(), agent_id: None, expires_at: None };
    assert_eq!(a.reserve(&dup, 2).unwrap_err().code(), "DUPLICATE_ID");
    let big = HoldRequest { hold_id: "big".into(), amount: cr("60"), operation: "op".into(), agent_id: None, expires_at: None };
    assert_eq!(a.reserve(&big, 2).unwrap_err().code(), "INSUFFICIENT_CREDITS");
    assert_eq!(a.state(), before.state());
    assert_eq!(a.entries(), before.entries());
    let ids: Vec<&str> = a.state().holds.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, (0..50).map(|i| format!("h{i}")).collect::<Vec<_>>());
    assert_eq!(a.balance(2).unwrap().held, cr("49"));
}
