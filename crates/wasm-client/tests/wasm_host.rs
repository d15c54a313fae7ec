//! The host adapter against real JS callbacks that misbehave in every way a host can.
#![cfg(target_arch = "wasm32")]

use credit_meter::js_host::{JsHost, Timeouts};
use credit_meter_client::host::{Callback, Host, HostError};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn host(load: &str, save: &str, pull: &str, push: &str, now: Option<&str>) -> Result<JsHost, JsValue> {
    let o = Object::new();
    for (name, body) in [("load", Some(load)), ("save", Some(save)), ("pull", Some(pull)), ("push", Some(push)), ("now", now)] {
        if let Some(body) = body {
            Reflect::set(&o, &name.into(), &Function::new_with_args("arg", body)).unwrap();
        }
    }
    JsHost::from_js(o.into(), Timeouts { storage_ms: 50, network_ms: 50 })
}

fn ok_host() -> JsHost {
    host(
        "return Promise.resolve('state')",
        "this.saved = arg; return undefined",
        "return '{\"pulled\":' + JSON.stringify(arg) + '}'",
        "return new Promise(r => setTimeout(() => r('pushed:' + arg), 5))",
        Some("return 1700000000000.7"),
    )
    .unwrap()
}

#[wasm_bindgen_test]
async fn well_behaved_callbacks_values_and_promises() {
    let h = ok_host();
    assert_eq!(h.load().await, Ok(Some("state".into())));
    assert_eq!(h.save("s1").await, Ok(()));
    assert_eq!(h.pull("p").await, Ok("{\"pulled\":\"p\"}".into()));
    assert_eq!(h.push("x").await, Ok("pushed:x".into()));
    assert_eq!(h.now(), Ok(1_700_000_000_000));
}

#[wasm_bindgen_test]
async fn sync_throws_rejections_hangs_and_bad_values_are_host_errors() {
    let h = host(
        "throw new Error('disk on fire')",
        "return Promise.reject(new TypeError('quota'))",
        "return new Promise(() => {})",
        "return 42",
        Some("return 'soon'"),
    )
    .unwrap();
    assert_eq!(h.load().await, Err(HostError::Threw(Callback::Load, "disk on fire".into())));
    assert_eq!(h.save("s").await, Err(HostError::Rejected(Callback::Save, "quota".into())));
    assert_eq!(h.pull("p").await, Err(HostError::TimedOut(Callback::Pull, 50)));
    assert!(matches!(h.push("p").await, Err(HostError::BadValue(Callback::Push, _))));
    assert!(matches!(h.now(), Err(HostError::BadValue(Callback::Now, _))));
    // Thenables that throw, rejections with non-Error values, and odd load values.
    let h =
        host("return 5", "return { then() { throw 'nope' } }", "return Promise.reject(undefined)", "throw Symbol('s')", Some("return NaN"))
            .unwrap();
    assert!(matches!(h.load().await, Err(HostError::BadValue(Callback::Load, _))));
    assert_eq!(h.save("s").await, Err(HostError::Rejected(Callback::Save, "nope".into())));
    assert!(matches!(h.pull("p").await, Err(HostError::Rejected(Callback::Pull, _))));
    assert!(matches!(h.push("p").await, Err(HostError::Threw(Callback::Push, _))));
    assert!(matches!(h.now(), Err(HostError::BadValue(Callback::Now, _))));
    // The same adapter keeps working afterwards.
    let h = ok_host();
    assert_eq!(h.load().await, Ok(Some("state".into())));
}

#[wasm_bindgen_test]
async fn null_means_nothing_saved_and_now_defaults_to_date_now() {
    let h = host("return null", "", "return ''", "return ''", None).unwrap();
    assert_eq!(h.load().await, Ok(None));
    let now = h.now().unwrap();
    assert!(now > 1_600_000_000_000, "{now}");
}

#[wasm_bindgen_test]
fn missing_or_wrong_callbacks_are_bad_input() {
    for bad in [JsValue::NULL, JsValue::from(3), JsValue::from_str("host")] {
        assert!(JsHost::from_js(bad, Timeouts::default()).is_err());
    }
    let o = Object::new();
    Reflect::set(&o, &"load".into(), &Function::new_no_args("return null")).unwrap();
    let err = JsHost::from_js(o.into(), Timeouts::default()).err().unwrap();
    let code = Reflect::get(&err, &"code".into()).unwrap().as_string();
    assert_eq!(code.as_deref(), Some("BAD_INPUT"));
    let msg = Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(msg.contains("host.save"), "{msg}");
}
