//! JS values ⇄ serde types, with coded errors for anything malformed.

use super::error::{bad_input, coded_error};
use serde::de::DeserializeOwned;
use serde::Serialize;
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
    v.as_string().ok_or_else(|| bad_input(&format!("{name} must be a string, got {}", type_name(v))))
}

/// Deserialises a plain JS object argument into `T`; errors carry `code`.
///
/// The object goes through `JSON.stringify` and serde_json, like every JSON text the
/// package reads, so each type has one deserializer in the .wasm (serde_wasm_bindgen's,
/// through a `serde_json::Value`, measured 45 KB raw more) and every own key is seen:
/// misspelt and `__proto__` keys are refused. What JSON cannot carry is refused too:
/// NaN and ±Infinity become `null`, a BigInt or a throwing getter makes `JSON.stringify`
/// throw, and a lone UTF-16 surrogate is escaped and then rejected by serde_json.
pub fn object_arg<T: DeserializeOwned>(v: JsValue, name: &str, code: &str) -> Result<T, JsValue> {
    let is_plain_object = v.is_object() && !is_array(&v) && !v.is_function();
    if !is_plain_object {
        return Err(coded_error(code, &format!("{name} must be an object, got {}", type_name(&v))));
    }
    let text = js_sys::JSON::stringify(&v)
        .map_err(|e| coded_error(code, &format!("{name} cannot be read as JSON: {}", super::host::describe(&e))))?;
    let text = text.as_string().ok_or_else(|| coded_error(code, &format!("{name} cannot be read as JSON")))?;
    serde_json::from_str(&text).map_err(|e| coded_error(code, &format!("{name}: {}", without_position(&e))))
}

/// serde_json's message without " at line 1 column 4711", which means nothing to a JS caller.
fn without_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// Serialises a result for JS: plain objects, `null` for absent values, counts as numbers,
/// money as decimal strings. Safe to `JSON.stringify` and feed back.
///
/// It goes through JSON text and `JSON.parse` rather than
/// `serde_wasm_bindgen::Serializer::json_compatible()`: the result is the same JSON-only
/// shape by construction, and the .wasm is 34 KB raw / 13.5 KB gzip smaller because every
/// type then has one serializer (serde_json's) instead of two.
pub fn to_js<T: Serialize, R: JsCast>(value: &T) -> Result<R, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| coded_error(crate::error::BAD_INPUT, &format!("could not convert the result: {e}")))?;
    js_sys::JSON::parse(&text).map(JsCast::unchecked_into)
}
