//! Inputs the fuzz targets (`fuzz/`, `./scripts/fuzz.sh`) found to crash the crate, fed to
//! the same API as the target did, with the outcome they must have now.

use credit_meter_core::catalog::Catalog;
use credit_meter_core::estimate::{estimate, EstimateRequest};
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::money::{Count, Credits};

/// `fuzz/artifacts/catalog/crash-26b865571a180542c8de154d7aa27a2bb3760a3d` (target
/// `catalog`, after 13.7 million runs): a valid catalog whose `creditStep` is 1.19 × 10^-17.
/// Estimating 2^53 − 1 prompt tokens costs 1.8 × 10^14 credits, and rounding that up to
/// the step divided it into more steps than a decimal holds: `Decimal /` panicked
/// ("Division overflowed") in `Credits::round_up_to_step`, which in the Wasm package is
/// an abort of the instance.
const TINY_STEP_CATALOG: &[u8] = br#"{"format":1,"revision":"r1","creditsPerUsd":"200","creditStep":"0.00000000000000001191788823","models":[{"id":"m/a","pricing":{"prompt":"0.00010015","completion":"0.0000006"}}],"operations":[{"id":"Message","model":"m/a","charge":{"kind":"perToken"}},{"id":"free","name":"Free","charge":{"kind":"free"}}],"packages":[{"id":"p","name":"P","credits":"959","priceUsd":"1"}]}"#;

#[test]
fn a_credit_step_too_fine_for_the_amount_is_a_coded_error_not_a_panic() {
    let text = std::str::from_utf8(TINY_STEP_CATALOG).unwrap();
    let catalog = Catalog::parse(text).expect("the catalog itself is valid");
    let n = (1u64 << 53) - 1;
    let req = EstimateRequest {
        operation: "Message".into(),
        input_tokens: Some(Count(n)),
        output_tokens: Some(Count(n / 2)),
        ..Default::default()
    };
    let err = estimate(&catalog, &req).expect_err("the debit cannot be rounded to that step");
    assert_eq!(err.code(), "BAD_AMOUNT", "{err}");
    // A usage that fits still rounds to the step: the catalog keeps working.
    let small = EstimateRequest {
        operation: "Message".into(),
        input_tokens: Some(Count(1000)),
        output_tokens: Some(Count(10)),
        ..Default::default()
    };
    let est = estimate(&catalog, &small).expect("a small usage is estimated");
    assert!(est.credits.low <= est.credits.expected && est.credits.expected <= est.credits.high);
    assert!(!est.credits.expected.is_zero());
}

#[test]
fn rounding_up_to_a_step_never_panics_on_overflow() {
    let step = Credits::parse("0.00000000000000001191788823").unwrap();
    let big = Credits::parse("180000000000000").unwrap();
    assert!(big.round_up_to_step(step).is_err(), "the quotient overflows: refused");
    let one = Credits::parse("1").unwrap();
    assert_eq!(one.round_up_to_step(Credits::parse("0.3").unwrap()).unwrap(), Credits::parse("1.2").unwrap());
}
