//! One test per rule sentence of True Recall's "Credits System" page
//! (shared/seeds/000_77688ac758179ade.txt), under `Policy::true_recall()`.
//! README.md ("Credit policies") maps each sentence to its API and test.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_core::catalog::{Catalog, Charge};
use credit_meter_ledger_core::model::*;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::money::{Credits, Usd};
use rust_decimal::Decimal;

const DAY: i64 = 86_400_000;
const YEAR: i64 = 365 * DAY;

fn cr(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn account() -> Account {
    Account::new(Policy::true_recall()).unwrap()
}

fn buy(a: &mut Account, id: &str, package: &str, at: i64) {
    a.purchase(&PurchaseRequest { purchase_id: id.into(), package_id: package.into() }, at).unwrap();
}

fn charge(op: &str, credits: &str, free: bool, own_key: bool) -> ChargeRequest {
    ChargeRequest { operation: op.into(), credits: cr(credits), free, own_key, operation_allows_own_key: true, agent_id: None }
}

fn balance(a: &mut Account, at: i64) -> Credits {
    a.balance(at).unwrap().balance
}

#[test]
fn true_recall_credits_are_a_prepaid_balance_deducted_per_use() {
    let mut a = account();
    assert_eq!(a.charge(&charge("flashcards.generate", "1", false, false), 0).unwrap_err().code(), "INSUFFICIENT_CREDITS");
    buy(&mut a, "p1", "starter", 0);
    let c = a.charge(&charge("flashcards.generate", "12", false, false), 1).unwrap();
    assert_eq!((c.payer, c.credits), (Payer::Credits, cr("12")));
    assert_eq!(balance(&mut a, 1), cr("488"));
}

#[test]
fn true_recall_one_credit_is_about_one_flashcard() {
    let catalog = Catalog::default_catalog();
    for op in ["flashcards.generate", "flashcards.regenerate"] {
        let def = catalog.operation(op).unwrap();
        assert_eq!(def.charge, Charge::PerCard { credits_per_card: cr("1") }, "{op}");
    }
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    // 12 cards at 1 credit per card.
    a.charge(&charge("flashcards.generate", "12", false, false), 1).unwrap();
    assert_eq!(balance(&mut a, 1), cr("488"));
}

#[test]
fn true_recall_credits_never_expire() {
    let mut a = account();
    buy(&mut a, "p1", "pro", 0);
    let v = a.balance(0).unwrap();
    assert!(v.grants.iter().all(|g| g.grant.expires_at.is_none()));
    assert_eq!(balance(&mut a, 50 * YEAR), cr("3000"));
    assert!(a.entries().iter().all(|e| e.kind.name() != "expire"));
}

#[test]
fn true_recall_unused_credits_carry_over_indefinitely() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.generate", "100", false, false), DAY).unwrap();
    buy(&mut a, "p2", "starter", 3 * YEAR);
    assert_eq!(balance(&mut a, 3 * YEAR), cr("900"), "400 left from the first purchase plus 500");
}

#[test]
fn true_recall_packages_match_the_price_table() {
    let p = Policy::true_recall();
    let table = [
        ("starter", "Starter", "500", "0", "500", "2.50", "0.005"),
        ("pro", "Pro", "2500", "500", "3000", "10.00", "0.0033"),
        ("power", "Power User", "7000", "1500", "8500", "25.00", "0.0029"),
    ];
    assert_eq!(p.packages.len(), 3);
    for (id, name, credits, bonus, total, price, per) in table {
        let pkg = p.package(id).unwrap();
        assert_eq!((pkg.name.as_str(), pkg.credits, pkg.bonus, pkg.price_usd), (name, cr(credits), cr(bonus), Usd::parse(price).unwrap()));
        let mut a = account();
        buy(&mut a, "x", id, 0);
        assert_eq!(balance(&mut a, 0), cr(total));
        let per_credit = pkg.price_usd.value() / cr(total).value();
        assert_eq!(per_credit.round_dp(4), Decimal::from_str_exact(per).unwrap().round_dp(4), "{id}");
    }
    // The same packages as the default catalog's.
    assert_eq!(Catalog::default_catalog().definition().packages.clone(), p.packages);
}

#[test]
fn true_recall_generating_flashcards_consumes_credits() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.generate", "8", false, false), 1).unwrap();
    assert_eq!(balance(&mut a, 1), cr("492"));
}

#[test]
fn true_recall_regenerating_flashcards_consumes_credits() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.regenerate", "3", false, false), 1).unwrap();
    assert_eq!(balance(&mut a, 1), cr("497"));
}

