//! The AI proxy (`POST /v1/ai/chat/completions`) against an OpenAI-compatible provider
//! served on loopback by the test (support::upstream): nothing reaches the provider
//! without a valid hold; the hold is settled from the provider's reported usage priced
//! by the catalog, exactly once, whatever the client commits (or does not); a client
//! that aborts mid-stream, before or after output, is charged, one that stops reading is
//! settled before its hold expires; only a provider's error status releases the hold;
//! answers without usage, whole answers that fail once sent and streams that fail once
//! the provider accepted them (silent, broken off or with the provider's error event,
//! output or not) are charged the call's worst case. On SQLite here and on
//! PostgreSQL (`CREDIT_METER_TEST_POSTGRES_URL`) through the same scenarios.

mod support;
use credit_meter_core::catalog::Catalog;
use credit_meter_core::pricing::{credits_for, Usage};
use credit_meter_protocol::message::ResultStatus;
use credit_meter_protocol::money::Credits;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::upstream::{Upstream, COMPLETION_TOKENS, PROMPT_TOKENS};
use support::*;

const KEY: &str = "sk-vendor-test-key-0123456789";
const MODEL: &str = "openai/gpt-4o-mini";

/// A ledger with the proxy to `up`, on SQLite (`db: None`) or the database `db`.
fn start(dir: &std::path::Path, db: Option<&str>, up: &Upstream) -> Server {
    start_with(dir, db, up, &[])
}

/// [`start`] with `more` arguments.
fn start_with(dir: &std::path::Path, db: Option<&str>, up: &Upstream, more: &[&str]) -> Server {
    let key = dir.join("upstream.key");
    std::fs::write(&key, format!("{KEY}\n")).unwrap();
    let key = key.display().to_string();
    let url = up.url();
    let mut extra = vec!["--upstream-url", url.as_str(), "--upstream-key-file", key.as_str(), "--upstream-idle-seconds", "1"];
    extra.extend_from_slice(more);
    match db {
        Some(db) => Server::start_db(dir, db, &extra),
        None => Server::start(dir, &extra),
    }
}

/// What the provider's reported usage costs at the catalog's rate (the `message`
/// operation: all tokens at its fixed `tokensPerCredit`).
fn price() -> Credits {
    let c = Catalog::default_catalog();
    let usage = Usage { input_tokens: PROMPT_TOKENS, output_tokens: COMPLETION_TOKENS, ..Usage::default() };
    credits_for(&c, c.operation("message").unwrap(), Some(c.model(MODEL).unwrap()), &usage).unwrap()
}

/// The prompt bound the proxy counts for `body` (PROTOCOL §7.3): the o200k_base tokens of
/// the request as forwarded (re-serialized), plus 3, never above its bytes (no tools or
/// response format here).
fn prompt_bound(body: &str) -> u64 {
    let forwarded = serde_json::from_str::<serde_json::Value>(body).unwrap().to_string();
    let exact = tiktoken_rs::o200k_base().unwrap().encode_ordinary(&forwarded).len() as u64;
    (exact + 3).min(body.len() as u64)
}

/// A call's worst case (PROTOCOL §6.7), what it is charged without the provider's usage:
/// the prompt bound of `body` and the `max_tokens` the provider was sent, at the `message`
/// operation's rate.
fn worst_case(body: &str, max_tokens: u64) -> Credits {
    let c = Catalog::default_catalog();
    let usage = Usage { input_tokens: prompt_bound(body), output_tokens: max_tokens, ..Usage::default() };
    credits_for(&c, c.operation("message").unwrap(), Some(c.model(MODEL).unwrap()), &usage).unwrap()
}

fn balance(s: &Server) -> Credits {
    credits(&s.state("demo")["balance"])
}

fn held(s: &Server) -> Credits {
    credits(&s.state("demo")["held"])
}

/// Reserves `amount` on `hold` for the `message` operation (asserts applied).
fn reserve(s: &Server, device: &str, seq: u64, hold: &str, amount: &str) {
    let m = json!([{"type":"reserve","seq":seq,"at":0,"holdId":hold,"amount":amount,"operation":"message"}]);
    let (r, _) = s.push("demo", device, m);
    assert_eq!(r.results[0].status, ResultStatus::Applied, "{:?}", r.results[0]);
}

fn request(scenario: &str, stream: bool) -> String {
    json!({"model": MODEL, "stream": stream, "max_tokens": 100000, "messages": [{"role":"user","content": format!("scenario:{scenario}")}]})
        .to_string()
}

