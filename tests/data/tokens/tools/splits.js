const pats = {
  cl100k: /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  o200k: /[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
};
const cases = ["Hello world", "123456", "   ", "I'm sure they'll say don't", "'sorry", "getElementById(HTMLElement)", "  two spaces\n\n  indented\tx", "## Heading\n- [ ] task\n", "[[Note|alias]] ![[img.png]]", "東京タワーは高い。", "Привет, мир!", "naïve café — «quote»", "हिन्दी भाषा", "x = 1e10 // ok\n/* c */", "tail   ", "a\r\nb", "e\u0301 \u0301x", "😀👍🏽 ok", "ÆØÅ æøå ŁŚĆ", "ABCdef GHI jkl'S"];
const out = [];
for (const c of cases) {
  const row = { text: c };
  for (const e of ["o200k", "cl100k"]) row[e] = [...c.matchAll(pats[e])].map(m => m[0]);
  out.push(row);
}
const esc = s => JSON.stringify(s).replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => "\\u{" + h + "}");
let rs = "";
for (const r of out) rs += `    (\n        ${esc(r.text)},\n        &[${r.o200k.map(esc).join(", ")}],\n        &[${r.cl100k.map(esc).join(", ")}],\n    ),\n`;
console.log(rs);
