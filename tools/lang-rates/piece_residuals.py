"""Which pieces a set of notes is mispriced by: reads `piece_exact.mjs`'s output and prints, per
category of piece and per set (the first directory of each file's path), how many pieces, their
mean price minus exact count, and that excess in % of the set's exact tokens (`+` over).

Categories: `hit` (a listed word), rare Latin words by shape (`w0` lower-case, `w1`
Capitalised, `w2` ALLCAPS), by whether a space comes before them (`sp`) or not (`bare`) and by
letters (`S` 1-3, `M` 4-6, `L` 7+), with `X` when accented; `other` for everything else.
Prices are the English weights' (`piece_costs`), so for other languages only the comparison
between sets of one language means anything.

Usage: python3 piece_residuals.py pieces_exact.tsv o|c
"""
import collections
import sys

MISS, MISS_END, LATIN_EXT = 6, 36, 40


def category(piece, features):
    if set(features) == {0}:
        return "hit"
    miss = [k for k in features if MISS <= k < MISS_END]
    if not miss:
        return "other"
    shape, bucket = divmod(miss[0] - MISS, 10)
    letters = bucket + 2
    size = "S" if letters <= 3 else "M" if letters <= 6 else "L"
    return f"w{shape}{'sp' if piece.startswith(' ') else 'bare'}{size}{'X' if LATIN_EXT in features else ''}"


stats = collections.defaultdict(lambda: [0, 0.0, 0])
tokens = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    path, enc, piece, price, features, exact = line.rstrip("\n").split("\t")
    if enc != sys.argv[2]:
        continue
    feats = [int(f.split(":")[0]) for f in features.split(",") if f]
    s = stats[(path.split("/")[0], category(piece, feats))]
    s[0] += 1
    s[1] += float(price)
    s[2] += int(exact)
    tokens[path.split("/")[0]] += int(exact)
for (name, cat), (n, price, exact) in sorted(stats.items()):
    print(f"{name}\t{cat}\t{n}\t{(price - exact) / n:+.3f}\t{100 * (price - exact) / tokens[name]:+.2f}%")
