//! The attacks the old server fell to, each as a test that now does no harm: made-up
//! device ids draining an account, more open holds than a client accepts, refused
//! reserves never released growing the account's record, idle and trickling
//! connections, too many connections from one address, a 100 KB request head, a 32 MiB
//! body, bodies held open by callers without a credential, and a 10,000-mutation push
//! stalling other accounts.

mod support;
use credit_meter_protocol::message::ResultStatus;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// Whether the server closed the connection (a read gives EOF or a reset). Waits for it.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error response (e.g. 408) before the close
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn made_up_device_ids_cannot_multiply_the_overdraft() {
    let dir = temp_dir("devices");
    let s = Server::start(&dir, &["--max-devices", "3"]);
    // One device runs the account dry, then each new device id tries to overdraw.
    let balance = credits(&s.state("demo")["balance"]).to_plain_string();
    let (r, _) = s.push("demo", "d0", json!([reserve(1, "d0:1", &balance), commit(2, "d0:1", &balance)]));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{:?}", r.results);
    let mut refused = 0;
    for i in 1..=6 {
        let d = format!("d{i}");
        let body = json!({"v":2,"accountId":"demo","deviceId":d,"mutations":[reserve(1, &format!("{d}:1"), "1"), commit(2, &format!("{d}:1"), "50")]}).to_string();
        let r = s.post("/v1/push", Some(&token("demo", None)), &body);
        assert_eq!(r.status, 200);
        if r.code() == "LIMIT_REACHED" {
            refused += 1;
        }
    }
    let state = s.state("demo");
    let devices = state["devices"].as_object().unwrap();
    assert_eq!(devices.len(), 3, "the cap: {devices:?}");
    assert_eq!(refused, 4, "every device past the cap is refused");
    let overdraft = devices.values().fold(c("0"), |acc, d| acc.checked_add(credits(&d["overdraft"])).unwrap());
    assert!(overdraft <= c("100"), "at most (devices - 1) x the offline limit: {overdraft}");
}

#[test]
fn the_account_overdraft_limit_bounds_what_all_devices_owe_together() {
    let dir = temp_dir("account-limit");
    let s = Server::start(&dir, &["--max-devices", "16", "--account-overdraft-limit", "70"]);
    let balance = credits(&s.state("demo")["balance"]).to_plain_string();
    let (r, _) = s.push("demo", "d0", json!([reserve(1, "d0:1", &balance), commit(2, "d0:1", &balance)]));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{:?}", r.results);
    // Five devices each overdraw 50 (their offline limit): 70 in all is overdraft, the rest unpaid.
    let (mut overdraft, mut unpaid) = (c("0"), c("0"));
    for i in 1..=5 {
        let d = format!("d{i}");
        let (r, _) = s.push("demo", &d, json!([reserve(1, &format!("{d}:1"), "1"), commit(2, &format!("{d}:1"), "50")]));
        overdraft = overdraft.checked_add(r.results[1].overdraft.unwrap_or_default()).unwrap();
        unpaid = unpaid.checked_add(r.results[1].unpaid.unwrap_or_default()).unwrap();
    }
    assert_eq!((overdraft, unpaid), (c("70"), c("180")));
    // A new device is offered no offline room while the account is at its limit.
    let (_, p) = s.push("demo", "d9", json!([]));
    assert_eq!(p.offline_limit, c("0"));
}

/// By default a push holds at most the client's batch, 1,000 mutations: a push's work
/// grows with its mutations times the account's state, and the account (and any sharing
/// its lock) waits for it; a probe's 9,990-reserve pushes ran 7.5-24 s each.
#[test]
fn a_push_holds_at_most_the_clients_batch_by_default() {
    let dir = temp_dir("batch");
    let s = Server::start(&dir, &[]);
    let batch = |n: u64| -> Vec<_> { (1..=n).map(|i| reserve(i, &format!("b:{i}"), "0.001")).collect() };
    let over = json!({"v":2,"accountId":"demo","deviceId":"b","mutations":batch(1_001)}).to_string();
    let r = s.post("/v1/push", Some(&token("demo", None)), &over);
    assert_eq!((r.status, r.code()), (200, "BAD_REQUEST".to_string()), "{}", r.text());
    assert_eq!(s.state("demo")["devices"]["b"]["lastSeq"], serde_json::Value::Null, "nothing of it applied");
    let (r, _) = s.push("demo", "b", json!(batch(1_000)));
    assert_eq!(r.results.len(), 1_000);
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied));
}

