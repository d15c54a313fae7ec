//! Property tests of the ledger: conservation, no negative grant, replay, a total and
//! deterministic consumption order, time splitting, expiry at the boundary instant, and
//! previews matching debits — over random command sequences under both presets and a
//! mixed policy that switches every feature on.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_ledger_core::model::*;
use credit_meter_protocol::money::{Count, Credits};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::cmp::Ordering;

const DAY: i64 = 86_400_000;

fn millis(m: u64) -> Credits {
    Credits::new(Decimal::new(m as i64, 3)).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Wait(i64),
    Buy(usize),
    Promo { millis: u64, ttl: Option<i64>, priority: i32 },
    Signup,
    Debit(u64),
    Reserve { millis: u64, ttl: Option<i64>, agent: Option<usize> },
    Commit { hold: usize, percent: u64 },
    Release(usize),
    Refund(usize),
    Convert { tts: bool, millis: u64 },
    Use { tts: bool, units: u64, agent: Option<usize> },
    Activate(usize),
    ChangePlan { plan: usize, len: i64 },
    StartCycle { len: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..40 * DAY).prop_map(Op::Wait),
        1 => (0..3usize).prop_map(Op::Buy),
        2 => (1..400_000u64, proptest::option::of(1..60 * DAY), -1..2i32).prop_map(|(millis, ttl, priority)| Op::Promo { millis, ttl, priority }),
        1 => Just(Op::Signup),
        4 => (1..300_000u64).prop_map(Op::Debit),
        // Holds may be placed for an agent and outlive its cycle (its commit is then refused).
        2 => (1..200_000u64, proptest::option::of(1..40 * DAY), proptest::option::of(0..3usize))
            .prop_map(|(millis, ttl, agent)| Op::Reserve { millis, ttl, agent }),
        2 => (0..4usize, 0..=100u64).prop_map(|(hold, percent)| Op::Commit { hold, percent }),
        1 => (0..4usize).prop_map(Op::Release),
        1 => (0..3usize).prop_map(Op::Refund),
        1 => (any::<bool>(), 1..50_000u64).prop_map(|(tts, millis)| Op::Convert { tts, millis }),
        2 => (any::<bool>(), 0..200_000u64, proptest::option::of(0..3usize)).prop_map(|(tts, units, agent)| Op::Use { tts, units, agent }),
        1 => (0..3usize).prop_map(Op::Activate),
        1 => (0..3usize, 1..40 * DAY).prop_map(|(plan, len)| Op::ChangePlan { plan, len }),
        1 => (1..40 * DAY).prop_map(|len| Op::StartCycle { len }),
    ]
}

/// Histories around agents' holds: holds placed for agents that may lapse before the
/// holds are committed (a commit is then refused after its debit changed the hold and
/// drew credits, so everything it changed must be undone).
fn agent_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..20 * DAY).prop_map(Op::Wait),
        2 => (1..300_000u64, proptest::option::of(1..60 * DAY), -1..2i32).prop_map(|(millis, ttl, priority)| Op::Promo { millis, ttl, priority }),
        1 => (1..300_000u64).prop_map(Op::Debit),
        2 => (0..2usize).prop_map(Op::Activate),
        3 => (1..50_000u64, 1..60 * DAY, 0..2usize).prop_map(|(millis, ttl, agent)| Op::Reserve { millis, ttl: Some(ttl), agent: Some(agent) }),
        3 => (0..4usize, 0..=100u64).prop_map(|(hold, percent)| Op::Commit { hold, percent }),
        1 => (0..4usize).prop_map(Op::Release),
    ]
}

fn mixed_policy() -> Policy {
    let tr = Policy::true_recall();
    let mut p = Policy::assist_lore();
    p.name = "mixed".into();
    p.packages = tr.packages;
    p.refunds = tr.refunds;
    p.own_key_allowed = true;
    p.low_balance = vec![Threshold::Absolute { credits: millis(50_000) }, Threshold::PercentOfLastTopUp { percent: Decimal::TEN }];
    p.priorities.promotion = 1;
    p.carry_forward.on = CarryOn::AnyChange;
    p.agents.as_mut().unwrap().cycle_ms = 7 * DAY;
    p
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::true_recall()), Just(Policy::assist_lore()), Just(mixed_policy())]
}

