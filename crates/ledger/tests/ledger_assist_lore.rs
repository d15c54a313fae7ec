//! One test per rule sentence of AssistLore's "Credits: How They Are Used & Expiry
//! Policy" page (shared/seeds/003_edc1db9c12f66720.txt), under `Policy::assist_lore()`
//! (signup 500; plans free/starter/pro with 0/2000/10000 credits per cycle and 1/3/10
//! agents; agents 100 to activate + 200 per 30-day cycle; 1000 LLM tokens or 300 TTS
//! characters per credit). README.md ("Credit policies") maps each sentence to its API and test.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_ledger_core::model::*;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::money::{Count, Credits, Usd};

const DAY: i64 = 86_400_000;
const MONTH: i64 = 30 * DAY;

fn cr(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn signed_up() -> Account {
    let mut a = Account::new(Policy::assist_lore()).unwrap();
    a.grant_signup(0).unwrap();
    a
}

fn subscribe(a: &mut Account, plan: &str, starts_at: i64, ends_at: i64, now: i64) -> PlanChangeOutcome {
    a.change_plan(&PlanChangeRequest { plan_id: plan.into(), starts_at, ends_at, new_cycle: false }, now).unwrap()
}

fn use_units(kind: AllowanceKind, units: u64, agent: Option<&str>) -> AllowanceUseRequest {
    AllowanceUseRequest { allowance: kind, units: Count(units), operation: "message".into(), agent_id: agent.map(Into::into) }
}

fn balance(a: &mut Account, at: i64) -> Credits {
    a.balance(at).unwrap().balance
}

#[test]
fn assist_lore_single_internal_credit_system_pays_for_everything() {
    let mut a = signed_up();
    a.activate_agent("bot", 1).unwrap();
    a.use_allowance(&use_units(AllowanceKind::LlmTokens, 2_000, Some("bot")), 2).unwrap();
    a.use_allowance(&use_units(AllowanceKind::TtsCharacters, 600, Some("bot")), 3).unwrap();
    // 500 − (100 + 200) − 2 − 2, all from the same signup grant.
    assert_eq!(balance(&mut a, 4), cr("196"));
    assert!(a.state().grants.len() == 1 && a.state().grants[0].is_conserved());
}

#[test]
fn assist_lore_credits_assigned_at_signup_on_the_free_plan() {
    let mut a = signed_up();
    let v = a.balance(0).unwrap();
    assert_eq!(v.plan.as_deref(), Some("free"));
    assert_eq!(v.balance, cr("500"));
    assert_eq!(v.grants[0].grant.kind, GrantKind::Signup);
    assert!(!v.grants[0].grant.paid);
}

#[test]
fn assist_lore_credits_assigned_when_subscribing_to_a_paid_plan() {
    let mut a = signed_up();
    let out = subscribe(&mut a, "starter", DAY, DAY + MONTH, DAY);
    let g = out.cycle_grant.unwrap();
    assert_eq!((g.kind, g.amount, g.expires_at), (GrantKind::PlanCycle, cr("2000"), Some(DAY + MONTH)));
    assert_eq!(balance(&mut a, DAY), cr("2500"));
    // The next billing cycle grants the plan's credits again.
    a.start_cycle(&CycleRequest { starts_at: DAY + MONTH, ends_at: DAY + 2 * MONTH }, DAY + MONTH).unwrap();
    assert_eq!(balance(&mut a, DAY + MONTH), cr("2500"), "the first cycle's 2000 expired, the second's arrived");
}

#[test]
fn assist_lore_a_change_paid_as_a_new_period_grants_the_plans_full_credits() {
    // A billing system that bills an upgrade as a new period at the full price (Stripe with
    // `billing_cycle_anchor: now` and no proration, as the service does) says so with
    // `newCycle`: the running cycle is replaced, Pro's whole 10,000 are granted, and the
    // unexpired Starter credits are carried forward as on any upgrade.
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    let req = PlanChangeRequest { plan_id: "pro".into(), starts_at: DAY, ends_at: DAY + MONTH, new_cycle: true };
    let out = a.change_plan(&req, DAY).unwrap();
    assert_eq!(out.cycle_grant.unwrap().amount, cr("10000"));
    assert_eq!(out.carried, cr("2000"));
    assert_eq!(balance(&mut a, DAY), cr("12500"));
    let c = a.state().cycle.clone().unwrap();
    assert_eq!((c.starts_at, c.ends_at, c.granted), (DAY, DAY + MONTH, cr("10000")), "a new cycle, not the Starter one continued");
    // Within that cycle a change that is not a new period continues it: back to Starter
    // grants nothing (Pro's credits are this cycle's), and the entries replay.
    let back =
        a.change_plan(&PlanChangeRequest { plan_id: "starter".into(), starts_at: DAY, ends_at: DAY + MONTH, new_cycle: false }, 2 * DAY);
    assert!(back.unwrap().cycle_grant.is_none());
    assert_eq!(replay(a.policy(), a.entries()).unwrap(), *a.state());
}

#[test]
fn assist_lore_credits_assigned_when_upgrading_or_changing_plans() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    let out = subscribe(&mut a, "pro", DAY, DAY + MONTH, DAY);
    assert!(out.upgrade);
    // Mid-cycle the upgrade grants only what Pro has beyond the Starter credits already
    // granted in this cycle: 10000 − 2000.
    assert_eq!(out.cycle_grant.unwrap().amount, cr("8000"));
    assert_eq!(a.state().plan.as_deref(), Some("pro"));
    // With no cycle running (Starter's ended), changing plans opens a cycle with the full credits.
    let mut b = signed_up();
    subscribe(&mut b, "starter", 0, MONTH, 0);
    let out = subscribe(&mut b, "pro", MONTH, 2 * MONTH, MONTH);
    assert_eq!(out.cycle_grant.unwrap().amount, cr("10000"));
}

