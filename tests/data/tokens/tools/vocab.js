// Dumps both vocabularies as `rank \t JSON string` (tokens that are not valid UTF-8 on
// their own come out with U+FFFD and are ignored by gen_tables.py).
// usage: node vocab.js <node_modules dir containing js-tiktoken> <out dir>
const [mods, out] = process.argv.slice(2);
const { Tiktoken } = require(mods + '/js-tiktoken/dist/lite.cjs');
const fs = require('fs');
for (const [en, f, n] of [['o200k', 'o200k_base', 200019], ['cl100k', 'cl100k_base', 100277]]) {
  const enc = new Tiktoken(require(mods + '/js-tiktoken/dist/ranks/' + f + '.cjs'));
  const lines = [];
  for (let i = 0; i < n; i++) {
    let s; try { s = enc.decode([i]); } catch (e) { continue; }
    lines.push(i + '\t' + JSON.stringify(s));
  }
  fs.writeFileSync(out + '/vocab.' + en + '.tsv', lines.join('\n') + '\n');
}