/// Opens a streamed call of `scenario` paid by `hold` on a raw connection (so the test
/// decides when it is cut) and reads until the provider's second part arrived: the claim is
/// committed and the call under way. Returns the connection and what was read.
fn stream_until_part_1(s: &Server, device: &str, hold: &str, scenario: &str) -> (TcpStream, Vec<u8>) {
    let body = request(scenario, true);
    let mut c = TcpStream::connect(s.addr).unwrap();
    write!(
        c,
        "POST /v1/ai/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nX-Credit-Hold: {hold}\r\nContent-Length: {}\r\n\r\n{body}",
        s.addr,
        token("demo", Some(device)),
        body.len()
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains("part 1") {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended early");
        got.extend_from_slice(&buf[..n]);
    }
    (c, got)
}

/// A proxied call with `device`'s token and `hold`.
fn call(s: &Server, device: &str, hold: Option<&str>, body: &str) -> Reply {
    let mut h = vec![("Authorization".to_string(), format!("Bearer {}", token("demo", Some(device))))];
    if let Some(hold) = hold {
        h.push(("X-Credit-Hold".to_string(), hold.to_string()));
    }
    h.push(("Content-Type".to_string(), "application/json".to_string()));
    http(s.addr, "POST", "/v1/ai/chat/completions", &h, body.as_bytes())
}

/// Waits (up to 30 s) until the balance is `want`; returns the last balance seen.
fn balance_becomes(s: &Server, want: Credits) -> Credits {
    becomes(|| balance(s), want)
}

/// Waits (up to 30 s) until `read` gives `want` (a settlement follows the answer); returns
/// the last value read.
fn becomes(read: impl Fn() -> Credits, want: Credits) -> Credits {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let b = read();
        if b == want || Instant::now() > deadline {
            return b;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sub(a: Credits, b: Credits) -> Credits {
    a.saturating_sub(b)
}

/// A scenario of this file: what it does with a ledger whose proxy calls the stand-in provider.
type Scenario = fn(&Server, &Upstream);

/// Runs `scenario` against a new stand-in provider and a ledger on `db` ([`start`]: SQLite for
/// `None`) in the temporary directory `name`.
fn run_scenario(name: &str, db: Option<&str>, scenario: Scenario) {
    let (up, dir) = (Upstream::start(), temp_dir(name));
    scenario(&start(&dir, db, &up), &up);
}

// ---- scenarios, run on each database -------------------------------------------------

/// An AssistLore account (`lore`) whose device reserves in LLM tokens (PROTOCOL §12):
/// the proxy caps the call to the tokens the hold pays for, settles it in the provider's
/// tokens — the allowance first, the shortfall converted at the policy's rate — and a
/// non-streamed answer says the tokens in `X-Credit-Units`; the device's commit charges
/// nothing more. An audio hold (TTS characters) cannot pay for a chat completion.
fn token_holds_are_settled_in_tokens(s: &Server, up: &Upstream) {
    for cmd in [
        json!({"op": "createAccount", "accountId": "lore", "policy": "assistLore"}),
        json!({"op": "signup", "accountId": "lore"}),
        json!({"op": "convert", "accountId": "lore", "allowance": "llmTokens", "credits": "2"}),
        json!({"op": "convert", "accountId": "lore", "allowance": "ttsCharacters", "credits": "1"}),
    ] {
        assert_eq!(s.admin(&cmd)["ok"], true, "{cmd}");
    }
    let tokens = |s: &Server| {
        let st = s.state("lore");
        st["allowances"].as_array().unwrap().iter().find(|a| a["kind"] == "llmTokens").unwrap()["remaining"].as_u64().unwrap()
    };
    let lore_balance = |s: &Server| credits(&s.state("lore")["balance"]);
    let before = lore_balance(s);
    assert_eq!(tokens(s), 2_000);
    // 5,000 tokens: 2,000 from the allowance, 3 credits reserved for the rest.
    let m = json!([
        {"type":"reserve","seq":1,"at":0,"holdId":"t1:msg","amount":"5000","unit":"llmTokens","operation":"message"},
        {"type":"reserve","seq":2,"at":0,"holdId":"t1:tts","amount":"10","unit":"ttsCharacters","operation":"tts"},
    ]);
    let (r, p) = s.push("lore", "t1", m);
    assert!(r.results.iter().all(|x| x.status == ResultStatus::Applied), "{:?}", r.results);
    assert_eq!(p.held, c("3"));
    let n = up.count();
    let body = request("whole", false);
    let mut h = vec![("Authorization".to_string(), format!("Bearer {}", token("lore", Some("t1"))))];
    h.push(("Content-Type".to_string(), "application/json".to_string()));
    let with_hold = |hold: &str| {
        let mut h = h.clone();
        h.push(("X-Credit-Hold".to_string(), hold.to_string()));
        http(s.addr, "POST", "/v1/ai/chat/completions", &h, body.as_bytes())
    };
    let r = with_hold("t1:tts");
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"), "{}", r.text());
    assert_eq!(up.count(), n, "an audio hold reached the provider");
    let r = with_hold("t1:msg");
    assert_eq!(r.status, 200, "{}", r.text());
    let used = PROMPT_TOKENS + COMPLETION_TOKENS;
    assert_eq!(r.header("x-credit-units"), Some(used.to_string().as_str()));
    assert_eq!(r.header("x-credit-charged"), None);
    // Capped to the 5,000 tokens the hold pays for, less the prompt's bound: the exact
    // o200k_base tokens of the request as forwarded (re-serialized), plus 3 (PROTOCOL §7.3).
    let forwarded = serde_json::from_str::<serde_json::Value>(&body).unwrap().to_string();
    let exact = tiktoken_rs::o200k_base().unwrap().encode_ordinary(&forwarded).len() as u64;
    let bound = (exact + 3).min(body.len() as u64);
    assert!(bound < body.len() as u64, "the estimate bounds this prompt below its {} bytes", body.len());
    assert_eq!(up.last().body["max_tokens"].as_u64(), Some(5_000 - bound));
    // 3,000 tokens: the 2,000 of the allowance and 1,000 converted (1 credit).
    let want = sub(before, c("1"));
    assert_eq!(becomes(|| lore_balance(s), want), want);
    assert_eq!(tokens(s), 0);
    let (r, p) = s.push("lore", "t1", json!([{"type":"commit","seq":3,"at":0,"holdId":"t1:msg","amount":"1","unit":"llmTokens"}]));
    assert_eq!((r.results[0].status, r.results[0].settled_by.as_deref()), (ResultStatus::Applied, Some("proxy")));
    assert_eq!(r.results[0].charged, Some(c("1")));
    assert_eq!(p.balance, want);
    // A token hold of `message` pays for its catalog model only, like a credit hold.
    let m = json!([{"type":"reserve","seq":4,"at":0,"holdId":"t1:pin","amount":"100","unit":"llmTokens","operation":"message"}]);
    assert_eq!(s.push("lore", "t1", m).0.results[0].status, ResultStatus::Applied);
    let n = up.count();
    let mut h = h.clone();
    h.push(("X-Credit-Hold".to_string(), "t1:pin".to_string()));
    let dear = json!({"model": "openai/gpt-4o", "messages": [{"role":"user","content":"scenario:whole"}]}).to_string();
    let r = http(s.addr, "POST", "/v1/ai/chat/completions", &h, dear.as_bytes());
    assert_eq!((r.status, r.code().as_str()), (400, "MODEL_NOT_ALLOWED"), "{}", r.text());
    assert_eq!(up.count(), n, "a refused call reached the provider");
    let st = s.state("lore");
    assert_eq!((credits(&st["balance"]), credits(&st["held"])), (want, Credits::ZERO), "released, nothing charged");
}

fn refusals_never_reach_the_provider(s: &Server, up: &Upstream) {
    let body = request("whole", false);
    let anon = http(s.addr, "POST", "/v1/ai/chat/completions", &headers(&[("X-Credit-Hold", "d1:x")]), body.as_bytes());
    assert_eq!((anon.status, anon.code().as_str()), (401, "UNAUTHORIZED"));
    let admin = http(
        s.addr,
        "POST",
        "/v1/ai/chat/completions",
        &headers(&[("Authorization", &format!("Bearer {ADMIN}")), ("X-Credit-Hold", "d1:x")]),
        body.as_bytes(),
    );
    assert_eq!((admin.status, admin.code().as_str()), (403, "FORBIDDEN"));
    let r = call(s, "d1", None, &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"));
    let r = call(s, "d1", Some("d1:unknown"), &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"));
    reserve(s, "d1", 1, "d1:a", "1");
    // Another device's hold, with a token pinned to d2.
    let r = call(s, "d2", Some("d1:a"), &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"));
    // Not a catalog model; not JSON; images.
    let r = call(s, "d1", Some("d1:a"), &json!({"model":"x/free","messages":[]}).to_string());
    assert_eq!((r.status, r.code().as_str()), (400, "UNKNOWN_MODEL"));
    let r = call(s, "d1", Some("d1:a"), "not json");
    assert_eq!((r.status, r.code().as_str()), (400, "BAD_REQUEST"));
    // A committed hold.
    reserve(s, "d1", 2, "d1:b", "1");
    let (r, _) = s.push("demo", "d1", json!([commit(3, "d1:b", "0.5")]));
    assert_eq!(r.results[0].status, ResultStatus::Applied);
    let r = call(s, "d1", Some("d1:b"), &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"));
    // A hold too small for even the prompt: refused and released.
    reserve(s, "d1", 4, "d1:tiny", "0.001");
    let r = call(s, "d1", Some("d1:tiny"), &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_TOO_SMALL"));
    // A credit hold of an operation with no price for an AI call (text-to-speech, a flat
    // fee, a free operation, one the catalog lacks): refused and released, so a client
    // cannot buy a chat at the model's cost by labelling its hold with such an operation.
    for (seq, operation) in [(5u64, "tts"), (6, "agent.activate"), (7, "flashcards.review"), (8, "no.such.operation")] {
        let hold = format!("d1:op{seq}");
        let m = json!([{"type":"reserve","seq":seq,"at":0,"holdId":hold,"amount":"5","operation":operation}]);
        assert_eq!(s.push("demo", "d1", m).0.results[0].status, ResultStatus::Applied);
        let r = call(s, "d1", Some(&hold), &body);
        assert_eq!((r.status, r.code().as_str()), (402, "HOLD_NOT_OPEN"), "{operation}: {}", r.text());
        // Released: only d1:a (1 credit) is still held.
        assert_eq!(held(s), c("1"), "{operation}: the hold was released");
    }
    // A hold of a fixed-rate operation whose catalog entry names a model pays for calls to
    // that model only: a `message` hold (1,000 tokens a credit, priced for gpt-4o-mini)
    // that asks for a dearer model is refused and released, so a hold priced for a cheap
    // model cannot buy a dear one's tokens at its rate. (A `flashcards.generate` hold may
    // call another model: its per-card price is never below the call's cost, below.)
    let (seq, operation, model) = (9u64, "message", "openai/gpt-4-turbo");
    let hold = format!("d1:pin{seq}");
    let m = json!([{"type":"reserve","seq":seq,"at":0,"holdId":hold,"amount":"10","operation":operation}]);
    assert_eq!(s.push("demo", "d1", m).0.results[0].status, ResultStatus::Applied);
    let other = json!({"model": model, "messages": [{"role":"user","content":"scenario:whole"}]}).to_string();
    let r = call(s, "d1", Some(&hold), &other);
    assert_eq!((r.status, r.code().as_str()), (400, "MODEL_NOT_ALLOWED"), "{operation}: {}", r.text());
    assert!(r.text().contains(MODEL) && r.text().contains(model), "the message names both models: {}", r.text());
    assert_eq!(held(s), c("1"), "{operation}: the hold was released");
    assert_eq!(up.count(), 0, "a refused call reached the provider");
    // The valid hold works once; its second use is refused without a second request.
    let r = call(s, "d1", Some("d1:a"), &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(up.count(), 1);
    let r = call(s, "d1", Some("d1:a"), &body);
    assert_eq!((r.status, r.code().as_str()), (409, "HOLD_IN_USE"));
    assert_eq!(up.count(), 1);
    let seen = up.last();
    assert_eq!(seen.path, "/api/v1/chat/completions");
    assert_eq!(seen.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert!(!r.text().contains(KEY));
}

/// The request fields that would make the provider bill beyond what the hold was sized
/// for — another model (OpenRouter's `models` fallbacks and `route`, or `provider`
/// routing to a dearer host of the model), paid extras (`plugins` such as web search,
/// `web_search_options`, a `service_tier` billed above the standard price), output the
/// cap does not bound (`audio`, `modalities`, `prediction`) — or a tool that is not a
/// function the client defines, are refused before anything is sent; the hold stays open
/// and pays for a plain call, whose forwarded body holds only the fields it sent.
fn fields_that_escape_the_hold_never_reach_the_provider(s: &Server, up: &Upstream) {
    reserve(s, "d1", 1, "d1:f", "1");
    let before = up.count();
    let base = || json!({"model": MODEL, "messages": [{"role":"user","content":"scenario:whole"}]});
    let escaping = [
        ("models", json!(["openai/gpt-4o-mini", "openai/o1-pro"])),
        ("route", json!("fallback")),
        ("provider", json!({"order": ["OpenAI"]})),
        ("plugins", json!([{"id": "web"}])),
        ("web_search_options", json!({})),
        ("service_tier", json!("priority")),
        ("audio", json!({"voice": "alloy", "format": "wav"})),
        ("modalities", json!(["text", "audio"])),
        ("prediction", json!({"type": "content", "content": "x"})),
        ("tools", json!([{"type": "web_search_preview"}])),
    ];
    for (field, value) in escaping {
        let mut body = base();
        body[field] = value;
        let r = call(s, "d1", Some("d1:f"), &body.to_string());
        assert_eq!((r.status, r.code().as_str()), (400, "BAD_REQUEST"), "{field}: {}", r.text());
    }
    assert_eq!(up.count(), before, "a refused request reached the provider");
    let mut body = base();
    body["temperature"] = json!(0.2);
    body["tools"] = json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    let r = call(s, "d1", Some("d1:f"), &body.to_string());
    assert_eq!(r.status, 200, "the hold was left open: {}", r.text());
    let seen = up.last().body;
    let mut keys: Vec<&str> = seen.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["max_tokens", "messages", "model", "temperature", "tools"]);
}

fn whole_and_streamed_calls_are_charged_the_reported_usage(s: &Server, up: &Upstream) {
    for (i, stream) in [(0u64, false), (1, true)] {
        let hold = format!("d1:u{i}");
        let before = balance(s);
        reserve(s, "d1", 1 + 2 * i, &hold, "2");
        let r = call(s, "d1", Some(&hold), &request(if stream { "stream" } else { "whole" }, stream));
        assert_eq!(r.status, 200, "{}", r.text());
        let sent = up.last().body;
        // max_tokens capped so that the worst case fits the hold of 2 credits.
        let cap = sent["max_tokens"].as_u64().unwrap();
        assert!(cap < 100_000, "max_tokens not capped: {cap}");
        let worst = Catalog::default_catalog().model(MODEL).unwrap().usd_for(r.text().len() as u64 + 200, cap).unwrap();
        assert!(worst.value() * rust_decimal::Decimal::from(200) <= c("2").value() + c("0.1").value());
        if stream {
            assert_eq!(sent["stream_options"]["include_usage"], true);
            let text = r.text();
            assert!(text.contains("part 2") && text.trim_end().ends_with("data: [DONE]"), "{text}");
        } else {
            assert_eq!(r.header("x-credit-charged"), Some(price().to_plain_string().as_str()));
            assert_eq!(r.json()["choices"][0]["message"]["content"], "Four cards.");
        }
        // Settled right after the answer: the balance goes down by the price, nothing held.
        assert_eq!(balance_becomes(s, sub(before, price())), sub(before, price()));
        assert!(held(s).is_zero());
        // The client's commit (here smaller than the usage) is answered with the proxy's
        // settlement and charges nothing more.
        let (r, p) = s.push("demo", "d1", json!([commit(2 + 2 * i, &hold, "0.001")]));
        let res = &r.results[0];
        assert_eq!(res.status, ResultStatus::Applied);
        assert_eq!(res.settled_by.as_deref(), Some("proxy"));
        assert_eq!(res.charged, Some(price()));
        assert_eq!(p.balance, sub(before, price()));
        assert!(p.holds.is_empty());
    }
}

/// An answer without usage, or a stream broken off after output without it, is charged
/// the call's worst case: its prompt bound and forwarded `max_tokens` at the catalog's
/// rate — the hold less its rounding step when the client asked for all the hold pays
/// for, the price of the tokens it asked for when it asked for fewer.
fn answers_without_usage_are_charged_their_worst_case(s: &Server, up: &Upstream) {
    // "reasoning-after": only reasoning was forwarded before the stream broke off; it is
    // output all the same (a released hold would have made the call free).
    let cases = [
        (0u64, "whole-nousage", false, 100_000u64),
        (1, "stream-nousage", true, 100_000),
        (2, "fail-after", true, 100_000),
        (3, "reasoning-after", true, 100_000),
        (4, "whole-nousage", false, 50),
        (5, "stream-nousage", true, 50),
    ];
    for (i, scenario, stream, asked) in cases {
        let hold = format!("d3:n{i}");
        let before = balance(s);
        reserve(s, "d3", 1 + i, &hold, "1.5");
        let mut body: serde_json::Value = serde_json::from_str(&request(scenario, stream)).unwrap();
        body["max_tokens"] = asked.into();
        let body = body.to_string();
        let r = call(s, "d3", Some(&hold), &body);
        assert_eq!(r.status, 200, "{scenario}: {}", r.text());
        let sent = up.last().body["max_tokens"].as_u64().unwrap();
        let worst = worst_case(&body, sent);
        if sent == asked {
            assert!(worst < c("0.1"), "{scenario}: {worst}");
        } else {
            assert!(sent < asked, "{scenario}: {sent} tokens forwarded for {asked} asked");
            assert_eq!(worst, c("1.499"), "{scenario}: all the hold pays for, less its rounding step");
        }
        if !stream {
            assert_eq!(r.header("x-credit-charged"), Some(worst.to_plain_string().as_str()), "{scenario}");
        }
        assert_eq!(balance_becomes(s, sub(before, worst)), sub(before, worst), "{scenario}");
        assert!(held(s).is_zero(), "{scenario}");
    }
    assert!(up.count() >= 6);
}

/// A provider that refuses the call with an error status (HTTP 503 or 500: it bills
/// nothing) never accepted it: the hold is released, streamed or not, and the client gets
/// `UPSTREAM_FAILED` (502, before any stream starts) without a charge.
fn provider_error_statuses_release_the_hold(s: &Server, up: &Upstream) {
    let n = up.count();
    let cases = [(0u64, "fail-before", false), (1, "fail-before", true), (2, "fail-500", false), (3, "fail-500", true)];
    for (i, scenario, stream) in cases {
        let hold = format!("d4:f{i}");
        let before = balance(s);
        reserve(s, "d4", 1 + 2 * i, &hold, "1");
        let r = call(s, "d4", Some(&hold), &request(scenario, stream));
        assert_eq!((r.status, r.code().as_str()), (502, "UPSTREAM_FAILED"), "{scenario}");
        assert_eq!((r.header("x-credit-charged"), r.header("x-credit-units")), (None, None), "{scenario}");
        assert!(r.text().contains("released"), "{scenario}: {}", r.text());
        assert_eq!(balance(s), before, "{scenario}");
        assert!(held(s).is_zero(), "{scenario}: the hold was not released");
        let (r, _) = s.push("demo", "d4", json!([release(2 + 2 * i, &hold)]));
        assert_eq!(r.results[0].settled_by.as_deref(), Some("proxy"));
        assert_eq!(r.results[0].charged, Some(Credits::ZERO));
    }
    assert_eq!(up.count(), n + 4);
}

/// The proxy's own error event that ends a stream it failed: `UPSTREAM_FAILED`, and what
/// the settlement committed in `charged` (the stream's headers were sent long before).
fn last_error_event(text: &str) -> serde_json::Value {
    let last = text.lines().rev().find(|l| l.starts_with("data:")).unwrap_or_else(|| panic!("no event: {text}"));
    let v: serde_json::Value = serde_json::from_str(last["data:".len()..].trim()).unwrap_or_else(|_| panic!("{last}"));
    assert_eq!(v["error"]["code"], "UPSTREAM_FAILED", "{text}");
    v["error"].clone()
}

/// Once the provider accepted a streamed call (HTTP 200) it is generating and may bill
/// it, visible output or not: a stream that then goes silent past the idle time (headers
/// only, or the role chunk and a reasoning model thinking without streaming its reasoning),
/// breaks off before its first chunk, or sends the provider's own error event, all without
/// usage, is charged the call's worst case — settled before the stream's last line, which
/// is the proxy's `UPSTREAM_FAILED` event saying the charge. Before, all but the error
/// event were released as "failed before any output" (and the error event too when it
/// came before output): a free call the provider billed.
fn streams_that_fail_once_accepted_are_charged_their_worst_case(s: &Server, up: &Upstream) {
    for (i, scenario) in ["stall-before", "silent-start", "broken-start", "error-event"].into_iter().enumerate() {
        let hold = format!("d12:s{i}");
        let before = balance(s);
        reserve(s, "d12", 1 + 2 * i as u64, &hold, "2");
        let mut body: serde_json::Value = serde_json::from_str(&request(scenario, true)).unwrap();
        body["max_tokens"] = 500.into();
        let body = body.to_string();
        let r = call(s, "d12", Some(&hold), &body);
        assert_eq!(r.status, 200, "{scenario}: {}", r.text());
        assert_eq!(up.last().body["max_tokens"], 500, "{scenario}");
        let worst = worst_case(&body, 500);
        assert!(worst > c("0.5") && worst < c("1"), "{scenario}: {worst}");
        let text = r.text();
        assert!(!text.contains("[DONE]"), "{scenario}: {text}");
        let error = last_error_event(&text);
        assert_eq!(error["charged"], worst.to_plain_string(), "{scenario}: {text}");
        assert!(error["message"].as_str().unwrap().contains("worst case"), "{scenario}: {text}");
        if scenario == "error-event" {
            // The provider's own event is forwarded, and the proxy's follows it.
            assert!(text.contains("Provider disconnected"), "{text}");
        }
        // Settled before the stream's last line.
        assert_eq!((balance(s), held(s)), (sub(before, worst), Credits::ZERO), "{scenario}");
        let (r, p) = s.push("demo", "d12", json!([release(2 + 2 * i as u64, &hold)]));
        assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(worst)), "{scenario}");
        assert_eq!(p.balance, sub(before, worst), "{scenario}");
    }
}

/// Sends `body` as a proxied call of `account`'s `device` on `hold` from a raw connection,
/// reads until the answer contains `until`, and drops the connection: a client that leaves
/// mid-stream.
fn call_and_leave(s: &Server, account: &str, device: &str, hold: &str, body: &str, until: &str) {
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        c,
        "POST /v1/ai/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nX-Credit-Hold: {hold}\r\nContent-Length: {}\r\n\r\n{body}",
        s.addr,
        token(account, Some(device)),
        body.len()
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains(until) {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

/// A client that disconnects after the stream's first chunk — the role only, no output
/// yet — while the provider thinks and then goes silent: the proxy keeps reading the
/// provider without it, and charges the call's worst case (no usage came). Before, it was
/// released ("before any output"). (`a_client_that_aborts_mid_stream_is_charged`: when the
/// provider goes on and reports its usage, that usage is charged.)
fn a_client_that_leaves_before_any_output_is_charged(s: &Server) {
    let before = balance(s);
    reserve(s, "d13", 1, "d13:h", "2");
    let mut body: serde_json::Value = serde_json::from_str(&request("silent-start", true)).unwrap();
    body["max_tokens"] = 500.into();
    let body = body.to_string();
    call_and_leave(s, "demo", "d13", "d13:h", &body, r#""role":"assistant""#);
    let worst = worst_case(&body, 500);
    assert_eq!(balance_becomes(s, sub(before, worst)), sub(before, worst));
    assert!(held(s).is_zero());
    let (r, _) = s.push("demo", "d13", json!([commit(2, "d13:h", "0.001")]));
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(worst)));
}

/// A client that disconnects after the first chunk while the provider keeps the stream
/// alive with SSE comments only (a model thinking, never idle for the proxy): the proxy
/// reads it without the client until the call's deadline (5 s before the hold expires) and
/// then settles it at the worst case — while the hold is still open, never after its
/// expiry. Before, that was a release.
fn a_client_that_leaves_is_settled_by_the_deadline(s: &Server, up: &Upstream) {
    // Holds of 20 s: the call's deadline is 15 s after its claim.
    let policy = json!({"name":"short","ownKeyAllowed":false,"creditStep":"0.001","holdTtlMs":20000});
    assert_eq!(s.admin(&json!({"op":"createAccount","accountId":"leave","policy":policy}))["ok"], true);
    s.admin(&json!({"op":"grant","accountId":"leave","grant":{"id":"g","kind":"promotion","amount":"10"}}));
    let m = json!([{"type":"reserve","seq":1,"at":0,"holdId":"l1:h1","amount":"10","operation":"message"}]);
    let reserved = Instant::now();
    assert_eq!(s.push("leave", "l1", m).0.results[0].status, ResultStatus::Applied);
    let body = json!({"model": MODEL, "stream": true, "max_tokens": 2000, "messages": [{"role":"user","content":"scenario:keepalive"}]})
        .to_string();
    call_and_leave(s, "leave", "l1", "l1:h1", &body, r#""role":"assistant""#);
    assert_eq!(up.last().body["max_tokens"], 2000);
    let worst = worst_case(&body, 2000);
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        let state = s.state("leave");
        if state["holds"].as_array().unwrap().is_empty() || Instant::now() > until {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Settled (the hold left the open holds) before it could expire: the balance already
    // shows the charge, and the device's commit learns it.
    assert!(reserved.elapsed() < Duration::from_secs(19), "settled only after {:?}", reserved.elapsed());
    let state = s.state("leave");
    assert_eq!((credits(&state["balance"]), credits(&state["held"])), (sub(c("10"), worst), Credits::ZERO), "{state}");
    let (r, _) = s.push("leave", "l1", json!([commit(2, "l1:h1", "0.001")]));
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(worst)), "{:?}", r.results[0]);
}

/// A non-streamed answer comes only once the provider has generated all of it, and the
/// provider bills it whether or not it arrives: once the request may have reached the
/// provider, an answer that does not arrive in time, breaks off or is larger than the
/// proxy reads (16 MiB) is charged the call's worst case (502 `UPSTREAM_FAILED` with
/// `X-Credit-Charged`), settled before the client is answered. Before, it was released: a
/// client could have the vendor pay for answers it made time out or overflow (big
/// `max_tokens`, `logprobs`), as often as its push budget allowed. A provider's error
/// status still releases (`provider_error_statuses_release_the_hold`); so do streams
/// (`streams_that_fail_once_accepted_are_charged_their_worst_case`).
fn whole_answers_that_fail_once_sent_are_charged_their_worst_case(s: &Server, up: &Upstream) {
    for (i, scenario) in ["whole-late", "whole-broken", "whole-huge"].into_iter().enumerate() {
        let hold = format!("d11:w{i}");
        let before = balance(s);
        reserve(s, "d11", 1 + 2 * i as u64, &hold, "2");
        let mut body: serde_json::Value = serde_json::from_str(&request(scenario, false)).unwrap();
        body["max_tokens"] = 500.into();
        let body = body.to_string();
        let r = call(s, "d11", Some(&hold), &body);
        assert_eq!((r.status, r.code().as_str()), (502, "UPSTREAM_FAILED"), "{scenario}: {}", r.text());
        assert_eq!(up.last().body["max_tokens"], 500, "{scenario}");
        let worst = worst_case(&body, 500);
        assert!(worst > c("0.5") && worst < c("1"), "{scenario}: {worst}");
        assert_eq!(r.header("x-credit-charged"), Some(worst.to_plain_string().as_str()), "{scenario}: {}", r.text());
        assert!(r.text().contains("worst case"), "{scenario}: {}", r.text());
        // Settled before the client was answered.
        assert_eq!((balance(s), held(s)), (sub(before, worst), Credits::ZERO), "{scenario}");
        let (r, p) = s.push("demo", "d11", json!([commit(2 + 2 * i as u64, &hold, "0.001")]));
        assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(worst)), "{scenario}");
        assert_eq!(p.balance, sub(before, worst), "{scenario}");
    }
}

fn a_client_that_aborts_mid_stream_is_charged(s: &Server) {
    let before = balance(s);
    reserve(s, "d5", 1, "d5:slow", "2");
    let (c, _) = stream_until_part_1(s, "d5", "d5:slow", "slow");
    drop(c);
    // Nothing settled yet when the client left (the provider is still streaming)…
    assert!(!held(s).is_zero());
    // …and the provider's full usage is charged once it ends.
    assert_eq!(balance_becomes(s, sub(before, price())), sub(before, price()));
    assert!(held(s).is_zero());
}

fn concurrent_calls_on_one_hold_charge_once(s: &Server, up: &Upstream) {
    let before = balance(s);
    let n = up.count();
    reserve(s, "d6", 1, "d6:twice", "2");
    let body = request("whole", false);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        (0..4)
            .map(|_| scope.spawn(|| call(s, "d6", Some("d6:twice"), &body).status))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(statuses.iter().filter(|&&x| x == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&x| x == 409).count(), 3, "{statuses:?}");
    assert_eq!(up.count(), n + 1);
    assert_eq!(balance_becomes(s, sub(before, price())), sub(before, price()));
    // The client's commit sent twice (a lost response): charged nothing more.
    for _ in 0..2 {
        let (r, p) = s.push("demo", "d6", json!([commit(2, "d6:twice", "5")]));
        assert_eq!(r.results[0].charged, Some(price()));
        assert_eq!(p.balance, sub(before, price()));
    }
}

/// Sends `body` as a proxied call of `account`'s `device` on `hold` from a connection whose
/// receive buffer is a few KiB, and reads only the answer's status line: a client that
/// stops reading its stream.
fn call_and_stop_reading(s: &Server, account: &str, device: &str, hold: &str, body: &str) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    let mut c = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.connect(s.addr).await.unwrap().into_std().unwrap()
    });
    c.set_nonblocking(false).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        c,
        "POST /v1/ai/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nX-Credit-Hold: {hold}\r\nContent-Length: {}\r\n\r\n{body}",
        s.addr,
        token(account, Some(device)),
        body.len()
    )
    .unwrap();
    let mut head = [0u8; 12];
    c.read_exact(&mut head).unwrap();
    assert_eq!(String::from_utf8_lossy(&head), "HTTP/1.1 200");
    c
}

/// A client that stops reading its stream (a receive window of a few KiB, never read)
/// while the provider streams megabytes: the proxy forwards what the client's buffers
/// take, waits for it no later than the call's deadline (5 s before the hold expires),
/// then stops forwarding and settles — without usage (the provider's usage chunk was never
/// read) at the call's worst case — while the hold is still open. Before, the relay
/// waited on the client with no limit: the hold expired, its credits could be reserved
/// and spent again, and the late settlement landed as overdraft. Now the device's commit
/// learns the settlement and a second reserve of the same credits is refused.
fn a_client_that_stops_reading_is_settled_before_its_hold_expires(s: &Server, up: &Upstream) {
    // Holds of 20 s: the call's deadline is 15 s after its claim.
    let policy = json!({"name":"short","ownKeyAllowed":false,"creditStep":"0.001","holdTtlMs":20000});
    assert_eq!(s.admin(&json!({"op":"createAccount","accountId":"stall","policy":policy}))["ok"], true);
    s.admin(&json!({"op":"grant","accountId":"stall","grant":{"id":"g","kind":"promotion","amount":"10"}}));
    let m = json!([{"type":"reserve","seq":1,"at":0,"holdId":"s1:h1","amount":"10","operation":"message"}]);
    assert_eq!(s.push("stall", "s1", m).0.results[0].status, ResultStatus::Applied);
    let body =
        json!({"model": MODEL, "stream": true, "max_tokens": 2000, "messages": [{"role":"user","content":"scenario:flood"}]}).to_string();
    let client = call_and_stop_reading(s, "stall", "s1", "s1:h1", &body);
    assert_eq!(up.last().body["max_tokens"], 2000);
    // Until the hold leaves the account's holds: settled (or, before, expired).
    let until = Instant::now() + Duration::from_secs(90);
    while !s.state("stall")["holds"].as_array().unwrap().is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    let worst = worst_case(&body, 2000);
    assert!(worst > c("2") && worst < c("3"), "{worst}");
    let state = s.state("stall");
    let (balance, held) = (credits(&state["balance"]), credits(&state["held"]));
    assert_eq!((balance, held), (sub(c("10"), worst), Credits::ZERO), "the hold expired unsettled: {state}");
    let (r, _) = s.push("stall", "s1", json!([commit(2, "s1:h1", "0.001")]));
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(worst)), "{:?}", r.results[0]);
    // The settled credits are not there to be reserved again, by this device or another.
    let again = json!([{"type":"reserve","seq":1,"at":0,"holdId":"s2:h2","amount":"10","operation":"message"}]);
    let (r, p) = s.push("stall", "s2", again);
    assert_eq!(r.results[0].status, ResultStatus::Refused, "{:?}", r.results[0]);
    assert_eq!(p.balance, sub(c("10"), worst));
    drop(client);
    let state = s.state("stall");
    assert_eq!(credits(&state["balance"]), sub(c("10"), worst), "the client's leaving changed the charge: {state}");
}

