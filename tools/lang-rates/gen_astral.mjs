// Builds the token estimator's development set of characters beyond the Basic Multilingual
// Plane, tests/data/astral: notes of the note corpus (tests/data/corpus, whose text the
// estimator already prices within a few percent) with four-byte characters put in the ways
// notes carry them — Cantonese and Japanese words written with ideographs of CJK Extensions
// B and later (`𠮶個`, `𨋢`, `𠮷野家`), signs of ancient scripts glossed in prose (cuneiform,
// hieroglyphs, Linear B), whole paragraphs in an alphabet of the supplementary plane
// (Deseret, Adlam, Osage, Gothic), icon-font symbols of the supplementary private use area
// at line starts (Nerd Fonts' Material Design icons, U+F0001–U+F1AF0, as pasted from a
// terminal), and subdivision flags spelled with tag characters (`🏴󠁧󠁢󠁳󠁣󠁴󠁿`); and characters of the
// blocks of the Basic Multilingual Plane that the vocabularies do not merge either
// (unmerged_blocks.rs): Cantonese words in Extension A ideographs and a PDF's Kangxi radicals,
// Braille (a terminal's spinner, transcribed lines), Powerline and Nerd Fonts icons of the
// private use area in a shell prompt, lines in Canadian syllabics, Yi, Tifinagh, Ol Chiki,
// Mongolian or Vai, and Ancient Greek words — with exact o200k_base / cl100k_base
// counts from js-tiktoken.
//
// Why: neither vocabulary merges the bytes of these characters, so each costs four tokens
// (three after a space, which merges with its first byte), where the per-piece model, which
// has no such character in the text it was fitted on, priced one at about 0.8 (letters) to
// 1.5 (symbols): 2,000 cuneiform signs were estimated at 1,638 tokens against 7,971.
// Emoji (U+1F000–U+1FFFF) and the mathematical letters and symbols (U+1D000–U+1DFFF), whose
// bytes the vocabularies do merge, are not in this set: they have terms of their own.
//
// A note is in the fitting half when the corpus note it is made of is (FNV-1a of its path,
// even: tools/lang-rates/fit.py's split of the corpus), so no held-out note shares text
// with a fitted one.
//
// Usage: npm install && node gen_astral.mjs ../../tests/data/astral ../../tests/data/corpus
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { pick, int } from "./random.mjs";
import { mapProse, writeCorpusSet } from "./corpus_notes.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/astral");
const corpus = process.argv[3] || join(here, "../../tests/data/corpus");

// ---------- what is put in ----------
// Cantonese words written with Extension B–F ideographs (`𠮶` that, `𨋢` lift, `𡃁` young,
// `𠺢` sentence particle, `𢳂` to mess up, …) and Japanese names and words (`𠮷野家`, `𩸽`
// Atka mackerel, `𠀋`); then any ideograph of Extensions B–G, as rarer words and names are.
const CJK_WORDS = [
  "𠮶個", "𠮶啲", "𨋢", "𡃁仔", "𠺢", "𠻹", "𢳂", "𥄫", "𠹺", "𡁵", "𧨾", "𠱸", "𢲾", "𠵱", "𡆀", "𨈇", "𠝹", "𢫏",
  "𠮷野家", "𩸽", "𠀋", "𡈽", "𠮟る", "𪚲", "𦥑", "𤭖",
];
const rareHan = (r) => String.fromCodePoint(pick(r, [[0x20000, 0x2a6df], [0x2a700, 0x2b739], [0x2b740, 0x2b81d], [0x2b820, 0x2cea1], [0x30000, 0x3134a]]).reduce((lo, hi) => int(r, lo, hi)));
const cjkWord = (r) => (r() < 0.7 ? pick(r, CJK_WORDS) : Array.from({ length: int(r, 1, 2) }, () => rareHan(r)).join(""));

// Signs of ancient scripts, as an Assyriologist's or Egyptologist's notes gloss them.
const SIGN_BLOCKS = [[0x12000, 0x12399], [0x13000, 0x1342e], [0x10000, 0x1005d], [0x10080, 0x100fa], [0x10300, 0x10323]];
const signs = (r, n) => { const [lo, hi] = pick(r, SIGN_BLOCKS); return Array.from({ length: n }, () => String.fromCodePoint(int(r, lo, hi))).join(""); };

