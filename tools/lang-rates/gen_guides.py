"""Builds a third held-out set of real multilingual markdown, tests/data/guides, from three
community-translated study guides: the Coding Interview University checklist
(jwasham/coding-interview-university, translations/README-<lang>.md, English README.md), The
Art of Command Line (jlevy/the-art-of-command-line, README-<lang>.md, English README.md) and
the JavaScript Algorithms notes (trekhleb/javascript-algorithms, src/**/README.<locale>.md,
English the README.md beside each). Headings, bullet lists and checklists, links, short prose,
some code and formulas: the register nearest personal notes among translated sources. None of
them is used by any other set of tests/data; nothing comes from Obsidian.

Built as gen_docs.py builds tests/data/docs, whose helpers it imports (pick_notes, write_set,
...), with two differences in what a note is:
- a Coding Interview University or Art of Command Line README is one long page, cut into
  consecutive notes at heading lines (outside code blocks): each note holds whole sections up
  to a seeded target drawn from 2,000-12,000 bytes; a section that does not fit ends the note
  if it already holds 2,000 bytes, else fills it up to the target, cut at a line boundary, and
  its rest opens the next note; a last note under 2,000 bytes is not used;
- a JavaScript Algorithms README is one note: the whole file when at most the seeded target,
  else its first lines up to it; files under 1,000 bytes are not used.
Notes are picked per group and source by a seeded shuffle (random.Random("guides/<group>/
<family>"), which also draws the section notes' targets); a note with 25 % or more of its prose
bytes untranslated is skipped (gen_docs.py's rule; the English page is the repository's
README.md, or the README.md beside a JavaScript Algorithms file). NOTES_PER_GROUP notes per
group, split evenly between the sources having the language; a source with too few usable
notes leaves the rest of its share to the others. Every note is split `guides`: reported,
never fitted. family = interview, cmdline or algorithms.

Deterministic: files are read at the commits pinned in COMMITS.

Usage (git dirs of the snapshots, recognised by their owner+name directory, e.g.
/work/.mirror/jlevy+the-art-of-command-line/repo):
    python3 gen_guides.py ../../tests/data/guides GITDIR...
    node count_dir.mjs ../../tests/data/guides
"""
import functools
import random
import re
import sys

from gen_docs import MAX_BYTES, MIN_BYTES, cut, git, git_dirs, in_code, pick_notes, prose_lines, write_set

NOTES_PER_GROUP = 9
SPLIT = "guides"
MIN_ALGORITHMS_BYTES = 1000

COMMITS = {
    "jwasham/coding-interview-university": "717298bf219a30d7fb0671285c5f057b1bb74b27",
    "jlevy/the-art-of-command-line": "6b50745d2e788add2e8f1ed29010e72659a9a074",
    "trekhleb/javascript-algorithms": "85293e3e2b88f4d2ce330d956b139cf628aa1e82",
}
INTERVIEW = {
    "af": "af", "ar": "ar", "bg": "bg", "bn": "bn", "cn": "zh_hans", "de": "de", "el": "el",
    "es": "es", "fa": "fa", "fr": "fr", "he": "he", "hi": "hi", "id": "id", "it": "it",
    "ja": "ja", "kh": "km", "ko": "ko", "mr": "mr", "nl": "nl", "pl": "pl", "ptbr": "pt_br",
    "ru": "ru", "th": "th", "tr": "tr", "tw": "zh_hant", "uk": "uk", "ur": "ur",
    "uz": "uz", "vi": "vi",
    # Not used: kk, whose every section is there twice, in Kazakh Cyrillic and again in a
    # letter-for-letter Latin transliteration ("Kodtaw suxbat wnïversïteti").
}
CMDLINE = {
    "cs": "cs", "de": "de", "el": "el", "es": "es", "fr": "fr", "id": "id", "it": "it",
    "ja": "ja", "ko": "ko", "pl": "pl",
    # Brazilian Portuguese ("você", "arquivo", "tela", "Debugando").
    "pt": "pt_br",
    "ro": "ro", "ru": "ru", "sl": "sl", "uk": "uk", "zh-Hant": "zh_hant", "zh": "zh_hans",
}
ALGORITHMS = {
    "de-DE": "de", "es-ES": "es", "fr-FR": "fr", "he-IL": "he", "ja-JP": "ja", "ka-GE": "ka",
    "ko-KR": "ko", "ko-KO": "ko", "pt-BR": "pt_br", "pt-br": "pt_br", "ru-RU": "ru",
    "tr-TR": "tr", "uk-UA": "uk", "vi-VN": "vi", "zh-CN": "zh_hans", "zh-TW": "zh_hant",
}
# (repository, family, {locale: group} with English as "", the path of a locale's file)
SOURCES = [
    ("jwasham/coding-interview-university", "interview", {**INTERVIEW, "": "en"},
     lambda loc: f"translations/README-{loc}.md" if loc else "README.md"),
    ("jlevy/the-art-of-command-line", "cmdline", {**CMDLINE, "": "en"},
     lambda loc: f"README-{loc}.md" if loc else "README.md"),
    ("trekhleb/javascript-algorithms", "algorithms", {**ALGORITHMS, "": "en"}, None),
]
# Licence files copied beside the notes: (repository, file in it, name in the set). The Art of
# Command Line has no licence file; its README puts it under CC BY-SA 4.0, whose text is
# LICENSE-coding-interview-university.
LICENCES = [
    ("jwasham/coding-interview-university", "LICENSE.txt", "LICENSE-coding-interview-university"),  # CC BY-SA 4.0
    ("trekhleb/javascript-algorithms", "LICENSE", "LICENSE-javascript-algorithms"),  # MIT
]
ALGORITHM_PAGE = re.compile(r"^(src/.*/)README(?:\.([^./]+))?\.md$")


