//! Who is calling. Devices present `Authorization: Bearer <JWT>` issued by the vendor's
//! own sign-in and verified here with the configured key (an HS256 secret, an
//! Ed25519/ES256/RS256 public key, or a JWKS file): `sub` is the account id, `exp` is
//! required and enforced, and an optional `device` claim pins the device id. The
//! operator presents the admin token (`CREDIT_METER_ADMIN_TOKEN` or a file) the same
//! way; it is compared in constant time and is never taken from a JWT, and a JWT never
//! makes a caller admin.

use credit_meter_protocol::error::ErrorCode;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// A device token's claims the ledger reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceClaims {
    /// `sub`: the account the device belongs to.
    pub account: String,
    /// `device`: the one device id the token may push and pull as (absent: any).
    pub device: Option<String>,
    /// `email`: where the account's low-balance emails go (optional).
    pub email: Option<String>,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A device of an account.
    Device(DeviceClaims),
    /// The operator (admin token).
    Admin,
}

/// Why a caller was refused: `UNAUTHORIZED` (HTTP 401: no or bad credentials) or
/// `FORBIDDEN` (HTTP 403: valid credentials, not for this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// 401 or 403.
    pub status: u16,
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong (never echoes the credentials).
    pub message: String,
}

impl Refusal {
    /// 401 UNAUTHORIZED.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Refusal {
        Refusal { status: 401, code: ErrorCode::Unauthorized, message: message.into() }
    }
    /// 403 FORBIDDEN.
    pub(crate) fn forbidden(message: impl Into<String>) -> Refusal {
        Refusal { status: 403, code: ErrorCode::Forbidden, message: message.into() }
    }
}

/// The keys device tokens are verified with.
pub(crate) struct DeviceKeys {
    /// Keys by `kid` (`None`: the one key for tokens without a kid).
    keys: Vec<(Option<String>, DecodingKey, Algorithm)>,
    audience: Option<String>,
    issuer: Option<String>,
}

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeys").field("keys", &self.keys.len()).finish_non_exhaustive()
    }
}

/// Where device tokens' key comes from.
#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    /// An HS256 shared secret (the file's bytes, trailing newline trimmed).
    Hs256Secret(Vec<u8>),
    /// A PEM public key: Ed25519 (EdDSA), P-256 (ES256) or RSA (RS256).
    PublicKeyPem(Vec<u8>),
    /// A JWKS document.
    Jwks(String),
}

