//! An OpenAI-compatible provider on loopback for the AI proxy's tests: it records every
//! request it receives and answers by the scenario named in the last message's content
//! (`scenario:<name>`): whole or streamed, with or without usage, refusing with an error
//! status, accepting and then breaking off, going silent, thinking without visible output
//! or sending an error event, before or after output, streaming slowly, or streaming more
//! than a client's buffers hold; or a whole answer that comes late, breaks off or is too
//! large.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Prompt tokens every answer reports.
pub(crate) const PROMPT_TOKENS: u64 = 1000;
/// Completion tokens every answer reports.
pub(crate) const COMPLETION_TOKENS: u64 = 2000;

/// The bytes of content the `flood` scenario streams (in lines of 16 KiB), then its usage:
/// far more than a client's socket and the proxy's buffers hold when the client does not
/// read.
pub(crate) const FLOOD_BYTES: usize = 32 << 20;

/// One request the provider received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// Its `Authorization` header.
    pub authorization: Option<String>,
    /// Its path.
    pub path: String,
    /// Its body.
    pub body: serde_json::Value,
}

/// The provider.
pub(crate) struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// Starts it on a free loopback port.
    pub(crate) fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let _ = serve(stream, &log);
                });
            }
        });
        Upstream { addr, seen }
    }

    /// `--upstream-url`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// Requests received so far.
    pub(crate) fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The last request received.
    pub(crate) fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().expect("a request reached the provider")
    }
}

fn chunk(v: serde_json::Value) -> String {
    format!("data: {v}\n\n")
}

fn content(text: &str) -> String {
    chunk(
        serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]}),
    )
}

/// The first chunk of an OpenAI stream: the role and empty content, no output.
fn role() -> String {
    chunk(
        serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}),
    )
}

