//! Reserves and commits in an allowance's units through the reference ledger's push
//! (PROTOCOL §12): the allowance first, the shortfall converted at the policy's rate
//! (credits rounded up) and charged once — also when the push is retried — and a policy
//! that refuses a shortfall refuses the reserve with `INSUFFICIENT_ALLOWANCE`.

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::message::{Response, ResultStatus};
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::{SnapshotPayload, SnapshotSigner};

const NOW: i64 = 1_700_000_000_000;

fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn ledger(policy: &str) -> RefLedger {
    let mut l = RefLedger::new(SnapshotSigner::from_seed("k", &[7; 32]), LedgerConfig::default());
    let create = format!(r#"{{"op":"createAccount","accountId":"a","policy":{policy}}}"#);
    assert!(l.handle_admin(&create, NOW).contains("true"), "{create}");
    assert!(l.handle_admin(r#"{"op":"signup","accountId":"a"}"#, NOW).contains("true"));
    assert!(l.handle_admin(r#"{"op":"convert","accountId":"a","allowance":"ttsCharacters","credits":"10"}"#, NOW).contains("3000"));
    l
}

fn push(l: &mut RefLedger, mutations: &str) -> Response {
    let body = format!(r#"{{"v":2,"accountId":"a","deviceId":"d","mutations":[{mutations}]}}"#);
    credit_meter_base::json::from_str(&l.handle_push(&body, NOW)).unwrap()
}

fn payload(l: &mut RefLedger) -> SnapshotPayload {
    l.payload_for("a", "d", NOW).unwrap()
}

fn tts(p: &SnapshotPayload) -> (u64, u64) {
    let a = p.allowances.iter().find(|a| a.kind == "ttsCharacters").unwrap();
    (a.remaining.get(), a.held.get())
}

#[test]
fn usage_in_units_draws_the_allowance_then_converts_the_shortfall_once() {
    let mut l = ledger(r#""assistLore""#);
    let start = payload(&mut l);
    assert_eq!(start.balance, c("490"));
    assert_eq!(start.credit_step, Some(c("0.001")));
    let terms = start.allowances.iter().find(|a| a.kind == "ttsCharacters").unwrap();
    assert_eq!((terms.units_per_credit.map(|d| d.to_string()), terms.on_shortfall.as_deref()), (Some("300".into()), Some("convert")));

    // 93 characters within the allowance: set aside, then drawn; credits unchanged.
    let r = push(&mut l, r#"{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"120","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    let p = payload(&mut l);
    assert_eq!((tts(&p), p.held, p.holds[0].units.map(|u| u.get())), ((3_000, 120), Credits::ZERO, Some(120)));
    let r = push(&mut l, r#"{"type":"commit","seq":2,"at":0,"holdId":"d:h1","amount":"93","unit":"ttsCharacters"}"#);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(Credits::ZERO)));
    let p = payload(&mut l);
    assert_eq!((tts(&p), p.balance, p.holds.len()), ((2_907, 0), c("490"), 0));

    // 3,000 more: 2,907 from the allowance, 93 converted (0.31 credits), charged once.
    let reserve = r#"{"type":"reserve","seq":3,"at":0,"id":"r3","holdId":"d:h2","amount":"3000","operation":"tts","unit":"ttsCharacters"}"#;
    let r = push(&mut l, reserve);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    let p = payload(&mut l);
    assert_eq!((tts(&p), p.held), ((2_907, 2_907), c("0.31")));
    let commit = r#"{"type":"commit","seq":4,"at":0,"id":"c4","holdId":"d:h2","amount":"3000","unit":"ttsCharacters"}"#;
    let r = push(&mut l, commit);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(c("0.31"))));
    let after = payload(&mut l);
    assert_eq!((tts(&after), after.balance, after.held), ((0, 0), c("489.69"), Credits::ZERO));
    // The same push again (a retry after a lost response): duplicates, nothing charged.
    let r = push(&mut l, &[reserve, commit].join(","));
    assert!(r.results.iter().all(|r| r.status == ResultStatus::Duplicate), "{:?}", r.results);
    assert_eq!(payload(&mut l).balance, c("489.69"));
    // A commit in credits of a unit hold, or in units of a credit hold, is refused.
    let r = push(&mut l, r#"{"type":"reserve","seq":5,"at":0,"holdId":"d:h3","amount":"1","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    let r = push(&mut l, r#"{"type":"commit","seq":6,"at":0,"holdId":"d:h3","amount":"1"}"#);
    assert_eq!((r.results[0].status, r.results[0].code.as_deref()), (ResultStatus::Refused, Some("BAD_INPUT")));
    let r = push(&mut l, r#"{"type":"reserve","seq":7,"at":0,"holdId":"d:h4","amount":"1.5","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!((r.results[0].status, r.results[0].code.as_deref()), (ResultStatus::Refused, Some("BAD_INPUT")));
}

#[test]
fn a_policy_that_refuses_a_shortfall_refuses_the_reserve() {
    let mut policy = credit_meter_ledger_core::model::Policy::assist_lore();
    for a in &mut policy.allowances {
        a.on_shortfall = credit_meter_ledger_core::model::OnShortfall::Refuse;
    }
    let mut l = ledger(&credit_meter_base::json::to_string(&policy));
    let r = push(&mut l, r#"{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"3001","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!((r.results[0].status, r.results[0].code.as_deref()), (ResultStatus::Refused, Some("INSUFFICIENT_ALLOWANCE")));
    let r = push(&mut l, r#"{"type":"reserve","seq":2,"at":0,"holdId":"d:h2","amount":"3000","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    // Another reserve finds nothing free: the first one set the allowance aside.
    let r = push(&mut l, r#"{"type":"reserve","seq":3,"at":0,"holdId":"d:h3","amount":"1","operation":"tts","unit":"ttsCharacters"}"#);
    assert_eq!(r.results[0].code.as_deref(), Some("INSUFFICIENT_ALLOWANCE"));
    // Usage above the hold happened: the commit converts the excess anyway.
    let r = push(&mut l, r#"{"type":"commit","seq":4,"at":0,"holdId":"d:h2","amount":"3003","unit":"ttsCharacters"}"#);
    assert_eq!((r.results[0].status, r.results[0].charged), (ResultStatus::Applied, Some(c("0.01"))));
    assert_eq!(tts(&payload(&mut l)).0, 0);
}
