//! The simulator's seeds on SQLite and, when `CREDIT_METER_TEST_POSTGRES_URL` names a
//! server, on PostgreSQL (a fresh database per seed): every invariant holds (the summary
//! line all zeros), the store answered every call as the reference ledger given the same
//! calls did ([`Twin`]), and the seeds did work — commits applied, holds claimed by the
//! AI proxy and settled. Each seed runs on a new store (the worlds reuse account ids).

use super::twin::Twin;
use super::StoreLedger;
use crate::store::Store;
use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_sim::simulate::{run_seed, summary, Totals};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Seeds per backend and operations per seed by default: what keeps a debug `cargo test`
/// within about a minute (the simulator's own CI run: 200 seeds of 2,000 operations in
/// memory). A soak sets `CREDIT_METER_SIM_SEEDS`, `CREDIT_METER_SIM_OPS` and
/// `CREDIT_METER_SIM_FIRST` (the first seed) instead; README "Simulation".
const SQLITE_SEEDS: u64 = 8;
const POSTGRES_SEEDS: u64 = 6;
const OPS: u64 = 600;

/// The number in environment variable `name`, or `default`.
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// Seeds of 2,000 operations on which the service once answered differently from the
/// reference ledger (a soak of seeds 1–200 found them): 136, a commit sent again under a
/// new seq after a conflict answered `duplicate` without its original result; 22 and 137,
/// an abandoned AI-proxy claim whose hold had expired settled without its hold (a bare
/// "proxy" debit; in tokens, not at all). Kept so that the paths stay covered.
const FOUND: [u64; 3] = [22, 136, 137];

/// The seeds (`default_seeds` of them from 1 unless the environment says otherwise), with
/// the operations per seed.
fn seeds(default_seeds: u64) -> (Vec<u64>, u64) {
    let first = setting("CREDIT_METER_SIM_FIRST", 1);
    let seeds = setting("CREDIT_METER_SIM_SEEDS", default_seeds);
    ((first..first.saturating_add(seeds)).collect(), setting("CREDIT_METER_SIM_OPS", OPS))
}

/// Runs `seeds` of `ops_per_seed` operations on the stores `open(seed)` makes; prints the
/// simulator's summary lines and checks them.
fn run_seeds(backend: &str, (seeds, ops_per_seed): (Vec<u64>, u64), open: &dyn Fn(u64) -> Arc<dyn Store>) {
    let mut total = Totals::default();
    let mut failures = Vec::new();
    let copies: Arc<[AtomicU64; 2]> = Arc::default();
    let mut on_copies = false;
    for &seed in &seeds {
        let store = open(seed);
        on_copies = store.checks_assumptions();
        let diffs = Rc::new(RefCell::new(Vec::new()));
        let run = run_seed(seed, ops_per_seed, |signer, cfg| {
            let mut store = StoreLedger::new(store, signer.clone(), cfg.clone());
            store.copies = Arc::clone(&copies);
            Twin { store, reference: RefLedger::new(signer, cfg), diffs: Rc::clone(&diffs) }
        });
        if !run.counts.is_clean() {
            failures.push(format!("seed {seed}: {}\n  {}", summary(1, run.ops, &run.counts), run.why.join("\n  ")));
        }
        for d in diffs.borrow().iter().take(5) {
            failures.push(format!("seed {seed}: the store and the reference ledger answered differently: {d}"));
        }
        total.add(&run);
    }
    let (line, applied, proxy) = (total.summary(), total.applied, total.proxy);
    println!("{backend}: {}", total.proxy_line());
    println!("{backend}: {applied} commits applied; {line}");
    assert!(total.counts.is_clean() && failures.is_empty(), "{backend}: {line}\n{}", failures.join("\n"));
    assert!(applied > 0 && proxy.claimed > 0 && proxy.settled > 0, "{backend}: the seeds did no work: {applied} commits, {proxy:?}");
    if on_copies {
        // Pushes ran on the copies of accounts' last saves, and resent mutations made some
        // of those saves find a named fingerprint or closed hold and run again from a load.
        let [kept, again] = [0, 1].map(|i| copies[i].load(Ordering::Relaxed));
        println!("{backend}: pushes on copies: {kept} committed, {again} ran again from a load");
        assert!(kept > 0 && again > 0, "{backend}: copies took one way only: {kept} committed, {again} again");
    }
}

/// Runs `seeds` on SQLite, a new file per seed.
fn on_sqlite(name: &str, seeds: (Vec<u64>, u64)) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("cm-sim-store-{name}-{}-{nanos}", std::process::id()));
    let open = |seed: u64| -> Arc<dyn Store> {
        let path = dir.join(format!("seed-{seed}.db"));
        Arc::new(crate::store::sqlite::SqliteStore::open(&path, 2).expect("open SQLite"))
    };
    run_seeds("SQLite", seeds, &open);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_simulator_holds_its_invariants_on_sqlite() {
    on_sqlite("seeds", seeds(SQLITE_SEEDS));
}

#[test]
fn the_seeds_that_found_differences_agree_on_sqlite() {
    on_sqlite("found", (FOUND.to_vec(), 2_000));
}

#[test]
fn the_simulator_holds_its_invariants_on_postgres() {
    if std::env::var_os("CREDIT_METER_TEST_POSTGRES_URL").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but CREDIT_METER_TEST_POSTGRES_URL is not: start scripts/postgres.sh and export it"
        );
        eprintln!("CREDIT_METER_TEST_POSTGRES_URL is unset: PostgreSQL not tested here (CI sets it)");
        return;
    }
    let open = |seed: u64| -> Arc<dyn Store> {
        let db = crate::store::postgres::test_database(&format!("sim_{seed}")).expect("the URL is set");
        Arc::new(crate::store::postgres::PgStore::open(&db, 2).expect("open PostgreSQL"))
    };
    run_seeds("PostgreSQL", seeds(POSTGRES_SEEDS), &open);
}
