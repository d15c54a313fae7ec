//! Hostile input through the binding from Rust-side JsValues, in Node and headless
//! browsers: every exported function, the `Catalog` class and every `Meter` method, each
//! argument slot × wrong types, null/undefined/missing fields, NaN/±Infinity, negative and
//! huge amounts, lone surrogates, a 10 MB string, `__proto__` keys, throwing getters and
//! proxies. A refused call is an `Error` with a documented string `code`, changes nothing
//! persisted, and the instance answers a known-good call as before (tests/node/hostile.test.mjs
//! does the same from plain JS, over every export found by enumeration).
#![cfg(target_arch = "wasm32")]

use credit_meter::api::{calibrate, decide, default_catalog, estimate, estimate_tokens, load_catalog, Catalog};
use credit_meter::meter::Meter;
use credit_meter_ledger_wasm::ledger::{ledger_policy, replay_ledger};
use credit_meter_ledger_wasm::ref_ledger::ReferenceLedger;
use js_sys::{Array, Function, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

/// Every code the package documents (README, .d.ts, docs/PROTOCOL.md §7, the ledger's).
const CODES: &[&str] = &[
    "BAD_INPUT",
    "BAD_AMOUNT",
    "BAD_CATALOG",
    "UNKNOWN_MODEL",
    "UNKNOWN_OPERATION",
    "UNKNOWN_ENCODING",
    "BAD_KEY",
    "BAD_SIGNATURE",
    "UNKNOWN_KEY",
    "WRONG_ACCOUNT",
    "ROLLBACK",
    "BAD_SNAPSHOT",
    "BAD_RESPONSE",
    "TRANSPORT_FAILED",
    "TIMEOUT",
    "NOT_ACKNOWLEDGED",
    "TAMPERED_CACHE",
    "SAVE_FAILED",
    "STORAGE_FAILED",
    "HOST_FAILED",
    "HOST_TIMEOUT",
    "INSUFFICIENT_CREDITS",
    "OFFLINE_LIMIT",
    "NO_SNAPSHOT",
    "NOT_OPEN",
    "UNKNOWN_HOLD",
    "OUTBOX_FULL",
    "NOT_OWNER",
    "INSUFFICIENT_ALLOWANCE",
    "NOT_REFUNDABLE",
    "DUPLICATE_ID",
    "NOT_FOUND",
    "ALREADY_GRANTED",
    "CLOCK_BACKWARDS",
    "REPLAY_MISMATCH",
];

/// `values(kind, good)` → `[[label, value, mustThrow], …]`, built in JS (BigInts, Symbols,
/// proxies, lone surrogates and `__proto__` keys are easiest made there).
const VALUES_JS: &str = r#"
const LONE = "\uD800abc\uDFFF";
const BIG = "x".repeat(10 * 1024 * 1024);
// Content the callee accepts and works through (token counting, a note): 1 MB here, since
// these tests run the debug build and Firefox stops a script that runs 10 s without
// yielding; tests/node/hostile.test.mjs feeds the release package 10 MB of it.
const LONG = "x".repeat(1024 * 1024);
const boom = () => { throw new Error("trap"); };
const proxy = () => new Proxy({}, { get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom });
const revoked = () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
const wrong = () => [["1", 1], ["true", true], ["array", ["a"]], ["function", () => 1], ["symbol", Symbol("s")], ["bigint", 5n],
  ["null", null], ["undefined", undefined], ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["1e300", 1e300],
  ["revoked proxy", revoked()]].map(([l, v]) => [l, v, true]);
const decimal = (s) => typeof s === "string" && /^\d+(\.\d+)?$/.test(s);
return function values(kind, good) {
  if (kind === "text") return [...wrong(), ["object", {}, true], ["lone", LONE, false], ["1 MB", LONG, false]];
  if (kind === "name") return [...wrong(), ["object", {}, true], ["empty", "", true], ["lone", LONE, true], ["10 MB", BIG, true]];
  if (kind === "id") return [...wrong(), ["object", {}, true], ["empty", "", false], ["lone", LONE, false], ["10 MB", BIG, false], ["1 MB", LONG, false]];
  const strict = kind === "object";
  const out = [...wrong(), ["empty object", {}, true], ["malformed text", "{\"a\":", true], ["lone text", LONE, true],
    ["10 MB text", BIG, true], ["throwing proxy", proxy(), true],
    ["throwing getter", Object.defineProperty({ ...good }, "boom", { enumerable: true, get: boom }), true],
    ["bigint field", { ...good, big: 1n }, true],
    ["__proto__ key", JSON.parse("{\"__proto__\":{\"x\":1}," + JSON.stringify(good).slice(1)), strict],
    ["unknown field", { ...good, unknownField: 1 }, strict]];
  for (const k of Object.keys(good)) {
    const g = good[k];
    const put = (l, v, t) => out.push([k + "=" + l, { ...good, [k]: v }, t]);
    const missing = { ...good };
    delete missing[k];
    out.push([k + " missing", missing, false]);
    put("bigint", 10n, true); put("lone", LONE, true); put("NaN", NaN, false); put("null", null, false);
    if (typeof g === "string") {
      put("number", 7, true); put("array", [g], true);
      if (decimal(g)) put("10 MB", BIG, true); else put("1 MB", LONG, false);
      if (decimal(g)) for (const a of ["-1", "1e400", "NaN", "Infinity", "", " 1"]) put(JSON.stringify(a), a, true);
    } else if (typeof g === "number") {
      put("string", String(g), true); put("1.5", 1.5, true); put("1e300", 1e300, true); put("-1", -1, false);
    } else if (typeof g === "boolean") {
      put("string", "yes", true);
    } else if (g && typeof g === "object") {
      put("string", "x", true); put("number", 1, true);
    }
  }
  return out;
};
"#;

fn values(kind: &str, good: &JsValue) -> Vec<(String, JsValue, bool)> {
    thread_local! {
        static F: Function = Function::new_no_args(VALUES_JS).call0(&JsValue::UNDEFINED).unwrap().unchecked_into();
    }
    let arr: Array = F.with(|f| f.call2(&JsValue::UNDEFINED, &kind.into(), good)).unwrap().unchecked_into();
    arr.iter()
        .map(|e| {
            let e: Array = e.unchecked_into();
            (e.get(0).as_string().unwrap(), e.get(1), e.get(2).as_bool().unwrap())
        })
        .collect()
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn text(v: &JsValue) -> String {
    JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Checks one outcome; true when it was refused.
fn outcome(label: &str, r: Result<JsValue, JsValue>, must_throw: bool) -> bool {
    match r {
        Err(e) => {
            assert!(e.is_instance_of::<js_sys::Error>(), "{label}: an Error, got {e:?}");
            let code = get(&e, "code").as_string().unwrap_or_else(|| panic!("{label}: a string code on {e:?}"));
            assert!(CODES.contains(&code.as_str()), "{label}: documented code, got {code}");
            let msg = get(&e, "message").as_string().unwrap_or_default();
            assert!(!msg.is_empty() && msg.chars().count() < 4000, "{label}: clear, bounded message ({} chars)", msg.len());
            true
        }
        Ok(v) => {
            assert!(!must_throw, "{label}: must be refused, returned {}", text(&v).chars().take(100).collect::<String>());
            false
        }
    }
}

type Call = Box<dyn Fn(Vec<JsValue>) -> Result<JsValue, JsValue>>;

/// One export: its slots (kind, good value) and how to call it.
struct Export {
    name: &'static str,
    slots: Vec<(&'static str, JsValue)>,
    call: Call,
}

fn exports() -> Vec<Export> {
    let est =
        || estimate(json(r##"{"operation":"flashcards.generate","note":"# Cells\nCells divide. Cells grow."}"##).unchecked_into()).unwrap();
    let decide_req = {
        let r = json(r#"{"balance":"100","byok":false}"#);
        Reflect::set(&r, &"estimate".into(), &est()).unwrap();
        r
    };
    let calibrate_req = {
        let r = json(r#"{"state":null,"cards":4,"outputTokens":300}"#);
        Reflect::set(&r, &"estimate".into(), &est()).unwrap();
        r
    };
    let catalog = || Catalog::load(default_catalog().unwrap().unchecked_into()).unwrap();
    let saved_ledger = {
        let a = credit_meter_ledger_wasm::ledger::LedgerAccount::new("trueRecall".into()).unwrap();
        a.to_json().unwrap()
    };
    let e = |name, slots, call: Call| Export { name, slots, call };
    vec![
        e(
            "estimateTokens",
            vec![("text", "Hello world".into()), ("name", "o200k_base".into())],
            Box::new(|a| estimate_tokens(a[0].clone(), a[1].clone()).map(JsValue::from)),
        ),
        e(
            "estimate",
            vec![("object", json(r#"{"operation":"message","text":"Hello","encoding":"cl100k_base"}"#))],
            Box::new(|a| estimate(a[0].clone().unchecked_into()).map(Into::into)),
        ),
        e("decide", vec![("object", decide_req.clone())], Box::new(|a| decide(a[0].clone().unchecked_into()).map(Into::into))),
        e("calibrate", vec![("object", calibrate_req)], Box::new(|a| calibrate(a[0].clone().unchecked_into()).map(Into::into))),
        e("defaultCatalog", vec![], Box::new(|_| default_catalog().map(Into::into))),
        e(
            "loadCatalog",
            vec![("object", default_catalog().unwrap().into())],
            Box::new(|a| load_catalog(a[0].clone().unchecked_into()).map(Into::into)),
        ),
        e(
            "Catalog.load",
            vec![("object", default_catalog().unwrap().into())],
            Box::new(|a| Catalog::load(a[0].clone().unchecked_into()).map(Into::into)),
        ),
        e("Catalog.default", vec![], Box::new(|_| Ok(Catalog::default_().into()))),
        e(
            "Catalog#estimate",
            vec![("object", json(r#"{"operation":"message","inputTokens":10}"#))],
            Box::new(move |a| catalog().estimate(a[0].clone().unchecked_into()).map(Into::into)),
        ),
        e(
            "Catalog#decide",
            vec![("object", decide_req)],
            Box::new(move |a| catalog().decide(a[0].clone().unchecked_into()).map(Into::into)),
        ),
        e("Catalog#packages", vec![], Box::new(move |_| catalog().packages().map(Into::into))),
        e("Catalog#toJSON", vec![], Box::new(move |_| catalog().to_json().map(Into::into))),
        e("Catalog#revision", vec![], Box::new(move |_| Ok(catalog().revision().into()))),
        e("ledgerPolicy", vec![("name", "assistLore".into())], Box::new(|a| ledger_policy(a[0].clone()))),
        e("replayLedger", vec![("object", saved_ledger)], Box::new(|a| replay_ledger(a[0].clone()))),
    ]
}

/// Yields to the event loop (a browser's test runner polls the page between cases; a
/// debug build spends a while on a 10 MB string).
async fn tick() {
    let p = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set: Function = get(&global, "setTimeout").unchecked_into();
        let _ = set.call2(&global, &resolve, &0.into());
    });
    let _ = JsFuture::from(p).await;
}

#[wasm_bindgen_test]
async fn every_exported_function_refuses_hostile_arguments_with_codes() {
    let mut cases = 0;
    for ex in exports() {
        let good: Vec<JsValue> = ex.slots.iter().map(|(_, g)| g.clone()).collect();
        let expected = text(&(ex.call)(good.clone()).unwrap_or_else(|e| panic!("{}: the good call works: {e:?}", ex.name)));
        for (i, (kind, g)) in ex.slots.iter().enumerate() {
            for (label, value, must_throw) in values(kind, g) {
                let mut args = good.clone();
                args[i] = value;
                outcome(&format!("{} arg {i} {label}", ex.name), (ex.call)(args), must_throw);
                cases += 1;
                assert_eq!(text(&(ex.call)(good.clone()).unwrap()), expected, "{} after {label}: answers as before", ex.name);
                tick().await;
            }
        }
    }
    web_sys_log(&format!("wasm_hostile: {cases} hostile cases over exported functions"));
}

fn web_sys_log(msg: &str) {
    wasm_bindgen_test::console_log!("{msg}");
}

// ---------------------------------------------------------------- Meter

const WORLD_JS: &str = r#"
const T = Date.now();
ledger.admin(JSON.stringify({ op: "createAccount", accountId: "alice", policy: "trueRecall" }), T);
ledger.admin(JSON.stringify({ op: "purchase", accountId: "alice", purchaseId: "o1", packageId: "starter" }), T);
const store = { saved: null };
const host = {
  load: async () => store.saved,
  save: async (s) => { store.saved = s; },
  pull: async (r) => ledger.pull(r, Date.now()),
  push: async (r) => ledger.push(r, Date.now()),
};
const options = (deviceId) => ({ accountId: "alice", deviceId, publicKeys: ledger.publicKeys(), host });
const probe = () => ({ accountId: "alice", deviceId: "probe", publicKeys: ledger.publicKeys(),
  host: { load: async () => store.saved, save: async () => {}, pull: async () => "{}", push: async () => "{}" } });
const tick = () => new Promise((r) => setTimeout(r, 0));
return { store, options, probe, tick };
"#;

async fn settle(p: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(p.into().unchecked_into::<Promise>()).await
}

struct MeterWorld {
    w: JsValue,
    meter: Meter,
}

impl MeterWorld {
    async fn new(device: &str) -> MeterWorld {
        let seed = credit_meter_protocol::base64url::encode(&[7u8; 32]);
        let options = json(&format!(r#"{{"kid":"k1","seed":"{seed}"}}"#));
        let ledger: JsValue = ReferenceLedger::new(options.unchecked_into()).unwrap().into();
        let w = Function::new_with_args("ledger", WORLD_JS).call1(&JsValue::UNDEFINED, &ledger).unwrap();
        let options = self_call(&w, "options", &device.into());
        let meter = Meter::open(options.unchecked_into()).await.expect("meter opens");
        settle(meter.sync()).await.expect("first sync");
        MeterWorld { w, meter }
    }

    /// Lets the saves and pushes that follow an accepted call finish.
    async fn quiet(&self) {
        settle(self.meter.sync()).await.expect("sync");
        for _ in 0..3 {
            settle(self_call(&self.w, "tick", &JsValue::UNDEFINED)).await.unwrap();
        }
    }

    fn state(&self) -> String {
        let b: JsValue = self.meter.balance().into();
        let saved = get(&get(&self.w, "store"), "saved").as_string().unwrap_or_default();
        format!("{saved}|{}|{}|{}", text(&get(&b, "balance")), text(&get(&b, "outbox")), text(&get(&b, "heldOwn")))
    }
}

fn self_call(o: &JsValue, name: &str, arg: &JsValue) -> JsValue {
    get(o, name).unchecked_into::<Function>().call1(o, arg).unwrap()
}

#[wasm_bindgen_test]
async fn every_meter_method_refuses_hostile_arguments_with_codes_and_keeps_its_state() {
    let mw = MeterWorld::new("hostile").await;
    let m = &mw.meter;
    let hold = settle(m.reserve(json(r#"{"operation":"flashcards.generate","amount":"3"}"#).unchecked_into())).await.expect("reserved");
    let hold_id = get(&hold, "holdId");
    mw.quiet().await;
    let est = m.estimate(json(r#"{"operation":"flashcards.generate","cards":2}"#).unchecked_into()).unwrap();
    let decide_req = js_sys::Object::new();
    Reflect::set(&decide_req, &"estimate".into(), &est).unwrap();
    Reflect::set(&decide_req, &"byok".into(), &false.into()).unwrap();
    let good_estimate = text(&m.estimate(json(r#"{"operation":"message","inputTokens":10}"#).unchecked_into()).unwrap());
    let mut cases = 0;
    // (method, slots, async): each call returns the result or the rejection.
    let slots: Vec<(&str, Vec<(&str, JsValue)>)> = vec![
        ("open", vec![("object", self_call(&mw.w, "probe", &JsValue::UNDEFINED))]),
        ("estimate", vec![("object", json(r#"{"operation":"flashcards.generate","note":"Cells divide."}"#))]),
        ("decide", vec![("object", decide_req.into())]),
        ("reserve", vec![("loose", json(r#"{"operation":"flashcards.generate","amount":"1"}"#))]),
        ("commit", vec![("id", hold_id.clone()), ("object", json(r#"{"credits":"1"}"#))]),
        ("release", vec![("id", "no-such-hold".into())]),
    ];
    for (method, slots) in slots {
        let good: Vec<JsValue> = slots.iter().map(|(_, g)| g.clone()).collect();
        for (i, (kind, g)) in slots.iter().enumerate() {
            for (label, value, must_throw) in values(kind, g) {
                let mut a = good.clone();
                a[i] = value;
                let before = mw.state();
                let r = match method {
                    "open" => Meter::open(a[0].clone().unchecked_into()).await.map(|opened| {
                        opened.close();
                        JsValue::TRUE
                    }),
                    "estimate" => m.estimate(a[0].clone().unchecked_into()).map(Into::into),
                    "decide" => m.decide(a[0].clone().unchecked_into()).map(Into::into),
                    "reserve" => settle(m.reserve(a[0].clone().unchecked_into())).await,
                    "commit" => settle(m.commit(a[0].clone(), a[1].clone().unchecked_into())).await,
                    _ => settle(m.release(a[0].clone())).await,
                };
                let label = format!("Meter.{method} arg {i} {label}");
                let accepted_hold = r.as_ref().ok().map(|v| get(v, "holdId")).filter(|h| h.is_string() && *h != hold_id);
                if outcome(&label, r, must_throw) {
                    assert_eq!(mw.state(), before, "{label}: a refused call changes nothing persisted");
                } else {
                    if let Some(h) = accepted_hold {
                        settle(m.release(h)).await.expect("release what was accepted");
                    }
                    mw.quiet().await;
                }
                assert_eq!(
                    text(&m.estimate(json(r#"{"operation":"message","inputTokens":10}"#).unchecked_into()).unwrap()),
                    good_estimate,
                    "{label}"
                );
                cases += 1;
                tick().await;
            }
        }
    }
    // The methods without parameters still answer, and the hold still commits, once.
    assert!(m.take_events().is_ok());
    assert!(m.is_owner());
    let before: JsValue = m.balance().into();
    settle(m.commit(hold_id, json(r#"{"credits":"2"}"#).unchecked_into())).await.expect("the good commit works");
    let after = settle(m.sync()).await.expect("sync");
    let spent = |b: &JsValue| get(b, "balance").as_string().unwrap().parse::<i64>().unwrap();
    assert_eq!(spent(&before) - spent(&after), 2, "charged exactly once");
    m.close();
    assert_eq!(get(&m.balance().into(), "balance"), get(&after, "balance"), "a closed meter still reads");
    web_sys_log(&format!("wasm_hostile: {cases} hostile cases over Meter methods"));
}