#[test]
fn open_holds_stop_at_the_bound_and_closing_holds_still_applies() {
    let dir = temp_dir("holds");
    let s = Server::start(&dir, &["--max-open-holds", "100"]);
    let batch: Vec<_> = (1..=100u64).map(|i| reserve(i, &format!("h:{i}"), "0.01")).collect();
    let (r, p) = s.push("demo", "h", json!(batch));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied));
    assert_eq!(p.holds.len(), 100);
    let one_more = json!({"v":2,"accountId":"demo","deviceId":"h","mutations":[reserve(101, "h:101", "0.01")]}).to_string();
    let r = s.post("/v1/push", Some(&token("demo", None)), &one_more);
    assert_eq!(r.code(), "LIMIT_REACHED", "{}", r.text());
    assert_eq!(r.json()["v"], 2, "an error body of the protocol's version, or the client reads BAD_RESPONSE: {}", r.text());
    assert_eq!(s.state("demo")["devices"]["h"]["lastSeq"], 100, "nothing of it applied");
    // A release and the reserve in one push stay within the bound: applied.
    let (r, p) = s.push("demo", "h", json!([release(101, "h:1"), reserve(102, "h:102", "0.01")]));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{:?}", r.results);
    assert_eq!(p.holds.len(), 100);
}

/// Refused reserves are remembered until their device releases or commits them (a client
/// does at once), in the account's record: a device that never does could grow it by a
/// push's worth each push, and every request on the account would load and rewrite them
/// all. They stop at the open-holds bound; releasing them makes room again.
#[test]
fn refused_reserves_stop_at_the_bound_and_releases_still_apply() {
    let dir = temp_dir("refused");
    let s = Server::start(&dir, &["--max-open-holds", "100"]);
    let too_much = "1000000000";
    let batch: Vec<_> = (1..=100u64).map(|i| reserve(i, &format!("r:{i}"), too_much)).collect();
    let (r, _) = s.push("demo", "r", json!(batch));
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Refused), "{:?}", r.results);
    let one_more = json!({"v":2,"accountId":"demo","deviceId":"r","mutations":[reserve(101, "r:101", too_much)]}).to_string();
    let r = s.post("/v1/push", Some(&token("demo", None)), &one_more);
    assert_eq!(r.code(), "LIMIT_REACHED", "{}", r.text());
    assert_eq!(s.state("demo")["devices"]["r"]["lastSeq"], 100, "nothing of it applied");
    // Another device's refused reserve counts toward the same account's bound.
    let other = json!({"v":2,"accountId":"demo","deviceId":"q","mutations":[reserve(1, "q:1", too_much)]}).to_string();
    assert_eq!(s.post("/v1/push", Some(&token("demo", None)), &other).code(), "LIMIT_REACHED");
    // A release of a refused reserve and a new refused reserve in one push: applied.
    let (r, _) = s.push("demo", "r", json!([release(101, "r:1"), reserve(102, "r:102", too_much)]));
    let statuses: Vec<_> = r.results.iter().map(|x| x.status).collect();
    assert_eq!(statuses, [ResultStatus::Applied, ResultStatus::Refused]);
}

