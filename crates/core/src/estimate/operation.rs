//! The cost estimate of one operation, as a low / expected / high range.

use super::calibration::CalibrationState;
use super::cards::{CardModel, CountRange};
use super::note::{analyze_note, NoteStructure, Removed};
use super::tokens::{estimate_tokens, Encoding};
use crate::catalog::{Catalog, CatalogError, Charge, ModelDefinition};
use crate::error::{Coded, BAD_INPUT};
use crate::money::{Count, Credits, MoneyError, Usd, MAX_SAFE_INTEGER};
use crate::pricing::{credits_for, provider_usd, Usage};
use credit_meter_base::quote::quoted;
use std::fmt;

/// How far an estimated token count may be off either way, in percent (the estimator's
/// p90 error bar).
pub const TOKEN_SPREAD_PERCENT: u64 = 8;

/// What to estimate. Which fields are needed depends on the operation's charge:
/// per card: `note` (or `cards`); per token: `inputTokens` or `text`/`note`; per character:
/// `characters` or `text`; flat and free: nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstimateRequest {
    /// Operation id from the catalog.
    pub operation: String,
    /// A markdown note (frontmatter, comments and media embeds are left out).
    pub note: Option<String>,
    /// Plain text to send as is (messages, TTS).
    pub text: Option<String>,
    /// Model id; the operation's default when absent.
    pub model: Option<String>,
    /// Token encoding; the model's when absent.
    pub encoding: Option<Encoding>,
    /// Known prompt tokens (overrides counting `text`/`note`).
    pub input_tokens: Option<Count>,
    /// Known or expected completion tokens.
    pub output_tokens: Option<Count>,
    /// The call's output limit (the high bound for token-priced operations).
    pub max_output_tokens: Option<Count>,
    /// Known TTS characters (overrides counting `text`).
    pub characters: Option<Count>,
    /// Known number of flashcards (overrides the estimate from the note).
    pub cards: Option<Count>,
    /// This user's calibration (from `calibrate`), for per-card operations.
    pub calibration: Option<CalibrationState>,
}

/// A value with its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds<T> {
    /// Least likely cost.
    pub low: T,
    /// Most likely.
    pub expected: T,
    /// The most it should cost; what a hold reserves.
    pub high: T,
}

/// What was found in the note, for showing the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteSummary {
    /// Characters that would be sent.
    pub sent_chars: u64,
    /// What was left out.
    pub removed: Removed,
    /// The note's structure.
    pub structure: NoteStructure,
}

/// The estimate of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// Operation id.
    pub operation: String,
    /// Its charging rule (`"perCard"`, `"perToken"`, `"perCharacter"`, `"flat"`, `"free"`).
    pub charge: String,
    /// Model the estimate priced, if any.
    pub model: Option<String>,
    /// Encoding the tokens were counted with, if any.
    pub encoding: Option<Encoding>,
    /// Prompt tokens.
    pub input_tokens: CountRange,
    /// Completion tokens.
    pub output_tokens: CountRange,
    /// Flashcards (per-card operations).
    pub cards: Option<CountRange>,
    /// TTS characters (per-character operations).
    pub characters: Option<u64>,
    /// Credits it would cost, each bound rounded up to the catalog's step.
    pub credits: Bounds<Credits>,
    /// What the same call would cost on the user's own key, in USD (when a model is priced).
    pub provider_usd: Option<Bounds<Usd>>,
    /// Whether the user's own key may pay instead of credits.
    pub byok_allowed: bool,
    /// Whether there is anything to send (false: no AI call is needed).
    pub has_work: bool,
    /// The note's analysis, when a note was given.
    pub note: Option<NoteSummary>,
}

/// Why an estimate failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstimateError {
    /// The request lacks a field the operation needs, or has a value out of range.
    BadInput(String),
    /// Unknown operation or model, or a price out of range.
    Catalog(CatalogError),
}

