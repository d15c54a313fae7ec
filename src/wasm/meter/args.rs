//! What the Meter's methods take, as serde shapes (read through `JSON.stringify`).

use crate::money::Credits;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Options {
    pub(super) account_id: String,
    pub(super) device_id: String,
    pub(super) public_keys: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub(super) timeouts: Option<TimeoutOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TimeoutOptions {
    #[serde(default)]
    pub(super) storage_ms: Option<crate::money::Count>,
    #[serde(default)]
    pub(super) network_ms: Option<crate::money::Count>,
}

/// What `reserve` takes: a `Decision` from `meter.decide` as is, or `{operation, amount}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReserveArgs {
    pub(super) operation: String,
    #[serde(default)]
    pub(super) amount: Option<Credits>,
    #[serde(default)]
    pub(super) reserve: Option<Credits>,
    #[serde(default)]
    pub(super) funding: Option<String>,
    #[serde(default)]
    pub(super) agent_id: Option<String>,
}

/// What `commit` takes: `{credits}` or the usage of an operation to price.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CommitArgs {
    #[serde(default)]
    pub(super) credits: Option<Credits>,
    #[serde(default)]
    pub(super) operation: Option<String>,
    #[serde(default)]
    pub(super) model: Option<String>,
    #[serde(default)]
    pub(super) cards: Option<crate::money::Count>,
    #[serde(default)]
    pub(super) input_tokens: Option<crate::money::Count>,
    #[serde(default)]
    pub(super) output_tokens: Option<crate::money::Count>,
    #[serde(default)]
    pub(super) characters: Option<crate::money::Count>,
}

