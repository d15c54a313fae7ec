// Builds the token estimator's emoji development set, tests/data/emoji: notes of the note
// corpus (tests/data/corpus, whose text the estimator already prices within a few percent)
// with emoji and pictographic symbols put in the ways people write them — at the start of
// headings and list items, after sentences and in runs, in task lists (the Tasks plugin's
// 📅 ⏳ ✅ fields), as skin tones, flags, keycaps and ZWJ sequences, and in dense trackers —
// with exact o200k_base / cl100k_base counts from js-tiktoken.
//
// Why not the development set's old emoji group (UDHR paragraphs with emoji at line
// starts): that text is itself priced about 6 % over (the same notes with the emoji taken
// out), so a fit on it learned a *negative* price per emoji that hid the overcount; here the
// text around the emoji is priced right and the emoji's own cost is what is left to fit.
//
// A note is in the fitting half when the corpus note it is made of is (FNV-1a of its path,
// even: tools/lang-rates/fit.py's split of the corpus), so no held-out note shares text
// with a fitted one.
//
// Usage: npm install && node gen_emoji.mjs ../../tests/data/emoji ../../tests/data/corpus
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { pick, int } from "./random.mjs";
import { mapProse, writeCorpusSet } from "./corpus_notes.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "../../tests/data/emoji");
const corpus = process.argv[3] || join(here, "../../tests/data/corpus");

// Emoji people use most in messages and posts (roughly by frequency), the ones of notes and
// to-do lists, and sequences: skin tones, ZWJ, flags, keycaps.
const SOCIAL = [..."😂❤️🤣👍😭🙏😘🥰😍😊🎉😁💕🥺😅🔥☺️🤦♥️🤷🙄😆🤗😉🎂🤔👏🙂😳🥳😎👌💜😔💪✨💖👀😋😏😢👉💗😩💯🌹💞🎈💙😃😡💐😜🙈🤞😄🤤🙌🤪❣️😀💀👇💔😌🤩🙃😬😱😴🤭😐🌞😒😇🌸😈🎶✌️🎊🥵😞💚☀️🖤💰👑🎁💥🙋☹️😑🥴👈💩✅"]
  .reduce(joinSelectors, []);
const NOTES = [..."📌📝✅❌⚠️💡📚📅🚀🎯🔗📎🗓️⏰🔍📊📈🛠️⭐🏷️🧠💬📖✍️🔑❓❗➡️📂📁🗂️🧩🧪💻🖥️📱☑️✔️⏳🔄🔒🏠🛒💸🏃🍎☕🎵📷🌱🌍🧘💤🩺💊✈️🚗🎓🏆⚙️🐛🔧📦🧹🗑️📥📤🔔🟢🟡🔴🟠🔵⬜⬛🔺🔻⭕★☆✓✗☐→•"]
  .reduce(joinSelectors, []);
const SEQUENCES = [
  "👍🏽", "👋🏻", "🙏🏿", "💪🏼", "👏🏾", "✌🏻", "👨‍💻", "👩‍🔬", "🧑‍🎨", "🏃‍♀️", "🤷‍♂️", "🤦‍♀️", "👨‍👩‍👧", "👨‍👩‍👧‍👦", "🏳️‍🌈",
  "❤️‍🔥", "😮‍💨", "🇧🇷", "🇺🇸", "🇫🇷", "🇩🇪", "🇯🇵", "🇺🇦", "🇮🇳", "🇪🇸", "🇬🇧", "🇨🇳", "🇰🇷", "1️⃣", "2️⃣", "3️⃣", "#️⃣",
];
// Tasks plugin fields: due, scheduled, start, done, created, recurrence, priorities.
const TASK_FIELDS = ["📅", "⏳", "🛫", "✅", "➕", "🔁", "⏫", "🔼", "🔽", "🔺", "⏬"];

/** Appends a variation selector or keycap mark to the emoji before it, so that `❤️` is one item. */
function joinSelectors(list, ch) {
  if (/[\uFE0F\u20E3\u200D]/u.test(ch) && list.length) list[list.length - 1] += ch;
  else list.push(ch);
  return list;
}

/** Any pictograph of U+1F300–U+1FAFF or U+2600–U+27BF that the encodings' vocabularies may
 *  never have seen (the tail of what people paste). */