#[test]
fn assist_lore_plan_round_trips_never_mint_credits() {
    // The issue's report: Starter → Pro → Starter used to end at 14,189 credits after one
    // round trip and grow with every further one.
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    let mut now = DAY;
    for _ in 0..5 {
        subscribe(&mut a, "pro", now, now + MONTH, now);
        subscribe(&mut a, "starter", now + 1, now + 1 + MONTH, now + 1);
        now += DAY;
    }
    let plan_credits: Credits =
        a.state().grants.iter().filter(|g| g.kind == GrantKind::PlanCycle).fold(Credits::ZERO, |s, g| s.checked_add(g.amount).unwrap());
    assert_eq!(plan_credits, cr("10000"), "one cycle pays for its highest plan, Pro, once");
    assert_eq!(balance(&mut a, now), cr("10500"), "500 signup + 10000");
    assert_eq!(a.state().cycle.as_ref().unwrap().granted, cr("10000"));
    // Renewing inside the running cycle is refused; at its end the current plan renews.
    let end = a.state().cycle.as_ref().unwrap().ends_at;
    let err = a.start_cycle(&CycleRequest { starts_at: now, ends_at: now + MONTH }, now).unwrap_err();
    assert_eq!(err.code(), "BAD_INPUT");
    let g = a.start_cycle(&CycleRequest { starts_at: end, ends_at: end + MONTH }, end).unwrap().unwrap();
    assert_eq!((g.id.as_str(), g.amount), (format!("plan:starter:{end}").as_str(), cr("2000")));
}

#[test]
fn assist_lore_credits_are_consumed_based_on_usage() {
    let mut a = signed_up();
    a.use_allowance(&use_units(AllowanceKind::LlmTokens, 10_000, None), 1).unwrap();
    assert_eq!(balance(&mut a, 1), cr("490"));
    a.use_allowance(&use_units(AllowanceKind::LlmTokens, 100_000, None), 2).unwrap();
    assert_eq!(balance(&mut a, 2), cr("390"), "more usage, more credits; no fixed limit");
}

