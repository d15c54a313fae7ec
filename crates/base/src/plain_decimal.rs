//! Writing a decimal as plain text — what `value.normalize().to_string()` gives (no
//! exponent, no trailing fractional zeros, `-` for a negative value, `-0` made `0`) — straight
//! into a `String`, without `core::fmt`.
//!
//! Why: every amount the client writes (JSON money fields, the Meter's `balance()` with one
//! amount per grant, the state saved on each operation) went through rust_decimal's
//! `Display`, the formatter machinery and a temporary `String` per amount. The test compares
//! the two on every mantissa below 3,000 at every scale, and on values around the 64- and
//! 96-bit limits.

use rust_decimal::Decimal;

/// Appends the plain text of `value` (as `value.normalize().to_string()` writes it) to `out`.
pub fn push_plain(out: &mut String, value: Decimal) {
    let v = value.normalize();
    let scale = v.scale() as usize;
    let negative = v.is_sign_negative() && !v.is_zero();
    // At most 29 digits, a point, a leading `0` and a sign.
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    let mut rest = v.mantissa().unsigned_abs();
    let mut written = 0;
    loop {
        if written == scale && scale > 0 {
            i -= 1;
            buf[i] = b'.';
        }
        // In 64 bits once the value fits (the 128-bit division is a library call in Wasm).
        let digit = match u64::try_from(rest) {
            Ok(small) => {
                rest = u128::from(small / 10);
                small % 10
            }
            Err(_) => {
                let d = (rest % 10) as u64;
                rest /= 10;
                d
            }
        };
        i -= 1;
        buf[i] = b'0' + digit as u8;
        written += 1;
        if rest == 0 && written > scale {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    // ASCII only, so this never falls back.
    out.push_str(std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(d: Decimal) {
        let mut ours = String::from("x");
        push_plain(&mut ours, d);
        assert_eq!(ours.get(1..), Some(d.normalize().to_string().as_str()), "{d:?}");
    }

    #[test]
    fn every_small_mantissa_at_every_scale_writes_as_normalize_to_string() {
        for m in 0..3_000i64 {
            for scale in 0..=28 {
                same(Decimal::new(m, scale));
                same(Decimal::new(-m, scale));
            }
        }
    }

    #[test]
    fn values_around_the_limits_write_as_normalize_to_string() {
        let edges: [u128; 8] = [
            u64::MAX as u128 - 1,
            u64::MAX as u128,
            u64::MAX as u128 + 1,
            1 << 95,
            (1 << 96) - 1,
            10u128.pow(28),
            10u128.pow(15),
            123_456_789_012_345_678_901_234_567,
        ];
        for m in edges {
            for scale in 0..=28 {
                for negative in [false, true] {
                    same(Decimal::from_parts(m as u32, (m >> 32) as u32, (m >> 64) as u32, negative, scale));
                }
            }
        }
        same(Decimal::MAX);
        same(Decimal::MIN);
        same(Decimal::ZERO);
        same(Decimal::NEGATIVE_ONE);
    }
}
