//! The deterministic fault simulator against the reference ledger (the world, the faults
//! and the invariants are `credit_meter_sim::simulate`):
//!
//! ```text
//! cargo run --release -p credit-meter-sim --bin simulate -- --seeds 200 --ops 1000
//! cargo run --release -p credit-meter-sim --bin simulate -- --seed 42 --ops 1000
//! cargo run … -- --seeds 100 --first 5000 --ops 1000   # seeds 5000..5099
//! SIM_TRACE=1 cargo run …   # trace reserves, commits, crashes, applied commits
//! ```

use credit_meter_ledger_core::reference::RefLedger;
use credit_meter_sim::simulate::{run_seed, summary, SeedRun, Totals};
use std::process::ExitCode;

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

/// Runs one seed; prints what broke and how to replay it.
fn run(seed: u64, ops: u64) -> SeedRun {
    let r = run_seed(seed, ops, RefLedger::new);
    if !r.counts.is_clean() {
        println!("seed {seed} FAILED: {}", summary(1, r.ops, &r.counts));
        for line in r.why.iter().take(20) {
            println!("  {line}");
        }
        println!("  reproduce: cargo run --release -p credit-meter-sim --bin simulate -- --seed {seed} --ops {ops}");
    }
    r
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
    let mut total = Totals::default();
    for &seed in &seeds {
        total.add(&run(seed, args.ops));
    }
    println!("{}", total.proxy_line());
    println!("{}", total.summary());
    if total.counts.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