/// A modified client: it never commits; it commits less than it used; it deletes its
/// outbox (its state restored from before the reserve, so its next mutations reuse the
/// seqs). Each is charged exactly what the provider reported.
fn modified_clients_are_charged_what_the_provider_reported(s: &Server) {
    // No commit at all.
    let before = balance(s);
    reserve(s, "d7", 1, "d7:nocommit", "2");
    assert_eq!(call(s, "d7", Some("d7:nocommit"), &request("whole", false)).status, 200);
    balance_becomes(s, sub(before, price()));
    let (_, p) = s.push("demo", "d7", json!([]));
    assert_eq!(p.balance, sub(before, price()));
    // A smaller commit, and a release, after the call.
    let before = balance(s);
    reserve(s, "d7", 2, "d7:small", "2");
    assert_eq!(call(s, "d7", Some("d7:small"), &request("stream", true)).status, 200);
    balance_becomes(s, sub(before, price()));
    let (r, p) = s.push("demo", "d7", json!([commit(3, "d7:small", "0.001")]));
    assert_eq!((r.results[0].charged, p.balance), (Some(price()), sub(before, price())));
    // The outbox deleted: the state restored from before the reserve pushes other
    // mutations under the same seqs; the proxy's charge stands.
    let before = balance(s);
    reserve(s, "d8", 1, "d8:lost", "2");
    assert_eq!(call(s, "d8", Some("d8:lost"), &request("whole", false)).status, 200);
    balance_becomes(s, sub(before, price()));
    let (r, p) = s.push("demo", "d8", json!([{"type":"reserve","seq":1,"at":0,"holdId":"d8:other","amount":"1","operation":"message"}]));
    assert_eq!(r.results[0].status, ResultStatus::Conflict);
    assert_eq!(p.balance, sub(before, price()));
    let (r, p) = s.push("demo", "d8", json!([{"type":"release","seq":2,"at":0,"holdId":"d8:other"}]));
    assert_eq!(r.results[0].status, ResultStatus::Refused);
    assert_eq!(p.balance, sub(before, price()));
}

