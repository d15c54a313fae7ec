//! One tab owns a meter's sync loop: an exclusive Web Lock (`navigator.locks`) named after
//! the account and device, held for the meter's life. Other tabs open read-only and queue
//! for the lock; when the owner closes (or its tab goes away, which releases the lock),
//! the next one takes over, reloading the state the owner saved. Where `navigator.locks`
//! is absent (Node, old browsers) every instance owns its loop: run one per device.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The outcome of trying for the lock.
pub enum Acquired {
    /// No Web Locks here.
    NoLocks,
    /// Granted; call the function to release it.
    Owner(Function),
    /// Another tab holds it.
    Taken,
}

fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok().filter(JsValue::is_object)?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok().filter(JsValue::is_object)?;
    let request = Reflect::get(&locks, &"request".into()).ok()?.dyn_into::<Function>().ok()?;
    Some((locks, request))
}

/// A promise that stays pending until the returned function is called.
fn holder() -> (Promise, Function) {
    let (p, resolve, _) = super::deferred::deferred();
    (p, resolve)
}

/// A JS function for `navigator.locks.request` that runs `f` once with the lock (one
/// closure type for both requests).
fn lock_callback(f: Box<dyn FnOnce(JsValue) -> JsValue>) -> JsValue {
    Closure::once_into_js(move |lock: JsValue| -> JsValue { f(lock) })
}

/// Tries for the lock without waiting.
pub async fn try_acquire(name: &str) -> Acquired {
    let Some((locks, request)) = lock_manager() else { return Acquired::NoLocks };
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let (hold, release) = holder();
    // The lock callback settles `decided` with whether it was granted.
    let (decided, decide) = holder();
    let decide_on_error = decide.clone();
    let callback = lock_callback(Box::new(move |lock: JsValue| -> JsValue {
        let granted = !lock.is_null();
        let _ = decide.call1(&JsValue::UNDEFINED, &JsValue::from_bool(granted));
        if granted {
            hold.into()
        } else {
            JsValue::UNDEFINED
        }
    }));
    let returned = match request.call3(&locks, &JsValue::from_str(name), &options, &callback) {
        Ok(r) => r,
        Err(_) => return Acquired::NoLocks,
    };
    // A request that fails outright (e.g. an insecure context) never calls back: settle
    // `decided` with null so the meter opens without locks instead of hanging.
    if returned.is_instance_of::<Promise>() {
        // `p.catch(decide.bind(undefined, null))`: `decide(null)` whatever the rejection
        // passes, with a bound function instead of one more Rust closure.
        if let Some(catch) = crate::js_host::method(&returned, "catch") {
            let _ = catch.call1(&returned, &decide_on_error.bind1(&JsValue::UNDEFINED, &JsValue::NULL));
        }
    }
    match JsFuture::from(decided).await {
        Ok(v) if v.as_bool() == Some(true) => Acquired::Owner(release),
        Ok(v) if v.as_bool() == Some(false) => Acquired::Taken,
        _ => Acquired::NoLocks,
    }
}

/// Queues for the lock; `on_grant` runs with the release function when it is granted.
pub fn wait_for(name: &str, on_grant: impl FnOnce(Function) + 'static) {
    let Some((locks, request)) = lock_manager() else { return };
    let (hold, release) = holder();
    let callback = lock_callback(Box::new(move |_lock: JsValue| -> JsValue {
        on_grant(release);
        hold.into()
    }));
    let _ = request.call2(&locks, &JsValue::from_str(name), &callback);
}
