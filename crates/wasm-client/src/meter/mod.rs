//! `Meter`: the signed local balance and exactly-once sync, driven with the host's
//! callbacks. The logic is the core's sans-IO [`Machine`]; this file only runs its
//! actions (save, push, pull) through [`JsHost`], feeds the outcomes back, and turns its
//! events into settled promises.
//!
//! Re-entrancy: every `RefCell` borrow is taken and dropped within one statement or block
//! that makes no JS call and no `await` (wasm-bindgen issue 4440: a borrow held across an
//! await or a JS callback is a "recursive use of an object" error waiting to happen). The
//! methods that return promises are plain functions that create the promise and leave
//! the waiting to the driver, so concurrent JS calls on one Meter are safe.
//!
//! - `driver`: runs actions, settles promises from events, the timer, taking over a tab.
//! - `args`: what the methods take.
//! - `cells`: the `RefCell` borrows, through one panic location each.
//! - `open`: the steps of `Meter.open` (options, first load, tab lock).
//! - `waiting`: promises waiting for the machine's events, by key.

pub use credit_meter_protocol::error::{BAD_KEY, NOT_OWNER};
mod args;
mod cells;
mod driver;
mod open;

use super::convert::{object_arg, parse_js, string_arg, to_js};
use crate::error::BAD_INPUT;
use crate::estimate::{self, EstimateRequest};
use crate::host::Host;
use crate::js_error::{coded_error, to_js_error};
use crate::sync::meter::{self as rules, CommitArgs, MeterError, ReserveArgs};
use crate::sync::settle::Confirm;
use crate::sync::{Staged, SyncError};
use cells::{exclusive, shared};
use driver::{balance_value, promise, pump, Inner};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `MeterOptions` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "MeterOptions")]
    pub type MeterOptionsJs;
    /// `ReserveArgs` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "ReserveArgs")]
    pub type ReserveArgsJs;
    /// `CommitArgs` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "CommitArgs")]
    pub type CommitArgsJs;
    /// `MeterDecideRequest` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "MeterDecideRequest")]
    pub type MeterDecideRequestJs;
    /// `Balance` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Balance")]
    pub type BalanceJs;
    /// `MeterEvent[]` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "MeterEvent[]")]
    pub type MeterEventsJs;
    /// `Promise<Hold>` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Promise<Hold>")]
    pub type HoldPromise;
    /// `Promise<Settled>` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Promise<Settled>")]
    pub type SettledPromise;
    /// `Promise<Balance>` in TypeScript.
    #[derive(Debug, Clone)]
    #[wasm_bindgen(typescript_type = "Promise<Balance>")]
    pub type BalancePromise;
}

/// The meter: a signed local balance usable offline within a bound, synced exactly once
/// with the vendor's ledger through the host's callbacks.
#[wasm_bindgen]
pub struct Meter {
    inner: Rc<Inner>,
}

/// A refused Meter operation as a thrown error; `INSUFFICIENT_CREDITS` also carries
/// `needed`, `available`, `shortfall`, `package` and `options` (the core's remedies).
pub(super) fn meter_error(e: MeterError) -> JsValue {
    let details = match &e {
        MeterError::Sync { insufficient: Some(i), .. } => Some(crate::json::to_string(&**i)),
        _ => None,
    };
    let err = to_js_error(e);
    if let Some(Ok(extra)) = details.map(|d| parse_js(&d)) {
        // Sets each member on the error, in order (what `Reflect.set` per key did).
        let _ = js_sys::Object::assign(err.unchecked_ref::<js_sys::Object>(), extra.unchecked_ref::<js_sys::Object>());
    }
    err
}

fn sync_error(inner: &Inner, e: SyncError, operation: &str) -> JsValue {
    meter_error(rules::refusal(&inner.catalog, operation, e))
}

fn bad_key(e: crate::snapshot::SnapshotError) -> JsValue {
    let why = match e {
        crate::snapshot::SnapshotError::Malformed(why) => why.to_string(),
        other => other.to_string(),
    };
    coded_error(BAD_KEY, &["publicKeys: ", &why].concat())
}

fn rejected(err: JsValue) -> Promise {
    Promise::reject(&err)
}

fn not_owner() -> JsValue {
    coded_error(NOT_OWNER, "another tab owns this meter's sync loop; this one can only read (it takes over when that tab closes)")
}