#[test]
fn true_recall_reviewing_and_manual_editing_and_other_features_cost_nothing() {
    let catalog = Catalog::default_catalog();
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    let before = a.entries().len();
    for op in ["flashcards.review", "flashcards.create", "flashcards.edit", "statistics", "browse"] {
        assert_eq!(catalog.operation(op).unwrap().charge, Charge::Free, "{op}");
        let c = a.charge(&charge(op, "5", true, false), 1).unwrap();
        assert_eq!((c.payer, c.credits, c.seq), (Payer::Free, Credits::ZERO, None));
    }
    assert_eq!(a.entries().len(), before);
    assert_eq!(balance(&mut a, 1), cr("500"));
}

#[test]
fn true_recall_own_api_key_costs_no_credits() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    let c = a.charge(&charge("flashcards.generate", "12", false, true), 1).unwrap();
    assert_eq!((c.payer, c.credits), (Payer::OwnKey, Credits::ZERO));
    assert_eq!(balance(&mut a, 1), cr("500"));
}

#[test]
fn true_recall_balance_is_shown_with_its_grants() {
    let mut a = account();
    buy(&mut a, "p1", "pro", 0);
    let v = a.balance(DAY).unwrap();
    assert_eq!((v.balance, v.available, v.held), (cr("3000"), cr("3000"), Credits::ZERO));
    let kinds: Vec<_> = v.grants.iter().map(|g| (g.grant.kind, g.grant.paid, g.refundable)).collect();
    assert_eq!(kinds, [(GrantKind::Purchase, true, true), (GrantKind::Bonus, false, true)]);
}

#[test]
fn true_recall_low_balance_notification() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.generate", "450", false, false), 1).unwrap();
    assert!(a.take_notices().is_empty(), "50 left is not below 10 % of the last top-up");
    a.charge(&charge("flashcards.generate", "1", false, false), 2).unwrap();
    let n = a.take_notices();
    assert!(matches!(n.as_slice(), [Notice::LowBalance { level, .. }] if *level == cr("50")), "{n:?}");
    a.charge(&charge("flashcards.generate", "1", false, false), 3).unwrap();
    assert!(a.take_notices().is_empty(), "once per crossing, not on every debit");
}

#[test]
fn true_recall_a_refunded_top_up_no_longer_sets_the_low_balance_level() {
    // Starter (500) then Pro (2,500 + 500 bonus): the level is 10 % of Pro's 3,000. Refunding
    // Pro leaves the same 300 credits; measured against the refunded top-up they would be
    // "low" (below 300) and the low-balance email would go out. The level is Starter's again.
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.generate", "200", false, false), 1).unwrap();
    buy(&mut a, "p2", "pro", 2);
    assert_eq!(a.state().last_top_up, cr("3000"));
    a.refund("p2", 3).unwrap();
    assert_eq!(balance(&mut a, 3), cr("300"));
    assert!(a.take_notices().is_empty(), "300 is not below 10 % of Starter's 500");
    assert_eq!(a.state().last_top_up, cr("500"));
    assert!(!a.balance(3).unwrap().low);
    assert_eq!(replay(a.policy(), a.entries()).unwrap(), *a.state());
    // The level is Starter's: it fires below 50.
    a.charge(&charge("flashcards.generate", "251", false, false), 4).unwrap();
    assert!(matches!(a.take_notices().as_slice(), [Notice::LowBalance { level, .. }] if *level == cr("50")));
    // Refunding every top-up leaves none: the percent level is zero.
    let mut b = account();
    buy(&mut b, "p1", "starter", 0);
    b.refund("p1", 1).unwrap();
    assert_eq!(b.state().last_top_up, Credits::ZERO);
}

#[test]
fn true_recall_credits_are_prepaid_and_predictable() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    let err = a.charge(&charge("flashcards.generate", "501", false, false), 1).unwrap_err();
    assert_eq!(err.code(), "INSUFFICIENT_CREDITS");
    assert_eq!(balance(&mut a, 1), cr("500"), "never goes below zero");
}

#[test]
fn true_recall_faq_do_credits_expire() {
    let mut a = account();
    buy(&mut a, "p1", "power", 0);
    a.advance(100 * YEAR).unwrap();
    assert_eq!(balance(&mut a, 100 * YEAR), cr("8500"));
    assert!(a.balance(100 * YEAR).unwrap().grants.iter().all(|g| g.status == GrantStatus::Active));
}

#[test]
fn true_recall_faq_unused_credits_refundable_within_14_days() {
    let mut a = account();
    buy(&mut a, "p1", "pro", 0);
    a.charge(&charge("flashcards.generate", "600", false, false), DAY).unwrap();
    let q = a.refund_quote("p1", 14 * DAY - 1).unwrap();
    assert!(q.eligible);
    assert_eq!((q.purchased, q.consumed, q.remaining), (cr("3000"), cr("600"), cr("2400")));
    assert_eq!(q.refund_usd, Usd::parse("8").unwrap(), "10 USD × 2400 / 3000");
    let done = a.refund("p1", 14 * DAY - 1).unwrap();
    assert_eq!(done.refund_usd, Usd::parse("8").unwrap());
    assert_eq!(balance(&mut a, 14 * DAY), Credits::ZERO);
}

