//! Who pays for an operation: the user's own key, credits, nobody (free), or nobody yet
//! (insufficient credits, with the shortfall and the package that covers it).
//!
//! Rules, in order:
//! 1. A free operation is `free`.
//! 2. With an own key configured and the operation open to keys, `byok`: credits are
//!    never charged.
//! 3. Nothing to send (an empty note): `credits` with nothing reserved and `proceed: false`.
//! 4. When the balance covers the high estimate, `credits`, reserving the high estimate.
//! 5. Otherwise `insufficient`, with the shortfall (high − balance), the cheapest package
//!    that covers it, and the options: buy credits, and use an own key where allowed.
//!    When a smaller result fits the balance (at most N cards, a reply of at most M
//!    tokens), `capped` offers it ([`crate::capped`]): estimate again with its cap and
//!    the decision on that says `credits`.

use crate::capped::{capped_offer, CappedOffer};
use crate::catalog::{Catalog, CatalogError, Charge, PackageOffer};
use crate::error::{Coded, BAD_INPUT};
use crate::estimate::Estimate;
use crate::money::Credits;
use credit_meter_base::quote::quoted;
use std::fmt;

/// What to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideRequest {
    /// The estimate from `estimate`.
    pub estimate: Estimate,
    /// Whether the user has their own API key configured.
    pub byok: bool,
    /// Credits available now (needed unless the operation is free or paid by key).
    pub balance: Option<Credits>,
}

/// Who pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Funding {
    /// The user's own API key; no credits are charged.
    Byok,
    /// The operation never costs credits.
    Free,
    /// Credits pay; reserve `reserve` before the AI call.
    Credits,
    /// Not enough credits: see `shortfall`, `package` and `options`.
    Insufficient,
}

/// A way out of an insufficient balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Buy a credit package.
    BuyCredits,
    /// Configure an own API key (only where the operation allows it).
    UseOwnKey,
}

/// A package suggestion: `quantity` of `package` covers the shortfall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSuggestion {
    /// The package.
    pub package: PackageOffer,
    /// How many of it (1 unless the shortfall exceeds every package).
    pub quantity: u64,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Operation id.
    pub operation: String,
    /// Who pays.
    pub funding: Funding,
    /// Whether to make the AI call at all.
    pub proceed: bool,
    /// Credits to hold before the call (the high estimate when credits pay, else 0).
    pub reserve: Credits,
    /// Credits it will most likely cost (0 unless credits pay).
    pub expected: Credits,
    /// The balance the decision was made against, if given.
    pub balance: Option<Credits>,
    /// How many more credits are needed (insufficient only).
    pub shortfall: Option<Credits>,
    /// The cheapest package that covers the shortfall (insufficient only).
    pub package: Option<PackageSuggestion>,
    /// What the user can do (insufficient only).
    pub options: Vec<Remedy>,
    /// A smaller result the balance covers now (insufficient only, when there is one).
    pub capped: Option<CappedOffer>,
    /// One sentence for the user.
    pub reason: String,
    /// The allowance whose units pay (`"ttsCharacters"`, `"llmTokens"`), when the Meter
    /// decided against an account's allowance (PROTOCOL §12): `reserve(decision)` then
    /// reserves `units` of it, and `reserve` is the credits held for the part the
    /// allowance does not cover. Absent for a decision in credits.
    pub unit: Option<String>,
    /// With `unit`: the units to reserve (the high estimate in that unit).
    pub units: Option<u64>,
}

/// Why a decision could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideError {
    /// Missing balance, or an estimate that is not from this catalog or not consistent.
    BadInput(String),
    /// The estimate's operation is not in the catalog.
    Catalog(CatalogError),
}

impl fmt::Display for DecideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecideError::BadInput(m) => write!(f, "bad decide request: {m}"),
            DecideError::Catalog(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DecideError {}

impl Coded for DecideError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            DecideError::BadInput(_) => BAD_INPUT,
            DecideError::Catalog(e) => e.code(),
        }
    }
}

/// The ways out of a shortfall: the cheapest package that covers it, and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remedies {
    /// The cheapest package that covers the shortfall (none when no package is for sale).
    pub package: Option<PackageSuggestion>,
    /// `buyCredits` when a package covers it; `useOwnKey` when the operation allows keys.
    pub options: Vec<Remedy>,
}

/// The remedies for `shortfall` credits on an operation that does (`byok_allowed`) or does
/// not accept an own key: the one rule `decide` and a refused reservation both follow.
pub fn remedies(catalog: &Catalog, byok_allowed: bool, shortfall: Credits) -> Remedies {
    let package = catalog.package_covering(shortfall).map(|(package, quantity)| PackageSuggestion { package, quantity });
    let mut options = Vec::new();
    if package.is_some() {
        options.push(Remedy::BuyCredits);
    }
    if byok_allowed {
        options.push(Remedy::UseOwnKey);
    }
    Remedies { package, options }
}

