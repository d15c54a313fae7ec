//! Verifies a Stripe webhook's `Stripe-Signature` header exactly as Stripe documents it
//! (<https://docs.stripe.com/webhooks#verify-manually>):
//!
//! 1. the header is a comma-separated list of `key=value` items; `t` is the Unix
//!    timestamp, each `v1` is a signature (several while a secret is being rolled),
//!    other schemes (`v0`) are ignored;
//! 2. the signed payload is `<t>.<raw request body>`;
//! 3. the expected signature is HMAC-SHA256 of it keyed with the endpoint's secret
//!    (`whsec_…`, used as given);
//! 4. each `v1` is compared with it in constant time, and one match is enough;
//! 5. the timestamp must be within the tolerance of now (Stripe's libraries use 300 s),
//!    which bounds replays of a captured delivery.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Stripe's default tolerance, in seconds.
pub(crate) const DEFAULT_TOLERANCE_S: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// No `t=` timestamp or no `v1=` signature in the header.
    Malformed,
    /// No `v1` signature matches the payload under the secret.
    NoMatch,
    /// The timestamp is further from now than the tolerance.
    OutsideTolerance {
        /// The header's timestamp (s).
        timestamp: i64,
        /// Now (s).
        now: i64,
    },
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Malformed => f.write_str("the Stripe-Signature header has no t= timestamp or no v1= signature"),
            SignatureError::NoMatch => f.write_str("no v1 signature matches the payload (wrong endpoint secret or a changed body)"),
            SignatureError::OutsideTolerance { timestamp, now } => {
                write!(f, "the signature's timestamp {timestamp} is outside the tolerance of now ({now})")
            }
        }
    }
}

/// Verifies `header` for the raw `payload` with the endpoint `secret` at `now_s`
/// (seconds); returns the signed timestamp.
pub(crate) fn verify(payload: &[u8], header: &str, secret: &[u8], now_s: i64, tolerance_s: i64) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else { continue };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let (Some(timestamp), false) = (timestamp, signatures.is_empty()) else { return Err(SignatureError::Malformed) };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return Err(SignatureError::NoMatch) };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    // Every candidate is checked (no early exit on a match), each in constant time.
    let mut matched = false;
    for sig in signatures {
        if let Some(bytes) = from_hex(sig) {
            matched |= mac.clone().verify_slice(&bytes).is_ok();
        }
    }
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    if now_s.abs_diff(timestamp) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::OutsideTolerance { timestamp, now: now_s });
    }
    Ok(timestamp)
}

/// Lowercase or uppercase hex to bytes (`None`: not hex).
fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A header made by the official `stripe` npm package (23.2.0):
    // stripe.webhooks.generateTestHeaderString({payload: PAYLOAD, secret: SECRET, timestamp: T}).
    const SECRET: &str = "whsec_test_secret_for_unit_tests";
    const PAYLOAD: &str = r#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const T: i64 = 1_700_000_000;
    const HEADER: &str = include_str!("signature_vector.txt");

    fn header() -> &'static str {
        HEADER.trim()
    }

    #[test]
    fn accepts_the_official_librarys_signature() {
        assert_eq!(verify(PAYLOAD.as_bytes(), header(), SECRET.as_bytes(), T, 300), Ok(T));
        assert_eq!(verify(PAYLOAD.as_bytes(), header(), SECRET.as_bytes(), T + 300, 300), Ok(T));
    }

    #[test]
    fn refuses_a_wrong_secret_a_changed_body_and_an_old_timestamp() {
        assert_eq!(verify(PAYLOAD.as_bytes(), header(), b"whsec_other", T, 300), Err(SignatureError::NoMatch));
        let changed = PAYLOAD.replace("evt_1", "evt_2");
        assert_eq!(verify(changed.as_bytes(), header(), SECRET.as_bytes(), T, 300), Err(SignatureError::NoMatch));
        assert_eq!(
            verify(PAYLOAD.as_bytes(), header(), SECRET.as_bytes(), T + 301, 300),
            Err(SignatureError::OutsideTolerance { timestamp: T, now: T + 301 })
        );
        // A re-signed timestamp without the matching signature does not pass either.
        let moved = header().replacen(&format!("t={T}"), &format!("t={}", T + 100), 1);
        assert_eq!(verify(PAYLOAD.as_bytes(), &moved, SECRET.as_bytes(), T + 100, 300), Err(SignatureError::NoMatch));
    }

    #[test]
    fn tries_every_v1_signature_and_ignores_v0() {
        let v1 = header().split(',').find_map(|i| i.strip_prefix("v1=")).unwrap_or_default();
        let rolled = format!("t={T},v1={},v0=abc,v1={v1}", "0".repeat(64));
        assert_eq!(verify(PAYLOAD.as_bytes(), &rolled, SECRET.as_bytes(), T, 300), Ok(T));
        let only_v0 = format!("t={T},v0={v1}");
        assert_eq!(verify(PAYLOAD.as_bytes(), &only_v0, SECRET.as_bytes(), T, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn refuses_malformed_headers() {
        for h in ["", "t=abc,v1=00", "v1=00", &format!("t={T}"), &format!("t={T},v1=zz")] {
            assert!(verify(PAYLOAD.as_bytes(), h, SECRET.as_bytes(), T, 300).is_err(), "{h:?}");
        }
    }
}
