//! `Meter` end to end in a real Wasm instance (Node and headless browsers), against the
//! reference ledger, with host callbacks that reject, throw, hang, return malformed or
//! truncated JSON, deliver a response twice, and storage that fails on save.
#![cfg(target_arch = "wasm32")]

use credit_meter::meter::Meter;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::snapshot::SnapshotSigner;
use js_sys::{Function, Object, Promise, Reflect, JSON};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const T0: i64 = 1_800_000_000_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Net {
    Ok,
    Reject,
    Throw,
    Hang,
    Malformed,
    Truncated,
    Twice,
    /// Answered after 30 ms (a real network round trip).
    Slow,
}

thread_local! {
    static WORLDS: Cell<u32> = const { Cell::new(0) };
}

struct World {
    /// A device id of its own: browsers run every test in one page, and Web Locks are
    /// per account and device.
    device: String,
    ledger: RefCell<RefLedger>,
    stored: RefCell<Option<String>>,
    net: Cell<Net>,
    save_fails: Cell<bool>,
    now: Cell<i64>,
    pushes: Cell<u32>,
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |o, k| Reflect::get(&o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED))
}

fn s(v: &JsValue, path: &str) -> String {
    get(v, path).as_string().unwrap_or_else(|| format!("<{path} missing in {}>", JSON::stringify(v).map(String::from).unwrap_or_default()))
}

