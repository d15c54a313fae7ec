//! The `changePlan` admin command: subscribing, upgrading (carrying plan credits forward
//! per the policy, granting only the difference mid-cycle), downgrading (no new credits)
//! and the refusals, as the JSON answers a host or the HTTP server sees.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_ledger_core::model::Policy;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::Credits;
use credit_meter_sim::harness::*;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn admin(l: &mut RefLedger, cmd: Value, now: i64) -> Value {
    serde_json::from_str(&l.handle_admin(&cmd.to_string(), now)).unwrap()
}

fn plan_credits(id: &str) -> Credits {
    Policy::assist_lore().plan(id).expect("plan in the preset").credits_per_cycle
}

fn balance(l: &mut RefLedger, now: i64) -> Value {
    admin(l, json!({"op":"balance","accountId":"a2"}), now)["result"].clone()
}

fn assist_lore_account() -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    assert_eq!(admin(&mut l, json!({"op":"createAccount","accountId":"a2","policy":"assistLore"}), T0)["ok"], true);
    l
}

#[test]
fn change_plan_subscribes_and_grants_the_cycle_credits_until_the_cycle_ends() {
    let mut l = assist_lore_account();
    let out = admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"starter","startsAt":T0,"endsAt":T0 + 30 * DAY}), T0);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["result"]["from"], "free");
    assert_eq!(out["result"]["to"], "starter");
    assert_eq!(out["result"]["upgrade"], true);
    let b = balance(&mut l, T0 + 1);
    assert_eq!(b["plan"], "starter");
    assert_eq!(Credits::parse(b["balance"].as_str().unwrap()).unwrap(), plan_credits("starter"));
    assert_eq!(b["balance"], balance(&mut l, T0 + 30 * DAY - 1)["balance"], "usable until just before the cycle ends");
    assert_eq!(balance(&mut l, T0 + 30 * DAY)["balance"], "0", "gone at the cycle's end");
}

#[test]
fn change_plan_upgrade_carries_the_remaining_plan_credits_forward() {
    let mut l = assist_lore_account();
    admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"starter","startsAt":T0,"endsAt":T0 + 30 * DAY}), T0);
    let now = T0 + 10 * DAY;
    let out = admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"pro","startsAt":now,"endsAt":now + 30 * DAY}), now);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(Credits::parse(out["result"]["carried"].as_str().unwrap()).unwrap(), plan_credits("starter"));
    // Mid-cycle the upgrade grants only the difference: the cycle is paid once, at Pro.
    let difference = plan_credits("pro").saturating_sub(plan_credits("starter"));
    assert_eq!(Credits::parse(out["result"]["cycleGrant"]["amount"].as_str().unwrap()).unwrap(), difference);
    assert_eq!(Credits::parse(balance(&mut l, now)["balance"].as_str().unwrap()).unwrap(), plan_credits("pro"));
    // Back to Starter in the same cycle: no new credits (the issue saw 2,000 more each time).
    let later = now + DAY;
    let back =
        admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"starter","startsAt":later,"endsAt":later + 30 * DAY}), later);
    assert_eq!(back["ok"], true, "{back}");
    assert_eq!(back["result"]["cycleGrant"], Value::Null);
    assert_eq!(Credits::parse(balance(&mut l, later)["balance"].as_str().unwrap()).unwrap(), plan_credits("pro"));
}

#[test]
fn change_plan_refusals_are_coded_answers() {
    let mut l = assist_lore_account();
    let code = |v: Value| v["error"]["code"].as_str().unwrap_or("").to_string();
    let c1 = code(admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"gold","startsAt":T0,"endsAt":T0 + DAY}), T0));
    assert_eq!(c1, "NOT_FOUND", "unknown plan");
    let c2 = code(admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"starter","startsAt":T0 + 1,"endsAt":T0 + DAY}), T0));
    assert_eq!(c2, "BAD_INPUT", "a cycle must contain now");
    let c3 = code(admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"free","startsAt":T0,"endsAt":T0 + DAY}), T0));
    assert_eq!(c3, "BAD_INPUT", "already on that plan");
    let c4 = code(admin(&mut l, json!({"op":"changePlan","accountId":"nobody","planId":"starter","startsAt":T0,"endsAt":T0 + DAY}), T0));
    assert_eq!(c4, "NOT_FOUND", "unknown account");
    let c5 = code(admin(&mut l, json!({"op":"changePlan","accountId":"a2","planId":"starter"}), T0));
    assert_eq!(c5, "BAD_INPUT", "the cycle is required");
    assert_eq!(balance(&mut l, T0)["plan"], "free", "nothing changed");
}