#[test]
fn assist_lore_agents_cost_credits_to_create_and_activate() {
    let mut a = signed_up();
    let agent = a.activate_agent("bot", 1).unwrap();
    assert_eq!((agent.status, agent.cycle_end, agent.fees), (AgentStatus::Active, 1 + MONTH, cr("300")));
    assert_eq!(balance(&mut a, 1), cr("200"));
    assert!(a.entries().iter().any(|e| e.kind.name() == "activation"));
    let mut poor = Account::new(Policy::assist_lore()).unwrap();
    assert_eq!(poor.activate_agent("bot", 0).unwrap_err().code(), "INSUFFICIENT_CREDITS");
    assert!(poor.state().agents.is_empty());
}

#[test]
fn assist_lore_number_of_agents_is_limited_by_plan() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    for id in ["a1", "a2", "a3"] {
        a.activate_agent(id, 1).unwrap();
    }
    match a.activate_agent("a4", 1).unwrap_err() {
        LedgerError::AgentLimit { limit } => assert_eq!(limit, 3),
        e => panic!("{e}"),
    }
    let mut free = signed_up();
    free.activate_agent("only", 1).unwrap();
    assert_eq!(free.activate_agent("second", 1).unwrap_err().code(), "AGENT_LIMIT", "the free plan allows one");
}

#[test]
fn assist_lore_each_agent_requires_credits_to_remain_active() {
    let mut a = signed_up(); // 500
    a.activate_agent("bot", 0).unwrap(); // 200 left
    a.advance(MONTH).unwrap(); // renews: 0 left
    assert_eq!(a.state().agent("bot").unwrap().cycle_end, 2 * MONTH);
    assert_eq!(balance(&mut a, MONTH), Credits::ZERO);
    a.advance(2 * MONTH).unwrap(); // cannot pay
    let bot = a.state().agent("bot").unwrap().clone();
    assert_eq!((bot.status, bot.deactivated_at), (AgentStatus::Inactive, Some(2 * MONTH)));
    assert!(a.take_notices().iter().any(|n| matches!(n, Notice::AgentDeactivated { agent_id, .. } if agent_id == "bot")));
    let err = a.use_allowance(&use_units(AllowanceKind::LlmTokens, 1, Some("bot")), 2 * MONTH).unwrap_err();
    assert_eq!(err.code(), "AGENT_INACTIVE");
    subscribe(&mut a, "starter", 2 * MONTH, 3 * MONTH, 2 * MONTH);
    assert_eq!(a.activate_agent("bot", 2 * MONTH).unwrap().status, AgentStatus::Active, "paying again reactivates");
}

#[test]
fn assist_lore_inactive_agent_usage_is_refused_on_every_path() {
    let mut a = signed_up(); // 500
    a.activate_agent("bot", 0).unwrap(); // 200 left
    a.advance(MONTH).unwrap(); // renews: 0 left
    a.grant(&GrantRequest { id: "promo".into(), kind: GrantKind::Promotion, amount: cr("50"), expires_at: None, priority: None }, MONTH)
        .unwrap();
    a.advance(2 * MONTH).unwrap(); // 50 cannot pay the 200 cycle: inactive
    assert_eq!(a.state().agent("bot").unwrap().status, AgentStatus::Inactive);
    let now = 2 * MONTH;
    let hold =
        HoldRequest { hold_id: "h".into(), amount: cr("1"), operation: "message".into(), agent_id: Some("bot".into()), expires_at: None };
    let debit = DebitRequest { amount: cr("1"), operation: "message".into(), agent_id: Some("bot".into()) };
    let codes = [
        a.reserve(&hold, now).unwrap_err().code(),
        a.debit(&debit, now).unwrap_err().code(),
        a.use_allowance(&use_units(AllowanceKind::TtsCharacters, 1, Some("bot")), now).unwrap_err().code(),
        a.reserve(&HoldRequest { agent_id: Some("ghost".into()), ..hold.clone() }, now).unwrap_err().code(),
    ];
    assert!(codes.iter().all(|c| c.as_str() == "AGENT_INACTIVE"), "{codes:?}");
    assert_eq!(balance(&mut a, now), cr("50"), "nothing was drawn");
    a.reserve(&HoldRequest { agent_id: None, ..hold }, now).unwrap(); // the account itself may still spend
}

