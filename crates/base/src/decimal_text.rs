//! Reading a decimal string exactly: the same results as `Decimal::from_str_exact`, bit for
//! bit (sign, scale, mantissa), in one short loop.
//!
//! Why not `from_str_exact` itself: rust_decimal's parser is a tree of const-generic
//! functions (point seen, sign, 64 or 96 bits, rounding) whose copies, error strings and
//! panic locations made 3.7 KB of the client .wasm (0.9 KB gzip); every decimal the client reads (JSON
//! money fields, amounts from JS) goes through here instead. The test compares the two on
//! every string of up to 7 characters over digits, `.`, `_`, signs and a letter, and on long
//! strings around the 96-bit and 28-digit-scale limits.
//!
//! The grammar `from_str_exact` accepts: an optional sign first; digits with at most one
//! `.` (`"1."`, `".5"`); `_` anywhere after the first digit, ignored; at least one digit.
//! Refused: a value of 2^96 or more, and any character after the 28th fractional digit.

use rust_decimal::Decimal;

/// The decimal `s` denotes, as `Decimal::from_str_exact(s).ok()` would return it.
pub fn parse_exact(s: &str) -> Option<Decimal> {
    let (negative, bytes) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        bytes => (false, bytes),
    };
    // The value in 64 bits while it is below 2^60 (so `× 10 + 9` cannot overflow), then in
    // 128: most amounts never leave the fast half.
    let mut small: u64 = 0;
    let mut wide: u128 = 0;
    let mut is_wide = false;
    let mut scale: u32 = 0;
    let (mut point, mut has_digit) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                let d = b - b'0';
                if is_wide {
                    wide = wide * 10 + u128::from(d);
                    if wide >> 96 != 0 {
                        return None;
                    }
                } else {
                    small = small * 10 + u64::from(d);
                    if small >= 1 << 60 {
                        is_wide = true;
                        wide = u128::from(small);
                    }
                }
                has_digit = true;
                if point {
                    scale += 1;
                    if scale >= 28 && i + 1 < bytes.len() {
                        return None;
                    }
                }
            }
            b'.' if !point => point = true,
            b'_' if has_digit => {}
            _ => return None,
        }
    }
    if !has_digit {
        return None;
    }
    let v = if is_wide { wide } else { u128::from(small) };
    Some(Decimal::from_parts(v as u32, (v >> 32) as u32, (v >> 64) as u32, negative, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(s: &str) {
        let ours = parse_exact(s).map(|d| d.serialize());
        let theirs = Decimal::from_str_exact(s).ok().map(|d| d.serialize());
        assert_eq!(ours, theirs, "{s:?}");
    }

    #[test]
    fn every_short_string_parses_as_from_str_exact() {
        const ALPHABET: &[u8] = b"019._+-a";
        let mut buf = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                same(std::str::from_utf8(&buf).unwrap_or_default());
            }
        }
    }

    #[test]
    fn long_strings_around_the_limits_parse_as_from_str_exact() {
        let max = "79228162514264337593543950335"; // 2^96 - 1
        let mut cases = vec![
            max.to_string(),
            "79228162514264337593543950336".to_string(),
            format!("-{max}"),
            format!("{max}0"),
            format!("{max}_"),
            format!("0000000000{max}"),
            format!("7.{}", &max[1..]),
            format!("0.{max}"),
            format!(".{}", "0".repeat(27) + "1"),
            format!(".{}", "0".repeat(28) + "1"),
            format!(".{}_", "0".repeat(27) + "1"),
            format!(".{}0", "0".repeat(27) + "1"),
            format!("1.{}", "0".repeat(28)),
            format!("1.{}", "0".repeat(29)),
            format!("-0.{}", "0".repeat(27)),
            "1152921504606846976".to_string(), // 2^60
            "1152921504606846975".to_string(),
            "18446744073709551615".to_string(),
            "18446744073709551616.5".to_string(),
            "1_000_000_000_000_000_000_000.000_1".to_string(),
            "12345678901234567890123456789.5".to_string(),
            "1234567890123456789012345678.9".to_string(),
        ];
        // Pseudo-random long strings, mostly digits.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 15 + (x % 30) as usize;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(match x % 40 {
                    0 => '.',
                    1 => '_',
                    2 => '-',
                    3 => 'e',
                    k => char::from(b'0' + (k % 10) as u8),
                });
            }
            cases.push(s);
        }
        for s in &cases {
            same(s);
        }
        assert!(parse_exact(max).is_some() && parse_exact("79228162514264337593543950336").is_none());
        assert_eq!(parse_exact("-1_0.50").map(|d| d.to_string()).as_deref(), Some("-10.50"));
    }
}