/// Decides who pays for the estimated operation.
pub fn decide(catalog: &Catalog, req: &DecideRequest) -> Result<Decision, DecideError> {
    let est = &req.estimate;
    let op = catalog.operation(&est.operation).map_err(DecideError::Catalog)?;
    if est.charge != op.charge.kind() {
        return Err(DecideError::BadInput(format!(
            "the estimate says {} is charged {} but the catalog says {}; estimate again with this catalog",
            quoted(&op.id),
            quoted(&est.charge),
            quoted(op.charge.kind())
        )));
    }
    let c = &est.credits;
    if !(c.low <= c.expected && c.expected <= c.high) {
        return Err(DecideError::BadInput("estimate credits must satisfy low ≤ expected ≤ high".into()));
    }
    let base = Decision {
        operation: op.id.clone(),
        funding: Funding::Free,
        proceed: est.has_work,
        reserve: Credits::ZERO,
        expected: Credits::ZERO,
        balance: req.balance,
        shortfall: None,
        package: None,
        options: Vec::new(),
        capped: None,
        reason: String::new(),
        unit: None,
        units: None,
    };
    if matches!(op.charge, Charge::Free) {
        return Ok(Decision { reason: "This is free: it never costs credits.".into(), ..base });
    }
    if req.byok && op.byok {
        return Ok(Decision { funding: Funding::Byok, reason: "Your own API key pays; no credits are charged.".into(), ..base });
    }
    if !est.has_work {
        return Ok(Decision { funding: Funding::Credits, reason: "Nothing to send: no AI call, no charge.".into(), ..base });
    }
    let balance = req.balance.ok_or_else(|| DecideError::BadInput("`balance` is needed when credits may pay".into()))?;
    let key_note = if req.byok && !op.byok { " (this operation cannot use an own key)" } else { "" };
    if balance >= c.high {
        return Ok(Decision {
            funding: Funding::Credits,
            reserve: c.high,
            expected: c.expected,
            reason: format!("Credits pay: about {} (at most {}){key_note}.", c.expected.to_plain_string(), c.high.to_plain_string()),
            ..base
        });
    }
    let shortfall = c.high.saturating_sub(balance);
    let Remedies { package, options } = remedies(catalog, op.byok, shortfall);
    let capped = capped_offer(catalog, op, est, balance).map_err(DecideError::Catalog)?;
    let mut reason = format!(
        "Not enough credits for the most this could cost ({}): {} more needed",
        c.high.to_plain_string(),
        shortfall.to_plain_string()
    );
    if let Some(cap) = &capped {
        match (cap.cards, cap.max_output_tokens) {
            (Some(n), _) => reason.push_str(&format!("; up to {n} {} fit now", if n == 1 { "card" } else { "cards" })),
            (None, Some(m)) => reason.push_str(&format!("; a reply of up to {m} tokens fits now")),
            (None, None) => {}
        }
    }
    if let Some(p) = &package {
        let times = if p.quantity > 1 { format!("{} × ", p.quantity) } else { String::new() };
        reason.push_str(&format!("; {times}{} ({} credits) covers it", p.package.name, p.package.total.to_plain_string()));
    }
    if op.byok {
        reason.push_str(", or use your own API key");
    }
    reason.push('.');
    Ok(Decision {
        funding: Funding::Insufficient,
        proceed: false,
        expected: c.expected,
        shortfall: Some(shortfall),
        package,
        options,
        capped,
        reason,
        ..base
    })
}

#[cfg(test)]
#[path = "funding_tests.rs"]
mod tests;

json_from!(DecideRequest [deny] { estimate: "estimate", byok: "byok" = default, balance: "balance" = default });
json_unit_enum!(Funding { Byok = "byok", Free = "free", Credits = "credits", Insufficient = "insufficient" });
json_unit_enum!(Remedy { BuyCredits = "buyCredits", UseOwnKey = "useOwnKey" });
/// Written flat — the offer's fields and `quantity` side by side (`decision.package.name`) —
/// plus the offer again under `package`, the shape of earlier releases
/// (`decision.package.package.name`), kept for one release and then removed.
impl crate::json::ToJsonFields for PackageSuggestion {
    fn write_fields(&self, w: &mut crate::json::ObjectWriter<'_>) {
        self.package.write_fields(w);
        w.field("quantity", &self.quantity);
        w.field("package", &self.package);
    }
}

impl crate::json::ToJson for PackageSuggestion {
    fn write_json(&self, out: &mut String) {
        let mut w = crate::json::ObjectWriter::new(out);
        crate::json::ToJsonFields::write_fields(self, &mut w);
        w.end();
    }
}
json_to!(Decision {
    operation: "operation",
    funding: "funding",
    proceed: "proceed",
    reserve: "reserve",
    expected: "expected",
    balance: "balance",
    shortfall: "shortfall",
    package: "package",
    options: "options",
    capped: "capped",
    reason: "reason",
    unit: "unit" = opt,
    units: "units" = opt,
});
