// Development sets made of notes of the vendored note corpus (tests/data/corpus) with
// something put in — emoji (gen_emoji.mjs), characters the vocabularies do not merge
// (gen_astral.mjs): the corpus's text is priced within a few percent, so what a fit learns
// on such a set is the price of what was put in.
//
// `writeCorpusSet` makes, per kind, notes of each corpus group in turn, half of them from
// the corpus's fitting half and half from its held-out half (FNV-1a of the note's path,
// even: tools/lang-rates/fit.py's split of the corpus), so that no held-out note shares
// text with a fitted one, and writes counts.tsv with exact o200k_base / cl100k_base counts
// from js-tiktoken.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { getEncoding } from "js-tiktoken";
import { rng, pick, int } from "./random.mjs";

/** FNV-1a of a string's UTF-8 bytes (fit.py's `fnv`). */
export function fnv(s) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Applies `f` to the lines of `text` outside fenced code blocks (nothing is put into code). */
export function mapProse(text, f) {
  let code = false;
  return text.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) code = !code;
    return code || /^\s*(```|~~~)/.test(line) ? line : f(line);
  }).join("\n");
}

/**
 * Writes a set into `out`: for each `[kind, make]` of `kinds` (make(text, r) → the note),
 * `perGroup` notes of each group of `groups(kind)`, from notes of at least 600 bytes cut to
 * their first 700–2,500 bytes; named `<kind>_<i>.md`, listed in counts.tsv as group
 * `<prefix>_<kind>`, with the randomness seeded by `<prefix>-<kind>`.
 */
export function writeCorpusSet({ out, corpus, prefix, kinds, groups, perGroup = 4 }) {
  mkdirSync(out, { recursive: true });
  const enc = { o200k: getEncoding("o200k_base"), cl100k: getEncoding("cl100k_base") };
  const corpusRows = readFileSync(join(corpus, "counts.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  /** The first lines of a corpus note, up to about `limit` bytes, without its front matter. */
  const body = (path, limit) => {
    const text = readFileSync(join(corpus, "notes", path), "utf8").replace(/^---\n[\s\S]*?\n---\n/, "");
    const lines = [];
    let bytes = 0;
    for (const line of text.split("\n")) {
      if (bytes > limit && line.trim() === "") break;
      lines.push(line);
      bytes += Buffer.byteLength(line) + 1;
    }
    return lines.join("\n").trimEnd() + "\n";
  };
  const rows = [];
  for (const [kind, make] of Object.entries(kinds)) {
    const r = rng(`${prefix}-${kind}`);
    let i = 0;
    for (const g of groups(kind)) {
      const candidates = corpusRows.filter((row) => row[0] === g && +row[2] > 600);
      for (const half of [0, 1]) {
        const pool = candidates.filter((row) => fnv(row[1]) % 2 === half);
        for (let k = 0; k < perGroup / 2; k++) {
          const base = body(pick(r, pool)[1], int(r, 700, 2500));
          const text = make(base, r);
          const path = `${kind}_${i}.md`;
          writeFileSync(join(out, path), text);
          const o = enc.o200k.encode(text, "all").length;
          const c = enc.cl100k.encode(text, "all").length;
          rows.push([`${prefix}_${kind}`, path, Buffer.byteLength(text), o, c, half ? "held_out" : "fit"].join("\t"));
          i++;
        }
      }
    }
  }
  writeFileSync(join(out, "counts.tsv"), "group\tpath\tbytes\to200k\tcl100k\tsplit\n" + rows.join("\n") + "\n");
  console.log(`${rows.length} notes in ${out}`);
}
