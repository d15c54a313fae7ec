// Writes tests/data/marked: the documentation set's notes (tests/data/docs) with the markup
// of a personal vault added to their prose — wikilinks (`[[word]]`, `[[two words]]`), bold
// words, tags (`#word`, `#two-words`) and links to a heading by its anchor slug
// (`[words](#two-words)`). In each of those a word follows no space (`[[`, `**`, `#`, `-`),
// and a bare word costs more tokens than the same word after a space: in `o200k_base` about
// 0.8 more in Russian, 0.6-0.8 in Hindi and Bengali. Only prose lines are marked (not front
// matter, fenced code, tables, HTML or indented lines), only words made of letters, about
// one word in eight, by a generator seeded per note. The languages of the scripts that have
// a bare-word rate (Cyrillic, Arabic, Hebrew, Devanagari, Bengali, Hangul: GROUPS), and
// English, German, Spanish and French to show the Latin words, which have none. Each note
// keeps its half: `docs_fit`
// notes become `marked_fit`, `docs_held_out` ones `marked_held_out`. Then run count_dir.mjs
// on the directory.
// Usage: node gen_marked.mjs ../../tests/data/docs ../../tests/data/marked
import { deriveSet } from "./derived_set.mjs";
import { rng, int } from "./random.mjs";

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: node gen_marked.mjs DOCS_DIR OUT_DIR");
// A run of letters and marks (a word in any script that writes spaces).
const WORD = /^[\p{L}\p{M}]+$/u;
const GROUPS = new Set(["ar", "bn", "fa", "he", "hi", "ko", "ru", "uk", "en", "de", "es", "fr"]);

/** The note's prose lines marked: `r` draws, one word in eight gets a markup. */
function mark(text, r) {
  const lines = text.split("\n");
  let fence = null;
  let front = lines[0] === "---";
  return lines
    .map((line, n) => {
      if (front) {
        if (n > 0 && line === "---") front = false;
        return line;
      }
      const fenceMark = line.trim().match(/^(`{3,}|~{3,})/);
      if (fenceMark) {
        if (fence === null) fence = fenceMark[1];
        else if (line.trim().startsWith(fence)) fence = null;
        return line;
      }
      if (fence !== null || /^\s|^[|<{>]|^import |^export /.test(line)) return line;
      const words = line.split(" ");
      const out = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i];
        const next = words[i + 1];
        if (!WORD.test(w) || r() >= 0.125) {
          out.push(w);
          continue;
        }
        const two = next !== undefined && WORD.test(next);
        const kind = int(r, 0, 5);
        if (kind <= 1) {
          out.push(two && kind === 1 ? `[[${w} ${next}]]` : `[[${w}]]`);
          if (two && kind === 1) i++;
        } else if (kind === 2) {
          out.push(`**${w}**`);
        } else if (kind === 3) {
          out.push(w, `#${w.toLowerCase()}`);
        } else if (kind === 4 && two) {
          out.push(`#${w.toLowerCase()}-${next.toLowerCase()}`);
          i++;
        } else if (two) {
          out.push(`[${w} ${next}](#${w.toLowerCase()}-${next.toLowerCase()})`);
          i++;
        } else {
          out.push(`**${w}**`);
        }
      }
      return out.join(" ");
    })
    .join("\n");
}

const written = deriveSet(from, to, GROUPS, "marked", (text, path) => mark(text, rng(`marked/${path}`)));
console.log(`${written} notes written to ${to}`);
