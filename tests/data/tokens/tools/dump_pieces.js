// node dumphex.js <counts.tsv root (dir with counts.tsv and notes/)> <which: train|test|all> <out> [flat]
const { Tiktoken } = require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/lite.cjs');
const fs = require('fs');
const encs = {
  o200k: new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/o200k_base.cjs')),
  cl100k: new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/cl100k_base.cjs')),
};
const pats = {
  cl100k: /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  o200k: /[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
};
function fnv(s) { let h = 0x811c9dc5; for (const b of Buffer.from(s, 'utf8')) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; } return h; }
const [root, which, out, flat] = process.argv.slice(2);
const lines = fs.readFileSync(root + '/counts.tsv', 'utf8').trim().split('\n').slice(1);
const outl = [];
for (const en of ['o200k', 'cl100k']) {
  const enc = encs[en], cache = new Map(), agg = new Map();
  for (const l of lines) {
    const [g, p] = l.split('\t');
    const isTrain = fnv(p) % 2 == 0;
    if (which == 'train' && !isTrain) continue;
    if (which == 'test' && isTrain) continue;
    const txt = fs.readFileSync(root + (flat ? '/' : '/notes/') + p, 'utf8');
    for (const m of txt.matchAll(pats[en])) {
      const s = m[0];
      if (!cache.has(s)) cache.set(s, enc.encode(s, 'all').length);
      const k = g + '\t' + s;
      agg.set(k, (agg.get(k) || 0) + 1);
    }
  }
  for (const [k, f] of agg) { const i = k.indexOf('\t'); const s = k.slice(i + 1); outl.push([en, k.slice(0, i), f, cache.get(s), Buffer.from(s, 'utf8').toString('hex')].join('\t')); }
}
fs.writeFileSync(out, outl.join('\n') + '\n');
