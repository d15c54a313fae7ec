//! The money helpers and `noteForModel` through the binding: exact results, coded errors,
//! and the note text being exactly what the estimate priced.
#![cfg(target_arch = "wasm32")]

use credit_meter::amounts::{add_amounts, compare_amounts, format_amount, subtract_amounts};
use credit_meter::api::estimate;
use credit_meter::note_text::note_for_model;
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn code_of(err: JsValue) -> String {
    Reflect::get(&err, &s("code")).ok().and_then(|c| c.as_string()).expect("a coded error")
}

#[wasm_bindgen_test]
fn amounts_are_exact_and_bad_ones_are_coded() {
    assert_eq!(add_amounts(&s("0.1"), &s("0.2")).unwrap(), "0.3");
    assert_eq!(subtract_amounts(&s("1"), &s("1.25")).unwrap(), "-0.25");
    assert_eq!(compare_amounts(&s("1.50"), &s("1.5")).unwrap(), 0);
    assert_eq!(compare_amounts(&s("999999999999999.9999"), &s("999999999999999.9998")).unwrap(), 1);
    assert_eq!(code_of(add_amounts(&s("1,5"), &s("1")).unwrap_err()), "BAD_AMOUNT");
    assert_eq!(code_of(add_amounts(&JsValue::from(1.5), &s("1")).unwrap_err()), "BAD_INPUT");
}

#[wasm_bindgen_test]
fn format_rounds_exactly_then_uses_the_locale() {
    let options = JSON::parse(r#"{"locale":"en-US","maximumFractionDigits":4}"#).unwrap();
    // Beyond a double's 15–17 significant digits: a float would have lost the last ones.
    assert_eq!(format_amount(&s("123456789012345.6789"), &options).unwrap(), "123,456,789,012,345.6789");
    let de = JSON::parse(r#"{"locale":"de-DE"}"#).unwrap();
    assert_eq!(format_amount(&s("1234.005"), &de).unwrap(), "1.234,01");
    let bad = JSON::parse(r#"{"maximumFractionDigits":21}"#).unwrap();
    assert_eq!(code_of(format_amount(&s("1"), &bad).unwrap_err()), "BAD_INPUT");
}

#[wasm_bindgen_test]
fn note_for_model_is_the_text_the_estimate_priced() {
    let note = "---\ntags: [a]\n---\n# Cells\n%% private %%\nA cell is alive. ![[cell.png]]\n";
    let sent = note_for_model(&s(note)).unwrap();
    assert!(!sent.contains("tags:") && !sent.contains("private") && !sent.contains("cell.png"), "{sent}");
    let request = JSON::parse(&format!(r#"{{"operation":"flashcards.generate","note":{}}}"#, JSON::stringify(&s(note)).unwrap())).unwrap();
    let e: JsValue = estimate(request.unchecked_into()).unwrap().into();
    let chars = Reflect::get(&Reflect::get(&e, &s("note")).unwrap(), &s("sentChars")).unwrap().as_f64().unwrap();
    assert_eq!(chars as usize, sent.chars().count());
    assert_eq!(code_of(note_for_model(&JsValue::NULL).unwrap_err()), "BAD_INPUT");
}