#[test]
fn assist_lore_llm_tokens_are_normalised_into_credits() {
    let mut a = signed_up();
    let out = a.use_allowance(&use_units(AllowanceKind::LlmTokens, 2_501, None), 1).unwrap();
    assert_eq!((out.credits_converted, out.units_added, out.units_used, out.remaining), (cr("2.501"), 2_501, 2_501, 0));
    assert_eq!(balance(&mut a, 1), cr("497.499"));
    let kinds: Vec<_> = a.entries().iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["grant", "conversion", "allowanceUse"]);
}

#[test]
fn assist_lore_tts_consumes_characters_from_the_converted_allowance() {
    let mut a = signed_up();
    let c = a.convert(&ConvertRequest { allowance: AllowanceKind::TtsCharacters, credits: cr("10") }, 1).unwrap();
    assert_eq!(c.units_added, 3_000);
    assert_eq!(balance(&mut a, 1), cr("490"));
    let u = a.use_allowance(&use_units(AllowanceKind::TtsCharacters, 1_200, None), 2).unwrap();
    assert_eq!((u.credits_converted, u.remaining), (Credits::ZERO, 1_800));
    assert_eq!(balance(&mut a, 2), cr("490"), "audio draws characters, not credits, while the allowance lasts");
    let mut strict = Policy::assist_lore();
    strict.allowances[1].on_shortfall = OnShortfall::Refuse;
    let mut s = Account::new(strict).unwrap();
    s.grant_signup(0).unwrap();
    let err = s.use_allowance(&use_units(AllowanceKind::TtsCharacters, 1, None), 1).unwrap_err();
    assert_eq!(err.code(), "INSUFFICIENT_ALLOWANCE");
}

#[test]
fn assist_lore_agent_subscriptions_have_their_own_cycles_and_usage() {
    let mut a = signed_up();
    subscribe(&mut a, "pro", 0, MONTH, 0);
    a.activate_agent("early", DAY).unwrap();
    a.activate_agent("late", 10 * DAY).unwrap();
    a.use_allowance(&use_units(AllowanceKind::LlmTokens, 5_000, Some("early")), 11 * DAY).unwrap();
    a.use_allowance(&use_units(AllowanceKind::TtsCharacters, 300, Some("late")), 11 * DAY).unwrap();
    a.debit(&DebitRequest { amount: cr("7"), operation: "custom".into(), agent_id: Some("late".into()) }, 11 * DAY).unwrap();
    a.advance(DAY + MONTH).unwrap(); // "early" renews; "late" does not yet
    let early = a.state().agent("early").unwrap().clone();
    let late = a.state().agent("late").unwrap().clone();
    assert_eq!((early.cycle_start, early.cycle_llm_tokens), (DAY + MONTH, 0), "usage resets with its own cycle");
    assert_eq!((late.cycle_end, late.cycle_tts_characters, late.cycle_credits), (10 * DAY + MONTH, 300, cr("7")));
    let renewals: Vec<_> = a.entries().iter().filter(|e| e.kind.name() == "renewal").map(|e| e.at).collect();
    assert_eq!(renewals, [DAY + MONTH], "independent of the account's plan cycle (which ended at {MONTH})");
}

#[test]
fn assist_lore_monthly_plan_credits_expire_when_the_cycle_ends() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    assert_eq!(balance(&mut a, MONTH - 1), cr("2500"));
    assert_eq!(balance(&mut a, MONTH), cr("500"), "plan credits unusable at the cycle's end instant");
    let g = a.state().grant("plan:starter:0").unwrap();
    assert_eq!((g.expired, g.remaining), (cr("2000"), Credits::ZERO));
}