/// The account's stored record, and the stored JSON of each of `holds` that has a closed
/// hold row (read from the database: SQLite `<dir>/ledger.sqlite`, or `db`).
fn stored(dir: &std::path::Path, db: Option<&str>, holds: &[&str]) -> (String, Vec<serde_json::Value>) {
    let (record, rows): (String, Vec<String>) = match db {
        None => {
            let c = rusqlite::Connection::open(dir.join("ledger.sqlite")).unwrap();
            let record = c.query_row("SELECT record FROM accounts WHERE id = 'demo'", [], |r| r.get(0)).unwrap();
            let mut q = c.prepare("SELECT hold FROM closed_holds WHERE account_id = 'demo' AND hold_id = ?1").unwrap();
            (record, holds.iter().filter_map(|h| q.query_row([h], |r| r.get(0)).ok()).collect())
        }
        Some(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            let record = c.query_one("SELECT record FROM accounts WHERE id = 'demo'", &[]).unwrap().get(0);
            let rows = holds
                .iter()
                .filter_map(|h| c.query_opt("SELECT hold FROM closed_holds WHERE account_id = 'demo' AND hold_id = $1", &[h]).unwrap())
                .map(|r| r.get(0))
                .collect();
            (record, rows)
        }
    };
    (record, rows.iter().map(|t| serde_json::from_str(t).unwrap()).collect())
}

