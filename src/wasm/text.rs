//! Reading a long JS string into Wasm memory for the token estimator.
//!
//! `JsValue::as_string` copies through wasm-bindgen's glue, which walks the string one
//! UTF-16 unit at a time in JavaScript until the first non-ASCII character and allocates a
//! fresh `String` per call; on the note corpus that copy cost about as much as estimating.
//! Here the engine's own `TextEncoder.encodeInto` writes the UTF-8 straight into a buffer
//! that is reused from call to call.

use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `TextEncoder` class.
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    /// `encoder.encodeInto(source, dest).written`, through a view onto Wasm memory.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &js_sys::JsString, dest: &mut [u8]) -> EncodeIntoResult;

    /// What `encodeInto` returns.
    type EncodeIntoResult;

    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

/// Buffers above this size are not kept between calls.
const KEEP: usize = 1 << 20;

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the UTF-8 text of the JS string `v` (lone surrogates become U+FFFD, as with
/// `JsValue::as_string`).
pub fn with_str<R>(v: &js_sys::JsString, f: impl FnOnce(&str) -> R) -> R {
    // Every UTF-16 unit encodes to at most three UTF-8 bytes.
    let cap = (v.length() as usize).saturating_mul(3);
    BUFFER.with(|cell| {
        let Ok(mut buf) = cell.try_borrow_mut() else {
            return f(&v.as_string().unwrap_or_default());
        };
        if buf.len() < cap {
            buf.resize(cap, 0);
        }
        let written = ENCODER.with(|e| e.encode_into(v, buf.get_mut(..cap).unwrap_or(&mut [])).written()) as usize;
        // `encodeInto` always writes well-formed UTF-8; the check is cheap and keeps this safe.
        let out = match std::str::from_utf8(buf.get(..written.min(cap)).unwrap_or(&[])) {
            Ok(s) => f(s),
            Err(_) => f(&v.as_string().unwrap_or_default()),
        };
        if buf.len() > KEEP {
            *buf = Vec::new();
        }
        out
    })
}
