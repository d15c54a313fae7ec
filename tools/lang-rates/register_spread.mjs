// How far per-language rates can go: for each language, the exact tokens of its words in each
// of the repository's note sets, against the best rates one language can have.
//
// Every note's prose (outside front matter and fenced code) is read; each word of the given
// script is encoded alone with its leading space (js-tiktoken), so the count is the words' own
// and nothing of the markup around them. Per language (group names with their set prefixes
// `ui_`, `sys_`, `nat_` dropped), two models are fitted by least squares on all of its notes in
// every set at once (in-sample: no held-out half):
//   - a rate per letter;
//   - a rate per letter and one per word (the per-piece model's form for a script).
// Each set's signed error under each model is printed: what is left is the part that no rate
// of that language can remove, the difference between the sets' vocabularies. Beside it, per
// set: tokens a word, what greedy longest match over the encoding's multi-letter tokens of the
// script makes of the same words (what a vocabulary would know), and the letter pairs a word
// that no such token holds (what a table of pairs would know).
//
// With TOP=K1,K2,… set, instead: what a vocabulary of the script's K commonest tokens (lowest
// ranks, the first merges) would know. Each language gets one factor on the greedy count over
// those K tokens (in-sample, all sets at once); printed are the mean and worst |signed error|
// of a language in a set, over every language in two sets or more, for each K.
//
// With BLOOM=B set beside TOP, the K tokens are not kept as text but as a Bloom filter of B bits
// a token (k = round(B ln 2) hashes): what the same knowledge costs when only membership is
// asked. A false positive makes a longer piece than the encoding would; the factor absorbs
// the average of it. The filter's bytes are printed beside each K (random bits: gzip keeps
// them).
//
// Then, with --vocab, the size of what would remove it: each encoding's multi-letter tokens
// of each script, sorted, one per line, gzip -9.
//
// Usage (from tools/lang-rates, after npm install):
//   node register_spread.mjs o200k '\p{Script=Cyrillic}+' ../../tests/data/{langs,indep,uistr,sysui,debdocs}
//   TOP=0,300,1000,3000,100000 node register_spread.mjs o200k '\p{Script=Cyrillic}+' ../../tests/data/{langs,indep,uistr,sysui,debdocs}
//   node register_spread.mjs --vocab
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { getEncoding } from "js-tiktoken";

if (process.argv[2] === "--vocab") {
  const scripts = ["Cyrillic", "Greek", "Arabic", "Hebrew", "Armenian", "Georgian", "Devanagari", "Bengali", "Telugu", "Malayalam", "Thai", "Hangul"];
  const dec = new TextDecoder("utf-8", { fatal: true });
  for (const name of ["o200k_base", "cl100k_base"]) {
    const sets = new Map(scripts.map((s) => [s, new Set()]));
    const tests = scripts.map((s) => [s, new RegExp(`^\\p{Script=${s}}{2,}$`, "u")]);
    for (const bytes of getEncoding(name).textMap.values()) {
      let text;
      try {
        text = dec.decode(bytes).replace(/^ /, "");
      } catch {
        continue; // part of a character
      }
      for (const [s, re] of tests) if (re.test(text)) sets.get(s).add(text);
    }
    let total = 0;
    const parts = [...sets].map(([s, set]) => {
      const gz = zlib.gzipSync(Buffer.from([...set].sort().join("\n")), { level: 9 }).length;
      total += gz;
      return `${s} ${set.size} (${gz} B)`;
    });
    console.log(`${name}: ${parts.join(", ")}; all ${total} B gzip -9`);
  }
  process.exit(0);
}

const [encName, script, ...dirs] = process.argv.slice(2);
if (!script || !dirs.length) throw new Error("usage: node register_spread.mjs o200k|cl100k SCRIPT_REGEX DIR... | --vocab");
const enc = getEncoding(encName === "cl100k" ? "cl100k_base" : "o200k_base");
const word = new RegExp(script, "gu");
const whole = new RegExp(`^(?:${script})$`, "u");

// The encoding's tokens of two letters or more of the script (leading space dropped), and the
// letter pairs inside them.
const vocab = new Set();
const pairs = new Set();
const ranked = []; // [rank, text], lowest rank first once sorted
const utf8 = new TextDecoder("utf-8", { fatal: true });
for (const [rank, bytes] of enc.textMap) {
  let text;
  try {
    text = utf8.decode(bytes).replace(/^ /, "");
  } catch {
    continue;
  }
  const cs = [...text];
  if (cs.length < 2 || !whole.test(text)) continue;
  vocab.add(text);
  ranked.push([rank, text]);
  for (let i = 0; i + 1 < cs.length; i++) pairs.add(cs[i] + cs[i + 1]);
}
ranked.sort((a, b) => a[0] - b[0]);

const longest = Math.max(2, ...ranked.map(([, text]) => [...text].length));

