//! JS values ⇄ Rust types (through JSON text and the crate's JSON layer), with coded errors for anything malformed.

use crate::js_error::{bad_input, coded_error};
use crate::json::{FromJson, JsonError, ToJson, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    // `Array.isArray` and `Object.assign` throw on a revoked Proxy or a throwing trap:
    // bound with `catch`, so the exception becomes a value instead of unwinding through
    // the Wasm frames (which would leave an async function's promise pending forever).
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array_or_throw(v: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = assign)]
    fn assign_or_throw(target: &JsValue, source: &JsValue) -> Result<JsValue, JsValue>;
}

/// `Array.isArray(v)`; false when it throws (a revoked Proxy).
pub fn is_array(v: &JsValue) -> bool {
    is_array_or_throw(v).unwrap_or(false)
}

/// A new plain object with `v`'s own enumerable properties (`Object.assign({}, v)`), or
/// what reading them threw.
pub fn own_properties(v: &JsValue) -> Result<JsValue, JsValue> {
    assign_or_throw(&js_sys::Object::new(), v)
}

/// Describes a JS value's type for error messages (`null`, `number`, `array`, …).
pub fn type_name(v: &JsValue) -> &'static str {
    if v.is_null() {
        "null"
    } else if v.is_undefined() {
        "undefined"
    } else if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if v.is_bigint() {
        "a bigint"
    } else if v.is_symbol() {
        "a symbol"
    } else if v.is_function() {
        "a function"
    } else if is_array(v) {
        "an array"
    } else {
        "an object"
    }
}

/// A JS string argument, or a `BAD_INPUT` error naming the argument.
pub fn string_arg(v: &JsValue, name: &str) -> Result<String, JsValue> {
    v.as_string().ok_or_else(|| bad_input(&[name, " must be a string, got ", type_name(v)].concat()))
}

/// Deserialises a plain JS object argument into `T`; errors carry `code`.
///
/// The object goes through `JSON.stringify` and [`crate::json`], like every JSON text the
/// package reads, so each type has one reader in the .wasm and every own key is seen:
/// misspelt and `__proto__` keys are refused. What JSON cannot carry is refused too:
/// NaN and ±Infinity become `null`, a BigInt or a throwing getter makes `JSON.stringify`
/// throw, and a lone UTF-16 surrogate is escaped and then rejected by the parser.
///
/// Only the last step is generic (`T::from_json`); the checks, the text and its parse are
/// [`object_value`], shared by every argument type.
pub fn object_arg<T: FromJson>(v: JsValue, name: &str, code: crate::error::ErrorCode) -> Result<T, JsValue> {
    let value = object_value(v, name, code)?;
    T::from_json(value).map_err(|e| arg_error(code, name, &e))
}

/// A plain JS object argument as a parsed [`Value`] tree (see [`object_arg`]).
#[inline(never)]
pub fn object_value(v: JsValue, name: &str, code: crate::error::ErrorCode) -> Result<Value, JsValue> {
    let is_plain_object = v.is_object() && !is_array(&v) && !v.is_function();
    if !is_plain_object {
        return Err(coded_error(code, &[name, " must be an object, got ", type_name(&v)].concat()));
    }
    let text = js_sys::JSON::stringify(&v)
        .map_err(|e| coded_error(code, &[name, " cannot be read as JSON: ", &crate::js_host::describe(&e)].concat()))?;
    let text = text.as_string().ok_or_else(|| coded_error(code, &[name, " cannot be read as JSON"].concat()))?;
    crate::json::parse(&text).map_err(|e| arg_error(code, name, &e))
}

/// `{name}: {error}` with `code`: an argument the JSON layer refused.
#[inline(never)]
fn arg_error(code: crate::error::ErrorCode, name: &str, e: &JsonError) -> JsValue {
    coded_error(code, &[name, ": ", &e.to_string()].concat())
}

/// Serialises a result for JS: plain objects, `null` for absent values, counts as numbers,
/// money as decimal strings. Safe to `JSON.stringify` and feed back.
///
/// It goes through JSON text and `JSON.parse` rather than building JS objects field by
/// field: the result is the same JSON-only shape by construction, and every type has one
/// writer in the .wasm.
pub fn to_js<T: ToJson + ?Sized, R: JsCast>(value: &T) -> Result<R, JsValue> {
    parse_js(&crate::json::to_string(value)).map(JsCast::unchecked_into)
}

/// `JSON.parse(text)`: a JSON text the crate wrote, as a JS value.
#[inline(never)]
pub fn parse_js(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}
