//! Tamper evidence: bit flips, re-serialisation, unknown keys, wrong versions, identity,
//! rollback, freshness and size limits.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_protocol::base64url;
use credit_meter_protocol::error::Coded;
use credit_meter_protocol::snapshot::*;
use credit_meter_sim::harness::*;
use proptest::prelude::*;

fn payload() -> SnapshotPayload {
    SnapshotPayload {
        account_id: "a1".into(),
        device_id: "d1".into(),
        seq: 7,
        issued_at: T0,
        expires_at: T0 + 300_000,
        balance: c("12.5"),
        held: c("2"),
        grants: vec![
            SnapshotGrant {
                id: "p1".into(),
                kind: "purchase".into(),
                remaining: c("10"),
                expires_at: None,
                priority: 0,
                refundable_until: Some(T0 + 1),
            },
            SnapshotGrant {
                id: "s".into(),
                kind: "signup".into(),
                remaining: c("2.5"),
                expires_at: Some(T0 + 1000),
                priority: 0,
                refundable_until: None,
            },
        ],
        allowances: vec![],
        holds: vec![SnapshotHold { id: "d1:3".into(), amount: c("2"), expires_at: T0 + 600_000, unit: None, units: None }],
        last_mutation_seq: 3,
        offline_limit: c("50"),
        low_balance: vec![c("5")],
        hold_ttl_ms: 600_000,
        credit_step: None,
        agents: None,
    }
}

fn signed() -> String {
    signer().sign(&payload()).to_json()
}

#[test]
fn a_signed_snapshot_verifies_and_parses() {
    let v = verify_json(&signed(), &keys()).unwrap();
    assert_eq!(v.payload, payload());
    assert_eq!(v.payload.balance_at(T0 + 1000), c("10"), "a grant expiring at T is unusable at T");
}

#[test]
fn unknown_key_wrong_alg_or_version_are_refused() {
    let env = signer().sign(&payload());
    let mut e = env.clone();
    e.kid = "k2".into();
    assert_eq!(e.verify(&keys()).unwrap_err().code(), "UNKNOWN_KEY");
    let mut e = env.clone();
    e.alg = "EdDSA".into();
    assert_eq!(e.verify(&keys()).unwrap_err().code(), "BAD_SIGNATURE");
    let mut e = env.clone();
    e.v = 2;
    assert_eq!(e.verify(&keys()).unwrap_err().code(), "BAD_SIGNATURE");
    // A key of another ledger under the same id.
    let mut other = PublicKeys::new();
    other.insert("k1", &SnapshotSigner::from_seed("k1", &[9; 32]).public_key()).unwrap();
    assert_eq!(env.clone().verify(&other).unwrap_err().code(), "BAD_SIGNATURE");
    // Rotation: a new kid verifies with the new key while the old one still works.
    let mut both = keys();
    let new = SnapshotSigner::from_seed("k2", &[9; 32]);
    both.insert_base64url("k2", &new.public_key_base64url()).unwrap();
    assert!(new.sign(&payload()).verify(&both).is_ok() && env.verify(&both).is_ok());
}

#[test]
fn the_signature_covers_the_exact_bytes() {
    let env = signer().sign(&payload());
    let bytes = base64url::decode(&env.payload).unwrap();
    // The same JSON with a space: same meaning, different bytes.
    let mut spaced = bytes.clone();
    spaced.insert(1, b' ');
    let mut e = env.clone();
    e.payload = base64url::encode(&spaced);
    assert_eq!(e.verify(&keys()).unwrap_err().code(), "BAD_SIGNATURE");
    // Without the domain prefix the signature is different.
    let bare = signer().sign_bytes(&bytes);
    assert_eq!(bare.sig, env.sig);
    assert_eq!(signature_input(&bytes).len(), DOMAIN.len() + bytes.len());
}

