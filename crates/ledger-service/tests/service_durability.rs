//! Durability: devices push concurrently, the service is killed with SIGKILL in the middle,
//! restarted on the same database; every push a device got an answer to is still applied,
//! once (resending it answers `duplicate` with the original result), the push in flight
//! at the kill is applied at most once (resending it settles it), and the balance matches
//! the devices' own tally to the decimal. Eight devices on one account, and eight
//! accounts at once (whose saves SQLite commits in shared batches). On SQLite, and on
//! PostgreSQL when `CREDIT_METER_TEST_POSTGRES_URL` is set.

mod support;
use credit_meter_protocol::message::{Response, ResultStatus};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::*;

/// One device's pushes: (body, answered results) — `None` when no answer arrived.
type Log = Vec<(String, Option<Response>)>;

fn body(account: &str, dev: &str, round: u64) -> String {
    let seq = 2 * round + 1;
    let hold = format!("{dev}:{seq}");
    json!({"v":2,"accountId":account,"deviceId":dev,"mutations":[reserve(seq, &hold, "0.5"), commit(seq + 1, &hold, "0.25")]}).to_string()
}

/// Eight devices push until the service is killed: all on the `demo` account (`shared`),
/// or each on an account of its own — then, on SQLite, their saves commit together in
/// batches (group commit), and every acknowledged one must still be there.
fn kill_mid_load(dir: &std::path::Path, url: &str, shared: bool) {
    let s = Server::start_db(dir, url, &[]);
    let pushers: Vec<(String, String)> =
        (0..8).map(|d| if shared { ("demo".to_string(), format!("k{d}")) } else { (format!("acct-{d}"), "k".to_string()) }).collect();
    let mut start = std::collections::BTreeMap::new();
    for (account, _) in &pushers {
        if !shared {
            s.admin(&json!({"op":"createAccount","accountId":account,"policy":"trueRecall"}));
            s.admin(&json!({"op":"grant","accountId":account,"grant":{"id":"g","kind":"promotion","amount":"100000"}}));
        }
        start.insert(account.clone(), credits(&s.state(account)["balance"]));
    }
    let addr = s.addr;
    let acked = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = pushers
        .into_iter()
        .map(|(account, dev)| {
            let acked = Arc::clone(&acked);
            std::thread::spawn(move || {
                let t = token(&account, Some(&dev));
                let mut log: Log = Vec::new();
                for round in 0.. {
                    let b = body(&account, &dev, round);
                    match try_http(addr, "/v1/push", &t, &b) {
                        Ok((200, text)) => {
                            let resp: Response = credit_meter_base::json::from_str(&text).expect("a response");
                            log.push((b, Some(resp)));
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {
                            log.push((b, None));
                            break;
                        }
                    }
                }
                (account, dev, t, log)
            })
        })
        .collect();
    while acked.load(Ordering::SeqCst) < 150 {
        std::thread::yield_now();
    }
    s.kill();
    let logs: Vec<(String, String, String, Log)> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    let s = Server::start_db(dir, url, &[]);
    let mut pushes = std::collections::BTreeMap::<String, u64>::new();
    for (account, dev, t, log) in &logs {
        for (b, answered) in log {
            let r = s.post("/v1/push", Some(t), b);
            assert_eq!(r.status, 200);
            let resp: Response = credit_meter_base::json::from_str(&r.text()).unwrap();
            match answered {
                Some(first) => {
                    assert!(first.results.iter().all(|x| x.status == ResultStatus::Applied), "{dev}: {:?}", first.results);
                    for (again, orig) in resp.results.iter().zip(&first.results) {
                        assert_eq!(
                            again.status,
                            ResultStatus::Duplicate,
                            "{account}/{dev} seq {}: acknowledged before the kill, so kept",
                            again.seq
                        );
                        assert_eq!((again.original, &again.charged), (Some(ResultStatus::Applied), &orig.charged), "the original result");
                    }
                }
                // In flight at the kill: applied before it (duplicate now) or not (applied now).
                None => assert!(resp.results.iter().all(|x| matches!(x.status, ResultStatus::Applied | ResultStatus::Duplicate))),
            }
            *pushes.entry(account.clone()).or_default() += 1;
        }
        assert_eq!(s.state(account)["devices"][dev]["lastSeq"], json!(2 * log.len() as u64), "{account}/{dev}");
    }
    for (account, before) in &start {
        let spent = c("0.25").value() * rust_decimal::Decimal::from(pushes[account]);
        let end = credits(&s.state(account)["balance"]);
        assert_eq!(
            before.value() - end.value(),
            spent,
            "{account}: the balance matches the devices' tally ({} pushes of 0.25)",
            pushes[account]
        );
    }
}

#[test]
fn sqlite_kill_9_mid_load_loses_no_acknowledged_push() {
    let dir = temp_dir("kill9");
    let url = format!("sqlite:{}", dir.join("ledger.sqlite").display());
    kill_mid_load(&dir, &url, true);
}

#[test]
fn sqlite_kill_9_mid_load_loses_no_acknowledged_push_of_a_group_commit() {
    let dir = temp_dir("kill9-many");
    let url = format!("sqlite:{}", dir.join("ledger.sqlite").display());
    kill_mid_load(&dir, &url, false);
}

#[test]
fn postgres_kill_9_mid_load_loses_no_acknowledged_push() {
    let Some(url) = postgres_db("kill9") else { return };
    let dir = temp_dir("pg-kill9");
    kill_mid_load(&dir, &url, true);
}

#[test]
fn postgres_kill_9_mid_load_loses_no_acknowledged_push_on_many_accounts() {
    let Some(url) = postgres_db("kill9many") else { return };
    let dir = temp_dir("pg-kill9-many");
    kill_mid_load(&dir, &url, false);
}
