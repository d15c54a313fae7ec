"""Builds a second held-out documentation set, tests/data/docs2, from three other projects'
translated docs: the Node.js website (nodejs/nodejs.org, apps/site/pages/<locale>/), the
Vite docs (vitejs/vite docs/ and its translations vitejs/docs-<lang>) and the Astro docs
(withastro/docs, src/content/docs/<lang>/). None of them is used by any other set of
tests/data (tests/data/docs is react.dev and Vue); nothing comes from Obsidian.

Built the way gen_docs.py builds tests/data/docs, whose helpers it imports (pick_notes,
write_set, ...): each note is one page (.md or .mdx) cut to a seeded 2,000-12,000
byte target at a line boundary; pages under 2,000 bytes are not used; pages are picked per
group and source by a seeded shuffle (random.Random("docs2/<group>/<family>")) of the sorted
page list; a note with 25 % or more of its prose bytes untranslated is skipped (a prose line
identical to a line of the English page at the same relative path, mostly Latin letters in a
non-Latin-script language, or 15 % English function words in a Latin-script one).
NOTES_PER_GROUP notes per group, split evenly between the sources that have the language; a
source with too few usable pages leaves the rest of its share to the others. Every note is
split `docs2`: reported, never fitted. family = nodejs, vite or astro.

Deterministic: pages are read at the commits pinned in SOURCES.

Usage (git dirs of the snapshots, recognised by their owner+name directory, e.g.
/work/.mirror/vitejs+docs-ja/repo):
    python3 gen_docs2.py ../../tests/data/docs2 GITDIR...
    node count_dir.mjs ../../tests/data/docs2
"""
import random
import re
import sys

from gen_docs import git, git_dirs, pick_notes, prose_lines, write_set

NOTES_PER_GROUP = 12
SPLIT = "docs2"

COMMITS = {
    "nodejs/nodejs.org": "6f94c8a6ab643beeee7038eba3fb521207d4b345",
    "withastro/docs": "741c1b89ba13cf9b4ac4087ef09dc269e113fa77",
    "vitejs/vite": "a98c8d95d552c6fa98ab66fb810f5b39ad5abf49",
    "vitejs/docs-de": "f9ac6cd297e6f75a81b0a010e1d7f5c1f90f79e9",
    "vitejs/docs-es": "ceab6516303316a00310befa240c13722dd64b3e",
    "vitejs/docs-fa": "8af0a5ddd4ff8dc6b0203ee1ffbf46b452afcb3f",
    "vitejs/docs-ja": "3237ae23aba865919bc6b2f7e68a784ea64c51ac",
    "vitejs/docs-ko": "7cec40882780a30be887a9e7bacaa6e936868d6b",
    "vitejs/docs-pt": "01bb4d9e170f5cb402292a263ca041b3c2d73f9f",
}

NODE = r"^apps/site/pages/{}/(?!blog/)(.*\.mdx?)$"
ASTRO = r"^src/content/docs/{}/(.*\.mdx?)$"
# The Vite translations: docs-ja and docs-ko keep the pages at the top level, the others under docs/.
VITE = r"^(?:docs/)?((?:guide|config|blog|changes|plugins)/.*\.md)$"

# (repository, family, group, page pattern whose group 1 is the page's path relative to the
# language's root, the key to its English page)
SOURCES = [
    *[("nodejs/nodejs.org", "nodejs", g, NODE.format(loc)) for loc, g in [
        ("ar", "ar"), ("es", "es"), ("fa", "fa"), ("fr", "fr"), ("id", "id"), ("ja", "ja"),
        ("ko", "ko"),
        # European Portuguese ("desenhada", "a Node.js"), as vitejs/docs-pt ("secção", "predefinição").
        ("pt", "pt_pt"), ("pt-br", "pt_br"), ("ro", "ro"), ("tr", "tr"), ("uk", "uk"),
        ("zh-cn", "zh_hans"), ("zh-tw", "zh_hant"), ("en", "en")]],
    *[("withastro/docs", "astro", g, ASTRO.format(loc)) for loc, g in [
        ("ar", "ar"), ("de", "de"), ("es", "es"), ("fr", "fr"), ("hi", "hi"), ("it", "it"),
        ("ja", "ja"), ("ko", "ko"), ("pl", "pl"), ("pt-br", "pt_br"), ("ru", "ru"),
        ("zh-cn", "zh_hans"), ("zh-tw", "zh_hant"), ("en", "en")]],
    *[(f"vitejs/docs-{loc}", "vite", g, VITE) for loc, g in [
        ("de", "de"), ("es", "es"), ("fa", "fa"), ("ja", "ja"), ("ko", "ko"), ("pt", "pt_pt")]],
    ("vitejs/vite", "vite", "en", r"^docs/((?:guide|config|blog|changes|plugins)/.*\.md)$"),
]
ENGLISH = {"nodejs": "nodejs/nodejs.org", "astro": "withastro/docs", "vite": "vitejs/vite"}
# Licence files copied beside the notes: (repository, file in it, name in the set). All MIT.
LICENCES = [
    ("nodejs/nodejs.org", "LICENSE", "LICENSE-nodejs.org"),
    ("withastro/docs", "LICENSE", "LICENSE-astro-docs"),
    ("vitejs/vite", "LICENSE", "LICENSE-vite"),
    *[(f"vitejs/docs-{loc}", "LICENSE", f"LICENSE-vite-docs-{loc}") for loc in ["de", "es", "fa", "ja", "ko", "pt"]],
]


def pages_of(gitdir, repo, pattern):
    """{relative path: repository path} of the pages matching pattern at the pinned commit."""
    rx = re.compile(pattern)
    out = {}
    for p in git(gitdir, "ls-tree", "-r", "--name-only", COMMITS[repo]).decode().split("\n"):
        m = rx.match(p)
        if m:
            out[m.group(1)] = p
    return out


def notes_of(gitdir, repo, fam, group, pattern, english):
    """The acceptable notes of one repository, (page, note), in seeded order."""
    rng = random.Random(f"docs2/{group}/{fam}")
    return pick_notes(rng, pages_of(gitdir, repo, pattern), gitdir, COMMITS[repo], group, english)


def main():
    out = sys.argv[1]
    dirs = git_dirs(sys.argv[2:], COMMITS)
    english = {}
    for repo, fam, group, pattern in SOURCES:
        if group == "en":
            pages = pages_of(dirs[repo], repo, pattern)
            english[fam] = {k: set(prose_lines(git(dirs[repo], "show", f"{COMMITS[repo]}:{p}").decode())) for k, p in pages.items()}
    by_group = {}
    for repo, fam, group, pattern in SOURCES:
        by_group.setdefault(group, []).append((fam, repo, pattern))
    write_set(out, by_group, lambda group, s: notes_of(dirs[s[1]], s[1], s[0], group, s[2], english[s[0]]),
              lambda n: SPLIT, NOTES_PER_GROUP, dirs, LICENCES, COMMITS, index_commits=COMMITS)

if __name__ == "__main__":
    main()
