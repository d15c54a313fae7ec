"""Builds a held-out set of real multilingual text, tests/data/gnomehelp, from GNOME Help as
Debian's gnome-user-docs package installs it: the desktop's task-oriented help pages ("Click
Settings, then ...", steps, short notes, keyboard shortcuts), written by the GNOME
documentation team and translated by GNOME's translation teams into some forty languages. It
is the public register nearest an application's translated help, which the project may not
use (nothing here comes from Obsidian's help or from Obsidian vaults): end-user instructions
naming the interface's buttons, menus and keys, in short sentences. Nothing of it is used by
any other set of tests/data (the desktop-interface set, tests/data/sysui, is the GTK and GLib
message catalogues, not this help).

Source: gnome-user-docs 43.0-2 (Debian 12 bookworm, `apt-get install gnome-user-docs`, the
version as `dpkg -s` gives it): the Mallard pages /usr/share/help/<locale>/gnome-help/*.page,
English under the locale `C` (the package's system-admin-guide is not read). A translated
page has the English page's markup with its text translated (itstool): a string the team has
not translated is left in English.

A page is converted to markdown as a user would paste it into a note (`markdown` below):
- `# title` from the page's first <title>; a <section>'s title as `## title`;
- each <p> a paragraph, whitespace collapsed to single spaces;
- <steps> items as `1. `, `2. `, ...; <list> items as `- `; an item's further paragraphs and
  lists indented under it; <terms> items as a `**term**` line per <title>, the description
  below it;
- <note> as `> ` lines; <table> as a markdown table (the first row its header), a cell's
  paragraphs joined by a space; <screen> and a block <code> as a fenced code block;
- inline: <gui>, <key>, <app>, <em>, <file>, <sys>, ... as their text; <guiseq> as its
  items joined with ` ▸ `, <keyseq> as its keys joined with `+`; <link> as its text, and
  left out when it has none (a link that Yelp fills in with the target page's title);
  <code>, <cmd> and <input> as `` `code` ``;
- left out: <info> (links, credits, revisions, descriptions, the licence include), <media>
  (its fallback text too), editorial <comment>s and XML comments, <links> (generated link
  lists); elements of other namespaces (its:, ui:) are left out in block context and their
  text kept inline;
- Mallard conditionals (<if:choose>, <if:when>, <if:else>, <if:if>) are resolved as Yelp
  resolves them on a standard GNOME desktop (`TRUE_TOKENS`): not GNOME Classic, not Ubuntu,
  not a mobile target, no package-install action; a test is comma-separated alternatives of
  space-separated tokens that must all hold.
A page is not usable when it does not parse, when its markdown is under MIN_PAGE_BYTES, or,
in a translation, when it is untranslated (`untranslated` below): its markdown is the English
page's, or 25 % or more of its prose lines (gen_docs.py's prose_lines) are lines of the English
page's markdown, or 25 % or more of its prose bytes are untranslated by gen_docs.py's rule
(untranslated_share: a line identical to a line of the English page's markdown; in a
non-Latin-script language a line mostly of Latin letters; in a Latin-script one a line of 15 %
or more English function words). Many locales of this version are mostly English (he, hi, kn,
lt, pa, ro, tr: no usable page), others partly.

Notes: per group, the usable pages (sorted by name) are put in a seeded shuffle
(random.Random("gnomehelp/<group>")); walking it, each page is appended, after a blank line,
to the open note, whose target size was drawn from the same generator, MIN_BYTES-MAX_BYTES
(1,000-6,000 bytes), when the note was opened; when the page would take a non-empty note past
its target, the note is closed and the page opens the next one. A page longer than its note's
target makes a note of its own, cut at a line boundary to at most MAX_PAGE_BYTES (8,000). The
open note is kept when the pages run out. A note is `<group>_<k>.md` in the set's directory,
k from 0; NOTES_PER_GROUP notes per group at most; a group of fewer than MIN_NOTES notes is
not used. Notes of even k are split `gnome_fit`, those of odd k `gnome_held_out`, as
tests/data/docs and tests/data/fortunes are split; neither is fitted yet (fit.py's
split() passes both through, as it does tldr's). Every note is family `gnomehelp`.

Groups: the locale lower-cased, as the other sets name languages (GROUP_OF below for the
others): `C` is `en`, `pt` `pt_pt`, `zh_CN` `zh_hans`, `sr@latin` `sr_latn` (`sr` is
Cyrillic).

Writes the notes, notes.tsv (group, path, split, family: what count_dir.mjs reads) and
pages.tsv (each note's package, version and pages, in order; a page cut short is marked
`page.page[cut]`), and copies the package's copyright file (the CC BY-SA 3.0 text) as
LICENSE-gnome-user-docs.

Deterministic: the same package version gives the same set (a different installed version is
reported on stderr).

Usage (Debian 12, the package installed; ROOT defaults to /usr/share/help):
    apt-get install gnome-user-docs
    python3 gen_gnomehelp.py ../../tests/data/gnomehelp [ROOT]
    node count_dir.mjs ../../tests/data/gnomehelp
"""
import os
import random
import re
import sys
import textwrap
import xml.etree.ElementTree as ET

