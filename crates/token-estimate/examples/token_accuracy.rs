//! Accuracy and speed of `estimate_tokens` against exact token counts.
//!
//! ```text
//! cargo run --release -p token-estimate --features fitting --example token_accuracy -- tests/data/corpus [extra_dir ...]
//! cargo run --release -p token-estimate --features fitting --example token_accuracy -- --fit pieces.tsv [pieces.tsv ...]
//! ```
//!
//! Evaluation mode reads `counts.tsv` (group, path, bytes, o200k, cl100k) in the corpus
//! directory (files under `notes/`) and in each extra directory (files beside it), and
//! prints, for both encodings, the mean and 90th percentile of the absolute relative error
//! over notes with at least 20 exact tokens: overall, per group, and separately for the
//! fitting half and the held-out half of the corpus (split by an FNV-1a hash of the path).
//! It then times the estimator over the whole corpus.
//!
//! Environment: `SHOW_WORST=1` lists notes off by more than 8 %; `BENCH_ONLY=1` only times;
//! `PROFILE_ONCE=1` runs one `o200k_base` pass (for instruction-count profiling);
//! `FIT_FLOOR` is the minimum total weight of a language group when fitting.
//! `--pieces <file> [o200k|cl100k] [v]` prints a file's pre-tokenisation pieces (with `v`,
//! each piece's estimate).
//!
//! Fit mode reads per-piece exact counts (`encoding, group, frequency, tokens, hex bytes`,
//! one piece per line, as dumped by `tests/data/tokens/tools/dump_pieces.js`) and prints
//! the least-squares weights for `crates/token-estimate/src/model.rs`, each language group
//! weighted equally.

// The least-squares solver indexes rows and columns as the textbook does.
#![allow(clippy::needless_range_loop)]
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use token_estimate::fitting::{self, feature, FEATURES};
use token_estimate::Encoding;

/// FNV-1a (32-bit) of a path; even hashes are the fitting half.
fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in s.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// One note with its exact counts.
struct Note {
    group: String,
    path: String,
    train: bool,
    text: String,
    exact: [u64; 2],
}

/// Reads `counts.tsv` in `dir`; files live in `dir/notes` if that exists, else in `dir`.
fn load(dir: &Path, prefix: &str) -> Vec<Note> {
    let tsv = std::fs::read_to_string(dir.join("counts.tsv")).unwrap_or_else(|e| panic!("cannot read {}/counts.tsv: {e}", dir.display()));
    let base = if dir.join("notes").is_dir() { dir.join("notes") } else { dir.to_path_buf() };
    let mut out = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        let text = std::fs::read_to_string(base.join(f[1])).unwrap_or_else(|e| panic!("{}: {e}", f[1]));
        out.push(Note {
            group: format!("{prefix}{}", f[0]),
            path: f[1].to_string(),
            train: fnv(f[1]) % 2 == 0,
            text,
            exact: [f[3].parse().unwrap_or(0), f[4].parse().unwrap_or(0)],
        });
    }
    out
}

