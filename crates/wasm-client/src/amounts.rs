//! The money helpers: compare, add, subtract and format amounts written as decimal strings
//! (`credit_meter_core::amount_text` does the exact arithmetic and the rounding; the
//! locale's digits and separators come from the engine's `Intl.NumberFormat`, which is
//! handed the already-rounded decimal string, never a float).

use super::convert::{string_arg, type_name};
use crate::js_error::{bad_input, to_js_error};
use credit_meter_core::amount_text::{self, MAX_DISPLAY_FRACTION_DIGITS};
use js_sys::{Object, Reflect};
use std::cmp::Ordering;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.NumberFormat`.
    #[wasm_bindgen(js_namespace = Intl, js_name = NumberFormat)]
    type NumberFormat;

    /// `new Intl.NumberFormat(locales, options)`; throws `RangeError` for a malformed locale.
    #[wasm_bindgen(constructor, js_namespace = Intl, js_class = "NumberFormat", catch)]
    fn new(locales: &JsValue, options: &Object) -> Result<NumberFormat, JsValue>;

    /// `format(decimalString)`: a string argument is read as an exact decimal.
    #[wasm_bindgen(method, structural, js_name = format)]
    fn format_decimal(this: &NumberFormat, value: &str) -> String;
}

/// The fraction digits `formatAmount` keeps when none are given.
const DEFAULT_FRACTION_DIGITS: u32 = 2;

/// Compares two amounts by value: -1 when `a < b`, 0 when equal (`"1.50"` and `"1.5"`), 1
/// when `a > b`. Exact; throws `BAD_AMOUNT` for a string that is not a decimal.
#[wasm_bindgen(js_name = compareAmounts, unchecked_return_type = "-1 | 0 | 1")]
pub fn compare_amounts(
    #[wasm_bindgen(unchecked_param_type = "Decimal")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Decimal")] b: &JsValue,
) -> Result<i32, JsValue> {
    let order = amount_text::compare(&string_arg(a, "a")?, &string_arg(b, "b")?).map_err(to_js_error)?;
    Ok(match order {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    })
}

/// `a + b` exactly, as a decimal string (`addAmounts("0.1", "0.2")` is `"0.3"`).
#[wasm_bindgen(js_name = addAmounts, unchecked_return_type = "Decimal")]
pub fn add_amounts(
    #[wasm_bindgen(unchecked_param_type = "Decimal")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Decimal")] b: &JsValue,
) -> Result<String, JsValue> {
    amount_text::add(&string_arg(a, "a")?, &string_arg(b, "b")?).map_err(to_js_error)
}

/// `a − b` exactly, as a decimal string; negative (`"-2.5"`) when `b > a`.
#[wasm_bindgen(js_name = subtractAmounts, unchecked_return_type = "Decimal")]
pub fn subtract_amounts(
    #[wasm_bindgen(unchecked_param_type = "Decimal")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Decimal")] b: &JsValue,
) -> Result<String, JsValue> {
    amount_text::subtract(&string_arg(a, "a")?, &string_arg(b, "b")?).map_err(to_js_error)
}

/// An amount for display in a locale: rounded half away from zero to at most
/// `maximumFractionDigits` (default 2, at most 20) digits, then written with the locale's
/// separators (`formatAmount("1234.5", { locale: "de-DE" })` is `"1.234,5"`). `locale` is a
/// BCP 47 tag or a list of them; absent, the runtime's default locale.
#[wasm_bindgen(js_name = formatAmount)]
pub fn format_amount(
    #[wasm_bindgen(unchecked_param_type = "Decimal")] amount: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "FormatAmountOptions")] options: &JsValue,
) -> Result<String, JsValue> {
    let amount = string_arg(amount, "amount")?;
    let (locale, digits) = format_options(options)?;
    let rounded = amount_text::round_for_display(&amount, digits)
        .map_err(to_js_error)?
        .ok_or_else(|| bad_input(&format!("maximumFractionDigits must be at most {MAX_DISPLAY_FRACTION_DIGITS}")))?;
    let intl_options = Object::new();
    let digits = JsValue::from(digits);
    let _ = Reflect::set(&intl_options, &JsValue::from_str("maximumFractionDigits"), &digits);
    let _ = Reflect::set(&intl_options, &JsValue::from_str("minimumFractionDigits"), &JsValue::from(0));
    let format = NumberFormat::new(&locale, &intl_options)
        .map_err(|e| bad_input(&["locale is not a valid BCP 47 language tag: ", &crate::js_host::describe(&e)].concat()))?;
    Ok(format.format_decimal(&rounded))
}

/// `{ locale?, maximumFractionDigits? }` read and checked: the locale as given (a string, a
/// list of strings, or undefined) and the digits.
fn format_options(options: &JsValue) -> Result<(JsValue, u32), JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok((JsValue::UNDEFINED, DEFAULT_FRACTION_DIGITS));
    }
    if !options.is_object() {
        return Err(bad_input(&["options must be an object, got ", type_name(options)].concat()));
    }
    let unreadable = |e: JsValue| bad_input(&["options cannot be read: ", &crate::js_host::describe(&e)].concat());
    let locale = Reflect::get(options, &JsValue::from_str("locale")).map_err(unreadable)?;
    let locale_ok = locale.is_undefined()
        || locale.is_string()
        || (js_sys::Array::is_array(&locale) && js_sys::Array::from(&locale).iter().all(|l| l.is_string()));
    if !locale_ok {
        return Err(bad_input(&["locale must be a string or an array of strings, got ", type_name(&locale)].concat()));
    }
    let digits = Reflect::get(options, &JsValue::from_str("maximumFractionDigits")).map_err(unreadable)?;
    let digits = if digits.is_undefined() {
        DEFAULT_FRACTION_DIGITS
    } else {
        match digits.as_f64() {
            Some(d) if d.fract() == 0.0 && (0.0..=f64::from(MAX_DISPLAY_FRACTION_DIGITS)).contains(&d) => d as u32,
            _ => {
                return Err(bad_input(&format!("maximumFractionDigits must be an integer from 0 to {MAX_DISPLAY_FRACTION_DIGITS}")));
            }
        }
    };
    Ok((locale, digits))
}