/// Applies one op at `*t` (advancing `*t` for waits); refused commands are fine. Returns
/// whether the command was refused.
fn run(a: &mut Account, op: &Op, t: &mut i64, n: usize) -> bool {
    let now = *t;
    let hold_id = |i: usize| format!("h{i}");
    let outcome = match op {
        Op::Wait(dt) => {
            *t += dt;
            a.advance(*t).map(|_| ())
        }
        Op::Buy(i) => {
            let pkgs = a.policy().packages.clone();
            match pkgs.get(*i) {
                Some(p) => a.purchase(&PurchaseRequest { purchase_id: format!("p{n}"), package_id: p.id.clone() }, now).map(|_| ()),
                None => Ok(()),
            }
        }
        Op::Promo { millis: m, ttl, priority } => a
            .grant(
                &GrantRequest {
                    id: format!("g{n}"),
                    kind: GrantKind::Promotion,
                    amount: millis(*m),
                    expires_at: ttl.map(|d| now + d),
                    priority: Some(*priority),
                },
                now,
            )
            .map(|_| ()),
        Op::Signup => a.grant_signup(now).map(|_| ()),
        Op::Debit(m) => a.debit(&DebitRequest { amount: millis(*m), operation: "op".into(), agent_id: None }, now).map(|_| ()),
        Op::Reserve { millis: m, ttl, agent } => a
            .reserve(
                &HoldRequest {
                    hold_id: hold_id(n % 4),
                    amount: millis(*m),
                    operation: "op".into(),
                    agent_id: agent.map(|i| format!("a{i}")),
                    expires_at: ttl.map(|d| now + d),
                },
                now,
            )
            .map(|_| ()),
        Op::Commit { hold, percent } => {
            let held = a.state().hold(&hold_id(*hold)).map(|h| h.amount).unwrap_or_default();
            let amount = Credits::new((held.value() * Decimal::from(*percent) / Decimal::ONE_HUNDRED).round_dp(3)).unwrap();
            a.commit(&hold_id(*hold), amount, now).map(|_| ())
        }
        Op::Release(h) => a.release(&hold_id(*h), now).map(|_| ()),
        Op::Refund(i) => {
            let ids: Vec<String> = a.state().grants.iter().filter_map(|g| g.purchase_id.clone()).collect();
            match ids.get(*i) {
                Some(id) => a.refund(id, now).map(|_| ()),
                None => Ok(()),
            }
        }
        Op::Convert { tts, millis: m } => {
            let kind = if *tts { AllowanceKind::TtsCharacters } else { AllowanceKind::LlmTokens };
            a.convert(&ConvertRequest { allowance: kind, credits: millis(*m) }, now).map(|_| ())
        }
        Op::Use { tts, units, agent } => {
            let kind = if *tts { AllowanceKind::TtsCharacters } else { AllowanceKind::LlmTokens };
            let req = AllowanceUseRequest {
                allowance: kind,
                units: Count(*units),
                operation: "op".into(),
                agent_id: agent.map(|i| format!("a{i}")),
            };
            a.use_allowance(&req, now).map(|_| ())
        }
        Op::Activate(i) => a.activate_agent(&format!("a{i}"), now).map(|_| ()),
        Op::ChangePlan { plan, len } => {
            let plans = a.policy().plans.clone();
            match plans.get(*plan) {
                Some(p) => a
                    .change_plan(&PlanChangeRequest { plan_id: p.id.clone(), starts_at: now, ends_at: now + len, new_cycle: false }, now)
                    .map(|_| ()),
                None => Ok(()),
            }
        }
        Op::StartCycle { len } => a.start_cycle(&CycleRequest { starts_at: now, ends_at: now + len }, now).map(|_| ()),
    };
    outcome.is_err()
}

fn sum(xs: impl Iterator<Item = Credits>) -> Decimal {
    xs.fold(Decimal::ZERO, |s, c| s + c.value())
}