// Alphabets of the supplementary plane, each as a map of the 26 Latin letters (upper, lower).
const ALPHABETS = {
  // Deseret, made to write English: 40 letters, capital U+10400–U+10427, small +0x28.
  deseret: (c) => 0x10400 + (c.charCodeAt(0) % 32 - 1) + (c === c.toLowerCase() ? 0x28 : 0),
  // Adlam, which Fula is written in: capital U+1E900–U+1E921, small +0x22.
  adlam: (c) => 0x1e900 + (c.charCodeAt(0) % 32 - 1) + (c === c.toLowerCase() ? 0x22 : 0),
  // Osage: capital U+104B0–U+104D3, small +0x28.
  osage: (c) => 0x104b0 + (c.charCodeAt(0) % 32 - 1) + (c === c.toLowerCase() ? 0x28 : 0),
  // Gothic, caseless: U+10330–U+1034A.
  gothic: (c) => 0x10330 + (c.charCodeAt(0) % 32 - 1),
};
const spell = (text, to) => text.replace(/[A-Za-z]/g, (c) => String.fromCodePoint(to(c)));

// Nerd Fonts' Material Design icons (supplementary private use area).
const icon = (r) => String.fromCodePoint(int(r, 0xf0001, 0xf1af0));
// England, Scotland, Wales, and other subdivisions spelled the same way (`🏴` + tag letters
// + cancel tag).
const tagFlag = (code) => "🏴" + [...code].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("") + "\u{e007f}";
const FLAGS = ["gbeng", "gbsct", "gbwls", "usca", "ustx", "frbre", "esct", "dety"].map(tagFlag);

// Characters of blocks of the Basic Multilingual Plane that the vocabularies do not merge
// (crates/token-estimate/src/unmerged_blocks.rs, gen_unmerged.mjs): three byte tokens each.
// Cantonese words written with Extension A ideographs (`㗎` sentence particle, `㩒` to press,
// `㷫` hot-tempered, …) and the Kangxi radicals that text copied out of a PDF has in place of
// the ideographs they look like (`⾦` for `金`).
const EXT_A_WORDS = ["㗎", "㩒", "㷫", "㖭", "㓤", "㨂", "㞗", "㧬", "㬹", "㗾", "㘉", "㨘"];
const KANGXI = { "金": "⾦", "日": "⽇", "人": "⼈", "月": "⽉", "木": "⽊", "水": "⽔", "火": "⽕", "土": "⼟", "大": "⼤", "小": "⼩", "中": "⼁", "文": "⽂", "手": "⼿", "心": "⼼", "用": "⽤", "生": "⽣", "方": "⽅", "見": "⾒", "長": "⻑", "色": "⾊" };
const extA = (r) => (r() < 0.7 ? pick(r, EXT_A_WORDS) : String.fromCodePoint(int(r, 0x3400, 0x4dbf)));
// A terminal spinner's and a progress bar's Braille cells, and Braille transcription (one
// cell per Latin letter, Grade 1).
const SPINNER = [..."⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"];
const BRAILLE_LETTERS = [..."⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵"];
const braille = (text) => text.replace(/[A-Za-z]/g, (c) => BRAILLE_LETTERS[(c.charCodeAt(0) % 32) - 1]);
// Powerline and Nerd Fonts icons of the private use area, as a shell prompt or a status line
// pastes them.
const PROMPT_ICONS = ["\ue0b0", "\ue0b1", "\ue0b2", "\ue0a0", "\uf015", "\uf07c", "\ue718", "\ue73c", "\uf023", "\uf00c", "\uf00d", "\ue7a8", "\uf489", "\ue606"];
// Alphabets and syllabaries of the Basic Multilingual Plane, each as a map of the 26 Latin
// letters into a run of its letters: Canadian syllabics (Inuktitut, Cree), Yi, Tifinagh
// (Tamazight), Ol Chiki (Santali), Mongolian, Vai. (Not Cherokee: half its letters share a
// block with Ethiopic's supplement, which the Ethiopic term prices.)
const BMP_SCRIPTS = { syllabics: 0x1401, yi: 0xa000, tifinagh: 0x2d30, olchiki: 0x1c5a, mongolian: 0x1820, vai: 0xa500 };
// Polytonic Greek vowels (with breathings, accents and iota subscripts) and the consonants.
const GREEK_VOWELS = { a: [..."ἀἁἂἄἆάὰᾶᾳᾴᾀ"], e: [..."ἐἑἒἔέὲ"], i: [..."ἰἱἴἶίὶῖ"], o: [..."ὀὁὄόὸ"], u: [..."ὐὑὔὖὗύὺῦ"], h: [..."ἠἡἤἦήὴῆῃῄᾐ"], w: [..."ὠὡὤὦώὼῶῳῴᾠ"] };
const GREEK_CONSONANTS = { b: "β", c: "κ", d: "δ", f: "φ", g: "γ", j: "ζ", k: "κ", l: "λ", m: "μ", n: "ν", p: "π", q: "θ", r: "ρ", s: "σ", t: "τ", v: "β", x: "ξ", y: "ψ", z: "ζ" };