/// A settled call's claim and settlement leave the account's record with its closed hold
/// (they are history: the record would otherwise grow by one entry per call, and every
/// later request on the account load and save them all), and are still what answers a
/// client's later commit, a second call on the hold and its release.
fn settled_calls_leave_the_record(dir: &std::path::Path, db: Option<&str>) {
    let up = Upstream::start();
    let s = start(dir, db, &up);
    let holds = ["d10:p0", "d10:p1", "d10:p2"];
    for (i, hold) in holds.iter().enumerate() {
        let before = balance(&s);
        reserve(&s, "d10", 1 + i as u64, hold, "2");
        assert_eq!(call(&s, "d10", Some(hold), &request("whole", false)).status, 200);
        assert_eq!(balance_becomes(&s, sub(before, price())), sub(before, price()));
    }
    let (record, rows) = stored(dir, db, &holds);
    assert!(!record.contains("d10:p"), "a settled call stayed in the record: {record}");
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row["status"], "committed", "{row}");
        assert_eq!(row["proxied"]["deviceId"], "d10", "{row}");
        assert_eq!(credits(&row["proxied"]["settlement"]["charged"]), price(), "{row}");
    }
    // Answered from the rows: the client's commit learns the proxy's charge, a release
    // charges nothing back, and a second call on a settled hold never reaches the provider.
    let after = balance(&s);
    let (r, p) = s.push("demo", "d10", json!([commit(4, "d10:p0", "0.001"), release(5, "d10:p1")]));
    for res in &r.results {
        assert_eq!((res.status, res.settled_by.as_deref(), res.charged), (ResultStatus::Applied, Some("proxy"), Some(price())), "{res:?}");
    }
    assert_eq!(p.balance, after);
    let n = up.count();
    let again = call(&s, "d10", Some("d10:p2"), &request("whole", false));
    assert_eq!((again.status, again.json()["error"]["code"].as_str()), (409, Some("HOLD_IN_USE")), "{}", again.text());
    assert_eq!(up.count(), n);
    // A claim still running stays in the record (so an abandoned one is found and charged).
    reserve(&s, "d10", 6, "d10:slow", "2");
    let slow = std::thread::scope(|scope| {
        let call = scope.spawn(|| call(&s, "d10", Some("d10:slow"), &request("slow", true)));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !stored(dir, db, &[]).0.contains("\"proxied\":{\"d10:slow\"") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mid = stored(dir, db, &[]).0;
        (call.join().unwrap().status, mid)
    });
    assert_eq!(slow.0, 200);
    assert!(slow.1.contains("\"proxied\":{\"d10:slow\""), "{}", slow.1);
    assert_eq!(balance_becomes(&s, sub(after, price())), sub(after, price()));
    assert!(!stored(dir, db, &[]).0.contains("d10:"), "the settled call stayed in the record");
}

