// Builds the token estimator's desktop-interface development set, tests/data/sysui:
// markdown notes made of the message translations that Debian 12's GTK 3, GLib and their
// neighbours ship (`/usr/share/locale/<lang>/LC_MESSAGES/*.mo`, made readable by gettext's
// `msgunfmt`), with exact o200k_base / cl100k_base counts from js-tiktoken.
//
// Why: Armenian, Marathi, Malayalam, Telugu, Tajik and Sorani have no word-frequency list
// in `wordfreq` and too few long messages in Wagtail's and Sphinx's catalogues
// (gen_uistr.mjs), so their rates rested on UDHR text alone, which every vocabulary has
// seen in every language and which runs cheaper per character than other text (Django's
// catalogues, the independent set, put them 9-21 % under). The desktop catalogues hold
// thousands of ordinary messages in each. The same note shapes as the interface set; notes
// 0-3 of each language are fitted (split `sys_fit`), 4-7 held out (`sys_held_out`). Django's
// catalogues are not read; no Obsidian help translation or public vault is used.
//
// Usage (Debian 12; the packages and versions are in tests/data/sysui/SOURCES.md):
//   for l in hy mr ...; do mkdir -p /tmp/sysui/locale/$l/LC_MESSAGES; for f in /usr/share/locale/$l/LC_MESSAGES/*.mo; do
//     case $(basename $f) in iso_*) continue;; esac; msgunfmt $f -o /tmp/sysui/locale/$l/LC_MESSAGES/$(basename $f .mo).po; done; done
//   node gen_sysui.mjs ../../tests/data/sysui /tmp/sysui
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { poFiles, messages, codePool, noteSet } from "./po_notes.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/sysui");
const root = process.argv[3] || "/tmp/sysui";

// The languages the other development sets leave thin (no wordfreq list, few long
// interface messages) or that run off on them, by their Debian locale names.
const LANGS = ["az", "be", "ckb", "gu", "hy", "ka", "kk", "kn", "ky", "ml", "mn", "mr", "ne", "ps", "si", "te", "tg", "uk"];
const NOTES_PER_LANG = 8;
const MIN_BYTES = 3000; // languages with less translated long-message text are left out

// Code blocks: the Python standard library's json package (Debian's python3.11).
const CODE = codePool("/usr/lib/python3.11/json", ["decoder.py", "encoder.py", "__init__.py"], "Python's json");

// Notes 0-3 (one of each shape) are fitted, 4-7 held out.
const set = noteSet({ out, perGroup: NOTES_PER_LANG, minBytes: MIN_BYTES, code: CODE, split: (i) => (i < 4 ? "sys_fit" : "sys_held_out") });
for (const lang of LANGS) {
  // GTK's mnemonic underscores (`_Open`) are no part of the text a user reads.
  const src = messages(poFiles(root, lang), "msgstr");
  const strip = (t) => t.replace(/(^|\s)_(?=\p{L})/gu, "$1").replace(/%[0-9]\$[sd]|%[lu]+/g, "3");
  src.heads = src.heads.map(strip);
  src.paras = src.paras.map(strip);
  set.add(lang, src, "sysui-" + lang);
}
set.finish();