#[test]
fn assist_lore_upgrade_before_expiry_carries_remaining_credits_forward() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    a.debit(&DebitRequest { amount: cr("500"), operation: "message".into(), agent_id: None }, DAY).unwrap();
    let out = subscribe(&mut a, "pro", 10 * DAY, 10 * DAY + MONTH, 10 * DAY);
    assert_eq!(out.carried, cr("1500"));
    let cf = out.carried_grant.unwrap();
    assert_eq!((cf.kind, cf.expires_at), (GrantKind::CarriedForward, Some(10 * DAY + MONTH)));
    assert_eq!(out.cycle_grant.unwrap().amount, cr("8000"), "Pro's 10000 less the 2000 Starter granted this cycle");
    assert_eq!(balance(&mut a, 10 * DAY), cr("10000"), "500 signup + 1500 carried + 8000 pro");
    assert_eq!(balance(&mut a, MONTH), cr("10000"), "nothing lost at the old cycle's end");
    let old = a.state().grant("plan:starter:0").unwrap();
    assert_eq!((old.consumed, old.carried, old.remaining), (cr("500"), cr("1500"), Credits::ZERO));
    assert_eq!(balance(&mut a, 10 * DAY + MONTH), cr("500"), "carried credits end with the new cycle");
}

#[test]
fn assist_lore_downgrade_does_not_carry_but_keeps_credits_until_their_expiry() {
    let mut a = signed_up();
    subscribe(&mut a, "pro", 0, MONTH, 0);
    let out = subscribe(&mut a, "starter", DAY, DAY + MONTH, DAY);
    assert!(!out.upgrade && out.carried.is_zero());
    assert!(out.cycle_grant.is_none(), "a downgrade grants nothing in a cycle already paid at Pro");
    assert_eq!(balance(&mut a, DAY), cr("10500"));
    assert_eq!(balance(&mut a, MONTH), cr("500"), "the pro credits expire at their own cycle's end");
    // Starter's credits come with the next renewal, at the end of the (moved) cycle.
    let g = a.start_cycle(&CycleRequest { starts_at: DAY + MONTH, ends_at: DAY + 2 * MONTH }, DAY + MONTH).unwrap();
    assert_eq!(g.unwrap().amount, cr("2000"));
    assert_eq!(balance(&mut a, DAY + MONTH), cr("2500"));
}

#[test]
fn assist_lore_free_plan_credits_are_granted_once_and_do_not_renew() {
    let mut a = signed_up();
    assert_eq!(a.grant_signup(1).unwrap_err().code(), "ALREADY_GRANTED");
    a.activate_agent("bot", 1).unwrap();
    a.advance(24 * MONTH).unwrap();
    let signups = a.state().grants.iter().filter(|g| g.kind == GrantKind::Signup).count();
    assert_eq!(signups, 1);
    assert!(a.state().grants.iter().all(|g| g.expires_at.is_none()), "the free grant itself never expires");
    // Replaying or restoring the account does not grant it again either.
    let mut restored = Account::from_entries(Policy::assist_lore(), a.entries().to_vec()).unwrap();
    assert_eq!(restored.grant_signup(24 * MONTH).unwrap_err().code(), "ALREADY_GRANTED");
}

#[test]
fn assist_lore_converted_allowances_never_expire() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    a.convert(&ConvertRequest { allowance: AllowanceKind::LlmTokens, credits: cr("1000") }, 1).unwrap();
    a.convert(&ConvertRequest { allowance: AllowanceKind::TtsCharacters, credits: cr("100") }, 1).unwrap();
    a.advance(120 * MONTH).unwrap();
    let v = a.balance(120 * MONTH).unwrap();
    let units: Vec<_> = v.allowances.iter().map(|x| (x.kind, x.remaining)).collect();
    assert_eq!(units, [(AllowanceKind::LlmTokens, 1_000_000), (AllowanceKind::TtsCharacters, 30_000)]);
    let u = a.use_allowance(&use_units(AllowanceKind::LlmTokens, 999_999, None), 120 * MONTH).unwrap();
    assert_eq!((u.credits_converted, u.remaining), (Credits::ZERO, 1), "usable until consumed");
}

