"""Builds the natural-prose evaluation set tests/data/debdocs from Debian's translated manuals.

The development sets (tests/data/langs) are UDHR legal text and word-frequency strings; the
notes the estimator meets are natural technical prose. This set is natural technical prose in
many languages, written by people: Debian's manuals and translated man pages, as shipped in
Debian 12 (bookworm) packages (versions in tests/data/debdocs/SOURCES.md). Each note is a
contiguous excerpt of one manual page (headings, paragraphs, lists, command blocks, tables as
the manual has them) turned into markdown, 1-6 KB.

It is split by DOCUMENT, never by note shape: the manuals of FIT_FAMILIES are the fitting
half, the others the held-out half, so a held-out note is never a sibling page of a fitted
one. Text left untranslated in a translation (identical to the English edition's block, or
plainly English) is dropped.

Deterministic: notes are chosen by position in sorted file lists and by a seeded generator.
This script writes the notes and notes.tsv (group, path, split, family); `count_dir.mjs`
then writes counts.tsv with exact counts from js-tiktoken.

Usage (as root on Debian 12, any directory):
    mkdir -p /tmp/deb && cd /tmp/deb && apt-get download <the packages of SOURCES.md>
    mkdir x && for f in *.deb; do dpkg-deb -x $f x/; done
    python3 gen_debdocs.py /tmp/deb/x ../../tests/data/debdocs
    node count_dir.mjs ../../tests/data/debdocs
"""
import gzip
import hashlib
import os
import random
import re
import sys
from html.parser import HTMLParser

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/deb/x"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../../tests/data/debdocs")
DOC = os.path.join(ROOT, "usr/share/doc")
SHARE = os.path.join(ROOT, "usr/share")
NOTES_PER_DOC = 6
MAX_NOTE = 6000
# Manuals whose notes are fitted; every other manual is held out.
FIT_FAMILIES = {"reference", "faq", "aptitude", "install", "manpages"}

# Language tags of the packages -> the development sets' group names.
GROUP = {
    "pt": "pt_pt", "pt-br": "pt_br", "pt_BR": "pt_br", "pt-BR": "pt_br", "zh-cn": "zh_hans", "zh_CN": "zh_hans",
    "zh-CN": "zh_hans", "zh-tw": "zh_hant", "zh_TW": "zh_hant", "zh-TW": "zh_hant", "en-US": "en",
}
def group_of(tag):
    if tag in GROUP:
        return GROUP[tag]
    return tag.split("-")[0].split("_")[0].lower()

# ---------- HTML -> blocks ----------
SKIP_CLASSES = {"navheader", "navfooter", "toc", "sphinxsidebar", "related", "footer", "indexterm", "docnav",
                "headerlink", "list-of-tables", "list-of-figures", "list-of-examples", "index", "legalnotice",
                "breadcrumbs", "searchbox", "language_switcher_placeholder", "revhistory"}
SKIP_IDS = {"banner", "title", "site_navigation", "footer", "searchbox"}
INLINE_CODE = {"code", "tt", "kbd", "samp"}
CODE_CLASSES = {"literal", "command", "filename", "userinput", "computeroutput", "option", "systemitem", "varname"}
VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