impl DeviceKeys {
    /// Builds the verifier. Refuses a secret under 32 bytes and keys it cannot read.
    pub(crate) fn new(source: &KeySource, audience: Option<String>, issuer: Option<String>) -> Result<DeviceKeys, String> {
        let keys = match source {
            KeySource::Hs256Secret(secret) => {
                if secret.len() < 32 {
                    return Err("the HS256 secret must have at least 32 bytes".into());
                }
                vec![(None, DecodingKey::from_secret(secret), Algorithm::HS256)]
            }
            KeySource::PublicKeyPem(pem) => {
                let key = DecodingKey::from_ed_pem(pem)
                    .map(|k| (k, Algorithm::EdDSA))
                    .or_else(|_| DecodingKey::from_ec_pem(pem).map(|k| (k, Algorithm::ES256)))
                    .or_else(|_| DecodingKey::from_rsa_pem(pem).map(|k| (k, Algorithm::RS256)))
                    .map_err(|e| format!("the public key is not an Ed25519, P-256 or RSA PEM key: {e}"))?;
                vec![(None, key.0, key.1)]
            }
            KeySource::Jwks(text) => {
                let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("the JWKS file: {e}"))?;
                let mut keys = Vec::new();
                for jwk in &set.keys {
                    let alg = match &jwk.algorithm {
                        jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                        jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                        jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                        jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_) => continue, // no shared secrets in a JWKS
                    };
                    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("the JWKS file: {e}"))?;
                    keys.push((jwk.common.key_id.clone(), key, alg));
                }
                if keys.is_empty() {
                    return Err("the JWKS file has no usable public key".into());
                }
                keys
            }
        };
        Ok(DeviceKeys { keys, audience, issuer })
    }

    /// The keys a token is tried against: those its `kid` names; for a `kid` that none has,
    /// only the keys that have no kid (a PEM key, the HS256 secret, a JWKS key without one),
    /// so that a token naming an unknown key costs no verification under every key of a
    /// JWKS; for a token without a `kid`, every key.
    fn candidates(&self, kid: Option<&str>) -> Vec<&(Option<String>, DecodingKey, Algorithm)> {
        match kid {
            Some(kid) if self.keys.iter().any(|k| k.0.as_deref() == Some(kid)) => {
                self.keys.iter().filter(|k| k.0.as_deref() == Some(kid)).collect()
            }
            Some(_) => self.keys.iter().filter(|k| k.0.is_none()).collect(),
            None => self.keys.iter().collect(),
        }
    }

    /// Verifies a device token: signature, `exp` (required, no leeway), `nbf` when present
    /// (no leeway), `sub`, and the audience and issuer when configured (then required).
    pub(crate) fn verify(&self, token: &str) -> Result<DeviceClaims, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::unauthorized("the bearer token is not a JWT"))?;
        if has_crit(token) {
            // RFC 7515 §4.1.11: a `crit` header names extensions the verifier must
            // understand; this one understands none, so it must refuse (jsonwebtoken
            // ignores the member).
            return Err(Refusal::unauthorized("the token's header has crit extensions this service does not understand"));
        }
        let candidates = self.candidates(header.kid.as_deref());
        if candidates.is_empty() {
            return Err(Refusal::unauthorized("the token's kid names none of the configured keys"));
        }
        let mut last = Refusal::unauthorized("the token's signature does not verify");
        for (_, key, alg) in candidates {
            if header.alg != *alg {
                continue;
            }
            let mut v = Validation::new(*alg);
            v.leeway = 0;
            // RFC 7519 §4.1.5: never before `nbf` (jsonwebtoken skips it unless asked).
            v.validate_nbf = true;
            // A configured audience or issuer is required, not only compared when present
            // (jsonwebtoken skips an absent or unreadable `aud`/`iss`): a token the same
            // sign-in mints without one, for another service, is no device token here.
            let mut required = vec!["exp", "sub"];
            match &self.audience {
                Some(a) => {
                    v.set_audience(&[a]);
                    required.push("aud");
                }
                None => v.validate_aud = false,
            }
            if let Some(i) = &self.issuer {
                v.set_issuer(&[i]);
                required.push("iss");
            }
            v.set_required_spec_claims(&required);
            match jsonwebtoken::decode::<HashMap<String, serde_json::Value>>(token, key, &v) {
                Ok(data) => {
                    strict_claims(token)?;
                    return claims(&data.claims);
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind;
                    last = Refusal::unauthorized(match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                        ErrorKind::InvalidSignature => "the token's signature does not verify",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks exp or sub (or the configured aud or iss)",
                        ErrorKind::InvalidAudience => "the token is for another audience",
                        ErrorKind::InvalidIssuer => "the token is from another issuer",
                        _ => "the token is not valid",
                    });
                }
            }
        }
        Err(last)
    }
}

/// Whether the JWT's protected header has a `crit` member (the header was already decoded
/// by jsonwebtoken, so the segment is base64url JSON).
fn has_crit(token: &str) -> bool {
    segment(token, 0)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok())
        .is_some_and(|header| header.contains_key("crit"))
}

/// The bytes of the JWT's segment `index` (0: header, 1: claims), base64url-decoded.
fn segment(token: &str, index: usize) -> Option<Vec<u8>> {
    let text = token.split('.').nth(index).unwrap_or("");
    credit_meter_protocol::base64url::decode(text.trim_end_matches('=')).ok()
}