def section_notes(rng, text):
    """The page cut into consecutive notes of whole sections (a section: a heading line outside
    code blocks and the lines up to the next one), each up to a target drawn by `rng` from
    MIN_BYTES..MAX_BYTES: a section that does not fit ends the note when it holds MIN_BYTES,
    else fills it to the target, cut at a line boundary, its rest opening the next note. Each
    note is (first line, last line, text), lines counted from 1."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, (line, code) in enumerate(in_code(lines)) if not code and re.match(r"#{1,6}(\s|$)", line)]
    bounds = sorted({0, *starts, len(lines)})
    queue = [(a, "".join(lines[a:b])) for a, b in zip(bounds, bounds[1:])]
    notes, first, note = [], 0, ""
    target = rng.randint(MIN_BYTES, MAX_BYTES)
    while queue:
        start, section = queue.pop(0)
        size = len(note.encode())
        if size + len(section.encode()) <= target:
            note += section
            continue
        if size < MIN_BYTES:
            head = cut(section, target - size) or section.splitlines(keepends=True)[0]
            note += head
            if len(head) < len(section):
                queue.insert(0, (start + head.count("\n"), section[len(head):]))
        else:
            queue.insert(0, (start, section))
        notes.append((first + 1, first + note.count("\n"), note))
        first, note = queue[0][0] if queue else len(lines), ""
        target = rng.randint(MIN_BYTES, MAX_BYTES)
    if note:
        notes.append((first + 1, first + note.count("\n") + (not note.endswith("\n")), note))
    return notes


def readme_notes(gitdir, repo, fam, group, path, english):
    """The acceptable notes of one long README, (page, note), in seeded order; page is the
    file's path with the note's line range (`#L<first>-L<last>`)."""
    rng = random.Random(f"guides/{group}/{fam}")
    text = git(gitdir, "show", f"{COMMITS[repo]}:{path}").decode()
    notes = {f"{k:03d}": (f"{path}#L{a}-L{b}", note) for k, (a, b, note) in enumerate(section_notes(rng, text))}
    pages = {key: page for key, (page, _) in notes.items()}
    texts = dict(notes.values())
    return pick_notes(rng, pages, gitdir, COMMITS[repo], group, {key: english for key in notes}, read=texts.get)


def algorithm_notes(gitdir, repo, fam, group, pages, english):
    """The acceptable notes of JavaScript Algorithms in one group, (page, note), in seeded order:
    `pages` are the group's files, `english` maps them to their English page's prose lines."""
    rng = random.Random(f"guides/{group}/{fam}")
    return pick_notes(rng, {p: p for p in pages}, gitdir, COMMITS[repo], group, english, MIN_ALGORITHMS_BYTES)


def main():
    out = sys.argv[1]
    dirs = git_dirs(sys.argv[2:], COMMITS)
    by_group = {}
    for repo, fam, locales, path_of in SOURCES:
        commit, gitdir = COMMITS[repo], dirs[repo]
        if path_of:
            english = set(prose_lines(git(gitdir, "show", f"{commit}:{path_of('')}").decode()))
            for loc, group in locales.items():
                by_group.setdefault(group, []).append((fam, repo, functools.partial(readme_notes, gitdir, repo, fam, group, path_of(loc), english)))
            continue
        files = {}
        for p in git(gitdir, "ls-tree", "-r", "--name-only", commit).decode().split("\n"):
            m = ALGORITHM_PAGE.match(p)
            if m and (m.group(2) or "") in locales:
                files.setdefault(locales[m.group(2) or ""], []).append((p, m.group(1) + "README.md"))
        english_of = {}
        for group, pairs in files.items():
            for _, en in pairs:
                if en not in english_of:
                    english_of[en] = set(prose_lines(git(gitdir, "show", f"{commit}:{en}").decode()))
            english = {p: english_of[en] for p, en in pairs}
            pages = [p for p, _ in pairs]
            by_group.setdefault(group, []).append((fam, repo, functools.partial(algorithm_notes, gitdir, repo, fam, group, pages, english)))
    write_set(out, by_group, lambda group, s: s[2](), lambda n: SPLIT, NOTES_PER_GROUP, dirs, LICENCES, COMMITS,
              index_commits=COMMITS, key=lambda s: s[:2])

if __name__ == "__main__":
    main()
