"""Measures, from the tokenizers themselves, how the cost of a Spanish, Portuguese or French
word departs from the per-piece model's price as the word gets longer, and writes the table
the estimator applies (crates/token-estimate/src/word_lengths.rs).

Why: the model prices a rare Latin word by its length with one set of weights for every
language other than English. The BPE vocabularies hold many long Spanish, Portuguese and
French words whole (`información`, `configuração`), so past five letters these words cost
ever less than that price, while Czech, Romanian, Polish, Swedish or Turkish words of the
same length do not (their ratio stays near 1 up to 11 letters). The language's factor
(lang_weights.rs) fits the average, so a note with more long words than average was
over-counted: within each Romance language the over-count went with the share of long words.

Text: words of the `wordfreq` 3.1.1 list of each language (its 100,000 commonest, letters
only), drawn at random by frequency, 400 per note, one note per word length (2, 3, ..., 11,
12-13, 14+), and 2,000 drawn from all lengths. Exact counts are js-tiktoken's (count_dir.mjs),
the model's price the uncorrected estimate (`lang_terms`; these notes hold no function word,
so no language share applies). For each group of lengths the table holds
ratio(group) / ratio(all lengths) - 1, ratio = exact / estimate: on text with the
language's usual mix of lengths the shift averages out, and the language's factor keeps
its meaning.

The model's price must be measured without the shift itself (short-word notes hold the
languages' function words, which turn it on), so the tables are zeroed and the estimator
rebuilt first.

Usage (from tools/lang-rates, with js-tiktoken reachable as for the other generators):
  python3 gen_lengths.py notes /tmp/wlen
  node count_dir.mjs /tmp/wlen
  python3 gen_lengths.py zero ../../crates/token-estimate/src/word_lengths.rs
  (cd ../.. && cargo run --release -p token-estimate --example lang_terms -- /tmp/wlen) > /tmp/wlen_terms.tsv
  python3 gen_lengths.py table /tmp/wlen_terms.tsv ../../crates/token-estimate/src/word_lengths.rs
"""
import os
import random
import sys

# In the order of their function-word lists (lang.rs WORD_LISTS): row k of the table is
# scaled by list k's share. (Italian, German, Dutch, Indonesian and Catalan, the next lists,
# were measured and tried too: flatter curves, and within 0.05 point on every set.)
LANGS = ["es", "pt", "fr"]
NAMES = "Spanish, Portuguese, French"
LENGTHS = [(2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10), (11, 11), (12, 13), (14, 30)]
# The model's length groups of rare-word segments (features.rs buckets: length - 2, 11+ in
# one) and the notes whose ratios stand for each: up to 4 letters, 5-6, 7-8, 9-10, 11 and
# more, and the letters beyond ten (priced by the 14+ words).
GROUPS = [[2, 3, 4], [5, 6], [7, 8], [9, 10], [11, 12, 14], [14]]


def notes(out):
    import wordfreq

    os.makedirs(out, exist_ok=True)
    rows = []
    for lang in LANGS:
        words = [w for w in wordfreq.top_n_list(lang, 100000) if w.isalpha()]
        freq = {w: wordfreq.word_frequency(w, lang) for w in words}
        for lo, hi in LENGTHS:
            ws = [w for w in words if lo <= len(w) <= hi]
            pick = random.Random(f"{lang}{lo}").choices(ws, weights=[freq[w] for w in ws], k=400)
            write(out, f"{lang}_{lo}.md", pick)
            rows.append(f"{lang}\t{lang}_{lo}.md\tlengths\t{lo}")
        pick = random.Random(lang).choices(words, weights=[freq[w] for w in words], k=2000)
        write(out, f"{lang}_all.md", pick)
        rows.append(f"{lang}\t{lang}_all.md\tlengths\tall")
    with open(os.path.join(out, "notes.tsv"), "w") as f:
        f.write("group\tpath\tsplit\tfamily\n" + "\n".join(rows) + "\n")


def write(out, name, words):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10)) + "\n")


def table(terms, out):
    if terms is None:
        tables = [[[0.0] * len(GROUPS) for _ in LANGS]] * 2
        return write_table(tables, out)
    rows = [line.rstrip("\n").split("\t") for line in open(terms) if line.strip()]
    n = (len(rows[0]) - 3) // 2 - 2
    ratio = {}
    for r in rows:
        key = r[1].split("_")[1].split(".")[0]
        for e, off in enumerate([3, 3 + n + 2]):
            ratio[(r[0], key, e)] = float(r[off]) / float(r[off + 1])
    tables = []
    for e in range(2):
        t = []
        for lang in LANGS:
            whole = ratio[(lang, "all", e)]
            t.append([sum(ratio[(lang, str(k), e)] for k in g) / len(g) / whole - 1 for g in GROUPS])
        tables.append(t)
    write_table(tables, out)


def write_table(tables, out):
    """Replaces the two tables in `out` (from the `o200k_base` one's doc line to the end of
    the `cl100k_base` one), keeping what comes before and after them (the tests)."""
    old = open(out).read()
    start = old.index("/// `o200k_base`")
    end = old.index("];\n", old.index("static CL100K")) + 3
    src = ""
    for name, t in zip(["O200K", "CL100K"], tables):
        rows_src = "\n".join("    [" + ", ".join(f"{x:.3f}" for x in row) + "]," for row in t)
        label = "o200k_base" if name == "O200K" else "cl100k_base"
        src += f"/// `{label}`: {NAMES}.\npub(crate) static {name}: [[f32; GROUPS]; {len(LANGS)}] = [\n{rows_src}\n];\n"
    open(out, "w").write(old[:start] + src + old[end:])


if __name__ == "__main__":
    if sys.argv[1] == "notes":
        notes(sys.argv[2])
    elif sys.argv[1] == "zero":
        table(None, sys.argv[2])
    else:
        table(sys.argv[2], sys.argv[3])
