"""Builds a fifth held-out set of real multilingual text, tests/data/fortunes, from Debian's
fortune-cookie packages: quotations, proverbs, jokes, anecdotes, definitions and short poems,
collected and translated by volunteers, one `%` line between two fortunes. It is everyday
text, the register of a quote, a joke or a saying copied into a note: every other set of
tests/data is documentation, interface strings, manuals, study guides, cheat sheets, legal
text or word lists. Nothing of it is used by any other set; nothing comes from Obsidian.

Packages (Debian 12 bookworm, `apt-get install`, as read from `dpkg -s <package>`), the group
each makes and the files read (under /usr/share/games/fortunes; GROUPS below):
- fortunes 1:1.99.1-7.3 (English, `en`): the package's own files (not those of fortunes-min,
  which it depends on), but ascii-art (ASCII pictures) and translate-me (Latin, French and
  other phrases with English glosses);
- fortunes-es 1.36 (`es`): es/ (its *.fortunes and varios.fortunes-pre), not es/off/ (the
  offensive section);
- fortunes-br 20220821 (Brazilian Portuguese, `pt_br`): brasil;
- fortunes-de 0.35-1 (`de`): de/, but de/asciiart;
- fortunes-it 1.99-4.1 (`it`): it/ (whose files the top-level adams, computer, ... link to), but
  it/banner (an ASCII-art title);
- fortunes-ru 1.52-3.1 (`ru`): ru/;
- fortunes-cs 2.0.9-1.1 (Czech and Slovak): cs/ is `cs`, but its Slovak file klasik-sk (which
  sk/ links to) is `sk`;
- fortunes-bg 1.4 (`bg`): bg/;
- fortunes-pl 0.0.20130525-3 (`pl`): pl/;
- fortunes-ga 0.10+nmu1 (Irish, `ga`): ga/proverbs;
- fortunes-eo 20020729b-1.1 (Esperanto, `eo`): eo/proverbaro.
Not used: every offensive package (fortunes-off, fortunes-*-off: not installed) and es/off/;
fortunes-zh 2.98 (classical Chinese poems and texts, with terminal escape sequences).

Text: a file `X` may come with `X.u8`, its UTF-8 version; `X.u8` is read when it is a file with
text, else `X`. In these versions every file read is UTF-8 (strictly decoded), Polish
included: fortunes-pl's `.u8` files are empty and its plain files are UTF-8 already, with
ą ę ł ó ś ż ć ń ź as expected (the IRC logs of pl/argante, pl/blug, ... keep their client's
glyphs, `ůíů` and `đ`, as the package has them). Two Russian files, ru/amur and ru/b0, have
CRLF line ends; they are read as LF, as a note editor stores pasted text.

A fortune is the text between two `%` lines (a `%` alone on its line; a few of them in it/,
es/, ru/ and pl/ have trailing spaces, and count too), its blank lines at the start and end
removed; otherwise kept exactly (tabs, indented and hard-wrapped lines, attribution lines of
two tabs and "-- Author": that is how such text is pasted). A fortune is not used when it holds a
control character other than tab and newline (terminal escape sequences, backspace
overstrikes, IRC colour codes), when it has fewer than MIN_CHARS non-space characters, or when
letters are under MIN_LETTERS of its non-space characters (ASCII art, tables, number lists);
a fortune already read in the group (the same text in another file) is not used again.

Notes: per group, the usable fortunes (files in sorted order, each in its order) are put in a
seeded shuffle (random.Random("fortunes/<group>")); walking it, each fortune is appended,
after a blank line, to the open note, whose target size was drawn from the same generator,
MIN_BYTES-MAX_BYTES (800-4,000 bytes), when the note was opened. When a fortune would take the
note past its target, the note is closed if it holds MIN_BYTES, and the fortune opens the next
note (unless it is longer than that note's target too); if the note holds less, the fortune is
passed over. So every note is 800-4,000 bytes, whole fortunes a blank line apart, ending with
one newline, and a fortune over 4,000 bytes is never used. A note is `<group>_<k>.md` in the
set's directory, k from 0; NOTES_PER_GROUP notes per group at most, fewer when the fortunes
run out (an open note under MIN_BYTES is then not used), and a group of fewer than MIN_NOTES
notes is not used. Notes of even k are split `fortunes_fit` (fitted, as groups
`fortunes_<group>`), those of odd k `fortunes_held_out` (reported, never fitted), as
tests/data/docs is split; every note is family `fortunes`. (Until the refit of 2026-12-06
every note was split `fortunes` and none was fitted: tools/lang-rates/README.md, "A
fortune-cookie set".)

Writes the notes, notes.tsv (group, path, split, family: what count_dir.mjs reads) and
pages.tsv (each note's package, version and fortunes, as `file:n`, n counting the file's
fortunes from 1), and copies the licence texts (LICENSES below).

Deterministic: the same package versions give the same set (a different installed version is
reported on stderr).

Usage (Debian 12, the packages installed; ROOT defaults to /usr/share/games/fortunes):
    apt-get install fortunes fortunes-es fortunes-br fortunes-de fortunes-it fortunes-ru \
        fortunes-cs fortunes-bg fortunes-pl fortunes-ga fortunes-eo
    python3 gen_fortunes.py ../../tests/data/fortunes [ROOT]
    node count_dir.mjs ../../tests/data/fortunes
"""
import os
import random
import sys