from gen_docs import MAX_UNTRANSLATED, clear_notes, cut, installed_version, prose_lines, untranslated_share, write_package_index

NOTES_PER_GROUP = 10
MIN_NOTES = 4
MIN_BYTES, MAX_BYTES = 1000, 6000
MAX_PAGE_BYTES = 8000
MIN_PAGE_BYTES = 200
FAMILY = "gnomehelp"
# The splits of a note of even and of odd index.
SPLITS = ("gnome_fit", "gnome_held_out")
PACKAGE, VERSION = "gnome-user-docs", "43.0-2"
DOCUMENT = "gnome-help"
GROUP_OF = {"C": "en", "pt": "pt_pt", "zh_CN": "zh_hans", "zh_TW": "zh_hant", "zh_HK": "zh_hant",
            "sr@latin": "sr_latn"}
LICENSES = [("/usr/share/doc/gnome-user-docs/copyright", "LICENSE-gnome-user-docs")]

M = "{http://projectmallard.org/1.0/}"
IF = "{http://projectmallard.org/if/1.0/}"
# The conditional tokens that hold on a standard GNOME desktop; every other one (platform:
# gnome-classic, platform:ubuntu, target:mobile, action:install) does not.
TRUE_TOKENS = {"platform:gnome", "target:html"}
# Left out wherever they are.
DROPPED = {M + "info", M + "media", M + "comment", M + "links"}
CODE = {M + "code", M + "cmd", M + "input"}


def holds(test):
    """Whether a Mallard conditional test holds: any comma-separated alternative whose
    space-separated tokens all hold (`!token` negates)."""
    def token(t):
        return (t[1:] not in TRUE_TOKENS) if t.startswith("!") else t in TRUE_TOKENS
    return any(all(token(t) for t in alt.split()) for alt in test.split(",") if alt.strip())


def resolved(el):
    """The children of `el`, with conditionals replaced by the children of their branch that
    holds (if:choose: its first if:when that holds, else its if:else; if:if: its children
    when it holds)."""
    for ch in el:
        if not isinstance(ch.tag, str):
            continue  # XML comments and processing instructions
        if ch.tag == IF + "choose":
            branch = next((w for w in ch if w.tag == IF + "when" and holds(w.get("test", ""))), None)
            if branch is None:
                branch = next((w for w in ch if w.tag == IF + "else"), None)
            if branch is not None:
                yield from resolved(branch)
        elif ch.tag == IF + "if":
            if holds(ch.get("test", "")):
                yield from resolved(ch)
        else:
            yield ch


def inline(el):
    """The text of an inline element or a paragraph, markup converted, whitespace not yet
    collapsed."""
    out = [el.text or ""]
    for ch in resolved(el):
        out.append(inline_child(ch))
        out.append(ch.tail or "")
    return "".join(out)


def inline_child(ch):
    if ch.tag in DROPPED:
        return ""
    if ch.tag == M + "guiseq":
        return " ▸ ".join(t for t in (collapse(inline(g)) for g in resolved(ch)) if t)
    if ch.tag == M + "keyseq":
        return "+".join(t for t in (collapse(inline(k)) for k in resolved(ch)) if t)
    if ch.tag in CODE:
        text = collapse(inline(ch))
        if not text:
            return ""
        fence = "``" if "`" in text else "`"
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{fence}{pad}{text}{pad}{fence}"
    return inline(ch)  # gui, key, link, em, app, file, sys, span, its:*, ui:*, ...


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def fenced(el):
    """A <screen> or block <code> as a fenced code block: its text, dedented, blank lines at
    either end removed."""
    text = textwrap.dedent("".join(el.itertext()).expandtabs(8)).strip("\n")
    lines = [line.rstrip() for line in text.split("\n")]
    fence = "````" if any(line.lstrip().startswith("```") for line in lines) else "```"
    return [fence] + lines + [fence]


def indent(lines, first, rest):
    """`lines` with `first` before the first and `rest` before the others (not before empty
    lines when `rest` is spaces)."""
    out = []
    for k, line in enumerate(lines):
        prefix = first if k == 0 else rest
        out.append((prefix + line) if line or not prefix.isspace() else "")
    return out


