// Writes tests/data/nfd: the documentation set's notes (tests/data/docs) of the languages
// whose letters decompose, in Unicode normalization form D — as text copied from macOS file
// names, from PDFs, or typed with a Vietnamese "Unicode tổ hợp" keyboard is: `é` as `e` and
// U+0301, a Hangul syllable as two or three conjoining jamo (U+1100–U+11FF), a voiced kana
// as the kana and a combining voiced mark (`が` as `か` + U+3099). Each note keeps
// its half: `docs_fit` notes become `nfd_fit`, `docs_held_out` ones `nfd_held_out`. Only
// notes whose decomposed form differs are written. Then run count_dir.mjs on the directory.
// Usage: node gen_nfd.mjs ../../tests/data/docs ../../tests/data/nfd
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: node gen_nfd.mjs DOCS_DIR OUT_DIR");
// Languages whose text decomposes: Latin letters with diacritics, Vietnamese, Korean, Japanese.
const GROUPS = new Set(["de", "es", "fr", "it", "ja", "pl", "pt_br", "pt_pt", "tr", "vi", "ko"]);
mkdirSync(to, { recursive: true });
const rows = readFileSync(join(from, "notes.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
const out = [];
for (const [group, path, split, family] of rows) {
  if (!GROUPS.has(group)) continue;
  const text = readFileSync(join(from, path), "utf8");
  const nfd = text.normalize("NFD");
  if (nfd === text) continue;
  writeFileSync(join(to, path), nfd);
  out.push([group, path, split.replace(/^docs_/, "nfd_"), family].join("\t"));
}
writeFileSync(join(to, "notes.tsv"), "group\tpath\tsplit\tfamily\n" + out.join("\n") + "\n");
console.log(`${out.length} notes written to ${to}`);
