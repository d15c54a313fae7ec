//! The ledger's strict reading of a push (`docs/PROTOCOL.md` §1): money as written by
//! the protocol — digits, optionally `.` and digits, no exponent (`"1e1"`, `"12.5E0"`),
//! no leading zero (`"010"`), no leading or trailing `.` — and every `seq` an integer in
//! `1 … 2^53 − 1`. The crate's amount parser also reads scientific notation (catalog
//! prices copied from providers); on the wire one value has one spelling, so two
//! spellings of one amount cannot make two fingerprints of one mutation.

use crate::json::Value;

/// The largest counter (2^53 − 1: exact in a JavaScript number).
pub const MAX_COUNTER: u64 = (1 << 53) - 1;

/// Whether `s` is a protocol money string.
pub fn wire_amount(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_ok = !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

/// Whether a JSON number is a protocol seq: digits without a leading zero, 1 … 2^53 − 1.
fn wire_seq(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0') && n.parse::<u64>().is_ok_and(|x| x <= MAX_COUNTER)
        }
        _ => false,
    }
}

/// Whether every mutation of a parsed push body has a wire seq and wire amounts.
pub fn strict_push(body: &Value) -> bool {
    let Some(Value::Array(ms)) = body.get("mutations") else { return false };
    ms.iter().all(|m| {
        let seq_ok = m.get("seq").is_some_and(wire_seq);
        let amount_ok = match m.get("amount") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => wire_amount(s),
            Some(_) => false,
        };
        seq_ok && amount_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_one_spelling_on_the_wire() {
        for ok in ["0", "12", "12.5", "0.001", "12.50", "1000000000000000"] {
            assert!(wire_amount(ok), "{ok}");
        }
        for bad in ["", "1e1", "12.5E0", "010", "00", ".5", "5.", "-1", "+1", " 1", "1 ", "1,000", "0x10", "NaN"] {
            assert!(!wire_amount(bad), "{bad:?}");
        }
    }

    #[test]
    fn seqs_are_integers_up_to_2_pow_53_minus_1() {
        let n = |s: &str| Value::Number(s.into());
        assert!(wire_seq(&n("1")) && wire_seq(&n("9007199254740991")));
        for bad in ["0", "9007199254740992", "18446744073709551616", "01", "1e0", "1.0", "-1"] {
            assert!(!wire_seq(&n(bad)), "{bad}");
        }
        assert!(!wire_seq(&Value::String("1".into())));
    }
}