def join_blocks(blocks, between=""):
    """Blocks (lists of lines) one after another, a blank line (`between`) apart."""
    out = []
    for b in blocks:
        if out:
            out.append(between)
        out += b
    return out


def blocks(el, level=2):
    """The markdown blocks (each a list of lines) of a block container's children."""
    out = []
    for ch in resolved(el):
        tag = ch.tag
        if tag in DROPPED or tag == M + "title":
            continue
        if not tag.startswith(M):
            continue  # its:rules, ui:thumb, ...: metadata
        if tag in (M + "p", M + "subtitle", M + "desc"):
            text = collapse(inline(ch))
            if text:
                out.append([text])
        elif tag == M + "section":
            title = next((t for t in resolved(ch) if t.tag == M + "title"), None)
            if title is not None and collapse(inline(title)):
                out.append(["#" * level + " " + collapse(inline(title))])
            out += blocks(ch, level + 1)
        elif tag in (M + "steps", M + "list", M + "terms"):
            out += list_blocks(ch, level)
        elif tag == M + "note":
            inner = join_blocks(titled(ch, level), "")
            if inner:
                out.append([("> " + line) if line else ">" for line in inner])
        elif tag == M + "table":
            out += table_blocks(ch, level)
        elif tag in (M + "screen", M + "code"):
            if "".join(ch.itertext()).strip():
                out.append(fenced(ch))
        else:
            # example, figure, synopsis, quote, div, ...: their title and children.
            out += titled(ch, level)
    return out


def title_block(el):
    """An element's <title> as a paragraph block: [] or [[text]]."""
    title = next((t for t in resolved(el) if t.tag == M + "title"), None)
    text = collapse(inline(title)) if title is not None else ""
    return [[text]] if text else []


def titled(el, level):
    """A container's blocks, its title (if any) as a paragraph first."""
    return title_block(el) + blocks(el, level)


def list_blocks(el, level):
    """A <steps>, <list> or <terms> as markdown: its title a paragraph, then one item a line
    (`1. `, `- `, or `**term**` lines and the description)."""
    out = title_block(el)
    items, n = [], 0
    for item in resolved(el):
        if item.tag != M + "item":
            continue
        if el.tag == M + "terms":
            terms = [collapse(inline(t)) for t in resolved(item) if t.tag == M + "title"]
            lines = [f"**{t}**" for t in terms if t]
            desc = join_blocks(blocks(item, level))
            items.append(lines + desc)
            continue
        body = join_blocks(blocks(item, level))
        if not body:
            continue
        n += 1
        marker = f"{n}. " if el.tag == M + "steps" else "- "
        items.append(indent(body, marker, " " * len(marker)))
    if items:
        out.append(join_blocks(items, "") if el.tag == M + "terms" else [line for it in items for line in it])
    return out


def table_blocks(el, level):
    """A <table> as a markdown table: its title a paragraph, the first row the header."""
    out = title_block(el)
    rows = []
    for part in resolved(el):
        if part.tag == M + "tr":
            trs = [part]
        elif part.tag in (M + "thead", M + "tbody", M + "tfoot"):
            trs = [r for r in resolved(part) if r.tag == M + "tr"]
        else:
            continue
        for tr in trs:
            cells = []
            for td in resolved(tr):
                if td.tag not in (M + "td", M + "th"):
                    continue
                text = " ".join(collapse(" ".join(b)) for b in blocks(td, level))
                cells.append(text.replace("|", "\\|"))
            if any(cells):
                rows.append(cells)
    if rows:
        width = max(len(r) for r in rows)
        lines = []
        for k, r in enumerate(rows):
            r = r + [""] * (width - len(r))
            lines.append("| " + " | ".join(r) + " |")
            if k == 0:
                lines.append("|" + "---|" * width)
        out.append(lines)
    return out


def markdown(path):
    """A page as markdown, ending with one newline; None when it does not parse or has no
    title."""
    try:
        page = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    title = next((t for t in resolved(page) if t.tag == M + "title"), None)
    if title is None or not collapse(inline(title)):
        return None
    lines = join_blocks([["# " + collapse(inline(title))]] + blocks(page))
    return "\n".join(lines) + "\n"