class Blocks(HTMLParser):
    """Collects a page's blocks: ("h", level, text), ("p", text), ("li", ordered, text),
    ("pre", text), ("table", rows)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.stack, self.buf, self.skip = [], [], None, 0
        self.kind, self.lists, self.table, self.row, self.cell, self.code = None, [], None, None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = set((a.get("class") or "").split())
        if tag in VOID:
            if tag == "br" and self.buf is not None:
                self.buf.append(" " if self.kind != "pre" else "\n")
            return
        skip = tag in ("script", "style", "head", "nav") or cls & SKIP_CLASSES or a.get("id") in SKIP_IDS
        self.stack.append((tag, bool(skip), cls))
        if skip:
            self.skip += 1
        if self.skip:
            return
        if tag in ("ul", "ol"):
            self.flush()
            self.lists.append(tag == "ol")
        elif tag == "table":
            self.flush()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif self.cell is not None:
            if (tag in INLINE_CODE or cls & CODE_CLASSES) and not self.code:
                self.cell.append("`")
                self.code += 1
                self.stack[-1] = (tag, False, cls | {"_tick"})
        elif re.fullmatch(r"h[1-6]", tag):
            self.start("h" + tag[1])
        elif tag == "pre":
            self.start("pre")
        elif tag == "li":
            self.start("li")
        elif tag in ("p", "dt", "dd") or (tag == "div" and "para" in cls):
            if self.kind != "li":
                self.start("p")
            elif self.buf is not None:
                self.buf.append("\x00")  # a paragraph inside an item: filtered on its own
        elif self.buf is not None and self.kind != "pre" and (tag in INLINE_CODE or cls & CODE_CLASSES) and not self.code:
            self.buf.append("`")
            self.code += 1
            self.stack[-1] = (tag, False, cls | {"_tick"})

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            t, skip, cls = self.stack.pop()
            if skip:
                self.skip -= 1
            elif not self.skip:
                self.close(t, cls)
            if t == tag:
                break

    def close(self, tag, cls):
        if "_tick" in cls:
            self.code -= 1
            (self.cell if self.cell is not None else self.buf if self.buf is not None else []).append("`")
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(norm("".join(self.cell)).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            if any(self.row):
                self.table.append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            if len(self.table) >= 2:
                self.blocks.append(("table", self.table))
            self.table = None
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag == "li" or re.fullmatch(r"h[1-6]", tag) or tag == "pre":
            self.flush()
        elif tag in ("p", "dt", "dd", "div") and self.kind == "p":
            self.flush()

    def start(self, kind):
        self.flush()
        self.kind, self.buf = kind, []

    def flush(self):
        if self.buf is None:
            return
        text = "".join(self.buf)
        kind, self.buf, self.kind = self.kind, None, None
        if kind == "pre":
            text = text.strip("\n")
            if text.strip():
                self.blocks.append(("pre", text))
            return
        text = norm(text)
        if not text or text == "``":
            return
        if kind.startswith("h"):
            self.blocks.append(("h", int(kind[1]), text))
        elif kind == "li":
            self.blocks.append(("li", bool(self.lists and self.lists[-1]), text))
        else:
            self.blocks.append(("p", text))

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.buf is not None:
            self.buf.append(data)

    def close_doc(self):
        self.flush()
        return self.blocks


def norm(s):
    s = re.sub(r"[ \t\r\n\f\v]+", " ", s).strip()
    return s.replace("``", "").strip()


def html_blocks(path):
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    p = Blocks()
    p.feed(raw.decode("utf-8", "replace"))
    return p.close_doc()

# ---------- roff (man pages) -> blocks ----------
NAMED = {"em": "—", "en": "–", "aq": "'", "dq": '"', "lq": "“", "rq": "”", "oq": "‘", "cq": "’", "bu": "•",
         "co": "©", "rg": "®", "->": "→", "<-": "←", "hy": "-", "mi": "-", "pl": "+", "ti": "~", "ha": "^",
         "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "aa": "´", "ga": "`", "de": "°", "mu": "×", "tm": "™",
         "lB": "[", "rB": "]", "lC": "{", "rC": "}", "rs": "\\", "ba": "|", "sl": "/", "eq": "=", "dg": "†",
         "at": "@", "sh": "#", "Do": "$", "ul": "_", "Bq": "„", "bq": "‚", "r!": "¡", "r?": "¿", ">=": "≥", "<=": "≤"}


def unescape(s):
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", s)
    s = re.sub(r"\\s[+-]?\d", "", s)
    s = re.sub(r"\\\[u([0-9A-Fa-f]{4,5})\]", lambda m: chr(int(m.group(1), 16)), s)
    s = re.sub(r"\\\[([^\]]*)\]", lambda m: NAMED.get(m.group(1), ""), s)
    s = re.sub(r"\\\((..)", lambda m: NAMED.get(m.group(1), ""), s)
    s = re.sub(r"\\\*(\[[^\]]*\]|\(..|.)", "", s)
    s = re.sub(r"\\[nk](\[[^\]]*\]|\(..|.)", "", s)
    s = re.sub(r"\\[hvwlLo]'[^']*'", "", s)
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\ ", " ").replace("\\~", " ").replace("\\0", " ")
    s = re.sub(r"\\[&%:|^c/,)dut!]", "", s)
    s = s.replace("\\'", "´").replace("\\`", "`").replace('\\"', "")
    return s.replace("\\", "")


def macro_args(rest):
    return [a[1:-1] if a.startswith('"') else a for a in re.findall(r'"[^"]*"|\S+', rest)]


def man_blocks(path):
    src = gzip.decompress(open(path, "rb").read()).decode("utf-8", "replace")
    blocks, para, mode, pre = [], [], "p", []
    term = None

    def flush():
        nonlocal para, term
        text = norm(unescape(" ".join(para)))
        if text:
            if term is not None:
                blocks.append(("li", False, f"`{term}`: {text}" if len(term) < 60 else f"{term}: {text}"))
            else:
                blocks.append(("p", text))
        para, term = [], None

    lines = src.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith(('.\\"', "'\\\"", '.\\}', "\\\"")):
            continue
        if mode == "pre":
            if re.match(r"^\.(fi|EE)\b", line):
                if pre:
                    blocks.append(("pre", "\n".join(unescape(l) for l in pre if not l.startswith("."))))
                pre, mode = [], "p"
            else:
                pre.append(line)
            continue
        if mode == "tbl":
            if line.startswith(".TE"):
                mode = "p"
            continue
        if line.startswith((".", "'")):
            m = re.match(r"^[.'](\S*)\s*(.*)$", line)
            mac, rest = m.group(1), m.group(2)
            if mac in ("SH", "SS"):
                flush()
                title = unescape(" ".join(macro_args(rest))) or (unescape(lines[i]) if i < len(lines) else "")
                if not rest:
                    i += 1
                title = norm(title)
                if mac == "SH" and title.upper() == title and title.lower() != title:
                    title = title[:1] + title[1:].lower()
                blocks.append(("h", 2 if mac == "SH" else 3, title))
            elif mac in ("PP", "LP", "P", "sp", "HP", "RS", "RE", "in"):
                flush()
            elif mac == "TP":
                flush()
                if i < len(lines):
                    t = lines[i]
                    i += 1
                    if t.startswith("."):
                        m2 = re.match(r"^\.(\S*)\s*(.*)$", t)
                        t = "".join(macro_args(m2.group(2)))
                    term = norm(unescape(t))
            elif mac == "IP":
                flush()
                args = macro_args(rest)
                if args and args[0] not in ("\\(bu", "\\[bu]", "•", "-", "*", "\\-"):
                    term = norm(unescape(args[0]))
                else:
                    term = None
                    para.append("")
                    blocks.append(("_bullet",))
            elif mac in ("nf", "EX"):
                flush()
                mode = "pre"
            elif mac == "TS":
                flush()
                mode = "tbl"
            elif mac in ("B", "I", "SM", "SB"):
                para.append(" ".join(macro_args(rest)))
            elif re.fullmatch(r"[BIR]{2}", mac):
                para.append("".join(macro_args(rest)))
            elif mac in ("UR", "MT"):
                para.append(rest)
            elif mac in ("TH", "br", "ad", "na", "ne", "hy", "nh", "ft", "ps", "vs", "ds", "de", "ie", "if", "el", "so",
                         "UE", "ME", "PD", "fi", "ll", "ti", "ta", "ce", "ig", "rm", "tr", "nr", "bp", "ns", "rs"):
                pass
        else:
            para.append(line)
    flush()
    # a paragraph after ".IP \(bu" is a bullet item
    out, bullet = [], False
    for b in blocks:
        if b[0] == "_bullet":
            bullet = True
            continue
        if bullet and b[0] == "p":
            out.append(("li", False, b[1]))
        else:
            out.append(b)
        bullet = False
    return out

# ---------- the manuals ----------
def listdir(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def families():
    """(family, group, sorted page paths, kind) for every manual and language."""
    out = []
    ref = os.path.join(SHARE, "debian-reference")
    tags = sorted({m.group(1) for f in listdir(ref) for m in [re.match(r"^(?:ch|ap)\w*\.([a-z-]+)\.html$", f)] if m})
    for t in tags:
        out.append(("reference", t, [os.path.join(ref, f) for f in listdir(ref) if f.endswith(f".{t}.html") and f.startswith(("ch", "ap"))]))
    faq = os.path.join(DOC, "debian/FAQ")
    page = lambda f: f.endswith(".html") and not f.startswith(("index", "faqinfo"))
    out.append(("faq", "en", [os.path.join(faq, f) for f in listdir(faq) if f.endswith(".en.html") and page(f)]))
    for t in listdir(faq):
        if os.path.isdir(os.path.join(faq, t)):
            out.append(("faq", t, [os.path.join(faq, t, f) for f in listdir(os.path.join(faq, t)) if page(f)]))
    apt = os.path.join(DOC, "aptitude/html")
    for t in listdir(apt):
        out.append(("aptitude", t, [os.path.join(apt, t, f) for f in listdir(os.path.join(apt, t)) if f.endswith(".html") and f != "index.html"]))
    dev = os.path.join(SHARE, "developers-reference")
    out.append(("devref", "en", [os.path.join(dev, f) for f in listdir(dev) if f.endswith(".html") and f not in ("index.html", "genindex.html", "search.html")]))
    for t in listdir(dev):
        if os.path.isdir(os.path.join(dev, t)) and re.fullmatch(r"[a-z]{2}(_[A-Z]{2})?", t):
            out.append(("devref", t, [os.path.join(dev, t, f) for f in listdir(os.path.join(dev, t)) if f.endswith(".html") and f not in ("index.html", "genindex.html", "search.html")]))
    for d in listdir(DOC):
        m = re.fullmatch(r"maint-guide(?:-(.+))?", d)
        if m:
            h = os.path.join(DOC, d, "html")
            out.append(("maint", m.group(1) or "en", [os.path.join(h, f) for f in listdir(h) if f.endswith(".html") and f != "index.html"]))
    hb = os.path.join(DOC, "debian-handbook/html")
    for t in listdir(hb):
        out.append(("handbook", t, [os.path.join(hb, t, f) for f in listdir(os.path.join(hb, t)) if f.endswith(".html") and f not in ("index.html", "ix01.html")]))
    ig = os.path.join(DOC, "installation-guide-amd64")
    for t in listdir(ig):
        if os.path.isdir(os.path.join(ig, t)):
            out.append(("install", t, [os.path.join(ig, t, f) for f in listdir(os.path.join(ig, t)) if f.endswith(".html") and f != "index.html"]))
    hi = os.path.join(DOC, "debian-history/docs")
    for t in sorted({m.group(1) for f in listdir(hi) for m in [re.match(r"^\w+\.([a-z]{2})\.html$", f)] if m}):
        out.append(("history", t, [os.path.join(hi, f) for f in listdir(hi) if f.endswith(f".{t}.html") and not f.startswith("index.")]))
    man = os.path.join(SHARE, "man")
    for t in listdir(man):
        if t.startswith("man"):
            continue
        pages = [os.path.join(man, t, s, f) for s in listdir(os.path.join(man, t)) for f in listdir(os.path.join(man, t, s)) if f.endswith(".gz")]
        out.append(("manpages", t, sorted(pages)))
    return [(fam, t, pages) for fam, t, pages in out if pages]

# ---------- blocks -> notes ----------
EN_STOP = {"the", "and", "of", "that", "which", "with", "this", "are", "you", "be", "from", "for", "is", "to", "it", "can"}


def english(text):
    words = re.findall(r"[A-Za-z]+", re.sub(r"`[^`]*`", "", text))
    return len(words) >= 6 and sum(w.lower() in EN_STOP for w in words) / len(words) >= 0.15


def key(b):
    return b[-1] if isinstance(b[-1], str) else repr(b[-1])


def md(b, counter):
    if b[0] == "h":
        return "#" * min(b[1], 4) + " " + b[2]
    if b[0] == "p":
        return b[1]
    if b[0] == "li":
        counter[0] += 1
        return (f"{counter[0]}. " if b[1] else "- ") + b[2]
    if b[0] == "pre":
        lines = b[1].split("\n")[:25]
        return "```\n" + "\n".join(lines) + "\n```"
    rows = b[1][:10]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    cells = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width] + ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(cells)


def render(blocks):
    parts, counter, prev = [], [0], None
    for b in blocks:
        if b[0] != "li":
            counter[0] = 0
        s = md(b, counter)
        sep = "\n" if (prev == "li" and b[0] == "li") else "\n\n"
        parts.append((sep if parts else "") + s)
        prev = b[0]
    return "".join(parts) + "\n"


def prose_bytes(blocks):
    return sum(len(b[-1].encode()) for b in blocks if b[0] in ("p", "li"))


def take(blocks, target):
    """The first of `blocks` up to `target` bytes as rendered (at least one block, never
    past MAX_NOTE), and their size."""
    out, size = [], 0
    for b in blocks:
        s = len(render([b]).encode())
        if out and size + s > MAX_NOTE:
            break
        out.append(b)
        size += s
        if size >= target:
            break
    return out, size


def notes_of(pages, english_keys, r, is_en):
    """Up to NOTES_PER_DOC notes: from pages spread evenly over the manual, a contiguous run of
    blocks from a heading, 1-6 KB."""
    cands = []
    for path in pages:
        blocks = man_blocks(path) if path.endswith(".gz") and "/man/" in path else html_blocks(path)
        if not is_en:
            blocks = [b for b in blocks if b[0] in ("pre", "table") or (key(b) not in english_keys and not english(key(b)))]
            blocks = [b[:-1] + ("\x00".join(s for s in b[-1].split("\x00") if not english(s)),) if b[0] == "li" else b for b in blocks]
        blocks = [b[:-1] + (re.sub(r" ?\x00 ?", " ", b[-1]).strip(),) if isinstance(b[-1], str) and b[0] != "pre" else b for b in blocks]
        blocks = [b for b in blocks if b[0] in ("pre", "table") or b[-1]]
        if prose_bytes(blocks) >= 900:
            cands.append(blocks)
    notes = []
    n = len(cands)
    picks = sorted({int((i + 0.5) * n / NOTES_PER_DOC) for i in range(NOTES_PER_DOC)}) if n else []
    for k in picks:
        blocks = cands[k]
        heads = [i for i, b in enumerate(blocks) if b[0] == "h"] or [0]
        # a man page from its start (its closing sections are authors and translators)
        start = 0 if "/man/" in pages[0] else heads[r.randrange(len(heads))]
        target = r.randint(1200, 5000)
        out, size = take(blocks[start:], target)
        if size < 1000:  # too little from this heading: take the page's start instead
            out, size = take(blocks, target)
        if out and out[0][0] != "h":
            out.insert(0, ("h", 1, next((b[2] for b in blocks if b[0] == "h"), os.path.basename(os.path.dirname(os.path.dirname(pages[0]))))))
        text = render(out)
        if 1000 <= len(text.encode()) <= MAX_NOTE + 500 and prose_bytes(out) >= 500:
            notes.append(text)
    return notes


def main():
    fams = families()
    en_keys = {}
    for fam, t, pages in fams:
        if group_of(t) == "en":
            keys = set()
            for p in pages:
                keys |= {key(b) for b in (man_blocks(p) if p.endswith(".gz") else html_blocks(p))}
            en_keys[fam] = keys
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for fam, t, pages in fams:
        g = group_of(t)
        seed = int(hashlib.sha256(f"{fam}-{t}".encode()).hexdigest()[:8], 16)
        notes = notes_of(pages, en_keys.get(fam, set()), random.Random(seed), g == "en")
        split = "nat_fit" if fam in FIT_FAMILIES else "nat_held_out"
        for i, text in enumerate(notes):
            path = f"{g}_{fam}_{i}.md"
            with open(os.path.join(OUT, path), "w") as f:
                f.write(text)
            rows.append(f"{g}\t{path}\t{split}\t{fam}")
        print(f"{fam:9} {t:6} {g:8} {len(pages):4} pages -> {len(notes)} notes", file=sys.stderr)
    with open(os.path.join(OUT, "notes.tsv"), "w") as f:
        f.write("group\tpath\tsplit\tfamily\n" + "\n".join(rows) + "\n")


main()
