//! The driver: runs the machine's actions through the host, settles promises from its
//! events, keeps one timer. No `RefCell` borrow outlives the statement that takes it.

use super::cells::{exclusive, shared};
use crate::catalog::Catalog as CoreCatalog;
use crate::convert::parse_js;
use crate::error::Coded;
use crate::host::{Host, HostError};
use crate::js_error::wire_error;
use crate::js_host::{clear_timeout, method, JsHost};
use crate::snapshot::PublicKeys;
use crate::sync::driver::perform;
use crate::sync::meter as rules;
use crate::sync::settle::{Settle, Settlements};
use crate::sync::{Config, Event, Machine};
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// Events kept for `takeEvents()`.
const MAX_EVENTS: usize = 256;

/// A promise's two ends and what it resolves with.
pub(super) struct Waiter {
    pub(super) resolve: Function,
    pub(super) reject: Function,
    pub(super) value: JsValue,
}

impl Waiter {
    fn resolve(self) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, &self.value);
    }
    fn resolve_with(self, v: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, v);
    }
    fn reject(self, err: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, err);
    }
}

/// A pending promise whose ends wait in a [`Waiter`] resolving with `value`.
pub(super) fn promise(value: JsValue) -> (Promise, Waiter) {
    let (p, resolve, reject) = crate::deferred::deferred();
    (p, Waiter { resolve, reject, value })
}

pub(super) struct Inner {
    pub(super) machine: RefCell<Machine>,
    pub(super) host: JsHost,
    pub(super) catalog: CoreCatalog,
    /// The promises waiting for the machine's events (the core decides which settles how).
    pub(super) waiting: RefCell<Settlements<Waiter>>,
    /// Events as JSON texts, oldest first.
    pub(super) events: RefCell<Vec<String>>,
    pub(super) on_event: Option<Function>,
    pub(super) timer: RefCell<Option<JsValue>>,
    pub(super) timer_cb: RefCell<Option<Closure<dyn FnMut()>>>,
    pub(super) last_now: Cell<i64>,
    pub(super) closed: Cell<bool>,
    /// Whether this instance runs the sync loop (see [`super::tab_lock`]).
    pub(super) owner: Cell<bool>,
    /// Resolves the promise that holds the tab lock; called on close.
    pub(super) lock_release: RefCell<Option<Function>>,
    pub(super) config: Config,
    pub(super) keys: PublicKeys,
    /// `balance()`'s `"grants"` and `"allowances"` as JSON (`{"grants":…,"allowances":…}`),
    /// with the signature of the snapshot they were written from: they change only with the
    /// snapshot, and writing a 1,000-grant list on every call cost about a third of it.
    pub(super) lists_json: RefCell<Option<(String, String)>>,
}

impl Inner {
    pub(super) fn now(&self) -> i64 {
        let now = self.host.now().unwrap_or_else(|_| js_sys::Date::now() as i64);
        self.last_now.set(now);
        now
    }

    /// Keeps an event (the JSON text of an object) for `takeEvents()` and hands it to
    /// the host's `onEvent`.
    pub(super) fn record(&self, event: String) {
        let js = self.on_event.as_ref().map(|_| parse_js(&event));
        {
            let mut events = exclusive(&self.events);
            if events.len() == MAX_EVENTS {
                events.remove(0);
            }
            events.push(event);
        }
        if let (Some(f), Some(Ok(v))) = (&self.on_event, js) {
            // The host's listener may throw or call back into the meter: no borrow is held.
            let _ = f.call1(&JsValue::UNDEFINED, &v);
        }
    }
}

/// Runs every pending action, settles promises for every event, re-arms the timer.
pub(super) fn pump(inner: &Rc<Inner>) {
    if inner.closed.get() {
        return;
    }
    if !inner.owner.get() {
        // A reader runs no actions, but what it found on open (a discarded cache) is news.
        dispatch(inner);
        return;
    }
    loop {
        let action = exclusive(&inner.machine).poll_action();
        let Some(action) = action else { break };
        let me = inner.clone();
        spawn_local(async move {
            let done = perform(&me.host, action).await;
            if let (true, Some(e)) = (done.is_failed_save(), done.host_error()) {
                me.record(host_event(e));
            }
            let now = me.now();
            done.feed(&mut exclusive(&me.machine), now);
            pump(&me);
        });
    }
    dispatch(inner);
    arm_timer(inner);
}

pub(super) fn host_event(e: &HostError) -> String {
    json_text!( "type": "hostError", "code": e.code(), "callback": e.callback().name(), "message": e.to_string() )
}

