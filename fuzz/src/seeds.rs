//! Writes the committed seed corpora, `fuzz/corpus/<target>/<name>`, from the reference
//! ledger and a machine syncing with it: valid envelopes, payloads, persisted states,
//! pull and push responses, catalogs, and a few notes of `tests/data/corpus`.
//!
//! `cargo run --release --features seeds --bin seeds` (from `fuzz/`). Deterministic: the
//! same files every run.

use credit_meter_protocol::base64url;
use credit_meter_core::catalog::DEFAULT_CATALOG_JSON;
use credit_meter_protocol::snapshot::Envelope;
use credit_meter_client::{Action, Config, Machine, ReserveRequest, Transport};
use credit_meter_protocol::money::Credits;
use credit_meter_fuzz::{keys, ledger, machine_pushing, signer, ACCOUNT, DEVICE, KID, T0};
use std::fs;
use std::path::{Path, PathBuf};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    fs::create_dir_all(&dir).expect("create the corpus directory");
    fs::write(dir.join(name), bytes).expect("write a seed");
}

fn framed(mode: u8, a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(a);
    v.push(0);
    v.extend_from_slice(b);
    v
}

/// The envelope inside a response body (a flat object: no nested braces).
fn envelope_in(body: &str) -> Option<&str> {
    let start = body.find("\"snapshot\":{")? + "\"snapshot\":".len();
    let end = start + body[start..].find('}')? + 1;
    Some(&body[start..end])
}

fn payload_of(envelope: &str) -> Vec<u8> {
    let env = Envelope::parse(envelope).expect("the ledger's envelope parses");
    base64url::decode(&env.payload).expect("the payload is base64url")
}

/// Runs a machine against the ledger through a few operations; returns every state it
/// saved and every response body it received (pull or push, with the mode byte).
fn session() -> (Vec<String>, Vec<(u8, String)>) {
    let mut l = ledger();
    let mut m = Machine::new(Config::new(ACCOUNT, DEVICE), keys());
    let mut saves = Vec::new();
    let mut bodies = Vec::new();
    let mut now = T0;
    let run = |m: &mut Machine, l: &mut credit_meter_ledger_core::reference::RefLedger, now: i64, saves: &mut Vec<String>, bodies: &mut Vec<(u8, String)>| {
        while let Some(a) = m.poll_action() {
            match a {
                Action::Save { token, state } => {
                    saves.push(state);
                    m.save_done(token, true, now);
                }
                Action::Pull { token, request } => {
                    let body = l.handle_pull(&request, now);
                    bodies.push((0, body.clone()));
                    m.pull_done(token, Transport::Body(&body), now);
                }
                Action::Push { token, request } => {
                    let body = l.handle_push(&request, now);
                    bodies.push((1, body.clone()));
                    m.push_done(token, Transport::Body(&body), now);
                }
            }
        }
    };
    m.open(None, now);
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    let reserve = |amount: u64| ReserveRequest { amount: Credits::from_u64(amount).expect("amount"), operation: "flashcards.generate".into(), agent_id: None };
    now += 1_000;
    let h1 = m.reserve(&reserve(5), now).expect("reserve 5").hold_id;
    // A save the host has not finished yet: the stored state has a pending outbox.
    if let Some(Action::Save { state, .. }) = m.poll_action() {
        saves.push(state);
    }
    m.open(saves.last().map(String::as_str), now);
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    now += 1_000;
    m.commit(&h1, Credits::from_u64(3).expect("amount"), now).expect("commit");
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    now += 1_000;
    let h2 = m.reserve(&reserve(40), now).expect("reserve 40").hold_id;
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    let _ = m.reserve(&reserve(2), now).expect("reserve 2");
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    now += 1_000;
    m.release(&h2, now).expect("release");
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    // Stale: an hour later the machine pulls again.
    now += 3_600_000;
    m.timer(now);
    run(&mut m, &mut l, now, &mut saves, &mut bodies);
    (saves, bodies)
}

