//! The compact JSON writer; byte for byte what serde_json writes for the same data.

/// Appends `s` as a JSON string literal, escaped exactly like serde_json does.
pub fn push_str_literal(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `get`, not `&s[start..i]`: both ends are at ASCII bytes, so it never returns None,
        // and the .wasm keeps no str-slicing panic (whose message needs core's `{:?}` of char).
        out.push_str(s.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Appends an unsigned integer in decimal (no `core::fmt`).
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

/// Appends a signed integer in decimal.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Writes the members of one JSON object: `{` on creation, `}` on [`ObjectWriter::end`].
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Opens an object.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    /// Writes one member; `name` must not need escaping (it is a field name).
    pub fn field<T: super::ToJson + ?Sized>(&mut self, name: &str, value: &T) {
        self.key(name);
        value.write_json(self.out);
    }

    /// Writes one member whose key may need escaping (map keys).
    pub fn entry<T: super::ToJson + ?Sized>(&mut self, key: &str, value: &T) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str_literal(self.out, key);
        self.out.push(':');
        value.write_json(self.out);
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

/// JSON text the crate wrote, written as is (an object built with `json_text!` inside
/// another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub String);

impl super::ToJson for RawJson {
    fn write_json(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}
