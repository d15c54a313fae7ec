//! Autolinks (`<https://…>`) and inline HTML (tags, comments, processing instructions,
//! declarations, CDATA), recognised at a `<`. Searches that fail are remembered, so a note
//! full of unclosed `<!--` stays linear.

use super::scan::{at, tail};

/// An autolink `<scheme:…>` or `<user@host>` at `i`: its end.
pub(super) fn autolink(b: &[u8], i: usize) -> Option<usize> {
    let s = tail(b, i + 1);
    let scheme = s.iter().take(33).take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')).count();
    let uri = (2..=32).contains(&scheme) && at(s, 0).is_ascii_alphabetic() && at(s, scheme) == b':';
    let email = !uri && s.iter().take_while(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(c)).count() > 0;
    let mut k = if uri { scheme + 1 } else { 0 };
    let mut at_sign = false;
    while let Some(&c) = s.get(k) {
        match c {
            b'>' => return (uri || (email && at_sign && at(s, k - 1) != b'@')).then_some(i + k + 2),
            b'@' if email => at_sign = true,
            c if c <= 0x20 || c == b'<' => return None,
            c if email && !(c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c)) => return None,
            _ => {}
        }
        k += 1;
    }
    None
}

/// Searches that found nothing, so that they are not repeated (linear time).
#[derive(Default)]
pub(super) struct HtmlMemo {
    failed: [bool; 4],
}

impl HtmlMemo {
    /// Inline HTML at `i` (a tag, comment, processing instruction, declaration or CDATA).
    pub(super) fn inline_html(&mut self, b: &[u8], i: usize) -> Option<usize> {
        let s = tail(b, i);
        for (k, (open, close)) in
            [(&b"<!--"[..], &b"-->"[..]), (b"<?", b"?>"), (b"<![CDATA[", b"]]>"), (b"<!", b">")].into_iter().enumerate()
        {
            if s.starts_with(open) && (k != 3 || at(s, 2).is_ascii_alphabetic()) {
                if self.failed[k] {
                    return None;
                }
                let from = if k == 0 && (tail(s, 4).starts_with(b">") || tail(s, 4).starts_with(b"->")) { 2 } else { open.len() };
                return match tail(s, from).windows(close.len()).position(|w| w == close) {
                    Some(p) => Some(i + from + p + close.len()),
                    None => {
                        self.failed[k] = true;
                        None
                    }
                };
            }
        }
        tag(s).map(|n| i + n)
    }
}

/// An open or closing tag at the start of `s`: its length.
pub(super) fn tag(s: &[u8]) -> Option<usize> {
    let closing = at(s, 1) == b'/';
    let mut k = 1 + usize::from(closing);
    if !at(s, k).is_ascii_alphabetic() {
        return None;
    }
    k += tail(s, k).iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'-').count();
    if closing {
        k += tail(s, k).iter().take_while(|c| c.is_ascii_whitespace()).count();
        return (at(s, k) == b'>').then_some(k + 1);
    }
    loop {
        let ws = tail(s, k).iter().take_while(|c| c.is_ascii_whitespace()).count();
        k += ws;
        match at(s, k) {
            b'>' => return Some(k + 1),
            b'/' if at(s, k + 1) == b'>' => return Some(k + 2),
            c if ws > 0 && (c.is_ascii_alphabetic() || c == b'_' || c == b':') => {
                k += tail(s, k).iter().take_while(|c| c.is_ascii_alphanumeric() || b"_.:-".contains(c)).count();
                let save = k;
                k += tail(s, k).iter().take_while(|c| c.is_ascii_whitespace()).count();
                if at(s, k) != b'=' {
                    k = save;
                    continue;
                }
                k += 1;
                k += tail(s, k).iter().take_while(|c| c.is_ascii_whitespace()).count();
                match at(s, k) {
                    q @ (b'"' | b'\'') => k += 2 + s.get(k + 1..)?.iter().position(|&c| c == q)?,
                    _ => {
                        let n = tail(s, k).iter().take_while(|c| !c.is_ascii_whitespace() && !b"\"'=<>`".contains(c)).count();
                        if n == 0 {
                            return None;
                        }
                        k += n;
                    }
                }
            }
            _ => return None,
        }
    }
}
