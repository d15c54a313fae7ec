//! A deterministic simulation of devices and browser tabs sharing accounts against the
//! reference ledger, in the manner of TigerBeetle's VOPR: one seed drives the clock, the
//! callbacks' outcomes, storage and scheduling; each seed turns off a random subset of
//! faults and operations (swarm testing). After each run the faults stop, the queues
//! drain, and the invariants are checked: nothing applied twice, no acknowledged commit
//! lost, nothing overspent beyond the offline limits, every hold ended exactly once,
//! every balance the fold of its entries, every client converged to the ledger.
//!
//! ```text
//! cargo run --release -p credit-meter-sim --bin simulate -- --seeds 200 --ops 1000
//! cargo run --release -p credit-meter-sim --bin simulate -- --seed 42 --ops 1000
//! cargo run … -- --seeds 100 --first 5000 --ops 1000   # seeds 5000..5099
//! SIM_TRACE=1 cargo run …   # trace reserves, commits, crashes, applied commits
//! ```

mod client;
mod host;
mod invariants;
mod net;
mod proxy;
mod report;
mod rng;
mod storage;
mod swarm;
mod world;

use report::{summary, Counts};
use std::process::ExitCode;
use std::sync::OnceLock;

/// Whether `SIM_TRACE` is set: then reserves, commits, crashes and applied commits are
/// traced to stderr (for replaying a failing seed).
pub fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SIM_TRACE").is_some())
}

struct Args {
    seeds: u64,
    ops: u64,
    seed: Option<u64>,
    first: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { seeds: 100, ops: 1_000, seed: None, first: 1 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<u64>().ok()).ok_or(format!("{flag} needs a number"));
        match flag.as_str() {
            "--seeds" => a.seeds = value()?,
            "--ops" => a.ops = value()?,
            "--seed" => a.seed = Some(value()?),
            "--first" => a.first = value()?,
            _ => return Err(format!("unknown argument {flag:?} (use --seeds N --ops M [--seed S] [--first S])")),
        }
    }
    Ok(a)
}

/// What the AI proxy actor did over a run: holds claimed, settled, and client results
/// that reported its settlement (`settledBy`), so that the summary shows it raced.
#[derive(Debug, Default, Clone, Copy)]
struct ProxyTally {
    claimed: u64,
    settled: u64,
    told: u64,
}

/// Runs one seed; prints what broke and how to replay it.
fn run(seed: u64, ops: u64) -> (u64, Counts, ProxyTally) {
    let mut w = world::World::new(seed);
    for _ in 0..ops {
        w.step();
    }
    let settled = w.drain();
    let mut why = Vec::new();
    let counts = invariants::check(&w, settled, &mut why);
    if !counts.is_clean() {
        println!("seed {seed} FAILED: {}", summary(1, w.ops, &counts));
        for line in why.iter().take(20) {
            println!("  {line}");
        }
        println!("  reproduce: cargo run --release -p credit-meter-sim --bin simulate -- --seed {seed} --ops {ops}");
    }
    let tally = ProxyTally {
        claimed: w.proxy.claimed.len() as u64,
        settled: w.proxy.settled.len() as u64,
        told: w.net.proxied.values().map(|v| v.len() as u64).sum(),
    };
    (w.ops, counts, tally)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let seeds: Vec<u64> = match args.seed {
        Some(s) => vec![s],
        None => (args.first..args.first + args.seeds).collect(),
    };
    let mut total = Counts::default();
    let mut ops = 0;
    let mut proxy = ProxyTally::default();
    for &seed in &seeds {
        let (n, c, p) = run(seed, args.ops);
        ops += n;
        total.add(c);
        proxy.claimed += p.claimed;
        proxy.settled += p.settled;
        proxy.told += p.told;
    }
    println!("AI proxy: {} holds claimed, {} settled, {} client results with its settlement", proxy.claimed, proxy.settled, proxy.told);
    println!("{}", summary(seeds.len() as u64, ops, &total));
    if total.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
