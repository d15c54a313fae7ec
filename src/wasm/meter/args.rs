//! What the Meter's methods take, as JSON shapes (read through `JSON.stringify`).

use crate::json::{FromJson, JsonError, Value};
use crate::money::Credits;

/// What `Meter.open` takes, less `host` and `catalog` (read apart).
pub(super) struct Options {
    pub(super) account_id: String,
    pub(super) device_id: String,
    pub(super) public_keys: KeyObject,
    pub(super) timeouts: Option<TimeoutOptions>,
}

/// `timeouts`: per-call limits in milliseconds.
pub(super) struct TimeoutOptions {
    pub(super) storage_ms: Option<crate::money::Count>,
    pub(super) network_ms: Option<crate::money::Count>,
}

/// `publicKeys` as given: any JSON object (its members are checked by
/// [`crate::snapshot::PublicKeys::from_json`], which reports `BAD_KEY`).
pub(super) struct KeyObject(pub(super) Value);

impl FromJson for KeyObject {
    fn from_json(v: Value) -> Result<Self, JsonError> {
        match v {
            Value::Object(_) => Ok(KeyObject(v)),
            _ => Err(JsonError::invalid_type("an object")),
        }
    }
}

/// What `reserve` takes: a `Decision` from `meter.decide` as is, or `{operation, amount}`.
pub(super) struct ReserveArgs {
    pub(super) operation: String,
    pub(super) amount: Option<Credits>,
    pub(super) reserve: Option<Credits>,
    pub(super) funding: Option<String>,
    pub(super) agent_id: Option<String>,
}

/// What `commit` takes: `{credits}` or the usage of an operation to price.
pub(super) struct CommitArgs {
    pub(super) credits: Option<Credits>,
    pub(super) operation: Option<String>,
    pub(super) model: Option<String>,
    pub(super) cards: Option<crate::money::Count>,
    pub(super) input_tokens: Option<crate::money::Count>,
    pub(super) output_tokens: Option<crate::money::Count>,
    pub(super) characters: Option<crate::money::Count>,
}


json_from!(Options [deny] { account_id: "accountId", device_id: "deviceId", public_keys: "publicKeys", timeouts: "timeouts" = default });
json_from!(TimeoutOptions [deny] { storage_ms: "storageMs" = default, network_ms: "networkMs" = default });
json_from!(ReserveArgs {
    operation: "operation",
    amount: "amount" = default,
    reserve: "reserve" = default,
    funding: "funding" = default,
    agent_id: "agentId" = default,
});
json_from!(CommitArgs [deny] {
    credits: "credits" = default,
    operation: "operation" = default,
    model: "model" = default,
    cards: "cards" = default,
    input_tokens: "inputTokens" = default,
    output_tokens: "outputTokens" = default,
    characters: "characters" = default,
});