/// Mean and 90th percentile of a list of errors.
fn stats(v: &mut [f64]) -> (f64, f64, usize) {
    if v.is_empty() {
        return (0.0, 0.0, 0);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let p90 = v[((v.len() as f64 * 0.9).ceil() as usize).saturating_sub(1).min(v.len() - 1)];
    (mean, p90, v.len())
}

/// Prints the accuracy tables.
fn evaluate(corpus: &[Note], extra: &[Note]) {
    // Notes outside the corpus: signed error per note, both encodings.
    println!("== notes outside the corpus (signed error o200k / cl100k) ==");
    let mut by_group: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
    for n in extra {
        let e: Vec<f64> = [Encoding::O200kBase, Encoding::Cl100kBase]
            .iter()
            .enumerate()
            .map(|(ei, &enc)| (token_estimate::estimate(&n.text, enc) as f64 - n.exact[ei] as f64) / n.exact[ei].max(1) as f64)
            .collect();
        println!("{:<6} {:<18} {:>+7.2}% {:>+7.2}%  (exact {} / {})", n.group, n.path, e[0] * 100.0, e[1] * 100.0, n.exact[0], n.exact[1]);
        let g = by_group.entry(n.group.as_str()).or_default();
        g.0 += e[0].abs();
        g.1 += e[1].abs();
        g.2 += 1;
    }
    let (mut a, mut b, mut k) = (0.0, 0.0, 0usize);
    for (g, (x, y, c)) in &by_group {
        let _ = g;
        a += x;
        b += y;
        k += c;
    }
    if k > 0 {
        println!("mean |error| outside the corpus: o200k {:.2}%  cl100k {:.2}%  ({k} notes)", a / k as f64 * 100.0, b / k as f64 * 100.0);
    }
    for (ei, enc) in [Encoding::O200kBase, Encoding::Cl100kBase].into_iter().enumerate() {
        println!("== {} ==", enc.name());
        let mut by_group: BTreeMap<String, [Vec<f64>; 2]> = BTreeMap::new();
        let mut signed: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut halves: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for n in corpus {
            if n.exact[ei] < 20 {
                continue;
            }
            let est = token_estimate::estimate(&n.text, enc) as f64;
            let exact = n.exact[ei] as f64;
            let err = (est - exact).abs() / exact;
            let half = usize::from(!n.train);
            if std::env::var("SHOW_WORST").is_ok() && err > 0.08 {
                println!("worst {} {} {:+.1}% exact {} {}", enc.name(), n.group, (est - exact) / exact * 100.0, exact, n.path);
            }
            by_group.entry(n.group.clone()).or_default()[half].push(err);
            let s = signed.entry(n.group.clone()).or_default();
            s.0 += est;
            s.1 += exact;
            halves[half].push(err);
        }
        let (m, p, c) = stats(&mut halves[0]);
        println!("corpus fit half : mean {:5.2}%  p90 {:5.2}%  (n={c})", m * 100.0, p * 100.0);
        let (m, p, c) = stats(&mut halves[1]);
        println!("corpus held-out : mean {:5.2}%  p90 {:5.2}%  (n={c})", m * 100.0, p * 100.0);
        let mut all: Vec<f64> = halves.iter().flatten().copied().collect();
        let (m, p, c) = stats(&mut all);
        println!("corpus all      : mean {:5.2}%  p90 {:5.2}%  (n={c})", m * 100.0, p * 100.0);
        println!("{:<14} {:>16} {:>16} {:>8}", "group", "fit mean/p90", "held mean/p90", "bias");
        for (g, [a, b]) in by_group.iter_mut() {
            let (ma, pa, na) = stats(a);
            let (mb, pb, nb) = stats(b);
            let (e, x) = signed[g];
            println!(
                "{g:<14} {:>6.2}/{:>5.2}% ({na:>3}) {:>6.2}/{:>5.2}% ({nb:>3}) {:>+7.2}%",
                ma * 100.0,
                pa * 100.0,
                mb * 100.0,
                pb * 100.0,
                (e / x - 1.0) * 100.0
            );
        }
    }
}

/// Times the estimator over the corpus.
fn speed(corpus: &[Note]) {
    let bytes: usize = corpus.iter().map(|n| n.text.len()).sum();
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let mut best = f64::MAX;
        let mut sink = 0u64;
        for _ in 0..std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(5) {
            let t = Instant::now();
            for n in corpus {
                sink = sink.wrapping_add(token_estimate::estimate(std::hint::black_box(&n.text), enc));
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("speed {}: {:.0} MB/s ({} bytes, {sink} tokens)", enc.name(), bytes as f64 / best / 1e6, bytes);
    }
    // Per group, for orientation.
    let mut groups: BTreeMap<&str, Vec<&Note>> = BTreeMap::new();
    for n in corpus {
        groups.entry(n.group.as_str()).or_default().push(n);
    }
    for (g, notes) in &groups {
        let bytes: usize = notes.iter().map(|n| n.text.len()).sum();
        let mut best = f64::MAX;
        let mut sink = 0u64;
        for _ in 0..std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(5) {
            let t = Instant::now();
            for n in notes {
                sink = sink.wrapping_add(token_estimate::estimate(std::hint::black_box(&n.text), Encoding::O200kBase));
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("  {g:<11} o200k: {:.0} MB/s ({bytes} bytes, {sink})", bytes as f64 / best / 1e6);
    }
    // The pre-tokeniser alone, for orientation.
    for o200k in [true, false] {
        let mut best = f64::MAX;
        let mut sink = 0usize;
        for _ in 0..std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(5) {
            let t = Instant::now();
            for n in corpus {
                sink = sink.wrapping_add(fitting::pieces(std::hint::black_box(n.text.as_bytes()), o200k).count());
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("  pre-tokeniser only (o200k={o200k}): {:.0} MB/s ({sink} pieces)", bytes as f64 / best / 1e6);
    }
}

/// Prior weight of each feature (used as the ridge target).
fn prior(i: usize) -> f64 {
    use feature::*;
    match i {
        _ if (MISS_LONG..MISS_LONG + 3).contains(&i) => 0.3,
        _ if (SCRIPT_CHARS..SCRIPT_CHARS + 13).contains(&i) => 0.8,
        _ if (SCRIPT_PIECES..SCRIPT_PIECES + 13).contains(&i) => 0.3,
        LATIN_EXT => 0.5,
        SEG_EXTRA | PUNCT_SPACE | PUNCT_TRAIL | SPACE_NL_EXTRA | SCRIPT_SHORT => 0.0,
        PUNCT_LONG => 0.5,
        SPACE_LONG => 0.1,
        BOUNDARY => 1.0,
        _ if (PRE_PUNCT..=PRE_OTHER).contains(&i) => 0.3,
        _ => 1.0,
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, piv);
        b.swap(col, piv);
        let d = a[col][col];
        for r in col + 1..n {
            let f = a[r][col] / d;
            if f != 0.0 {
                for k in col..n {
                    a[r][k] -= f * a[col][k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

/// Decodes hex into a string.
fn unhex(h: &str) -> String {
    let bytes: Vec<u8> = (0..h.len() / 2).filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Weight of one token's worth of squared error in `group`, which holds `tokens` tokens.
///
/// Plain frequency weighting lets the large English groups decide the shared features;
/// a group's total weight is capped from below so that small languages still count.
fn group_weight(group: &str, tokens: f64) -> f64 {
    let _ = group;
    let floor = std::env::var("FIT_FLOOR").ok().and_then(|v| v.parse().ok()).unwrap_or(30000.0);
    tokens.max(floor) / tokens
}

/// Fits the weights on per-piece counts.
fn fit(files: &[String]) {
    for (ei, name) in ["o200k", "cl100k"].into_iter().enumerate() {
        let o200k = ei == 0;
        // Rows: (group, frequency, tokens, features).
        let mut rows: Vec<(String, f64, f64, [u64; FEATURES])> = Vec::new();
        let mut group_tokens: BTreeMap<String, f64> = BTreeMap::new();
        for f in files {
            let s = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            for line in s.lines() {
                let p: Vec<&str> = line.split('\t').collect();
                if p.len() < 5 || p[0] != name {
                    continue;
                }
                let text = unhex(p[4]);
                let mut c = [0u64; FEATURES];
                fitting::count(text.as_bytes(), o200k, &mut c);
                let freq: f64 = p[2].parse().unwrap_or(0.0);
                let tok: f64 = p[3].parse().unwrap_or(0.0);
                *group_tokens.entry(p[1].to_string()).or_default() += freq * tok;
                rows.push((p[1].to_string(), freq, tok, c));
            }
        }
        let mut gsum: BTreeMap<String, [u64; FEATURES]> = BTreeMap::new();
        for (g, freq, _, c) in &rows {
            let e = gsum.entry(g.clone()).or_insert([0; FEATURES]);
            for (a, &b) in e.iter_mut().zip(c) {
                *a += b * (*freq as u64);
            }
        }
        for (g, c) in &gsum {
            eprint!("{g}:{:.3} ", fitting::english_ratio(c));
        }
        eprintln!();
        let dim = 2 * FEATURES;
        let mut ata = vec![vec![0.0; dim]; dim];
        let mut atb = vec![0.0; dim];
        let mut seen = [0.0f64; FEATURES];
        let eng: BTreeMap<String, f64> = gsum.iter().map(|(g, c)| (g.clone(), fitting::englishness(c))).collect();
        // The design row of a piece: language-dependent features split by englishness.
        let design = |g: &str, c: &[u64; FEATURES]| -> Vec<(usize, f64)> {
            let e = eng[g];
            let mut v = Vec::new();
            for (i, &n) in c.iter().enumerate() {
                // Bare pieces, bare Latin words and Capitalised words of the cased scripts
                // (every feature from SCRIPT_BARE on) are priced by the language correction,
                // not the model.
                if n == 0 || i >= feature::SCRIPT_BARE {
                    continue;
                }
                let x = fitting::value(i, n);
                if fitting::language_dependent(i) {
                    v.push((i, x * e));
                    v.push((FEATURES + i, x * (1.0 - e)));
                } else {
                    v.push((i, x));
                }
            }
            v
        };
        for (g, freq, tok, c) in &rows {
            let w = freq * group_weight(g, group_tokens[g]);
            let nz = design(g, c);
            for &(i, vi) in &nz {
                if i < FEATURES {
                    seen[i] += w * vi;
                }
                atb[i] += w * vi * tok;
                for &(j, vj) in &nz {
                    ata[i][j] += w * vi * vj;
                }
            }
        }
        let lambda = 20.0;
        for i in 0..dim {
            ata[i][i] += lambda;
            atb[i] += lambda * prior(i % FEATURES);
        }
        let x = solve(ata, atb);
        let lang = feature::LANG_START + FEATURES..feature::LANG_END + FEATURES;
        for (label, len, part) in [("", "FEATURES", &x[..FEATURES]), ("_FOREIGN", "LANG", &x[lang])] {
            println!("pub(crate) const {}{label}: [i16; {len}] = [", name.to_uppercase());
            for chunk in part.chunks(12) {
                let line: Vec<String> = chunk.iter().map(|v| format!("{}", (v * 1000.0).round().clamp(-32768.0, 32767.0) as i16)).collect();
                println!("    {},", line.join(", "));
            }
            println!("];");
        }
        // Residuals per group and piece category, in % of the group's tokens.
        let mut res: BTreeMap<(String, &str), f64> = BTreeMap::new();
        for (g, freq, tok, c) in &rows {
            let pred: f64 = design(g, c).iter().map(|&(i, v)| v * x[i]).sum();
            let cat = if c[feature::HIT] > 0 && c.iter().sum::<u64>() == c[feature::HIT] {
                "hit"
            } else if (feature::MISS..feature::MISS_LONG).any(|i| c[i] > 0) {
                if c[feature::LATIN_EXT] > 0 {
                    "latin-ext"
                } else if c[feature::SEG_EXTRA] > 0 {
                    "multi-seg"
                } else {
                    "miss"
                }
            } else if (feature::SCRIPT_CHARS..feature::NUMBER).any(|i| c[i] > 0) {
                "script"
            } else if (feature::PUNCT_RUN..feature::SPACE).any(|i| c[i] > 0) {
                "punct"
            } else if (feature::SPACE..=feature::SPACE_LONG).any(|i| c[i] > 0) {
                "space"
            } else {
                "other"
            };
            *res.entry((g.clone(), cat)).or_default() += freq * (pred - tok) / group_tokens[g] * 100.0;
        }
        let mut last = String::new();
        for ((g, cat), v) in &res {
            if *g != last {
                eprint!("\n{name} {g:<11}");
                last = g.clone();
            }
            eprint!(" {cat}:{v:+.2}");
        }
        eprintln!();
        eprintln!("{name}: weight seen per feature: {:?}", seen.iter().map(|s| s.round() as i64).collect::<Vec<_>>());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--pieces") {
        // Debug: print the pieces of a file, one per line as JSON-ish debug strings.
        let text = std::fs::read_to_string(&args[1]).unwrap_or_default();
        let o200k = args.get(2).map(String::as_str) != Some("cl100k");
        let verbose = args.get(3).is_some();
        for p in fitting::pieces(text.as_bytes(), o200k) {
            let piece = &text[p.start..p.end];
            if verbose {
                let mut c = [0u64; FEATURES];
                fitting::count(piece.as_bytes(), o200k, &mut c);
                println!("{piece:?}\t{:.2}", fitting::english_price(&c, o200k));
            } else {
                println!("{piece:?}");
            }
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--fit") {
        fit(&args[1..]);
        return;
    }
    let corpus_dir = args.first().cloned().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/corpus").into());
    let corpus = load(Path::new(&corpus_dir), "");
    if std::env::var("BENCH_ONLY").is_ok() {
        speed(&corpus);
        return;
    }
    if std::env::var("PROFILE_ONCE").is_ok() {
        // One o200k pass, for instruction-count profiling.
        let s: u64 = corpus.iter().map(|n| token_estimate::estimate(&n.text, Encoding::O200kBase)).sum();
        println!("{s}");
        return;
    }
    let mut extra = load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tokens")), "+");
    for d in args.iter().skip(1) {
        extra.extend(load(Path::new(d), "+"));
    }
    evaluate(&corpus, &extra);
    speed(&corpus);
}