#[test]
fn signed_nonsense_is_malformed_not_trusted() {
    for bytes in [&b"not json"[..], br#"{"accountId":"a1"}"#] {
        assert_eq!(signer().sign_bytes(bytes).verify(&keys()).unwrap_err().code(), "BAD_SNAPSHOT");
    }
    let mut p = payload();
    p.balance = c("13");
    assert_eq!(signer().sign(&p).verify(&keys()).unwrap_err().code(), "BAD_SNAPSHOT", "balance must be the sum of the grants");
    let mut p = payload();
    p.grants = vec![
        SnapshotGrant {
            id: "g".into(),
            kind: "promotion".into(),
            remaining: c("0"),
            expires_at: None,
            priority: 0,
            refundable_until: None
        };
        100_001
    ];
    p.balance = c("0");
    assert_eq!(signer().sign(&p).verify(&keys()).unwrap_err().code(), "BAD_SNAPSHOT", "too many grants");
    assert_eq!(verify_json("{", &keys()).unwrap_err().code(), "BAD_SNAPSHOT");
    assert_eq!(verify_json(&"x".repeat(MAX_ENVELOPE_BYTES + 1), &keys()).unwrap_err().code(), "BAD_SNAPSHOT");
}

#[test]
fn identity_rollback_and_freshness_rules() {
    let p = payload();
    assert!(check_identity(&p, "a1", "d1").is_ok());
    assert_eq!(check_identity(&p, "a2", "d1").unwrap_err().code(), "WRONG_ACCOUNT");
    assert_eq!(check_identity(&p, "a1", "d2").unwrap_err().code(), "WRONG_ACCOUNT");
    let mut older = p.clone();
    older.seq = 6;
    assert_eq!(check_successor(Some(&p), &older).unwrap_err().code(), "ROLLBACK");
    let mut fewer = p.clone();
    fewer.last_mutation_seq = 2;
    assert_eq!(check_successor(Some(&p), &fewer).unwrap_err().code(), "ROLLBACK");
    assert!(check_successor(Some(&p), &p).is_ok(), "the same answer twice");
    assert!(check_successor(None, &older).is_ok());
    assert_eq!(freshness(Some(&p), T0, T0), Freshness::Fresh);
    assert_eq!(freshness(Some(&p), T0 + 300_000, T0), Freshness::Stale);
    assert_eq!(freshness(Some(&p), T0 - CLOCK_SKEW_MS, T0), Freshness::Fresh, "within the skew window");
    assert_eq!(freshness(Some(&p), T0 - CLOCK_SKEW_MS - 1, T0), Freshness::ClockUntrusted);
    assert_eq!(freshness(Some(&p), T0 + 1000, T0 + 1000 + CLOCK_SKEW_MS + 1), Freshness::ClockUntrusted, "set back after a later reading");
    assert_eq!(freshness(None, T0, T0), Freshness::None);
}

#[test]
fn public_keys_parse_from_json() {
    let json = format!("{{\"k1\":\"{}\"}}", signer().public_key_base64url());
    let k = PublicKeys::from_json(&json).unwrap();
    assert!(verify_json(&signed(), &k).is_ok());
    for bad in ["[]", "{\"k1\":\"AAAA\"}", "{\"k1\":\"not base64!\"}", "{\"\":\"AAAA\"}"] {
        assert!(PublicKeys::from_json(bad).is_err(), "{bad}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn any_bit_flip_in_the_envelope_is_rejected(pos in 0usize..10_000, bit in 0u8..8) {
        let json = signed();
        let mut bytes = json.clone().into_bytes();
        let i = pos % bytes.len();
        bytes[i] ^= 1 << bit;
        if let Ok(s) = String::from_utf8(bytes) {
            match verify_json(&s, &keys()) {
                Err(_) => {}
                // A flip that keeps the same meaning (e.g. inside JSON syntax that serde
                // ignores) must still yield exactly the signed payload.
                Ok(v) => prop_assert_eq!(v.payload, payload()),
            }
        }
    }
}
