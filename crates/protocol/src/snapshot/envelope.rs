//! The envelope: `{"v":1,"alg":"Ed25519","kid":…,"payload":…,"sig":…}` and its
//! verification — the bytes first, then the parse.

use super::error::SnapshotError;
use super::keys::PublicKeys;
use super::payload::SnapshotPayload;
use super::{ALG, DOMAIN, MAX_ENVELOPE_BYTES, VERSION};
use crate::base64url;
use ed25519_dalek::Signature;

/// A signed snapshot as it travels and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Envelope version: 1.
    pub v: u32,
    /// `"Ed25519"`.
    pub alg: String,
    /// The signing key's id.
    pub kid: String,
    /// base64url (no padding) of the exact payload bytes.
    pub payload: String,
    /// base64url (no padding) of the 64-byte signature over `DOMAIN ‖ payload bytes`.
    pub sig: String,
}

/// A snapshot whose signature verified and whose payload parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The envelope, kept to be stored as received.
    pub envelope: Envelope,
    /// Its payload.
    pub payload: SnapshotPayload,
}

/// The exact bytes a signature covers: [`DOMAIN`] followed by the payload bytes.
pub fn signature_input(payload: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(DOMAIN.len() + payload.len());
    msg.extend_from_slice(DOMAIN);
    msg.extend_from_slice(payload);
    msg
}

impl Envelope {
    /// Parses an envelope from JSON text (no verification yet).
    pub fn parse(json: &str) -> Result<Envelope, SnapshotError> {
        if json.len() > MAX_ENVELOPE_BYTES {
            return Err(SnapshotError::Malformed("envelope too large"));
        }
        crate::json::from_str(json).map_err(|_| SnapshotError::Malformed("envelope is not {v, alg, kid, payload, sig}"))
    }

    /// The envelope as JSON text.
    pub fn to_json(&self) -> String {
        crate::json::to_string(self)
    }

    /// Verifies the signature over the payload bytes, then parses the payload.
    pub fn verify(self, keys: &PublicKeys) -> Result<Verified, SnapshotError> {
        if self.v != VERSION {
            return Err(SnapshotError::BadSignature("unknown envelope version"));
        }
        if self.alg != ALG {
            return Err(SnapshotError::BadSignature("unknown algorithm"));
        }
        let key = keys.get(&self.kid).ok_or_else(|| SnapshotError::UnknownKey(self.kid.clone()))?;
        let sig = base64url::decode(&self.sig).map_err(|_| SnapshotError::BadSignature("signature is not base64url"))?;
        let sig: [u8; 64] = sig.try_into().map_err(|_| SnapshotError::BadSignature("signature must have 64 bytes"))?;
        // The signed bytes, `DOMAIN ‖ payload` ([`signature_input`]), decoded into one buffer.
        let signed = base64url::decode_after(DOMAIN, &self.payload).map_err(|_| SnapshotError::BadSignature("payload is not base64url"))?;
        let sig = Signature::from_bytes(&sig);
        key.verify_strict(&signed, &sig).map_err(|_| SnapshotError::BadSignature("signature does not verify"))?;
        let payload = SnapshotPayload::parse(signed.get(DOMAIN.len()..).unwrap_or_default())?;
        Ok(Verified { envelope: self, payload })
    }
}

/// Parses and verifies an envelope given as JSON text.
pub fn verify_json(json: &str, keys: &PublicKeys) -> Result<Verified, SnapshotError> {
    Envelope::parse(json)?.verify(keys)
}

json_struct!(Envelope [deny] { v: "v", alg: "alg", kid: "kid", payload: "payload", sig: "sig" });
