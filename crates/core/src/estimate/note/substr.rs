//! Substring search for the short fixed patterns the note scanner looks for (`]:`, `::`,
//! `==`, ` — `…): a plain byte loop. (`str::contains` with a `&str` pattern brings the
//! general Two-Way searcher, ~3 KB of .wasm, for patterns of two to four bytes.)

/// Where `pat` (not empty) first occurs in `hay`. A match of a whole UTF-8 pattern in UTF-8
/// text always starts and ends on character boundaries.
pub(super) fn find(hay: &str, pat: &str) -> Option<usize> {
    let (hay, pat) = (hay.as_bytes(), pat.as_bytes());
    let (&first, rest) = pat.split_first()?;
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if hay.get(at + 1..at + pat.len()) == Some(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Whether `pat` occurs in `hay`.
pub(super) fn contains(hay: &str, pat: &str) -> bool {
    find(hay, pat).is_some()
}

/// How many times `pat` occurs in `hay` without overlapping, leftmost first (as
/// `str::matches(pat).count()`).
pub(super) fn count(hay: &str, pat: &str) -> usize {
    let mut n = 0;
    let mut rest = hay;
    while let Some(i) = find(rest, pat) {
        n += 1;
        rest = rest.get(i + pat.len()..).unwrap_or("");
    }
    n
}

/// `hay` split around the first `pat` (as `str::split_once(pat)`).
pub(super) fn split_once<'a>(hay: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let i = find(hay, pat)?;
    Some((hay.get(..i)?, hay.get(i + pat.len()..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agree_with_str() {
        let hays = [
            "",
            "a",
            "::",
            "a::b::c",
            "===",
            "====",
            "x == y == z",
            "a]:b",
            "]]:",
            "{{c1::x}} {{c2::y}}",
            "Term — def — more",
            "é — ü",
            "http://x",
            "hhttp",
        ];
        let pats = ["::", "==", "]:", "{{c", " — ", ": ", "http"];
        for h in hays {
            for p in pats {
                assert_eq!(find(h, p), h.find(p), "{h:?} {p:?}");
                assert_eq!(contains(h, p), h.contains(p), "{h:?} {p:?}");
                assert_eq!(count(h, p), h.matches(p).count(), "{h:?} {p:?}");
                assert_eq!(split_once(h, p), h.split_once(p), "{h:?} {p:?}");
            }
        }
    }
}
