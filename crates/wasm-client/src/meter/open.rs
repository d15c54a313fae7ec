//! The steps of `Meter.open` around its two waits (the host's first `load` and the tab
//! lock): plain functions, so the async body that strings them together stays small.

use super::args::Options;
use super::cells::exclusive;
use super::driver::{promote, pump, Inner};
use super::{bad_key, BAD_INPUT};
use crate::catalog::Catalog as CoreCatalog;
use crate::convert::{object_arg, own_properties, type_name};
use crate::js_error::bad_input;
use crate::js_host::{describe, JsHost, Timeouts};
use crate::snapshot::PublicKeys;
use crate::sync::settle::Settlements;
use crate::sync::{Config, Machine};
use crate::tab_lock::{wait_for, Acquired};
use js_sys::{Function, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

/// What the options said, checked, before the first load.
pub(super) struct Opening {
    pub(super) host: JsHost,
    on_event: Option<Function>,
    catalog: CoreCatalog,
    keys: PublicKeys,
    account_id: String,
    device_id: String,
}

/// Reads and checks the options: the host's callbacks, the JSON part, the catalog, the
/// public keys and the time limits. Throws `BAD_INPUT`, `BAD_CATALOG` or `BAD_KEY`.
#[inline(never)]
pub(super) fn read_options(options: JsValue) -> Result<Opening, JsValue> {
    let host = Reflect::get(&options, &"host".into()).unwrap_or(JsValue::UNDEFINED);
    let on_event = match Reflect::get(&host, &"onEvent".into()) {
        Ok(f) if f.is_function() => Some(f.unchecked_into::<Function>()),
        _ => None,
    };
    // `host` holds functions: read it apart, then the JSON part of the options.
    if !options.is_object() || options.is_function() {
        return Err(bad_input(&["options must be an object, got ", type_name(&options)].concat()));
    }
    let plain = own_properties(&options).map_err(|e| bad_input(&["options cannot be read: ", &describe(&e)].concat()))?;
    let _ = Reflect::delete_property(plain.unchecked_ref::<js_sys::Object>(), &"host".into());
    let _ = Reflect::delete_property(plain.unchecked_ref::<js_sys::Object>(), &"catalog".into());
    let o: Options = object_arg(plain, "options", BAD_INPUT)?;
    let catalog = match Reflect::get(&options, &"catalog".into()) {
        Ok(c) if !c.is_undefined() && !c.is_null() => crate::api::Catalog::load(c.unchecked_into())?.into_core(),
        _ => crate::api::default_core_catalog(),
    };
    crate::ids::check_account_id(&o.account_id).map_err(|e| bad_input(&["accountId ", &e.to_string()].concat()))?;
    crate::ids::check_device_id(&o.device_id).map_err(|e| bad_input(&["deviceId ", &e.to_string()].concat()))?;
    let keys = PublicKeys::from_json(&crate::json::to_string(&o.public_keys.0)).map_err(bad_key)?;
    let mut timeouts = Timeouts::default();
    if let Some(t) = o.timeouts {
        let clamp = |c: crate::money::Count| c.get().clamp(1, 600_000) as u32;
        timeouts.storage_ms = t.storage_ms.map(clamp).unwrap_or(timeouts.storage_ms);
        timeouts.network_ms = t.network_ms.map(clamp).unwrap_or(timeouts.network_ms);
    }
    let host = JsHost::from_js(host, timeouts)?;
    Ok(Opening { host, on_event, catalog, keys, account_id: o.account_id, device_id: o.device_id })
}

/// Opens the machine on what the first load found and builds the meter's state with
/// its timer callback; also returns the name of the tab lock to ask for.
#[inline(never)]
pub(super) fn start(o: Opening, loaded: Option<String>, now: i64) -> (Rc<Inner>, String) {
    let mut config = Config::new(&o.account_id, &o.device_id);
    config.entropy = crate::entropy::random();
    let mut machine = Machine::new(config.clone(), o.keys.clone());
    machine.open(loaded.as_deref(), now);
    let inner = Rc::new(Inner {
        machine: RefCell::new(machine),
        host: o.host,
        catalog: o.catalog,
        waiting: RefCell::new(Settlements::default()),
        events: RefCell::new(Vec::new()),
        on_event: o.on_event,
        timer: RefCell::new(None),
        timer_cb: RefCell::new(None),
        last_now: Cell::new(now),
        closed: Cell::new(false),
        owner: Cell::new(true),
        lock_release: RefCell::new(None),
        config,
        keys: o.keys,
        lists_json: RefCell::new(None),
    });
    let weak: Weak<Inner> = Rc::downgrade(&inner);
    let cb = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = weak.upgrade() {
            let _ = exclusive(&inner.timer).take();
            let now = inner.now();
            exclusive(&inner.machine).timer(now);
            pump(&inner);
        }
    });
    *exclusive(&inner.timer_cb) = Some(cb);
    let lock_name = ["credit-meter:", &o.account_id, ":", &o.device_id].concat();
    (inner, lock_name)
}

/// Acts on the outcome of asking for the tab lock: keep its release function, or (in a
/// tab that does not own the loop) read only and queue for the lock.
#[inline(never)]
pub(super) fn settle_lock(inner: &Rc<Inner>, acquired: Acquired, lock_name: &str) {
    match acquired {
        Acquired::NoLocks => {}
        Acquired::Owner(release) => *exclusive(&inner.lock_release) = Some(release),
        Acquired::Taken => {
            inner.owner.set(false);
            let weak = Rc::downgrade(inner);
            wait_for(lock_name, move |release| {
                if let Some(inner) = weak.upgrade() {
                    promote(inner, release);
                }
            });
        }
    }
}
