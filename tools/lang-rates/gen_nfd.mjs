// Writes tests/data/nfd: the documentation set's notes (tests/data/docs) of the languages
// whose letters decompose, in Unicode normalization form D — as text copied from macOS file
// names, from PDFs, or typed with a Vietnamese "Unicode tổ hợp" keyboard is: `é` as `e` and
// U+0301, a Hangul syllable as two or three conjoining jamo (U+1100–U+11FF), a voiced kana
// as the kana and a combining voiced mark (`が` as `か` + U+3099). Each note keeps
// its half: `docs_fit` notes become `nfd_fit`, `docs_held_out` ones `nfd_held_out`. Only
// notes whose decomposed form differs are written. Then run count_dir.mjs on the directory.
// Usage: node gen_nfd.mjs ../../tests/data/docs ../../tests/data/nfd
import { deriveSet } from "./derived_set.mjs";

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: node gen_nfd.mjs DOCS_DIR OUT_DIR");
// Languages whose text decomposes: Latin letters with diacritics, Vietnamese, Korean, Japanese.
const GROUPS = new Set(["de", "es", "fr", "it", "ja", "pl", "pt_br", "pt_pt", "tr", "vi", "ko"]);
const written = deriveSet(from, to, GROUPS, "nfd", (text) => {
  const nfd = text.normalize("NFD");
  return nfd === text ? null : nfd;
});
console.log(`${written} notes written to ${to}`);