/// The proxy killed with SIGKILL mid-stream, after the claim was committed (the client
/// had output) and before the settlement: once the claim is abandoned (twice
/// `--proxy-call-seconds` old) the account's next request charges the hold in full, once;
/// the client's commit learns it and charges nothing more.
fn kill_9_between_claim_and_settle(dir: &std::path::Path, db: Option<&str>) {
    let up = Upstream::start();
    let s = start_with(dir, db, &up, &["--proxy-call-seconds", "1"]);
    let before = balance(&s);
    reserve(&s, "d9", 1, "d9:crash", "2");
    let (client, _) = stream_until_part_1(&s, "d9", "d9:crash", "slow");
    s.kill();
    drop(client);
    let s = start_with(dir, db, &up, &["--proxy-call-seconds", "1"]);
    let want = sub(before, c("2"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = balance(&s);
    while seen != want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        seen = s.push("demo", "d9", json!([])).1.balance;
    }
    assert_eq!(seen, want, "the abandoned claim was not charged its hold in full");
    assert!(held(&s).is_zero());
    // The client's commit (smaller) learns the proxy's settlement; nothing more is charged.
    let (r, p) = s.push("demo", "d9", json!([commit(2, "d9:crash", "0.001")]));
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(c("2"))));
    assert_eq!(p.balance, want);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.push("demo", "d9", json!([])).1.balance, want, "charged twice");
}

/// A SIGTERM mid-stream (every deploy): the call is cut at once and settled — at its worst
/// case, the provider having reported no usage yet — before the process exits, and the
/// client is told what it was charged. Before, the runtime was dropped under the call: its
/// claim stayed unsettled until the ledger took it for abandoned, twice the call limit
/// later, and charged it the whole hold.
fn sigterm_mid_stream(dir: &std::path::Path, db: Option<&str>) {
    let up = Upstream::start();
    let s = start(dir, db, &up);
    let before = balance(&s);
    reserve(&s, "d11", 1, "d11:deploy", "2");
    let (mut client, mut got) = stream_until_part_1(&s, "d11", "d11:deploy", "long");
    client.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let asked = Instant::now();
    assert!(s.terminate(), "SIGTERM exits with 0");
    assert!(asked.elapsed() < Duration::from_secs(10), "the call was cut, not read to its end: {:?}", asked.elapsed());
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    got.extend_from_slice(&rest);
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains("part 500") && !text.contains("[DONE]"), "{text}");
    let event = text.lines().find(|l| l.contains("UPSTREAM_FAILED")).unwrap_or_else(|| panic!("no closing event: {text}"));
    let error: serde_json::Value = serde_json::from_str(event.trim().trim_start_matches("data:").trim()).unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("stopped"), "{event}");
    let charged = c(error["error"]["charged"].as_str().unwrap());
    assert!(charged > Credits::ZERO && charged <= c("2"), "{charged}");
    // Settled before the exit: at once after the restart, not as an abandoned claim.
    let s = start(dir, db, &up);
    assert!(held(&s).is_zero(), "the claim was left unsettled");
    assert_eq!(balance(&s), sub(before, charged));
    let (r, p) = s.push("demo", "d11", json!([commit(2, "d11:deploy", "0.001")]));
    assert_eq!((r.results[0].settled_by.as_deref(), r.results[0].charged), (Some("proxy"), Some(charged)));
    assert_eq!(p.balance, sub(before, charged), "charged once");
}

// ---- SQLite -------------------------------------------------------------------------

#[test]
fn sqlite_sigterm_mid_stream_settles_the_call_before_exiting() {
    sigterm_mid_stream(&temp_dir("proxy-sigterm"), None);
}

#[test]
fn sqlite_kill_9_between_claim_and_settle_charges_the_hold_once() {
    kill_9_between_claim_and_settle(&temp_dir("proxy-kill9"), None);
}

#[test]
fn sqlite_settled_calls_leave_the_record() {
    settled_calls_leave_the_record(&temp_dir("proxy-history"), None);
}

#[test]
fn sqlite_refusals_never_reach_the_provider() {
    run_scenario("proxy-refuse", None, refusals_never_reach_the_provider);
}

#[test]
fn sqlite_fields_that_escape_the_hold_never_reach_the_provider() {
    run_scenario("proxy-fields", None, fields_that_escape_the_hold_never_reach_the_provider);
}

#[test]
fn sqlite_calls_are_charged_the_reported_usage() {
    run_scenario("proxy-usage", None, |s, up| {
        whole_and_streamed_calls_are_charged_the_reported_usage(s, up);
        answers_without_usage_are_charged_their_worst_case(s, up);
    });
}

#[test]
fn sqlite_provider_error_statuses_release_the_hold() {
    run_scenario("proxy-fail", None, provider_error_statuses_release_the_hold);
}

#[test]
fn sqlite_streams_that_fail_once_accepted_are_charged_their_worst_case() {
    run_scenario("proxy-stream-fail", None, streams_that_fail_once_accepted_are_charged_their_worst_case);
}

#[test]
fn sqlite_a_client_that_leaves_before_any_output_is_charged() {
    run_scenario("proxy-leave", None, |s, _| a_client_that_leaves_before_any_output_is_charged(s));
}

#[test]
fn sqlite_a_client_that_leaves_is_settled_by_the_deadline() {
    run_scenario("proxy-leave-deadline", None, a_client_that_leaves_is_settled_by_the_deadline);
}

#[test]
fn sqlite_whole_answers_that_fail_once_sent_are_charged_their_worst_case() {
    run_scenario("proxy-whole-fail", None, whole_answers_that_fail_once_sent_are_charged_their_worst_case);
}

#[test]
fn sqlite_client_abort_and_concurrent_calls() {
    run_scenario("proxy-abort", None, |s, up| {
        a_client_that_aborts_mid_stream_is_charged(s);
        concurrent_calls_on_one_hold_charge_once(s, up);
    });
}

#[test]
fn sqlite_a_client_that_stops_reading_is_settled_before_its_hold_expires() {
    run_scenario("proxy-stalled", None, a_client_that_stops_reading_is_settled_before_its_hold_expires);
}

#[test]
fn sqlite_modified_clients_are_charged_what_the_provider_reported() {
    run_scenario("proxy-modified", None, |s, _| modified_clients_are_charged_what_the_provider_reported(s));
}

#[test]
fn sqlite_token_holds_are_settled_in_tokens() {
    run_scenario("proxy-tokens", None, token_holds_are_settled_in_tokens);
}

/// The AI route answers outside the request deadline (a stream lasts as long as the
/// provider's), but its request body is still read within it: a device that announces a
/// body and trickles or withholds it is answered 408 at `--request-timeout-seconds`
/// instead of holding the connection and its buffered bytes for the connection's whole
/// life. Nothing was claimed: the hold then pays for a call sent in time.
#[test]
fn a_body_sent_too_slowly_is_cut_at_the_request_deadline() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-slow-body"));
    let s = start_with(&dir, None, &up, &["--request-timeout-seconds", "2", "--connection-seconds", "8"]);
    reserve(&s, "d1", 1, "d1:slow", "1");
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let t = token("demo", Some("d1"));
    write!(
        c,
        "POST /v1/ai/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {t}\r\nX-Credit-Hold: d1:slow\r\nContent-Length: 100000\r\n\r\n{{\"model\":",
        s.addr
    )
    .unwrap();
    let mut head = [0u8; 12];
    let got = c.read(&mut head).unwrap_or(0);
    assert_eq!(String::from_utf8_lossy(&head[..got]), "HTTP/1.1 408");
    assert_eq!(up.count(), 0);
    let r = call(&s, "d1", Some("d1:slow"), &request("whole", false));
    assert_eq!(r.status, 200, "the hold was not claimed: {}", r.text());
}

