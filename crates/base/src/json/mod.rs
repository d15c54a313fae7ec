//! A lean JSON layer (instead of serde + serde_json, which made up a third of the
//! client .wasm): a [`Value`] tree, a strict [`parse`]r, a compact writer that writes
//! exactly what serde_json wrote for the same data, and the [`ToJson`]/[`FromJson`]
//! traits with `macro_rules!` helpers for plain structs and enums.
//!
//! Money never passes through `f64`: amounts are decimal strings, numbers keep their text.

#[macro_use]
mod macros;
mod convert;
mod error;
mod fields;
mod parse;
mod value;
mod write;

pub use convert::{
    field, field_or_default, missing_field, parse_u64, slots, take_member, take_object, take_tag, unknown_field, unknown_variant, FromJson,
    ToJson, ToJsonFields,
};
pub use error::JsonError;
pub use fields::Fields;
pub use parse::{parse, MAX_DEPTH};
pub use value::Value;
pub use write::{push_i64, push_str_literal, push_u64, ObjectWriter, RawJson};

/// Parses a JSON text into a `T`.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::from_json(parse(text)?)
}

/// Parses JSON bytes (UTF-8) into a `T`.
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|_| JsonError::new("invalid UTF-8"))?;
    from_str(text)
}

/// Converts a parsed value into a `T`.
pub fn from_value<T: FromJson>(v: Value) -> Result<T, JsonError> {
    T::from_json(v)
}

/// Writes `value` as compact JSON.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// Converts `value` into a [`Value`] tree (by writing and parsing it).
pub fn to_value<T: ToJson + ?Sized>(value: &T) -> Value {
    parse(&to_string(value)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
