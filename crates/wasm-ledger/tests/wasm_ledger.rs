//! The `LedgerAccount` JS class, in a real Wasm instance (Node by default, headless
//! browsers with `WASM_BINDGEN_USE_BROWSER=1`).
#![cfg(target_arch = "wasm32")]

use credit_meter_ledger_wasm::ledger::{ledger_policy, replay_ledger, LedgerAccount};
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const DAY: f64 = 86_400_000.0;

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |o, k| Reflect::get(&o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED))
}

fn s(v: &JsValue, path: &str) -> String {
    get(v, path).as_string().unwrap_or_else(|| panic!("{path} is not a string: {:?}", get(v, path)))
}

fn code_of(err: JsValue) -> String {
    assert!(err.is_instance_of::<js_sys::Error>(), "thrown value is an Error: {err:?}");
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("CreditMeterError"));
    get(&err, "code").as_string().expect("error has a string code")
}

fn t(ms: f64) -> JsValue {
    JsValue::from_f64(ms)
}

fn true_recall_with_pro() -> LedgerAccount {
    let mut a = LedgerAccount::new("trueRecall".into()).unwrap();
    a.purchase(json(r#"{"purchaseId":"p1","packageId":"pro"}"#), t(0.0)).unwrap();
    a
}

#[wasm_bindgen_test]
fn balance_grants_and_preview_are_plain_json_objects() {
    let mut a = true_recall_with_pro();
    let b = a.balance(t(DAY)).unwrap();
    assert_eq!(s(&b, "balance"), "3000");
    assert_eq!(s(&b, "available"), "3000");
    assert_eq!(get(&b, "low").as_bool(), Some(false));
    let grants: Array = get(&b, "grants").unchecked_into();
    assert_eq!(grants.length(), 2);
    let paid = grants.get(0);
    assert_eq!(s(&paid, "kind"), "purchase");
    assert!(get(&paid, "expiresAt").is_null(), "never expires: null, not undefined");
    assert_eq!(get(&paid, "refundableUntil").as_f64(), Some(14.0 * DAY));
    assert_eq!(get(&paid, "refundable").as_bool(), Some(true));
    assert_eq!(s(&paid, "priceUsd"), "10");
    let p = a.preview_debit("600".into(), t(DAY)).unwrap();
    assert_eq!(get(&p, "sufficient").as_bool(), Some(true));
    assert_eq!(s(&p, "draws.0.grantId"), "p1:bonus");
    assert_eq!(s(&p, "draws.1.amount"), "100");
    // Round-trips through JSON.stringify unchanged.
    let text = JSON::stringify(&b).unwrap().as_string().unwrap();
    assert!(text.contains(r#""balance":"3000""#), "{text}");
}

#[wasm_bindgen_test]
fn holds_commit_and_refunds_work_from_js() {
    let mut a = true_recall_with_pro();
    let h = a.reserve(json(r#"{"holdId":"h1","amount":"30","operation":"flashcards.generate"}"#), t(1.0)).unwrap();
    assert_eq!(s(&h, "status"), "open");
    let e = a.commit("h1".into(), "12".into(), t(2.0)).unwrap();
    assert_eq!(
        (s(&e, "type"), s(&e, "amount"), s(&e, "released"), s(&e, "balanceAfter")),
        ("debit".into(), "12".into(), "18".into(), "2988".into())
    );
    let q = a.refund_quote("p1".into(), t(3.0)).unwrap();
    assert_eq!(get(&q, "eligible").as_bool(), Some(true));
    assert_eq!(s(&q, "refundUsd"), "9.96");
    a.refund("p1".into(), t(3.0)).unwrap();
    let err = a.refund("p1".into(), t(4.0)).unwrap_err();
    assert_eq!(get(&err, "reason").as_string().as_deref(), Some("alreadyRefunded"));
    assert_eq!(code_of(err), "NOT_REFUNDABLE");
}

#[wasm_bindgen_test]
fn refusals_carry_codes_and_details() {
    let mut a = true_recall_with_pro();
    let err = a.debit(json(r#"{"amount":"5000","operation":"flashcards.generate"}"#), t(1.0)).unwrap_err();
    assert_eq!(get(&err, "needed").as_string().as_deref(), Some("5000"));
    assert_eq!(get(&err, "available").as_string().as_deref(), Some("3000"));
    let remedies: Array = get(&err, "remedies").unchecked_into();
    assert_eq!(remedies.to_vec().iter().filter_map(|r| r.as_string()).collect::<Vec<_>>(), ["buyCredits", "useOwnKey"]);
    assert_eq!(code_of(err), "INSUFFICIENT_CREDITS");
    let own = a.charge(json(r#"{"operation":"flashcards.generate","credits":"12","ownKey":true}"#), t(1.0)).unwrap();
    assert_eq!(s(&own, "payer"), "ownKey");
    assert!(get(&own, "seq").is_null());
    assert_eq!(code_of(a.balance(t(0.0)).unwrap_err()), "CLOCK_BACKWARDS");
}

#[wasm_bindgen_test]
fn hostile_arguments_are_refused_and_the_instance_survives() {
    let mut a = true_recall_with_pro();
    for bad in
        [JsValue::from_f64(f64::NAN), JsValue::from_f64(1.5), JsValue::from_f64(1e300), "5".into(), JsValue::NULL, JsValue::UNDEFINED]
    {
        assert_eq!(code_of(a.balance(bad.clone()).unwrap_err()), "BAD_INPUT", "now={bad:?}");
    }
    assert_eq!(code_of(a.preview_debit(JsValue::from_f64(5.0), t(1.0)).unwrap_err()), "BAD_INPUT", "numbers are not money");
    assert_eq!(code_of(a.preview_debit("-5".into(), t(1.0)).unwrap_err()), "BAD_AMOUNT");
    assert_eq!(code_of(a.preview_debit("1e400".into(), t(1.0)).unwrap_err()), "BAD_AMOUNT");
    assert_eq!(code_of(a.debit(json(r#"{"amount":5,"operation":"x"}"#), t(1.0)).unwrap_err()), "BAD_INPUT");
    assert_eq!(code_of(a.debit(json("[1]"), t(1.0)).unwrap_err()), "BAD_INPUT");
    assert_eq!(code_of(a.purchase(json(r#"{"purchaseId":"p2","packageId":"pro","extra":1}"#), t(1.0)).unwrap_err()), "BAD_INPUT");
    assert_eq!(code_of(LedgerAccount::new("gold".into()).err().unwrap()), "BAD_INPUT");
    assert_eq!(code_of(LedgerAccount::new(json(r#"{"name":"x"}"#)).err().unwrap()), "BAD_INPUT");
    assert_eq!(s(&a.balance(t(2.0)).unwrap(), "balance"), "3000");
}

#[wasm_bindgen_test]
fn assist_lore_plans_agents_and_allowances_from_js() {
    let mut a = LedgerAccount::new("assistLore".into()).unwrap();
    a.grant_signup(t(0.0)).unwrap();
    assert_eq!(code_of(a.grant_signup(t(1.0)).unwrap_err()), "ALREADY_GRANTED");
    let out = a.change_plan(json(&format!(r#"{{"planId":"starter","startsAt":0,"endsAt":{}}}"#, 30.0 * DAY)), t(1.0)).unwrap();
    assert_eq!(s(&out, "cycleGrant.amount"), "2000");
    let agent = a.activate_agent("bot".into(), t(2.0)).unwrap();
    assert_eq!(s(&agent, "status"), "active");
    let used = a.use_allowance(json(r#"{"allowance":"llmTokens","units":2500,"operation":"message","agentId":"bot"}"#), t(3.0)).unwrap();
    assert_eq!(s(&used, "creditsConverted"), "2.5");
    assert_eq!(get(&used, "unitsUsed").as_f64(), Some(2500.0));
    let err = a.refund("signup".into(), t(4.0)).unwrap_err();
    assert_eq!(get(&err, "reason").as_string().as_deref(), Some("policyForbids"));
    assert_eq!(code_of(err), "NOT_REFUNDABLE");
    let own = a.charge(json(r#"{"operation":"message","credits":"1","ownKey":true}"#), t(5.0)).unwrap();
    assert_eq!(s(&own, "payer"), "credits", "no own key under this policy");
    let p = ledger_policy("assistLore".into()).unwrap();
    assert_eq!(get(&p, "ownKeyAllowed").as_bool(), Some(false));
}

#[wasm_bindgen_test]
fn saved_ledgers_restore_and_forgeries_are_refused() {
    let mut a = true_recall_with_pro();
    a.debit(json(r#"{"amount":"7.5","operation":"flashcards.generate"}"#), t(1.0)).unwrap();
    let saved = a.to_json().unwrap();
    let text = JSON::stringify(&saved).unwrap();
    let mut b = LedgerAccount::from_json(text.into()).unwrap();
    assert_eq!(s(&b.balance(t(2.0)).unwrap(), "balance"), "2992.5");
    let state = replay_ledger(json(&JSON::stringify(&saved).unwrap().as_string().unwrap())).unwrap();
    assert_eq!(get(&state, "lastSeq").as_f64(), Some(2.0));
    let entries: Array = get(&saved, "entries").unchecked_into();
    Reflect::set(&entries.get(1), &"balanceAfter".into(), &"9999".into()).unwrap();
    assert_eq!(code_of(replay_ledger(saved.clone()).unwrap_err()), "REPLAY_MISMATCH");
    assert_eq!(code_of(LedgerAccount::from_json(saved).err().unwrap()), "REPLAY_MISMATCH");
    let since = a.entries(t(1.0)).unwrap();
    assert_eq!(Array::from(&since).length(), 1);
}
