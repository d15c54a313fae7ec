// Boundary probabilities between letter classes inside rare words, per encoding.
// usage: node bigrams.js out.json file...   (files: plain texts)
const { Tiktoken } = require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/lite.cjs');
const fs = require('fs');
const encs = {
  o200k: new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/o200k_base.cjs')),
  cl100k: new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/cl100k_base.cjs')),
};
const wl = fs.readFileSync(process.env.WORD_LIST || 'crates/token-estimate/src/word_list.rs', 'utf8');
const words = new Set(); for (const m of wl.matchAll(/^    "([a-z ]+)",$/gm)) for (const w of m[1].split(' ')) if (w) words.add(w);
const [out, ...files] = process.argv.slice(2);
const segs = new Map(); // " seg" or "seg" -> freq
for (const f of files) {
  const t = fs.readFileSync(f, 'utf8');
  for (const m of t.matchAll(/( ?)(\p{Lu}*\p{Ll}+|\p{Lu}+)/gu)) {
    const w = m[2];
    if (!/^[\p{Script=Latin}]+$/u.test(w)) continue;
    if (w.length < 3) continue;
    const lw = w.toLowerCase();
    if (/^[a-z]+$/.test(lw) && words.has(lw)) continue;
    const k = m[1] + w; segs.set(k, (segs.get(k) || 0) + 1);
  }
}
const cls = c => { const o = c.toLowerCase().charCodeAt(0); return (o >= 97 && o <= 122) ? o - 97 : 26; };
const res = {};
for (const [en, enc] of Object.entries(encs)) {
  const B = new Float64Array(27 * 27), N = new Float64Array(27 * 27);
  for (const [k, f] of segs) {
    const toks = enc.encode(k, 'all');
    const cuts = new Set(); let pos = 0;
    const dec = new TextDecoder();
    const bytes = Buffer.from(k, 'utf8');
    let bpos = 0; const bcuts = new Set();
    for (const t of toks) { bpos += enc.decode([t]).length; }
    // compute char boundaries via cumulative decoded byte lengths
    let acc = Buffer.alloc(0); const bounds = [];
    for (const t of toks) { const r = enc.decode([t]); bounds.push(r); }
    // approximate: use decode of prefixes to get char positions
    let cum = 0; const cpos = new Set();
    for (let i = 0; i < toks.length - 1; i++) { cum = Buffer.byteLength(enc.decode(toks.slice(0, i + 1))); cpos.add(cum); }
    const w = k.trimStart(); const off = k.length - w.length;
    const chars = [...w]; let b = off;
    const wt = 1; // type weighting
    for (let i = 0; i < chars.length - 1; i++) {
      b += Buffer.byteLength(chars[i]);
      const idx = cls(chars[i]) * 27 + cls(chars[i + 1]);
      N[idx] += wt; if (cpos.has(b)) B[idx] += wt;
    }
  }
  let tb = 0, tn = 0; for (let i = 0; i < 729; i++) { tb += B[i]; tn += N[i]; }
  const g = tb / tn, prior = 3;
  res[en] = Array.from(B, (x, i) => (x + prior * g) / (N[i] + prior));
  console.log(en, 'segments', segs.size, 'global boundary rate', g.toFixed(3));
}
fs.writeFileSync(out, JSON.stringify(res));
