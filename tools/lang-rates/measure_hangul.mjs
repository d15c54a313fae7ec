// Measures, from the tokenizer, what a Hangul syllable that is no o200k_base token of its
// own costs on top of one that is (the o200k_base rate of the S_HANGUL_REST term of
// crates/token-estimate/src/lang.rs). o200k_base holds 677 of the 11,172 syllables as a
// token; the others cost two or three byte tokens wherever no longer token covers them.
// Every Hangul run of the Korean notes (`ko_*.md`) in the given directories, with the space
// before it if any, is encoded alone; a least-squares fit of its tokens on a constant, the
// leading space, its one-token syllables and its other syllables gives each syllable kind's
// cost, and the rate is the difference of the two.
// Usage: node measure_hangul.mjs ../../tests/data/langs ../../tests/data/docs
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { getEncoding } from "js-tiktoken";

const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error("usage: node measure_hangul.mjs NOTES_DIR...");
const enc = getEncoding("o200k_base");
const FIRST = 0xac00, END = 0xd7a4;
const one = new Set();
for (let u = FIRST; u < END; u++) if (enc.encode(String.fromCodePoint(u)).length === 1) one.add(u);
// Normal equations of tokens ~ [1, space, one-token syllables, other syllables].
const K = 4;
const a = Array.from({ length: K }, () => new Array(K).fill(0));
const y = new Array(K).fill(0);
let runs = 0, rare = 0, syllables = 0;
for (const dir of dirs) {
  for (const f of readdirSync(dir).sort()) {
    if (!/^ko_.*\.md$/.test(f)) continue;
    for (const [run, space, letters] of readFileSync(join(dir, f), "utf8").matchAll(/( ?)([\uac00-\ud7a3]+)/g)) {
      const x = [1, space ? 1 : 0, 0, 0];
      for (const ch of letters) x[one.has(ch.codePointAt(0)) ? 2 : 3]++;
      const t = enc.encode(run).length;
      for (let i = 0; i < K; i++) {
        y[i] += x[i] * t;
        for (let j = 0; j < K; j++) a[i][j] += x[i] * x[j];
      }
      runs++;
      rare += x[3];
      syllables += x[2] + x[3];
    }
  }
}
// Gauss-Jordan elimination with partial pivoting.
for (let i = 0; i < K; i++) {
  let p = i;
  for (let j = i + 1; j < K; j++) if (Math.abs(a[j][i]) > Math.abs(a[p][i])) p = j;
  [a[i], a[p], y[i], y[p]] = [a[p], a[i], y[p], y[i]];
  for (let j = 0; j < K; j++) {
    if (j === i) continue;
    const f = a[j][i] / a[i][i];
    for (let k = i; k < K; k++) a[j][k] -= f * a[i][k];
    y[j] -= f * y[i];
  }
}
const [c, space, common, other] = y.map((v, i) => v / a[i][i]);
console.log(`${runs} runs, ${syllables} syllables, ${rare} not one token (${((100 * rare) / syllables).toFixed(1)} %)`);
console.log(`tokens per run ${c.toFixed(3)}, leading space ${space.toFixed(3)}, one-token syllable ${common.toFixed(3)}, other syllable ${other.toFixed(3)}`);
console.log(`rate: ${(other - common).toFixed(3)} tokens per syllable that is no token of its own`);
