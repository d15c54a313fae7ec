// Writes a set derived from the documentation set (tests/data/docs) note by note, for the
// generators that change its notes in one way each (gen_nfd.mjs, gen_marked.mjs): each note
// keeps its name and its half (`docs_fit` becomes `<prefix>_fit`, `docs_held_out`
// `<prefix>_held_out`), so that a derived set's held-out half is made of held-out notes.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * For each note of `from`/notes.tsv whose group is in `groups`, writes `transform(text, path)`
 * under the same path in `to` (a `null` leaves the note out), then `to`/notes.tsv; returns
 * how many notes were written.
 */
export function deriveSet(from, to, groups, prefix, transform) {
  mkdirSync(to, { recursive: true });
  const rows = readFileSync(join(from, "notes.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const out = [];
  for (const [group, path, split, family] of rows) {
    if (!groups.has(group)) continue;
    const text = transform(readFileSync(join(from, path), "utf8"), path);
    if (text === null) continue;
    writeFileSync(join(to, path), text);
    out.push([group, path, split.replace(/^docs_/, `${prefix}_`), family].join("\t"));
  }
  writeFileSync(join(to, "notes.tsv"), "group\tpath\tsplit\tfamily\n" + out.join("\n") + "\n");
  return out.length;
}
