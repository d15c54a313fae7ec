// Writes counts.tsv for a directory of notes listed in its notes.tsv (group, path, split,
// family; written by gen_debdocs.py): group, path, bytes, exact o200k_base and cl100k_base
// counts from js-tiktoken (special tokens counted as text, as gen_devset.mjs does), split,
// family. Usage: node count_dir.mjs ../../tests/data/debdocs
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getEncoding } from "js-tiktoken";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node count_dir.mjs DIR");
const enc = { o200k: getEncoding("o200k_base"), cl100k: getEncoding("cl100k_base") };
const rows = readFileSync(join(dir, "notes.tsv"), "utf8").trim().split("\n").slice(1).map((line) => {
  const [group, path, split, family] = line.split("\t");
  const text = readFileSync(join(dir, path), "utf8");
  const o = enc.o200k.encode(text, "all").length;
  const c = enc.cl100k.encode(text, "all").length;
  return [group, path, Buffer.byteLength(text), o, c, split, family].join("\t");
});
writeFileSync(join(dir, "counts.tsv"), "group\tpath\tbytes\to200k\tcl100k\tsplit\tfamily\n" + rows.join("\n") + "\n");
console.log(`${rows.length} notes counted in ${dir}`);
