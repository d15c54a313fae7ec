//! The test vector in docs/PROTOCOL.md is what the code produces and accepts.
#![cfg(not(target_arch = "wasm32"))]

use credit_meter_protocol::base64url;
use credit_meter_protocol::snapshot::{verify_json, PublicKeys, SnapshotSigner, DOMAIN};

fn field<'a>(block: &'a str, name: &str) -> &'a str {
    block
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("field {name} missing from the test vector"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn the_documented_vector_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md")).unwrap();
    let start = doc.find("```test-vector\n").expect("a ```test-vector block") + "```test-vector\n".len();
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let seed: [u8; 32] = hex(field(block, "seed-hex")).try_into().unwrap();
    let kid = field(block, "kid");
    let payload = field(block, "payload");
    let signer = SnapshotSigner::from_seed(kid, &seed);
    let env = signer.sign_bytes(payload.as_bytes());
    let expected = format!(
        "public-key: {}\npayload-base64url: {}\nsig: {}\nenvelope: {}",
        signer.public_key_base64url(),
        env.payload,
        env.sig,
        env.to_json()
    );
    assert_eq!(field(block, "public-key"), signer.public_key_base64url(), "\n{expected}");
    assert_eq!(field(block, "payload-base64url"), env.payload, "\n{expected}");
    assert_eq!(field(block, "sig"), env.sig, "\n{expected}");
    assert_eq!(field(block, "envelope"), env.to_json(), "\n{expected}");
    assert_eq!(field(block, "domain-hex"), DOMAIN.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let mut keys = PublicKeys::new();
    keys.insert_base64url(kid, field(block, "public-key")).unwrap();
    let v = verify_json(field(block, "envelope"), &keys).unwrap();
    assert_eq!(base64url::decode(&v.envelope.payload).unwrap(), payload.as_bytes());
    assert_eq!(v.payload.account_id, "acct-42");
}
