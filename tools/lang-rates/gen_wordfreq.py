"""Writes synthetic markdown notes from word-frequency lists (PyPI `wordfreq` 3.1.1), the
second source of the language development sets next to the UDHR (gen_devset.mjs reads the
notes this writes and counts them exactly).

Words are drawn by their frequency in each language's general text (subtitles, web, news,
Wikipedia) from the whole list, rare words included, so the notes have the vocabulary mix
of everyday writing rather than the legal register of the UDHR. Sentences of 5–18 words, capitalised, with commas and full stops,
in the same markdown shapes as gen_devset.mjs (headings, lists, tasks, tables, links,
code). Deterministic (seeded).

Usage: python3 gen_wordfreq.py OUT_DIR
"""
import os
import random
import re
import sys

import wordfreq

# wordfreq language → development-set group (the UDHR group of the same language).
LANGS = {
    "ms": "ms", "hu": "hu", "en": "en", "ar": "ar", "lv": "lv", "fi": "fi", "vi": "vi",
    "sh": "hr", "sl": "sl", "fil": "tl", "sk": "sk", "ta": "ta", "bn": "bn", "de": "de",
    "da": "da", "he": "he", "pl": "pl", "hi": "hi", "zh": "zh_hans", "is": "is", "cs": "cs",
    "ko": "ko", "uk": "uk", "tr": "tr", "ru": "ru", "nl": "nl", "id": "id",
    "fa": "fa", "es": "es", "it": "it", "lt": "lt", "ro": "ro", "ur": "ur", "sv": "sv",
    "nb": "nb", "pt": "pt_br", "bg": "bg", "el": "el", "mk": "mk", "fr": "fr", "ca": "ca",
}
# Japanese is left out: its list holds MeCab's morphemes (stems, inflections, particles),
# and strung together at random they lose the merges the vocabularies make across them in
# real text ("して", "ています"), so the notes cost 10 % more than Japanese prose (the UDHR
# notes and the corpus's help pages agree with each other and not with them). Chinese
# words are whole words and joined without spaces, as Chinese is written.
SPACELESS = {"zh"}
NOTES = 8
CODE = [
    "```python\nfor item in items:\n    total += item.price * item.qty\nprint(total)\n```",
    "```js\nconst res = await fetch(url);\nif (!res.ok) throw new Error(res.statusText);\n```",
    "```bash\ngit log --oneline | head -20\n```",
]


def sentence(r, words, weights, lang):
    ws = r.choices(words, weights, k=r.randint(5, 18))
    if lang in SPACELESS:
        s = "".join(ws)
        return s + ("。" if r.random() < 0.8 else "、")
    for i in range(2, len(ws) - 1):
        if r.random() < 0.08:
            ws[i] += ","
    s = " ".join(ws)
    s = s[:1].upper() + s[1:]
    return s + r.choice([".", ".", ".", "?", "!"])


def note(kind, r, words, weights, lang):
    S = lambda: sentence(r, words, weights, lang)
    P = lambda: " ".join(S() for _ in range(r.randint(2, 5)))
    W = lambda n: ("" if lang in SPACELESS else " ").join(r.choices(words, weights, k=n))
    out = [f"# {W(r.randint(1, 4))}\n"]
    if kind == 0:
        for _ in range(r.randint(3, 6)):
            if r.random() < 0.3:
                out.append(f"## {W(r.randint(1, 3))}\n")
            p = P()
            if r.random() < 0.4:
                p += f" [[{W(2)}]]"
            out.append(p + "\n")
    elif kind == 1:
        out.append(P() + "\n")
        for _ in range(r.randint(4, 9)):
            out.append(f"- {'[ ] ' if r.random() < 0.3 else ''}{S() if r.random() < 0.5 else W(r.randint(2, 6))}")
        out.append("")
        for i in range(1, r.randint(3, 6)):
            out.append(f"{i}. {W(r.randint(2, 8))}")
        out.append(f"\n> {S()}\n")
    elif kind == 2:
        out.append(P() + "\n")
        cols = r.randint(2, 4)
        out.append("| " + " | ".join(W(1) for _ in range(cols)) + " |")
        out.append("|" + " --- |" * cols)
        for _ in range(r.randint(3, 8)):
            out.append("| " + " | ".join(W(r.randint(1, 3)) if j < cols - 1 or r.random() < 0.6 else str(r.randint(1, 5000)) for j in range(cols)) + " |")
        out.append("\n" + P() + "\n")
    else:
        out.append(P() + "\n")
        out.append(r.choice(CODE) + "\n")
        out.append(P() + f" [{W(2)}](https://example.org/{r.randint(1, 999)})\n")
    return "\n".join(out)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for lang, group in list(LANGS.items()) + [("zh-tw", "zh_hant")]:
        if lang == "zh-tw":
            # Traditional Chinese (Taiwan): wordfreq's Chinese list converted with PyPI
            # `zhconv` 1.4.3 (MediaWiki's conversion tables).
            import zhconv
            freq = {zhconv.convert(w, "zh-tw"): f for w, f in wordfreq.get_frequency_dict("zh").items()}
            lang = "zh"
        else:
            freq = wordfreq.get_frequency_dict(lang)
        # The whole list, not just its head: the rare words are the expensive ones (they are
        # split into several tokens), and cutting the list at its 6,000 commonest words made
        # the notes 4–20 % cheaper per word than the text the frequencies describe.
        top = sorted(freq.items(), key=lambda kv: -kv[1])
        words = [w for w, _ in top]
        weights = [f for _, f in top]
        r = random.Random(f"wordfreq-{group}")
        for i in range(NOTES):
            with open(os.path.join(out, f"{group}_wf_{i}.md"), "w", encoding="utf-8") as f:
                # wordfreq writes every digit as 0: give numbers varied digits.
                text = note(i % 4, r, words, weights, lang)
                f.write(re.sub("0", lambda _: str(r.randint(0, 9)), text))


if __name__ == "__main__":
    main()
