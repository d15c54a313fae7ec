//! Identifier rules (PROTOCOL §1), in one place for the client and the ledger: an account
//! id or device id has 1 to [`MAX_ID_BYTES`] bytes of printable text (no control
//! characters, no Unicode bidirectional controls); a device id has no `:`, because hold
//! ids are `"<deviceId>:<n>"` and the prefix must be unambiguous.

use std::fmt;

/// The most bytes an account id or a device id may have.
pub const MAX_ID_BYTES: usize = 128;
/// The most bytes a mutation id or a hold id's suffix may have.
pub const MAX_NONCE_BYTES: usize = 64;

/// The most bytes a reserve's `operation` or `agentId` may have: a catalog's ids have at
/// most as many (`crates/core/src/catalog/validate.rs`). Without a bound, one device could
/// make the ledger store, and answer in every account state, megabytes per hold.
pub const MAX_LABEL_BYTES: usize = 200;

/// Whether `s` fits as a reserve's `operation` or `agentId`: at most [`MAX_LABEL_BYTES`]
/// bytes (the content is not checked: an empty operation is one like any other).
pub fn valid_label(s: &str) -> bool {
    s.len() <= MAX_LABEL_BYTES
}

/// Whether `s` is a valid mutation id or hold-id suffix: 1 to [`MAX_NONCE_BYTES`] bytes
/// of the base64url alphabet (`A–Z a–z 0–9 - _`).
pub fn valid_nonce(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NONCE_BYTES && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Which identifier broke the rules, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Empty.
    Empty,
    /// Longer than [`MAX_ID_BYTES`] bytes.
    TooLong,
    /// A control character or a bidirectional formatting character.
    Unprintable,
    /// A `:` in a device id.
    Colon,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::Empty => "is empty",
            IdError::TooLong => "is longer than 128 bytes",
            IdError::Unprintable => "contains a control or bidirectional formatting character",
            IdError::Colon => "contains ':' (hold ids are \"<deviceId>:<n>\")",
        })
    }
}

/// Characters no identifier may hold: C0/C1 controls and the Unicode bidirectional
/// formatting characters (which make an id display as another).
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks an account id.
pub fn check_account_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong);
    }
    if id.chars().any(unprintable) {
        return Err(IdError::Unprintable);
    }
    Ok(())
}

/// Checks a device id: an account id's rules, and no `:`.
pub fn check_device_id(id: &str) -> Result<(), IdError> {
    check_account_id(id)?;
    if id.contains(':') {
        return Err(IdError::Colon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules() {
        assert_eq!(check_device_id("laptop"), Ok(()));
        assert_eq!(check_device_id(""), Err(IdError::Empty));
        assert_eq!(check_device_id(&"a".repeat(128)), Ok(()));
        assert_eq!(check_device_id(&"a".repeat(129)), Err(IdError::TooLong));
        assert_eq!(check_device_id("é".repeat(65).as_str()), Err(IdError::TooLong));
        assert_eq!(check_device_id("a:b"), Err(IdError::Colon));
        assert_eq!(check_account_id("a:b"), Ok(()));
        assert_eq!(check_account_id("a\u{0}b"), Err(IdError::Unprintable));
        assert_eq!(check_account_id("a\u{202E}b"), Err(IdError::Unprintable));
        assert!(valid_nonce("AZaz09-_") && !valid_nonce("a.b") && !valid_nonce(&"a".repeat(65)) && !valid_nonce(""));
    }
}
