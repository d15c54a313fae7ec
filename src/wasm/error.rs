//! Errors thrown to JavaScript: real `Error` objects with a stable `code` property.

use crate::error::{Coded, BAD_INPUT};
use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

/// The `name` every error of this package carries.
pub const ERROR_NAME: &str = "CreditMeterError";

/// The longest message a thrown error carries, in characters: messages may quote the
/// caller's value (a parser quoting an unknown variant, for one), which may be a 10 MB string.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters, with `…` when cut.
pub fn bounded(message: &str) -> String {
    let mut out: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    if out.len() < message.len() {
        out.push('…');
    }
    out
}

/// Builds `Error(message)` with `name = "CreditMeterError"` and `code = code`; the message
/// is [`bounded`].
pub fn coded_error(code: &str, message: &str) -> JsValue {
    let err = Error::new(&bounded(message));
    err.set_name(ERROR_NAME);
    // Setting a property on a fresh Error object cannot fail; if it somehow did, the
    // error is still thrown, only without its code.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

/// Converts any core error into a thrown JS value.
pub fn to_js_error<E: Coded>(e: E) -> JsValue {
    coded_error(e.code(), &e.to_string())
}

/// A `BAD_INPUT` error.
pub fn bad_input(message: &str) -> JsValue {
    coded_error(BAD_INPUT, message)
}
