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

/// The order and codes PROTOCOL §6.8 and §12.3–12.4 give for defects of `unit`, each
/// checked on a fresh account so that one case cannot hide another.
#[test]
fn unit_defects_get_the_codes_and_order_the_protocol_names() {
    let refusal = |mutations: &str| {
        let mut l = ledger(r#""assistLore""#);
        let r = push(&mut l, mutations);
        if let Some(e) = r.error {
            return vec![format!("error {}", e.code)];
        }
        r.results.iter().map(|x| format!("{:?} {}", x.status, x.code.as_deref().unwrap_or("-"))).collect::<Vec<_>>()
    };
    let reserve = |extra: &str| format!(r#"{{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"5","operation":"tts"{extra}}}"#);
    // Not a string: the whole push; null: as if absent (a credit reserve).
    assert_eq!(refusal(&reserve(r#","unit":5"#)), ["error BAD_REQUEST"]);
    assert_eq!(refusal(&reserve(r#","unit":null"#)), ["Applied -"]);
    // An unknown unit is BAD_INPUT, and it comes before the agent check.
    assert_eq!(refusal(&reserve(r#","unit":"seconds","agentId":"nobody""#)), ["Refused BAD_INPUT"]);
    assert_eq!(refusal(&reserve(r#","unit":"ttsCharacters","agentId":"nobody""#)), ["Refused AGENT_INACTIVE"]);
    // A unit commit's unit and amount are judged before its hold is looked up.
    let commit = |hold: &str, extra: &str| format!(r#"{{"type":"commit","seq":2,"at":0,"holdId":"{hold}","amount":"5"{extra}}}"#);
    let ok = reserve(r#","unit":"ttsCharacters""#);
    assert_eq!(refusal(&[ok.clone(), commit("d:zz", r#","unit":"seconds""#)].join(",")), ["Applied -", "Refused BAD_INPUT"]);
    assert_eq!(refusal(&[ok.clone(), commit("d:zz", r#","unit":"ttsCharacters""#)].join(",")), ["Applied -", "Refused NOT_FOUND"]);
    // The hold's unit, or none for a credit hold, must match.
    assert_eq!(refusal(&[ok.clone(), commit("d:h1", r#","unit":"llmTokens""#)].join(",")), ["Applied -", "Refused BAD_INPUT"]);
    assert_eq!(refusal(&[ok.clone(), commit("d:h1", "")].join(",")), ["Applied -", "Refused BAD_INPUT"]);
    assert_eq!(refusal(&[reserve(""), commit("d:h1", r#","unit":"ttsCharacters""#)].join(",")), ["Applied -", "Refused BAD_INPUT"]);
    // A unit on a release is an unknown member: ignored.
    let release = r#"{"type":"release","seq":2,"at":0,"holdId":"d:h1","unit":"seconds"}"#;
    assert_eq!(refusal(&[ok.clone(), release.to_string()].join(",")), ["Applied -", "Applied -"]);
    // A commit without unit of a closed unit hold is still BAD_INPUT; with its unit, NOT_FOUND.
    let closed = [ok.clone(), commit("d:h1", r#","unit":"ttsCharacters""#)].join(",");
    let again = |extra: &str| format!(r#"{{"type":"commit","seq":3,"at":0,"holdId":"d:h1","amount":"6"{extra}}}"#);
    assert_eq!(refusal(&[closed.clone(), again("")].join(",")), ["Applied -", "Applied -", "Refused BAD_INPUT"]);
    assert_eq!(refusal(&[closed, again(r#","unit":"ttsCharacters""#)].join(",")), ["Applied -", "Applied -", "Refused NOT_FOUND"]);
}

/// A reserve's `operation` and `agentId` have at most 200 bytes (PROTOCOL §1, §6.8): longer
/// ones are refused `BAD_INPUT` before anything is kept, not stored in the hold (or in the
/// refused reserves an account without credits remembers) and answered in every state.
#[test]
fn a_reserve_with_an_operation_or_agent_over_200_bytes_is_refused_and_not_kept() {
    let outcome = |operation: &str, agent: Option<&str>, amount: &str| {
        let mut l = ledger(r#""assistLore""#);
        let agent = agent.map(|a| format!(r#","agentId":"{a}""#)).unwrap_or_default();
        let r = push(
            &mut l,
            &format!(r#"{{"type":"reserve","seq":1,"at":0,"holdId":"d:h1","amount":"{amount}","operation":"{operation}"{agent}}}"#),
        );
        let result = r.results.first().map(|x| format!("{:?} {}", x.status, x.code.as_deref().unwrap_or("-")));
        (result.unwrap_or_default(), payload(&mut l).holds.len())
    };
    let fits = "o".repeat(200);
    let over = "o".repeat(201);
    assert_eq!(outcome(&fits, None, "5"), ("Applied -".to_string(), 1));
    assert_eq!(outcome(&over, None, "5"), ("Refused BAD_INPUT".to_string(), 0));
    // Multi-byte characters count in bytes: 67 three-byte characters are 201 bytes.
    assert_eq!(outcome(&"€".repeat(67), None, "5"), ("Refused BAD_INPUT".to_string(), 0));
    assert_eq!(outcome("", None, "5"), ("Applied -".to_string(), 1), "an empty operation is not checked");
    assert_eq!(outcome("tts", Some(&over), "5"), ("Refused BAD_INPUT".to_string(), 0));
    // Judged before the agent is looked up, and before the balance: a reserve the account
    // could not pay is refused BAD_INPUT too, so no refused reserve keeps the operation.
    assert_eq!(outcome("tts", Some(&fits), "5").0, "Refused AGENT_INACTIVE");
    assert_eq!(outcome(&over, None, "1000000").0, "Refused BAD_INPUT");
    assert_eq!(outcome(&fits, None, "1000000").0, "Refused INSUFFICIENT_CREDITS");
}
