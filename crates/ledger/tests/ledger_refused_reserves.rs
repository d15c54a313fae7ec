//! Which refused reserves the reference ledger remembers (PROTOCOL §6.2, §6.8), and which
//! members a commit or release ignores (§6.1): what an outside ledger written from the
//! document must do the same, pinned here on the reference.
//!
//! A reserve refused for its hold id's form or an over-long label is not kept: its commit
//! is `NOT_FOUND`. Every other refused reserve but `DUPLICATE_ID` is remembered: a second
//! reserve of its hold id is `DUPLICATE_ID`, its commit is charged, its release applied,
//! and once committed or released its hold id is judged like a new one.

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::message::Response;

const NOW: i64 = 1_700_000_000_000;

/// An account `a` on the AssistLore policy (agents, units) with 10 credits.
fn ledger() -> RefLedger {
    let mut l = RefLedger::new(credit_meter_protocol::snapshot::SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
    assert!(l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"assistLore"}"#, NOW).contains("true"));
    assert!(l.handle_admin(r#"{"op":"grant","accountId":"a","grant":{"id":"g","kind":"promotion","amount":"10"}}"#, NOW).contains("true"));
    l
}

/// Each result of a push from device `d`, as `status code charged`.
fn push(l: &mut RefLedger, mutations: &[String]) -> Vec<String> {
    let body = format!(r#"{{"v":2,"accountId":"a","deviceId":"d","mutations":[{}]}}"#, mutations.join(","));
    let r: Response = credit_meter_base::json::from_str(&l.handle_push(&body, NOW)).unwrap_or_else(|e| panic!("{e:?}: {body}"));
    r.results
        .iter()
        .map(|x| {
            let charged = x.charged.map(|c| c.to_plain_string()).unwrap_or_else(|| "-".into());
            format!("{:?} {} {charged}", x.status, x.code.as_deref().unwrap_or("-"))
        })
        .collect()
}

fn reserve(seq: u64, hold: &str, amount: &str, extra: &str) -> String {
    format!(r#"{{"type":"reserve","seq":{seq},"at":0,"holdId":"{hold}","amount":"{amount}","operation":"op"{extra}}}"#)
}

fn commit(seq: u64, hold: &str, amount: &str, extra: &str) -> String {
    format!(r#"{{"type":"commit","seq":{seq},"at":0,"holdId":"{hold}","amount":"{amount}"{extra}}}"#)
}

fn release(seq: u64, hold: &str, extra: &str) -> String {
    format!(r#"{{"type":"release","seq":{seq},"at":0,"holdId":"{hold}"{extra}}}"#)
}

#[test]
fn refused_reserves_are_remembered_unless_their_form_was_refused() {
    // (reserve's extra members and amount, its code, whether it is remembered)
    let over = format!(r#","agentId":"{}""#, "a".repeat(201));
    let cases: [(&str, &str, &str, &str, bool); 6] = [
        ("zero amount", "0", "", "BAD_INPUT", true),
        ("unknown unit", "5", r#","unit":"pages""#, "BAD_INPUT", true),
        ("an agent that is not active", "1", r#","agentId":"bot""#, "AGENT_INACTIVE", true),
        ("more than spendable", "11", "", "INSUFFICIENT_CREDITS", true),
        ("an agentId over 200 bytes", "1", &over, "BAD_INPUT", false),
        ("a bad mutation id", "1", r#","id":"a b""#, "BAD_INPUT", false),
    ];
    for (name, amount, extra, code, remembered) in cases {
        let mut l = ledger();
        // (The last reserve differs from the first two in amount: an identical one would be a
        // duplicate by fingerprint, §6.1.)
        let first = push(&mut l, &[reserve(1, "d:h1", amount, extra)]);
        assert_eq!(first, [format!("Refused {code} -")], "{name}");
        if remembered {
            // A second reserve of the hold id is a duplicate id; the commit is charged (no
            // hold vouched it); then the hold id is free again.
            let rest = push(&mut l, &[reserve(2, "d:h1", "1", ""), commit(3, "d:h1", "2", ""), reserve(4, "d:h1", "0.5", "")]);
            assert_eq!(rest, ["Refused DUPLICATE_ID -", "Applied - 2", "Applied - -"], "{name}");
        } else {
            let rest = push(&mut l, &[commit(2, "d:h1", "2", ""), release(3, "d:h1", ""), reserve(4, "d:h1", "0.5", "")]);
            assert_eq!(rest, ["Refused NOT_FOUND -", "Refused NOT_FOUND -", "Applied - -"], "{name}");
        }
    }
    // A released refused reserve is forgotten too.
    let mut l = ledger();
    let r = push(
        &mut l,
        &[reserve(1, "d:h1", "0", ""), release(2, "d:h1", ""), release(3, "d:h1", r#","id":"again""#), reserve(4, "d:h1", "0.5", "")],
    );
    assert_eq!(r, ["Refused BAD_INPUT -", "Applied - -", "Refused NOT_FOUND -", "Applied - -"]);
    // A placed hold's id is never reused, committed or not.
    let mut l = ledger();
    let r = push(&mut l, &[reserve(1, "d:h1", "1", ""), commit(2, "d:h1", "1", ""), reserve(3, "d:h1", "0.5", "")]);
    assert_eq!(r, ["Applied - -", "Applied - 1", "Refused DUPLICATE_ID -"]);
}

#[test]
fn a_commit_or_release_ignores_the_members_of_a_reserve() {
    let mut l = ledger();
    let r = push(
        &mut l,
        &[
            reserve(1, "d:h1", "3", ""),
            commit(2, "d:h1", "2", r#","operation":5,"agentId":{"x":1}"#),
            reserve(3, "d:h2", "1", ""),
            release(4, "d:h2", r#","agentId":7,"operation":null,"unit":"pages","amount":"4""#),
        ],
    );
    assert_eq!(r, ["Applied - -", "Applied - 2", "Applied - -", "Applied - -"]);
    // Not fingerprinted: resent with other such members (or none), each is a duplicate.
    let again = push(&mut l, &[commit(2, "d:h1", "2", r#","operation":"else""#), release(4, "d:h2", "")]);
    assert_eq!(again, ["Duplicate - 2", "Duplicate - -"]);
    // A release's amount still has to be money in the strict form.
    let body = format!(r#"{{"v":2,"accountId":"a","deviceId":"d","mutations":[{}]}}"#, release(5, "d:h1", r#","amount":"1e1""#));
    assert!(l.handle_push(&body, NOW).contains("BAD_REQUEST"));
}
