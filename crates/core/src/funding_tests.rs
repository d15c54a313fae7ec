use super::*;
use crate::estimate::{estimate, EstimateRequest};
use crate::money::Count;

fn cards_estimate(n: u64) -> Estimate {
    let r = EstimateRequest { operation: "flashcards.generate".into(), cards: Some(Count(n)), ..EstimateRequest::default() };
    estimate(&Catalog::default_catalog(), &r).unwrap()
}

fn decide_with(est: Estimate, byok: bool, balance: Option<&str>) -> Result<Decision, DecideError> {
    let req = DecideRequest { estimate: est, byok, balance: balance.map(|b| Credits::parse(b).unwrap()) };
    decide(&Catalog::default_catalog(), &req)
}

#[test]
fn own_key_pays_and_credits_are_never_charged() {
    let d = decide_with(cards_estimate(12), true, Some("0")).unwrap();
    assert_eq!(d.funding, Funding::Byok);
    assert!(d.reserve.is_zero() && d.proceed);
    let d = decide_with(cards_estimate(12), true, None).unwrap();
    assert_eq!(d.funding, Funding::Byok, "no balance needed with a key");
}

#[test]
fn free_operations_cost_nothing() {
    let est =
        estimate(&Catalog::default_catalog(), &EstimateRequest { operation: "flashcards.review".into(), ..Default::default() }).unwrap();
    let d = decide_with(est, false, None).unwrap();
    assert_eq!(d.funding, Funding::Free);
    assert!(d.reserve.is_zero());
}

#[test]
fn credits_pay_when_the_balance_covers_the_high_estimate() {
    let d = decide_with(cards_estimate(12), false, Some("12")).unwrap();
    assert_eq!(d.funding, Funding::Credits);
    assert_eq!(d.reserve.to_plain_string(), "12");
    assert!(d.proceed);
}

#[test]
fn insufficient_gives_shortfall_package_and_options() {
    let d = decide_with(cards_estimate(600), false, Some("99.5")).unwrap();
    assert_eq!(d.funding, Funding::Insufficient);
    assert!(!d.proceed);
    assert_eq!(d.shortfall.unwrap().to_plain_string(), "500.5");
    let p = d.package.unwrap();
    assert_eq!((p.package.id.as_str(), p.quantity), ("pro", 1));
    assert_eq!(d.options, vec![Remedy::BuyCredits, Remedy::UseOwnKey]);
    assert!(d.reason.contains("500.5") && d.reason.contains("Pro"), "{}", d.reason);
}

#[test]
fn exactly_the_high_estimate_is_enough_and_a_hair_less_is_not() {
    assert_eq!(decide_with(cards_estimate(5), false, Some("5")).unwrap().funding, Funding::Credits);
    let d = decide_with(cards_estimate(5), false, Some("4.999")).unwrap();
    assert_eq!(d.funding, Funding::Insufficient);
    assert_eq!(d.shortfall.unwrap().to_plain_string(), "0.001");
    assert_eq!(d.package.unwrap().package.id, "starter");
}

#[test]
fn operations_closed_to_keys_never_offer_byok() {
    let r = EstimateRequest { operation: "agent.activate".into(), ..Default::default() };
    let est = estimate(&Catalog::default_catalog(), &r).unwrap();
    let d = decide_with(est.clone(), true, Some("10")).unwrap();
    assert_eq!(d.funding, Funding::Insufficient);
    assert_eq!(d.options, vec![Remedy::BuyCredits]);
    let d = decide_with(est, true, Some("100")).unwrap();
    assert_eq!(d.funding, Funding::Credits);
    assert!(d.reason.contains("cannot use an own key"));
}

#[test]
fn nothing_to_send_means_no_call_and_no_charge() {
    let r = EstimateRequest { operation: "flashcards.generate".into(), note: Some("---\na: b\n---\n".into()), ..Default::default() };
    let est = estimate(&Catalog::default_catalog(), &r).unwrap();
    let d = decide_with(est, false, Some("0")).unwrap();
    assert!(!d.proceed);
    assert!(d.reserve.is_zero());
}

#[test]
fn missing_balance_and_forged_estimates_are_bad_input() {
    assert_eq!(decide_with(cards_estimate(1), false, None).unwrap_err().code(), "BAD_INPUT");
    let mut est = cards_estimate(3);
    est.credits.low = Credits::from_u64(9).unwrap();
    assert_eq!(decide_with(est, false, Some("100")).unwrap_err().code(), "BAD_INPUT");
    let mut est = cards_estimate(3);
    est.charge = "free".into();
    assert_eq!(decide_with(est, false, Some("100")).unwrap_err().code(), "BAD_INPUT");
    let mut est = cards_estimate(3);
    est.operation = "nope".into();
    assert_eq!(decide_with(est, false, Some("100")).unwrap_err().code(), "UNKNOWN_OPERATION");
}

#[test]
fn more_than_any_package_suggests_several_of_the_best_value() {
    let d = decide_with(cards_estimate(20_000), false, Some("0")).unwrap();
    let p = d.package.unwrap();
    assert_eq!((p.package.id.as_str(), p.quantity), ("power", 3));
}

#[test]
fn a_suggested_package_is_written_flat_with_the_old_nested_shape_kept() {
    let d = decide_with(cards_estimate(600), false, Some("99.5")).unwrap();
    let json = crate::json::to_string(&d);
    let value = crate::json::parse(&json).unwrap();
    let package = value.get("package").unwrap();
    let offer = d.package.as_ref().unwrap();
    assert_eq!(package.get("id").and_then(|v| v.as_str()), Some(offer.package.id.as_str()));
    assert_eq!(package.get("name").and_then(|v| v.as_str()), Some(offer.package.name.as_str()));
    assert_eq!(package.get("quantity"), Some(&crate::json::Value::from_u64(offer.quantity)));
    // Deprecated: the nested offer of earlier releases, for one release.
    let nested = package.get("package").unwrap();
    assert_eq!(nested.get("total").and_then(|v| v.as_str()), package.get("total").and_then(|v| v.as_str()));
}
