//! The host object of callbacks, as the core's [`Host`] trait.
//!
//! The host is duck-typed: `{ load, save, pull, push, now? }`. Each callback may return a
//! value or a promise (or any thenable), may throw synchronously, reject, or never settle;
//! every call is raced against a timer, and the timer is cleared afterwards so Node is not
//! kept alive. Nothing here holds a Rust borrow across an `await`: the host object is
//! owned by this struct and never borrowed from a `RefCell`.

use super::convert::type_name;
use crate::host::{Callback, Exchange, Host, HostError};
use crate::js_error::bad_input;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Per-call time limits, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For `load` and `save`.
    pub storage_ms: u32,
    /// For `pull` and `push`.
    pub network_ms: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { storage_ms: 10_000, network_ms: 15_000 }
    }
}

/// The host's callbacks, checked once at open.
pub struct JsHost {
    this: JsValue,
    load: Function,
    save: Function,
    pull: Function,
    push: Function,
    now: Option<Function>,
    timeouts: Timeouts,
}

fn function(host: &JsValue, name: &str, required: bool) -> Result<Option<Function>, JsValue> {
    let v = Reflect::get(host, &JsValue::from_str(name)).map_err(|_| bad_input(&["host.", name, " could not be read"].concat()))?;
    match v.dyn_into::<Function>() {
        Ok(f) => Ok(Some(f)),
        Err(v) if !required && v.is_undefined() => Ok(None),
        Err(v) => Err(bad_input(&["host.", name, " must be a function, got ", type_name(&v)].concat())),
    }
}

/// A short, safe description of a thrown or rejected JS value.
pub fn describe(e: &JsValue) -> String {
    let text = if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        String::from(err.message())
    } else if let Some(s) = e.as_string() {
        s
    } else {
        type_name(e).to_string()
    };
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl JsHost {
    /// Checks that `host` has the callbacks: `load`, `save`, `pull`, `push` functions, and
    /// `now` a function if present. Throws `BAD_INPUT` naming the first one missing.
    pub fn from_js(host: JsValue, timeouts: Timeouts) -> Result<JsHost, JsValue> {
        if !host.is_object() {
            return Err(bad_input(&["host must be an object with load, save, pull and push, got ", type_name(&host)].concat()));
        }
        let need = |name: &str| function(&host, name, true)?.ok_or_else(|| bad_input(&["host.", name, " must be a function"].concat()));
        Ok(JsHost {
            load: need("load")?,
            save: need("save")?,
            pull: need("pull")?,
            push: need("push")?,
            now: function(&host, "now", false)?,
            this: host,
            timeouts,
        })
    }

    async fn call(&self, cb: Callback, f: &Function, arg: Option<&JsValue>, timeout_ms: u32) -> Result<JsValue, HostError> {
        let returned = match arg {
            Some(a) => f.call1(&self.this, a),
            None => f.call0(&self.this),
        }
        .map_err(|e| HostError::Threw(cb, describe(&e)))?;
        // Values and thenables alike become a promise; a thenable whose `then` throws
        // becomes a rejected one.
        let settled = Promise::resolve(&returned);
        let sentinel: JsValue = Object::new().into();
        let timer = Timer::start(timeout_ms, &sentinel);
        let raced = match &timer {
            Some(t) => Promise::race(&Array::of2(&settled, &t.promise)),
            None => settled,
        };
        let outcome = JsFuture::from(raced).await;
        if let Some(t) = timer {
            t.clear();
        }
        match outcome {
            Ok(v) if Object::is(&v, &sentinel) => Err(HostError::TimedOut(cb, timeout_ms)),
            Ok(v) => Ok(v),
            Err(e) => Err(HostError::Rejected(cb, describe(&e))),
        }
    }
}

impl Host for JsHost {
    async fn load(&self) -> Result<Option<String>, HostError> {
        let v = self.call(Callback::Load, &self.load, None, self.timeouts.storage_ms).await?;
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        crate::text::to_string(&v)
            .map(Some)
            .ok_or_else(|| HostError::BadValue(Callback::Load, [type_name(&v), " instead of a string or null"].concat()))
    }

    /// Calls `save`, `pull` or `push` with `body`: what `pull` and `push` answered (the
    /// response body), an empty body for `save`.
    async fn exchange(&self, exchange: Exchange, body: &str) -> Result<String, HostError> {
        let cb = exchange.callback();
        let (f, ms) = match exchange {
            Exchange::Save => (&self.save, self.timeouts.storage_ms),
            Exchange::Pull => (&self.pull, self.timeouts.network_ms),
            Exchange::Push => (&self.push, self.timeouts.network_ms),
        };
        let v = self.call(cb, f, Some(&JsValue::from_str(body)), ms).await?;
        if exchange == Exchange::Save {
            return Ok(String::new());
        }
        crate::text::to_string(&v)
            .ok_or_else(|| HostError::BadValue(cb, [type_name(&v), " instead of the response body as a string"].concat()))
    }

    fn now(&self) -> Result<i64, HostError> {
        let ms = match &self.now {
            None => js_sys::Date::now(),
            Some(f) => {
                let v = f.call0(&self.this).map_err(|e| HostError::Threw(Callback::Now, describe(&e)))?;
                v.as_f64().ok_or_else(|| HostError::BadValue(Callback::Now, [type_name(&v), " instead of milliseconds"].concat()))?
            }
        };
        // Years 1970..=275760 (the JS Date range); fractions of a millisecond dropped.
        if ms.is_finite() && (0.0..=8.64e15).contains(&ms) {
            Ok(ms.floor() as i64)
        } else {
            Err(HostError::BadValue(Callback::Now, [&js_number_text(ms), " instead of milliseconds since 1970"].concat()))
        }
    }
}

/// `obj[name]` if it is a function.
pub fn method(obj: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(obj, &JsValue::from_str(name)).ok()?.dyn_into::<Function>().ok()
}

/// `clearTimeout(handle)`, if the global has it.
pub fn clear_timeout(handle: &JsValue) {
    let global = js_sys::global();
    if let Some(f) = method(&global, "clearTimeout") {
        let _ = f.call1(&global, handle);
    }
}

/// A `setTimeout` promise that resolves to a sentinel, and its handle for `clearTimeout`.
struct Timer {
    promise: Promise,
    handle: JsValue,
}

impl Timer {
    fn start(ms: u32, sentinel: &JsValue) -> Option<Timer> {
        let global = js_sys::global();
        let set_timeout = method(&global, "setTimeout")?;
        let (promise, resolve, _) = super::deferred::deferred();
        let args = Array::of3(&resolve, &JsValue::from(ms), sentinel);
        let handle = set_timeout.apply(&global, &args).unwrap_or(JsValue::UNDEFINED);
        Some(Timer { promise, handle })
    }

    fn clear(self) {
        clear_timeout(&self.handle);
    }
}

/// A number as JavaScript writes it (`NaN`, `1.5`, `-Infinity`); no float formatting
/// code in the .wasm.
fn js_number_text(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}
