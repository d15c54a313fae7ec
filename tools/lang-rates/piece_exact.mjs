// Adds each piece's exact token count to the lines of `examples/piece_costs.rs` (as a last
// column), from js-tiktoken: a piece is encoded alone, as the encodings encode a text piece by
// piece after their pre-tokenisation.
// Usage: node piece_exact.mjs pieces.tsv > pieces_exact.tsv
import { readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";

const [input] = process.argv.slice(2);
if (!input) throw new Error("usage: node piece_exact.mjs PIECES_TSV");
const encodings = { o: getEncoding("o200k_base"), c: getEncoding("cl100k_base") };
const unescape = (s) => s.replace(/\\(\\|t|n)/g, (_, c) => (c === "t" ? "\t" : c === "n" ? "\n" : "\\"));
const cache = { o: new Map(), c: new Map() };
const out = [];
for (const line of readFileSync(input, "utf8").split("\n")) {
  if (!line) continue;
  const [, enc, piece] = line.split("\t");
  const text = unescape(piece);
  let n = cache[enc].get(text);
  if (n === undefined) {
    n = encodings[enc].encode(text, "all").length;
    cache[enc].set(text, n);
  }
  out.push(`${line}\t${n}`);
}
process.stdout.write(out.join("\n") + "\n");
