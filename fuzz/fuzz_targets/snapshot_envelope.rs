//! Snapshot envelopes: verification against the trusted key set never panics and accepts
//! only what the trusted key signed; a payload behind a valid signature parses only when
//! it is a consistent snapshot, and the rules never panic on it.
//!
//! Input `[mode][a] 0x00 [b]`: mode even: `a ‖ b` is envelope JSON text to verify (the
//! seeds are valid envelopes, so mutations of them are tried); mode odd: `a` is payload
//! bytes the trusted key signs, `b` holds clock readings for the rules.
#![no_main]

use credit_meter_protocol::base64url;
use credit_meter_protocol::snapshot::{check_identity, check_successor, freshness, verify_json, Envelope, PublicKeys, SnapshotPayload};
use credit_meter_fuzz::{keys, signer, split, ACCOUNT, DEVICE};
use libfuzzer_sys::fuzz_target;

fn clock(b: &[u8], i: usize) -> i64 {
    let mut w = [0u8; 8];
    for (k, x) in b.iter().skip(i * 8).take(8).enumerate() {
        w[k] = *x;
    }
    i64::from_le_bytes(w)
}

fn rules(p: &SnapshotPayload, b: &[u8]) {
    let now = clock(b, 0);
    let seen = clock(b, 1);
    let _ = check_identity(p, ACCOUNT, DEVICE);
    let _ = freshness(Some(p), now, seen);
    check_successor(Some(p), p).expect("a snapshot is its own successor");
    let at = p.balance_at(now);
    assert!(at <= p.balance, "balance_at never exceeds the balance");
    let _ = p.own_held();
    let _ = p.is_low(at);
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let (mode, a, b) = split(data);
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
        let _ = PublicKeys::from_json(&text);
        let Ok(v) = verify_json(&text, &keys) else { return };
        // Only the trusted key signs: the payload bytes must be what it signed, and the
        // signature the one it makes (Ed25519 signatures are deterministic).
        let payload = base64url::decode(&v.envelope.payload).expect("a verified payload decodes");
        let resigned = signer().sign_bytes(&payload);
        assert_eq!(base64url::decode(&resigned.sig).ok(), base64url::decode(&v.envelope.sig).ok(), "only the trusted key's signature verifies");
        assert_eq!(SnapshotPayload::parse(&payload).as_ref(), Ok(&v.payload));
        // Stored and read back, the envelope verifies again to the same snapshot.
        let again = Envelope::parse(&v.envelope.to_json()).expect("a stored envelope parses").verify(&keys);
        assert_eq!(again.as_ref().map(|x| &x.payload), Ok(&v.payload));
        rules(&v.payload, b);
    } else {
        let env = signer().sign_bytes(a);
        let verified = verify_json(&env.to_json(), &keys);
        let parsed = SnapshotPayload::parse(a);
        match (&verified, &parsed) {
            (Ok(v), Ok(p)) => {
                assert_eq!(&v.payload, p);
                assert_eq!(p.validate(), Ok(()));
                rules(p, b);
            }
            (Err(e), Err(f)) => assert_eq!(e, f, "a signed payload is refused for what is wrong with it"),
            _ => panic!("verification and parsing disagree: {verified:?} vs {parsed:?}"),
        }
    }
});
