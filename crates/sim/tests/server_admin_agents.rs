//! The `activateAgent` and `convert` admin commands (the demo page's AI-agent account):
//! an agent paid from the pool and capped by the plan, credits converted into a TTS
//! allowance, and the refusals, as the JSON answers a host or the HTTP server sees.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_ledger_core::model::{AllowanceKind, Policy};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::Credits;
use credit_meter_sim::harness::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn admin(l: &mut RefLedger, cmd: Value, now: i64) -> Value {
    serde_json::from_str(&l.handle_admin(&cmd.to_string(), now)).unwrap()
}

fn credits(v: &Value) -> Decimal {
    Credits::parse(v.as_str().unwrap_or_else(|| panic!("a decimal string: {v}"))).unwrap().value()
}

fn balance(l: &mut RefLedger, now: i64) -> Value {
    admin(l, json!({"op":"balance","accountId":"a2"}), now)["result"].clone()
}

/// An AssistLore account with its signup grant, on the free plan.
fn assist_lore_account() -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    assert_eq!(admin(&mut l, json!({"op":"createAccount","accountId":"a2","policy":"assistLore"}), T0)["ok"], true);
    assert_eq!(admin(&mut l, json!({"op":"signup","accountId":"a2"}), T0)["ok"], true);
    l
}

#[test]
fn activate_agent_draws_activation_and_first_cycle_and_respects_the_plan_cap() {
    let mut l = assist_lore_account();
    let terms = Policy::assist_lore().agents.expect("agents in the preset");
    let fee = terms.activation_credits.value() + terms.subscription_credits.value();
    let before = credits(&balance(&mut l, T0)["balance"]);
    let out = admin(&mut l, json!({"op":"activateAgent","accountId":"a2","agentId":"helper"}), T0);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["result"]["id"], "helper");
    assert_eq!(out["result"]["status"], "active");
    let b = balance(&mut l, T0);
    assert_eq!(credits(&b["balance"]), before - fee);
    assert_eq!(b["agents"][0]["id"], "helper");
    let free_cap = Policy::assist_lore().plan("free").and_then(|p| p.max_agents).expect("a cap on the free plan");
    assert_eq!(free_cap, 1, "the test below relies on the free plan's single agent");
    let second = admin(&mut l, json!({"op":"activateAgent","accountId":"a2","agentId":"other"}), T0);
    assert_eq!(second["error"]["code"], "AGENT_LIMIT", "{second}");
    let again = admin(&mut l, json!({"op":"activateAgent","accountId":"a2","agentId":"helper"}), T0);
    assert_eq!(again["ok"], false, "an active agent is not activated twice: {again}");
    assert_eq!(credits(&balance(&mut l, T0)["balance"]), before - fee, "refusals cost nothing");
}

#[test]
fn convert_turns_credits_into_a_tts_allowance_that_the_balance_shows() {
    let mut l = assist_lore_account();
    let rate = Policy::assist_lore().allowance(AllowanceKind::TtsCharacters).expect("tts in the preset").units_per_credit;
    let before = credits(&balance(&mut l, T0)["balance"]);
    let out = admin(&mut l, json!({"op":"convert","accountId":"a2","allowance":"ttsCharacters","credits":"10"}), T0);
    assert_eq!(out["ok"], true, "{out}");
    let units = out["result"]["unitsAdded"].as_u64().unwrap();
    assert_eq!(Decimal::from(units), rate * Decimal::from(10));
    let b = balance(&mut l, T0);
    assert_eq!(credits(&b["balance"]), before - Decimal::from(10));
    let tts = b["allowances"].as_array().unwrap().iter().find(|a| a["kind"] == "ttsCharacters").cloned().expect("listed");
    assert_eq!(tts["remaining"].as_u64(), Some(units));
}

#[test]
fn agent_and_convert_refusals_are_coded_answers() {
    let mut l = assist_lore_account();
    let code = |v: Value| v["error"]["code"].as_str().unwrap_or("").to_string();
    let too_much = admin(&mut l, json!({"op":"convert","accountId":"a2","allowance":"ttsCharacters","credits":"100000"}), T0);
    assert_eq!(code(too_much), "INSUFFICIENT_CREDITS");
    let c2 = code(admin(&mut l, json!({"op":"convert","accountId":"a2","allowance":"gold","credits":"1"}), T0));
    assert_eq!(c2, "BAD_INPUT", "unknown allowance");
    let c3 = code(admin(&mut l, json!({"op":"activateAgent","accountId":"a2","agentId":""}), T0));
    assert_eq!(c3, "BAD_INPUT", "empty agent id");
    let c4 = code(admin(&mut l, json!({"op":"activateAgent","accountId":"nobody","agentId":"x"}), T0));
    assert_eq!(c4, "NOT_FOUND", "unknown account");
    let mut tr = RefLedger::new(signer(), LedgerConfig::default());
    admin(&mut tr, json!({"op":"createAccount","accountId":"a2","policy":"trueRecall"}), T0);
    let c5 = code(admin(&mut tr, json!({"op":"activateAgent","accountId":"a2","agentId":"x"}), T0));
    assert_eq!(c5, "BAD_INPUT", "True Recall has no agents");
    let b = balance(&mut l, T0);
    assert_eq!(b["agents"], json!([]), "nothing changed");
    assert_eq!(b["allowances"].as_array().map(|a| a.iter().all(|x| x["remaining"] == 0)), Some(true));
}