#[test]
fn true_recall_refund_window_closes_at_14_days() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    let q = a.refund_quote("p1", 14 * DAY).unwrap();
    assert_eq!((q.eligible, q.refusal), (false, Some(RefundRefusal::WindowClosed)));
    let err = a.refund("p1", 14 * DAY).unwrap_err();
    assert_eq!(err.code(), "NOT_REFUNDABLE");
    assert!(!a.balance(14 * DAY).unwrap().grants[0].refundable);
}

#[test]
fn true_recall_refund_voids_the_bonus_and_never_touches_consumed_credits() {
    let mut a = account();
    buy(&mut a, "old", "starter", 0);
    buy(&mut a, "p1", "pro", DAY);
    // Draws p1's bonus (granted) first, then the oldest paid grant: 500 + 200.
    a.charge(&charge("flashcards.generate", "700", false, false), 2 * DAY).unwrap();
    let q = a.refund("p1", 3 * DAY).unwrap();
    assert_eq!(q.refund_usd, Usd::parse("8.33").unwrap(), "10 USD × 2500 / 3000, rounded down");
    let p1: Vec<_> = a.state().grants.iter().filter(|g| g.purchase_id.as_deref() == Some("p1")).cloned().collect();
    assert!(p1.iter().all(|g| g.remaining.is_zero() && g.is_conserved()));
    let consumed = p1.iter().fold(Credits::ZERO, |s, g| s.checked_add(g.consumed).unwrap());
    let voided = p1.iter().fold(Credits::ZERO, |s, g| s.checked_add(g.voided).unwrap());
    assert_eq!((consumed, voided), (cr("500"), cr("2500")), "what was left is voided; consumed untouched");
    assert_eq!(balance(&mut a, 3 * DAY), cr("300"), "the other purchase is untouched");
    assert_eq!(a.refund("p1", 3 * DAY).unwrap_err().code(), "NOT_REFUNDABLE", "once only");
    assert_eq!(a.refund_quote("nope", 3 * DAY).unwrap_err().code(), "NOT_FOUND");
}

#[test]
fn true_recall_refund_of_an_unused_purchase_voids_its_bonus_with_it() {
    let mut a = account();
    buy(&mut a, "p1", "power", 0);
    let q = a.refund("p1", DAY).unwrap();
    assert_eq!((q.remaining, q.refund_usd), (cr("8500"), Usd::parse("25").unwrap()));
    let bonus = a.state().grant("p1:bonus").unwrap();
    assert_eq!((bonus.voided, bonus.remaining), (cr("1500"), Credits::ZERO));
    let v = a.balance(DAY).unwrap();
    assert!(v.grants.iter().all(|g| g.status == GrantStatus::Voided && !g.refundable));
}

#[test]
fn true_recall_faq_running_out_prompts_purchase_or_own_key() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    match a.charge(&charge("flashcards.generate", "501", false, false), 1).unwrap_err() {
        LedgerError::InsufficientCredits { needed, available, remedies } => {
            assert_eq!((needed, available), (cr("501"), cr("500")));
            assert_eq!(remedies, [Remedy::BuyCredits, Remedy::UseOwnKey]);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn true_recall_faq_own_key_is_used_instead_of_credits() {
    let p = Policy::true_recall();
    assert_eq!(p.payer(false, true, true), Payer::OwnKey);
    assert_eq!(p.payer(false, false, true), Payer::Credits);
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    a.charge(&charge("flashcards.generate", "10", false, true), 1).unwrap();
    assert_eq!(balance(&mut a, 1), cr("500"));
}

#[test]
fn true_recall_faq_can_switch_between_credits_and_own_key() {
    let mut a = account();
    buy(&mut a, "p1", "starter", 0);
    let with_key = a.charge(&charge("flashcards.generate", "10", false, true), 1).unwrap();
    let without = a.charge(&charge("flashcards.generate", "10", false, false), 2).unwrap();
    let again = a.charge(&charge("flashcards.generate", "10", false, true), 3).unwrap();
    assert_eq!([with_key.payer, without.payer, again.payer], [Payer::OwnKey, Payer::Credits, Payer::OwnKey]);
    assert_eq!(balance(&mut a, 3), cr("490"));
}

#[test]
fn true_recall_policy_is_configuration() {
    let p = Policy::true_recall();
    let json = credit_meter_base::json::to_string(&p);
    assert_eq!(Policy::from_json(&json).unwrap(), p);
    assert!(json.contains(r#""windowMs":1209600000"#) && json.contains(r#""ownKeyAllowed":true"#), "{json}");
}
