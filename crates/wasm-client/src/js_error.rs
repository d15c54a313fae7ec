//! Errors thrown to JavaScript: real `Error` objects with a stable `code` property.

use crate::error::{Coded, ErrorCode, BAD_INPUT};
use js_sys::{Error, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
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
pub fn coded_error(code: ErrorCode, message: &str) -> JsValue {
    let err = Error::new(&bounded(message));
    err.set_name(ERROR_NAME);
    // Setting a property on a fresh Error object cannot fail; if it somehow did, the
    // error is still thrown, only without its code.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code.as_str()));
    err.into()
}

/// An error whose code came over the wire (a ledger's refusal or failure): thrown with that
/// code when it is one of ours, otherwise as `BAD_RESPONSE` naming the code it had, so that
/// every thrown code is in the package's `ErrorCode` union.
pub fn wire_error(code: &str, message: &str) -> JsValue {
    match ErrorCode::parse(code) {
        Some(c) => coded_error(c, message),
        None => coded_error(ErrorCode::BadResponse, &["the ledger answered with the unknown code ", code, ": ", message].concat()),
    }
}

/// Converts any core error into a thrown JS value.
pub fn to_js_error<E: Coded>(e: E) -> JsValue {
    coded_error(e.code(), &e.to_string())
}

/// A `BAD_INPUT` error.
pub fn bad_input(message: &str) -> JsValue {
    coded_error(BAD_INPUT, message)
}

/// Whether `value` is an error this package threw: an `Error` named "CreditMeterError"
/// whose `code` is one of the `ErrorCode` union. A type guard in TypeScript, so
/// `if (isCreditMeterError(e) && e.code === "INSUFFICIENT_CREDITS") e.shortfall` type-checks.
#[wasm_bindgen(js_name = isCreditMeterError, unchecked_return_type = "value is CreditMeterError")]
pub fn is_credit_meter_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue) -> bool {
    use wasm_bindgen::JsCast;
    let Some(err) = value.dyn_ref::<Error>() else { return false };
    if err.name() != ERROR_NAME {
        return false;
    }
    Reflect::get(value, &JsValue::from_str("code")).ok().and_then(|c| c.as_string()).is_some_and(|c| ErrorCode::parse(&c).is_some())
}
