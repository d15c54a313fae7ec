// Builds the token estimator's independent evaluation set, tests/data/indep: markdown notes
// made of the message translations Django ships (PyPI `Django` 5.1.4, its `.po` files in
// about a hundred languages), with exact o200k_base / cl100k_base counts from js-tiktoken.
//
// It exists to measure the estimator out of sample: nothing here is fitted to, and no
// language signal is chosen by looking at it; the correction is fitted on the fitting half
// of tests/data/langs only (tools/lang-rates/fit.py reports this set but never fits it).
// Its text is software-interface prose (form errors, help texts, admin messages), not the
// legal prose of the UDHR nor random word-frequency strings, and its note shapes are its
// own. No Obsidian help translation or public vault is used.
//
// Usage: pip download --no-deps Django==5.1.4 -d /tmp/dj && (cd /tmp/dj && unzip -q Django-*.whl)
//        node gen_indep.mjs ../../tests/data/indep /tmp/dj/django
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { poFiles, messages, codePool, noteSet } from "./po_notes.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/indep");
const django = process.argv[3] || "/tmp/dj/django";

// Django locale → group (the development sets' names where they share a language). Regional
// variants (es_AR, fr_CA, de_CH, en_GB, …) are left out: they repeat their base language.
const GROUP = { pt_BR: "pt_br", pt: "pt_pt", zh_Hans: "zh_hans", zh_Hant: "zh_hant", sr_Latn: "sr_latn", nb: "nb" };
const SKIP = /^(en_|es_|fr_|de_|ar_)/;
const NOTES_PER_LANG = 6;
const MIN_BYTES = 6000; // languages with less translated long-message text are left out

// ---------- code pool: Django's own Python ----------
const CODE = codePool(django, ["utils/text.py", "utils/html.py", "utils/dateformat.py", "utils/crypto.py", "utils/timesince.py"], "Django");

// ---------- write ----------
const set = noteSet({ out, perGroup: NOTES_PER_LANG, minBytes: MIN_BYTES, code: CODE, split: () => "indep" });
const locales = readdirSync(join(django, "conf/locale"), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== "__pycache__").map((d) => d.name).sort();
for (const locale of locales) {
  if (SKIP.test(locale)) continue;
  const group = GROUP[locale] || locale.toLowerCase();
  set.add(group, messages(poFiles(django, locale), locale === "en" ? "msgid" : "msgstr"), "django-" + group);
}
set.finish();
