//! What the fuzz targets share: the one trusted key, the account and device the client
//! is, a reference ledger to make valid answers with, and the input splitting.
//!
//! Inputs that carry a signed part are `[mode byte][part A] 0x00 [part B]`: the target
//! signs part A with the trusted key, so the fuzzer reaches what lies behind a valid
//! signature (payload parsing, the rules, applying a response) instead of stopping at
//! the signature check every time.

use credit_meter_ledger_core::model::Policy;
use credit_meter_ledger_core::reference::{LedgerConfig, RefLedger};
use credit_meter_protocol::snapshot::{PublicKeys, SnapshotSigner};
use credit_meter_client::{Action, Config, Machine, ReserveRequest, Transport};
use credit_meter_protocol::money::Credits;

/// The trusted key's id.
pub const KID: &str = "k1";
/// The trusted key's seed (a test key).
pub const SEED: [u8; 32] = [7u8; 32];
/// The account the client is.
pub const ACCOUNT: &str = "acct";
/// The device the client is.
pub const DEVICE: &str = "dev";
/// The clock every target starts from (ms).
pub const T0: i64 = 1_800_000_000_000;

/// The ledger's signer.
pub fn signer() -> SnapshotSigner {
    SnapshotSigner::from_seed(KID, &SEED)
}

/// The client's trusted keys: the signer's public key under [`KID`].
pub fn keys() -> PublicKeys {
    let mut keys = PublicKeys::new();
    keys.insert(KID, &signer().public_key()).expect("the test key is a valid Ed25519 key");
    keys
}

/// `[mode][a] 0x00 [b]`: the mode byte, part A and part B (empty when there is no 0x00).
pub fn split(data: &[u8]) -> (u8, &[u8], &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return (0, &[], &[]) };
    match rest.iter().position(|&b| b == 0) {
        Some(i) => (mode, &rest[..i], &rest[i + 1..]),
        None => (mode, rest, &[]),
    }
}

/// A reference ledger where [`ACCOUNT`] bought the Starter package (500 credits).
pub fn ledger() -> RefLedger {
    let mut l = RefLedger::new(signer(), LedgerConfig::default());
    l.create_account(ACCOUNT, Policy::true_recall()).expect("a new account");
    let out = l.handle_admin(r#"{"op":"purchase","accountId":"acct","purchaseId":"p1","packageId":"starter"}"#, T0);
    assert!(out.contains("\"ok\":true"), "{out}");
    l
}

/// A machine that is waiting for the answer to its first pull (nothing stored yet).
pub fn machine_pulling() -> (Machine, u64) {
    let mut m = Machine::new(Config::new(ACCOUNT, DEVICE), keys());
    m.open(None, T0);
    match m.poll_action() {
        Some(Action::Pull { token, .. }) => (m, token),
        other => panic!("a fresh machine pulls first, got {other:?}"),
    }
}

/// A machine that holds a snapshot from `ledger` and has pushed one durable reserve of
/// `amount` credits: it waits for the push's answer (token and request returned).
pub fn machine_pushing(ledger: &mut RefLedger, amount: u64) -> (Machine, u64, String) {
    let (mut m, token) = machine_pulling();
    let body = ledger.handle_pull(r#"{"v":1,"accountId":"acct","deviceId":"dev"}"#, T0);
    m.pull_done(token, Transport::Body(&body), T0);
    let req = ReserveRequest { amount: Credits::from_u64(amount).expect("a small amount"), operation: "flashcards.generate".into(), agent_id: None };
    m.reserve(&req, T0 + 1).expect("the reserve is covered");
    loop {
        match m.poll_action() {
            Some(Action::Save { token, .. }) => m.save_done(token, true, T0 + 2),
            Some(Action::Push { token, request }) => return (m, token, request),
            Some(other) => panic!("unexpected action {other:?}"),
            None => panic!("the machine never pushed its reserve"),
        }
    }
}