fn check_invariants(a: &Account) -> Result<(), TestCaseError> {
    let s = a.state();
    // Conservation, per grant and overall: what was granted from outside the ledger is
    // consumed, expired, voided or remaining (carried credits live on in a new grant).
    for g in &s.grants {
        prop_assert!(g.is_conserved(), "grant not conserved: {g:?}");
        prop_assert!(g.remaining <= g.amount, "remaining above amount: {g:?}");
    }
    let external = sum(s.grants.iter().filter(|g| g.kind != GrantKind::CarriedForward).map(|g| g.amount));
    let accounted = sum(s.grants.iter().map(|g| g.consumed))
        + sum(s.grants.iter().map(|g| g.expired))
        + sum(s.grants.iter().map(|g| g.voided))
        + sum(s.grants.iter().map(|g| g.remaining));
    prop_assert_eq!(external, accounted);
    prop_assert_eq!(
        sum(s.grants.iter().map(|g| g.carried)),
        sum(s.grants.iter().filter(|g| g.kind == GrantKind::CarriedForward).map(|g| g.amount))
    );
    for al in &s.allowances {
        prop_assert_eq!(al.converted - al.used, al.remaining);
    }
    // The balance is the fold of the entries.
    prop_assert_eq!(&replay(a.policy(), a.entries()).unwrap(), s);
    if let Some(last) = a.entries().last() {
        prop_assert_eq!(last.balance_after, s.balance());
    }
    for (i, e) in a.entries().iter().enumerate() {
        prop_assert_eq!(e.seq, i as u64 + 1);
        if i > 0 {
            prop_assert!(e.at >= a.entries()[i - 1].at);
        }
    }
    // After advancing, nothing usable is past its expiry.
    if let Some(clock) = a.clock() {
        prop_assert!(s.grants.iter().all(|g| g.remaining.is_zero() || g.is_usable_at(clock)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_conserve_credits_and_replay(policy in policy(), ops in proptest::collection::vec(op(), 1..60)) {
        let mut a = Account::new(policy).unwrap();
        let mut t = 1_000;
        for (n, op) in ops.iter().enumerate() {
            run(&mut a, op, &mut t, n);
            check_invariants(&a)?;
        }
        let json = credit_meter_base::json::to_string(a.entries());
        let back: Vec<Entry> = credit_meter_base::json::from_str(&json).unwrap();
        prop_assert_eq!(&replay(a.policy(), &back).unwrap(), a.state());
    }

    #[test]
    fn a_refused_command_changes_nothing_but_the_advance_before_it(
        policy in policy(),
        ops in prop_oneof![proptest::collection::vec(op(), 1..60), proptest::collection::vec(agent_op(), 1..60)],
    ) {
        // Commands apply their entries to the account's state as they go and undo them when
        // they fail (a commit can fail after its hold was marked committed: an inactive
        // agent); what is left must be exactly the account advanced to the command's time.
        let mut a = Account::new(policy).unwrap();
        let mut t = 1_000;
        for (n, op) in ops.iter().enumerate() {
            let mut advanced = a.clone();
            advanced.advance(t).unwrap();
            if run(&mut a, op, &mut t, n) && !matches!(op, Op::Wait(_)) {
                prop_assert_eq!(a.state(), advanced.state(), "refused {:?}", op);
                prop_assert_eq!(a.entries(), advanced.entries());
            }
        }
    }

    #[test]
    fn running_a_period_in_one_step_equals_running_it_split(
        policy in policy(),
        ops in proptest::collection::vec(op(), 1..40),
        horizon in 0..400 * DAY,
        split in 0.0..1.0f64,
    ) {
        let mut a = Account::new(policy).unwrap();
        let mut t = 1_000;
        for (n, op) in ops.iter().enumerate() {
            run(&mut a, op, &mut t, n);
        }
        let mut split_run = a.clone();
        let t2 = t + horizon;
        let t1 = t + (horizon as f64 * split) as i64;
        a.advance(t2).unwrap();
        split_run.advance(t1).unwrap();
        split_run.advance(t2).unwrap();
        prop_assert_eq!(a.entries(), split_run.entries());
        prop_assert_eq!(a.state(), split_run.state());
        prop_assert_eq!(a.take_notices(), split_run.take_notices());
        check_invariants(&a)?;
    }

    #[test]
    fn extra_advances_between_commands_change_nothing(
        policy in policy(),
        ops in proptest::collection::vec((op(), proptest::option::of(0.0..1.0f64)), 1..40),
    ) {
        let mut plain = Account::new(policy).unwrap();
        let mut split = plain.clone();
        let (mut t, mut u) = (1_000, 1_000);
        for (n, (op, cut)) in ops.iter().enumerate() {
            if let (Op::Wait(dt), Some(f)) = (op, cut) {
                split.advance(u + (*dt as f64 * f) as i64).unwrap();
            }
            run(&mut plain, op, &mut t, n);
            run(&mut split, op, &mut u, n);
        }
        prop_assert_eq!(plain.entries(), split.entries());
        prop_assert_eq!(plain.state(), split.state());
    }
}

#[derive(Debug, Clone)]
struct G {
    priority: i32,
    expires: Option<i64>,
    paid: bool,
    effective: i64,
}

fn grants() -> impl Strategy<Value = Vec<Grant>> {
    let g = (-1..2i32, proptest::option::of(10..14i64), any::<bool>(), 0..3i64).prop_map(|(priority, expires, paid, effective)| G {
        priority,
        expires,
        paid,
        effective,
    });
    proptest::collection::vec(g, 1..12).prop_map(|gs| {
        gs.into_iter()
            .enumerate()
            .map(|(i, g)| Grant {
                priority: g.priority,
                expires_at: g.expires,
                paid: g.paid,
                ..Grant::new(
                    format!("g{}", (i * 7) % 13),
                    if g.paid { GrantKind::Purchase } else { GrantKind::Promotion },
                    Credits::from_u64(i as u64 + 1).unwrap(),
                    g.effective,
                )
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn the_consumption_order_is_total_and_deterministic(gs in grants(), seed in any::<u64>()) {
        for a in &gs {
            for b in &gs {
                let ab = consumption_order(a, b);
                prop_assert_eq!(ab, consumption_order(b, a).reverse());
                prop_assert_eq!(ab == Ordering::Equal, a.id == b.id, "only a grant equals itself");
                for c in &gs {
                    if ab == Ordering::Less && consumption_order(b, c) == Ordering::Less {
                        prop_assert_eq!(consumption_order(a, c), Ordering::Less);
                    }
                }
            }
        }
        // The draw plan does not depend on the order grants are stored in.
        let mut shuffled = gs.clone();
        let len = shuffled.len();
        for i in 0..len {
            shuffled.swap(i, (seed as usize).wrapping_add(i * 31) % len);
        }
        let total = Credits::from_u64(100).unwrap();
        prop_assert_eq!(draw_plan(&gs, total, 5), draw_plan(&shuffled, total, 5));
    }

    #[test]
    fn a_grant_expiring_at_t_is_usable_before_t_and_never_at_t(t in 1..1_000_000_000i64, m in 1..1_000_000u64, before in 1..1_000i64) {
        let mut a = Account::new(Policy::true_recall()).unwrap();
        a.grant(&GrantRequest { id: "x".into(), kind: GrantKind::Promotion, amount: millis(m), expires_at: Some(t + 1_000), priority: None }, t).unwrap();
        let end = t + 1_000;
        let p = a.preview_debit(millis(m), end - before).unwrap();
        prop_assert!(p.sufficient && p.draws.len() == 1);
        let mut b = a.clone();
        let last_moment = b.debit(&DebitRequest { amount: millis(m), operation: "op".into(), agent_id: None }, end - 1);
        prop_assert!(last_moment.is_ok(), "{:?}", last_moment);
        let p = a.preview_debit(millis(m), end).unwrap();
        prop_assert!(!p.sufficient && p.draws.is_empty());
        prop_assert_eq!(a.state().grants[0].expired, millis(m));
        prop_assert_eq!(a.entries().last().unwrap().at, end);
    }

    #[test]
    fn a_preview_is_exactly_what_the_debit_draws(policy in policy(), ops in proptest::collection::vec(op(), 1..30), m in 1..500_000u64) {
        let mut a = Account::new(policy).unwrap();
        let mut t = 1_000;
        for (n, op) in ops.iter().enumerate() {
            run(&mut a, op, &mut t, n);
        }
        let preview = a.preview_debit(millis(m), t).unwrap();
        match a.debit(&DebitRequest { amount: millis(m), operation: "op".into(), agent_id: None }, t) {
            Ok(Entry { kind: EntryKind::Debit { draws, .. }, .. }) => {
                prop_assert!(preview.sufficient);
                let previewed: Vec<Draw> = preview.draws.iter().map(|d| Draw { grant_id: d.grant_id.clone(), amount: d.amount }).collect();
                prop_assert_eq!(previewed, draws);
            }
            Ok(other) => prop_assert!(false, "unexpected entry {:?}", other),
            Err(_) => prop_assert!(!preview.sufficient),
        }
    }
}

/// Guards the properties above against vacuity: random histories reach every entry kind.
#[test]
fn random_histories_reach_every_entry_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..300 {
        let (policy, ops) = (policy(), proptest::collection::vec(op(), 1..60)).new_tree(&mut runner).unwrap().current();
        let mut a = Account::new(policy).unwrap();
        let mut t = 1_000;
        for (n, op) in ops.iter().enumerate() {
            run(&mut a, op, &mut t, n);
        }
        a.advance(t + 400 * DAY).unwrap();
        seen.extend(a.entries().iter().map(|e| e.kind.name()));
    }
    let all = [
        "grant",
        "hold",
        "debit",
        "release",
        "expire",
        "refund",
        "carryForward",
        "conversion",
        "allowanceUse",
        "activation",
        "renewal",
        "deactivation",
        "planChange",
    ];
    let missing: Vec<_> = all.iter().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
}
