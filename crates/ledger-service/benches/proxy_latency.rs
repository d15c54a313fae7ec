//! The AI proxy's added latency: the same chat completion sent straight to an
//! OpenAI-compatible provider on loopback and through `credit-meter-ledger`'s
//! `/v1/ai/chat/completions` (SQLite, a claimed hold settled from the reported usage),
//! interleaved call by call in one run; p50 and p99 of each and of the difference.
//! Two providers: one that answers at once — the difference is then the proxy's whole
//! cost: one HTTP hop plus the claim's commit (SQLite `synchronous=FULL`: one fsync),
//! which the answer waits for because no byte is forwarded before the claim is durable —
//! and one that takes `PROVIDER_MS` before it answers, as any real provider does (and
//! more): the claim's commit then runs while the provider works and the difference is the
//! hop. The settlement is committed after the answer's last byte, off both paths. A push
//! of one reserve (one committed write) is timed beside them for scale. Built with the
//! workspace's release profile (size-optimised for the .wasm), as `cargo bench` builds it.
//!
//! ```text
//! cargo bench -p credit-meter-ledger-service --bench proxy_latency [-- CALLS]   (default 300)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-device-token-secret-0123456789abcdef";
const BODY: &str = r#"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Four flashcards on mitosis"}]}"#;

/// What the slower provider takes before it answers (real providers take hundreds of ms).
const PROVIDER_MS: u64 = 20;

/// A keep-alive provider: every request gets the same whole answer with usage, after
/// `delay`.
fn provider(delay: Duration) -> SocketAddr {
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
                    std::thread::sleep(delay);
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

/// A ledger with the proxy to `up`, on a fresh SQLite file in `dir`.
fn ledger(up: SocketAddr, dir: &std::path::Path) -> (Child, SocketAddr) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("jwt.secret"), SECRET).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_credit-meter-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--demo", "--pushes-per-minute", "1000000", "--mutations-per-minute", "0"])
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
    (child, rest[..rest.find('/').unwrap()].parse().unwrap())
}

/// One provider, straight and through its ledger, timed per call.
struct Path {
    ledger: Conn,
    provider: Conn,
    direct: Vec<Duration>,
    proxied: Vec<Duration>,
    added: Vec<Duration>,
    pushes: Vec<Duration>,
}

impl Path {
    fn new(ledger: SocketAddr, provider: SocketAddr) -> Path {
        Path {
            ledger: Conn::new(ledger),
            provider: Conn::new(provider),
            direct: Vec::new(),
            proxied: Vec::new(),
            added: Vec::new(),
            pushes: Vec::new(),
        }
    }

    /// Call `i`: the hold is reserved by a push (one committed write: the floor of any
    /// ledger write, timed for scale), then the same request goes straight to the
    /// provider and through the proxy. `keep`: past the warm-up.
    fn call(&mut self, i: usize, bearer: &str, keep: bool) {
        let hold = format!("bench:h{}", i + 1);
        let reserve = serde_json::json!({"v":2,"accountId":"demo","deviceId":"bench","mutations":[
            {"type":"reserve","seq":i + 1,"at":0,"holdId":hold,"amount":"2","operation":"message"}]})
        .to_string();
        let t = Instant::now();
        let (status, answer) = self.ledger.post("/v1/push", &[("Authorization", bearer)], &reserve);
        let w = t.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let t = Instant::now();
        let (status, _) = self.provider.post("/v1/chat/completions", &[], BODY);
        let d = t.elapsed();
        assert_eq!(status, 200);
        let t = Instant::now();
        let (status, answer) = self.ledger.post("/v1/ai/chat/completions", &[("Authorization", bearer), ("X-Credit-Hold", &hold)], BODY);
        let p = t.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        if keep {
            self.direct.push(d);
            self.proxied.push(p);
            self.pushes.push(w);
            self.added.push(p.saturating_sub(d));
        }
    }

    fn report(&mut self, provider: &str) {
        for v in [&mut self.direct, &mut self.proxied, &mut self.added, &mut self.pushes] {
            v.sort();
        }
        let row =
            |name: &str, v: &[Duration]| println!("| {provider} | {name} | {} | {} |", ms(percentile(v, 0.5)), ms(percentile(v, 0.99)));
        row("direct to the provider", &self.direct);
        row("through the proxy (claim ∥ call, settle after)", &self.proxied);
        row("**added by the proxy** (per call)", &self.added);
        row("for scale: a push of one reserve (one committed write)", &self.pushes);
    }
}

fn main() {
    let calls: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("cm-proxy-bench-{}", std::process::id()));
    let (fast_up, slow_up) = (provider(Duration::ZERO), provider(Duration::from_millis(PROVIDER_MS)));
    let (mut fast_child, fast_ledger) = ledger(fast_up, &dir.join("fast"));
    let (mut slow_child, slow_ledger) = ledger(slow_up, &dir.join("slow"));
    let claims = serde_json::json!({"sub": "demo", "device": "bench", "exp": 4_000_000_000u64});
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()))
        .unwrap();
    let bearer = format!("Bearer {token}");

    const WARM_UP: usize = 50;
    let mut fast = Path::new(fast_ledger, fast_up);
    let mut slow = Path::new(slow_ledger, slow_up);
    for i in 0..calls + WARM_UP {
        fast.call(i, &bearer, i >= WARM_UP);
        slow.call(i, &bearer, i >= WARM_UP);
    }
    for c in [&mut fast_child, &mut slow_child] {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("AI proxy latency, {calls} calls per provider, interleaved (loopback providers; SQLite ledgers):\n");
    println!("| provider | path | p50 ms | p99 ms |\n|---|---|---:|---:|");
    fast.report("answers at once");
    slow.report(&format!("answers after {PROVIDER_MS} ms"));
    let verdict = |p: &Path| {
        let p50 = percentile(&p.added, 0.5);
        format!("{} ms ({})", ms(p50), if p50 <= Duration::from_millis(2) { "met" } else { "missed" })
    };
    println!(
        "\nadded p50, target ≤ 2 ms: provider answering at once {}; provider answering after {PROVIDER_MS} ms {}",
        verdict(&fast),
        verdict(&slow)
    );
}