function rareEmoji(r) {
  for (;;) {
    const u = r() < 0.8 ? int(r, 0x1f300, 0x1faff) : int(r, 0x2600, 0x27bf);
    const ch = String.fromCodePoint(u);
    if (/\p{Extended_Pictographic}/u.test(ch)) return ch;
  }
}
const anyEmoji = (r, favourite) => {
  const x = r();
  return x < 0.6 ? pick(r, favourite) : x < 0.8 ? pick(r, SOCIAL.concat(NOTES)) : x < 0.9 ? pick(r, SEQUENCES) : rareEmoji(r);
};

// ---------- the kinds of note ----------
const KINDS = {
  // 📌 at the start of headings and list items.
  bullets: (t, r) => mapProse(t, (l) => l.replace(/^(\s*(?:[-*+] |\d+\. |#{1,6} )?)(?=\S)/, (m) => (r() < 0.6 ? m + anyEmoji(r, NOTES) + " " : m))),
  // Social style: after sentences and at line ends, sometimes a run of the same emoji.
  inline: (t, r) => mapProse(t, (l) => l
    .replace(/([.!?]) (?=\S)/g, (m, p) => (r() < 0.3 ? `${p} ${anyEmoji(r, SOCIAL)} ` : m))
    .replace(/(\S)$/, (m) => (r() < 0.35 ? m + " " + anyEmoji(r, SOCIAL).repeat(r() < 0.3 ? int(r, 2, 4) : 1) : m))),
  // Task lists with the Tasks plugin's emoji fields.
  tasks: (t, r) => mapProse(t, (l) => {
    const m = l.match(/^(\s*)(?:[-*+] |\d+\. )(.*)$/);
    if (!m && !(l.length > 20 && r() < 0.25)) return l;
    const text = m ? m[2] : l.slice(0, 80);
    const fields = [];
    for (let k = int(r, 1, 3); k > 0; k--) {
      const f = pick(r, TASK_FIELDS);
      fields.push(f === "🔁" ? "🔁 every week" : /[⏫🔼🔽🔺⏬]/u.test(f) ? f : `${f} 2025-${String(int(r, 1, 12)).padStart(2, "0")}-${String(int(r, 1, 28)).padStart(2, "0")}`);
    }
    return `${m ? m[1] : ""}- [${r() < 0.3 ? "x" : " "}] ${text} ${fields.join(" ")}`;
  }),
  // Skin tones, ZWJ sequences, flags and keycaps among the text.
  sequences: (t, r) => mapProse(t, (l) => l.replace(/ (?=\S)/g, (m) => (r() < 0.06 ? ` ${pick(r, SEQUENCES)} ` : m))),
  // Dense: a tracker table and a callout of emoji, then the text with emoji between words.
  dense: (t, r) => {
    const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const rows = ["| Day | Mood | Sleep | Sport |", "|---|---|---|---|"];
    for (const d of days) rows.push(`| ${d} | ${anyEmoji(r, SOCIAL)} | ${pick(r, ["😴", "🥱", "💤", "✅", "❌"])} | ${pick(r, ["🏃", "🚴", "🏊", "🧘", "❌", "✅"])} |`);
    const callout = `> [!tip] ${anyEmoji(r, NOTES)} ${anyEmoji(r, NOTES)}\n> ${Array.from({ length: int(r, 3, 8) }, () => anyEmoji(r, SOCIAL)).join(" ")}\n`;
    return rows.join("\n") + "\n\n" + callout + "\n" + mapProse(t, (l) => l.replace(/ (?=\S)/g, (m) => (r() < 0.12 ? ` ${anyEmoji(r, SOCIAL)} ` : m)));
  },
};

// ---------- write ----------
// Per kind, notes of each corpus group in turn (English help, release notes, developer docs
// and kepano's notes; German, Japanese, Russian, Chinese help), fitting and held-out alike.
const GROUPS = ["en_help", "en_release", "en_devdocs", "en_kepano", "de_help", "ja_help", "ru_help", "zh_help"];
writeCorpusSet({ out, corpus, prefix: "emoji", kinds: KINDS, groups: () => GROUPS });
