//! Checked decimal arithmetic compiled once. rust_decimal marks its add, subtract and
//! multiply `#[inline(always)]`, so every call of `Decimal::checked_add` & co. (and each
//! operator impl, `Decimal::ceil` included) would carry its own 1–2 KB copy of the
//! algorithm in the .wasm; the crate calls these instead, and never the operators.

use rust_decimal::Decimal;

/// `a + b`; `None` on overflow.
#[inline(never)]
pub fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
}

/// `a − b`; `None` on overflow. (The same algorithm as [`add`], with `b` negated: one copy.)
pub fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    add(a, -b)
}

/// `a × b`; `None` on overflow.
#[inline(never)]
pub fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_mul(b)
}

/// `a ÷ b`; `None` on overflow or when `b` is zero.
#[inline(never)]
pub fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_div(b)
}

/// The smallest integer not below `x`: `Decimal::ceil`, through [`add`].
pub fn ceil(x: Decimal) -> Decimal {
    if x.scale() == 0 {
        return x;
    }
    let t = x.trunc();
    if x.is_sign_positive() && t != x {
        // `t` has no fraction digits while `x` had some: `t + 1` is far from the limit.
        add(t, Decimal::ONE).unwrap_or(t)
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn match_rust_decimal() {
        let values = [
            "0",
            "1",
            "-1",
            "0.001",
            "2.5",
            "-7.125",
            "1000000000000000",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ];
        for a in values {
            for b in values {
                let (a, b) = (d(a), d(b));
                assert_eq!(add(a, b), a.checked_add(b), "{a} + {b}");
                assert_eq!(sub(a, b), a.checked_sub(b), "{a} - {b}");
                assert_eq!(sub(a, b).map(|v| v.scale()), a.checked_sub(b).map(|v| v.scale()), "{a} - {b}");
                assert_eq!(mul(a, b), a.checked_mul(b), "{a} * {b}");
                assert_eq!(div(a, b), a.checked_div(b), "{a} / {b}");
            }
            let a = d(a);
            assert_eq!(ceil(a), a.ceil(), "ceil {a}");
            assert_eq!((ceil(a).scale(), ceil(a).is_sign_negative()), (a.ceil().scale(), a.ceil().is_sign_negative()), "ceil {a}");
        }
        for s in ["0.5", "-0.5", "1.000", "2.0001", "-2.9", "999999999999999.999", "0.0000000000000000000000000001"] {
            let a = d(s);
            assert_eq!(ceil(a), a.ceil(), "ceil {s}");
            assert_eq!((ceil(a).scale(), ceil(a).is_sign_negative()), (a.ceil().scale(), a.ceil().is_sign_negative()), "ceil {s}");
        }
    }
}
