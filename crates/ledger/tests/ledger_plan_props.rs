//! Property test of the plan rule: plan changes and renewals never grant more plan credits
//! than were paid for (README "Credit policies", AssistLore, interpretation 5).
//!
//! **Paid for**, as a billing system that bills per cycle charges it: a billing cycle is
//! opened by a renewal (`start_cycle`) or by a plan change while no cycle runs; a plan
//! change while a cycle runs stays in that cycle (and moves its end to the change's
//! `endsAt`). Each cycle is paid once, at the plan with the most credits the account held
//! during it: the opening plan's price when it opens, the price difference when a change
//! moves to a plan with more credits, nothing back for a downgrade. A plan change marked
//! `newCycle` (the billing system started a new period, paid in full: the Stripe
//! integration's upgrades and new subscriptions) closes the running cycle and opens one
//! paid at the new plan's price. The credits paid for are the sum, over the cycles, of
//! that plan's `creditsPerCycle`. The model below tracks
//! this from the commands the ledger accepted, without looking at the ledger's own cycle.
#![cfg(not(target_arch = "wasm32"))] // native tests; the binding is tested in wasm_ledger.rs

use credit_meter_ledger_core::model::*;
use credit_meter_protocol::money::Credits;
use proptest::prelude::*;
use rust_decimal::Decimal;

const DAY: i64 = 86_400_000;

#[derive(Debug, Clone)]
enum Op {
    /// Time passes.
    Wait(i64),
    /// A plan change with a new cycle of `len` (`new_cycle`: paid in full as a new period).
    Change { plan: usize, len: i64, new_cycle: bool },
    /// A renewal with a cycle of `len`.
    Renew { len: i64 },
    /// Spending some credits (so carried amounts vary).
    Spend(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..20 * DAY).prop_map(Op::Wait),
        4 => (0..3usize, 1..40 * DAY, any::<bool>()).prop_map(|(plan, len, new_cycle)| Op::Change { plan, len, new_cycle }),
        2 => (1..40 * DAY).prop_map(|len| Op::Renew { len }),
        2 => (1..3_000u64).prop_map(Op::Spend),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    let with = |on, expiry| {
        let mut p = Policy::assist_lore();
        p.carry_forward = CarryForward { on, expiry };
        p
    };
    prop_oneof![
        Just(Policy::assist_lore()),
        Just(with(CarryOn::AnyChange, CarryExpiry::NewCycleEnd)),
        Just(with(CarryOn::Upgrade, CarryExpiry::Never)),
        Just(with(CarryOn::Never, CarryExpiry::NewCycleEnd)),
    ]
}

/// The billing model: cycles closed so far, and the open one.
#[derive(Debug, Default)]
struct Billing {
    /// Credits paid for in closed cycles.
    closed: Decimal,
    /// The open cycle: its end and the most credits of a plan held in it.
    open: Option<(i64, Decimal)>,
}

impl Billing {
    fn running(&self, now: i64) -> bool {
        self.open.is_some_and(|(end, _)| now < end)
    }

    fn open_cycle(&mut self, end: i64, credits: Decimal) {
        self.closed += self.open.map(|(_, c)| c).unwrap_or_default();
        self.open = Some((end, credits));
    }

    fn paid_for(&self) -> Decimal {
        self.closed + self.open.map(|(_, c)| c).unwrap_or_default()
    }
}

fn plan_credits(p: &Policy, id: &str) -> Decimal {
    p.plan(id).unwrap().credits_per_cycle.value()
}

fn granted(a: &Account) -> Decimal {
    a.state().grants.iter().filter(|g| g.kind == GrantKind::PlanCycle).map(|g| g.amount.value()).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plan_changes_and_renewals_grant_at_most_the_credits_paid_for(
        policy in policy(),
        ops in proptest::collection::vec(op(), 1..50),
    ) {
        let mut a = Account::new(policy.clone()).unwrap();
        a.grant_signup(0).unwrap();
        let mut billing = Billing::default();
        let mut now = 1_000;
        for op in &ops {
            match op {
                Op::Wait(dt) => {
                    now += dt;
                    a.advance(now).unwrap();
                }
                Op::Change { plan, len, new_cycle } => {
                    let to = policy.plans[*plan].id.clone();
                    let same = a.state().plan.as_deref() == Some(to.as_str());
                    let req = PlanChangeRequest { plan_id: to.clone(), starts_at: now, ends_at: now + len, new_cycle: *new_cycle };
                    // The cycle grant's id is `plan:<plan>:<start>`, made once: a second paid
                    // cycle of the same plan from the same instant is refused as a duplicate
                    // (how a webhook's invoice is applied once).
                    let credits = plan_credits(&policy, &to);
                    let continues = billing.running(now) && !new_cycle;
                    let grant = if continues { credits - billing.open.map(|(_, h)| h).unwrap_or_default().min(credits) } else { credits };
                    let dup = grant > Decimal::ZERO && a.state().grant(&format!("plan:{to}:{now}")).is_some();
                    let out = a.change_plan(&req, now);
                    prop_assert_eq!(out.is_err(), same || dup, "only a change to the current plan, or a cycle granted twice, is refused: {:?}", out);
                    if out.is_ok() {
                        match billing.open {
                            Some((_, highest)) if continues => billing.open = Some((now + len, highest.max(credits))),
                            _ => billing.open_cycle(now + len, credits),
                        }
                    }
                }
                Op::Renew { len } => {
                    let out = a.start_cycle(&CycleRequest { starts_at: now, ends_at: now + len }, now);
                    prop_assert_eq!(out.is_err(), billing.running(now), "a renewal is refused exactly while a cycle runs: {:?}", out);
                    if out.is_ok() {
                        let plan = a.state().plan.clone().unwrap();
                        billing.open_cycle(now + len, plan_credits(&policy, &plan));
                    }
                }
                Op::Spend(n) => {
                    let amount = Credits::from_u64(*n).unwrap();
                    let _ = a.debit(&DebitRequest { amount, operation: "message".into(), agent_id: None }, now);
                }
            }
            let granted = granted(&a);
            prop_assert!(granted <= billing.paid_for(), "granted {} > paid for {} after {:?}", granted, billing.paid_for(), op);
            // The rule is exact: every cycle gets its highest plan's credits, no fewer.
            prop_assert_eq!(granted, billing.paid_for());
            // The ledger's own record of the cycle agrees, and survives replay.
            if let (Some(c), Some((end, highest))) = (a.state().cycle.as_ref(), billing.open) {
                prop_assert_eq!((c.ends_at, c.granted.value()), (end, highest));
            }
            prop_assert_eq!(&replay(a.policy(), a.entries()).unwrap(), a.state());
        }
    }
}