pub(super) fn dispatch(inner: &Rc<Inner>) {
    loop {
        let event = exclusive(&inner.machine).poll_event();
        let Some(event) = event else { break };
        let still_sending = shared(&inner.machine).is_sending();
        let answer = exclusive(&inner.waiting).on_event(&event, still_sending);
        match answer {
            Some(Settle::Resolve(w)) => w.resolve(),
            Some(Settle::Reject(w, code, message)) => w.reject(&wire_error(&code, &message)),
            Some(Settle::RefusedReserve(w, refused)) => {
                let now = inner.now();
                let (error, released) = rules::refused_reserve(&mut exclusive(&inner.machine), &inner.catalog, &refused, now);
                if released {
                    let me = inner.clone();
                    spawn_local(async move { pump(&me) });
                }
                w.reject(&super::meter_error(error));
            }
            Some(Settle::ResolveWithBalance(waiters)) => {
                let balance = balance_value(inner);
                for w in waiters {
                    w.resolve_with(&balance);
                }
            }
            Some(Settle::RejectAll(waiters, code, message)) => {
                let err = wire_error(&code, &message);
                for w in waiters {
                    w.reject(&err);
                }
            }
            None => {}
        }
        match event {
            Event::OpDurable { .. } | Event::OpFailed { .. } => {}
            Event::Acknowledged(ack) => {
                inner.record(json_text!(
                    "type": "acknowledged", "seq": ack.seq, "kind": ack.kind, "holdId": ack.hold_id,
                    "status": ack.status, "code": ack.code, "charged": ack.charged, "overdraft": ack.overdraft,
                    "unpaid": ack.unpaid, "settledBy": ack.settled_by, "confirmed": ack.confirmed,
                ));
            }
            Event::Synced { seq, outbox } => {
                inner.record(json_text!( "type": "synced", "seq": seq, "outbox": outbox ));
            }
            Event::SyncFailed { code, attempt, retry_at } => {
                inner.record(json_text!( "type": "syncFailed", "code": code, "attempt": attempt, "retryAt": retry_at ));
            }
            Event::CacheDiscarded { code, kept_mutations, outbox_lost } => {
                inner.record(json_text!(
                    "type": "cacheDiscarded", "code": code, "keptMutations": kept_mutations, "outboxLost": outbox_lost,
                ));
            }
        }
    }
}

pub(super) fn arm_timer(inner: &Rc<Inner>) {
    let global = js_sys::global();
    let old = exclusive(&inner.timer).take();
    if let Some(handle) = old {
        clear_timeout(&handle);
    }
    let next = shared(&inner.machine).next_timeout();
    let Some(at) = next else { return };
    let delay = (at - inner.last_now.get()).clamp(0, i32::MAX as i64) as f64;
    let Some(set) = method(&global, "setTimeout") else { return };
    let handle = {
        let cb = shared(&inner.timer_cb);
        let Some(cb) = cb.as_ref() else { return };
        set.call2(&global, cb.as_ref(), &JsValue::from_f64(delay))
    };
    if let Ok(handle) = handle {
        // Node: a retry timer must not keep the process alive.
        if let Some(unref) = method(&handle, "unref") {
            let _ = unref.call0(&handle);
        }
        *exclusive(&inner.timer) = Some(handle);
    }
}

pub(super) fn balance_value(inner: &Inner) -> JsValue {
    let now = inner.last_now.get();
    let text = {
        let m = shared(&inner.machine);
        let figures = m.figures(now);
        let spendable = figures.spendable();
        let mut text = json_text!(
            "balance": figures.balance, "available": figures.available, "spendable": spendable,
            "heldOwn": figures.held_own, "heldOther": figures.held_other, "pending": figures.pending,
            "exposure": figures.exposure, "room": figures.room, "freshness": figures.freshness.as_str(),
            "stale": figures.freshness.is_bounded(), "low": figures.low, "seq": figures.seq,
            "outbox": figures.outbox, "at": figures.at,
        );
        // `{…figures}` + `{"grants":…}` → `{…figures,"grants":…}`.
        text.pop();
        text.push(',');
        with_lists_json(inner, m.state(), |lists| text.push_str(lists.get(1..).unwrap_or("}")));
        text
    };
    parse_js(&text).unwrap_or(JsValue::NULL)
}

/// Runs `f` on the held snapshot's grants and allowances as a JSON object, written once per
/// snapshot (told apart by their signatures: a different payload has a different one).
fn with_lists_json(inner: &Inner, state: &crate::sync::ClientState, f: impl FnOnce(&str)) {
    let sig = state.snapshot.as_ref().map_or("", |v| v.envelope.sig.as_str());
    let mut cache = exclusive(&inner.lists_json);
    let fresh = match cache.as_ref() {
        Some((cached, _)) => cached != sig,
        None => true,
    };
    if fresh {
        let payload = state.payload();
        let grants = payload.map(|p| p.grants.as_slice()).unwrap_or(&[]);
        let allowances = payload.map(|p| p.allowances.as_slice()).unwrap_or(&[]);
        let agents = payload.and_then(|p| p.agents.as_deref()).unwrap_or(&[]);
        *cache = Some((sig.to_string(), json_text!("grants": grants, "allowances": allowances, "agents": agents)));
    }
    f(cache.as_ref().map_or("{}", |(_, lists)| lists.as_str()));
}

/// This tab was granted the lock: reload the state the owner left and start syncing.
pub(super) fn promote(inner: Rc<Inner>, release: Function) {
    if inner.closed.get() {
        let _ = release.call0(&JsValue::UNDEFINED);
        return;
    }
    *exclusive(&inner.lock_release) = Some(release);
    spawn_local(async move {
        let loaded = inner.host.load().await;
        let now = inner.now();
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => {
                inner.record(host_event(&e));
                return;
            }
        };
        // New entropy: this machine must not draw the ids an earlier one of this tab drew.
        let mut config = inner.config.clone();
        config.entropy = crate::entropy::random();
        let mut fresh = Machine::new(config, inner.keys.clone());
        fresh.open(loaded.as_deref(), now);
        *exclusive(&inner.machine) = fresh;
        inner.owner.set(true);
        inner.record(json_text!( "type": "owner" ));
        pump(&inner);
    });
}
