// Measures, from the tokenizers, what a bare word costs on top of what the estimator prices
// it at: for each language, up to 2,000 words (runs of letters) of its notes in the given
// directories are joined once with spaces (" w1 w2 ...") and once each on its own line
// ("\nw1\nw2 ..."), where every word is a piece with no leading space; the rate is the
// difference of the two forms' errors (exact minus estimate) per word, averaged over the
// languages of each script (the `BARE_SCRIPTS` terms of crates/token-estimate/src/lang.rs),
// and for the Latin languages over their words of three letters or more (the `LATIN_BARE`
// term: a rare Latin word with no space before it).
// Needs the npm package built (scripts/build.sh) with the bare-word terms at zero.
// Usage: node measure_bare.mjs ../../pkg ../../tests/data/docs ../../tests/data/langs
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { getEncoding } from "js-tiktoken";

const [pkg, ...dirs] = process.argv.slice(2);
if (!pkg || dirs.length === 0) throw new Error("usage: node measure_bare.mjs PKG_DIR NOTES_DIR...");
const m = await import(resolve(pkg, "credit_meter.js"));
m.initSync({ module: readFileSync(resolve(pkg, "credit_meter_bg.wasm")) });
const SCRIPTS = {
  Cyrillic: ["ru", "uk", "bg", "sr", "be", "kk", "mk"],
  Greek: ["el"],
  OtherAlphabet: ["hy", "ka"],
  Hebrew: ["he"],
  Arabic: ["ar", "fa", "ur"],
  Indic: ["hi", "bn", "mr", "ta", "te"],
  Hangul: ["ko"],
  // Rare Latin words (the `LATIN_BARE` term): words of three letters or more.
  Latin: ["cs", "da", "de", "es", "fi", "fr", "hu", "id", "it", "nl", "pl", "pt_br", "ro", "sv", "tr"],
};
const WORD = /[\p{L}\p{M}]+/gu;
const LATIN = /^[\p{Script=Latin}]+$/u;
for (const name of ["o200k_base", "cl100k_base"]) {
  const enc = getEncoding(name);
  const line = [name];
  for (const [script, langs] of Object.entries(SCRIPTS)) {
    const rates = [];
    for (const lang of langs) {
      const words = [];
      for (const dir of dirs) {
        for (const f of readdirSync(dir).sort()) {
          if (f.replace(/_\d+\.md$/, "") !== lang || words.length >= 2000) continue;
          for (const w of readFileSync(join(dir, f), "utf8").match(WORD) ?? []) {
            if (LATIN.test(w) === (script === "Latin") && (script !== "Latin" || w.length >= 3) && words.length < 2000) words.push(w);
          }
        }
      }
      if (words.length < 200) continue;
      const err = (t) => enc.encode(t, "all").length - m.estimateTokens(t, name);
      const rate = (err("x" + words.map((w) => "\n" + w).join("")) - err("x" + words.map((w) => " " + w).join(""))) / words.length;
      rates.push(rate);
      line.push(`${lang} ${rate.toFixed(3)}`);
    }
    const mean = rates.reduce((a, b) => a + b, 0) / (rates.length || 1);
    line.push(`| ${script} ${mean.toFixed(3)}`);
  }
  console.log(line.join("  "));
}
