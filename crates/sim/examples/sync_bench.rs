//! Native timings of the client's sync core (the Node/Wasm benchmark is separate):
//!
//! - (a) decide + reserve: `funding::decide` on a card estimate, then `Machine::reserve`
//!   (target in Node: ≤ 50 µs);
//! - (b) opening with a signed snapshot of 1,000 grants: load + verify + parse
//!   (target ≤ 2 ms);
//! - (c) pushing 10,000 queued mutations: client-side time to build the requests and
//!   apply the responses, with and without the saves' serialisation (target ≤ 100 ms).
//!
//! Run: `cargo run --release --features ledger --example sync_bench`.

use credit_meter_client::{Action, Config, Machine, ReserveRequest, Transport};
use credit_meter_core::catalog::Catalog;
use credit_meter_core::estimate::{estimate, EstimateRequest};
use credit_meter_core::funding::{decide, DecideRequest};
use credit_meter_ledger_core::model::{GrantKind, GrantRequest, Policy, PurchaseRequest};
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::money::{Count, Credits};
use credit_meter_protocol::snapshot::{PublicKeys, SnapshotSigner};
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

fn setup(grants: usize, limit: &str) -> (RefLedger, PublicKeys) {
    let signer = SnapshotSigner::from_seed("k1", &[7; 32]);
    let mut keys = PublicKeys::new();
    keys.insert("k1", &signer.public_key()).unwrap();
    let cfg = LedgerConfig { offline_limit: Credits::parse(limit).unwrap(), ..LedgerConfig::default() };
    let mut l = RefLedger::new(signer, cfg);
    l.create_account("a1", Policy::true_recall()).unwrap();
    l.with_account("a1", T0, |a, now| a.purchase(&PurchaseRequest { purchase_id: "p1".into(), package_id: "power".into() }, now)).unwrap();
    for i in 0..grants.saturating_sub(2) {
        let g = GrantRequest {
            id: format!("promo-{i}"),
            kind: GrantKind::Promotion,
            amount: Credits::from_u64(1).unwrap(),
            expires_at: Some(T0 + 86_400_000 + i as i64),
            priority: None,
        };
        l.with_account("a1", T0, |a, now| a.grant(&g, now)).unwrap();
    }
    (l, keys)
}

/// Runs actions to completion; returns the time spent inside the machine.
fn pump(m: &mut Machine, l: &mut RefLedger, now: i64, with_saves: bool) -> (Duration, usize) {
    let mut inside = Duration::ZERO;
    let mut pushes = 0;
    loop {
        let t = Instant::now();
        let a = m.poll_action();
        inside += t.elapsed();
        let Some(a) = a else { break };
        match a {
            Action::Save { token, state } => {
                std::hint::black_box(state.len());
                let t = Instant::now();
                m.save_done(token, true, now);
                if with_saves {
                    inside += t.elapsed();
                }
            }
            Action::Push { token, request } => {
                pushes += 1;
                let body = l.handle_push(&request, now);
                let t = Instant::now();
                m.push_done(token, Transport::Body(&body), now);
                inside += t.elapsed();
            }
            Action::Pull { token, request } => {
                let body = l.handle_pull(&request, now);
                let t = Instant::now();
                m.pull_done(token, Transport::Body(&body), now);
                inside += t.elapsed();
            }
        }
        while m.poll_event().is_some() {}
    }
    (inside, pushes)
}

fn opened(l: &mut RefLedger, keys: &PublicKeys) -> Machine {
    let mut m = Machine::new(Config::new("a1", "d1"), keys.clone());
    m.open(None, T0);
    pump(&mut m, l, T0, true);
    m
}

fn main() {
    // (a) decide + reserve.
    let (mut l, keys) = setup(2, "1000000");
    let catalog = Catalog::default_catalog();
    let est = estimate(
        &catalog,
        &EstimateRequest { operation: "flashcards.generate".into(), cards: Some(Count(12)), ..EstimateRequest::default() },
    )
    .unwrap();
    let mut m = opened(&mut l, &keys);
    let n = 2_000;
    let mut timed = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        let balance = m.figures(T0).available;
        let d = decide(&catalog, &DecideRequest { estimate: est.clone(), byok: false, balance: Some(balance) }).unwrap();
        let r = m.reserve(&ReserveRequest { amount: d.reserve, operation: d.operation, agent_id: None, unit: None }, T0).unwrap();
        timed += start.elapsed();
        // Outside the timing: save, push, release, so the state stays that of normal use.
        pump(&mut m, &mut l, T0, true);
        m.release(&r.hold_id, T0).unwrap();
        pump(&mut m, &mut l, T0, true);
    }
    println!(
        "(a) decide + reserve:                  {:>8.2} µs per call (mean of {n}; includes serialising the save)",
        timed.as_secs_f64() * 1e6 / n as f64
    );

    // (b) open with a signed snapshot of 1,000 grants.
    let (mut l, keys) = setup(1_000, "50");
    let m = opened(&mut l, &keys);
    assert_eq!(m.state().payload().unwrap().grants.len(), 1_000);
    let stored = m.state().to_json();
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        let mut m2 = Machine::new(Config::new("a1", "d1"), keys.clone());
        m2.open(Some(&stored), T0 + 1);
        std::hint::black_box(m2.figures(T0 + 1));
    }
    println!(
        "(b) open, 1,000-grant snapshot:        {:>8.3} ms ({} KB stored)",
        start.elapsed().as_secs_f64() * 1e3 / runs as f64,
        stored.len() / 1024
    );

    // (c) push 10,000 queued mutations.
    let (mut l, keys) = setup(2, "1000000");
    let mut m = opened(&mut l, &keys);
    let mut holds = Vec::new();
    for i in 0..10_000 {
        if i % 2 == 0 {
            holds.push(
                m.reserve(
                    &ReserveRequest { amount: Credits::from_u64(1).unwrap(), operation: "message".into(), agent_id: None, unit: None },
                    T0,
                )
                .unwrap()
                .hold_id,
            );
        } else if let Some(h) = holds.pop() {
            m.commit(&h, Credits::parse("0.5").unwrap(), T0).unwrap();
        }
        // Hold every push back: run only the saves (offline device).
        while let Some(a) = m.poll_action() {
            if let Action::Save { token, .. } = a {
                m.save_done(token, true, T0);
            }
        }
    }
    // The first pushes above were dropped unanswered: fail them to go on.
    let mut fresh = Machine::new(Config::new("a1", "d1"), keys.clone());
    fresh.open(Some(&m.state().to_json()), T0 + 1);
    assert_eq!(fresh.state().outbox.len(), 10_000);
    let (inside, pushes) = pump(&mut fresh, &mut l, T0 + 1, false);
    assert!(fresh.is_idle());
    println!(
        "(c) push 10,000 mutations (client):    {:>8.2} ms in {pushes} pushes, saves' serialisation excluded",
        inside.as_secs_f64() * 1e3
    );
    let mut again = Machine::new(Config::new("a1", "d1"), keys.clone());
    again.open(Some(&m.state().to_json()), T0 + 2);
    let (inside, _) = pump(&mut again, &mut l, T0 + 2, true);
    println!("    … all duplicates this time, saves' serialisation included: {:>8.2} ms", inside.as_secs_f64() * 1e3);
}
