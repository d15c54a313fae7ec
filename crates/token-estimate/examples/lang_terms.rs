//! Dumps, for each note of a `counts.tsv` directory, the inputs of the language
//! correction's fit (`tools/lang-rates/fit.py`): group, path, split, then per encoding the
//! exact count, the uncorrected estimate and the correction terms, tab-separated.
//!
//! ```text
//! cargo run --release -p token-estimate --example lang_terms -- DIR [DIR ...] > terms.tsv
//! ```

use std::path::Path;

fn main() {
    for dir in std::env::args().skip(1) {
        let dir = Path::new(&dir);
        let files = if dir.join("notes").is_dir() { dir.join("notes") } else { dir.to_path_buf() };
        let tsv = std::fs::read_to_string(dir.join("counts.tsv")).unwrap_or_default();
        for line in tsv.lines().skip(1) {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 5 {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(files.join(f[1])) else { continue };
            let split = f.get(5).copied().unwrap_or("corpus");
            let mut out = vec![f[0].to_string(), f[1].to_string(), split.to_string()];
            for (k, encoding) in [(3, token_estimate::Encoding::O200kBase), (4, token_estimate::Encoding::Cl100kBase)] {
                let (base, terms) = token_estimate::lang_terms(&text, encoding);
                out.push(f[k].to_string());
                out.push(format!("{base:.3}"));
                out.extend(terms.iter().map(|t| format!("{t:.3}")));
            }
            println!("{}", out.join("\t"));
        }
    }
}
