//! Base64url without padding (RFC 4648 §5), strict: the alphabet `A–Z a–z 0–9 - _`, no
//! `=`, no white space, and the unused low bits of the last character must be zero, so
//! every byte string has exactly one encoding. Hand-written to keep the `.wasm` small.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string is not strict base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Error {
    /// A character outside the alphabet (including `=` and white space).
    BadChar,
    /// A length of 1 modulo 4, or non-zero unused bits in the last character.
    BadLength,
}

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).copied().map_or(0, u32::from);
        let b2 = chunk.get(2).copied().map_or(0, u32::from);
        let n = (b0 << 16) | (b1 << 8) | b2;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(ALPHABET[index]));
        }
    }
    out
}

/// 6-bit values by byte; 0xFF for bytes outside the alphabet.
const DECODE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes strict base64url without padding.
pub fn decode(s: &str) -> Result<Vec<u8>, Base64Error> {
    decode_after(&[], s)
}

/// `prefix` followed by the bytes `s` decodes to (strict base64url without padding), in one
/// buffer: a snapshot's signature covers a domain prefix and the payload bytes, and decoding
/// the payload straight after the prefix spares a copy of it (~60 KB for 1,000 grants) and
/// the allocation, which in a Wasm instance is often fresh memory to grow.
pub fn decode_after(prefix: &[u8], s: &str) -> Result<Vec<u8>, Base64Error> {
    let input = s.as_bytes();
    if input.len() % 4 == 1 {
        return Err(Base64Error::BadLength);
    }
    // Whole groups of four characters are written in place into a buffer of their final
    // size: a snapshot's payload is ~80 KB of text, and one `extend_from_slice` per three
    // bytes (a call with its capacity check, at opt-level "z") was most of its decoding.
    let mut out = Vec::with_capacity(prefix.len() + input.len().div_ceil(4) * 3);
    out.extend_from_slice(prefix);
    out.resize(prefix.len() + input.len() / 4 * 3, 0);
    let mut chunks = input.chunks_exact(4);
    for (dst, src) in out[prefix.len()..].chunks_exact_mut(3).zip(&mut chunks) {
        let (&[a, b, c, d], [x, y, z]) = (src, dst) else { continue };
        let (a, b, c, d) = (DECODE[usize::from(a)], DECODE[usize::from(b)], DECODE[usize::from(c)], DECODE[usize::from(d)]);
        // Values are below 64; 0xFF (outside the alphabet) has the top bits set.
        if (a | b | c | d) & 0xC0 != 0 {
            return Err(Base64Error::BadChar);
        }
        let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        (*x, *y, *z) = ((n >> 16) as u8, (n >> 8) as u8, n as u8);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut n = 0u32;
        for (i, &c) in rest.iter().enumerate() {
            let v = DECODE[usize::from(c)];
            if v == 0xFF {
                return Err(Base64Error::BadChar);
            }
            n |= u32::from(v) << (18 - 6 * i);
        }
        // The bits below the kept bytes must be zero (canonical encoding).
        let (keep, unused_mask) = if rest.len() == 2 { (1, 0xFFFF) } else { (2, 0xFF) };
        if n & unused_mask != 0 {
            return Err(Base64Error::BadLength);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8];
        out.extend_from_slice(&bytes[..keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, enc) in cases {
            assert_eq!(encode(raw), enc);
            assert_eq!(decode(enc).as_deref(), Ok(raw));
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn refuses_non_canonical_input() {
        for bad in ["Zg==", "Z", "Zh", "Zm9", "Zm+v", "Zm/v", " Zm9v", "Zm9v\n", "Zm8="] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        assert!(decode("Zm9").is_err(), "unused bits set");
        assert_eq!(decode("Zm8"), Ok(b"fo".to_vec()));
    }

    #[test]
    fn decodes_after_a_prefix() {
        assert_eq!(decode_after(b"ab", "Zm9vYmE"), Ok(b"abfooba".to_vec()));
        assert_eq!(decode_after(b"ab", ""), Ok(b"ab".to_vec()));
        assert_eq!(decode_after(b"ab", "Zm9"), Err(Base64Error::BadLength), "unused bits set");
        assert_eq!(decode_after(b"ab", "Zm=v"), Err(Base64Error::BadChar));
    }

    #[test]
    fn every_byte_string_round_trips() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        for len in 0..bytes.len() {
            assert_eq!(decode(&encode(&bytes[..len])), Ok(bytes[..len].to_vec()));
        }
    }
}