from gen_docs import clear_notes, installed_version, write_package_index

NOTES_PER_GROUP = 16
MIN_NOTES = 4
MIN_BYTES, MAX_BYTES = 800, 4000
MIN_CHARS = 20
MIN_LETTERS = 0.7
FAMILY = "fortunes"
# The splits of a note of even and of odd index.
SPLITS = ("fortunes_fit", "fortunes_held_out")

VERSIONS = {
    "fortunes": "1:1.99.1-7.3", "fortunes-es": "1.36", "fortunes-br": "20220821",
    "fortunes-de": "0.35-1", "fortunes-it": "1.99-4.1", "fortunes-ru": "1.52-3.1",
    "fortunes-cs": "2.0.9-1.1", "fortunes-bg": "1.4", "fortunes-pl": "0.0.20130525-3",
    "fortunes-ga": "0.10+nmu1", "fortunes-eo": "20020729b-1.1",
}
ENGLISH = [
    "art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs", "education",
    "ethnic", "food", "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie",
    "love", "magic", "medicine", "men-women", "miscellaneous", "news", "paradoxum", "people",
    "perl", "pets", "platitudes", "politics", "pratchett", "science", "songs-poems", "sports",
    "startrek", "tao", "wisdom", "work", "zippy",
]
# group: (package, directory or files under ROOT, files of the directory not used)
GROUPS = {
    "en": ("fortunes", ENGLISH, ()),
    "es": ("fortunes-es", "es", ()),
    "pt_br": ("fortunes-br", ["brasil"], ()),
    "de": ("fortunes-de", "de", ("asciiart",)),
    "it": ("fortunes-it", "it", ("banner",)),
    "ru": ("fortunes-ru", "ru", ()),
    "cs": ("fortunes-cs", "cs", ("klasik-sk",)),
    "sk": ("fortunes-cs", ["cs/klasik-sk"], ()),
    "bg": ("fortunes-bg", "bg", ()),
    "pl": ("fortunes-pl", "pl", ()),
    "ga": ("fortunes-ga", ["ga/proverbs"], ()),
    "eo": ("fortunes-eo", ["eo/proverbaro"], ()),
}
# Licence texts copied beside the notes: (file, name in the set). The packages' own notices
# are in SOURCES.md: GPL-2+ (es, br, de, pl), GPL-2 (ru), GPL-3+ (cs), GPL-1+ (bg, whose
# copyright file holds the GPL-1 text), BSD (fortunes, ga: both copyright files, copied),
# public domain (it, eo).
LICENSES = [
    ("/usr/share/common-licenses/GPL-1", "LICENSE-GPL-1"),
    ("/usr/share/common-licenses/GPL-2", "LICENSE-GPL-2"),
    ("/usr/share/common-licenses/GPL-3", "LICENSE-GPL-3"),
    ("/usr/share/doc/fortunes/copyright", "LICENSE-fortunes"),
    ("/usr/share/doc/fortunes-ga/copyright", "LICENSE-fortunes-ga"),
    ("/usr/share/doc/fortunes-it/copyright", "LICENSE-fortunes-it"),
    ("/usr/share/doc/fortunes-eo/copyright", "LICENSE-fortunes-eo"),
]


