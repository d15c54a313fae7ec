//! A pending promise with its `resolve` and `reject` functions in hand. One executor
//! closure for the whole package: each `new Promise` written out with its own closure
//! is another executor instantiated in the .wasm.

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};

/// A new pending promise and its `resolve` and `reject` functions.
pub fn deferred() -> (Promise, Function, Function) {
    let mut ends = None;
    let promise = Promise::new(&mut |resolve, reject| ends = Some((resolve, reject)));
    // `new Promise` runs the executor synchronously, so `ends` is set; were it not,
    // calling `undefined` throws, and every caller ignores what a call throws.
    let (resolve, reject) = ends.unwrap_or_else(|| (JsValue::UNDEFINED.unchecked_into(), JsValue::UNDEFINED.unchecked_into()));
    (promise, resolve, reject)
}
