// What the generators of the development sets built from software message catalogues share
// (gen_uistr.mjs: Wagtail and Sphinx; gen_indep.mjs: Django; gen_sysui.mjs: Debian's GTK
// and GLib): finding a language's .po files, reading their strings as a filled-in message
// reads, a pool of the project's own Python for code blocks, the four note shapes the
// messages are poured into, and writing the notes with their exact counts.
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { getEncoding } from "js-tiktoken";
import { pick, int, rng } from "./random.mjs";

/** The text of a .po string block (one or more quoted lines), unescaped. */
export function unquote(block) {
  return [...block.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join("")
    .replace(/\\n/g, " ").replace(/\\t/g, " ").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
}

/** A message as a user reads it: HTML tags dropped, placeholders (%(name)s, %s, %d, {name}) made numbers. */
export function clean(s) {
  return s
    .replace(/<[^>]+>/g, "")
    .replace(/%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_0-9]*\}/gi, () => "3")
    .replace(/&nbsp;/g, " ").replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim()
    .normalize("NFC");
}

/** The .po files of `locale` under `dir` (a missing `dir` has none), sorted. */
export function poFiles(dir, locale) {
  const files = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith(".po") && p.includes(`/locale/${locale}/LC_MESSAGES/`)) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Every distinct `field` string ("msgid", else msgstr) of 8 characters or more in the .po
 * `files`, cleaned ([`clean`]), split into headings and paragraphs (60 bytes or more).
 */
export function messages(files, field) {
  const seen = new Set();
  const list = [];
  for (const f of files) {
    const po = readFileSync(f, "utf8");
    const re = field === "msgid" ? /\nmsgid ((?:"(?:[^"\\]|\\.)*"\s*)+)/g : /\nmsgstr(?:\[\d\])? ((?:"(?:[^"\\]|\\.)*"\s*)+)/g;
    for (const m of po.matchAll(re)) {
      const t = clean(unquote(m[1]));
      if (t.length >= 8 && !t.includes("Content-Type:") && !seen.has(t)) {
        seen.add(t);
        list.push(t);
      }
    }
  }
  const long = (t) => Buffer.byteLength(t) >= 60; // a long message in any script (CJK is 3 bytes a character)
  return { heads: list.filter((t) => !long(t)), paras: list.filter(long) };
}

/** Ten-line chunks of the given Python files under `root` (the code blocks of the how-to notes). */
export function codePool(root, files, project) {
  const pool = [];
  for (const f of files) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    const lines = readFileSync(p, "utf8").split("\n");
    for (let i = 0; i + 10 < lines.length; i += 10) {
      const chunk = lines.slice(i, i + 10).join("\n");
      if (chunk.trim().length > 80 && chunk.length < 800) pool.push(chunk);
    }
  }
  if (!pool.length) throw new Error(`no ${project} sources under ${root}`);
  return pool;
}

/**
 * One note of shape `kind` (0 a meeting log, 1 a checklist, 2 a glossary table, 3 a how-to
 * with a code block from `code`), made of the language's headings and paragraphs.
 */
export function note(kind, { heads, paras }, r, code) {
  const P = () => pick(r, paras);
  const H = () => (heads.length ? pick(r, heads) : P().split(" ").slice(0, 3).join(" "));
  const out = [`# ${H()}\n`];
  if (kind === 0) {
    out.push(`${int(r, 2020, 2026)}-${String(int(r, 1, 12)).padStart(2, "0")}-${String(int(r, 1, 28)).padStart(2, "0")} · #${H().split(" ")[0].toLowerCase()}\n`);
    for (let i = int(r, 3, 7); i > 0; i--) out.push((r() < 0.3 ? `### ${H()}\n\n` : "") + [P(), P()].join(" ") + "\n");
  } else if (kind === 1) {
    for (let i = int(r, 5, 10); i > 0; i--) out.push(`- [${r() < 0.4 ? "x" : " "}] ${r() < 0.5 ? H() : P()}`);
    out.push(`\n> [!note] ${H()}\n> ${P()}\n`);
  } else if (kind === 2) {
    out.push(P() + "\n");
    out.push("| # | " + H() + " | " + H() + " |\n|---|---|---|");
    for (let i = 1; i <= int(r, 3, 7); i++) out.push(`| ${i} | ${H()} | ${P()} |`);
    out.push("");
  } else {
    out.push(P() + "\n");
    for (let i = 1; i <= int(r, 2, 4); i++) out.push(`${i}. ${P()}`);
    out.push("\n```python\n" + pick(r, code) + "\n```\n");
    out.push(`${P()} [[${H()}]]\n`);
  }
  return out.join("\n");
}

/**
 * A development set being written into `out`: `add(group, src, seed)` writes `perGroup`
 * notes made of `src` (the shapes in turn, drawn from `rng(seed)`) as `<group>_<i>.md` and
 * keeps their exact o200k_base / cl100k_base counts with the split `split(i)`, leaving out a
 * group whose paragraphs hold fewer than `minBytes` UTF-8 bytes; `finish()` writes
 * `counts.tsv` and says how many notes were written.
 */
export function noteSet({ out, perGroup, minBytes, code, split }) {
  mkdirSync(out, { recursive: true });
  const enc = { o200k: getEncoding("o200k_base"), cl100k: getEncoding("cl100k_base") };
  const rows = [];
  return {
    add(group, src, seed) {
      const bytes = src.paras.reduce((s, p) => s + Buffer.byteLength(p), 0);
      if (bytes < minBytes) return;
      const r = rng(seed);
      for (let i = 0; i < perGroup; i++) {
        const text = note(i % 4, src, r, code);
        const path = `${group}_${i}.md`;
        writeFileSync(join(out, path), text);
        const o = enc.o200k.encode(text, "all").length;
        const c = enc.cl100k.encode(text, "all").length;
        rows.push([group, path, Buffer.byteLength(text), o, c, split(i)].join("\t"));
      }
    },
    finish() {
      writeFileSync(join(out, "counts.tsv"), "group\tpath\tbytes\to200k\tcl100k\tsplit\n" + rows.join("\n") + "\n");
      console.log(`${rows.length} notes in ${out} (${rows.length / perGroup} groups)`);
    },
  };
}