fn usage() -> serde_json::Value {
    serde_json::json!({"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS, "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS})
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or_default().to_string();
    let (mut len, mut authorization) = (0usize, None);
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap_or((l, ""));
        if n.eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().unwrap_or(0);
        }
        if n.eq_ignore_ascii_case("authorization") {
            authorization = Some(v.trim().to_string());
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let scenario = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or_default().to_string();
    let scenario = scenario.strip_prefix("scenario:").unwrap_or("whole").to_string();
    log.lock().unwrap().push(Seen { authorization, path, body });
    let mut w = stream;
    let sse_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    match scenario.as_str() {
        "whole" | "whole-nousage" => {
            let mut answer = serde_json::json!({"id":"c1","object":"chat.completion","model":"openai/gpt-4o-mini",
                "choices":[{"index":0,"message":{"role":"assistant","content":"Four cards."},"finish_reason":"stop"}]});
            if scenario == "whole" {
                answer["usage"] = usage();
            }
            let text = answer.to_string();
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            )?;
        }
        "whole-late" | "whole-broken" | "whole-huge" => {
            // A whole answer that comes after the proxy stopped waiting (the tests give it
            // 1 s of the provider's silence), that breaks off halfway, or that is larger
            // than the 16 MiB the proxy reads.
            let said = if scenario == "whole-huge" { "x".repeat(17 << 20) } else { "Four cards.".to_string() };
            let answer = serde_json::json!({"id":"c1","object":"chat.completion","model":"openai/gpt-4o-mini",
                "choices":[{"index":0,"message":{"role":"assistant","content":said},"finish_reason":"stop"}],"usage":usage()});
            let text = answer.to_string();
            if scenario == "whole-late" {
                std::thread::sleep(Duration::from_secs(5));
            }
            let sent = if scenario == "whole-broken" { &text[..text.len() / 2] } else { &text };
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{sent}",
                text.len()
            )?;
        }
        "fail-before" | "fail-500" => {
            let text = r#"{"error":{"message":"overloaded"}}"#;
            let status = if scenario == "fail-500" { "500 Internal Server Error" } else { "503 Service Unavailable" };
            write!(
                w,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            )?;
        }
        "stall-before" => {
            // Accepted (200), then silent past the proxy's idle time (the tests give it 1 s).
            w.write_all(sse_head.as_bytes())?;
            w.flush()?;
            std::thread::sleep(Duration::from_secs(5));
        }
        "silent-start" | "keepalive" => {
            // A reasoning model that does not stream its reasoning (which the provider
            // bills): accepted, the role chunk, then nothing visible — silent past the
            // idle time, or (`keepalive`) only SSE comments every 200 ms, as OpenRouter
            // sends while a model thinks, for up to 60 s (until a write fails: the proxy
            // dropped the call).
            w.write_all(sse_head.as_bytes())?;
            w.write_all(role().as_bytes())?;
            w.flush()?;
            if scenario == "silent-start" {
                std::thread::sleep(Duration::from_secs(5));
            } else {
                for _ in 0..300 {
                    std::thread::sleep(Duration::from_millis(200));
                    w.write_all(b": PROCESSING\n\n")?;
                    w.flush()?;
                }
            }
        }
        "broken-start" => {
            // Accepted (200, chunked), then the connection closes before the first chunk:
            // the body breaks off (no terminating chunk).
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            w.flush()?;
            std::thread::sleep(Duration::from_millis(100));
            let _ = w.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        "error-event" => {
            // OpenRouter's mid-stream error: the role chunk, then an error event (with a
            // choice finishing "error"), no usage, and the stream ends.
            w.write_all(sse_head.as_bytes())?;
            w.write_all(role().as_bytes())?;
            w.write_all(
                chunk(
                    serde_json::json!({"id":"c1","object":"chat.completion.chunk","error":{"code":502,"message":"Provider disconnected"},
                    "choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}),
                )
                .as_bytes(),
            )?;
        }
        "fail-after" => {
            w.write_all(sse_head.as_bytes())?;
            w.write_all(content("Four").as_bytes())?;
            w.write_all(content(" cards").as_bytes())?;
            w.flush()?;
            // Broken off: no usage, no [DONE].
        }
        "reasoning-after" => {
            // A reasoning model's stream that broke off while it was still thinking: what
            // reached the client is reasoning only, never `content`.
            w.write_all(sse_head.as_bytes())?;
            w.write_all(chunk(serde_json::json!({"id":"c1","choices":[{"index":0,"delta":{"role":"assistant"}}]})).as_bytes())?;
            for i in 0..3 {
                w.write_all(
                    chunk(serde_json::json!({"id":"c1","choices":[{"index":0,"delta":{"reasoning":format!("step {i} ")}}]})).as_bytes(),
                )?;
            }
            w.flush()?;
        }
        "stream" | "stream-nousage" | "slow" | "long" => {
            w.write_all(sse_head.as_bytes())?;
            let parts = match scenario.as_str() {
                "slow" => 30,
                // 30 s: a call still running when the ledger is told to stop.
                "long" => 600,
                _ => 3,
            };
            for i in 0..parts {
                // A client that went away makes these writes fail only at the proxy, not here.
                w.write_all(content(&format!("part {i} ")).as_bytes())?;
                w.flush()?;
                if scenario == "slow" || scenario == "long" {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            w.write_all(chunk(serde_json::json!({"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})).as_bytes())?;
            if scenario != "stream-nousage" {
                w.write_all(chunk(serde_json::json!({"id":"c1","choices":[],"usage":usage()})).as_bytes())?;
            }
            w.write_all(b"data: [DONE]\n\n")?;
        }
        "flood" => {
            // Until a write fails (the proxy dropped the call), or all of it.
            w.write_all(sse_head.as_bytes())?;
            let part = content(&"x".repeat(16 << 10));
            for _ in 0..FLOOD_BYTES / (16 << 10) {
                w.write_all(part.as_bytes())?;
            }
            w.write_all(chunk(serde_json::json!({"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]})).as_bytes())?;
            w.write_all(chunk(serde_json::json!({"id":"c1","choices":[],"usage":usage()})).as_bytes())?;
            w.write_all(b"data: [DONE]\n\n")?;
        }
        other => panic!("unknown scenario {other:?}"),
    }
    w.flush()
}
