//! Test support: the `credit-meter-ledger` binary as a process on a free loopback port
//! with a fresh SQLite file, plain HTTP/1.1 over `TcpStream`, and device tokens.
#![allow(dead_code)]

use credit_meter_protocol::message::Response;
use credit_meter_protocol::money::Credits;
use credit_meter_protocol::snapshot::{PublicKeys, SnapshotPayload};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) mod schema;
pub(crate) mod upstream;

/// The admin token the tests' servers run with.
pub(crate) const ADMIN: &str = "test-admin-token-0123456789";
/// The HS256 secret of the tests' device tokens.
pub(crate) const SECRET: &str = "test-device-token-secret-0123456789abcdef";

/// A fresh directory under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

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

pub(crate) fn temp_dir(name: &str) -> TempDir {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("cm-ledger-svc-{}-{nanos}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_credit-meter-ledger")
}

/// Seconds since the epoch.
pub(crate) fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An HS256 device token for `account` (optionally pinned to `device`), valid an hour.
pub(crate) fn token(account: &str, device: Option<&str>) -> String {
    token_with(SECRET, json!({"sub": account, "device": device, "exp": now_s() + 3600}))
}

/// A token with these claims (`device: null` is dropped), signed with `secret`.
pub(crate) fn token_with(secret: &str, mut claims: Value) -> String {
    if claims.get("device") == Some(&Value::Null) {
        claims.as_object_mut().unwrap().remove("device");
    }
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// A running server.
pub(crate) struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub first_line: String,
}

impl Server {
    /// The binary with `serve --addr 127.0.0.1:0 --database sqlite:<dir>/ledger.sqlite`, the
    /// tests' HS256 secret and admin token, `--demo`, plus `extra` arguments.
    pub(crate) fn start(dir: &Path, extra: &[&str]) -> Server {
        let db = format!("sqlite:{}", dir.join("ledger.sqlite").display());
        Server::start_db(dir, &db, extra)
    }

    /// Like [`Server::start`] on the database `url` (keys in `dir/keys.json` unless SQLite).
    pub(crate) fn start_db(dir: &Path, url: &str, extra: &[&str]) -> Server {
        let secret = dir.join("jwt.secret");
        std::fs::write(&secret, SECRET).unwrap();
        let mut args: Vec<String> =
            ["serve", "--addr", "127.0.0.1:0", "--database", url, "--jwt-hs256-secret-file"].iter().map(|s| s.to_string()).collect();
        args.push(secret.display().to_string());
        if !url.starts_with("sqlite:") {
            args.push("--key-file".into());
            args.push(dir.join("keys.json").display().to_string());
        }
        args.push("--demo".into());
        args.extend(extra.iter().map(|s| s.to_string()));
        Server::start_args(&args, &[("CREDIT_METER_ADMIN_TOKEN", ADMIN)])
    }

    /// The binary with exactly these arguments and environment.
    pub(crate) fn start_args(args: &[String], env: &[(&str, &str)]) -> Server {
        Server::spawn(args, env, Stdio::null())
    }

    /// Like [`Server::start`], its log (stderr) written to `log`.
    #[allow(dead_code)] // used by some test binaries only
    pub(crate) fn start_logging(dir: &Path, extra: &[&str], log: &Path) -> Server {
        let secret = dir.join("jwt.secret");
        std::fs::write(&secret, SECRET).unwrap();
        let db = format!("sqlite:{}", dir.join("ledger.sqlite").display());
        let head =
            ["serve", "--addr", "127.0.0.1:0", "--database", &db, "--jwt-hs256-secret-file", &secret.display().to_string(), "--demo"]
                .map(String::from);
        let args: Vec<String> = head.into_iter().chain(extra.iter().map(|s| s.to_string())).collect();
        Server::spawn(&args, &[("CREDIT_METER_ADMIN_TOKEN", ADMIN)], std::fs::File::create(log).unwrap().into())
    }

    fn spawn(args: &[String], env: &[(&str, &str)], stderr: Stdio) -> Server {
        let mut cmd = Command::new(bin());
        cmd.args(args).env_remove("CREDIT_METER_ADMIN_TOKEN").stdout(Stdio::piped()).stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let prefix = "listening on http://";
        let at = line.find(prefix).unwrap_or_else(|| panic!("first line: {line:?}"));
        let rest = &line[at + prefix.len()..];
        let addr: SocketAddr = rest[..rest.find('/').unwrap()].parse().unwrap();
        Server { child, addr, first_line: line }
    }

    pub(crate) fn get(&self, path: &str, auth: Option<&str>) -> Reply {
        http(self.addr, "GET", path, &bearer(auth), b"")
    }

    pub(crate) fn post(&self, path: &str, auth: Option<&str>, body: &str) -> Reply {
        http(self.addr, "POST", path, &bearer(auth), body.as_bytes())
    }

