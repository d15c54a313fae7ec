//! Recognisers of CommonMark block starts on one line, as pulldown-cmark (GFM, tables,
//! definition lists, footnotes) reads them. Each takes the line's bytes from its first
//! non-blank character to its end (no line break) and never indexes out of bounds.

/// The byte at `i`, or 0 past the end.
pub(super) fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// `&s[i..]`, or nothing past the end. The scanner's positions stay within the text;
/// slicing through `get` spares the .wasm a panic location and its call per slice.
pub(super) fn tail(s: &[u8], i: usize) -> &[u8] {
    s.get(i..).unwrap_or_default()
}

/// `&s[a..b]`, or nothing when out of range (see [`tail`]).
pub(super) fn part(s: &[u8], a: usize, b: usize) -> &[u8] {
    s.get(a..b).unwrap_or_default()
}

/// Whether `s` is only spaces and tabs.
pub(super) fn is_blank(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

/// ASCII punctuation: what a backslash escapes.
pub(super) fn is_punct(b: u8) -> bool {
    b.is_ascii_punctuation()
}

fn count(s: &[u8], b: u8) -> usize {
    s.iter().take_while(|&&c| c == b).count()
}

/// An ATX heading: its content range in `s`, closing `#`s left out.
pub(super) fn atx(s: &[u8]) -> Option<(usize, usize)> {
    let n = count(s, b'#');
    if !(1..=6).contains(&n) || !matches!(at(s, n), b' ' | b'\t' | b'\r' | 0) {
        return None;
    }
    let mut end = s.len();
    while end > n && matches!(at(s, end - 1), b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    let hashes = part(s, n, end).iter().rev().take_while(|&&b| b == b'#').count();
    if hashes > 0 && (end - hashes == n || matches!(at(s, end - hashes - 1), b' ' | b'\t')) {
        end -= hashes;
    }
    let start = n + part(s, n, end).iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    Some((start, end.max(start)))
}

/// A code fence opening: its character, length, and whether its info string is `math`.
pub(super) fn fence_open(s: &[u8]) -> Option<(u8, usize, bool)> {
    let ch = at(s, 0);
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let n = count(s, ch);
    if n < 3 {
        return None;
    }
    let info = tail(s, n);
    if ch == b'`' && info.contains(&b'`') {
        return None;
    }
    let info = info.trim_ascii();
    Some((ch, n, info == b"math"))
}

/// Whether `s` closes a fence of `ch` at least `len` long.
pub(super) fn fence_close(s: &[u8], ch: u8, len: usize) -> bool {
    let n = count(s, ch);
    n >= len && is_blank(tail(s, n))
}

/// A thematic break: three or more `-`, `*` or `_`, spaces between allowed.
pub(super) fn thematic(s: &[u8]) -> bool {
    let ch = at(s, 0);
    if !matches!(ch, b'-' | b'*' | b'_') {
        return false;
    }
    let mut n = 0;
    for &b in s {
        match b {
            b if b == ch => n += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => return false,
        }
    }
    n >= 3
}

/// A setext underline (`===` or `---`, trailing blanks only).
pub(super) fn setext(s: &[u8]) -> bool {
    let ch = at(s, 0);
    (ch == b'=' || ch == b'-') && is_blank(tail(s, count(s, ch)))
}

/// A list marker: (marker length, can interrupt a paragraph: a bullet or `1.`).
pub(super) fn list_marker(s: &[u8]) -> Option<(usize, bool)> {
    let (len, first) = match at(s, 0) {
        b'-' | b'*' | b'+' => (1, true),
        b'0'..=b'9' => {
            let digits = s.iter().take(10).take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(at(s, digits), b'.' | b')') {
                return None;
            }
            let number = part(s, 0, digits);
            let one = number.iter().position(|&b| b != b'0').is_some_and(|p| tail(number, p) == b"1");
            (digits + 1, one)
        }
        _ => return None,
    };
    matches!(at(s, len), b' ' | b'\t' | b'\r' | 0).then_some((len, first))
}

/// Kinds of HTML block, by how they end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Html {
    /// Ends on the line holding this text (types 1 to 5).
    Until(&'static [u8]),
    /// Ends at a blank line (types 6 and 7).
    Blank,
}

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// An HTML block start; `in_paragraph` excludes type 7, which cannot interrupt one.
pub(super) fn html_start(s: &[u8], in_paragraph: bool) -> Option<Html> {
    if at(s, 0) != b'<' {
        return None;
    }
    let t = tail(s, 1);
    let name_len = t.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let ends_name = |i: usize| matches!(at(t, i), b' ' | b'\t' | b'\r' | b'>' | 0);
    for (tag, end) in [(&b"pre"[..], &b"</pre>"[..]), (b"script", b"</script>"), (b"style", b"</style>"), (b"textarea", b"</textarea>")] {
        if name_len == tag.len() && part(t, 0, name_len).eq_ignore_ascii_case(tag) && ends_name(name_len) {
            return Some(Html::Until(end));
        }
    }
    if t.starts_with(b"!--") {
        return Some(Html::Until(b"-->"));
    }
    if t.starts_with(b"?") {
        return Some(Html::Until(b"?>"));
    }
    if t.starts_with(b"![CDATA[") {
        return Some(Html::Until(b"]]>"));
    }
    if at(t, 0) == b'!' && at(t, 1).is_ascii_alphabetic() {
        return Some(Html::Until(b">"));
    }
    let close = usize::from(at(t, 0) == b'/');
    let n = tail(t, close).iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let name = part(t, close, close + n);
    let after = close + n;
    if n > 0
        && BLOCK_TAGS.iter().any(|tag| tag.as_bytes().eq_ignore_ascii_case(name))
        && (matches!(at(t, after), b' ' | b'\t' | b'\r' | b'>' | 0) || tail(t, after).starts_with(b"/>"))
    {
        return Some(Html::Blank);
    }
    if !in_paragraph && super::html::tag(s).is_some_and(|n| is_blank(tail(s, n))) {
        return Some(Html::Blank);
    }
    None
}

/// Unescaped `|` in `s`, and the index of the last one.
pub(super) fn pipes(s: &[u8]) -> (usize, usize) {
    let (mut n, mut last, mut i) = (0, 0, 0);
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'|' => {
                n += 1;
                last = i;
            }
            _ => {}
        }
        i += 1;
    }
    (n, last)
}

