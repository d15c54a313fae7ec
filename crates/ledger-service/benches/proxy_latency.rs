//! The AI proxy's added latency: the same chat completion sent straight to an
//! OpenAI-compatible provider on loopback and through `credit-meter-ledger`'s
//! `/v1/ai/chat/completions` (SQLite, a claimed hold settled from the reported usage),
//! interleaved call by call in one run; p50 and p99 of each and of the difference.
//! The provider answers at once, so the difference is the proxy's own cost: the claim
//! and the settlement (two committed writes of the account's record — SQLite with
//! `synchronous=FULL`, so two fsyncs) plus one HTTP hop. A push of one reserve (one
//! committed write) is timed beside them for scale. Built with the workspace's release
//! profile (size-optimised for the .wasm), as `cargo bench` builds it.
//!
//! ```text
//! cargo bench -p credit-meter-ledger-service --bench proxy_latency [-- CALLS]   (default 300)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-device-token-secret-0123456789abcdef";
const BODY: &str = r#"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Four flashcards on mitosis"}]}"#;

/// A keep-alive provider: every request gets the same whole answer with usage.
fn provider() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut r = BufReader::new(stream.try_clone().unwrap());
                let mut w = stream;
                let answer = r#"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Four cards."},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":60}}"#;
                while read_request(&mut r).is_some() {
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", answer.len());
                    if w.write_all(head.as_bytes()).and_then(|_| w.write_all(answer.as_bytes())).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Reads one request (head and Content-Length body); `None` at the end of the connection.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut len = 0;
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(body)
}

/// One keep-alive connection.
struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    host: SocketAddr,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Conn { r: BufReader::new(s.try_clone().unwrap()), w: s, host: addr }
    }

    /// POSTs and returns (status, body).
    fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Vec<u8>) {
        let mut head =
            format!("POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", self.host, body.len());
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.w.write_all(head.as_bytes()).unwrap();
        self.w.write_all(body.as_bytes()).unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            if n.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.r.read_exact(&mut body).unwrap();
        (status, body)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let calls: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300);
    let up = provider();
    let dir = std::env::temp_dir().join(format!("cm-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwt.secret"), SECRET).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_credit-meter-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--demo", "--pushes-per-minute", "1000000"])
        .arg("--database")
        .arg(format!("sqlite:{}", dir.join("ledger.sqlite").display()))
        .arg("--jwt-hs256-secret-file")
        .arg(dir.join("jwt.secret"))
        .args(["--upstream-url", &format!("http://{up}/v1")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let rest = &first[first.find("http://").unwrap() + 7..];
    let ledger: SocketAddr = rest[..rest.find('/').unwrap()].parse().unwrap();
    let claims = serde_json::json!({"sub": "demo", "device": "bench", "exp": 4_000_000_000u64});
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()))
        .unwrap();
    let bearer = format!("Bearer {token}");

    // Per call: the hold is reserved by a push (one committed write: the floor of any
    // ledger write, timed for scale), then the same request goes straight to the provider
    // and through the proxy.
    const WARM_UP: usize = 50;
    let mut conn = Conn::new(ledger);
    let mut direct_conn = Conn::new(up);
    let (mut direct, mut proxied, mut pushes) = (Vec::with_capacity(calls), Vec::with_capacity(calls), Vec::with_capacity(calls));
    let mut added: Vec<Duration> = Vec::with_capacity(calls);
    for i in 0..calls + WARM_UP {
        let hold = format!("bench:h{}", i + 1);
        let reserve = serde_json::json!({"v":2,"accountId":"demo","deviceId":"bench","mutations":[
            {"type":"reserve","seq":i + 1,"at":0,"holdId":hold,"amount":"0.05","operation":"message"}]})
        .to_string();
        let t = Instant::now();
        let (status, answer) = conn.post("/v1/push", &[("Authorization", &bearer)], &reserve);
        let w = t.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let t = Instant::now();
        let (status, _) = direct_conn.post("/v1/chat/completions", &[], BODY);
        let d = t.elapsed();
        assert_eq!(status, 200);
        let t = Instant::now();
        let (status, answer) = conn.post("/v1/ai/chat/completions", &[("Authorization", &bearer), ("X-Credit-Hold", &hold)], BODY);
        let p = t.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        if i < WARM_UP {
            continue;
        }
        direct.push(d);
        proxied.push(p);
        pushes.push(w);
        added.push(p.saturating_sub(d));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    direct.sort();
    pushes.sort();
    proxied.sort();
    added.sort();
    println!("AI proxy latency, {calls} calls interleaved (loopback provider answering at once; SQLite ledger):\n");
    println!("| path | p50 ms | p99 ms |\n|---|---:|---:|");
    println!("| direct to the provider | {} | {} |", ms(percentile(&direct, 0.5)), ms(percentile(&direct, 0.99)));
    println!("| through the proxy (claim + call + settle) | {} | {} |", ms(percentile(&proxied, 0.5)), ms(percentile(&proxied, 0.99)));
    println!("| added by the proxy (per call) | {} | {} |", ms(percentile(&added, 0.5)), ms(percentile(&added, 0.99)));
    println!(
        "| for scale: a push of one reserve (one committed write) | {} | {} |",
        ms(percentile(&pushes, 0.5)),
        ms(percentile(&pushes, 0.99))
    );
    let p50 = percentile(&added, 0.5);
    println!("\nadded p50 {} ms (target ≤ 2 ms: {})", ms(p50), if p50 <= Duration::from_millis(2) { "met" } else { "missed" });
}