impl fmt::Display for EstimateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EstimateError::BadInput(m) => write!(f, "bad estimate request: {m}"),
            EstimateError::Catalog(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EstimateError {}

impl Coded for EstimateError {
    fn code(&self) -> crate::error::ErrorCode {
        match self {
            EstimateError::BadInput(_) => BAD_INPUT,
            EstimateError::Catalog(e) => e.code(),
        }
    }
}

impl From<CatalogError> for EstimateError {
    fn from(e: CatalogError) -> Self {
        EstimateError::Catalog(e)
    }
}

impl From<MoneyError> for EstimateError {
    fn from(e: MoneyError) -> Self {
        EstimateError::Catalog(e.into())
    }
}

fn bad(msg: String) -> EstimateError {
    EstimateError::BadInput(msg)
}

fn widen(n: u64) -> CountRange {
    let d = n.saturating_mul(TOKEN_SPREAD_PERCENT).div_ceil(100);
    CountRange { low: n.saturating_sub(d), expected: n, high: n.saturating_add(d) }
}

fn add(r: CountRange, n: u64) -> CountRange {
    r.map(|v| v.saturating_add(n))
}

/// Estimates what `req` would cost under `catalog`, with the default card model.
pub fn estimate(catalog: &Catalog, req: &EstimateRequest) -> Result<Estimate, EstimateError> {
    estimate_with(catalog, req, &CardModel::default())
}

/// Estimates what `req` would cost under `catalog`, with the given card model.
pub fn estimate_with(catalog: &Catalog, req: &EstimateRequest, cards_model: &CardModel) -> Result<Estimate, EstimateError> {
    let op = catalog.operation(&req.operation)?;
    let calibration = req.calibration.clone().unwrap_or_default();
    calibration.validate().map_err(bad)?;
    let model: Option<&ModelDefinition> = match req.model.as_deref().or(op.model.as_deref()) {
        Some(id) => Some(catalog.model(id)?),
        None => None,
    };
    let encoding = req.encoding.or(model.map(ModelDefinition::encoding));
    let enc = encoding.unwrap_or_default();
    let analysis = req.note.as_deref().map(analyze_note);
    let sent: Option<&str> = analysis.as_ref().map(|a| a.sent.as_str()).or(req.text.as_deref());

    let mut cards = None;
    let mut characters = None;
    let (input, output, has_work) = match &op.charge {
        Charge::Free | Charge::Flat { .. } => (CountRange::exact(0), CountRange::exact(0), true),
        Charge::PerCard { .. } => {
            let structure = analysis.as_ref().map(|a| a.structure);
            let c = match (req.cards, structure) {
                (Some(n), _) => CountRange::exact(n.get()),
                (None, Some(s)) => calibration.apply(cards_model.estimate(&s), cards_model.low, cards_model.high),
                (None, None) => return Err(bad(format!("operation {} is charged per card: give `note` or `cards`", quoted(&op.id)))),
            };
            cards = Some(c);
            let has_work = c.high > 0 && sent.is_none_or(|t| !t.is_empty());
            let input = match (req.input_tokens, sent) {
                (Some(n), _) => CountRange::exact(n.get()),
                (None, Some(t)) if !t.is_empty() => add(widen(estimate_tokens(t, enc)), op.prompt_overhead_tokens),
                _ => CountRange::exact(0),
            };
            let per_card = calibration.output_tokens_per_card(op.output_tokens_per_card.unwrap_or(0));
            let output = match req.output_tokens {
                Some(n) => CountRange::exact(n.get()),
                None => c.map(|n| n.saturating_mul(per_card)),
            };
            if has_work {
                (input, output, true)
            } else {
                (CountRange::exact(0), CountRange::exact(0), false)
            }
        }
        Charge::PerToken { .. } => {
            let input = match (req.input_tokens, sent) {
                (Some(n), _) => CountRange::exact(n.get()),
                (None, Some(t)) => add(widen(estimate_tokens(t, enc)), op.prompt_overhead_tokens),
                (None, None) => {
                    return Err(bad(format!("operation {} is charged per token: give `inputTokens` or `text`", quoted(&op.id))))
                }
            };
            let max = req.max_output_tokens.map(Count::get).or(op.max_output_tokens);
            let output = match req.output_tokens {
                Some(n) => CountRange::exact(n.get()),
                None => {
                    let typical = op.expected_output_tokens.unwrap_or(0);
                    // A limit the caller set bounds the reply, below the typical length too
                    // (a capped call: `funding::decide`'s smaller option); the catalog's own
                    // limit never lowers the typical length.
                    let expected = match req.max_output_tokens {
                        Some(m) => typical.min(m.get()),
                        None => typical,
                    };
                    let high = max.unwrap_or(expected).max(expected);
                    CountRange { low: expected / 2, expected, high }
                }
            };
            let has_work = input.high > 0;
            (input, output, has_work)
        }
        Charge::PerCharacter { .. } => {
            let n = match (req.characters, req.text.as_deref().or(sent)) {
                (Some(n), _) => n.get(),
                (None, Some(t)) => t.chars().count() as u64,
                (None, None) => {
                    return Err(bad(format!("operation {} is charged per character: give `characters` or `text`", quoted(&op.id))))
                }
            };
            characters = Some(n);
            (CountRange::exact(0), CountRange::exact(0), n > 0)
        }
    };
    for (name, v) in [("input tokens", input.high), ("output tokens", output.high), ("cards", cards.map_or(0, |c| c.high))] {
        if v > MAX_SAFE_INTEGER {
            return Err(bad(format!("{name} {v} are more than 2^53 - 1")));
        }
    }

    let usage = |pick: fn(CountRange) -> u64| Usage {
        cards: cards.map_or(0, pick),
        input_tokens: pick(input),
        output_tokens: pick(output),
        characters: characters.unwrap_or(0),
    };
    let low = usage(|r| r.low);
    let expected = usage(|r| r.expected);
    let high = usage(|r| r.high);
    let credits = if has_work {
        Bounds {
            low: credits_for(catalog, op, model, &low)?,
            expected: credits_for(catalog, op, model, &expected)?,
            high: credits_for(catalog, op, model, &high)?,
        }
    } else {
        Bounds { low: Credits::ZERO, expected: Credits::ZERO, high: Credits::ZERO }
    };
    let provider = match (model, &op.charge) {
        (Some(m), Charge::PerCard { .. } | Charge::PerToken { .. }) => {
            Some(Bounds { low: provider_usd(m, &low)?, expected: provider_usd(m, &expected)?, high: provider_usd(m, &high)? })
        }
        _ => None,
    };
    let tokenised = matches!(op.charge, Charge::PerCard { .. } | Charge::PerToken { .. });
    Ok(Estimate {
        operation: op.id.clone(),
        charge: op.charge.kind().to_string(),
        model: model.map(|m| m.id.clone()),
        encoding: if tokenised { Some(enc) } else { None },
        input_tokens: input,
        output_tokens: output,
        cards,
        characters,
        credits,
        provider_usd: provider,
        byok_allowed: op.byok,
        has_work,
        note: analysis.map(|a| NoteSummary { sent_chars: a.sent.chars().count() as u64, removed: a.removed, structure: a.structure }),
    })
}

#[cfg(test)]
#[path = "operation_tests.rs"]
mod tests;

json_from!(EstimateRequest [deny] {
    operation: "operation",
    note: "note" = default,
    text: "text" = default,
    model: "model" = default,
    encoding: "encoding" = default,
    input_tokens: "inputTokens" = default,
    output_tokens: "outputTokens" = default,
    max_output_tokens: "maxOutputTokens" = default,
    characters: "characters" = default,
    cards: "cards" = default,
    calibration: "calibration" = default,
});
json_to!(impl [T: crate::json::ToJson] Bounds<T> { low: "low", expected: "expected", high: "high" });

impl<T: crate::json::FromJson> crate::json::FromJson for Bounds<T> {
    fn from_json(v: crate::json::Value) -> Result<Self, crate::json::JsonError> {
        let members = crate::json::take_object(v, "an object")?;
        Ok(json_from!(@build Bounds, members, [], { low: "low", expected: "expected", high: "high" }))
    }
}
json_struct!(NoteSummary { sent_chars: "sentChars", removed: "removed", structure: "structure" });
json_struct!(Estimate {
    operation: "operation",
    charge: "charge",
    model: "model",
    encoding: "encoding",
    input_tokens: "inputTokens",
    output_tokens: "outputTokens",
    cards: "cards",
    characters: "characters",
    credits: "credits",
    provider_usd: "providerUsd",
    byok_allowed: "byokAllowed",
    has_work: "hasWork",
    note: "note",
});