/// A fixed-rate hold pays for its operation's model only, a per-card hold for any model, and
/// neither is charged below the call's cost at that model's prices: with a catalog whose `message` (1,000 tokens a credit)
/// runs on gpt-4-turbo, the provider's 1,000 + 2,000 tokens cost 0.07 USD = 14 credits,
/// not the rate's 3 — charged to a credit hold, and as 14,000 tokens to a hold in
/// tokens — and `max_tokens` is capped so that the cost of what the hold allows fits it.
#[test]
fn sqlite_a_call_is_never_charged_below_its_cost_at_the_models_prices() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-floor"));
    let catalog = dir.join("catalog.json");
    let pinned = r#""tokensPerCredit": "1000" },
      "model": "openai/gpt-4o-mini""#;
    assert!(credit_meter_core::catalog::DEFAULT_CATALOG_JSON.contains(pinned));
    let text = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(pinned, &pinned.replace("gpt-4o-mini", "gpt-4-turbo"));
    std::fs::write(&catalog, text).unwrap();
    let s = start_with(&dir, None, &up, &["--catalog", catalog.to_str().unwrap()]);
    let turbo =
        json!({"model": "openai/gpt-4-turbo", "stream": false, "messages": [{"role":"user","content":"scenario:whole"}]}).to_string();

    let before = balance(&s);
    reserve(&s, "d1", 1, "d1:dear", "10");
    let r = call(&s, "d1", Some("d1:dear"), &turbo);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-credit-charged"), Some("14"), "the cost, not 3 credits at the rate");
    // 10 credits at gpt-4-turbo's prices: at most 9.999 / 200 / 0.00003 = 1,666 completion
    // tokens less the prompt's share (the rate alone allowed 9,999 less the prompt).
    let cap = up.last().body["max_tokens"].as_u64().unwrap();
    assert!((1_500..=1_666).contains(&cap), "max_tokens {cap}");
    let want = sub(before, c("14"));
    assert_eq!(balance_becomes(&s, want), want);

    // A per-card hold is not pinned (True Recall's user picks the model that writes the
    // cards): a `flashcards.generate` hold, whose catalog entry names gpt-4o-mini, calls
    // gpt-4-turbo and is charged its cards' worth, at least the call's cost (14).
    reserve(&s, "d1", 2, "d1:cards", "60");
    let r = call(&s, "d1", Some("d1:cards"), &turbo);
    assert_eq!(r.status, 200, "{}", r.text());
    let charged = r.header("x-credit-charged").and_then(|v| v.parse::<rust_decimal::Decimal>().ok()).expect("a charge");
    assert!(charged >= rust_decimal::Decimal::from(14), "charged {charged}, below the call's cost of 14");

    for cmd in [json!({"op": "createAccount", "accountId": "lore", "policy": "assistLore"}), json!({"op": "signup", "accountId": "lore"})] {
        assert_eq!(s.admin(&cmd)["ok"], true, "{cmd}");
    }
    let lore_balance = || credits(&s.state("lore")["balance"]);
    let before = lore_balance();
    let m = json!([{"type":"reserve","seq":1,"at":0,"holdId":"t1:dear","amount":"20000","unit":"llmTokens","operation":"message"}]);
    assert_eq!(s.push("lore", "t1", m).0.results[0].status, ResultStatus::Applied);
    let h = headers(&[("Authorization", &format!("Bearer {}", token("lore", Some("t1")))), ("X-Credit-Hold", "t1:dear")]);
    let r = http(s.addr, "POST", "/v1/ai/chat/completions", &h, turbo.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-credit-units"), Some("14000"), "the cost's worth in tokens, not the 3,000 used");
    // 20,000 tokens are worth 20 credits: at most 19.999 / 200 / 0.00003 = 3,333 completion tokens.
    let cap = up.last().body["max_tokens"].as_u64().unwrap();
    assert!((3_100..=3_333).contains(&cap), "max_tokens {cap}");
    let want = sub(before, c("14"));
    assert_eq!(becomes(lore_balance, want), want, "14,000 tokens converted at 1,000 a credit");
}

/// A body the proxy cannot read (a chunk size no body can have) is the protocol's error
/// body, HTTP 400 `BAD_REQUEST`, not axum's plain text; nothing is claimed or sent, and
/// the hold then pays for a call.
#[test]
fn sqlite_an_unreadable_body_is_a_bad_request() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-unreadable"));
    let s = start(&dir, None, &up);
    reserve(&s, "d1", 1, "d1:u", "1");
    let h = headers(&[("Authorization", &format!("Bearer {}", token("demo", Some("d1")))), ("X-Credit-Hold", "d1:u")]);
    let r = post_chunked(s.addr, "/v1/ai/chat/completions", &h, b"ffffffffffffffffff\r\n");
    assert_eq!((r.status, r.code().as_str()), (400, "BAD_REQUEST"), "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("application/json; charset=utf-8"));
    assert_eq!(up.count(), 0);
    let r = call(&s, "d1", Some("d1:u"), &request("whole", false));
    assert_eq!(r.status, 200, "the hold was not claimed: {}", r.text());
}

#[test]
fn without_an_upstream_the_route_is_unavailable() {
    let dir = temp_dir("proxy-off");
    let s = Server::start(&dir, &[]);
    let r = call(&s, "d1", Some("d1:a"), &request("whole", false));
    assert_eq!((r.status, r.code().as_str()), (503, "PROXY_UNAVAILABLE"));
}

// ---- PostgreSQL ---------------------------------------------------------------------

/// Two ledger processes on one PostgreSQL database, each sent a call on the same hold at
/// once, for several holds: the account lock is per process, so both may pass the claim's
/// check and start the provider's request; the commit of one claim makes the other's
/// save conflict, its retry finds the hold claimed, and that call is answered
/// `HOLD_IN_USE` with nothing from the provider. Each hold pays for one call, charged once.
#[test]
fn postgres_two_processes_racing_on_one_hold_charge_once() {
    let Some(url) = postgres_db("proxy_race") else { return };
    let up = Upstream::start();
    let dir = temp_dir("pg-proxy-race");
    let a = start(&dir, Some(&url), &up);
    let b = start(&dir, Some(&url), &up);
    let before = balance(&a);
    const HOLDS: u64 = 8;
    for i in 0..HOLDS {
        reserve(&a, "r1", i + 1, &format!("r1:h{i}"), "2");
    }
    let body = request("whole", false);
    for i in 0..HOLDS {
        let hold = format!("r1:h{i}");
        let replies: Vec<Reply> = std::thread::scope(|scope| {
            let x = scope.spawn(|| call(&a, "r1", Some(&hold), &body));
            let y = scope.spawn(|| call(&b, "r1", Some(&hold), &body));
            vec![x.join().unwrap(), y.join().unwrap()]
        });
        let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(ok.len(), 1, "{hold}: {:?}", replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>());
        assert_eq!(ok[0].json()["choices"][0]["message"]["content"], "Four cards.");
        let other = replies.iter().find(|r| r.status != 200).unwrap();
        assert_eq!((other.status, other.code().as_str()), (409, "HOLD_IN_USE"), "{hold}: {}", other.text());
        assert!(!other.text().contains("Four cards"), "the refused call got the provider's output");
    }
    let want = sub(before, c(&(price().value() * rust_decimal::Decimal::from(HOLDS)).to_string()));
    assert_eq!(balance_becomes(&a, want), want);
    assert!(held(&a).is_zero());
    // The provider saw each hold's call, and at most one more per hold (a lost race: in
    // trials nearly every hold's second call reached it and was cancelled).
    assert!((HOLDS as usize..=2 * HOLDS as usize).contains(&up.count()), "{} requests", up.count());
}

#[test]
fn postgres_kill_9_between_claim_and_settle_charges_the_hold_once() {
    let Some(url) = postgres_db("proxy_kill9") else { return };
    kill_9_between_claim_and_settle(&temp_dir("pg-proxy-kill9"), Some(&url));
}

#[test]
fn postgres_sigterm_mid_stream_settles_the_call_before_exiting() {
    let Some(url) = postgres_db("proxy_sigterm") else { return };
    sigterm_mid_stream(&temp_dir("pg-proxy-sigterm"), Some(&url));
}

#[test]
fn postgres_settled_calls_leave_the_record() {
    let Some(url) = postgres_db("proxy_history") else { return };
    settled_calls_leave_the_record(&temp_dir("pg-proxy-history"), Some(&url));
}

