//! The `credit-meter-ledger` binary (feature `server`), run as a process on a free
//! loopback port with a fresh SQLite file and driven over plain HTTP: the routes, the
//! demo accounts of a first run, state surviving SIGKILL and SIGTERM, static files and
//! the refusal of paths outside the root.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

use credit_meter::ledger::Policy;
use credit_meter::money::Credits;
use credit_meter::snapshot::{PublicKeys, SnapshotPayload};
use credit_meter::sync::message::MAX_BODY_BYTES;
use credit_meter::sync::{Response, ResultStatus};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("credit-meter-ledger-test-{}-{nanos}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A running server.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the binary on 127.0.0.1:0 and reads the port from its first line.
    fn start(db: &Path, root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_credit-meter-ledger"))
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .arg("--root")
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let prefix = "credit-meter ledger listening on http://";
        assert!(line.starts_with(prefix), "first line: {line:?}");
        let rest = &line[prefix.len()..];
        let addr: SocketAddr = rest[..rest.find('/').unwrap()].parse().unwrap();
        assert!(line.trim_end().ends_with(&format!("(demo: http://{addr}/www/)")), "first line: {line:?}");
        Server { child, addr }
    }

    fn get(&self, path: &str) -> Reply {
        http(self.addr, "GET", path, &[], b"")
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        http(self.addr, "POST", path, &[], body.as_bytes())
    }

    fn json(&self, path: &str, body: &Value) -> Value {
        let r = self.post(path, &body.to_string());
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    fn state(&self, account: &str) -> Value {
        let r = self.get(&format!("/v1/state?account={account}"));
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    fn keys(&self) -> PublicKeys {
        PublicKeys::from_json(&self.get("/v1/keys").text()).unwrap()
    }

    /// A push, with the snapshot verified under the server's keys.
    fn push(&self, account: &str, device: &str, mutations: Value) -> (Response, SnapshotPayload) {
        let body = json!({"v":2,"accountId":account,"deviceId":device,"mutations":mutations}).to_string();
        let resp: Response = credit_meter::json::from_str(&self.post("/v1/push", &body).text()).unwrap();
        let payload = resp.snapshot.clone().expect("snapshot").verify(&self.keys()).unwrap().payload;
        (resp, payload)
    }

    /// SIGKILL: no chance to clean up.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM; returns whether it exited with 0.
    fn terminate(mut self) -> bool {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        self.child.wait().unwrap().success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on its own connection (`extra` headers may override
/// Content-Length, for the body-limit test).
fn http(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_reply(&mut BufReader::new(s), method == "HEAD")
}

/// Reads one response (by its Content-Length, else to the end of the stream).
fn read_reply(r: &mut BufReader<TcpStream>, head_only: bool) -> Reply {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.parse::<usize>().unwrap());
    let mut body = Vec::new();
    match len {
        Some(n) => {
            body.resize(n, 0);
            if !head_only {
                r.read_exact(&mut body).unwrap();
            }
        }
        None => {
            r.read_to_end(&mut body).unwrap();
        }
    }
    Reply { status, headers, body }
}

fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

fn credits(v: &Value) -> Credits {
    c(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

fn reserve(seq: u64, hold: &str, amount: &str) -> Value {
    json!({"type":"reserve","seq":seq,"at":0,"holdId":hold,"amount":amount,"operation":"flashcards.generate"})
}

fn commit(seq: u64, hold: &str, amount: &str) -> Value {
    json!({"type":"commit","seq":seq,"at":0,"holdId":hold,"amount":amount})
}

#[test]
fn a_first_run_creates_a_signing_key_and_the_demo_accounts() {
    let dir = temp_dir("first-run");
    let s = Server::start(&dir.join("ledger.sqlite"), &dir);
    let keys: serde_json::Map<String, Value> = serde_json::from_str(&s.get("/v1/keys").text()).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(s.keys().get(keys.keys().next().unwrap()).is_some(), "a valid Ed25519 public key");

    let demo = s.state("demo");
    assert_eq!(demo["policy"], "trueRecall");
    let starter = Policy::true_recall().packages.iter().find(|p| p.id == "starter").unwrap().clone();
    assert_eq!(credits(&demo["balance"]), starter.credits.checked_add(starter.bonus).unwrap(), "the Starter package");

    let agent = s.state("demo-agent");
    assert_eq!(agent["policy"], "assistLore");
    assert_eq!(agent["plan"], "starter");
    let policy = Policy::assist_lore();
    let expected = policy.signup_grant.as_ref().unwrap().credits.checked_add(policy.plan("starter").unwrap().credits_per_cycle).unwrap();
    assert_eq!(credits(&agent["balance"]), expected, "signup grant plus the plan's cycle credits");

    let pull: Response = credit_meter::json::from_str(&s.post("/v1/pull", r#"{"v":2,"accountId":"demo","deviceId":"d1"}"#).text()).unwrap();
    let payload = pull.snapshot.expect("snapshot").verify(&s.keys()).expect("signed by the published key").payload;
    assert_eq!(payload.balance, credits(&demo["balance"]));
}

#[test]
fn the_ledger_routes_answer_with_the_ledgers_json() {
    let dir = temp_dir("routes");
    let s = Server::start(&dir.join("ledger.sqlite"), &dir);
    let before = credits(&s.state("demo")["balance"]);
    let (r, p) = s.push("demo", "d1", json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7")]));
    assert_eq!(r.results.iter().map(|x| x.status).collect::<Vec<_>>(), [ResultStatus::Applied, ResultStatus::Applied]);
    assert_eq!(p.balance.checked_add(c("7")).unwrap(), before);
    assert_eq!(credits(&s.state("demo")["balance"]), p.balance, "the state route agrees with the snapshot");

    let bought = s.json("/v1/admin", &json!({"op":"purchase","accountId":"demo","purchaseId":"t1","packageId":"starter"}));
    assert_eq!(bought["ok"], true, "{bought}");
    assert!(credits(&s.state("demo")["balance"]) > p.balance);

    for (path, body, code) in [
        ("/v1/push", "{not json", "BAD_REQUEST"),
        ("/v1/pull", "[]", "BAD_REQUEST"),
        ("/v1/push", r#"{"v":2,"accountId":"nobody","deviceId":"d1","mutations":[]}"#, "UNKNOWN_ACCOUNT"),
        ("/v1/admin", "nonsense", "BAD_INPUT"),
        ("/v1/admin", r#"{"op":"purchase","accountId":"demo","purchaseId":"t1","packageId":"starter"}"#, "DUPLICATE_ID"),
    ] {
        let r = s.post(path, body);
        assert_eq!(r.status, 200, "a protocol answer, not HTTP misuse: {path} {body}");
        assert_eq!(r.header("Content-Type"), Some("application/json; charset=utf-8"));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["code"], code, "{path} {body}: {v}");
    }
}

#[test]
fn http_misuse_is_a_4xx_and_cors_is_permissive() {
    let dir = temp_dir("misuse");
    let s = Server::start(&dir.join("ledger.sqlite"), &dir);
    let cases = [
        (s.get("/v1/push"), 405),
        (s.post("/v1/keys", ""), 405),
        (s.post("/v1/nothing", "{}"), 404),
        (s.get("/v1/state"), 400),
        (s.get("/v1/state?account=nobody"), 404),
        (http(s.addr, "POST", "/v1/push", &[], &[0xff, 0xfe, b'{']), 400),
        (http(s.addr, "PUT", "/www/index.html", &[], b"x"), 405),
    ];
    for (r, status) in &cases {
        assert_eq!(r.status, *status, "{}", r.text());
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    }
    let too_big = (MAX_BODY_BYTES + 1).to_string();
    let r = http(s.addr, "POST", "/v1/push", &[("Content-Length", &too_big)], b"");
    assert_eq!(r.status, 413);

    let pre = http(s.addr, "OPTIONS", "/v1/push", &[("Origin", "http://example.test"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type")], b"");
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("Access-Control-Allow-Origin"), Some("*"));
    assert!(pre.header("Access-Control-Allow-Methods").unwrap().contains("POST"));
    assert_eq!(pre.header("Access-Control-Allow-Headers"), Some("content-type"));
    assert!(s.get("/v1/keys").header("Access-Control-Allow-Origin") == Some("*"));
}

#[test]
fn one_keep_alive_connection_serves_several_requests() {
    let dir = temp_dir("keep-alive");
    let s = Server::start(&dir.join("ledger.sqlite"), &dir);
    let stream = TcpStream::connect(s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    for seq in 1..=3u64 {
        let body = json!({"v":2,"accountId":"demo","deviceId":"ka","mutations":[reserve(seq, &format!("ka:{seq}"), "1")]}).to_string();
        write!(w, "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        let reply = read_reply(&mut r, false);
        assert_eq!(reply.status, 200);
        let resp: Response = credit_meter::json::from_str(std::str::from_utf8(&reply.body).unwrap()).unwrap();
        assert_eq!((resp.results[0].seq, resp.results[0].status), (seq, ResultStatus::Applied));
    }
    assert_eq!(s.state("demo")["devices"]["ka"]["lastSeq"], 3);
}

#[test]
fn idle_keep_alive_connections_never_delay_a_new_one() {
    // tiny_http's pool once queued a new connection behind idle keep-alive ones (a page
    // load stalled until a browser socket closed). Each connection now has its own thread.
    let dir = temp_dir("idle");
    let s = Server::start(&dir.join("ledger.sqlite"), &dir);
    let mut idle = Vec::new();
    for _ in 0..16 {
        let stream = TcpStream::connect(s.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        write!(w, "GET /v1/keys HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(read_reply(&mut r, false).status, 200);
        idle.push((w, r));
    }
    // A connection that sent half a request and went quiet must not block others either.
    let mut half = TcpStream::connect(s.addr).unwrap();
    write!(half, "POST /v1/push HTTP/1.1\r\nContent-Length: 100\r\n\r\n{{").unwrap();
    for _ in 0..8 {
        assert_eq!(s.get("/v1/keys").status, 200);
    }
    assert_eq!(idle.len(), 16);
}

#[test]
fn state_survives_sigkill_and_sigterm_and_a_duplicate_is_not_applied_twice() {
    let dir = temp_dir("restart");
    let db = dir.join("ledger.sqlite");
    let batch = json!([reserve(1, "d1:1", "10"), commit(2, "d1:1", "7"), reserve(3, "d1:3", "4")]);

    let s = Server::start(&db, &dir);
    let (first, p1) = s.push("demo", "d1", batch.clone());
    assert!(first.results.iter().all(|r| r.status == ResultStatus::Applied));
    let bought = s.json("/v1/admin", &json!({"op":"purchase","accountId":"demo","purchaseId":"r1","packageId":"pro"}));
    assert_eq!(bought["ok"], true);
    let keys = s.get("/v1/keys").text();
    let state = s.state("demo");
    s.kill();

    let s = Server::start(&db, &dir);
    assert_eq!(s.get("/v1/keys").text(), keys, "the same signing key");
    let after = s.state("demo");
    for field in ["balance", "held", "grants", "holds", "devices", "entries", "version"] {
        assert_eq!(after[field], state[field], "{field} after SIGKILL");
    }
    let (dup, p2) = s.push("demo", "d1", batch);
    assert!(dup.results.iter().all(|r| r.status == ResultStatus::Duplicate && r.original == Some(ResultStatus::Applied)), "{:?}", dup.results);
    assert_eq!(dup.results[1].charged, Some(c("7")), "the original result");
    assert_eq!(p2.last_mutation_seq, p1.last_mutation_seq);
    assert_eq!(p2.balance, credits(&state["balance"]), "not applied twice");
    let (next, p3) = s.push("demo", "d1", json!([commit(4, "d1:3", "3")]));
    assert_eq!(next.results[0].status, ResultStatus::Applied);
    let state = s.state("demo");
    assert_eq!(credits(&state["balance"]), p3.balance);
    assert!(s.terminate(), "SIGTERM exits with 0");

    let s = Server::start(&db, &dir);
    assert_eq!(s.get("/v1/keys").text(), keys);
    let after = s.state("demo");
    for field in ["balance", "held", "grants", "holds", "devices", "entries", "version"] {
        assert_eq!(after[field], state[field], "{field} after SIGTERM");
    }
    assert_eq!(s.state("demo-agent")["plan"], "starter", "the demo setup is not run twice");
}

#[test]
fn static_files_are_served_with_their_types_and_nothing_outside_the_root() {
    let base = temp_dir("static");
    let root = base.join("root");
    std::fs::create_dir_all(root.join("www")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(base.join("secret.txt"), "TOP-SECRET").unwrap();
    std::fs::write(root.join(".git").join("config"), "TOP-SECRET").unwrap();
    let page = "<!doctype html><title>demo</title>";
    std::fs::write(root.join("www").join("index.html"), page).unwrap();
    std::fs::write(root.join("www").join("app.js"), "export const x = 1;").unwrap();
    let wasm = [0u8, b'a', b's', b'm', 1, 0, 0, 0];
    std::fs::write(root.join("www").join("m.wasm"), wasm).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(base.join("secret.txt"), root.join("www").join("link.txt")).unwrap();
    let db = root.join("ledger.sqlite");
    let s = Server::start(&db, &root);

    let r = s.get("/www/");
    assert_eq!((r.status, r.text().as_str()), (200, page));
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let r = s.get("/www/app.js");
    assert_eq!((r.status, r.header("Content-Type")), (200, Some("text/javascript; charset=utf-8")));
    let r = s.get("/www/m.wasm");
    assert_eq!((r.status, r.header("Content-Type"), r.body.as_slice()), (200, Some("application/wasm"), &wasm[..]));
    let r = s.get("/www/index%2Ehtml?x=1");
    assert_eq!((r.status, r.text().as_str()), (200, page), "percent-decoded, query ignored");
    let r = s.get("/www");
    assert_eq!((r.status, r.header("Location")), (301, Some("/www/")));
    let r = s.get("/");
    assert_eq!((r.status, r.header("Location")), (302, Some("/www/")));
    assert_eq!(s.get("/www/missing.js").status, 404);

    let refused = [
        "/../secret.txt",
        "/www/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/www/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/www/..%5c..%5csecret.txt",
        "/.git/config",
        "/%2egit/config",
        "/www/link.txt",
        "/ledger.sqlite",
        "/ledger.sqlite-wal",
        "//etc/passwd",
        "/www/%00",
        "/www/%zz",
    ];
    for path in refused {
        let r = s.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("TOP-SECRET") && !r.body.starts_with(b"SQLite"), "{path}");
    }
    assert!(db.exists(), "the ledger file is there, just not served");
}

#[test]
fn bad_command_lines_and_non_loopback_addresses_are_refused() {
    let dir = temp_dir("cli");
    for args in [vec!["--addr", "0.0.0.0:0"], vec!["--addr", "192.0.2.1:8787"], vec!["--addr", "nonsense"], vec!["--bogus"], vec!["--db"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_credit-meter-ledger")).args(&args).arg("--root").arg(&*dir).current_dir(&*dir).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing listened");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"), "{args:?}");
    }
    assert!(!dir.join("credit-meter-ledger.sqlite").exists(), "no file created when refused");
}
