//! Golden wire and storage bytes: the push/pull requests a client sends, the ledger's
//! responses and admin answers, and the state the client persists, over one scenario,
//! captured from the serde_json implementation before the lean JSON layer replaced it.
//! Persisted states and protocol bodies must not change by a byte.
#![cfg(not(target_arch = "wasm32"))]
use credit_meter_sim::harness::*;

/// Every body of the scenario, in order, one per line.
fn transcript() -> String {
    let mut out: Vec<String> = Vec::new();
    let mut l = ledger_with("50");
    let mut c = Client::new("d1");
    c.open(&mut l, T0);
    let r = c.m.reserve(&req("12.5"), T0 + 1).unwrap();
    c.pump(&mut l, T0 + 1);
    c.m.commit(&r.hold_id, credit_meter_sim::harness::c("10.25"), T0 + 2).unwrap();
    c.pump(&mut l, T0 + 2);
    let agent = credit_meter_client::ReserveRequest {
        amount: credit_meter_sim::harness::c("3"),
        operation: "message \"q\"\n".into(),
        agent_id: Some("bot é".into()),
        unit: None,
    };
    let r2 = c.m.reserve(&agent, T0 + 3).unwrap();
    c.pump(&mut l, T0 + 3);
    c.m.release(&r2.hold_id, T0 + 4).unwrap();
    c.pump(&mut l, T0 + 4);
    out.push(c.storage.clone().unwrap_or_default());
    c.offline = true;
    let r3 = c.m.reserve(&req("100"), T0 + 5).unwrap();
    c.m.commit(&r3.hold_id, credit_meter_sim::harness::c("1"), T0 + 6).unwrap();
    c.pump(&mut l, T0 + 6);
    out.push(c.storage.clone().unwrap_or_default());
    for p in &c.pushes {
        out.push(p.clone());
        // Replayed: every result is a duplicate carrying its original outcome.
        out.push(l.handle_push(p, T0 + 7));
    }
    out.push(l.handle_pull(r#"{"v":2,"accountId":"a1","deviceId":"d1"}"#, T0 + 8));
    out.push(l.handle_pull(r#"{"v":2,"accountId":"nobody","deviceId":"d1"}"#, T0 + 8));
    out.push(l.handle_push("{", T0 + 8));
    for admin in [
        r#"{"op":"balance","accountId":"a1"}"#,
        r#"{"op":"createAccount","accountId":"a2","policy":"assistLore"}"#,
        r#"{"op":"signup","accountId":"a2"}"#,
        r#"{"op":"grant","accountId":"a2","grant":{"id":"g","kind":"promotion","amount":"5","expiresAt":99}}"#,
        r#"{"op":"setOfflineLimit","accountId":"a2","deviceId":"d9","limit":"7"}"#,
        r#"{"op":"purchase","accountId":"a1","purchaseId":"p2","packageId":"nope"}"#,
    ] {
        out.push(l.handle_admin(admin, T0 + 9));
    }
    out.join("\n") + "\n"
}

#[test]
fn wire_and_storage_bytes_are_unchanged() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/golden/sync_transcript.txt");
    let text = transcript();
    if std::env::var_os("CREDIT_METER_WRITE_GOLDEN").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap();
    for (i, (ours, theirs)) in text.lines().zip(golden.lines()).enumerate() {
        assert_eq!(ours, theirs, "line {}", i + 1);
    }
    assert_eq!(text.lines().count(), golden.lines().count());
}

#[test]
fn an_unknown_admin_op_is_bad_input_naming_it() {
    // Messages are not part of the pinned bytes (they now carry a `$.path`), codes are.
    let mut l = ledger_with("50");
    let out: serde_json::Value = serde_json::from_str(&l.handle_admin(r#"{"op":"bogus"}"#, T0)).unwrap();
    assert_eq!(out["ok"], false);
    assert_eq!(out["error"]["code"], "BAD_INPUT");
    assert!(out["error"]["message"].as_str().unwrap().contains("bogus"), "{out}");
}
