const { Tiktoken } = require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/lite.cjs');
const fs = require('fs'), path = require('path');
const eo = new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/o200k_base.cjs'));
const ec = new Tiktoken(require((process.env.NODE_MODULES || '/tmp/tok/node_modules') + '/js-tiktoken/dist/ranks/cl100k_base.cjs'));
// usage: node countfiles.js dir > counts.tsv   (group = file name prefix before '_')
const dir = process.argv[2];
const out = ['group\tpath\tbytes\to200k\tcl100k'];
for (const f of fs.readdirSync(dir).sort()) {
  if (!/\.(md|txt)$/.test(f)) continue;
  const t = fs.readFileSync(path.join(dir, f), 'utf8');
  out.push([f.split('_')[0], f, Buffer.byteLength(t), eo.encode(t, 'all').length, ec.encode(t, 'all').length].join('\t'));
}
console.log(out.join('\n'));
