//! Prints the estimate of every note of the repository's data sets, for both encodings, one
//! line per note (`set/path<TAB>o200k<TAB>cl100k`), so that a change meant to leave the
//! estimator's results alone (a faster scan, a restructured loop) can be checked to be
//! bit-identical: diff the output before and after.
//!
//! ```text
//! cargo run --release -p token-estimate --example estimates -- tests/data > before.tsv
//! ```
//!
//! Every directory under the given one that holds a `counts.tsv` is read; its notes live in
//! `notes/` beside it if that exists, else beside it. Beyond the listed notes, each note's
//! prefixes at a few odd byte lengths are estimated too (cut to a character boundary), so
//! that texts ending mid-word, mid-number or mid-line are covered.

use std::path::Path;

use token_estimate::{estimate, Encoding};

/// Prefix lengths (bytes) estimated besides each whole note.
const CUTS: [usize; 4] = [1, 7, 100, 1001];

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "tests/data".to_owned());
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {root}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("counts.tsv").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        print_set(&dir);
    }
}

/// Prints the estimates of the notes listed in `dir/counts.tsv` (path in the second column).
fn print_set(dir: &Path) {
    let set = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tsv = std::fs::read_to_string(dir.join("counts.tsv")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let base = if dir.join("notes").is_dir() { dir.join("notes") } else { dir.to_path_buf() };
    for line in tsv.lines().skip(1) {
        let Some(path) = line.split('\t').nth(1) else { continue };
        let text = std::fs::read_to_string(base.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let both = |t: &str| (estimate(t, Encoding::O200kBase), estimate(t, Encoding::Cl100kBase));
        let (o, c) = both(&text);
        println!("{set}/{path}\t{o}\t{c}");
        for cut in CUTS {
            let mut end = cut.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let (o, c) = both(&text[..end]);
            println!("{set}/{path}@{cut}\t{o}\t{c}");
        }
    }
}
