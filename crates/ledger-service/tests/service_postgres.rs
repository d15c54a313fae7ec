//! The service on PostgreSQL (`CREDIT_METER_TEST_POSTGRES_URL`, see scripts/postgres.sh):
//! the same protocol answers as on SQLite, state kept across SIGKILL, and two service
//! processes on one database pushing the same account at once — every mutation applied
//! exactly once, no update lost.

mod support;
use credit_meter_protocol::message::{Response, ResultStatus};
use credit_meter_protocol::money::Credits;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::*;

#[test]
fn postgres_keeps_state_and_answers_duplicates_after_sigkill() {
    let Some(url) = postgres_db("restart") else { return };
    let dir = temp_dir("pg-restart");
    let s = Server::start_db(&dir, &url, &[]);
    let before = credits(&s.state("demo")["balance"]);
    let batch = json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7")]);
    let (r, p) = s.push("demo", "d1", batch.clone());
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied));
    assert_eq!(p.balance.checked_add(c("7")).unwrap(), before);
    let state = s.state("demo");
    s.kill();
    let s = Server::start_db(&dir, &url, &[]);
    let after = s.state("demo");
    for field in ["balance", "grants", "holds", "devices", "entries", "version"] {
        assert_eq!(after[field], state[field], "{field}");
    }
    let (dup, p2) = s.push("demo", "d1", batch);
    assert!(dup.results.iter().all(|x| x.status == ResultStatus::Duplicate && x.original == Some(ResultStatus::Applied)));
    assert_eq!(dup.results[1].charged, Some(c("7")));
    assert_eq!(p2.balance, p.balance);
    let r = s.post("/v1/push", Some(&token("demo", None)), r#"{"v":2,"accountId":"nobody","deviceId":"d1","mutations":[]}"#);
    assert_eq!(r.status, 403);
}

