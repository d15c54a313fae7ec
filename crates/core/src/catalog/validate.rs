//! The rules a catalog must satisfy beyond its JSON shape.

use super::index::IdIndex;
use super::{short, CatalogDefinition, CatalogError, Charge, CATALOG_FORMAT};

/// Upper bounds that keep a hostile catalog from costing memory or time.
const MAX_MODELS: usize = 10_000;
const MAX_OPERATIONS: usize = 1_000;
const MAX_PACKAGES: usize = 100;
const MAX_ID_LEN: usize = 200;
/// Above this, per-card overhead or output token figures are surely a mistake.
const MAX_TOKENS_FIELD: u64 = 10_000_000;

fn invalid(msg: String) -> CatalogError {
    CatalogError::Invalid(msg)
}

/// Checks the id at `position` of a list whose first repeated id is at `repeat`.
fn check_id(kind: &str, id: &str, position: usize, repeat: Option<usize>) -> Result<(), CatalogError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(invalid(format!("{kind} id {} must be 1..{MAX_ID_LEN} printable characters", short(id))));
    }
    if repeat == Some(position) {
        return Err(invalid(format!("{kind} id {} appears twice", short(id))));
    }
    Ok(())
}

/// Checks every rule; the first broken one is reported. Returns the indexes of the models'
/// and the operations' ids.
pub(super) fn validate(def: &CatalogDefinition) -> Result<(IdIndex, IdIndex), CatalogError> {
    if def.format != CATALOG_FORMAT {
        return Err(invalid(format!("format {} is not supported; this version reads format {CATALOG_FORMAT}", def.format)));
    }
    if def.currency != "USD" {
        return Err(invalid(format!("currency {} is not supported; prices must be in \"USD\"", short(&def.currency))));
    }
    if def.revision.len() > MAX_ID_LEN {
        return Err(invalid("revision is longer than 200 characters".into()));
    }
    if def.credits_per_usd.is_zero() {
        return Err(invalid("creditsPerUsd must be greater than zero".into()));
    }
    if def.credit_step.is_zero() {
        return Err(invalid("creditStep must be greater than zero".into()));
    }
    if def.models.len() > MAX_MODELS || def.operations.len() > MAX_OPERATIONS || def.packages.len() > MAX_PACKAGES {
        return Err(invalid(format!(
            "too many entries (at most {MAX_MODELS} models, {MAX_OPERATIONS} operations, {MAX_PACKAGES} packages)"
        )));
    }
    let models = IdIndex::new(def.models.iter().map(|m| m.id.as_str()));
    let repeat = models.first_repeat();
    for (i, m) in def.models.iter().enumerate() {
        check_id("model", &m.id, i, repeat)?;
    }
    let operations = IdIndex::new(def.operations.iter().map(|o| o.id.as_str()));
    let repeat = operations.first_repeat();
    for (i, op) in def.operations.iter().enumerate() {
        check_id("operation", &op.id, i, repeat)?;
        validate_operation(op, &models)?;
    }
    let repeat = IdIndex::new(def.packages.iter().map(|p| p.id.as_str())).first_repeat();
    for (i, p) in def.packages.iter().enumerate() {
        check_id("package", &p.id, i, repeat)?;
        if p.credits.is_zero() {
            return Err(invalid(format!("package {} must sell more than zero credits", short(&p.id))));
        }
        if p.price_usd.is_zero() {
            return Err(invalid(format!("package {} must have a price above zero", short(&p.id))));
        }
        p.credits.checked_add(p.bonus).map_err(|_| invalid(format!("package {} total is out of range", short(&p.id))))?;
    }
    Ok((models, operations))
}

fn validate_operation(op: &super::OperationDefinition, models: &IdIndex) -> Result<(), CatalogError> {
    let id = short(&op.id);
    if let Some(model) = &op.model {
        if !models.contains(model) {
            return Err(invalid(format!("operation {} names model {}, which the catalog does not list", id, short(model))));
        }
    }
    for (name, v) in [
        ("promptOverheadTokens", Some(op.prompt_overhead_tokens)),
        ("outputTokensPerCard", op.output_tokens_per_card),
        ("expectedOutputTokens", op.expected_output_tokens),
        ("maxOutputTokens", op.max_output_tokens),
    ] {
        if v.is_some_and(|v| v > MAX_TOKENS_FIELD) {
            return Err(invalid(format!("operation {}: {name} is above {MAX_TOKENS_FIELD}", id)));
        }
    }
    match &op.charge {
        Charge::PerCard { credits_per_card } if credits_per_card.is_zero() => {
            Err(invalid(format!("operation {}: creditsPerCard must be above zero (use kind \"free\")", id)))
        }
        Charge::PerCharacter { credits_per_character, characters_per_credit } => match (credits_per_character, characters_per_credit) {
            (Some(p), None) if !p.is_zero() => Ok(()),
            (None, Some(n)) if *n > rust_decimal::Decimal::ZERO => Ok(()),
            _ => Err(invalid(format!(
                "operation {}: give exactly one of creditsPerCharacter or charactersPerCredit, above zero (use kind \"free\")",
                id
            ))),
        },
        Charge::Flat { credits } if credits.is_zero() => {
            Err(invalid(format!("operation {}: flat credits must be above zero (use kind \"free\")", id)))
        }
        Charge::PerToken { markup, tokens_per_credit } => {
            match (markup, tokens_per_credit) {
                (Some(_), Some(_)) => {
                    return Err(invalid(format!(
                        "operation {}: give at most one of markup (priced by the model) or tokensPerCredit (a fixed rate)",
                        id
                    )))
                }
                (Some(m), None) if m.is_zero() => {
                    return Err(invalid(format!("operation {}: markup must be above zero (use kind \"free\")", id)))
                }
                (None, Some(n)) if *n <= rust_decimal::Decimal::ZERO => {
                    return Err(invalid(format!("operation {}: tokensPerCredit must be above zero (use kind \"free\")", id)))
                }
                _ => {}
            }
            if op.model.is_none() {
                return Err(invalid(format!("operation {}: a perToken operation needs a default model", id)));
            }
            if let (Some(e), Some(m)) = (op.expected_output_tokens, op.max_output_tokens) {
                if e > m {
                    return Err(invalid(format!("operation {}: expectedOutputTokens is above maxOutputTokens", id)));
                }
            }
            Ok(())
        }
        Charge::Free if op.byok => Err(invalid(format!("operation {} is free; byok has no meaning for it", id))),
        _ => Ok(()),
    }
}
