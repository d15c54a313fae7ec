//! The service on PostgreSQL (`CREDIT_METER_TEST_POSTGRES_URL`, see scripts/postgres.sh):
//! the same protocol answers as on SQLite, state kept across SIGKILL, and two service
//! processes on one database pushing the same account at once — every mutation applied
//! exactly once, no update lost.

mod support;
use credit_meter_protocol::message::{Response, ResultStatus};
use serde_json::json;
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
    let mut failed = 0;
    for round in 1..=4 * pool {
        loop {
            let (status, text) = try_http(s.addr, "/v1/push", &t, &body(round)).expect("answered, not left waiting");
            if status == 200 {
                break;
            }
            assert_eq!(status, 503, "{text}");
            failed += 1;
            assert!(failed <= pool, "more failed requests ({failed}) than broken connections ({pool})");
        }
    }
    assert_eq!(s.state("demo")["devices"]["d1"]["lastSeq"], json!(2 * (4 * pool + 1)));
}
