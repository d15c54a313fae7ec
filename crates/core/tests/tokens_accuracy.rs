//! Accuracy of `estimate_tokens` against exact counts.
//!
//! The note corpus is vendored in the repository (`tests/data/corpus`, see its SOURCES.md: `counts.tsv` with
//! group, path, bytes, o200k, cl100k; files under `notes/`). Its held-out half (paths whose
//! FNV-1a hash is odd; the estimator's tables were fitted on the even half) must meet issue
//! 3's bars for both encodings: mean absolute relative error ≤ 3 %, 90th percentile ≤ 8 %,
//! every language group's mean ≤ 6 %, over notes of at least 20 exact tokens. A missing
//! corpus fails the test. The small generalisation set in `tests/data/tokens` (languages
//! and scripts the corpus lacks) is held to a looser per-note bar (10 %; Ukrainian 15 %), and the held-out
//! half of the language development sets (`tests/data/langs`) to a guard on today's level.

// Native only: proptest has no wasm32 backend, and the data are read from disk.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_core::estimate::{estimate_tokens, Encoding};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in s.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

struct Note {
    group: String,
    path: String,
    text: String,
    exact: [u64; 2],
    /// The `split` column (`fit`, `held_out`, …), where the set has one.
    split: Option<String>,
}

fn load(dir: &Path, files: &Path) -> Vec<Note> {
    let tsv =
        std::fs::read_to_string(dir.join("counts.tsv")).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join("counts.tsv").display()));
    let mut notes = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 5, "bad line in counts.tsv: {line:?}");
        let text = std::fs::read_to_string(files.join(f[1])).unwrap_or_else(|e| panic!("{}: {e}", f[1]));
        notes.push(Note {
            group: f[0].to_string(),
            path: f[1].to_string(),
            text,
            exact: [f[3].parse().expect("o200k count"), f[4].parse().expect("cl100k count")],
            split: f.get(5).map(|s| s.to_string()),
        });
    }
    notes
}

/// The notes of `tests/data/<name>` (files beside its `counts.tsv`) whose split is `split`.
fn split_of(name: &str, split: &str) -> Vec<Note> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data")).join(name);
    load(&dir, &dir).into_iter().filter(|n| n.split.as_deref() == Some(split)).collect()
}

fn mean_p90(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let idx = ((v.len() as f64 * 0.9).ceil() as usize).clamp(1, v.len()) - 1;
    (mean, v[idx])
}

/// Upper bounds on the absolute relative error, per encoding (o200k, cl100k).
struct Bars {
    mean: [f64; 2],
    p90: [f64; 2],
    group: [f64; 2],
}

/// Measures `notes` (those of at least 20 exact tokens) against `bars`, printing the
/// figures overall and per group, and returns what misses a bar.
fn missed(notes: &[Note], bars: &Bars) -> Vec<String> {
    let mut failures = Vec::new();
    for (ei, enc) in ENCODINGS.into_iter().enumerate() {
        let mut all = Vec::new();
        let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for n in notes.iter().filter(|n| n.exact[ei] >= 20) {
            let est = estimate_tokens(&n.text, enc) as f64;
            let err = (est - n.exact[ei] as f64).abs() / n.exact[ei] as f64;
            all.push(err);
            groups.entry(&n.group).or_default().push(err);
        }
        let (mean, p90) = mean_p90(&mut all);
        println!("{}: mean {:.2}% p90 {:.2}% over {} notes", enc.name(), mean * 100.0, p90 * 100.0, all.len());
        if mean > bars.mean[ei] {
            failures.push(format!("{}: mean {:.2}% > {}%", enc.name(), mean * 100.0, bars.mean[ei] * 100.0));
        }
        if p90 > bars.p90[ei] {
            failures.push(format!("{}: p90 {:.2}% > {}%", enc.name(), p90 * 100.0, bars.p90[ei] * 100.0));
        }
        let mut above = Vec::new();
        for (g, v) in &mut groups {
            let (m, p) = mean_p90(v);
            println!("  {g:<11} mean {:.2}% p90 {:.2}% ({})", m * 100.0, p * 100.0, v.len());
            if m > 0.06 {
                above.push(format!("{g} {:.1}%", m * 100.0));
            }
            if m > bars.group[ei] {
                failures.push(format!("{} {g}: mean {:.2}% > {}%", enc.name(), m * 100.0, bars.group[ei] * 100.0));
            }
        }
        println!("{}: groups above issue 19's 6% bar: {}", enc.name(), above.join(", "));
    }
    failures
}

