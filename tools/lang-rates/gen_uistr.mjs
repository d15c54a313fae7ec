// Builds the token estimator's software-interface development set, tests/data/uistr:
// markdown notes made of the message translations that Wagtail 6.3.1 and Sphinx 8.1.3 ship
// (PyPI wheels, their `.po` files: about seventy languages together), with exact
// o200k_base / cl100k_base counts from js-tiktoken.
//
// Why: the development sets' UDHR text is the one text every vocabulary has seen in every
// language, so for languages with little web text (Armenian, Georgian, Marathi, Tajik, …)
// it costs fewer tokens per character than anything else written in them; the set gives
// those languages (and the others) a second, ordinary text to fit on. Half of each
// language's notes are fitted (split `ui_fit`), half held out (`ui_held_out`), each note
// shape in both halves. Django's catalogues (the independent set, gen_indep.mjs) are not
// read: that set stays out of sample (same kind of text, other projects' words). No
// Obsidian help translation or public vault is used.
//
// Usage: pip download --no-deps wagtail==6.3.1 sphinx==8.1.3 -d /tmp/pyw
//        (cd /tmp/pyw && mkdir wt sp && (cd wt && unzip -q ../wagtail-*.whl) && (cd sp && unzip -q ../sphinx-*.whl))
//        node gen_uistr.mjs ../../tests/data/uistr /tmp/pyw
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { poFiles, messages, codePool, noteSet } from "./po_notes.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/uistr");
const pyw = process.argv[3] || "/tmp/pyw";
const ROOTS = [join(pyw, "wt/wagtail"), join(pyw, "sp/sphinx")];

// Locale → group (the development sets' names). Both projects' catalogues of one language
// are pooled; regional variants that repeat their base language and English are left out.
const GROUP = {
  pt_BR: "pt_br", pt: "pt_pt", pt_PT: "pt_pt", zh_Hans: "zh_hans", zh_CN: "zh_hans", zh: "zh_hans",
  zh_Hant: "zh_hant", zh_TW: "zh_hant", zh_HK: "zh_hant", "sr@latin": "sr_latn", nb_NO: "nb",
  az_AZ: "az", he_IL: "he", hr_HR: "hr", id_ID: "id", is_IS: "is", sk_SK: "sk", tr_TR: "tr",
  uk_UA: "uk", sr_RS: "sr", hi_IN: "hi", de_DE: "de", fr_FR: "fr",
};
const SKIP = /^(en|es_|cak|zh_TW\.Big5)/;
const NOTES_PER_LANG = 8;
const MIN_BYTES = 3000; // languages with less translated long-message text are left out

// ---------- code pool: Sphinx's own Python ----------
const CODE = codePool(join(pyw, "sp/sphinx"), ["util/osutil.py", "util/matching.py", "util/nodes.py", "util/inspect.py", "util/typing.py"], "Sphinx");

// ---------- write ----------
const found = new Set();
for (const root of ROOTS) {
  const walk = (d) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (!f.isDirectory()) continue;
      if (f.name === "locale") readdirSync(join(d, f.name), { withFileTypes: true }).filter((x) => x.isDirectory()).forEach((x) => found.add(x.name));
      else walk(join(d, f.name));
    }
  };
  walk(root);
}
const byGroup = new Map();
for (const locale of [...found].sort()) {
  if (SKIP.test(locale)) continue;
  const group = GROUP[locale] || locale.toLowerCase();
  byGroup.set(group, [...(byGroup.get(group) || []), locale]);
}
// Notes 0-3 (one of each shape) are fitted, 4-7 held out.
const set = noteSet({ out, perGroup: NOTES_PER_LANG, minBytes: MIN_BYTES, code: CODE, split: (i) => (i < 4 ? "ui_fit" : "ui_held_out") });
for (const [group, locales] of [...byGroup].sort()) {
  set.add(group, messages(locales.flatMap((l) => ROOTS.flatMap((root) => poFiles(root, l))), "msgstr"), "uistr-" + group);
}
set.finish();