def untranslated(text, english, english_lines, group):
    """Whether a translated page is left untranslated: its markdown is the English page's
    (`english`), or 25 % or more of its prose lines are lines of the English page's
    (`english_lines`, gen_docs.py's prose_lines), or 25 % or more of its prose bytes are
    untranslated by gen_docs.py's untranslated_share. The count of lines keeps out the
    pages of a CJK or Indic translation whose title and first paragraph are English: their
    bytes are under a quarter of the page, whose other letters take three bytes each."""
    if text == english:
        return True
    lines = prose_lines(text)
    if not lines or sum(s in english_lines for s in lines) >= MAX_UNTRANSLATED * len(lines):
        return True
    return untranslated_share(text, english_lines, group) >= MAX_UNTRANSLATED


def group_of(locale):
    return GROUP_OF.get(locale, locale.lower())


def notes_of(group, items):
    """The group's notes, (page names, note), in seeded order: `items` are its usable pages,
    (name, markdown), sorted."""
    rng = random.Random(f"gnomehelp/{group}")
    order = list(items)
    rng.shuffle(order)
    notes, parts, target = [], [], rng.randint(MIN_BYTES, MAX_BYTES)
    for name, text in order:
        if len(notes) == NOTES_PER_GROUP:
            return notes
        if parts and len(note(parts + [(name, text)])[1].encode()) > target:
            notes.append(note(parts))
            parts, target = [], rng.randint(MIN_BYTES, MAX_BYTES)
            if len(notes) == NOTES_PER_GROUP:
                return notes
        if not parts and len(text.encode()) > target:
            short = cut(text, MAX_PAGE_BYTES)
            notes.append(note([(name if short == text else name + "[cut]", short)]))
            target = rng.randint(MIN_BYTES, MAX_BYTES)
            continue
        parts.append((name, text))
    if parts and len(notes) < NOTES_PER_GROUP:
        notes.append(note(parts))
    return notes


def note(parts):
    """A note of whole pages, a blank line between two (every page ends with one newline)."""
    return " ".join(n for n, _ in parts), "\n".join(t for _, t in parts)


def main():
    out = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/help"
    have = installed_version(PACKAGE)
    if have is not None and have != VERSION:
        print(f"{PACKAGE}: installed {have}, the set was made from {VERSION}", file=sys.stderr)
    locales = sorted(l for l in os.listdir(root) if os.path.isdir(os.path.join(root, l, DOCUMENT)))
    english_dir = os.path.join(root, "C", DOCUMENT)
    names = sorted(n for n in os.listdir(english_dir) if n.endswith(".page"))
    english = {n: markdown(os.path.join(english_dir, n)) for n in names}
    english_lines = {n: set(prose_lines(t)) for n, t in english.items() if t is not None}
    by_group = {}
    for locale in locales:
        by_group.setdefault(group_of(locale), []).append(locale)
    clear_notes(out)
    rows, stats = [], []
    for group in sorted(by_group):
        items, counts = [], {"pages": 0, "unparsed": 0, "short": 0, "untranslated": 0}
        for locale in by_group[group]:
            folder = os.path.join(root, locale, DOCUMENT)
            for name in sorted(n for n in os.listdir(folder) if n.endswith(".page")):
                counts["pages"] += 1
                text = english[name] if locale == "C" else markdown(os.path.join(folder, name))
                if text is None:
                    counts["unparsed"] += 1
                elif len(text.encode()) < MIN_PAGE_BYTES:
                    counts["short"] += 1
                elif group != "en" and untranslated(text, english.get(name), english_lines.get(name, set()), group):
                    counts["untranslated"] += 1
                else:
                    items.append((name if len(by_group[group]) == 1 else f"{locale}/{name}", text))
        notes = notes_of(group, items)
        stats.append((group, by_group[group], counts, len(items), notes))
        if len(notes) < MIN_NOTES:
            print(f"{group}: only {len(notes)} notes, not used", file=sys.stderr)
            continue
        for k, (ids, text) in enumerate(notes):
            name = f"{group}_{k}.md"
            with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
                f.write(text)
            rows.append((group, name, SPLITS[k % 2], FAMILY, PACKAGE, ids))
    write_package_index(out, rows, {PACKAGE: VERSION}, "pages", LICENSES)
    for group, locs, c, used, notes in stats:
        size = sum(len(t.encode()) for _, t in notes)
        print(f"{group} ({' '.join(locs)}): {c['pages']} pages, {c['unparsed']} unparsed, {c['short']} short, "
              f"{c['untranslated']} untranslated, {used} usable; {len(notes)} notes, "
              f"{sum(len(i.split()) for i, _ in notes)} pages in them, {size} bytes", file=sys.stderr)
    size = sum(os.path.getsize(os.path.join(out, r[1])) for r in rows)
    print(f"{len(rows)} notes, {size} bytes, {len({r[0] for r in rows})} groups in {out}")


if __name__ == "__main__":
    main()