#[test]
fn corpus_held_out_half_meets_the_bars() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/corpus"));
    assert!(dir.join("counts.tsv").is_file(), "the note corpus is missing: expected {}/counts.tsv (tests/data/corpus)", dir.display());
    let notes: Vec<Note> = load(&dir, &dir.join("notes")).into_iter().filter(|n| fnv(&n.path) % 2 == 1).collect();
    assert!(notes.len() > 500, "only {} held-out notes", notes.len());
    let failures = missed(&notes, &Bars { mean: [0.03; 2], p90: [0.08; 2], group: [0.06; 2] });
    assert!(failures.is_empty(), "accuracy bars missed: {failures:#?}");
}

#[test]
fn generalisation_set_stays_close() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tokens"));
    let notes = load(&dir, &dir);
    assert!(!notes.is_empty());
    let mut failures = Vec::new();
    for (ei, enc) in ENCODINGS.into_iter().enumerate() {
        for n in &notes {
            let est = estimate_tokens(&n.text, enc) as f64;
            let err = (est - n.exact[ei] as f64) / n.exact[ei] as f64;
            println!("{} {:<14} {:+.2}%", enc.name(), n.path, err * 100.0);
            // Ukrainian shares Cyrillic with Russian but costs ~25% more tokens; its own
            // letters (іїєґ) now correct most of that (−25% before the language signals,
            // −12% after, in o200k_base), not all.
            let bar = if n.group == "uk" { 0.15 } else { 0.10 };
            if err.abs() > bar {
                failures.push(format!("{} {}: {:+.2}%", enc.name(), n.path, err * 100.0));
            }
        }
    }
    assert!(failures.is_empty(), "generalisation notes off by more than their bar: {failures:#?}");
}

/// The language development sets (`tests/data/langs`, built by `tools/lang-rates`: synthetic
/// markdown notes of Universal Declaration of Human Rights text in 100 languages and of
/// word-frequency text in 43, code-heavy English, styled letters; exact counts in
/// `counts.tsv`). Only the notes marked `held_out` are measured; the language correction
/// was fitted on the `fit` ones.
///
/// Issue 19's bars (mean ≤ 3 %, p90 ≤ 8 %, every group ≤ 6 %) are printed with what misses
/// them, but NOT met on these sets yet (see the README's Benchmark section): this test
/// guards today's level instead, so that a change that makes any language worse fails.
#[test]
fn language_sets_held_out_half_stay_within_the_guard() {
    // Today's level plus a margin (o200k_base 4.5 % / 10.1 %, worst group Hindi 15.7 %;
    // cl100k_base 3.5 % / 7.7 %, worst Igbo 9.1 %).
    const MEAN: [f64; 2] = [0.05, 0.04];
    const P90: [f64; 2] = [0.11, 0.09];
    const GROUP: [f64; 2] = [0.17, 0.11];
    let notes = split_of("langs", "held_out");
    assert!(notes.len() > 500, "only {} held-out notes", notes.len());
    let failures = missed(&notes, &Bars { mean: MEAN, p90: P90, group: GROUP });
    assert!(failures.is_empty(), "accuracy guard missed: {failures:#?}");
}

/// Issue 19's bars: mean ≤ 3 %, p90 ≤ 8 %, every group's mean ≤ 6 %, both encodings.
const ISSUE_19: Bars = Bars { mean: [0.03, 0.03], p90: [0.08, 0.08], group: [0.06, 0.06] };

