//! What the Meter's methods take, as JSON shapes (read through `JSON.stringify`).

use crate::json::{FromJson, JsonError, Value};

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

json_from!(Options [deny] { account_id: "accountId", device_id: "deviceId", public_keys: "publicKeys", timeouts: "timeouts" = default });
json_from!(TimeoutOptions [deny] { storage_ms: "storageMs" = default, network_ms: "networkMs" = default });
