//! The `refund` admin command (what the ledger service's `POST /v1/admin/refund` runs):
//! True Recall refunds the unused part of a purchase inside its 14-day window and voids
//! what is left of it; the window's end, a second refund and AssistLore are refused with
//! `NOT_REFUNDABLE`.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_sim::harness::*;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn admin(l: &mut RefLedger, cmd: Value, now: i64) -> Value {
    serde_json::from_str(&l.handle_admin(&cmd.to_string(), now)).unwrap()
}

fn ledger_with(policy: &str) -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    assert_eq!(admin(&mut l, json!({"op":"createAccount","accountId":"a","policy":policy}), T0)["ok"], true);
    l
}

#[test]
fn true_recall_refunds_the_unused_part_once_inside_14_days() {
    let mut l = ledger_with("trueRecall");
    assert_eq!(admin(&mut l, json!({"op":"purchase","accountId":"a","purchaseId":"p1","packageId":"pro"}), T0)["ok"], true);
    let out = admin(&mut l, json!({"op":"refund","accountId":"a","purchaseId":"p1"}), T0 + 14 * DAY - 1);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["result"]["remaining"], "3000");
    assert_eq!(out["result"]["refundUsd"], "10");
    let balance = admin(&mut l, json!({"op":"balance","accountId":"a"}), T0 + 14 * DAY);
    assert_eq!(balance["result"]["balance"], "0");
    let again = admin(&mut l, json!({"op":"refund","accountId":"a","purchaseId":"p1"}), T0 + 14 * DAY);
    assert_eq!(again["error"]["code"], "NOT_REFUNDABLE");
}

#[test]
fn the_window_end_and_assist_lore_are_refused() {
    let mut l = ledger_with("trueRecall");
    admin(&mut l, json!({"op":"purchase","accountId":"a","purchaseId":"p1","packageId":"starter"}), T0);
    let late = admin(&mut l, json!({"op":"refund","accountId":"a","purchaseId":"p1"}), T0 + 14 * DAY);
    assert_eq!(late["error"]["code"], "NOT_REFUNDABLE", "{late}");
    assert_eq!(admin(&mut l, json!({"op":"balance","accountId":"a"}), T0 + 14 * DAY)["result"]["balance"], "500");

    let mut lore = ledger_with("assistLore");
    admin(&mut lore, json!({"op":"signup","accountId":"a"}), T0);
    let refused = admin(&mut lore, json!({"op":"refund","accountId":"a","purchaseId":"signup"}), T0 + 1);
    assert_eq!(refused["error"]["code"], "NOT_REFUNDABLE", "{refused}");
}