/// Refuses a token whose claims (already verified) repeat a member or are otherwise not
/// strict JSON: decoded into a map, a repeated claim keeps its last value, while a
/// sign-in, a gateway or a log reader in front may read the first — `"device":"a",
/// "device":"b"` would then pin the token to a device nobody checked.
fn strict_claims(token: &str) -> Result<(), Refusal> {
    let bytes = segment(token, 1).ok_or_else(|| Refusal::unauthorized("the token's claims are not base64url"))?;
    match credit_meter_base::json::from_slice::<credit_meter_base::json::Value>(&bytes) {
        Ok(_) => Ok(()),
        Err(e) => Err(Refusal::unauthorized(format!("the token's claims are not strict JSON: {}", e.message()))),
    }
}

fn claims(map: &HashMap<String, serde_json::Value>) -> Result<DeviceClaims, Refusal> {
    // jsonwebtoken checks an `nbf` it can read as a number and ignores any other: a token
    // whose `nbf` is not a number cannot be shown to be valid yet.
    // RFC 7519 §4.1.4: not on or after `exp`; jsonwebtoken refuses only an `exp` in the
    // past, so a token was still accepted during the second it names. Its clock, in seconds.
    let now = jsonwebtoken::get_current_timestamp() as f64;
    if map.get("exp").and_then(serde_json::Value::as_f64).is_some_and(|exp| exp <= now) {
        return Err(Refusal::unauthorized("the token has expired"));
    }
    if map.get("nbf").is_some_and(|n| !n.is_number()) {
        return Err(Refusal::unauthorized("the token's nbf is not a number"));
    }
    // jsonwebtoken skips an `nbf` it cannot read as a u64 (1e300, 2^64): compared here too.
    if map.get("nbf").and_then(serde_json::Value::as_f64).is_some_and(|nbf| nbf > now) {
        return Err(Refusal::unauthorized("the token is not valid yet (nbf)"));
    }
    // `iss` is one StringOrURI (RFC 7519 §4.1.1); jsonwebtoken would also take a list and
    // accept it when any member matches.
    if map.get("iss").is_some_and(|i| !i.is_string()) {
        return Err(Refusal::unauthorized("the token's iss is not a string"));
    }
    let account = map
        .get("sub")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Refusal::unauthorized("the token's sub is not an account id"))?;
    let device = match map.get("device") {
        None => None,
        Some(v) => Some(v.as_str().ok_or_else(|| Refusal::unauthorized("the token's device claim is not a string"))?.to_string()),
    };
    let email = map.get("email").and_then(|v| v.as_str()).map(str::to_string);
    Ok(DeviceClaims { account: account.to_string(), device, email })
}

/// The admin token (at least 16 bytes).
#[derive(Clone)]
pub(crate) struct AdminToken(Vec<u8>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    /// Refuses a token under 16 bytes.
    pub(crate) fn new(token: &str) -> Result<AdminToken, String> {
        let token = token.trim();
        if token.len() < 16 {
            return Err("the admin token must have at least 16 characters".into());
        }
        Ok(AdminToken(token.as_bytes().to_vec()))
    }

    /// Whether `presented` is the token (constant time in the token's contents).
    pub(crate) fn matches(&self, presented: &str) -> bool {
        presented.len() == self.0.len() && bool::from(presented.as_bytes().ct_eq(&self.0))
    }
}

/// Everything needed to authenticate.
#[derive(Debug)]
pub(crate) struct Auth {
    /// Device token verification (`None`: no device can sign in).
    pub devices: Option<DeviceKeys>,
    /// The admin token (`None`: no admin access).
    pub admin: Option<AdminToken>,
}

impl Auth {
    /// The caller of a request with this `Authorization` header value.
    pub(crate) fn caller(&self, authorization: Option<&str>) -> Result<Caller, Refusal> {
        let header = authorization.ok_or_else(|| Refusal::unauthorized("no Authorization header (Bearer token)"))?;
        // RFC 9110 §11.1: the scheme is case-insensitive (`BEARER` too).
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or_else(|| Refusal::unauthorized("the Authorization header is not a Bearer token"))?
            .trim();
        if self.admin.as_ref().is_some_and(|a| a.matches(token)) {
            return Ok(Caller::Admin);
        }
        match &self.devices {
            Some(keys) => keys.verify(token).map(Caller::Device),
            None => Err(Refusal::unauthorized("no device tokens are accepted (no --jwt-* key configured)")),
        }
    }
}
