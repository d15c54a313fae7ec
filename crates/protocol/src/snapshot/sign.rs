//! Signing (feature `ledger` only: the client never holds a private key).

use super::envelope::{signature_input, Envelope};
use super::payload::SnapshotPayload;
use super::{ALG, VERSION};
use crate::base64url;
use ed25519_dalek::{Signer, SigningKey};

/// A signing key with its key id. Cloning copies the expanded key (no derivation), so a
/// server can build one per key once and hand a copy to each request.
#[derive(Clone)]
pub struct SnapshotSigner {
    kid: String,
    key: SigningKey,
}

impl std::fmt::Debug for SnapshotSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotSigner").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SnapshotSigner {
    /// A signer from a 32-byte Ed25519 seed (RFC 8032 secret key) and a key id.
    pub fn from_seed(kid: &str, seed: &[u8; 32]) -> SnapshotSigner {
        SnapshotSigner { kid: kid.to_string(), key: SigningKey::from_bytes(seed) }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The public key as base64url, as clients are given it.
    pub fn public_key_base64url(&self) -> String {
        base64url::encode(&self.public_key())
    }

    /// Signs exact payload bytes.
    pub fn sign_bytes(&self, payload: &[u8]) -> Envelope {
        let sig = self.key.sign(&signature_input(payload));
        Envelope {
            v: VERSION,
            alg: ALG.to_string(),
            kid: self.kid.clone(),
            payload: base64url::encode(payload),
            sig: base64url::encode(&sig.to_bytes()),
        }
    }

    /// Serialises a payload and signs the bytes.
    pub fn sign(&self, payload: &SnapshotPayload) -> Envelope {
        self.sign_bytes(&crate::json::to_string(payload).into_bytes())
    }
}