#[wasm_bindgen]
impl Meter {
    /// Opens the meter: checks the options and the host, loads the persisted state
    /// (discarding a tampered one, and saying so in an event), and starts syncing.
    /// Rejects with `BAD_INPUT`, `BAD_CATALOG`, `BAD_KEY` or `STORAGE_FAILED`.
    pub async fn open(options: MeterOptionsJs) -> Result<Meter, JsValue> {
        let opening = open::read_options(options.into())?;
        let loaded = opening.host.load().await.map_err(to_js_error)?;
        let now = opening.host.now().map_err(to_js_error)?;
        let (inner, lock_name) = open::start(opening, loaded, now);
        let acquired = super::tab_lock::try_acquire(&lock_name).await;
        open::settle_lock(&inner, acquired, &lock_name);
        pump(&inner);
        Ok(Meter { inner })
    }

    /// Estimates an operation under the meter's catalog (see `estimate`).
    pub fn estimate(&self, request: super::types::EstimateRequestJs) -> Result<super::types::EstimateJs, JsValue> {
        let req: EstimateRequest = object_arg(request.into(), "estimate request", BAD_INPUT)?;
        let est = estimate::estimate(&self.inner.catalog, &req).map_err(to_js_error)?;
        to_js(&est)
    }

    /// Decides who pays, against the meter's spendable balance (the offline room when the
    /// snapshot is stale).
    pub fn decide(&self, request: MeterDecideRequestJs) -> Result<super::types::DecisionJs, JsValue> {
        struct Req {
            estimate: crate::estimate::Estimate,
            byok: bool,
        }
        json_from!(Req [deny] { estimate: "estimate", byok: "byok" = default });
        let req: Req = object_arg(request.into(), "decide request", BAD_INPUT)?;
        let now = self.inner.now();
        let d = rules::decide(&shared(&self.inner.machine), &self.inner.catalog, req.estimate, req.byok, now).map_err(to_js_error)?;
        to_js(&d)
    }

    /// Reserves credits before the AI call. Takes the `Decision` from `decide` (or
    /// `{operation, amount}`); resolves with the hold once it is saved (and, above the
    /// offline limit, confirmed by the ledger). Rejects with `INSUFFICIENT_CREDITS`
    /// (with `shortfall`, `package`, `options`), `OFFLINE_LIMIT`, `NO_SNAPSHOT`,
    /// `STORAGE_FAILED`/`SAVE_FAILED`, `BAD_INPUT`.
    pub fn reserve(&self, args: ReserveArgsJs) -> HoldPromise {
        let inner = &self.inner;
        if !inner.owner.get() {
            return rejected(not_owner()).unchecked_into();
        }
        let args: ReserveArgs = match object_arg(args.into(), "reserve", BAD_INPUT) {
            Ok(a) => a,
            Err(e) => return rejected(e).unchecked_into(),
        };
        let now = inner.now();
        let r = rules::reserve(&mut exclusive(&inner.machine), &inner.catalog, &args, now);
        let reserved = match r {
            Ok(r) => r,
            Err(e) => return rejected(meter_error(e)).unchecked_into(),
        };
        let amount = reserved.amount;
        let value = parse_js(&json_text!(
            "holdId": reserved.hold_id, "amount": amount, "operation": args.operation,
            "needsConfirmation": reserved.needs_confirmation, "seq": reserved.seq,
            "unit": args.unit, "units": reserved.units,
        ))
        .unwrap_or(JsValue::NULL);
        let confirm = reserved.needs_confirmation.then(|| Confirm {
            hold_id: reserved.hold_id.clone(),
            operation: args.operation.clone(),
            units: args.unit.as_ref().and(args.units.map(|u| u.get())),
        });
        let (p, waiter) = promise(value);
        exclusive(&inner.waiting).wait_op(reserved.op, waiter, confirm);
        pump(inner);
        p.unchecked_into()
    }