/// Asserts that the `split` notes of `tests/data/{name}` (at least `at_least` of them, so
/// that a set that failed to load cannot pass) meet [`ISSUE_19`]'s bars.
fn assert_meets_issue_19(name: &str, split: &str, at_least: usize) {
    let notes = split_of(name, split);
    assert!(notes.len() >= at_least, "tests/data/{name}: only {} {split} notes", notes.len());
    let failures = missed(&notes, &ISSUE_19);
    assert!(failures.is_empty(), "issue 19's bars missed on tests/data/{name} ({split}): {failures:#?}");
}

/// The emoji development set (`tests/data/emoji`, built by `tools/lang-rates/gen_emoji.mjs`:
/// notes of the note corpus with emoji at line starts, after sentences, in task fields, as
/// ZWJ sequences, flags and skin tones, and dense in trackers). Its held-out half (made of
/// the corpus's held-out notes) meets issue 19's bars in both encodings: before the emoji and
/// pictograph rates were fitted on its other half, an emoji cost 0.3 tokens where it costs
/// about two, and these notes ran 8.3 % under (o200k_base; the dense ones 16 %).
#[test]
fn emoji_set_held_out_half_meets_the_issue_bars() {
    assert_meets_issue_19("emoji", "held_out", 70);
}

/// The unmerged-characters set (`tests/data/astral`, built by
/// `tools/lang-rates/gen_astral.mjs`: notes of the note corpus with Cantonese and Japanese
/// words in Extension A and B ideographs, glossed cuneiform and hieroglyphs, paragraphs in
/// Adlam, Deseret, Canadian syllabics, Yi or Tifinagh, Braille, icon-font symbols,
/// tag-spelled subdivision flags and polytonic Greek). Its held-out half meets issue 19's
/// bars in both encodings: before the unmerged-character rates were fitted on its other
/// half, such a character cost three or four tokens where the estimate said about one, and
/// these notes ran up to 73 % under by kind.
#[test]
fn astral_set_held_out_half_meets_the_issue_bars() {
    assert_meets_issue_19("astral", "held_out", 150);
}

/// The documentation set (`tests/data/docs`, built by `tools/lang-rates/gen_docs.py`: pages
/// of react.dev's and Vue's documentation as their translators wrote them, in 22 languages,
/// code blocks, components and front matter kept). Its held-out half meets issue 19's bars
/// in both encodings: before its other half was fitted, Arabic, Persian and Korean ran 5–7 %
/// under in o200k_base (the held-out half 3.41 % mean, Arabic's group 7.5 %).
#[test]
fn docs_set_held_out_half_meets_the_issue_bars() {
    assert_meets_issue_19("docs", "docs_held_out", 180);
}

/// The marked-up documentation set (`tests/data/marked`, `tools/lang-rates/gen_marked.mjs`:
/// the documentation set's notes of twelve languages with wikilinks, bold words, tags and
/// anchor-slug links added to their prose, as a personal vault writes them). In each of those
/// a word follows no space, which costs more tokens than the same word after one; its
/// held-out half meets issue 19's bars in both encodings (before bare words had a rate, the
/// markup moved Arabic, Persian, Hindi and Korean 1.3–3.8 points further under in
/// o200k_base).
#[test]
fn marked_set_held_out_half_meets_the_issue_bars() {
    assert_meets_issue_19("marked", "marked_held_out", 95);
}