    /// An admin command with the admin token (asserts HTTP 200).
    pub(crate) fn admin(&self, cmd: &Value) -> Value {
        let r = self.post("/v1/admin", Some(ADMIN), &cmd.to_string());
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    /// The account's state, read with the admin token.
    pub(crate) fn state(&self, account: &str) -> Value {
        let r = self.get(&format!("/v1/state?account={account}"), Some(ADMIN));
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    pub(crate) fn keys(&self) -> PublicKeys {
        PublicKeys::from_json(&self.get("/v1/keys", None).text()).unwrap()
    }

    /// A push with the account's own token, the snapshot verified under the server's keys.
    pub(crate) fn push(&self, account: &str, device: &str, mutations: Value) -> (Response, SnapshotPayload) {
        let body = json!({"v":2,"accountId":account,"deviceId":device,"mutations":mutations}).to_string();
        let r = self.post("/v1/push", Some(&token(account, Some(device))), &body);
        assert_eq!(r.status, 200, "{}", r.text());
        let resp: Response = credit_meter_base::json::from_str(&r.text()).unwrap();
        let payload = resp.snapshot.clone().expect("snapshot").verify(&self.keys()).unwrap().payload;
        (resp, payload)
    }

    /// SIGKILL: no chance to clean up.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM; returns whether it exited with 0.
    pub(crate) fn terminate(mut self) -> bool {
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

fn bearer(auth: Option<&str>) -> Vec<(String, String)> {
    auth.map(|t| vec![("Authorization".to_string(), format!("Bearer {t}"))]).unwrap_or_default()
}

/// An HTTP answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    /// The protocol error code of the body.
    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }
}

/// One HTTP/1.1 request on its own connection; `Host` is the server's address unless
/// `extra` gives one, `Content-Length` the body's unless `extra` gives one.
pub(crate) fn http(addr: SocketAddr, method: &str, path: &str, extra: &[(String, String)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    if !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    read_reply(&mut BufReader::new(s), method == "HEAD")
}

/// Headers as owned pairs.
pub(crate) fn headers(h: &[(&str, &str)]) -> Vec<(String, String)> {
    h.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// Reads one response (by its Content-Length, else to the end of the stream).
pub(crate) fn read_reply(r: &mut BufReader<TcpStream>, head_only: bool) -> Reply {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap_or_else(|| panic!("status line {line:?}")).parse().unwrap();
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
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let mut body = Vec::new();
    if head_only {
        return Reply { status, headers, body };
    }
    match (len, chunked) {
        (Some(n), _) => {
            body.resize(n, 0);
            r.read_exact(&mut body).unwrap();
        }
        (None, true) => loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            let n = usize::from_str_radix(line.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        },
        (None, false) => {
            r.read_to_end(&mut body).unwrap();
        }
    }
    Reply { status, headers, body }
}

pub(crate) fn c(s: &str) -> Credits {
    Credits::parse(s).unwrap()
}

pub(crate) fn credits(v: &Value) -> Credits {
    c(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

pub(crate) fn reserve(seq: u64, hold: &str, amount: &str) -> Value {
    json!({"type":"reserve","seq":seq,"at":0,"holdId":hold,"amount":amount,"operation":"flashcards.generate"})
}

pub(crate) fn commit(seq: u64, hold: &str, amount: &str) -> Value {
    json!({"type":"commit","seq":seq,"at":0,"holdId":hold,"amount":amount})
}

pub(crate) fn release(seq: u64, hold: &str) -> Value {
    json!({"type":"release","seq":seq,"at":0,"holdId":hold})
}

/// A fresh, empty PostgreSQL database on the server `CREDIT_METER_TEST_POSTGRES_URL`
/// names (scripts/postgres.sh start), as a URL. `None` when the variable is unset outside
/// CI; in CI (`CI` set) an unset variable fails the test.
pub(crate) fn postgres_db(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("CREDIT_METER_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but CREDIT_METER_TEST_POSTGRES_URL is not: start scripts/postgres.sh and export it"
        );
        eprintln!("CREDIT_METER_TEST_POSTGRES_URL is unset: PostgreSQL not tested here (CI sets it)");
        return None;
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let db = format!("cm_{}_{}_{nanos}", name, std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    Some(format!("{base}/{db}"))
}

/// Like [`http`] but a connection failure (a killed server) is an `Err`, not a panic.
pub(crate) fn try_http(addr: SocketAddr, path: &str, auth: &str, body: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Error, ErrorKind};
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status =
        text.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| Error::new(ErrorKind::UnexpectedEof, "no status line"))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).ok_or_else(|| Error::new(ErrorKind::UnexpectedEof, "no body"))?;
    Ok((status, body))
}

/// A POST with `Transfer-Encoding: chunked` (no `Content-Length`) whose body is exactly
/// the bytes `chunked` — the caller writes the chunk framing, well-formed or not.
#[allow(dead_code)] // used by some test binaries only
pub(crate) fn post_chunked(addr: SocketAddr, path: &str, extra: &[(String, String)], chunked: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n");
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(chunked);
    read_reply(&mut BufReader::new(s), false)
}
