//! Reading a long JS string into Wasm memory: for the token estimator, and the Meter's
//! stored state and the ledger's responses ([`to_string`]).
//!
//! `JsValue::as_string` copies through wasm-bindgen's glue, which walks the string one
//! UTF-16 unit at a time in JavaScript until the first non-ASCII character and allocates a
//! fresh `String` per call; on the note corpus that copy cost about as much as estimating.
//! Here the engine's own `TextEncoder.encodeInto` writes the UTF-8 straight into a buffer
//! that is reused from call to call; the string's length is only asked for when the text
//! may not have fitted.

use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `TextEncoder` class.
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    /// `encoder.encodeInto(source, dest)`, through a view onto Wasm memory.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &js_sys::JsString, dest: &mut [u8]) -> EncodeIntoResult;

    /// What `encodeInto` returns.
    type EncodeIntoResult;

    /// Bytes written by `encodeInto`.
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

/// Buffer kept between calls: texts of up to about this many bytes need no resizing.
const START: usize = 16 << 10;

/// Buffers above this size are not kept between calls.
const KEEP: usize = 1 << 20;

/// The longest UTF-8 encoding of one UTF-16 unit: three bytes (a surrogate pair, two
/// units, encodes to four).
const PER_UNIT: usize = 3;

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the UTF-8 bytes of the JS string `v` (lone surrogates become U+FFFD, as
/// with `JsValue::as_string`).
///
/// The bytes are what `encodeInto` wrote, which is always well-formed UTF-8; they are not
/// validated again (on the note corpus that check cost about 6% of an estimate), so `f`
/// must not rely on them being valid for its safety, only for its result.
pub fn with_utf8<R>(v: &js_sys::JsString, f: impl FnOnce(&[u8]) -> R) -> R {
    BUFFER.with(|cell| {
        let Ok(mut buf) = cell.try_borrow_mut() else {
            return f(v.as_string().unwrap_or_default().as_bytes());
        };
        if buf.len() < START {
            buf.resize(START, 0);
        }
        let mut written = encode(v, &mut buf);
        // `encodeInto` never writes part of a character, and a character takes at most four
        // bytes: with four bytes to spare, the whole text fitted. Otherwise size the buffer
        // for the longest encoding of the string and encode it again.
        if buf.len() - written < 4 {
            let need = (v.length() as usize).saturating_mul(PER_UNIT).saturating_add(4);
            if buf.len() < need {
                buf.resize(need, 0);
            }
            written = encode(v, &mut buf);
        }
        let out = f(buf.get(..written).unwrap_or(&[]));
        if buf.len() > KEEP {
            *buf = Vec::new();
        }
        out
    })
}

/// Encodes `v` into `buf` and returns how many bytes it took (at most `buf.len()`).
fn encode(v: &js_sys::JsString, buf: &mut [u8]) -> usize {
    let written = ENCODER.with(|e| e.encode_into(v, buf).written()) as usize;
    written.min(buf.len())
}

/// The JS string `v` as a `String` (`None` for any other value), through `encodeInto`
/// like [`with_utf8`]: what `JsValue::as_string` returns (lone surrogates become U+FFFD),
/// without its walk over the string one unit at a time in JavaScript. For the Meter's
/// stored state (81 KB for a snapshot of 1,000 grants) and the ledger's responses.
pub fn to_string(v: &JsValue) -> Option<String> {
    let s = v.dyn_ref::<js_sys::JsString>()?;
    // `encodeInto` writes well-formed UTF-8, so the check never fails.
    Some(with_utf8(s, |bytes| String::from_utf8(bytes.to_vec()).unwrap_or_default()))
}