fn main() {
    let (saves, bodies) = session();
    let mut envelopes: Vec<String> = bodies.iter().filter_map(|(_, b)| envelope_in(b).map(str::to_string)).collect();
    envelopes.dedup();

    // snapshot_envelope: envelopes as they arrive (mode 0), their payloads to sign (mode 1).
    let clocks: Vec<u8> = [T0 + 10, T0].iter().flat_map(|t| t.to_le_bytes()).collect();
    for (i, env) in envelopes.iter().take(4).enumerate() {
        write("snapshot_envelope", &format!("envelope-{i}"), &[&[0u8][..], env.as_bytes()].concat());
        write("snapshot_envelope", &format!("payload-{i}"), &framed(1, &payload_of(env), &clocks));
    }
    let keys_json = format!("{{\"{KID}\":\"{}\"}}", signer().public_key_base64url());
    write("snapshot_envelope", "keys", &[&[0u8][..], keys_json.as_bytes()].concat());

    // persisted_state: states as saved (mode 0); states with a payload to sign (mode 1).
    let mut picked: Vec<&String> = saves.iter().step_by((saves.len() / 6).max(1)).collect();
    if let Some(last) = saves.last() {
        picked.push(last);
    }
    for (i, s) in picked.iter().enumerate() {
        let mut v = vec![0u8];
        v.extend_from_slice(s.as_bytes());
        write("persisted_state", &format!("state-{i}"), &v);
        if let Some(env) = envelope_in(s) {
            let unsigned = s.replacen(env, "null", 1);
            write("persisted_state", &format!("signed-{i}"), &framed(1, &payload_of(env), unsigned.as_bytes()));
        }
    }

    // sync_response: bodies as received (mode 0 pull, 1 push) and re-signed (2, 3). The
    // push seeds answer the target's own push (one reserve of 7 credits).
    let mut l = ledger();
    let (_, _, request) = machine_pushing(&mut l, 7);
    let push_body = l.handle_push(&request, T0 + 5);
    let pull_body = bodies.iter().find(|(mode, _)| *mode == 0).map(|(_, b)| b.clone()).expect("a pull happened");
    let error_body = r#"{"v":1,"error":{"code":"SEQ_GAP","message":"expected seq 1"}}"#.to_string();
    for (i, (mode, body)) in [(0u8, pull_body), (1, push_body), (1, error_body)].into_iter().enumerate() {
        let mut v = vec![mode];
        v.extend_from_slice(body.as_bytes());
        write("sync_response", &format!("body-{i}"), &v);
        if let Some(env) = envelope_in(&body) {
            let unsigned = body.replacen(env, "null", 1);
            write("sync_response", &format!("signed-{i}"), &framed(mode + 2, &payload_of(env), unsigned.as_bytes()));
        }
    }

    // catalog: the default catalog and two small ones.
    write("catalog", "default.json", DEFAULT_CATALOG_JSON.as_bytes());
    write(
        "catalog",
        "small.json",
        br#"{"format":1,"revision":"r1","creditsPerUsd":"200","creditStep":"0.001","models":[{"id":"m/a","pricing":{"prompt":"0.00000015","completion":"0.0000006"}}],"operations":[{"id":"message","name":"Message","model":"m/a","charge":{"kind":"perToken"}},{"id":"free","name":"Free","charge":{"kind":"free"}}],"packages":[{"id":"p","name":"P","credits":"100","priceUsd":"1"}]}"#,
    );
    write(
        "catalog",
        "cards.json",
        br#"{"format":1,"revision":"r2","currency":"USD","creditsPerUsd":"1e3","creditStep":"1","operations":[{"id":"cards","name":"Cards","charge":{"kind":"perCard","creditsPerCard":"1"}},{"id":"tts","name":"TTS","charge":{"kind":"perCharacter","creditsPerCharacter":"0.0033"}},{"id":"flat","name":"Flat","charge":{"kind":"flat","credits":"100"}}]}"#,
    );

    // note_estimate: the smallest note of each language group, and a few odd ones.
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/corpus/notes");
    if let Ok(groups) = fs::read_dir(&notes) {
        let mut groups: Vec<PathBuf> = groups.filter_map(|e| e.ok().map(|e| e.path())).collect();
        groups.sort();
        for g in groups {
            let mut files = Vec::new();
            collect(&g, &mut files);
            files.retain(|(len, _)| (300..4000).contains(len));
            files.sort();
            if let Some((_, f)) = files.first() {
                let name = g.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                write("note_estimate", &format!("{name}.md"), &fs::read(f).expect("read a note"));
            }
        }
    }
    write("note_estimate", "frontmatter.md", b"---\ntags: [a]\n---\n# T\nText %% hidden %% ![[x.png]]\n\n```rust\nfn f() {}\n```\n$$x^2$$\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    write("note_estimate", "empty.md", b"");
}

fn collect(dir: &Path, out: &mut Vec<(u64, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            if let Ok(m) = e.metadata() {
                out.push((m.len(), p));
            }
        }
    }
}
