//! The exported functions and the `Catalog` class.

use super::convert::{object_arg, string_arg, to_js, type_name};
use super::text::with_utf8;
use super::types::*;
use crate::catalog::{Catalog as CoreCatalog, CatalogDefinition};
use crate::error::{BAD_CATALOG, BAD_INPUT};
use crate::estimate::{self, Encoding, EstimateRequest};
use crate::funding::{self, DecideRequest};
use crate::js_error::{coded_error, to_js_error};
use wasm_bindgen::prelude::*;

thread_local! {
    static DEFAULT_CATALOG: CoreCatalog = CoreCatalog::default_catalog();
    /// The encoding names as JS strings, to compare arguments with.
    static ENCODING_NAMES: [(JsValue, Encoding); 2] =
        [Encoding::O200kBase, Encoding::Cl100kBase].map(|e| (JsValue::from_str(e.name()), e));
}

/// The default catalog, parsed once per instance (a Meter opened without a catalog takes a
/// copy instead of parsing it again).
pub(crate) fn default_core_catalog() -> CoreCatalog {
    DEFAULT_CATALOG.with(CoreCatalog::clone)
}

/// Counts the tokens `text` would encode to under `encoding` ("o200k_base" or
/// "cl100k_base"), estimated without the tokenizer's vocabulary.
#[wasm_bindgen(js_name = estimateTokens)]
pub fn estimate_tokens(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Encoding")] encoding: JsValue,
) -> Result<f64, JsValue> {
    let Some(text) = text.dyn_ref::<js_sys::JsString>() else {
        return Err(coded_error(BAD_INPUT, &["text must be a string, got ", type_name(&text)].concat()));
    };
    let encoding = encoding_arg(&encoding)?;
    // A count never exceeds the text's byte length, so it is exact as a JS number.
    Ok(with_utf8(text, |t| estimate::estimate_tokens_utf8(t, encoding) as f64))
}

/// The encoding argument: compared with the two names as JS strings first, which spares
/// copying the name into Wasm memory on every call.
fn encoding_arg(v: &JsValue) -> Result<Encoding, JsValue> {
    let known = ENCODING_NAMES.with(|names| names.iter().find(|(name, _)| name == v).map(|&(_, encoding)| encoding));
    match known {
        Some(encoding) => Ok(encoding),
        None => estimate::parse_encoding(&string_arg(v, "encoding")?).map_err(to_js_error),
    }
}

/// Estimates what an operation would cost under the default catalog.
#[wasm_bindgen]
pub fn estimate(request: EstimateRequestJs) -> Result<EstimateJs, JsValue> {
    DEFAULT_CATALOG.with(|c| estimate_in(c, request.into()))
}

/// Decides who pays (own key, credits, free, or insufficient) under the default catalog.
#[wasm_bindgen]
pub fn decide(request: DecideRequestJs) -> Result<DecisionJs, JsValue> {
    DEFAULT_CATALOG.with(|c| decide_in(c, request.into()))
}

/// Learns from one generation: give the state so far (or nothing), the estimate made
/// before it and the cards (and output tokens) it really produced; returns the new state
/// to save and pass as `calibration` to later estimates.
#[wasm_bindgen]
pub fn calibrate(request: CalibrateRequestJs) -> Result<CalibrationStateJs, JsValue> {
    let req: estimate::CalibrateRequest = object_arg(request.into(), "calibrate request", BAD_INPUT)?;
    let state = estimate::calibrate(&req, &estimate::CardModel::default()).map_err(|m| coded_error(BAD_INPUT, &m))?;
    to_js(&state)
}

/// The embedded default catalog, as a plain object you can edit and load with
/// `Catalog.load`.
///
/// @deprecated Use `Catalog.default().toJSON()` (one way to get the default catalog);
/// `defaultCatalog` is removed in the next release.
#[wasm_bindgen(js_name = defaultCatalog)]
pub fn default_catalog() -> Result<CatalogDefinitionJs, JsValue> {
    DEFAULT_CATALOG.with(|c| to_js(c.definition()))
}

/// Parses and validates a catalog (JSON text or a plain object). Throws `BAD_CATALOG`
/// with the first broken rule.
///
/// @deprecated Use `Catalog.load` (the same function); `loadCatalog` is removed in the next
/// release.
#[wasm_bindgen(js_name = loadCatalog)]
pub fn load_catalog(json: CatalogInputJs) -> Result<Catalog, JsValue> {
    Catalog::load(json)
}

fn estimate_in(catalog: &CoreCatalog, request: JsValue) -> Result<EstimateJs, JsValue> {
    let req: EstimateRequest = object_arg(request, "estimate request", BAD_INPUT)?;
    let est = estimate::estimate(catalog, &req).map_err(to_js_error)?;
    to_js(&est)
}

fn decide_in(catalog: &CoreCatalog, request: JsValue) -> Result<DecisionJs, JsValue> {
    let req: DecideRequest = object_arg(request, "decide request", BAD_INPUT)?;
    let decision = funding::decide(catalog, &req).map_err(to_js_error)?;
    to_js(&decision)
}

/// A validated price catalog.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Catalog {
    inner: CoreCatalog,
}

#[wasm_bindgen]
impl Catalog {
    /// Parses and validates a catalog (JSON text or a plain object).
    #[wasm_bindgen(js_name = load)]
    pub fn load(json: CatalogInputJs) -> Result<Catalog, JsValue> {
        let value: JsValue = json.into();
        let inner = if let Some(text) = value.as_string() {
            CoreCatalog::parse(&text).map_err(to_js_error)?
        } else if value.is_object() {
            let def: CatalogDefinition = object_arg(value, "catalog", BAD_CATALOG)?;
            CoreCatalog::from_definition(def).map_err(to_js_error)?
        } else {
            return Err(coded_error(BAD_CATALOG, &["catalog must be JSON text or an object, got ", type_name(&value)].concat()));
        };
        Ok(Catalog { inner })
    }

    /// The embedded default catalog.
    #[wasm_bindgen(js_name = default)]
    pub fn default_() -> Catalog {
        Catalog { inner: DEFAULT_CATALOG.with(Clone::clone) }
    }

    /// The validated core catalog inside.
    pub(crate) fn into_core(self) -> CoreCatalog {
        self.inner
    }

    /// The catalog's revision label.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> String {
        self.inner.revision().to_string()
    }

    /// The catalog as a plain object (what `JSON.stringify` writes).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<CatalogDefinitionJs, JsValue> {
        to_js(self.inner.definition())
    }

    /// The packages with totals and per-credit prices, cheapest first.
    pub fn packages(&self) -> Result<PackageOffersJs, JsValue> {
        to_js(&self.inner.packages())
    }

    /// Estimates what an operation would cost under this catalog.
    pub fn estimate(&self, request: EstimateRequestJs) -> Result<EstimateJs, JsValue> {
        estimate_in(&self.inner, request.into())
    }

    /// Decides who pays under this catalog.
    pub fn decide(&self, request: DecideRequestJs) -> Result<DecisionJs, JsValue> {
        decide_in(&self.inner, request.into())
    }
}
