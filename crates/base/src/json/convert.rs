//! The traits that turn Rust values into JSON and back, and their impls for the
//! standard types (integers, strings, options, sequences, maps, `Decimal`).

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;

use super::write::{push_i64, push_str_literal, push_u64, ObjectWriter};
use super::{JsonError, Value};

/// Writes a value as compact JSON.
pub trait ToJson {
    /// Appends this value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// A value written as the members of a JSON object (structs, tagged enums); lets one
/// object's members be written inline into another (what serde called `flatten`).
pub trait ToJsonFields {
    /// Writes this value's members.
    fn write_fields(&self, w: &mut ObjectWriter<'_>);
}

/// Reads a value from a parsed JSON value.
pub trait FromJson: Sized {
    /// Converts `v`, or says why not.
    fn from_json(v: Value) -> Result<Self, JsonError>;

    /// The value of an absent object member (`None` for `Option`, else absent = error).
    fn missing() -> Option<Self> {
        None
    }
}

/// `missing field `name``.
pub fn missing_field(name: &str) -> JsonError {
    JsonError::new(["missing field `", name, "`"].concat())
}

/// `unknown field `name``.
pub fn unknown_field(name: &str) -> JsonError {
    JsonError::new(["unknown field `", name, "`"].concat())
}

/// `unknown variant `name``.
pub fn unknown_variant(name: &str) -> JsonError {
    JsonError::new(["unknown variant `", name, "`"].concat())
}

/// The members of an object, or an `invalid type` error naming `what` was expected.
pub fn take_object(v: Value, what: &str) -> Result<Vec<(String, Value)>, JsonError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(JsonError::invalid_type(what)),
    }
}

/// Removes the member `key` from `members` and returns its value.
pub fn take_member(members: &mut Vec<(String, Value)>, key: &str) -> Option<Value> {
    let i = members.iter().position(|(k, _)| k == key)?;
    Some(members.remove(i).1)
}

/// The tag of an internally tagged object (the string member `tag`, taken out) and the
/// other members; errors for a value that is no object and a missing or non-string tag.
#[inline(never)]
pub fn take_tag(v: Value, tag: &str) -> Result<(String, Vec<(String, Value)>), JsonError> {
    let mut members = take_object(v, "an object")?;
    match take_member(&mut members, tag) {
        Some(Value::String(s)) => Ok((s, members)),
        Some(_) => Err(JsonError::invalid_type("a string").at_key(tag)),
        None => Err(missing_field(tag)),
    }
}

/// Sorts an object's members into one slot per name in `names` (absent: `None`);
/// with `deny`, a member not in `names` is an error. Shared by every struct's reader.
pub fn slots(members: Vec<(String, Value)>, names: &[&str], deny: bool) -> Result<Vec<Option<Value>>, JsonError> {
    let mut slots: Vec<Option<Value>> = names.iter().map(|_| None).collect();
    for (k, v) in members {
        match names.iter().position(|n| *n == k) {
            Some(i) => slots[i] = Some(v),
            None if deny => return Err(unknown_field(&k)),
            None => {}
        }
    }
    Ok(slots)
}

/// Reads a field from its slot: absent is `T::missing()` (`None` for an `Option`) or
/// a `missing field` error; errors carry the field's name in their path.
pub fn field<T: FromJson>(slot: Option<Value>, name: &str) -> Result<T, JsonError> {
    match slot {
        Some(v) => T::from_json(v).map_err(|e| e.at_key(name)),
        None => T::missing().ok_or_else(|| missing_field(name)),
    }
}

/// Reads a field from its slot; absent is `T::default()`.
pub fn field_or_default<T: FromJson + Default>(slot: Option<Value>, name: &str) -> Result<T, JsonError> {
    match slot {
        Some(v) => T::from_json(v).map_err(|e| e.at_key(name)),
        None => Ok(T::default()),
    }
}

/// The text of an integer number (no fraction, no exponent), or an error.
fn integer_text(v: Value, what: &str) -> Result<String, JsonError> {
    match v {
        // Bytes, not a `char` pattern: that search decodes UTF-8 one code point at a time.
        Value::Number(t) if !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) => Ok(t),
        Value::Number(t) => Err(JsonError::new(["invalid type: floating point `", &t, "`, expected ", what].concat())),
        _ => Err(JsonError::invalid_type(what)),
    }
}

/// Parses the digits of a non-negative integer; `None` on overflow.
pub fn parse_u64(digits: &str) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

