//! The price catalog: models with USD-per-token prices, operations with their charging
//! rule, credit packages, and the exchange rate between USD and credits.
//!
//! A catalog is JSON (see `default.json` beside this file, embedded as
//! [`Catalog::default_catalog`]). It is parsed strictly (unknown fields in the catalog's own
//! objects are refused, so a typo never silently prices something at zero) except inside
//! `models[]`, where entries pasted from OpenRouter's `/models` listing keep their other
//! fields. Every amount is a decimal string. [`Catalog::parse`] validates the whole
//! document; a [`Catalog`] value is always valid.

mod definition;
mod index;
mod unit_rate;
mod validate;

pub use definition::{CatalogDefinition, Charge, ModelDefinition, ModelPricing, OperationDefinition, PackageDefinition, TokenRate};

use crate::decimal_ops::{add, ceil, div, mul};
use crate::error::{Coded, BAD_CATALOG, UNKNOWN_MODEL, UNKNOWN_OPERATION};
use crate::money::{Credits, MoneyError, Usd};
use credit_meter_base::quote::{quoted, quoted_short, Quoted};
use index::IdIndex;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use token_estimate::Encoding;

/// The only catalog format this version reads.
pub const CATALOG_FORMAT: u32 = 1;

/// The embedded default catalog (the seed products' packages and operations).
pub const DEFAULT_CATALOG_JSON: &str = include_str!("default.json");

/// Why a catalog or a catalog lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// The document is not JSON of the catalog's shape.
    Parse(String),
    /// The document parses but breaks a rule (duplicate id, zero price, dangling model…).
    Invalid(String),
    /// A model id the catalog does not list.
    UnknownModel(String),
    /// An operation id the catalog does not list.
    UnknownOperation(String),
    /// A price computation left the representable range.
    Overflow(String),
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogError::Parse(m) => write!(f, "catalog does not parse: {m}"),
            CatalogError::Invalid(m) => write!(f, "catalog is invalid: {m}"),
            CatalogError::UnknownModel(id) => write!(f, "unknown model {}: the catalog does not list it", short(id)),
            CatalogError::UnknownOperation(id) => {
                write!(f, "unknown operation {}: the catalog does not list it", short(id))
            }
            CatalogError::Overflow(m) => write!(f, "price out of range: {m}"),
        }
    }
}

impl std::error::Error for CatalogError {}

impl Coded for CatalogError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            CatalogError::Parse(_) | CatalogError::Invalid(_) => BAD_CATALOG,
            CatalogError::UnknownModel(_) => UNKNOWN_MODEL,
            CatalogError::UnknownOperation(_) => UNKNOWN_OPERATION,
            CatalogError::Overflow(_) => crate::error::BAD_AMOUNT,
        }
    }
}

/// An id quoted for a message: its first 60 characters, `…` marking a cut.
pub(crate) fn short(s: &str) -> Quoted<'_> {
    quoted_short(s, 60)
}

impl From<MoneyError> for CatalogError {
    fn from(e: MoneyError) -> Self {
        CatalogError::Overflow(e.to_string())
    }
}

/// A validated price catalog with indexes for lookups.
#[derive(Debug, Clone)]
pub struct Catalog {
    def: CatalogDefinition,
    models: IdIndex,
    operations: IdIndex,
}

/// A credit package as offered to a user, with its derived figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOffer {
    /// Package id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits bought.
    pub credits: Credits,
    /// Bonus credits on top.
    pub bonus: Credits,
    /// `credits + bonus`.
    pub total: Credits,
    /// Price in USD.
    pub price_usd: Usd,
    /// `price / total`, rounded half-up to 6 decimal places (the exact value is
    /// `priceUsd / total`).
    pub per_credit_usd: Usd,
}

impl Catalog {
    /// Parses and validates a catalog from JSON text.
    pub fn parse(json: &str) -> Result<Self, CatalogError> {
        // JS objects take the same path (JSON.stringify, then here), so each type has one
        // deserializer in the .wasm.
        let def: CatalogDefinition = crate::json::from_str(json).map_err(|e| CatalogError::Parse(e.to_string()))?;
        Self::from_definition(def)
    }

    /// Validates an already-deserialised definition.
    pub fn from_definition(def: CatalogDefinition) -> Result<Self, CatalogError> {
        let (models, operations) = validate::validate(&def)?;
        Ok(Catalog { def, models, operations })
    }

    /// The embedded default catalog.
    pub fn default_catalog() -> Self {
        // The embedded document is checked by a unit test; should it ever be broken, an
        // empty-but-valid catalog is better than a panic in a host plugin.
        Self::parse(DEFAULT_CATALOG_JSON).unwrap_or_else(|_| Catalog {
            def: CatalogDefinition::empty(),
            models: IdIndex::default(),
            operations: IdIndex::default(),
        })
    }

    /// The definition, as it would be serialised back to JSON.
    pub fn definition(&self) -> &CatalogDefinition {
        &self.def
    }