def files_of(root, where, skip):
    """The fortune files of a group, relative to `root`, sorted: `where` lists them, or is a
    directory whose files (not `.dat` indexes, not `.u8` versions, not subdirectories) are."""
    if isinstance(where, list):
        return where
    names = [n for n in os.listdir(os.path.join(root, where)) if not n.endswith((".dat", ".u8")) and n not in skip]
    return sorted(f"{where}/{n}" for n in names if os.path.isfile(os.path.join(root, where, n)))


def read(root, name):
    """The text of a fortune file: its `.u8` version when that holds text, CRLF read as LF."""
    path = os.path.join(root, name)
    if os.path.isfile(path + ".u8") and os.path.getsize(path + ".u8") > 0:
        path += ".u8"
    with open(path, "rb") as f:
        return f.read().decode("utf-8").replace("\r\n", "\n")


def fortunes(text):
    """The fortunes of a file's text, in order: the texts between `%` lines (trailing spaces
    allowed), blank lines at either end removed (empty ones too, to keep the numbering of the
    file's fortunes)."""
    out, lines = [], []
    for line in text.split("\n") + ["%"]:
        if line.rstrip(" \t") == "%":
            while lines and not lines[-1].strip():
                lines.pop()
            while lines and not lines[0].strip():
                lines.pop(0)
            out.append("\n".join(lines))
            lines = []
        else:
            lines.append(line)
    return out


def usable(fortune):
    """Whether a fortune is prose enough: no control character but tab and newline, at least
    MIN_CHARS non-space characters, letters at least MIN_LETTERS of them."""
    if any(ord(ch) < 32 and ch not in "\t\n" or ord(ch) == 127 for ch in fortune):
        return False
    chars = [ch for ch in fortune if not ch.isspace()]
    return len(chars) >= MIN_CHARS and sum(ch.isalpha() for ch in chars) >= MIN_LETTERS * len(chars)


def notes_of(group, items):
    """The group's notes, (fortune ids, note), in seeded order: `items` are its usable
    fortunes, (id, text)."""
    rng = random.Random(f"fortunes/{group}")
    order = list(items)
    rng.shuffle(order)
    notes, parts, target = [], [], rng.randint(MIN_BYTES, MAX_BYTES)
    for item in order:
        if len(notes) == NOTES_PER_GROUP:
            return notes
        if len(note(parts + [item])[1].encode()) > target:
            if len(note(parts)[1].encode()) < MIN_BYTES:
                continue
            notes.append(note(parts))
            parts, target = [], rng.randint(MIN_BYTES, MAX_BYTES)
            if len(note([item])[1].encode()) > target:
                continue
        parts.append(item)
    if parts and len(notes) < NOTES_PER_GROUP and len(note(parts)[1].encode()) >= MIN_BYTES:
        notes.append(note(parts))
    return notes


def note(parts):
    """A note of fortunes, a blank line between two, ending with a newline."""
    return " ".join(i for i, _ in parts), "\n\n".join(t for _, t in parts) + "\n"


def main():
    out = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/games/fortunes"
    for package, version in VERSIONS.items():
        have = installed_version(package)
        if have is not None and have != version:
            print(f"{package}: installed {have}, the set was made from {version}", file=sys.stderr)
    clear_notes(out)
    rows, stats = [], []
    for group in sorted(GROUPS):
        package, where, skip = GROUPS[group]
        items, seen, total = [], set(), 0
        for name in files_of(root, where, skip):
            for n, text in enumerate(fortunes(read(root, name)), 1):
                total += bool(text)
                if usable(text) and text not in seen:
                    seen.add(text)
                    items.append((f"{name}:{n}", text))
        notes = notes_of(group, items)
        stats.append((group, len(items), total, len(notes)))
        if len(notes) < MIN_NOTES:
            print(f"{group}: only {len(notes)} notes, not used", file=sys.stderr)
            continue
        for k, (ids, text) in enumerate(notes):
            name = f"{group}_{k}.md"
            with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
                f.write(text)
            rows.append((group, name, SPLITS[k % 2], FAMILY, package, ids))
    write_package_index(out, rows, VERSIONS, "fortunes", LICENSES)
    for group, used, total, n in stats:
        print(f"{group}: {used} of {total} fortunes usable, {n} notes", file=sys.stderr)
    size = sum(os.path.getsize(os.path.join(out, r[1])) for r in rows)
    print(f"{len(rows)} notes, {size} bytes, {len({r[0] for r in rows})} groups in {out}")


if __name__ == "__main__":
    main()
