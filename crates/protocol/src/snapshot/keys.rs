//! The ledger's public keys by key id, supplied when the client opens. Rotating a key
//! means publishing a new key id; clients keep old ids as long as snapshots signed with
//! them may still be cached.

use super::error::SnapshotError;
use crate::base64url;
use ed25519_dalek::VerifyingKey;

/// At most this many public keys.
pub const MAX_KEYS: usize = 64;

/// Public keys by key id.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    keys: Vec<(String, VerifyingKey)>,
}

impl PublicKeys {
    /// No keys.
    pub fn new() -> PublicKeys {
        PublicKeys::default()
    }

    /// Adds (or replaces) a key from its 32 raw bytes. Refuses bytes that are not a valid
    /// Ed25519 public key, an empty id and more than [`MAX_KEYS`] keys.
    pub fn insert(&mut self, kid: &str, key: &[u8; 32]) -> Result<(), SnapshotError> {
        if kid.is_empty() || kid.len() > 128 {
            return Err(SnapshotError::Malformed("key id must have 1 to 128 bytes"));
        }
        let key = VerifyingKey::from_bytes(key).map_err(|_| SnapshotError::Malformed("not an Ed25519 public key"))?;
        if let Some(slot) = self.keys.iter_mut().find(|(k, _)| k == kid) {
            slot.1 = key;
        } else {
            if self.keys.len() >= MAX_KEYS {
                return Err(SnapshotError::Malformed("too many public keys"));
            }
            self.keys.push((kid.to_string(), key));
        }
        Ok(())
    }

    /// Adds a key given as base64url (no padding) of its 32 bytes.
    pub fn insert_base64url(&mut self, kid: &str, key: &str) -> Result<(), SnapshotError> {
        let bytes = base64url::decode(key).map_err(|_| SnapshotError::Malformed("public key is not base64url"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SnapshotError::Malformed("public key must have 32 bytes"))?;
        self.insert(kid, &bytes)
    }

    /// Parses `{"kid": "base64url key", …}`.
    pub fn from_json(json: &str) -> Result<PublicKeys, SnapshotError> {
        const NOT_STRINGS: SnapshotError = SnapshotError::Malformed("public keys must be a JSON object of strings");
        let members = crate::json::take_object(crate::json::parse(json).map_err(|_| NOT_STRINGS)?, "").map_err(|_| NOT_STRINGS)?;
        let mut map = Vec::with_capacity(members.len());
        for (kid, key) in members {
            match key {
                crate::json::Value::String(key) => map.push((kid, key)),
                _ => return Err(NOT_STRINGS),
            }
        }
        // In key id order, as before (the parser refuses duplicate ids).
        crate::sort::sort_by(&mut map, |a, b| a.0.cmp(&b.0));
        let mut keys = PublicKeys::new();
        for (kid, key) in &map {
            keys.insert_base64url(kid, key)?;
        }
        Ok(keys)
    }

    /// The key with this id.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, v)| v)
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
