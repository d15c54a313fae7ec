"""Builds a held-out set of real English technical markdown: the README.md of every crate in
the workspace's Cargo.lock, read from the local cargo registry (run `cargo fetch` first), so
that nothing of their text is committed (each README is under its crate's licence).

These are markdown written by people for people, with code blocks, tables, links and badges:
the nearest public text to the code-heavy English notes the outside evaluation of issue 19
names (a personal zettelkasten's), and never fitted. Groups: `readme_code` (four or more code
fences) and `readme_prose` (fewer); READMEs under 800 bytes are left out, longer ones cut at
30,000 characters (on a character boundary), and a README that several crates share (a
family's) counted once.

Usage (from tools/lang-rates, after `npm install`):
    python3 gen_readmes.py ../../Cargo.lock /tmp/readmes
    node count_dir.mjs /tmp/readmes
    cd ../.. && cargo run --release -p token-estimate --features fitting --example token_accuracy -- tests/data/corpus /tmp/readmes
"""
import glob
import os
import re
import sys

lock, out = sys.argv[1], sys.argv[2]
home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
packages = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"\nsource = "registry', open(lock).read())
rows = []
missing = 0
seen = set()
for name, version in sorted(set(packages)):
    found = glob.glob(os.path.join(home, "registry", "src", "*", f"{name}-{version}", "README.md"))
    if not found:
        missing += 1
        continue
    text = open(found[0], encoding="utf-8", errors="replace").read()
    if len(text.encode()) < 800:
        continue
    text = text[:30000]
    if text in seen:  # a README shared by a family of crates counts once
        continue
    seen.add(text)
    group = "readme_code" if text.count("```") >= 4 else "readme_prose"
    path = f"{group}/{name}-{version}.md"
    os.makedirs(os.path.join(out, group), exist_ok=True)
    open(os.path.join(out, path), "w", encoding="utf-8").write(text)
    rows.append(f"{group}\t{path}\tindep\treadme\n")
with open(os.path.join(out, "notes.tsv"), "w") as f:
    f.write("group\tpath\tsplit\tfamily\n" + "".join(rows))
print(f"{len(rows)} READMEs of {len(set(packages))} crates ({missing} without a README.md in the registry)")
