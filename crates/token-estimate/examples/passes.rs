//! Runs the estimator over every note of a data set's `counts.tsv` (`notes/` beside it),
//! `rounds` times for one encoding, and prints the sum of the estimates: a fixed amount of
//! work for an instruction profiler (`valgrind --tool=callgrind`), whose counts, unlike
//! timings, do not move with the machine's load.
//!
//! ```text
//! cargo run --release -p token-estimate --example passes -- tests/data/corpus cl100k_base 1
//! ```

use token_estimate::{estimate, Encoding};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "tests/data/corpus".to_owned()));
    let enc = Encoding::from_name(&args.next().unwrap_or_else(|| "o200k_base".to_owned())).expect("o200k_base or cl100k_base");
    let rounds: usize = args.next().map_or(1, |r| r.parse().expect("rounds"));
    let tsv = std::fs::read_to_string(dir.join("counts.tsv")).expect("counts.tsv");
    let base = if dir.join("notes").is_dir() { dir.join("notes") } else { dir.clone() };
    let texts: Vec<String> =
        tsv.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).map(|p| std::fs::read_to_string(base.join(p)).expect("note")).collect();
    let mut sum = 0u64;
    for _ in 0..rounds {
        for t in &texts {
            sum += estimate(std::hint::black_box(t), enc);
        }
    }
    println!("{sum}");
}
