//! Fresh random bytes for a sync machine (`crate::sync::nonce`): the Web Crypto API's
//! `crypto.getRandomValues`, which browsers, Node ≥ 19 and Electron (Obsidian) all have.
//! Where it is missing, `Math.random` and the clock stand in: the ids only have to differ
//! between installations, not resist an attacker (the ledger authenticates callers).

use crate::sync::nonce::ENTROPY_BYTES;
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// 32 random bytes.
pub fn random() -> [u8; ENTROPY_BYTES] {
    let mut out = [0u8; ENTROPY_BYTES];
    let buf = Uint8Array::new_with_length(ENTROPY_BYTES as u32);
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap_or(JsValue::UNDEFINED);
    let filled = Reflect::get(&crypto, &"getRandomValues".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .is_some_and(|f| f.call1(&crypto, &buf).is_ok());
    if filled {
        // Byte by byte, not `copy_to`: its `assert_eq!` of the lengths would keep core's
        // assertion-failure formatting in the .wasm for this one call (32 calls, at open).
        for (i, b) in (0u32..).zip(out.iter_mut()) {
            *b = buf.get_index(i);
        }
    } else {
        let now = js_sys::Date::now().to_bits().to_le_bytes();
        for (i, b) in out.iter_mut().enumerate() {
            // Each byte from its own Math.random() draw, mixed with the clock.
            *b = ((js_sys::Math::random() * 256.0) as u8) ^ now[i % 8];
        }
    }
    out
}
