//! The load generator of the ledger bench (`bench/ledger/ledger_bench.py --client rust`):
//! a compiled client, so that the CPU it takes from the machine's shared cores is small
//! next to the service's and comparable to the floor's own client (pgbench, in C). The
//! Python client it replaces took ≈ 0.25 ms CPU per push — about half of what the
//! service itself takes — and so measured its own interpreter as much as the service.
//!
//! Two modes, each printing one JSON line `{"count","seconds","p50_ms","p99_ms"}`:
//!
//! ```text
//! push_load push ADDR ACCOUNTS_FILE SECONDS FIRST_SEQ
//!     one thread and one keep-alive connection per line of ACCOUNTS_FILE
//!     ("account<TAB>bearer token"): each pushes a reserve + commit after the other on
//!     its own account and checks that both came back `applied`
//! push_load sqlite-floor PATH DEVICES SECONDS
//!     the SQLite floor: DEVICES threads, each a connection (WAL, synchronous=FULL, the
//!     service's pragmas), each transaction `BEGIN IMMEDIATE`, one UPDATE of a balance
//!     row, one INSERT of a journal row, COMMIT — one transaction at a time (an in-process
//!     mutex, not SQLite's sleeping busy handler)
//! ```
//!
//! Built with the bench profile (`cargo build --release --bench push_load`); its HTTP is
//! the least a keep-alive HTTP/1.1 client needs (the service is the thing measured).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let out = match args.first().map(String::as_str) {
        Some("push") if args.len() == 5 => push(&args[1], &args[2], secs(&args[3]), args[4].parse().expect("FIRST_SEQ")),
        Some("sqlite-floor") if args.len() == 4 => sqlite_floor(&args[1], args[2].parse().expect("DEVICES"), secs(&args[3])),
        _ => {
            eprintln!("usage: push_load push ADDR ACCOUNTS_FILE SECONDS FIRST_SEQ | push_load sqlite-floor PATH DEVICES SECONDS");
            std::process::exit(2);
        }
    };
    println!("{out}");
}

fn secs(s: &str) -> Duration {
    Duration::from_secs_f64(s.parse().expect("SECONDS"))
}

/// Runs `work(i, deadline)` on `n` threads started together; returns every latency and the
/// wall time from the start to the last thread's end.
fn run_threads(n: usize, seconds: Duration, work: impl Fn(usize, Instant) -> Vec<Duration> + Sync) -> String {
    let barrier = std::sync::Barrier::new(n + 1);
    let (mut lat, took) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    barrier.wait();
                    work(i, Instant::now() + seconds)
                })
            })
            .collect();
        barrier.wait();
        let t0 = Instant::now();
        let lat: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().expect("a load thread failed")).collect();
        (lat, t0.elapsed())
    });
    lat.sort();
    let pct =
        |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    format!(r#"{{"count":{},"seconds":{},"p50_ms":{:.3},"p99_ms":{:.3}}}"#, lat.len(), took.as_secs_f64(), pct(0.5), pct(0.99))
}

/// The push load (see the module doc).
fn push(addr: &str, accounts: &str, seconds: Duration, first_seq: u64) -> String {
    let text = std::fs::read_to_string(accounts).expect("ACCOUNTS_FILE");
    let lines: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (a, t) = l.split_once('\t').expect("account<TAB>token");
            (a.to_string(), t.to_string())
        })
        .collect();
    run_threads(lines.len(), seconds, |i, deadline| {
        let (account, token) = &lines[i];
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        let mut lat = Vec::new();
        let mut seq = first_seq;
        while Instant::now() < deadline {
            let body = format!(
                r#"{{"v":2,"accountId":"{account}","deviceId":"d","mutations":[{{"type":"reserve","seq":{seq},"at":0,"holdId":"d:{seq}","amount":"1","operation":"flashcards.generate"}},{{"type":"commit","seq":{},"at":0,"holdId":"d:{seq}","amount":"1"}}]}}"#,
                seq + 1
            );
            let request = format!(
                "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let t = Instant::now();
            writer.write_all(request.as_bytes()).expect("send");
            let (status, answer) = read_response(&mut reader);
            lat.push(t.elapsed());
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
            let v: serde_json::Value = serde_json::from_slice(&answer).expect("JSON answer");
            let results = v["results"].as_array().expect("results");
            assert!(results.len() == 2 && results.iter().all(|r| r["status"] == "applied"), "{v}");
            seq += 2;
        }
        lat
    })
}

/// Reads one response: its status and body (`Content-Length` framed).
fn read_response(r: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let mut length = 0;
    loop {
        line.clear();
        r.read_line(&mut line).expect("header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().expect("content-length");
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).expect("body");
    (status, body)
}

/// The SQLite floor (see the module doc).
fn sqlite_floor(path: &str, devices: usize, seconds: Duration) -> String {
    {
        let c = rusqlite::Connection::open(path).expect("open");
        c.pragma_update(None, "journal_mode", "WAL").expect("wal");
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS bal (id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE IF NOT EXISTS journal (id INTEGER, at INTEGER, entry TEXT);",
        )
        .expect("tables");
        for i in 0..devices {
            c.execute("INSERT OR IGNORE INTO bal VALUES (?1, 0)", [i as i64]).expect("row");
        }
    }
    // One transaction at a time, taken in turn (first come, first served) in this process:
    // SQLite has one writer at a time anyway, and left to its busy handler (which sleeps
    // 1, 2, 5, 10 … ms between tries) 64 threads spend most of the time asleep — hundreds
    // of transactions per second with seconds of p99 — a floor of the busy handler, not of
    // the database; an unfair lock does much the same (the releasing thread takes it
    // again while the woken one is being scheduled).
    let turn = Turns::default();
    run_threads(devices, seconds, |i, deadline| {
        let c = rusqlite::Connection::open(path).expect("open");
        c.pragma_update(None, "synchronous", "FULL").expect("synchronous");
        c.busy_timeout(Duration::from_secs(60)).expect("busy timeout");
        let mut lat = Vec::new();
        while Instant::now() < deadline {
            let t = Instant::now();
            turn.take();
            c.execute_batch("BEGIN IMMEDIATE").expect("begin");
            c.prepare_cached("UPDATE bal SET v = v + 1 WHERE id = ?1").and_then(|mut s| s.execute([i as i64])).expect("update");
            let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            c.prepare_cached("INSERT INTO journal VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(rusqlite::params![i as i64, at, r#"{"type":"debit","amount":"1"}"#]))
                .expect("insert");
            c.execute_batch("COMMIT").expect("commit");
            turn.pass();
            lat.push(t.elapsed());
        }
        lat
    })
}

/// A first-come-first-served lock: [`Turns::pass`] hands it straight to the longest
/// waiting thread.
#[derive(Default)]
struct Turns {
    /// Whether a thread holds it, the waiting threads in order, and the one it was handed to.
    state: std::sync::Mutex<(bool, std::collections::VecDeque<std::thread::Thread>, Option<std::thread::ThreadId>)>,
}

impl Turns {
    fn take(&self) {
        let me = std::thread::current();
        {
            let mut s = self.state.lock().expect("turns");
            if !s.0 {
                s.0 = true;
                return;
            }
            s.1.push_back(me.clone());
        }
        loop {
            std::thread::park();
            let mut s = self.state.lock().expect("turns");
            if s.2 == Some(me.id()) {
                s.2 = None;
                return;
            }
        }
    }

    fn pass(&self) {
        let mut s = self.state.lock().expect("turns");
        match s.1.pop_front() {
            Some(next) => {
                s.2 = Some(next.id());
                next.unpark();
            }
            None => s.0 = false,
        }
    }
}
