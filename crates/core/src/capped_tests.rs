use super::*;
use crate::estimate::{estimate, EstimateRequest};
use crate::funding::{decide, DecideRequest, Funding};
use crate::money::Count;

fn cat() -> Catalog {
    Catalog::default_catalog()
}

fn credits(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn decide_on(req: &EstimateRequest, balance: &str) -> crate::funding::Decision {
    let est = estimate(&cat(), req).unwrap();
    decide(&cat(), &DecideRequest { estimate: est, byok: false, balance: Some(credits(balance)) }).unwrap()
}

fn glossary(terms: usize) -> String {
    let mut note = String::from("# Glossary\n\n");
    for i in 1..=terms {
        note.push_str(&format!("- Term {i}: the definition of term number {i}, in one sentence.\n"));
    }
    note
}

#[test]
fn largest_fitting_finds_the_boundary() {
    assert_eq!(largest_fitting(0, |_| Ok(true)).unwrap(), None, "nothing below 0");
    assert_eq!(largest_fitting(10, |_| Ok(false)).unwrap(), None);
    assert_eq!(largest_fitting(10, |_| Ok(true)).unwrap(), Some(9), "below the limit only");
    assert_eq!(largest_fitting(1, |n| Ok(n == 0)).unwrap(), Some(0));
    for edge in 0..40 {
        assert_eq!(largest_fitting(40, |n| Ok(n <= edge)).unwrap(), Some(edge));
    }
    assert_eq!(largest_fitting(u64::MAX, |n| Ok(n <= 1 << 52)).unwrap(), Some(1 << 52));
}

#[test]
fn a_note_too_big_for_the_balance_offers_the_cards_that_fit_and_they_are_honoured() {
    let req = EstimateRequest { operation: "flashcards.generate".into(), note: Some(glossary(60)), ..Default::default() };
    let whole = estimate(&cat(), &req).unwrap();
    // Enough for the expected number of cards, not for the high estimate.
    let balance = whole.credits.expected.to_plain_string();
    assert!(whole.credits.expected < whole.credits.high);
    let d = decide_on(&req, &balance);
    assert_eq!(d.funding, Funding::Insufficient);
    let cap = d.capped.expect("a capped option");
    let n = cap.cards.unwrap();
    assert_eq!(cap.max_output_tokens, None);
    assert_eq!(n, whole.cards.unwrap().expected, "one credit a card: as many cards as credits");
    assert_eq!(cap.reserve, credits(&balance));
    assert!(d.reason.contains(&format!("up to {n} cards")), "{}", d.reason);
    // Honoured: the same note capped at n cards is funded by credits, reserving the offer.
    let capped = decide_on(&EstimateRequest { cards: Some(Count(n)), ..req.clone() }, &balance);
    assert_eq!(capped.funding, Funding::Credits);
    assert!(capped.proceed);
    assert_eq!(capped.reserve, cap.reserve);
    // And it is the largest: one more card does not fit.
    let more = decide_on(&EstimateRequest { cards: Some(Count(n + 1)), ..req }, &balance);
    assert_eq!(more.funding, Funding::Insufficient);
}

#[test]
fn fractional_balances_round_down_to_whole_cards() {
    let req = EstimateRequest { operation: "flashcards.generate".into(), cards: Some(Count(600)), ..Default::default() };
    let cap = decide_on(&req, "99.5").capped.unwrap();
    assert_eq!((cap.cards, cap.reserve.to_plain_string()), (Some(99), "99".to_string()));
    assert_eq!(decide_on(&req, "0.999").capped, None, "not even one card: no capped option");
    assert_eq!(decide_on(&req, "1").capped.unwrap().cards, Some(1));
}

#[test]
fn a_message_too_long_for_the_balance_offers_a_shorter_reply_and_it_is_honoured() {
    let req =
        EstimateRequest { operation: "message".into(), text: Some("Draft a reply to the oldest ticket.".into()), ..Default::default() };
    let whole = estimate(&cat(), &req).unwrap();
    // At the catalog's 1,000 tokens per credit, 0.1 credit buys about 90 reply tokens.
    for balance in ["1", "0.1"] {
        assert!(credits(balance) < whole.credits.high);
        let d = decide_on(&req, balance);
        assert_eq!(d.funding, Funding::Insufficient);
        let cap = d.capped.expect("a capped option");
        let m = cap.max_output_tokens.unwrap();
        assert!((MIN_CAPPED_OUTPUT_TOKENS..whole.output_tokens.high).contains(&m), "{m}");
        assert!(cap.reserve <= credits(balance) && cap.expected <= cap.reserve);
        let capped_req = EstimateRequest { max_output_tokens: Some(Count(m)), ..req.clone() };
        let capped = decide_on(&capped_req, balance);
        assert_eq!(capped.funding, Funding::Credits, "{balance}: {}", capped.reason);
        assert_eq!((capped.reserve, capped.expected), (cap.reserve, cap.expected));
        let longer = decide_on(&EstimateRequest { max_output_tokens: Some(Count(m + 1)), ..req.clone() }, balance);
        assert_eq!(longer.funding, Funding::Insufficient, "{balance}: the largest reply that fits");
    }
    // Below the typical reply length, the capped estimate expects the capped length.
    let m = decide_on(&req, "0.1").capped.unwrap().max_output_tokens.unwrap();
    assert!(m < whole.output_tokens.expected);
    let capped = estimate(&cat(), &EstimateRequest { max_output_tokens: Some(Count(m)), ..req.clone() }).unwrap();
    assert_eq!((capped.output_tokens.expected, capped.output_tokens.high), (m, m));
    // Too little for a useful reply: no capped option.
    assert_eq!(decide_on(&req, "0.05").capped, None);
}

#[test]
fn charges_that_cannot_be_capped_offer_nothing_smaller() {
    let tts = EstimateRequest { operation: "tts".into(), text: Some("a".repeat(10_000)), ..Default::default() };
    let d = decide_on(&tts, "1");
    assert_eq!((d.funding, d.capped), (Funding::Insufficient, None));
    let flat = EstimateRequest { operation: "agent.activate".into(), ..Default::default() };
    assert_eq!(decide_on(&flat, "99").capped, None);
}

#[test]
fn a_covered_call_has_no_capped_option() {
    let req = EstimateRequest { operation: "flashcards.generate".into(), cards: Some(Count(5)), ..Default::default() };
    let d = decide_on(&req, "5");
    assert_eq!((d.funding, d.capped), (Funding::Credits, None));
}
