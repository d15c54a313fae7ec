//! Every pre-tokenisation piece of the given files with the model's price for it alone, for
//! finding which pieces a register is mispriced by (`tools/lang-rates/piece_residuals.py`
//! compares the prices with exact counts from `tools/lang-rates/piece_exact.mjs`).
//!
//! ```text
//! cargo run --release -p token-estimate --features fitting --example piece_costs -- FILE... > pieces.tsv
//! ```
//!
//! One line per piece and encoding (`o` for `o200k_base`, `c` for `cl100k_base`): file,
//! encoding, the piece with tab, newline and backslash escaped, its price under the English
//! weights (no language correction, which works on whole notes), and its non-zero features as
//! `index:count` (indices of `token_estimate::fitting::feature`).

use token_estimate::fitting;

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {path}");
            continue;
        };
        for (o200k, name) in [(true, "o"), (false, "c")] {
            for r in fitting::pieces(text.as_bytes(), o200k) {
                let piece = &text[r];
                let mut c = [0u64; fitting::FEATURES];
                fitting::count(piece.as_bytes(), o200k, &mut c);
                let price = fitting::english_price(&c, o200k);
                let features: Vec<String> = c.iter().enumerate().filter(|(_, &n)| n > 0).map(|(i, n)| format!("{i}:{n}")).collect();
                let escaped = piece.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n");
                println!("{path}\t{name}\t{escaped}\t{price:.3}\t{}", features.join(","));
            }
        }
    }
}