#[test]
fn two_processes_on_one_database_apply_each_mutation_exactly_once() {
    let Some(url) = postgres_db("two") else { return };
    let dir = temp_dir("pg-two");
    let a = Server::start_db(&dir, &url, &[]);
    let b = Server::start_db(&dir, &url, &[]);
    assert_eq!(a.get("/v1/keys", None).text(), b.get("/v1/keys", None).text(), "one key file, one key");
    let start = credits(&a.state("demo")["balance"]);
    let (devices, rounds) = (6u64, 10u64);
    let answers: Vec<(u64, Vec<Response>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..devices)
            .map(|d| {
                let (a, b) = (&a, &b);
                scope.spawn(move || {
                    let dev = format!("dev{d}");
                    let t = token("demo", Some(&dev));
                    let mut out = Vec::new();
                    for round in 0..rounds {
                        let seq = 2 * round + 1;
                        let hold = format!("{dev}:{seq}");
                        let body = json!({"v":2,"accountId":"demo","deviceId":dev,"mutations":[reserve(seq, &hold, "1"), commit(seq + 1, &hold, "1")]}).to_string();
                        // The same push sent to both processes at once.
                        let (ra, rb) = std::thread::scope(|s2| {
                            let ha = s2.spawn(|| a.post("/v1/push", Some(&t), &body));
                            let hb = s2.spawn(|| b.post("/v1/push", Some(&t), &body));
                            (ha.join().unwrap(), hb.join().unwrap())
                        });
                        for r in [ra, rb] {
                            assert_eq!(r.status, 200, "{}", r.text());
                            out.push(credit_meter_base::json::from_str::<Response>(&r.text()).unwrap());
                        }
                    }
                    (d, out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Per (device, seq): exactly one "applied" over both processes' answers.
    let mut applied: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for (d, responses) in &answers {
        for resp in responses {
            for r in &resp.results {
                match r.status {
                    ResultStatus::Applied => *applied.entry((*d, r.seq)).or_default() += 1,
                    ResultStatus::Duplicate => assert_eq!(r.original, Some(ResultStatus::Applied)),
                    other => panic!("device {d} seq {}: {other:?}", r.seq),
                }
            }
        }
    }
    assert_eq!(applied.len() as u64, devices * rounds * 2, "every mutation applied");
    assert!(applied.values().all(|n| *n == 1), "none applied twice: {applied:?}");
    let end = a.state("demo");
    let charged = c(&(devices * rounds).to_string());
    assert_eq!(credits(&end["balance"]).checked_add(charged).unwrap(), start, "no lost update");
    assert_eq!(b.state("demo")["balance"], end["balance"], "both processes see the same account");
    for d in 0..devices {
        assert_eq!(end["devices"][format!("dev{d}")]["lastSeq"], 2 * rounds);
    }
}

#[test]
fn broken_database_connections_are_replaced() {
    let Some(url) = postgres_db("broken") else { return };
    let dir = temp_dir("pg-broken");
    let pool = 2;
    let s = Server::start_db(&dir, &url, &["--db-pool", &pool.to_string()]);
    let t = token("demo", Some("d1"));
    let body = |round: u64| {
        let (seq, hold) = (2 * round + 1, format!("d1:{}", 2 * round + 1));
        json!({"v":2,"accountId":"demo","deviceId":"d1","mutations":[reserve(seq, &hold, "1"), commit(seq + 1, &hold, "1")]}).to_string()
    };
    assert_eq!(try_http(s.addr, "/v1/push", &t, &body(0)).expect("answered").0, 200);
    // The database ends every connection of the service, as a restart or a failover does.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let ended = admin
        .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[])
        .unwrap();
    assert!(!ended.is_empty(), "the service had connections");
    // Each broken connection fails at most the one request that finds it; the pool then
    // opens new ones instead of shrinking to nothing (which left requests waiting forever).
    // Pushes and reads of the state, which use the pool's connections differently (a push
    // on the process's copy of its account reads nothing: `account_cache`).
    let mut failed = 0;
    let mut retry = |what: &str, call: &mut dyn FnMut() -> (u16, String)| loop {
        let (status, text) = call();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{what}: {text}");
        failed += 1;
        assert!(failed <= pool, "more failed requests ({failed}) than broken connections ({pool})");
    };
    for round in 1..=4 * pool {
        retry("push", &mut || try_http(s.addr, "/v1/push", &t, &body(round)).expect("answered, not left waiting"));
        retry("state", &mut || {
            let r = s.get("/v1/state?account=demo", Some(ADMIN));
            (r.status, r.text())
        });
    }
    assert_eq!(s.state("demo")["devices"]["d1"]["lastSeq"], json!(2 * (4 * pool + 1)));
}

/// Two service processes on one fresh database (`None`: no PostgreSQL here), the database's
/// URL, and the demo account's balance before anything ran.
fn two_processes(name: &str) -> Option<(TempDir, String, Server, Server, Credits)> {
    let url = postgres_db(name)?;
    let dir = temp_dir(&format!("pg-{name}"));
    let a = Server::start_db(&dir, &url, &[]);
    let b = Server::start_db(&dir, &url, &[]);
    let start = credits(&a.state("demo")["balance"]);
    Some((dir, url, a, b, start))
}

/// A reserve of `amount` on hold `device:seq` and its commit through `s`, both applied; the
/// pushed snapshot's balance.
fn charge(s: &Server, device: &str, seq: u64, amount: &str) -> Credits {
    let hold = format!("{device}:{seq}");
    let (r, p) = s.push("demo", device, json!([reserve(seq, &hold, amount), commit(seq + 1, &hold, amount)]));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{device} {seq}: {:?}", r.results);
    p.balance
}

/// A process keeps its own last save of an account and pushes on it without a load
/// (`account_cache`). Another process's write makes that copy stale: the next push on it
/// must not be committed over the other write, but run again on the stored account.
#[test]
fn a_push_on_a_stale_copy_of_the_account_does_not_overwrite_another_process() {
    let Some((_dir, _, a, b, start)) = two_processes("stale") else { return };
    // Two pushes through A: the second already runs on A's copy.
    charge(&a, "da", 1, "3");
    charge(&a, "da", 3, "5");
    // B writes the account: A's copy is now one revision behind.
    charge(&b, "db", 1, "7");
    // A's next push, its commit of an amount the stale copy never saw B charge.
    let balance = charge(&a, "da", 5, "11");
    assert_eq!(balance.checked_add(c("26")).unwrap(), start, "B's charge of 7 is in A's answer");
    let end = b.state("demo");
    assert_eq!(credits(&end["balance"]).checked_add(c("26")).unwrap(), start, "no update lost");
    assert_eq!((end["devices"]["da"]["lastSeq"].clone(), end["devices"]["db"]["lastSeq"].clone()), (json!(6), json!(2)));
    // The reserve of a hold id B's device already closed is told apart on A's copy too.
    let (dup, _) = a.push("demo", "db", json!([reserve(1, "db:1", "7"), commit(2, "db:1", "7")]));
    assert!(
        dup.results.iter().all(|x| x.status == ResultStatus::Duplicate && x.original == Some(ResultStatus::Applied)),
        "{:?}",
        dup.results
    );
    assert_eq!(credits(&a.state("demo")["balance"]).checked_add(c("26")).unwrap(), start, "charged once");
}

/// A backup restored under running processes takes an account back to an older revision;
/// another process's pushes can then bring it to the revision a process's copy has, with
/// other contents. The copy's save stamp tells them apart: the push on it runs again on
/// the stored account instead of writing over it.
#[test]
fn a_copy_at_a_revision_a_restored_backup_reached_again_is_not_trusted() {
    let Some((_dir, url, a, b, start)) = two_processes("restored") else { return };
    charge(&a, "da", 1, "3");
    let tables = ["accounts", "account_policies", "entries", "results", "closed_holds", "fingerprints"];
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for t in tables {
        db.batch_execute(&format!("CREATE TABLE backup_{t} AS SELECT * FROM {t}")).unwrap();
    }
    // A moves on by one revision; its copy is that revision.
    charge(&a, "da", 3, "5");
    for t in tables {
        db.batch_execute(&format!("DELETE FROM {t}; INSERT INTO {t} SELECT * FROM backup_{t}")).unwrap();
    }
    // B's push brings the restored account to the revision of A's copy.
    charge(&b, "db", 1, "7");
    charge(&a, "dc", 1, "11");
    let end = b.state("demo");
    // Restored: da's first push (3); then B's 7 and A's 11. The 5 the backup lost is gone.
    assert_eq!(credits(&end["balance"]).checked_add(c("21")).unwrap(), start, "B's push survived A's");
    let seqs: Vec<Value> = ["da", "db", "dc"].iter().map(|d| end["devices"][*d]["lastSeq"].clone()).collect();
    assert_eq!(seqs, vec![json!(2), json!(2), json!(2)]);
}

/// Behind a load balancer that alternates an account's pushes between two processes, each
/// process's copy of the account is always stale. Every push is still applied exactly
/// once, and each process stops running pushes on copies once a window of them (64,
/// `account_cache::WINDOW`) mostly conflicted, instead of wasting a run and a save on
/// every push.
#[test]
fn pushes_alternating_between_processes_stop_running_on_stale_copies() {
    let Some((_dir, _, a, b, start)) = two_processes("alternating") else { return };
    let pushes = 200u64;
    for i in 0..pushes {
        charge(if i % 2 == 0 { &a } else { &b }, "d", 2 * i + 1, "1");
    }
    assert_eq!(credits(&a.state("demo")["balance"]).checked_add(c(&pushes.to_string())).unwrap(), start);
    for s in [&a, &b] {
        let metrics = s.get("/metrics", Some(ADMIN)).text();
        let count = |outcome: &str| -> u64 {
            let line = format!("credit_meter_copy_pushes_total{{outcome=\"{outcome}\"}} ");
            metrics.lines().find_map(|l| l.strip_prefix(&line)).expect(&line).parse().unwrap()
        };
        let conflicts = count("conflict");
        assert!((1..=64).contains(&conflicts), "pushes on stale copies: {conflicts} of {}", pushes / 2);
    }
}
