"""Builds a fourth held-out set of real multilingual markdown, tests/data/tldr, from the
tldr-pages project (tldr-pages/tldr): community-written command-line cheat sheets, in English
(pages/<platform>/<command>.md) and translated by volunteers (pages.<locale>/<platform>/...).
A page is short and always shaped the same way: a `# command` heading, `>` description lines
with a link, then `- ` items each followed by a backticked command with `{{placeholders}}`.
Commands, flags, paths and placeholders (translated in many languages) make up much of the
text: the public register nearest code-heavy personal cheat-sheet notes, which none of the
other sets has. tldr-pages is used by no other set of tests/data; nothing comes from Obsidian.

Built as gen_guides.py builds tests/data/guides, with gen_docs.py's helpers (write_set, git,
git_dirs, untranslated_share, ...), a note being several whole pages, as a user keeps them in
one cheat-sheet note:
- a group's pages (every `.md` under its directories at the pinned commit, sorted) are put in
  a seeded shuffle (random.Random("tldr/<group>")); walking it, each usable page is appended,
  after a blank line, to the open note of its platform directory (common, linux, osx, ...);
  a note is closed, and the page opens the next note of its platform, when the page would take
  it past the note's target size, drawn from the same generator, 1,000-6,000 bytes, when the
  note is opened (a page over the target makes a note of its own); notes are taken in the
  order they are closed, then the open ones, by platform, once the pages run out;
- a page is not usable when it or its English page (same path under pages/) is a redirect
  stub, whose every command is `tldr <other page>`: alias pages ("This command is an alias
  of ...", which the project's scripts write into every language from one template) and
  renamed, superseded or moved commands' pages; nor (but in English) when it is
  untranslated: its `>` description lines, markup removed, are the English page's, or 25 %
  or more of its prose bytes are untranslated by gen_docs.py's rule against the English
  page;
- page text is kept exactly as in the repository.
NOTES_PER_GROUP notes per group; every note is split `tldr` (reported, never fitted) and
family `tldr`. Groups: a locale's lower-cased name, but for GROUP_OF below.

Deterministic: pages are read at the commit pinned in COMMITS.

Usage (the git dir of the snapshot, recognised by its owner+name directory, e.g.
/work/.mirror/tldr-pages+tldr/repo):
    python3 gen_tldr.py ../../tests/data/tldr GITDIR
    node count_dir.mjs ../../tests/data/tldr
"""
import random
import re
import sys

from gen_docs import MAX_UNTRANSLATED, git, git_dirs, prose_lines, untranslated_share, write_set

NOTES_PER_GROUP = 8
SPLIT = FAMILY = "tldr"
MIN_BYTES, MAX_BYTES = 1000, 6000
REPO = "tldr-pages/tldr"
COMMITS = {REPO: "08e345f42639f67d99282813247ac670dc6e87cb"}
# Locales whose group is not their lower-cased name (pages/, English, is `en`).
GROUP_OF = {
    "zh": "zh_hans", "zh_TW": "zh_hant",
    # Norwegian Bokmål, both: `no` is the older directory, `nb` added in 2026; their pages are
    # pooled (cat.md is in both, translated twice).
    "no": "nb",
    # The translated Serbian pages are in Latin script ("Distribuirani sistem kontrole
    # verzija"); only the alias stubs, not used, are Cyrillic.
    "sr": "sr_latn",
}
LICENCES = [(REPO, "LICENSE.md", "LICENSE.md")]  # CC BY 4.0 (the pages; scripts/ MIT)
PAGE = re.compile(r"^(pages(?:\.([A-Za-z_]+))?)/([^/]+)/[^/]+\.md$")


def stub(text):
    """Whether a page only points to another: every command line is `tldr ...`."""
    commands = [line for line in text.split("\n") if line.startswith("`")]
    return bool(commands) and all(c.startswith("`tldr ") for c in commands)


def description(text):
    """The prose of a page's `>` lines (gen_docs.py's prose_lines)."""
    return prose_lines("\n".join(line for line in text.split("\n") if line.startswith(">")))


class Pages:
    """The pages at the pinned commit, read once each."""

    def __init__(self, gitdir):
        self.gitdir, self.commit, self.texts = gitdir, COMMITS[REPO], {}

    def read(self, path):
        if path not in self.texts:
            self.texts[path] = git(self.gitdir, "show", f"{self.commit}:{path}").decode()
        return self.texts[path]

    def usable(self, page, group):
        """The page's text, or None when it or its English page is a stub, or it is
        untranslated."""
        english = self.read("pages/" + page.split("/", 1)[1])
        if stub(english):
            return None
        text = self.read(page)
        if stub(text):
            return None
        if group == "en":
            return text
        if description(text) == description(english):
            return None
        if untranslated_share(text, set(prose_lines(english)), group) >= MAX_UNTRANSLATED:
            return None
        return text


def notes_of(pages, group, paths):
    """The group's notes, (pages, note), in seeded order: `paths` are the group's pages,
    `pages` reads them; the first field lists a note's pages, space-separated."""
    rng = random.Random(f"tldr/{group}")
    order = sorted(paths)
    rng.shuffle(order)
    notes = {}  # platform: (target, [(page, text)])
    for page in order:
        text = pages.usable(page, group)
        if text is None:
            continue
        platform = PAGE.match(page).group(3)
        if platform not in notes:
            notes[platform] = (rng.randint(MIN_BYTES, MAX_BYTES), [])
        target, parts = notes[platform]
        if parts and len("\n".join(t for _, t in parts + [(page, text)]).encode()) > target:
            yield note(parts)
            target, parts = rng.randint(MIN_BYTES, MAX_BYTES), []
            notes[platform] = (target, parts)
        parts.append((page, text))
    for platform in sorted(notes):
        if notes[platform][1]:
            yield note(notes[platform][1])


def note(parts):
    """A note of whole pages, each after a blank line (every page ends with one newline)."""
    return " ".join(p for p, _ in parts), "\n".join(t for _, t in parts)


def main():
    out = sys.argv[1]
    dirs = git_dirs(sys.argv[2:], COMMITS)
    pages = Pages(dirs[REPO])
    by_group = {}
    for path in git(dirs[REPO], "ls-tree", "-r", "--name-only", COMMITS[REPO]).decode().split("\n"):
        m = PAGE.match(path)
        if m:
            loc = m.group(2)
            group = "en" if loc is None else GROUP_OF.get(loc, loc.lower())
            by_group.setdefault(group, [(FAMILY, REPO, [])])[0][2].append(path)
    write_set(out, by_group, lambda group, s: notes_of(pages, group, s[2]), lambda n: SPLIT, NOTES_PER_GROUP,
              dirs, LICENCES, COMMITS, index_commits=COMMITS)

if __name__ == "__main__":
    main()