fn out_of_range(t: &str, what: &str) -> JsonError {
    JsonError::new(["invalid value: integer `", t, "`, expected ", what].concat())
}

fn read_u64(v: Value, what: &str) -> Result<u64, JsonError> {
    let t = integer_text(v, what)?;
    parse_u64(&t).ok_or_else(|| out_of_range(&t, what))
}

fn read_i64(v: Value, what: &str) -> Result<i64, JsonError> {
    let t = integer_text(v, what)?;
    let r = match t.strip_prefix('-') {
        Some(d) => parse_u64(d).and_then(|n| if n <= 1 << 63 { Some((n as i64).wrapping_neg()) } else { None }),
        None => parse_u64(&t).and_then(|n| i64::try_from(n).ok()),
    };
    r.ok_or_else(|| out_of_range(&t, what))
}

/// `ToJson`/`FromJson` for integer types, through the widest integer of their sign:
/// written with `$push`, read with `$read`, then narrowed (out of range is an error).
macro_rules! integers {
    ($push:ident, $read:ident, $wide:ty: $($t:ty, $what:literal);*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                $push(out, *self as $wide);
            }
        }
        impl FromJson for $t {
            fn from_json(v: Value) -> Result<Self, JsonError> {
                let n = $read(v, $what)?;
                <$t>::try_from(n).map_err(|_| { let mut s = String::new(); $push(&mut s, n); out_of_range(&s, $what) })
            }
        }
    )*};
}
integers!(push_u64, read_u64, u64: u8, "u8"; u16, "u16"; u32, "u32"; u64, "u64"; usize, "usize");
integers!(push_i64, read_i64, i64: i32, "i32"; i64, "i64");

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl FromJson for bool {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        match v {
            Value::Bool(b) => Ok(b),
            _ => Err(JsonError::invalid_type("a boolean")),
        }
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        push_str_literal(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        push_str_literal(out, self);
    }
}

impl FromJson for String {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        match v {
            Value::String(s) => Ok(s),
            _ => Err(JsonError::invalid_type("a string")),
        }
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        match v {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }

    fn missing() -> Option<Self> {
        Some(None)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        let items = take_array(v)?;
        let mut out = Vec::with_capacity(items.len());
        each_item(items, &mut |v| {
            out.push(T::from_json(v)?);
            Ok(())
        })?;
        Ok(out)
    }
}

/// The elements of an array, or an `invalid type` error.
#[inline(never)]
fn take_array(v: Value) -> Result<Vec<Value>, JsonError> {
    match v {
        Value::Array(items) => Ok(items),
        _ => Err(JsonError::invalid_type("an array")),
    }
}

/// Hands each element to `item` in order; an element's error gets its index in the
/// path. The loop shared by every `Vec<T>` reader, so each `T` adds only a small closure.
#[inline(never)]
fn each_item(items: Vec<Value>, item: &mut dyn FnMut(Value) -> Result<(), JsonError>) -> Result<(), JsonError> {
    for (i, v) in items.into_iter().enumerate() {
        item(v).map_err(|e| e.at_index(i))?;
    }
    Ok(())
}

impl<T: ToJson> ToJson for VecDeque<T> {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write_json(out);
        }
        out.push(']');
    }
}

impl<T: FromJson> FromJson for VecDeque<T> {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        Vec::from_json(v).map(VecDeque::from)
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn write_json(&self, out: &mut String) {
        let mut w = ObjectWriter::new(out);
        for (k, v) in self {
            w.entry(k, v);
        }
        w.end();
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        take_object(v, "an object")?
            .into_iter()
            .map(|(k, v)| match T::from_json(v) {
                Ok(v) => Ok((k, v)),
                Err(e) => Err(e.at_key(&k)),
            })
            .collect()
    }
}

/// A `Decimal` is a JSON string (`"1.25"`), never a number.
impl ToJson for Decimal {
    fn write_json(&self, out: &mut String) {
        push_str_literal(out, &self.to_string());
    }
}

impl FromJson for Decimal {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        match v {
            Value::String(s) => {
                crate::decimal_text::parse_exact(&s).ok_or_else(|| JsonError::new(["invalid value: `", &s, "` is not a decimal"].concat()))
            }
            _ => Err(JsonError::invalid_type("a decimal string")),
        }
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => push_str_literal(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(members) => {
                let mut w = ObjectWriter::new(out);
                for (k, v) in members {
                    w.entry(k, v);
                }
                w.end();
            }
        }
    }
}

impl FromJson for Value {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        Ok(v)
    }
}
