//! The strict JSON parser (RFC 8259): one value, no trailing text, no duplicate keys,
//! no lone UTF-16 surrogates, nesting at most [`MAX_DEPTH`] deep.

use super::{JsonError, Value};

/// How deep arrays and objects may nest.
pub const MAX_DEPTH: usize = 128;

/// Parses a complete JSON text.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser { text, s: text.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    /// The input, for slicing out strings without re-validating them.
    text: &'a str,
    /// The same input as bytes.
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> JsonError {
        let mut m = String::from(what);
        m.push_str(" (at byte ");
        super::write::push_u64(&mut m, self.i as u64);
        m.push(')');
        JsonError::new(m)
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips the plain characters of a string (up to a quote, a backslash, a control
    /// character or the end) and returns how many bytes it skipped.
    #[inline(always)]
    fn run(&mut self) -> usize {
        let rest = self.s.get(self.i..).unwrap_or_default();
        let n = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(rest.len());
        self.i += n;
        n
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, JsonError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of JSON")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, JsonError>) -> Result<Value, JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.depth += 1;
        self.i += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.err("expected `,` or `]`"));
            }
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            // A few members are checked as they come; past that, once at the end.
            if members.len() < FEW_MEMBERS && members.iter().any(|(k, _)| *k == key) {
                return Err(duplicate(&key));
            }
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("expected `:`"));
            }
            self.ws();
            let v = self.value().map_err(|e| e.at_key(&key))?;
            members.push((key, v));
            self.ws();
            if self.eat(b'}') {
                if let Some(key) = repeated_key(&members) {
                    return Err(duplicate(key));
                }
                return Ok(Value::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.err("expected `,` or `}`"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        self.eat(b'-');
        if self.eat(b'0') {
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(self.err("invalid number"));
            }
        } else if self.digits() == 0 {
            return Err(self.err("invalid number"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.err("invalid number"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        // Only ASCII was consumed, so both ends are char boundaries and `get` always
        // succeeds (a lossy conversion would bring UTF-8 repair code into the .wasm).
        Ok(Value::Number(self.text.get(start..self.i).unwrap_or_default().to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
                     // Most strings have no escape: one scan, then a copy of the slice. The scan stops
                     // only at ASCII bytes, so both ends are char boundaries of the (valid) input.
        let run = self.run();
        if self.peek() == Some(b'"') {
            let start = self.i - run;
            self.i += 1;
            return self.text.get(start..self.i - 1).map(str::to_owned).ok_or_else(|| self.err("invalid UTF-8"));
        }
        let mut out = self.s.get(self.i - run..self.i).unwrap_or_default().to_vec();
        loop {
            let run = self.run();
            out.extend_from_slice(self.s.get(self.i - run..self.i).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    // The input is a &str and escapes add whole characters.
                    return String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| self.err("unexpected end of string"))?;
                    self.i += 1;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unexpected end of string")),
            }
        }
    }

    /// After `\u`: one code point, a surrogate pair counting as one; a lone surrogate is
    /// refused (like serde_json does).
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.err("lone leading surrogate in hex escape"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("lone leading surrogate in hex escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("lone trailing surrogate in hex escape"))
    }
}

/// Objects with fewer members are checked for a repeated key member by member (a short scan
/// each); larger ones once, by sorting their keys ([`repeated_key`]). Scanning every
/// earlier key for each new one is quadratic: a 4 MiB body of 349,000 keys kept a server
/// core busy for five minutes, and a stored account with 10,000 remembered reserves cost
/// half a second per read.
const FEW_MEMBERS: usize = 16;

/// A key that two members of an object with at least [`FEW_MEMBERS`] members share, if any
/// (smaller objects were checked as they were read).
fn repeated_key(members: &[(String, Value)]) -> Option<&str> {
    if members.len() <= FEW_MEMBERS {
        return None;
    }
    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    crate::sort::sort_by(&mut keys, |a, b| a.cmp(b));
    keys.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

fn duplicate(key: &str) -> JsonError {
    JsonError::new(["duplicate key `", key, "`"].concat())
}