// ---------- the kinds of note ----------
const han = /[\u3400-\u9fff]/u;
const KINDS = {
  // Cantonese / Japanese words among the Han text (or, in other languages, a name in parentheses).
  cjk: (t, r) => mapProse(t, (l) => (han.test(l)
    ? l.replace(/[\u3400-\u9fff](?=[\u3400-\u9fff])/gu, (m) => (r() < 0.08 ? m + cjkWord(r) : m))
    : l.replace(/(\w) (?=\w)/g, (m, w) => (r() < 0.04 ? `${w} ${cjkWord(r)} (${pick(r, ["Yoshinoya", "lip", "this", "hokke"])}) ` : m)))),
  // Signs glossed after words, and a sign list.
  ancient: (t, r) => {
    const list = Array.from({ length: int(r, 3, 8) }, () => `| ${signs(r, int(r, 1, 3))} | ${pick(r, ["AN", "KI", "LUGAL", "É", "DINGIR", "nfr", "ankh", "da", "ko"])} | ${pick(r, ["god", "earth", "king", "house", "good", "life", "sign"])} |`);
    return "| sign | reading | meaning |\n|---|---|---|\n" + list.join("\n") + "\n\n" +
      mapProse(t, (l) => l.replace(/(\w)([ ,.;])(?=\S)/g, (m, w, p) => (r() < 0.07 ? `${w} (${signs(r, int(r, 1, 4))})${p === " " ? "" : p} ` : m)));
  },
  // Paragraphs respelled in one alphabet of the supplementary plane (markup, digits and
  // links kept).
  script: (t, r) => {
    const to = ALPHABETS[pick(r, Object.keys(ALPHABETS))];
    return mapProse(t, (l) => (r() < 0.6 ? l.replace(/(\[\[[^\]]*\]\]|\]\([^)]*\)|`[^`]*`)|([^[\]()`]+)/g, (m, keep, text) => keep ?? spell(text, to)) : l));
  },
  // Icon-font symbols at line starts, as a terminal prompt or a status line pastes them.
  icons: (t, r) => mapProse(t, (l) => l.replace(/^(\s*(?:[-*+] |\d+\. |#{1,6} )?)(?=\S)/, (m) => (r() < 0.5 ? m + icon(r) + (r() < 0.3 ? icon(r) : "") + " " : m))),
  // Subdivision flags before list items and headings.
  flags: (t, r) => mapProse(t, (l) => l.replace(/^(\s*(?:[-*+] |#{1,6} ))(?=\S)/, (m) => (r() < 0.4 ? m + pick(r, FLAGS) + " " : m))),
  // Cantonese words in Extension A ideographs among the Han text, and a PDF's Kangxi
  // radicals in place of ideographs (or, in other languages, a word in parentheses).
  bmp_cjk: (t, r) => {
    const radicals = r() < 0.5;
    return mapProse(t, (l) => (han.test(l)
      ? l.replace(/[\u3400-\u9fff]/gu, (m) => (radicals && KANGXI[m] && r() < 0.8 ? KANGXI[m] : !radicals && r() < 0.06 ? m + extA(r) : m))
      : l.replace(/(\w) (?=\w)/g, (m, w) => (r() < 0.04 ? `${w} ${extA(r)}${extA(r)} ` : m))));
  },
  // A pasted terminal session (spinner and progress bar in Braille cells), or lines
  // transcribed into Braille.
  braille: (t, r) => (r() < 0.5
    ? "```\n" + Array.from({ length: int(r, 4, 12) }, () => `${pick(r, SPINNER)} ${pick(r, ["Installing", "Building", "Resolving", "Fetching"])} ${pick(r, ["dependencies", "packages", "index"])} ${"⣿".repeat(int(r, 2, 20))}${"⣀".repeat(int(r, 0, 10))} ${int(r, 1, 99)}%`).join("\n") + "\n```\n\n" + t
    : mapProse(t, (l) => (r() < 0.5 ? braille(l) : l))),
  // A shell prompt with Powerline and Nerd Fonts icons before commands (in a code block),
  // and icons at line starts.
  pua: (t, r) => {
    const prompt = () => ` ${pick(r, PROMPT_ICONS)} ~/notes ${pick(r, PROMPT_ICONS)} ${pick(r, PROMPT_ICONS)} main ${pick(r, PROMPT_ICONS)} ${pick(r, ["git status", "ls -la", "npm run build", "make test", "cd vault"])}`;
    return "```\n" + Array.from({ length: int(r, 3, 8) }, prompt).join("\n") + "\n```\n\n" +
      mapProse(t, (l) => l.replace(/^(\s*(?:[-*+] |\d+\. |#{1,6} )?)(?=\S)/, (m) => (r() < 0.4 ? m + pick(r, PROMPT_ICONS) + " " : m)));
  },
  // Lines respelled in a syllabary or alphabet of the Basic Multilingual Plane.
  bmp_script: (t, r) => {
    const first = BMP_SCRIPTS[pick(r, Object.keys(BMP_SCRIPTS))];
    return mapProse(t, (l) => (r() < 0.6 ? l.replace(/(\[\[[^\]]*\]\]|\]\([^)]*\)|`[^`]*`)|([^[\]()`]+)/g, (m, keep, text) => keep ?? text.replace(/[A-Za-z]/g, (c) => String.fromCodePoint(first + (c.charCodeAt(0) % 32) - 1))) : l));
  },
  // Ancient Greek quoted in the text: words of the line respelled in polytonic Greek.
  greek: (t, r) => mapProse(t, (l) => l.replace(/\b[a-z]{3,}\b/g, (w) => (r() < 0.25 ? [...w].map((c) => (GREEK_VOWELS[c] ? pick(r, GREEK_VOWELS[c]) : GREEK_CONSONANTS[c] ?? pick(r, GREEK_VOWELS.a))).join("") : w))),
};

// ---------- write ----------
// Per kind, notes of each corpus group in turn, fitting and held-out alike; the CJK kind
// mostly of the Chinese and Japanese help, the alphabets of the Latin-written groups.
const LATIN = ["en_help", "en_release", "en_devdocs", "en_kepano", "de_help", "en_help", "en_kepano", "de_help"];
const GROUPS = {
  cjk: ["zh_help", "zh_help", "ja_help", "ja_help", "zh_help", "ja_help", "en_help", "en_kepano"],
  bmp_cjk: ["zh_help", "zh_help", "ja_help", "ja_help", "zh_help", "ja_help", "en_help", "en_kepano"],
  script: LATIN,
  bmp_script: LATIN,
  greek: LATIN,
};
const ALL = ["en_help", "en_release", "en_devdocs", "en_kepano", "de_help", "ja_help", "ru_help", "zh_help"];
writeCorpusSet({ out, corpus, prefix: "astral", kinds: KINDS, groups: (kind) => GROUPS[kind] ?? ALL });