    /// The catalog's revision label.
    pub fn revision(&self) -> &str {
        &self.def.revision
    }

    /// How many credits one USD buys (for token-priced operations).
    pub fn credits_per_usd(&self) -> Decimal {
        self.def.credits_per_usd.value()
    }

    /// The step every debit rounds up to.
    pub fn credit_step(&self) -> Credits {
        self.def.credit_step
    }

    /// Looks up a model.
    pub fn model(&self, id: &str) -> Result<&ModelDefinition, CatalogError> {
        self.models.get(id).and_then(|i| self.def.models.get(i)).ok_or_else(|| CatalogError::UnknownModel(id.to_string()))
    }

    /// Looks up an operation.
    pub fn operation(&self, id: &str) -> Result<&OperationDefinition, CatalogError> {
        self.operations.get(id).and_then(|i| self.def.operations.get(i)).ok_or_else(|| CatalogError::UnknownOperation(id.to_string()))
    }

    /// All models, in catalog order.
    pub fn models(&self) -> &[ModelDefinition] {
        &self.def.models
    }

    /// All operations, in catalog order.
    pub fn operations(&self) -> &[OperationDefinition] {
        &self.def.operations
    }

    /// The packages with their derived totals and per-credit prices, cheapest first.
    pub fn packages(&self) -> Vec<PackageOffer> {
        let mut offers: Vec<PackageOffer> = self.def.packages.iter().filter_map(|p| offer(p).ok()).collect();
        crate::sort::sort_by(&mut offers, |a, b| a.price_usd.cmp(&b.price_usd).then(b.total.cmp(&a.total)).then(a.id.cmp(&b.id)));
        offers
    }

    /// The cheapest single package whose total covers `shortfall`; when none does, the
    /// package with the lowest per-credit price and how many of it are needed.
    pub fn package_covering(&self, shortfall: Credits) -> Option<(PackageOffer, u64)> {
        let offers = self.packages();
        if let Some(p) = offers.iter().find(|p| p.total >= shortfall) {
            return Some((p.clone(), 1));
        }
        let best = offers.into_iter().min_by(|a, b| {
            // Compare price/total without rounding: a.price * b.total vs b.price * a.total.
            let l = mul(a.price_usd.value(), b.total.value());
            let r = mul(b.price_usd.value(), a.total.value());
            l.cmp(&r).then(b.total.cmp(&a.total))
        })?;
        let quantity = ceil(div(shortfall.value(), best.total.value())?).to_u64()?;
        Some((best, quantity))
    }

    /// Converts a USD amount into credits at the catalog's rate, unrounded.
    pub fn usd_to_credits(&self, usd: Usd) -> Result<Credits, CatalogError> {
        let v = mul(usd.value(), self.def.credits_per_usd.value())
            .ok_or_else(|| CatalogError::Overflow(format!("{usd} at {} credits per USD", self.def.credits_per_usd)))?;
        Ok(Credits::new(v)?)
    }

    /// Rounds a debit up to the catalog's step.
    pub fn round_debit(&self, credits: Credits) -> Result<Credits, CatalogError> {
        Ok(credits.round_up_to_step(self.def.credit_step)?)
    }
}

fn offer(p: &PackageDefinition) -> Result<PackageOffer, CatalogError> {
    let total = p.credits.checked_add(p.bonus)?;
    let per = div(p.price_usd.value(), total.value())
        .ok_or_else(|| CatalogError::Invalid(format!("package {} has no credits", quoted(&p.id))))?
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    Ok(PackageOffer {
        id: p.id.clone(),
        name: p.name.clone(),
        credits: p.credits,
        bonus: p.bonus,
        total,
        price_usd: p.price_usd,
        per_credit_usd: Usd::new(per)?,
    })
}

impl ModelDefinition {
    /// The encoding used to count this model's tokens (`o200k_base` when not stated).
    pub fn encoding(&self) -> Encoding {
        self.encoding.unwrap_or_default()
    }

    /// What `input` prompt tokens and `output` completion tokens cost in USD, plus the
    /// per-request price.
    pub fn usd_for(&self, input: u64, output: u64) -> Result<Usd, CatalogError> {
        let p = &self.pricing;
        let overflow = || CatalogError::Overflow(format!("{input} input and {output} output tokens on {}", self.id));
        let a = mul(p.prompt.value(), Decimal::from(input)).ok_or_else(overflow)?;
        let b = mul(p.completion.value(), Decimal::from(output)).ok_or_else(overflow)?;
        let r = p.request.map(Usd::value).unwrap_or_default();
        let sum = add(a, b).and_then(|s| add(s, r)).ok_or_else(overflow)?;
        Usd::new(sum).map_err(|_| overflow())
    }
}

#[cfg(test)]
mod tests;

json_to!(PackageOffer {
    id: "id",
    name: "name",
    credits: "credits",
    bonus: "bonus",
    total: "total",
    price_usd: "priceUsd",
    per_credit_usd: "perCreditUsd",
});
