//! Durability: devices push concurrently, the service is killed with SIGKILL in the middle,
//! restarted on the same database; every push a device got an answer to is still applied,
//! once (resending it answers `duplicate` with the original result), the push in flight
//! at the kill is applied at most once (resending it settles it), and the balance matches
//! the devices' own tally to the decimal. On SQLite, and on PostgreSQL when
//! `CREDIT_METER_TEST_POSTGRES_URL` is set.

mod support;
use credit_meter_protocol::message::{Response, ResultStatus};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::*;

/// One device's pushes: (body, answered results) — `None` when no answer arrived.
type Log = Vec<(String, Option<Response>)>;

fn body(dev: &str, round: u64) -> String {
    let seq = 2 * round + 1;
    let hold = format!("{dev}:{seq}");
    json!({"v":2,"accountId":"demo","deviceId":dev,"mutations":[reserve(seq, &hold, "0.5"), commit(seq + 1, &hold, "0.25")]}).to_string()
}

fn kill_mid_load(dir: &std::path::Path, url: &str) {
    let devices = 8;
    let s = Server::start_db(dir, url, &[]);
    let start = credits(&s.state("demo")["balance"]);
    let addr = s.addr;
    let acked = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..devices)
        .map(|d| {
            let acked = Arc::clone(&acked);
            std::thread::spawn(move || {
                let dev = format!("k{d}");
                let t = token("demo", Some(&dev));
                let mut log: Log = Vec::new();
                for round in 0.. {
                    let b = body(&dev, round);
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
                (dev, t, log)
            })
        })
        .collect();
    while acked.load(Ordering::SeqCst) < 150 {
        std::thread::yield_now();
    }
    s.kill();
    let logs: Vec<(String, String, Log)> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    let s = Server::start_db(dir, url, &[]);
    let mut pushes = 0u64;
    for (dev, t, log) in &logs {
        for (b, answered) in log {
            let r = s.post("/v1/push", Some(t), b);
            assert_eq!(r.status, 200);
            let resp: Response = credit_meter_base::json::from_str(&r.text()).unwrap();
            match answered {
                Some(first) => {
                    assert!(first.results.iter().all(|x| x.status == ResultStatus::Applied), "{dev}: {:?}", first.results);
                    for (again, orig) in resp.results.iter().zip(&first.results) {
                        assert_eq!(again.status, ResultStatus::Duplicate, "{dev} seq {}: acknowledged before the kill, so kept", again.seq);
                        assert_eq!((again.original, &again.charged), (Some(ResultStatus::Applied), &orig.charged), "the original result");
                    }
                }
                // In flight at the kill: applied before it (duplicate now) or not (applied now).
                None => assert!(resp.results.iter().all(|x| matches!(x.status, ResultStatus::Applied | ResultStatus::Duplicate))),
            }
            pushes += 1;
        }
        assert_eq!(s.state("demo")["devices"][dev]["lastSeq"], json!(2 * log.len() as u64), "{dev}");
    }
    let spent = c("0.25").value() * rust_decimal::Decimal::from(pushes);
    let end = credits(&s.state("demo")["balance"]);
    assert_eq!(start.value() - end.value(), spent, "the balance matches the devices' tally ({pushes} pushes of 0.25)");
}

#[test]
fn sqlite_kill_9_mid_load_loses_no_acknowledged_push() {
    let dir = temp_dir("kill9");
    let url = format!("sqlite:{}", dir.join("ledger.sqlite").display());
    kill_mid_load(&dir, &url);
}

#[test]
fn postgres_kill_9_mid_load_loses_no_acknowledged_push() {
    let Some(url) = postgres_db("kill9") else { return };
    let dir = temp_dir("pg-kill9");
    kill_mid_load(&dir, &url);
}
