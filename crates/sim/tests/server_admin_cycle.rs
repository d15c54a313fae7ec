//! The `startCycle` admin command (what the ledger service runs for a renewal's paid
//! invoice): the current plan's credits for the cycle, expiring at its end, once per
//! cycle start.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_sim::harness::*;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn admin(l: &mut RefLedger, cmd: Value, now: i64) -> Value {
    serde_json::from_str(&l.handle_admin(&cmd.to_string(), now)).unwrap()
}

#[test]
fn start_cycle_grants_the_plans_credits_once_per_cycle() {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    admin(&mut l, json!({"op":"createAccount","accountId":"a","policy":"assistLore"}), T0);
    let sub = admin(&mut l, json!({"op":"changePlan","accountId":"a","planId":"starter","startsAt":T0,"endsAt":T0 + 30 * DAY}), T0);
    assert_eq!(sub["ok"], true, "{sub}");
    let renew = json!({"op":"startCycle","accountId":"a","startsAt":T0 + 30 * DAY,"endsAt":T0 + 60 * DAY});
    let out = admin(&mut l, renew.clone(), T0 + 30 * DAY);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["result"]["expiresAt"], T0 + 60 * DAY);
    let balance = admin(&mut l, json!({"op":"balance","accountId":"a"}), T0 + 30 * DAY);
    assert_eq!(balance["result"]["balance"], "2000", "the first cycle's credits expired at its end");
    // Once per cycle: the same renewal again is refused while the cycle it started runs
    // (the plan rule of issue 22), and grants nothing.
    let again = admin(&mut l, renew, T0 + 30 * DAY + 1);
    assert_eq!(again["error"]["code"], "BAD_INPUT", "{again}");
    assert!(again["error"]["message"].as_str().unwrap_or("").contains("runs until"), "{again}");
    let after = admin(&mut l, json!({"op":"balance","accountId":"a"}), T0 + 30 * DAY + 1);
    assert_eq!(after["result"]["balance"], "2000", "nothing granted twice");
    let stale = admin(&mut l, json!({"op":"startCycle","accountId":"a","startsAt":T0,"endsAt":T0 + 30 * DAY}), T0 + 31 * DAY);
    assert_eq!(stale["error"]["code"], "BAD_INPUT", "a cycle that no longer contains now");
}