#[test]
fn idle_and_trickling_connections_are_closed() {
    let dir = temp_dir("slow");
    let s = Server::start(&dir, &["--header-timeout-seconds", "1"]);
    let mut idle = TcpStream::connect(s.addr).unwrap();
    assert!(closed_by_server(&mut idle), "an idle connection is closed");

    // A keep-alive connection that goes quiet after one request is closed too.
    let mut kept = TcpStream::connect(s.addr).unwrap();
    write!(kept, "GET /v1/keys HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).unwrap();
    assert!(closed_by_server(&mut kept), "an idle keep-alive connection is closed");

    // Headers sent one byte at a time, forever: closed although bytes keep coming.
    let mut slow = TcpStream::connect(s.addr).unwrap();
    let trickle = format!("GET /v1/keys HTTP/1.1\r\nHost: {}\r\nX-Padding: {}", s.addr, "a".repeat(65_536));
    let mut cut = false;
    for b in trickle.bytes() {
        if slow.write_all(&[b]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        slow.set_nonblocking(true).unwrap();
        let mut probe = [0u8; 1];
        let gone = matches!(slow.read(&mut probe), Ok(0) | Ok(1));
        slow.set_nonblocking(false).unwrap();
        if gone {
            cut = true;
            break;
        }
    }
    assert!(cut, "a trickling header is cut off before it is complete");
    assert_eq!(s.get("/v1/keys", None).status, 200, "honest clients still served");
}

#[test]
fn one_address_cannot_take_every_connection() {
    let dir = temp_dir("conns");
    let s = Server::start(&dir, &["--max-connections-per-ip", "4"]);
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..4 {
        let mut c = TcpStream::connect(s.addr).unwrap();
        // Each is in use: a request is answered on it.
        write!(c, "GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).unwrap();
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(c);
    }
    let mut fifth = TcpStream::connect(s.addr).unwrap();
    assert!(closed_by_server(&mut fifth), "the fifth connection from one address is closed");
    drop(held.pop());
    // Once one is closed, the address may connect again (the server notices the close).
    let mut ok = false;
    for _ in 0..100 {
        let mut c = TcpStream::connect(s.addr).unwrap();
        if write!(c, "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", s.addr).is_ok() {
            let mut out = String::new();
            let _ = c.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                ok = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(ok, "a freed slot is usable again");
}

/// Refusing connections beyond an address's limit costs the caller nothing, so the lines
/// about them share the refusal log budget (20 a second): a flood of connections cannot
/// flood the log.
#[test]
fn a_flood_of_refused_connections_writes_a_bounded_log() {
    let dir = temp_dir("connlog");
    let log = dir.join("stderr.log");
    let s = Server::start_logging(&dir, &["--max-connections-per-ip", "1"], &log);
    let mut held = TcpStream::connect(s.addr).unwrap();
    write!(held, "GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).unwrap();
    let mut buf = [0u8; 12];
    held.read_exact(&mut buf).unwrap();
    let started = std::time::Instant::now();
    const FLOOD: usize = 400;
    for _ in 0..FLOOD {
        let mut c = TcpStream::connect(s.addr).unwrap();
        assert!(closed_by_server(&mut c));
    }
    let seconds = started.elapsed().as_secs() + 1;
    std::thread::sleep(Duration::from_millis(300));
    let lines = std::fs::read_to_string(&log).unwrap().lines().filter(|l| l.contains("per-address connection limit reached")).count();
    assert!(lines >= 1, "the refusals are logged at all");
    assert!(lines as u64 <= 20 * (seconds + 1) && lines < FLOOD, "{lines} lines for {FLOOD} refused connections in {seconds} s");
}

#[test]
fn a_32_mib_body_is_refused_and_nothing_is_stored() {
    let dir = temp_dir("body");
    let s = Server::start(&dir, &[]);
    let size_before = std::fs::metadata(dir.join("ledger.sqlite")).unwrap().len()
        + std::fs::metadata(dir.join("ledger.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
    let big = vec![b' '; 32 << 20];
    let t = token("demo", None);
    for _ in 0..3 {
        let mut c = TcpStream::connect(s.addr).unwrap();
        write!(c, "POST /v1/push HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {t}\r\nContent-Length: {}\r\n\r\n", s.addr, big.len())
            .unwrap();
        let _ = c.write_all(&big); // the server may stop reading early
        let mut reply = String::new();
        let _ = std::io::BufReader::new(c).read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 413"), "{}", &reply[..reply.len().min(100)]);
    }
    let size_after = std::fs::metadata(dir.join("ledger.sqlite")).unwrap().len()
        + std::fs::metadata(dir.join("ledger.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
    assert!(size_after <= size_before + 64 * 1024, "nothing of the bodies was stored: {size_before} -> {size_after}");
}

/// A caller without a valid credential is refused from the request's head, before a byte
/// of its body is read: otherwise anyone could make the service buffer `--max-body` (4 MiB)
/// per connection — 512 connections, 2 GiB — by announcing a large body and sending it
/// slowly or never (on the AI route, which has no request deadline, for a connection's
/// whole life). Each request here announces 1,000,000 bytes and sends none: the refusal
/// must come anyway.
#[test]
fn a_body_is_not_read_before_its_credential_is_checked() {
    let dir = temp_dir("body-first");
    let s = Server::start(&dir, &["--request-timeout-seconds", "2", "--connection-seconds", "4"]);
    let forged = token_with("another-secret-that-is-long-enough-0123456789", json!({"sub":"demo","exp": now_s() + 3600}));
    let routes = [
        "/v1/push",
        "/v1/pull",
        "/v1/admin",
        "/v1/checkout",
        "/v1/admin/refund",
        "/v1/admin/email",
        "/v1/ai/chat/completions",
        "/demo/admin",
        "/demo/refund",
    ];
    for path in routes {
        for auth in [None, Some(forged.as_str())] {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            let credential = auth.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
            write!(c, "POST {path} HTTP/1.1\r\nHost: {}\r\n{credential}Content-Length: 1000000\r\n\r\n", s.addr).unwrap();
            let mut head = [0u8; 12];
            let got = c.read(&mut head).unwrap_or(0);
            let line = String::from_utf8_lossy(&head[..got]).into_owned();
            assert_eq!(line, "HTTP/1.1 401", "{path} with {auth:?}: refused without its body");
        }
    }
}

/// A request's head (request line and headers) is bounded at 64 KiB: a head above it is
/// 431 without being kept, so 512 connections each sending an unfinished head hold at
/// most ~32 MiB for the header deadline, not hyper's default ~400 KB each (~200 MiB).
/// A head well within it (a 40 KB header) is served.
#[test]
fn a_request_head_above_64_kib_is_refused() {
    let dir = temp_dir("head");
    let s = Server::start(&dir, &[]);
    let r = http(s.addr, "GET", "/v1/keys", &headers(&[("X-Padding", &"a".repeat(40_000))]), b"");
    assert_eq!(r.status, 200);
    // Complete heads just over the bound, in one header or in many: 431 with an error body
    // (hyper's buffer bound alone let them through up to about 128 KiB).
    let one = http(s.addr, "GET", "/v1/keys", &headers(&[("X-Padding", &"a".repeat(66_000))]), b"");
    assert_eq!((one.status, one.code()), (431, "BAD_REQUEST".to_string()), "one 66 KB header");
    let many: Vec<(String, String)> = (0..70).map(|i| (format!("X-Pad-{i}"), "a".repeat(1_000))).collect();
    assert_eq!(http(s.addr, "GET", "/v1/keys", &many, b"").status, 431, "70 headers of 1,000 bytes");
    let under: Vec<(String, String)> = (0..60).map(|i| (format!("X-Pad-{i}"), "a".repeat(1_000))).collect();
    assert_eq!(http(s.addr, "GET", "/v1/keys", &under, b"").status, 200, "60 headers of 1,000 bytes");
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // The head is never finished: the answer must come from its size alone.
    let _ = write!(c, "GET /v1/keys HTTP/1.1\r\nHost: {}\r\nX-Padding: {}", s.addr, "a".repeat(100_000));
    let mut head = [0u8; 12];
    let got = c.read(&mut head).unwrap_or(0);
    assert_eq!(String::from_utf8_lossy(&head[..got]), "HTTP/1.1 431");
}

#[test]
fn a_10000_mutation_push_does_not_stall_another_account() {
    let dir = temp_dir("stall");
    // A debug build under a parallel test run can take longer than the default 30 s
    // request deadline for 10,000 mutations; the deadline is not what this test is about.
    let s = Server::start(&dir, &["--request-timeout-seconds", "600", "--max-batch", "10000"]);
    let addr = s.addr;
    // 5,000 reserve + release pairs on `demo`.
    let mutations: Vec<_> = (1..=5_000u64)
        .flat_map(|i| [reserve(2 * i - 1, &format!("big:{}", 2 * i - 1), "0.01"), release(2 * i, &format!("big:{}", 2 * i - 1))])
        .collect();
    let body = json!({"v":2,"accountId":"demo","deviceId":"big","mutations":mutations}).to_string();
    let done = Arc::new(AtomicBool::new(false));
    let big = {
        let done = Arc::clone(&done);
        let auth = headers(&[("Authorization", &format!("Bearer {}", token("demo", None)))]);
        std::thread::spawn(move || {
            let r = http(addr, "POST", "/v1/push", &auth, body.as_bytes());
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    // Meanwhile another account's device pushes; count how many of its pushes are
    // answered before the big one is. A few are enough to show it is not stalled: each
    // push leaves a hold on that account, whose stored state (and so each push's cost)
    // grows with them, so the loop stops after 20 rather than racing a slow big push.
    let mut before_big = 0;
    let mut seq = 0;
    while !done.load(Ordering::SeqCst) && before_big < 20 {
        seq += 1;
        let (r, _) = s.push(
            "demo-agent",
            "small",
            json!([{"type":"reserve","seq":seq,"at":0,"holdId":format!("small:{seq}"),"amount":"0.01","operation":"chat.reply"}]),
        );
        assert_eq!(r.results[0].status, ResultStatus::Applied);
        if !done.load(Ordering::SeqCst) {
            before_big += 1;
        }
    }
    let r = big.join().unwrap();
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["results"].as_array().map(Vec::len), Some(10_000));
    assert!(v["results"].as_array().unwrap().iter().all(|x| x["status"] == "applied"));
    assert!(before_big >= 1, "another account's pushes were answered while the big push ran");
}

/// Sends `request(i)` for i = 1, 2, … until one is refused 429 (at most `tries`); checks it
/// was `RATE_LIMITED` after a usable budget of at least `budget`, and returns how many got
/// 200.
fn until_rate_limited(tries: u64, budget: usize, mut request: impl FnMut(u64) -> Reply) -> usize {
    let mut statuses = Vec::new();
    for i in 1..=tries {
        let r = request(i);
        statuses.push((r.status, r.code()));
        if r.status == 429 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&(429, "RATE_LIMITED".to_string())), "{statuses:?}");
    let served = statuses.iter().filter(|(st, _)| *st == 200).count();
    assert!(served >= budget, "the budget itself is usable: {statuses:?}");
    served
}

#[test]
fn pushes_beyond_an_accounts_rate_are_refused_and_not_applied() {
    let dir = temp_dir("rate");
    let s = Server::start(&dir, &["--pushes-per-minute", "3"]);
    let t = token("demo", Some("r"));
    let applied = until_rate_limited(5, 3, |seq| {
        let body = json!({"v":2,"accountId":"demo","deviceId":"r","mutations":[reserve(seq, &format!("r:{seq}"), "1")]}).to_string();
        s.post("/v1/push", Some(&t), &body)
    }) as u64;
    assert_eq!(s.state("demo")["devices"]["r"]["lastSeq"], applied, "the refused push was not applied");
    let other = s.post("/v1/pull", Some(&token("demo-agent", None)), r#"{"v":2,"accountId":"demo-agent","deviceId":"x"}"#);
    assert_eq!(other.status, 200, "other accounts and pulls are not affected");
}

/// Each pull makes the ledger write and sign a snapshot of the whole account: an account's
/// devices have a budget of them too, apart from their pushes'.
#[test]
fn pulls_beyond_an_accounts_rate_are_refused() {
    let dir = temp_dir("pull-rate");
    let s = Server::start(&dir, &["--pulls-per-minute", "3"]);
    let t = token("demo", Some("p"));
    let pull = r#"{"v":2,"accountId":"demo","deviceId":"p"}"#;
    until_rate_limited(6, 3, |_| s.post("/v1/pull", Some(&t), pull));
    let refused = s.post("/v1/pull", Some(&t), pull).json();
    assert_eq!((refused["v"].as_u64(), refused["snapshot"].is_null()), (Some(2), true), "a protocol error body, no snapshot: {refused}");
    let body = json!({"v":2,"accountId":"demo","deviceId":"p","mutations":[reserve(1, "p:1", "1")]}).to_string();
    assert_eq!(s.post("/v1/push", Some(&t), &body).status, 200, "the account's pushes have their own budget");
    let other = s.post("/v1/pull", Some(&token("demo-agent", None)), r#"{"v":2,"accountId":"demo-agent","deviceId":"x"}"#);
    assert_eq!(other.status, 200, "another account has its own budget");
}

/// `/v1/state` writes the whole account, like a pull's snapshot: a device's reads come out
/// of its account's pull budget (one token could otherwise ask for it without limit), the
/// admin's do not.
#[test]
fn state_reads_share_the_accounts_pull_budget() {
    let dir = temp_dir("state-rate");
    let s = Server::start(&dir, &["--pulls-per-minute", "3"]);
    let t = token("demo", Some("p"));
    until_rate_limited(6, 3, |_| s.get("/v1/state?account=demo", Some(&t)));
    let pull = s.post("/v1/pull", Some(&t), r#"{"v":2,"accountId":"demo","deviceId":"p"}"#);
    assert_eq!(pull.status, 429, "the reads spent the account's pulls");
    for _ in 0..5 {
        assert_eq!(s.get("/v1/state?account=demo", Some(ADMIN)).status, 200, "the admin is not counted");
    }
}

/// Every pushed mutation is kept as a fingerprint for the account's life (refused ones
/// too: a probe grew the database by 1.1 MB/s with 10,000 refused releases per push, within
/// the push budget): pushes are also budgeted by their mutations, taken whole or not at all.
#[test]
fn mutations_beyond_an_accounts_rate_are_refused_whole() {
    let dir = temp_dir("mutation-rate");
    let s = Server::start(&dir, &["--mutations-per-minute", "5"]);
    let t = token("demo", Some("m"));
    let push = |from: u64, n: u64| {
        let mutations: Vec<_> = (from..from + n).map(|seq| release(seq, &format!("m:{seq}"))).collect();
        s.post("/v1/push", Some(&t), &json!({"v":2,"accountId":"demo","deviceId":"m","mutations":mutations}).to_string())
    };
    assert_eq!(push(1, 3).status, 200);
    let over = push(4, 3);
    assert_eq!((over.status, over.code()), (429, "RATE_LIMITED".to_string()), "3 more with 2 left: {}", over.text());
    assert_eq!(s.state("demo")["devices"]["m"]["lastSeq"], 3, "nothing of the refused push was applied");
    assert_eq!(push(4, 2).status, 200, "the refusal took nothing from the budget");
    assert_eq!(s.state("demo")["devices"]["m"]["lastSeq"], 5);
    let body = json!({"v":2,"accountId":"demo-agent","deviceId":"x","mutations":[release(1, "x:1"), release(2, "x:2")]}).to_string();
    let other = s.post("/v1/push", Some(&token("demo-agent", None)), &body);
    assert_eq!(other.status, 200, "another account has its own budget");
}

/// The request deadline bounds receiving a body, not answering: a push whose commit waits
/// longer than the deadline (here SQLite's write lock, held by another connection for
/// 2.5 s against a 1 s deadline) is answered with what was applied. A deadline over the
/// whole request answered 408 "nothing was applied" while the push went on and committed.
#[test]
fn a_request_received_is_answered_however_long_its_commit_waits() {
    let dir = temp_dir("slow-commit");
    let s = Server::start(&dir, &["--request-timeout-seconds", "1"]);
    let body = json!({"v":2,"accountId":"demo","deviceId":"slow","mutations":[reserve(1, "slow:1", "1")]}).to_string();
    let lock = rusqlite::Connection::open(dir.join("ledger.sqlite")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(2_500));
        lock.execute_batch("COMMIT").unwrap();
    });
    let started = std::time::Instant::now();
    let r = s.post("/v1/push", Some(&token("demo", None)), &body);
    let waited = started.elapsed();
    holder.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let answer: credit_meter_protocol::message::Response = credit_meter_base::json::from_str(&r.text()).unwrap();
    assert_eq!(answer.results.iter().map(|x| x.status).collect::<Vec<_>>(), [ResultStatus::Applied]);
    assert!(waited >= Duration::from_millis(2_000), "the answer came after the lock was released ({waited:?})");
    assert_eq!(s.state("demo")["devices"]["slow"]["lastSeq"], 1);
    // A body that does not arrive in time is still refused, with nothing applied.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let late = json!({"v":2,"accountId":"demo","deviceId":"slow","mutations":[reserve(2, "slow:2", "1")]}).to_string();
    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        s.addr,
        token("demo", None),
        late.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&late.as_bytes()[..10]).unwrap();
    let reply = read_reply(&mut std::io::BufReader::new(c), false);
    assert_eq!((reply.status, reply.code()), (408, "TIMEOUT".to_string()), "{}", reply.text());
    assert!(reply.text().contains("nothing was applied"));
    assert_eq!(s.state("demo")["devices"]["slow"]["lastSeq"], 1);
}

/// A device's body that is no push or pull request still comes out of its account's push
/// or pull budget: parsing up to 4 MiB costs the service what a real one does.
#[test]
fn bodies_that_do_not_parse_count_against_the_accounts_budget() {
    let dir = temp_dir("junk-budget");
    let s = Server::start(&dir, &["--pushes-per-minute", "3", "--pulls-per-minute", "3"]);
    let junk = format!("{{\"v\":2,\"accountId\":\"demo\",\"pad\":\"{}\",}}", "a".repeat(100_000));
    for path in ["/v1/push", "/v1/pull"] {
        let codes: Vec<String> = (0..4).map(|_| s.post(path, Some(&token("demo", None)), &junk).code()).collect();
        assert_eq!(codes, ["BAD_REQUEST", "BAD_REQUEST", "BAD_REQUEST", "RATE_LIMITED"], "{path}");
    }
    // The admin token has no budget; its unparsable bodies are answered as before.
    let admin: Vec<String> = (0..4).map(|_| s.post("/v1/admin", Some(ADMIN), "{").code()).collect();
    assert_eq!(admin, ["BAD_INPUT"; 4]);
}
