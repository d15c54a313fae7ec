//! How a push's cost grows with the account's open holds (the reference ledger alone,
//! no store): pushes of 1,000 reserves onto an account already holding N open holds.
//!
//! `cargo run --release -p credit-meter-ledger-core --example push_cost [OPEN_HOLDS...]`
//! prints one line per N: milliseconds for the push and per mutation.

use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use std::time::Instant;

const NOW: i64 = 1_700_000_000_000;
const BATCH: u64 = 1_000;

fn reserves(first_seq: u64, n: u64) -> String {
    let ms: Vec<String> = (first_seq..first_seq + n)
        .map(|s| format!(r#"{{"type":"reserve","seq":{s},"at":0,"holdId":"d:h{s}","amount":"0.01","operation":"op"}}"#))
        .collect();
    format!(r#"{{"v":2,"accountId":"a","deviceId":"d","mutations":[{}]}}"#, ms.join(","))
}

fn main() {
    let sizes: Vec<u64> = std::env::args().skip(1).filter(|a| a != "--bench").map(|a| a.parse().unwrap_or(0)).collect();
    let sizes = if sizes.is_empty() { vec![0, 3_000, 9_000] } else { sizes };
    for open in sizes {
        let cfg = LedgerConfig { max_batch: 10_000, ..LedgerConfig::default() };
        let mut l = RefLedger::new(credit_meter_protocol::snapshot::SnapshotSigner::from_seed("k", &[7; 32]), cfg);
        let ok = l.handle_admin(r#"{"op":"createAccount","accountId":"a","policy":"trueRecall"}"#, NOW);
        assert!(ok.contains("true"), "{ok}");
        let ok = l.handle_admin(r#"{"op":"grant","accountId":"a","grant":{"id":"g","kind":"promotion","amount":"100000"}}"#, NOW);
        assert!(ok.contains("true"), "{ok}");
        let mut seq = 1;
        while seq <= open {
            let n = BATCH.min(open + 1 - seq);
            l.handle_push(&reserves(seq, n), NOW);
            seq += n;
        }
        let t = Instant::now();
        let out = l.handle_push(&reserves(seq, BATCH), NOW);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(out.matches("\"applied\"").count(), BATCH as usize, "every reserve applied");
        println!("open holds {open:>6}: push of {BATCH} reserves {ms:8.1} ms, {:6.1} µs a mutation", ms * 1e3 / BATCH as f64);
    }
}