/// The other held-out sets of issue 19, each made from other public text than the
/// development sets (built by `tools/lang-rates`, exact counts in `counts.tsv`, never
/// Obsidian help translations or vaults): the natural-prose set's held-out manuals
/// (`tests/data/debdocs`, split `nat_held_out`), the software-interface set's held-out half
/// (`tests/data/uistr`, `ui_held_out`), the desktop-interface set's held-out half
/// (`tests/data/sysui`, `sys_held_out`), the independent set (`tests/data/indep`, never
/// fitted), the decomposed documentation set's held-out half (`tests/data/nfd`,
/// `nfd_held_out`: within the bars in `o200k_base`, not in `cl100k_base`, where decomposed
/// Turkish runs 8 % under), the second documentation set (`tests/data/docs2`, never
/// fitted: within the bars but for Turkish's five notes, 6.2 % in `o200k_base`) and the
/// study-guide set (`tests/data/guides`, never fitted: Coding Interview University's, The
/// Art of Command Line's and JavaScript Algorithms' translations; Marathi's YouTube link
/// lists 7 % under in `o200k_base`, Bulgarian 7 % under in `cl100k_base`) and the
/// cheat-sheet set (`tests/data/tldr`, never fitted: tldr-pages' translations, whose
/// placeholders glued to braces and slashes, `{{cesta/k/souboru}}`, run Czech, Dutch and
/// Italian 7–11 % under in `o200k_base`) and the fortune-cookie set's held-out half
/// (`tests/data/fortunes`, `fortunes_held_out`: Debian's fortune packages in 12 languages,
/// quotations with their authors, proverbs and jokes, the everyday register; Irish's two
/// notes 9–11 % under) and the desktop-help set's held-out half (`tests/data/gnomehelp`,
/// `gnome_held_out`: GNOME Help's task pages in 34 languages, the register nearest an app's
/// translated help; Telugu 10 % over, Marathi 8 % under in `o200k_base`). Most do not
/// meet issue 19's bars yet: this guards today's level (README, Benchmark) with a margin, so
/// that a refit that buys one set's figures with another's fails here rather than only
/// moving a bench table.
#[test]
fn other_held_out_sets_stay_within_the_guard() {
    // (directory, split, bars): today's level plus about a point of mean, two of p90 and
    // three of the worst group's mean (o200k_base, cl100k_base).
    let sets: [(&str, &str, Bars); 10] = [
        ("debdocs", "nat_held_out", Bars { mean: [0.05, 0.047], p90: [0.10, 0.096], group: [0.125, 0.09] }),
        ("uistr", "ui_held_out", Bars { mean: [0.049, 0.044], p90: [0.10, 0.097], group: [0.12, 0.13] }),
        ("sysui", "sys_held_out", Bars { mean: [0.07, 0.041], p90: [0.145, 0.091], group: [0.165, 0.11] }),
        ("indep", "indep", Bars { mean: [0.049, 0.043], p90: [0.103, 0.093], group: [0.14, 0.12] }),
        ("nfd", "nfd_held_out", Bars { mean: [0.036, 0.043], p90: [0.075, 0.095], group: [0.08, 0.115] }),
        ("docs2", "docs2", Bars { mean: [0.037, 0.035], p90: [0.077, 0.073], group: [0.09, 0.08] }),
        ("guides", "guides", Bars { mean: [0.042, 0.04], p90: [0.082, 0.083], group: [0.10, 0.105] }),
        ("tldr", "tldr", Bars { mean: [0.05, 0.042], p90: [0.10, 0.087], group: [0.135, 0.15] }),
        ("fortunes", "fortunes_held_out", Bars { mean: [0.041, 0.042], p90: [0.086, 0.093], group: [0.142, 0.12] }),
        ("gnomehelp", "gnome_held_out", Bars { mean: [0.054, 0.044], p90: [0.105, 0.097], group: [0.134, 0.098] }),
    ];
    let mut failures = Vec::new();
    for (name, split, bars) in sets {
        let notes = split_of(name, split);
        assert!(notes.len() >= 70, "tests/data/{name}: only {} {split} notes", notes.len());
        println!("== tests/data/{name} ({split})");
        failures.extend(missed(&notes, &bars).into_iter().map(|f| format!("{name}: {f}")));
    }
    assert!(failures.is_empty(), "accuracy guard missed: {failures:#?}");
}