#[test]
fn postgres_every_proxy_scenario() {
    let scenarios: [(&str, Scenario); 14] = [
        ("tokens", token_holds_are_settled_in_tokens),
        ("refuse", refusals_never_reach_the_provider),
        ("fields", fields_that_escape_the_hold_never_reach_the_provider),
        ("usage", whole_and_streamed_calls_are_charged_the_reported_usage),
        ("nousage", answers_without_usage_are_charged_their_worst_case),
        ("fail", provider_error_statuses_release_the_hold),
        ("wholefail", whole_answers_that_fail_once_sent_are_charged_their_worst_case),
        ("streamfail", streams_that_fail_once_accepted_are_charged_their_worst_case),
        ("leave", |s, _| a_client_that_leaves_before_any_output_is_charged(s)),
        ("leavedeadline", a_client_that_leaves_is_settled_by_the_deadline),
        ("abort", |s, _| a_client_that_aborts_mid_stream_is_charged(s)),
        ("twice", concurrent_calls_on_one_hold_charge_once),
        ("modified", |s, _| modified_clients_are_charged_what_the_provider_reported(s)),
        ("stalled", a_client_that_stops_reading_is_settled_before_its_hold_expires),
    ];
    for (name, run) in scenarios {
        let Some(url) = postgres_db(&format!("proxy_{name}")) else { return };
        run_scenario(&format!("pg-proxy-{name}"), Some(&url), run);
    }
}

/// One source of truth per rate (issue 22): the proxy's catalog and an account's policy
/// are checked where the service holds both. While the proxy runs, `createAccount` with
/// a policy converting LLM tokens at another rate than the catalog's `message` charges
/// is refused with `BAD_CATALOG` (and creates nothing); a demo whose `--catalog`
/// disagrees with its AssistLore account does not start.
#[test]
fn a_policy_or_catalog_that_disagrees_on_the_token_rate_is_refused_at_load() {
    use credit_meter_ledger_core::model::Policy;
    let dir = temp_dir("proxy-rates");
    let up = Upstream::start();
    let s = start(&dir, None, &up);
    let mut policy: serde_json::Value = serde_json::from_str(&credit_meter_base::json::to_string(&Policy::assist_lore())).unwrap();
    for a in policy["allowances"].as_array_mut().unwrap() {
        if a["kind"] == "llmTokens" {
            a["unitsPerCredit"] = json!("800");
        }
    }
    let cmd = json!({"op": "createAccount", "accountId": "odd", "policy": policy});
    let r = s.post("/v1/admin", Some(ADMIN), &cmd.to_string());
    assert_eq!((r.status, r.code()), (400, "BAD_CATALOG".to_string()), "{}", r.text());
    assert!(r.text().contains("message") && r.text().contains("800"), "{}", r.text());
    assert_eq!(s.get("/v1/state?account=odd", Some(ADMIN)).status, 404, "nothing was created");
    let same = s.admin(&json!({"op": "createAccount", "accountId": "lore", "policy": "assistLore"}));
    assert_eq!(same["ok"], true, "{same}");
    s.kill();

    // A catalog that charges messages 500 tokens per credit against the demo's AssistLore 1,000.
    let catalog = dir.join("catalog.json");
    let text = credit_meter_core::catalog::DEFAULT_CATALOG_JSON.replace(r#""tokensPerCredit": "1000""#, r#""tokensPerCredit": "500""#);
    std::fs::write(&catalog, text).unwrap();
    let secret = dir.join("jwt.secret");
    let db = format!("sqlite:{}", dir.join("odd.sqlite").display());
    let out = std::process::Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &db, "--demo", "--upstream-url", &up.url()])
        .arg("--jwt-hs256-secret-file")
        .arg(&secret)
        .arg("--catalog")
        .arg(&catalog)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must not start: {stderr}");
    assert!(stderr.contains("BAD_CATALOG") && stderr.contains("AssistLore"), "{stderr}");
}

/// Each call, refused or not, takes one of the account's push budget (it locks and reads
/// the account to claim its hold): once spent, calls are `429 RATE_LIMITED` before any
/// account work, and the provider is never called.
#[test]
fn sqlite_ai_calls_come_out_of_the_push_budget() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-budget"));
    let s = start_with(&dir, None, &up, &["--pushes-per-minute", "4"]);
    reserve(&s, "d1", 1, "d1:h1", "1");
    let codes: Vec<(u16, String)> = (0..4)
        .map(|_| {
            let r = call(&s, "d1", Some("d1:nope"), &request("whole", false));
            (r.status, r.code())
        })
        .collect();
    let refused = (402, "HOLD_NOT_OPEN".to_string());
    assert_eq!(codes, [refused.clone(), refused.clone(), refused, (429, "RATE_LIMITED".to_string())]);
    let r = call(&s, "d1", Some("d1:h1"), &request("whole", false));
    assert_eq!((r.status, r.code()), (429, "RATE_LIMITED".to_string()), "a call on an open hold waits for the budget too");
    assert_eq!(up.count(), 0);
}

/// A claimed hold stays open until it is settled (PROTOCOL §6.7), so a call ends 5 s before
/// its hold expires, and a hold that expires within 15 s pays for no call: the claim is
/// refused `HOLD_NOT_OPEN`, the hold released, the provider never called. (A probe let a
/// 3 s hold expire during a 5 s call and spent its credits on a second hold meanwhile.)
#[test]
fn sqlite_a_hold_about_to_expire_pays_for_no_call() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-expiring"));
    let s = start(&dir, None, &up);
    let policy = json!({"name":"short","ownKeyAllowed":false,"creditStep":"0.001","holdTtlMs":12000});
    assert_eq!(s.admin(&json!({"op":"createAccount","accountId":"short","policy":policy}))["ok"], true);
    s.admin(&json!({"op":"grant","accountId":"short","grant":{"id":"g","kind":"promotion","amount":"10"}}));
    let m = json!([{"type":"reserve","seq":1,"at":0,"holdId":"d1:h1","amount":"10","operation":"message"}]);
    assert_eq!(s.push("short", "d1", m).0.results[0].status, ResultStatus::Applied);
    let h = vec![
        ("Authorization".to_string(), format!("Bearer {}", token("short", Some("d1")))),
        ("X-Credit-Hold".to_string(), "d1:h1".to_string()),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    let r = http(s.addr, "POST", "/v1/ai/chat/completions", &h, request("whole", false).as_bytes());
    assert_eq!((r.status, r.code()), (402, "HOLD_NOT_OPEN".to_string()), "{}", r.text());
    assert!(r.text().contains("expires too soon"), "{}", r.text());
    let state = s.state("short");
    assert_eq!((credits(&state["balance"]), credits(&state["held"])), (c("10"), Credits::ZERO), "released, nothing charged");
    assert_eq!(up.count(), 0);
}

/// A hold the package's estimate sized pays for a long message: the proxy bounds the
/// prompt by the same estimate (widened by its spread), not by the body's bytes, which
/// made a 2,000-character message `HOLD_TOO_SMALL` for a hold the client had just reserved.
#[test]
fn sqlite_a_hold_sized_by_the_estimate_pays_for_a_long_message() {
    let (up, dir) = (Upstream::start(), temp_dir("proxy-long"));
    let s = start(&dir, None, &up);
    let catalog = Catalog::default_catalog();
    for (i, chars) in [5_500usize, 37_000].into_iter().enumerate() {
        let long = "The quick brown fox jumps over the lazy dog near the river bank today. ".repeat(chars / 71 + 1);
        let req =
            credit_meter_core::estimate::EstimateRequest { operation: "message".into(), text: Some(long.clone()), ..Default::default() };
        let high = credit_meter_core::estimate::estimate(&catalog, &req).unwrap().credits.high;
        let hold = format!("d20:long{i}");
        reserve(&s, "d20", 1 + i as u64, &hold, &high.to_plain_string());
        let body = json!({"model": MODEL, "stream": false, "max_tokens": 100000, "messages": [
            {"role":"system","content": long}, {"role":"user","content":"scenario:whole"}]})
        .to_string();
        let r = call(&s, "d20", Some(&hold), &body);
        assert_eq!(r.status, 200, "{chars} characters, hold {high}: {}", r.text());
        let cap = up.last().body["max_tokens"].as_u64().unwrap();
        assert!(cap >= 1000, "{chars} characters: the reply may still be long ({cap} tokens)");
    }
    // The bound is the prompt's real tokens, not what the hold was estimated for: a hold
    // sized by the estimate of a fifth of the prompt (the note grew after it was estimated,
    // or a client sized it wrong) pays for none of it.
    let text = "The quick brown fox jumps over the lazy dog near the river bank today. ".repeat(400);
    let fifth = text[..text.len() / 5].to_string();
    let req = credit_meter_core::estimate::EstimateRequest { operation: "message".into(), text: Some(fifth), ..Default::default() };
    let high = credit_meter_core::estimate::estimate(&catalog, &req).unwrap().credits.high;
    reserve(&s, "d20", 3, "d20:signs", &high.to_plain_string());
    let n = up.count();
    let body = json!({"model": MODEL, "stream": false, "messages": [{"role":"system","content": text}, {"role":"user","content":"scenario:whole"}]})
        .to_string();
    let r = call(&s, "d20", Some("d20:signs"), &body);
    assert_eq!((r.status, r.code().as_str()), (402, "HOLD_TOO_SMALL"), "hold {high}: {}", r.text());
    assert_eq!(up.count(), n, "never sent to the provider");
}
