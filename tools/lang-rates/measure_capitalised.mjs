// Measures, from the tokenizers, what a Capitalised word of a cased script costs on top of
// its lower-case form after a space, which the estimator's per-script price does not tell
// apart: for each language, up to 2,000 Capitalised words (an upper-case letter, then
// lower-case letters and marks, all of the script) of its notes in the given directories
// (files named `<lang>_...md`) are joined once as they are (" W1 W2 ...") and once
// lower-cased (" w1 w2 ..."); the rate is the difference of the two forms' errors (exact
// minus estimate) per word, averaged over the languages of each script (the
// `SCRIPT_CAPITALISED` terms of crates/token-estimate/src/lang.rs). A language with fewer
// than 100 such words is left out.
// Needs the npm package built (scripts/build.sh) with the Capitalised-word terms at zero.
// Usage: node measure_capitalised.mjs ../../pkg ../../tests/data/docs ../../tests/data/langs
//   ../../tests/data/debdocs ../../tests/data/docs2 ../../tests/data/guides ...
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { getEncoding } from "js-tiktoken";

const [pkg, ...dirs] = process.argv.slice(2);
if (!pkg || dirs.length === 0) throw new Error("usage: node measure_capitalised.mjs PKG_DIR NOTES_DIR...");
const m = await import(resolve(pkg, "credit_meter.js"));
m.initSync({ module: readFileSync(resolve(pkg, "credit_meter_bg.wasm")) });
// The cased scripts of the `CASED_SCRIPTS` list (Georgian, the other alphabet there, has no case).
const SCRIPTS = {
  Cyrillic: ["ru", "uk", "bg", "sr", "be", "kk", "mk"],
  Greek: ["el"],
  Armenian: ["hy"],
};
const CAPITALISED = /^\p{Lu}[\p{Ll}\p{M}]+$/u;
for (const name of ["o200k_base", "cl100k_base"]) {
  const enc = getEncoding(name);
  const line = [name];
  for (const [script, langs] of Object.entries(SCRIPTS)) {
    const only = new RegExp(`^[\\p{Script=${script}}\\p{M}]+$`, "u");
    const rates = [];
    for (const lang of langs) {
      const words = [];
      for (const dir of dirs) {
        for (const f of readdirSync(dir).sort()) {
          if (!f.startsWith(`${lang}_`) || !f.endsWith(".md")) continue;
          for (const w of readFileSync(join(dir, f), "utf8").match(/[\p{L}\p{M}]+/gu) ?? []) {
            if (CAPITALISED.test(w) && only.test(w) && words.length < 2000) words.push(w);
          }
        }
      }
      if (words.length < 100) continue;
      const err = (t) => enc.encode(t, "all").length - m.estimateTokens(t, name);
      const rate = (err("x" + words.map((w) => " " + w).join("")) - err("x" + words.map((w) => " " + w.toLowerCase()).join(""))) / words.length;
      rates.push(rate);
      line.push(`${lang} ${rate.toFixed(3)}`);
    }
    const mean = rates.reduce((a, b) => a + b, 0) / (rates.length || 1);
    line.push(`| ${script} ${mean.toFixed(3)}`);
  }
  console.log(line.join("  "));
}