#[test]
fn assist_lore_credits_cannot_be_transferred_between_accounts() {
    let mut a = signed_up();
    let mut b = signed_up();
    let err = a.transfer(&mut b, "acct-b", "t1", cr("10"), 1).unwrap_err();
    assert_eq!(err.code(), "TRANSFER_FORBIDDEN");
    assert_eq!((balance(&mut a, 1), balance(&mut b, 1)), (cr("500"), cr("500")));
    // Transfers are a policy switch, not code: with it on, the same call moves credits.
    let mut p = Policy::assist_lore();
    p.transfers_allowed = true;
    let (mut x, mut y) = (Account::new(p.clone()).unwrap(), Account::new(p).unwrap());
    x.grant_signup(0).unwrap();
    x.transfer(&mut y, "acct-y", "t1", cr("10"), 1).unwrap();
    assert_eq!((balance(&mut x, 1), balance(&mut y, 1)), (cr("490"), cr("10")));
}

#[test]
fn assist_lore_credits_cannot_be_withdrawn_or_refunded() {
    let mut a = signed_up();
    subscribe(&mut a, "starter", 0, MONTH, 0);
    for id in ["signup", "plan:starter:0", "anything"] {
        let q = a.refund_quote(id, 1).unwrap();
        assert_eq!((q.eligible, q.refusal), (false, Some(RefundRefusal::PolicyForbids)));
        let err = a.refund(id, 1).unwrap_err();
        assert_eq!(err.code(), "NOT_REFUNDABLE");
    }
    assert!(a.balance(1).unwrap().grants.iter().all(|g| !g.refundable));
}

#[test]
fn assist_lore_credits_have_no_value_outside_the_platform() {
    let mut a = signed_up();
    subscribe(&mut a, "pro", 0, MONTH, 0);
    let v = a.balance(1).unwrap();
    assert!(v.grants.iter().all(|g| g.grant.price_usd.is_none() && !g.grant.paid && g.grant.refundable_until.is_none()));
    assert_eq!(a.refund_quote("signup", 1).unwrap().refund_usd, Usd::ZERO);
    assert!(a.policy().packages.is_empty(), "credits come only from signup and plans");
}

#[test]
fn assist_lore_no_own_api_key_credits_are_the_only_way_to_pay() {
    let p = Policy::assist_lore();
    assert!(!p.own_key_usable(true, true));
    assert_eq!(p.payer(false, true, true), Payer::Credits);
    let mut a = signed_up();
    let c = a
        .charge(
            &ChargeRequest {
                operation: "message".into(),
                credits: cr("3"),
                free: false,
                own_key: true,
                operation_allows_own_key: true,
                agent_id: None,
            },
            1,
        )
        .unwrap();
    assert_eq!((c.payer, c.credits), (Payer::Credits, cr("3")));
    match a.debit(&DebitRequest { amount: cr("1000"), operation: "message".into(), agent_id: None }, 2).unwrap_err() {
        LedgerError::InsufficientCredits { remedies, .. } => assert_eq!(remedies, [Remedy::ChangePlan], "never offers an own key"),
        e => panic!("{e}"),
    }
}

#[test]
fn assist_lore_policy_is_configuration() {
    let p = Policy::assist_lore();
    // Pretty-printed (by serde_json, the test oracle) to read it back with whitespace.
    let compact: serde_json::Value = serde_json::from_str(&credit_meter_base::json::to_string(&p)).unwrap();
    let json = serde_json::to_string_pretty(&compact).unwrap();
    assert_eq!(Policy::from_json(&json).unwrap(), p);
    assert!(json.contains(r#""unitsPerCredit": "1000""#) && json.contains(r#""on": "upgrade""#), "{json}");
}
