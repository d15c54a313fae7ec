//! Catalogs: parsing arbitrary text never panics; a catalog that parses validates again
//! from its own definition to the same catalog, and every operation in it estimates and
//! decides without a panic, with low ≤ expected ≤ high, or refuses with a coded error.
#![no_main]

use credit_meter_core::catalog::Catalog;
use credit_meter_protocol::error::Coded;
use credit_meter_core::estimate::{estimate, Encoding, EstimateRequest};
use credit_meter_core::funding::{decide, DecideRequest};
use credit_meter_protocol::money::{Count, Credits};
use libfuzzer_sys::fuzz_target;

const COUNTS: [u64; 5] = [0, 1, 37, 1_000_000, (1 << 53) - 1];

fn ordered<T: PartialOrd + std::fmt::Debug>(low: T, expected: T, high: T, what: &str) {
    assert!(low <= expected && expected <= high, "{what}: {low:?} ≤ {expected:?} ≤ {high:?}");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let catalog = match Catalog::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    let again = Catalog::from_definition(catalog.definition().clone()).expect("a valid catalog's definition validates again");
    assert_eq!(again.definition(), catalog.definition());
    let _ = catalog.packages();
    for amount in COUNTS.into_iter().filter_map(|n| Credits::from_u64(n).ok()) {
        let _ = catalog.package_covering(amount);
    }
    for op in catalog.operations() {
        for (i, n) in COUNTS.into_iter().enumerate() {
            let note = "# Cells\nThe cell is the basic unit of life.\n\n- Nucleus\n- Ribosome\n".repeat(i);
            let requests = [
                EstimateRequest { operation: op.id.clone(), cards: Some(Count(n)), ..Default::default() },
                EstimateRequest { operation: op.id.clone(), input_tokens: Some(Count(n)), output_tokens: Some(Count(n / 2)), ..Default::default() },
                EstimateRequest { operation: op.id.clone(), characters: Some(Count(n)), ..Default::default() },
                EstimateRequest { operation: op.id.clone(), note: Some(note.clone()), encoding: Some(Encoding::Cl100kBase), ..Default::default() },
                EstimateRequest { operation: op.id.clone(), text: Some(note), max_output_tokens: Some(Count(n)), ..Default::default() },
            ];
            for req in &requests {
                let est = match estimate(&catalog, req) {
                    Ok(e) => e,
                    Err(e) => {
                        assert!(["BAD_INPUT", "BAD_AMOUNT", "UNKNOWN_MODEL"].contains(&e.code()), "{e}");
                        continue;
                    }
                };
                let c = &est.credits;
                ordered(c.low, c.expected, c.high, "credits");
                ordered(est.input_tokens.low, est.input_tokens.expected, est.input_tokens.high, "input tokens");
                ordered(est.output_tokens.low, est.output_tokens.expected, est.output_tokens.high, "output tokens");
                if let Some(k) = est.cards {
                    ordered(k.low, k.expected, k.high, "cards");
                }
                if let Some(u) = &est.provider_usd {
                    ordered(u.low, u.expected, u.high, "provider USD");
                }
                for balance in [Credits::ZERO, c.high] {
                    let d = decide(&catalog, &DecideRequest { estimate: est.clone(), byok: false, balance: Some(balance) })
                        .expect("an estimate from this catalog decides");
                    assert!(d.reserve <= c.high);
                }
            }
        }
    }
});