/// Columns of a table header row (pulldown's count: pipes, less a leading one, plus one
/// unless the last pipe ends the line); 0 if it has no pipe.
pub(super) fn header_cols(s: &[u8]) -> usize {
    let (n, last) = pipes(s);
    if n == 0 {
        return 0;
    }
    let n = n - usize::from(at(s, 0) == b'|');
    n + usize::from(!is_blank(s.get(last + 1..).unwrap_or(&[])))
}

/// Columns of a table delimiter row (`|---|:--:|`), or None.
pub(super) fn delimiter_cols(s: &[u8]) -> Option<usize> {
    let mut i = usize::from(at(s, 0) == b'|');
    let (mut cols, mut pipe, mut hyphen, mut in_col, mut start) = (0, i == 1, false, false, true);
    while i < s.len() {
        match s[i] {
            b' ' | b'\t' | b'\r' => {}
            b':' => start = false,
            b'-' => (start, hyphen, in_col) = (false, true, true),
            b'|' => {
                if !in_col {
                    return None;
                }
                (start, pipe, in_col) = (true, true, false);
                cols += 1;
            }
            _ => return None,
        }
        i += 1;
    }
    cols += usize::from(!start);
    (pipe && hyphen).then_some(cols)
}

/// A link reference definition line `[label]: destination "title"`, all on one line.
pub(super) fn refdef(s: &[u8]) -> bool {
    if at(s, 0) != b'[' || at(s, 1) == b'^' {
        return false;
    }
    let Some(close) = label_end(s) else { return false };
    if at(s, close + 1) != b':' || part(s, 1, close).trim_ascii().is_empty() {
        return false;
    }
    let mut i = close + 2;
    i += tail(s, i).iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let dest_start = i;
    if at(s, i) == b'<' {
        i += 1;
        loop {
            match s.get(i) {
                None | Some(b'<' | b'\n' | b'\r') => return false,
                Some(b'>') => break,
                Some(b'\\') if is_punct(at(s, i + 1)) => i += 1,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    } else {
        let mut nest = 0usize;
        while i < s.len() && s[i] > 0x20 && !(s[i] == b')' && nest == 0) {
            match s[i] {
                b'(' if nest > 32 => return false,
                b'(' => nest += 1,
                b')' => nest -= 1,
                b'\\' if is_punct(at(s, i + 1)) => i += 1,
                _ => {}
            }
            i += 1;
        }
        if nest != 0 || i == dest_start {
            return false;
        }
    }
    let rest = s.get(i..).unwrap_or(&[]);
    let ws = rest.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let title = tail(rest, ws);
    if is_blank(title) {
        return true;
    }
    let (open, close) = match at(title, 0) {
        b'"' => (b'"', b'"'),
        b'\'' => (b'\'', b'\''),
        b'(' => (b'(', b')'),
        _ => return false,
    };
    if ws == 0 {
        return false;
    }
    let mut k = 1;
    while k < title.len() {
        match title[k] {
            c if c == close => return is_blank(tail(title, k + 1)),
            c if c == open => return false,
            b'\\' => k += 1,
            _ => {}
        }
        k += 1;
    }
    false
}

/// A footnote definition `[^label]:`; the length of that marker.
pub(super) fn footnote_def(s: &[u8]) -> Option<usize> {
    if !s.starts_with(b"[^") {
        return None;
    }
    let close = label_end(s)?;
    (close > 2 && at(s, close + 1) == b':').then_some(close + 2)
}

/// The `]` closing a link label that starts at `[`, escapes honoured, no nested `[`.
pub(super) fn label_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len().min(1000) {
        match s[i] {
            b'\\' => i += 1,
            b'[' => return None,
            b']' => return (i > 1).then_some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A GFM alert tag alone on a block quote's first line (`[!NOTE]`, `[!TIP]`, …).
pub(super) fn gfm_tag(r: &[u8]) -> bool {
    let Some(r) = r.strip_prefix(b"[!") else { return false };
    ["note", "tip", "important", "warning", "caution"].iter().any(|tag| {
        r.len() > tag.len()
            && part(r, 0, tag.len()).eq_ignore_ascii_case(tag.as_bytes())
            && at(r, tag.len()) == b']'
            && is_blank(tail(r, tag.len() + 1))
    })
}