    /// Commits a hold with what the call really used: `{credits}` or the usage to price
    /// (`{operation, cards, inputTokens, outputTokens, characters, model?}`). At most the
    /// hold is kept; the rest is released (usage above the hold: see PROTOCOL.md).
    pub fn commit(
        &self,
        #[wasm_bindgen(js_name = holdId, unchecked_param_type = "string")] hold_id: JsValue,
        actual: CommitArgsJs,
    ) -> SettledPromise {
        let inner = &self.inner;
        if !inner.owner.get() {
            return rejected(not_owner()).unchecked_into();
        }
        let result = (|| -> Result<(String, rules::CommitAmount), JsValue> {
            let hold_id = string_arg(&hold_id, "holdId")?;
            let a: CommitArgs = object_arg(actual.into(), "commit", BAD_INPUT)?;
            let amount = rules::commit_amount(&inner.catalog, &a).map_err(meter_error)?;
            Ok((hold_id, amount))
        })();
        let (hold_id, amount) = match result {
            Ok(r) => r,
            Err(e) => return rejected(e).unchecked_into(),
        };
        let now = inner.now();
        let r = rules::commit(&mut exclusive(&inner.machine), &hold_id, amount, now);
        let value = match amount {
            rules::CommitAmount::Credits(credits) => json_text!( "holdId": hold_id, "credits": credits, "kind": "commit" ),
            rules::CommitAmount::Units(units) => json_text!( "holdId": hold_id, "units": units, "kind": "commit" ),
        };
        self.staged(r, value)
    }

    /// Releases a hold (the AI call failed): nothing is charged.
    pub fn release(&self, #[wasm_bindgen(js_name = holdId, unchecked_param_type = "string")] hold_id: JsValue) -> SettledPromise {
        if !self.inner.owner.get() {
            return rejected(not_owner()).unchecked_into();
        }
        let hold_id = match string_arg(&hold_id, "holdId") {
            Ok(h) => h,
            Err(e) => return rejected(e).unchecked_into(),
        };
        let now = self.inner.now();
        let r = exclusive(&self.inner.machine).release(&hold_id, now);
        self.staged(r, json_text!( "holdId": hold_id, "kind": "release" ))
    }

    fn staged(&self, r: Result<Staged, SyncError>, value: String) -> SettledPromise {
        let inner = &self.inner;
        let staged = match r {
            Ok(s) => s,
            Err(e) => return rejected(sync_error(inner, e, "")).unchecked_into(),
        };
        let value = parse_js(&value).unwrap_or(JsValue::NULL);
        let (p, waiter) = promise(value);
        exclusive(&inner.waiting).wait_op(staged.op, waiter, None);
        pump(inner);
        p.unchecked_into()
    }

    /// Pushes what is pending and pulls a fresh snapshot; resolves with the balance once
    /// the exchanges it started have succeeded and nothing saved meanwhile is still being
    /// pushed; rejects with the first failure's code (it is retried anyway).
    pub fn sync(&self) -> BalancePromise {
        let inner = &self.inner;
        if !inner.owner.get() {
            return rejected(not_owner()).unchecked_into();
        }
        let now = inner.now();
        exclusive(&inner.machine).sync(now);
        let (p, waiter) = promise(JsValue::UNDEFINED);
        exclusive(&inner.waiting).wait_sync(waiter);
        pump(inner);
        p.unchecked_into()
    }

    /// The meter's state now: the balance and what is spendable, holds, freshness, grants
    /// and allowances from the signed snapshot (`meter.status().available`).
    pub fn status(&self) -> BalanceJs {
        self.inner.now();
        balance_value(&self.inner).unchecked_into()
    }

    /// @deprecated Use `status()` (the same object: `meter.balance().balance` read oddly);
    /// `balance()` is removed in the next release.
    pub fn balance(&self) -> BalanceJs {
        self.status()
    }

    /// Events since the last call (acknowledgements, sync failures, a discarded cache…).
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&self) -> Result<MeterEventsJs, JsValue> {
        let events = std::mem::take(&mut *exclusive(&self.inner.events));
        let mut text = String::from("[");
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(event);
        }
        text.push(']');
        parse_js(&text).map(JsCast::unchecked_into)
    }

    /// Stops the timer; pending promises stay pending. The persisted state is untouched.
    pub fn close(&self) {
        self.inner.closed.set(true);
        let handle = exclusive(&self.inner.timer).take();
        if let Some(handle) = handle {
            crate::js_host::clear_timeout(&handle);
        }
        let _ = exclusive(&self.inner.timer_cb).take();
        let release = exclusive(&self.inner.lock_release).take();
        if let Some(release) = release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }

    /// Whether this instance owns the sync loop (always true where `navigator.locks` is
    /// absent, e.g. Node).
    #[wasm_bindgen(getter, js_name = isOwner)]
    pub fn is_owner(&self) -> bool {
        self.inner.owner.get()
    }
}