fn world() -> Rc<World> {
    let mut ledger = RefLedger::new(SnapshotSigner::from_seed("k1", &[7u8; 32]), LedgerConfig::default());
    let admin = |l: &mut RefLedger, body: &str| {
        let out = l.handle_admin(body, T0);
        assert!(out.contains("\"ok\":true"), "{body} -> {out}");
    };
    admin(&mut ledger, r#"{"op":"createAccount","accountId":"acct","policy":"trueRecall"}"#);
    admin(&mut ledger, r#"{"op":"purchase","accountId":"acct","purchaseId":"p1","packageId":"starter"}"#);
    let n = WORLDS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    Rc::new(World {
        device: format!("laptop{n}"),
        ledger: RefCell::new(ledger),
        stored: RefCell::new(None),
        net: Cell::new(Net::Ok),
        save_fails: Cell::new(false),
        now: Cell::new(T0),
        pushes: Cell::new(0),
    })
}

fn network(w: &Rc<World>, push: bool) -> JsValue {
    let w = w.clone();
    Closure::<dyn FnMut(String) -> Result<JsValue, JsValue>>::new(move |body: String| {
        let now = w.now.get();
        let call = |b: &str| if push { w.ledger.borrow_mut().handle_push(b, now) } else { w.ledger.borrow_mut().handle_pull(b, now) };
        if push {
            w.pushes.set(w.pushes.get() + 1);
        }
        match w.net.get() {
            Net::Ok => Ok(Promise::resolve(&JsValue::from_str(&call(&body))).into()),
            Net::Reject => Ok(Promise::reject(&js_sys::Error::new("offline").into()).into()),
            Net::Throw => Err(js_sys::Error::new("fetch is not defined").into()),
            Net::Hang => Ok(Promise::new(&mut |_, _| {}).into()),
            Net::Malformed => Ok(JsValue::from_str("<html>502 Bad Gateway</html>")),
            Net::Truncated => {
                let full = call(&body);
                Ok(JsValue::from_str(&full[..full.len() / 2]))
            }
            Net::Twice => {
                let _ = call(&body);
                Ok(JsValue::from_str(&call(&body)))
            }
            Net::Slow => {
                let answer = JsValue::from_str(&call(&body));
                Ok(Promise::new(&mut |resolve, _| {
                    let global = js_sys::global();
                    let set: Function = Reflect::get(&global, &"setTimeout".into()).unwrap().unchecked_into();
                    let _ = set.call3(&global, &resolve, &JsValue::from(30), &answer);
                })
                .into())
            }
        }
    })
    .into_js_value()
}

fn host(w: &Rc<World>) -> JsValue {
    let o = Object::new();
    let w1 = w.clone();
    let load = Closure::<dyn FnMut() -> JsValue>::new(move || match w1.stored.borrow().clone() {
        Some(s) => JsValue::from_str(&s),
        None => JsValue::NULL,
    });
    let w2 = w.clone();
    let save = Closure::<dyn FnMut(String) -> Result<JsValue, JsValue>>::new(move |state: String| {
        if w2.save_fails.get() {
            return Ok(Promise::reject(&js_sys::Error::new("QuotaExceededError").into()).into());
        }
        *w2.stored.borrow_mut() = Some(state);
        Ok(Promise::resolve(&JsValue::UNDEFINED).into())
    });
    let w3 = w.clone();
    let now = Closure::<dyn FnMut() -> f64>::new(move || w3.now.get() as f64);
    Reflect::set(&o, &"load".into(), &load.into_js_value()).unwrap();
    Reflect::set(&o, &"save".into(), &save.into_js_value()).unwrap();
    Reflect::set(&o, &"pull".into(), &network(w, false)).unwrap();
    Reflect::set(&o, &"push".into(), &network(w, true)).unwrap();
    Reflect::set(&o, &"now".into(), &now.into_js_value()).unwrap();
    o.into()
}

fn options(w: &Rc<World>) -> JsValue {
    let keys = Object::new();
    let signer = SnapshotSigner::from_seed("k1", &[7u8; 32]);
    Reflect::set(&keys, &"k1".into(), &signer.public_key_base64url().into()).unwrap();
    let o = Object::new();
    Reflect::set(&o, &"accountId".into(), &"acct".into()).unwrap();
    Reflect::set(&o, &"deviceId".into(), &w.device.as_str().into()).unwrap();
    Reflect::set(&o, &"publicKeys".into(), &keys).unwrap();
    Reflect::set(&o, &"host".into(), &host(w)).unwrap();
    let t = JSON::parse(r#"{"storageMs":200,"networkMs":200}"#).unwrap();
    Reflect::set(&o, &"timeouts".into(), &t).unwrap();
    o.into()
}

async fn open(w: &Rc<World>) -> Meter {
    Meter::open(options(w).unchecked_into()).await.expect("meter opens")
}

async fn settle(p: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    let p: Promise = p.into().unchecked_into();
    JsFuture::from(p).await
}

fn code(e: &JsValue) -> String {
    s(e, "code")
}

fn ledger_balance(w: &World) -> String {
    let out = w.ledger.borrow_mut().handle_admin(r#"{"op":"balance","accountId":"acct"}"#, w.now.get());
    let v = JSON::parse(&out).unwrap();
    s(&v, "result.balance")
}

fn ledger_open_holds(w: &World) -> String {
    let out = w.ledger.borrow_mut().handle_admin(r#"{"op":"balance","accountId":"acct"}"#, w.now.get());
    let v = JSON::parse(&out).unwrap();
    s(&v, "result.held")
}

async fn generate(m: &Meter, cards: u32) -> String {
    let est =
        m.estimate(JSON::parse(&format!(r#"{{"operation":"flashcards.generate","cards":{cards}}}"#)).unwrap().unchecked_into()).unwrap();
    let req = Object::new();
    Reflect::set(&req, &"estimate".into(), &est).unwrap();
    let d = m.decide(req.unchecked_into()).unwrap();
    assert_eq!(s(&d, "funding"), "credits");
    let hold = settle(m.reserve(JsValue::from(d).unchecked_into())).await.expect("reserved");
    s(&hold, "holdId")
}

/// The grants in `balance()` are written once per snapshot: they must still follow every
/// new snapshot, and repeated calls must give equal lists.
#[wasm_bindgen_test]
async fn balance_grants_follow_each_snapshot() {
    let w = world();
    let m = open(&w).await;
    let remaining = |b: &JsValue| {
        let grants = get(b, "grants").unchecked_into::<js_sys::Array>();
        grants.iter().map(|g| s(&g, "remaining")).collect::<Vec<_>>()
    };
    let before = m.balance().into();
    assert!(remaining(&before).is_empty(), "no snapshot yet, no grants");
    let synced = settle(m.sync()).await.expect("first sync");
    assert_eq!(remaining(&synced), ["500"]);
    assert_eq!(remaining(&m.balance().into()), ["500"]);
    assert_eq!(remaining(&m.balance().into()), ["500"], "a second call gives the same list");
    let h = generate(&m, 12).await;
    let usage = JSON::parse(r#"{"operation":"flashcards.generate","cards":10,"inputTokens":1800,"outputTokens":600}"#).unwrap();
    settle(m.commit(h.into(), usage.unchecked_into())).await.expect("committed");
    let after = settle(m.sync()).await.expect("sync");
    assert_eq!(s(&after, "balance"), "490");
    assert_eq!(remaining(&after), ["490"], "the new snapshot's grants, not the cached ones");
    assert_eq!(remaining(&m.balance().into()), ["490"]);
}

#[wasm_bindgen_test]
async fn reserve_commit_release_sync_exactly_once() {
    let w = world();
    let m = open(&w).await;
    let b = settle(m.sync()).await.expect("first sync");
    assert_eq!(s(&b, "balance"), "500");
    assert_eq!(s(&b, "freshness"), "fresh");
    assert_eq!(get(&b, "grants").unchecked_into::<js_sys::Array>().length(), 1);

    let h1 = generate(&m, 12).await;
    let usage = JSON::parse(r#"{"operation":"flashcards.generate","cards":10,"inputTokens":1800,"outputTokens":600}"#).unwrap();
    let done = settle(m.commit(h1.clone().into(), usage.unchecked_into())).await.expect("committed");
    assert_eq!(s(&done, "credits"), "10");
    let h2 = generate(&m, 5).await;
    settle(m.release(h2.into())).await.expect("released");
    assert!(w.stored.borrow().as_deref().is_some_and(|st| st.contains("\"outbox\"")), "persisted before sent");
    let b = settle(m.sync()).await.expect("sync");
    assert_eq!(s(&b, "balance"), "490");
    assert_eq!(get(&b, "outbox").as_f64(), Some(0.0));
    assert_eq!(ledger_balance(&w), "490", "charged exactly the actual usage");
    assert_eq!(ledger_open_holds(&w), "0");
    // Reopening from storage gives the same signed balance without the network.
    m.close();
    w.net.set(Net::Hang);
    let again = open(&w).await;
    owned(&again).await;
    assert_eq!(s(&again.balance().into(), "balance"), "490");
    again.close();
}

#[wasm_bindgen_test]
async fn sync_waits_for_what_was_saved_while_a_push_was_in_flight() {
    let w = world();
    w.net.set(Net::Slow);
    let m = open(&w).await;
    settle(m.sync()).await.expect("first sync");
    let h1 = generate(&m, 4).await;
    let h2 = generate(&m, 4).await;
    let usage = JSON::parse(r#"{"operation":"flashcards.generate","cards":3,"inputTokens":900,"outputTokens":300}"#).unwrap();
    let committing = m.commit(h1.into(), usage.unchecked_into());
    sleep(5).await; // the commit is saved and its push is on the wire
    let releasing = m.release(h2.into()); // saved during that push: not in it
    let b = settle(m.sync()).await.expect("sync");
    assert_eq!(get(&b, "outbox").as_f64(), Some(0.0), "sync() settled with mutations still unsent");
    assert_eq!(ledger_open_holds(&w), "0", "the release reached the ledger before sync() settled");
    settle(committing).await.expect("committed");
    settle(releasing).await.expect("released");
    m.close();
}

#[wasm_bindgen_test]
async fn insufficient_credits_carries_the_way_out() {
    let w = world();
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    let args = JSON::parse(r#"{"operation":"flashcards.generate","amount":"600"}"#).unwrap();
    let e = settle(m.reserve(args.unchecked_into())).await.unwrap_err();
    assert_eq!(code(&e), "INSUFFICIENT_CREDITS");
    assert_eq!(s(&e, "shortfall"), "100");
    assert_eq!(s(&e, "package.id"), "starter");
    assert_eq!(JSON::stringify(&get(&e, "options")).unwrap(), "[\"buyCredits\",\"useOwnKey\"]");
    m.close();
}

#[wasm_bindgen_test]
async fn every_network_fault_is_retried_and_nothing_is_charged_twice() {
    for fault in [Net::Reject, Net::Throw, Net::Hang, Net::Malformed, Net::Truncated] {
        let w = world();
        let m = open(&w).await;
        settle(m.sync()).await.unwrap();
        let h = generate(&m, 3).await;
        let c = JSON::parse(r#"{"credits":"3"}"#).unwrap();
        w.net.set(fault);
        settle(m.commit(h.into(), c.unchecked_into())).await.expect("commit is durable locally even offline");
        let e = settle(m.sync()).await.unwrap_err();
        assert!(!code(&e).is_empty(), "{fault:?}: a coded failure");
        assert_eq!(
            get(&m.balance().into(), "outbox").as_f64(),
            Some(1.0),
            "{fault:?}: the commit is still queued (the reserve went out before the fault)"
        );
        w.net.set(Net::Ok);
        let b = settle(m.sync()).await.expect("recovers");
        assert_eq!(get(&b, "outbox").as_f64(), Some(0.0), "{fault:?}");
        assert_eq!(ledger_balance(&w), "497", "{fault:?}: charged once");
        m.close();
    }
}

#[wasm_bindgen_test]
async fn a_response_delivered_twice_is_harmless() {
    let w = world();
    w.net.set(Net::Twice);
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    for _ in 0..3 {
        let h = generate(&m, 2).await;
        settle(m.commit(h.into(), JSON::parse(r#"{"credits":"2"}"#).unwrap().unchecked_into())).await.unwrap();
    }
    settle(m.sync()).await.unwrap();
    assert_eq!(ledger_balance(&w), "494");
    m.close();
}

#[wasm_bindgen_test]
async fn a_failed_save_means_the_operation_did_not_happen() {
    let w = world();
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    let pushes = w.pushes.get();
    w.save_fails.set(true);
    let args = JSON::parse(r#"{"operation":"flashcards.generate","amount":"5"}"#).unwrap();
    let e = settle(m.reserve(args.clone().unchecked_into())).await.unwrap_err();
    assert_eq!(code(&e), "SAVE_FAILED");
    assert_eq!(w.pushes.get(), pushes, "nothing unsaved was sent");
    assert_eq!(s(&m.balance().into(), "heldOwn"), "0");
    w.save_fails.set(false);
    let hold = settle(m.reserve(args.unchecked_into())).await.expect("works again");
    assert!(s(&hold, "holdId").starts_with(&format!("{}:", w.device)));
    m.close();
}

#[wasm_bindgen_test]
async fn a_tampered_cache_is_discarded_reported_and_resynced() {
    let w = world();
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    m.close();
    let forged = w.stored.borrow().clone().unwrap().replace("\"payload\":\"", "\"payload\":\"x");
    *w.stored.borrow_mut() = Some(forged);
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let opts = options(&w);
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| seen2.borrow_mut().push(s(&e, "type")));
    Reflect::set(&get(&opts, "host"), &"onEvent".into(), &listener.into_js_value()).unwrap();
    let m = Meter::open(opts.unchecked_into()).await.unwrap();
    owned(&m).await;
    let events = m.take_events().unwrap();
    let text = String::from(JSON::stringify(&events).unwrap());
    assert!(text.contains("TAMPERED_CACHE"), "{text}");
    assert!(seen.borrow().iter().any(|t| t == "cacheDiscarded"), "host told: {:?}", seen.borrow());
    let b = settle(m.sync()).await.unwrap();
    assert_eq!(s(&b, "balance"), "500");
    m.close();
}

#[wasm_bindgen_test]
async fn concurrent_calls_on_one_meter_are_safe() {
    let w = world();
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    let args = JSON::parse(r#"{"operation":"flashcards.generate","amount":"1"}"#).unwrap();
    let ps = js_sys::Array::new();
    for _ in 0..8 {
        ps.push(&m.reserve(args.clone().unchecked_into()).into());
        ps.push(&m.sync().into());
    }
    let all = settle(Promise::all(&ps)).await.expect("no recursive-use errors");
    let ids: std::collections::BTreeSet<String> =
        (0..16).step_by(2).map(|i| s(&all.unchecked_ref::<js_sys::Array>().get(i), "holdId")).collect();
    assert_eq!(ids.len(), 8);
    let b = settle(m.sync()).await.unwrap();
    assert_eq!(s(&b, "heldOwn"), "8");
    assert_eq!(ledger_open_holds(&w), "8");
    m.close();
}

#[wasm_bindgen_test]
async fn hostile_arguments_are_coded_errors_and_the_meter_keeps_working() {
    let w = world();
    let m = open(&w).await;
    settle(m.sync()).await.unwrap();
    let bad: Vec<JsValue> = vec![
        JsValue::NULL,
        JsValue::from(5),
        JsValue::from_str("x"),
        JSON::parse(r#"{"operation":"flashcards.generate","amount":"-1"}"#).unwrap(),
        JSON::parse(r#"{"operation":"flashcards.generate","amount":"1e400"}"#).unwrap(),
        JSON::parse(r#"{"operation":"flashcards.generate","amount":"NaN"}"#).unwrap(),
        JSON::parse(r#"{"operation":"flashcards.generate","amount":12}"#).unwrap(),
        JSON::parse(r#"{"operation":"flashcards.generate"}"#).unwrap(),
        JSON::parse(r#"{"operation":"flashcards.generate","funding":"byok","reserve":"0"}"#).unwrap(),
    ];
    for b in bad {
        let e = settle(m.reserve(b.clone().unchecked_into())).await.unwrap_err();
        assert!(["BAD_INPUT", "BAD_AMOUNT"].contains(&code(&e).as_str()), "{b:?}: {}", code(&e));
    }
    for h in [JsValue::NULL, JsValue::from(1), JsValue::from_str("nope")] {
        let e = settle(m.release(h.clone())).await.unwrap_err();
        assert!(["BAD_INPUT", "UNKNOWN_HOLD"].contains(&code(&e).as_str()), "{h:?}");
        let e = settle(m.commit(h, JSON::parse(r#"{"credits":"1"}"#).unwrap().unchecked_into())).await.unwrap_err();
        assert!(!code(&e).is_empty());
    }
    let h = generate(&m, 1).await;
    for c in [
        r#"{"credits":"-1"}"#,
        r#"{"credits":1}"#,
        r#"{}"#,
        r#"{"operation":"nope","cards":1}"#,
        r#"{"operation":"flashcards.generate","cards":-2}"#,
    ] {
        let e = settle(m.commit(h.clone().into(), JSON::parse(c).unwrap().unchecked_into())).await.unwrap_err();
        assert!(!code(&e).is_empty(), "{c}");
    }
    settle(m.commit(h.into(), JSON::parse(r#"{"credits":"1"}"#).unwrap().unchecked_into())).await.expect("still works");
    for bad_opts in [JsValue::NULL, JSON::parse(r#"{"accountId":"a"}"#).unwrap()] {
        let e = Meter::open(bad_opts.unchecked_into()).await.err().unwrap();
        assert_eq!(code(&e), "BAD_INPUT");
    }
    let _ = Function::new_no_args("");
    m.close();
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set: Function = Reflect::get(&global, &"setTimeout".into()).unwrap().unchecked_into();
        let _ = set.call2(&global, &resolve, &JsValue::from(ms));
    });
    let _ = JsFuture::from(p).await;
}

/// Waits until `m` owns the sync loop (in browsers the previous owner's lock is released
/// asynchronously after its close).
async fn owned(m: &Meter) {
    for _ in 0..100 {
        if m.is_owner() {
            return;
        }
        sleep(10).await;
    }
    panic!("the meter never became the owner");
}

fn has_web_locks() -> bool {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    nav.is_object() && Reflect::get(&nav, &"locks".into()).map(|l| l.is_object()).unwrap_or(false)
}

#[wasm_bindgen_test]
async fn one_tab_owns_the_sync_loop() {
    let w = world();
    let a = open(&w).await;
    settle(a.sync()).await.unwrap();
    let b = open(&w).await;
    let locks = has_web_locks();
    if option_env!("CREDIT_METER_EXPECT_ENV") == Some("browser") {
        assert!(locks, "browsers under test have navigator.locks");
    }
    if !locks {
        // Node: no Web Locks; each instance runs its own loop (one per device, as documented).
        assert!(a.is_owner() && b.is_owner());
        a.close();
        b.close();
        return;
    }
    assert!(a.is_owner() && !b.is_owner());
    let args = JSON::parse(r#"{"operation":"flashcards.generate","amount":"1"}"#).unwrap();
    let e = settle(b.reserve(args.clone().unchecked_into())).await.unwrap_err();
    assert_eq!(code(&e), "NOT_OWNER");
    assert_eq!(s(&b.balance().into(), "balance"), "500", "a reader still sees the balance");
    let hold = settle(a.reserve(args.clone().unchecked_into())).await.unwrap();
    a.close();
    for _ in 0..100 {
        if b.is_owner() {
            break;
        }
        sleep(10).await;
    }
    assert!(b.is_owner(), "the waiting tab takes over when the owner closes");
    sleep(20).await;
    assert_eq!(s(&b.balance().into(), "heldOwn"), "1", "it reloaded the owner's saved hold");
    settle(b.release(get(&hold, "holdId"))).await.expect("the new owner can change things");
    let bal = settle(b.sync()).await.unwrap();
    assert_eq!(s(&bal, "heldOwn"), "0");
    b.close();
}