/** Membership of strings in B bits a member, by double hashing (FNV-1a and a second seed). */
class Bloom {
  constructor(members, bitsEach) {
    this.bits = Math.max(8, Math.ceil(members.length * bitsEach));
    this.k = Math.max(1, Math.round(bitsEach * Math.LN2));
    this.words = new Uint32Array(Math.ceil(this.bits / 32));
    for (const m of members) for (const b of this.#positions(m)) this.words[b >>> 5] |= 1 << (b & 31);
  }
  *#positions(text) {
    let h1 = 0x811c9dc5, h2 = 0x9747b28c;
    for (const byte of Buffer.from(text)) {
      h1 = Math.imul(h1 ^ byte, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ byte, 0x5bd1e995) >>> 0;
      h2 ^= h2 >>> 15;
    }
    for (let i = 0; i < this.k; i++) yield ((h1 + Math.imul(i, h2 | 1)) >>> 0) % this.bits;
  }
  has(text) {
    for (const b of this.#positions(text)) if (!(this.words[b >>> 5] & (1 << (b & 31)))) return false;
    return true;
  }
}

/** Pieces of greedy longest match over `vocab` (single letters always match). */
function greedy(cs, vocab) {
  let n = 0;
  for (let i = 0; i < cs.length; n++) {
    let j = Math.min(cs.length, i + longest);
    while (j > i + 1 && !vocab.has(cs.slice(i, j).join(""))) j--;
    i = j;
  }
  return n;
}

/** The note's text outside front matter and fenced code blocks. */
function prose(text) {
  const lines = text.split(/(?<=\n)/);
  let i = 0;
  if (lines[0] === "---\n") {
    i = lines.indexOf("---\n", 1) + 1 || lines.length;
  }
  let out = "", code = false;
  for (; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) code = !code;
    else if (!code) out += lines[i];
  }
  return out;
}

const byLang = new Map(); // language -> [{ set, chars, words, tokens }]
for (const dir of dirs) {
  const set = dir.split("/").filter(Boolean).pop();
  const base = existsSync(join(dir, "notes")) ? join(dir, "notes") : dir;
  const [, ...rows] = readFileSync(join(dir, "counts.tsv"), "utf8").trim().split("\n");
  for (const row of rows) {
    const [group, path] = row.split("\t");
    let chars = 0, words = 0, tokens = 0, matched = 0, unheld = 0;
    const ws = [];
    for (const m of prose(readFileSync(join(base, path), "utf8")).matchAll(word)) {
      const cs = [...m[0]];
      chars += cs.length;
      words += 1;
      tokens += enc.encode(" " + m[0]).length;
      matched += greedy(cs, vocab);
      ws.push(cs);
      for (let i = 0; i + 1 < cs.length; i++) if (!pairs.has(cs[i] + cs[i + 1])) unheld++;
    }
    if (!words) continue;
    const lang = group.replace(/^(ui|sys|nat)_/, "");
    if (!byLang.has(lang)) byLang.set(lang, []);
    byLang.get(lang).push({ set, chars, words, tokens, matched, unheld, ws });
  }
}

if (process.env.TOP) {
  const languages = [...byLang].filter(([, notes]) => new Set(notes.map((n) => n.set)).size >= 2);
  for (const k of process.env.TOP.split(",").map(Number)) {
    const members = ranked.slice(0, k).map(([, text]) => text);
    const bitsEach = Number(process.env.BLOOM || 0);
    const top = bitsEach ? new Bloom(members, bitsEach) : new Set(members);
    const errors = [];
    for (const [, notes] of languages) {
      for (const n of notes) n.top = n.ws.reduce((t, cs) => t + greedy(cs, top), 0);
      const factor = notes.reduce((t, n) => t + n.tokens * n.top, 0) / notes.reduce((t, n) => t + n.top * n.top, 0);
      for (const set of new Set(notes.map((n) => n.set))) {
        const ns = notes.filter((n) => n.set === set);
        const y = ns.reduce((t, n) => t + n.tokens, 0);
        errors.push(Math.abs((factor * ns.reduce((t, n) => t + n.top, 0) - y) / y) * 100);
      }
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const size = bitsEach
      ? `Bloom filter ${top.words.length * 4} B`
      : `${zlib.gzipSync(Buffer.from([...members].sort().join("\n")), { level: 9 }).length} B gzip -9 as text`;
    console.log(`${Math.min(k, ranked.length)} of ${ranked.length} tokens (${size}): mean ${mean.toFixed(2)} %, worst ${Math.max(...errors).toFixed(1)} % (${errors.length} language-sets)`);
  }
  process.exit(0);
}

for (const [lang, notes] of [...byLang].sort()) {
  const sets = [...new Set(notes.map((n) => n.set))];
  if (sets.length < 2 || notes.reduce((a, n) => a + n.chars, 0) < 3000) continue;
  // Least squares: tokens ~ a * chars, and tokens ~ b * chars + c * words.
  let cc = 0, cy = 0, cw = 0, ww = 0, wy = 0;
  for (const n of notes) {
    cc += n.chars * n.chars; cy += n.chars * n.tokens; cw += n.chars * n.words;
    ww += n.words * n.words; wy += n.words * n.tokens;
  }
  const a = cy / cc;
  const det = cc * ww - cw * cw;
  const [b, c] = det ? [(cy * ww - cw * wy) / det, (cc * wy - cw * cy) / det] : [a, 0];
  const cells = sets.map((s) => {
    const ns = notes.filter((n) => n.set === s);
    const y = ns.reduce((t, n) => t + n.tokens, 0);
    const e1 = ns.reduce((t, n) => t + a * n.chars, 0);
    const e2 = ns.reduce((t, n) => t + b * n.chars + c * n.words, 0);
    const pct = (e) => `${e >= y ? "+" : ""}${((100 * (e - y)) / y).toFixed(1)}`;
    const sum = (k) => ns.reduce((t, n) => t + n[k], 0);
    const perWord = (k) => (sum(k) / sum("words")).toFixed(2);
    return `${s} ${pct(e1)} / ${pct(e2)} (${(y / sum("chars")).toFixed(3)} a letter; a word ${perWord("tokens")}, greedy ${perWord("matched")}, unheld pairs ${perWord("unheld")})`;
  });
  console.log(`${lang.padEnd(8)} ${cells.join(", ")}`);
}
