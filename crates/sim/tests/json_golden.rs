//! Golden JSON: the bytes the crate writes for its persisted, signed and returned shapes,
//! captured from the serde_json implementation before the lean JSON layer replaced it.
//! Each value must write exactly the captured text and read back to an equal value.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_core::catalog::Catalog;
use credit_meter_core::estimate::{estimate, EstimateRequest};
use credit_meter_core::funding::{decide, DecideRequest};
use credit_meter_ledger_core::model::*;
use credit_meter_protocol::money::{Count, Credits};

fn cr(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

/// An account that went through every kind of entry the policies allow.
fn busy_account() -> Account {
    let mut a = Account::new(Policy::assist_lore()).unwrap();
    a.grant_signup(0).unwrap();
    a.change_plan(&PlanChangeRequest { plan_id: "starter".into(), starts_at: 10, ends_at: 1_000_000, new_cycle: false }, 10).unwrap();
    a.activate_agent("bot", 11).unwrap();
    let use_units = |kind, units| AllowanceUseRequest {
        allowance: kind,
        units: Count(units),
        operation: "message".into(),
        agent_id: Some("bot".into()),
    };
    a.use_allowance(&use_units(AllowanceKind::LlmTokens, 2_000), 12).unwrap();
    a.use_allowance(&use_units(AllowanceKind::TtsCharacters, 600), 13).unwrap();
    a.grant(
        &GrantRequest {
            id: "promo \"x\"\n".into(),
            kind: GrantKind::Promotion,
            amount: cr("7.5"),
            expires_at: Some(50),
            priority: Some(3),
        },
        14,
    )
    .unwrap();
    a.reserve(&HoldRequest { hold_id: "h1".into(), amount: cr("3"), operation: "op".into(), agent_id: None, expires_at: None }, 15)
        .unwrap();
    a.commit("h1", cr("2.25"), 16).unwrap();
    a.reserve(
        &HoldRequest { hold_id: "h2".into(), amount: cr("1"), operation: "op".into(), agent_id: Some("bot".into()), expires_at: None },
        17,
    )
    .unwrap();
    a.release("h2", 18).unwrap();
    a.debit(&DebitRequest { amount: cr("0.5"), operation: "é✓😀".into(), agent_id: None }, 19).unwrap();
    a.advance(100).unwrap();
    a
}

fn true_recall_account() -> Account {
    let mut a = Account::new(Policy::true_recall()).unwrap();
    a.purchase(&PurchaseRequest { purchase_id: "p".into(), package_id: "pro".into() }, 0).unwrap();
    a.reserve(&HoldRequest { hold_id: "h".into(), amount: cr("3"), operation: "op".into(), agent_id: None, expires_at: None }, 1).unwrap();
    a.commit("h", cr("2.25"), 2).unwrap();
    a.refund("p", 3).unwrap();
    a
}

/// (file name, JSON written by the crate).
fn cases() -> Vec<(&'static str, String)> {
    let catalog = Catalog::default_catalog();
    let mut busy = busy_account();
    let mut tr = true_recall_account();
    let est = estimate(
        &catalog,
        &EstimateRequest {
            operation: "flashcards.generate".into(),
            note: Some("# T\n\nQ: a?\nA: b\n\n- x\n- y\n".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let decision = decide(&catalog, &DecideRequest { estimate: est.clone(), byok: false, balance: Some(cr("0.001")) }).unwrap();
    vec![
        ("catalog.json", to_string(catalog.definition())),
        ("policy_assist_lore.json", to_string(&Policy::assist_lore())),
        ("policy_true_recall.json", to_string(&Policy::true_recall())),
        ("entries_busy.json", to_string(busy.entries())),
        ("state_busy.json", to_string(busy.state())),
        ("balance_busy.json", to_string(&busy.balance(200).unwrap())),
        ("entries_true_recall.json", to_string(tr.entries())),
        ("balance_true_recall.json", to_string(&tr.balance(4).unwrap())),
        ("estimate.json", to_string(&est)),
        ("decision.json", to_string(&decision)),
    ]
}

fn to_string<T: credit_meter_base::json::ToJson + ?Sized>(v: &T) -> String {
    credit_meter_base::json::to_string(v)
}

#[test]
fn writes_the_captured_bytes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/golden/");
    for (name, text) in cases() {
        if std::env::var_os("CREDIT_METER_WRITE_GOLDEN").is_some() {
            std::fs::write([dir, name].concat(), &text).unwrap();
        }
        let golden = std::fs::read_to_string([dir, name].concat()).unwrap();
        assert_eq!(text, golden, "{name}");
    }
}

#[test]
fn reads_back_what_it_wrote() {
    let busy = busy_account();
    let entries: Vec<Entry> = credit_meter_base::json::from_str(&to_string(busy.entries())).unwrap();
    assert_eq!(entries, busy.entries());
    let state: LedgerState = credit_meter_base::json::from_str(&to_string(busy.state())).unwrap();
    assert_eq!(&state, busy.state());
    let policy: Policy = credit_meter_base::json::from_str(&to_string(&Policy::assist_lore())).unwrap();
    assert_eq!(policy, Policy::assist_lore());
    let catalog = Catalog::default_catalog();
    assert_eq!(Catalog::parse(&to_string(catalog.definition())).unwrap().definition(), catalog.definition());
}
