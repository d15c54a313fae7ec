//! The one rule for identifiers on the wire (`docs/PROTOCOL.md` §1), shared by the
//! client (enforced at `Meter.open`) and the reference ledger, so an id the client
//! accepts is never refused on every sync.
//!
//! An account id or device id is 1 to [`MAX_ID_BYTES`] bytes of UTF-8 with no control
//! character (C0, DEL, C1: that includes NUL) and no bidirectional formatting character
//! (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, which can make an id display
//! as another); a device id also has no `:` (hold ids are `"<deviceId>:<suffix>"`).

/// Longest account or device id, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest mutation id or hold-id suffix, in bytes.
pub const MAX_NONCE_BYTES: usize = 64;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `s` is a valid account id.
pub fn valid_account_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_BYTES && !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Whether `s` is a valid device id.
pub fn valid_device_id(s: &str) -> bool {
    valid_account_id(s) && !s.contains(':')
}

/// Whether `s` is a valid mutation id or hold-id suffix: 1 to 64 bytes of the base64url
/// alphabet (`A–Z a–z 0–9 - _`).
pub fn valid_nonce(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NONCE_BYTES && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_ids() {
        assert!(valid_device_id("laptop") && valid_device_id("é-ü") && valid_device_id(&"x".repeat(128)));
        for bad in ["", "a:b", "a\u{0}b", "a\nb", "a\u{7f}", "a\u{85}", "a\u{202E}b", "a\u{2066}", "a\u{200F}"] {
            assert!(!valid_device_id(bad), "{bad:?}");
        }
        assert!(!valid_device_id(&"x".repeat(129)));
        assert!(valid_account_id("acct:1"));
        assert!(valid_nonce("AZaz09-_") && !valid_nonce("a.b") && !valid_nonce(&"a".repeat(65)) && !valid_nonce(""));
    }
}
