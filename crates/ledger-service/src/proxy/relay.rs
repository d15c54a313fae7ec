//! One proxied call, from the claim of its hold to the hold's settlement, in a task of
//! its own: once the claim is made the call is settled whatever becomes of the client's
//! connection (a client that disconnects, or a handler that is cancelled, does not stop
//! the task). The provider's request starts as soon as the ledger accepted the claim and
//! races its commit; nothing of the answer is forwarded before the claim is durable
//! (`ledger` says why that keeps every guarantee). For a stream, the provider's SSE lines
//! are relayed as they come while the client listens and read to the end when it no
//! longer does. Only a call the provider never accepted — it could not be reached, or
//! answered an error status — is released; once the request may have reached it, a call
//! whose usage the proxy does not learn (no headers in time, a stream that breaks off, goes
//! silent, reaches its deadline or carries the provider's error event, before or after
//! any output) is charged its worst case. The settlement is committed after the answer's last byte, off the
//! client's path: a client that commits the hold right after the answer may find it
//! claimed but not yet settled (answered `settledBy: "proxy"` without amounts; the
//! settlement shows in its next snapshot). A call is read for at most `call_limit`, and
//! never closer than `SETTLE_MARGIN` to its hold's expiry (`super::call_time`): that
//! deadline also bounds each wait for a client that does not read its stream, after which
//! forwarding stops and the call is settled at once, so the settlement never waits on the
//! client (one that stalled until its hold expired had its credits spent twice).

use super::ledger::{self, ClaimError, Settled, Spend};
use super::usage::{self, Reported};
use super::{limits, price, Proxy};
use crate::service::Service;
use axum::body::Bytes;
use credit_meter_core::catalog::ModelDefinition;
use credit_meter_protocol::error::ErrorCode;
use credit_meter_protocol::money::Credits;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The largest non-streamed answer the proxy reads from the provider.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// One call to make.
#[derive(Debug)]
pub(crate) struct Call {
    /// The proxy.
    pub proxy: Arc<Proxy>,
    /// The ledger.
    pub service: Arc<Service>,
    /// The account paying.
    pub account: String,
    /// The hold that pays.
    pub hold: String,
    /// The device the caller's token is pinned to, if any.
    pub device: Option<String>,
    /// The model (a catalog model).
    pub model: ModelDefinition,
    /// The client's request (checked by `limits::check`; rewritten once the hold is known).
    pub request: serde_json::Value,
    /// The client's body length: the bound on the prompt's tokens.
    pub prompt_bound: u64,
    /// Whether it streams.
    pub stream: bool,
    /// The hold's amount (set by the claim; what a settlement never exceeds unless the
    /// provider reported more).
    pub hold_amount: Credits,
    /// The hold's operation (set by the claim; its token rate prices the usage).
    pub operation: String,
    /// For a hold reserved in LLM tokens: the tokens it pays for (set by the claim; the
    /// call is capped to them and settled in tokens). `None`: a credit hold.
    pub hold_units: Option<u64>,
    /// For a hold reserved in LLM tokens: the policy's tokens a credit (set by the claim).
    pub hold_rate: Option<rust_decimal::Decimal>,
    /// The `max_tokens` forwarded to the provider (set once the request is rewritten): with
    /// `prompt_bound`, the most the provider may bill for the call.
    pub max_tokens: u64,
}

/// How a call started, for the client.
#[derive(Debug)]
pub(crate) enum Started {
    /// A whole (non-streamed) answer; its settlement follows.
    Whole {
        /// The provider's HTTP status.
        status: u16,
        /// The provider's body.
        body: Bytes,
        /// What the settlement commits: the provider's usage at the catalog's prices, or
        /// its tokens for a hold reserved in tokens (the call's worst case, without usage).
        charged: Spend,
    },
    /// A stream: its SSE text as it comes.
    Stream(mpsc::Receiver<Bytes>),
    /// The provider gave no answer to forward: it could not be reached or answered an
    /// error status, and the hold was released (`charged: None`); or it gave no success
    /// status although the request may have reached it, or a non-streamed answer did not
    /// arrive whole, and the call was charged its worst case (the provider may bill it).
    Failed {
        /// For the client.
        message: String,
        /// What the settlement committed, when it was not a release.
        charged: Option<Spend>,
    },
    /// The ledger refused the claim (its code), or the store failed (`None`); the
    /// provider's request, if it was started, was cancelled.
    Refused(ClaimError),
}

/// Starts the call in its own task — from the claim on, so that a client that leaves
/// cannot strand a claim — and returns how it started.
pub(crate) async fn start(call: Call) -> Started {
    let (tx, rx) = oneshot::channel();
    // Counted until the task ends: a shutdown waits for its settlement (`stopping`).
    let running = call.proxy.stopping.call();
    tokio::spawn(async move {
        call.run(tx).await;
        drop(running);
    });
    rx.await.unwrap_or_else(|_| Started::Failed { message: "the call's task ended".into(), charged: None })
}

impl Call {
    async fn run(mut self, started: oneshot::Sender<Started>) {
        let (claimed, durable) = match ledger::claim(&self.service, &self.account, &self.hold, self.device.as_deref()).await {
            Ok(c) => c,
            Err(e) => {
                let _ = started.send(Started::Refused(e));
                return;
            }
        };
        self.hold_amount = claimed.amount;
        self.operation = claimed.operation;
        self.hold_units = claimed.units;
        self.hold_rate = claimed.units_per_credit;
        // The prompt's tokens as the provider will get them (the request re-serialized, as
        // it is forwarded), counted only now that a real hold pays, off the async threads.
        self.prompt_bound = {
            let (request, model) = (self.request.clone(), self.model.clone());
            tokio::task::spawn_blocking(move || limits::prompt_bound(&request, &model)).await.unwrap_or(u64::MAX)
        };
        let checked = match super::call_time(self.proxy.call_limit, crate::service::wall_clock_ms(), claimed.expires_at) {
            Some(time) => self.cap().map(|cap| (cap, time)),
            None => {
                let message = "the hold expires too soon to pay for a call (its settlement must land before it expires); it was released, reserve a new one";
                Err((ErrorCode::HoldNotOpen, "the hold expires too soon", message.to_string()))
            }
        };
        let (cap, call_time) = match checked {
            Ok(x) => x,
            Err((code, why, message)) => {
                // Refused before the provider is asked: the hold is released once the
                // claim is durable.
                if let Err(e) = durable.wait().await {
                    let _ = started.send(Started::Refused(e));
                    return;
                }
                self.settle(None, why).await;
                let _ = started.send(Started::Refused((Some(code), message)));
                return;
            }
        };
        let deadline = Instant::now() + call_time;
        limits::rewrite(&mut self.request, cap, self.stream);
        self.max_tokens = self.request.get("max_tokens").and_then(serde_json::Value::as_u64).unwrap_or(cap);
        let body = serde_json::to_vec(&self.request).unwrap_or_default();
        // The provider's request starts now, racing the claim's commit (`ledger`): its
        // answer is read only once the claim is durable.
        let headers_within = self.proxy.idle.min(call_time);
        let mut send = tokio::spawn(tokio::time::timeout(headers_within, self.proxy.request(body).send()));
        if let Err(e) = durable.wait().await {
            send.abort();
            tracing::warn!(hold = %self.hold, error = %e.1, "the claim failed after the provider's request started; it was cancelled");
            let _ = started.send(Started::Refused(e));
            return;
        }
        let sent = tokio::select! {
            biased;
            sent = &mut send => sent,
            () = self.proxy.stopping.stopped() => {
                send.abort();
                return self.unanswered(started, "the ledger stopped before the provider answered").await;
            }
        };
        let Ok(sent) = sent else {
            return self.unanswered(started, "the provider's request failed").await;
        };
        let mut resp = match sent {
            Ok(Ok(r)) if r.status().is_success() => r,
            Ok(Ok(r)) => {
                // An error status: the provider refused the call and bills nothing.
                let status = r.status().as_u16();
                return self.released(started, "the provider refused the call", format!("the provider answered HTTP {status}")).await;
            }
            Ok(Err(e)) if e.is_connect() => {
                // Not connected: the request never left.
                tracing::warn!(error = %without_url(&e), "the provider could not be reached");
                return self.released(started, "the provider could not be reached", "the provider could not be reached".into()).await;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %without_url(&e), "the provider's answer failed");
                return self.unanswered(started, "the provider's answer failed").await;
            }
            Err(_) => return self.unanswered(started, "the provider did not answer in time").await,
        };
        if !self.stream {
            let mut body = Vec::new();
            loop {
                if Instant::now() >= deadline {
                    return self.unanswered(started, "the provider's answer did not end in time").await;
                }
                let Some(read) = self.read(&mut resp, deadline).await else {
                    return self.unanswered(started, "the ledger stopped before the answer ended").await;
                };
                match read {
                    Ok(Ok(Some(c))) if body.len() + c.len() <= MAX_ANSWER_BYTES => body.extend_from_slice(&c),
                    Ok(Ok(None)) => break,
                    Ok(Ok(Some(_))) => return self.unanswered(started, "the provider's answer is larger than the proxy reads").await,
                    _ => return self.unanswered(started, "the provider's answer broke off").await,
                }
            }
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let usage = self.usage_or_worst_case(usage::from_answer(&answer));
            let _ = started.send(Started::Whole { status: 200, body: Bytes::from(body), charged: usage });
            // After the answer, off the client's path: a crash before this commits leaves
            // an abandoned claim, charged the hold in full.
            self.settle(Some(usage), "answered").await;
            return;
        }
        // The provider accepted the call (a success status): it is generating and may bill
        // it, so from here on every way the call can end is charged — the provider's usage
        // when the proxy read it, else the call's worst case — and none releases the hold.
        let (tx, rx) = mpsc::channel::<Bytes>(64);
        let _ = started.send(Started::Stream(rx));
        let mut listening = true;
        let mut pending: Vec<u8> = Vec::new();
        // Why the stream did not end as it should (`None`: it ended, usage or not).
        let (mut reported, mut failed, mut done) = (None::<Reported>, None::<String>, false);
        loop {
            // Never read past the deadline, even bytes already there: the settlement must
            // land before the hold expires.
            if Instant::now() >= deadline {
                failed.get_or_insert_with(|| "the call reached its deadline".into());
                break;
            }
            let Some(read) = self.read(&mut resp, deadline).await else {
                failed.get_or_insert_with(|| "the ledger stopped mid-stream".into());
                break;
            };
            let chunk = match read {
                Ok(Ok(Some(c))) => c,
                Ok(Ok(None)) => {
                    // A body delimited by the connection's close ends the same way whether
                    // it was whole or cut: only the provider's `[DONE]` says it was whole
                    // (its last line, perhaps without a newline).
                    if !done && String::from_utf8_lossy(&pending).trim() != "data: [DONE]" {
                        failed.get_or_insert_with(|| "the provider's stream ended without [DONE]".into());
                    }
                    break;
                }
                Ok(Err(_)) => {
                    failed.get_or_insert_with(|| "the provider's stream broke off".into());
                    break;
                }
                Err(_) => {
                    failed.get_or_insert_with(|| "the provider's stream went silent".into());
                    break;
                }
            };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                let data = text.trim_end().strip_prefix("data:").map(str::trim);
                if data == Some("[DONE]") {
                    done = true;
                    continue;
                }
                if let Some(v) = data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) {
                    if let Some(u) = usage::from_answer(&v) {
                        reported = Some(u);
                    }
                    // The provider's own error event (OpenAI, OpenRouter): forwarded as it
                    // is, and the call failed — charged like any stream that broke off,
                    // since the proxy cannot tell from it what the provider bills.
                    if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
                        failed.get_or_insert_with(|| format!("the provider reported an error mid-stream ({})", provider_error(e)));
                    }
                }
                if !listening {
                    continue;
                }
                // A client that does not read fills the channel and this send waits: never
                // past the deadline, or the settlement would wait on the client while the
                // hold expires and its credits are reserved again.
                let sent = tokio::select! {
                    biased;
                    sent = tokio::time::timeout_at(deadline, tx.send(Bytes::from(line))) => sent,
                    // Stopping: not waited for; the call is settled now.
                    () = self.proxy.stopping.stopped() => {
                        listening = false;
                        continue;
                    }
                };
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => {
                        // The client went away: keep reading, the provider is still working
                        // (and will say its usage at the end).
                        listening = false;
                        tracing::info!(hold = %self.hold, "the client disconnected mid-stream; reading the provider to its end");
                    }
                    Err(_) => {
                        // Not read by the deadline: forwarding stops, and the call is
                        // settled now with what the provider reported so far.
                        listening = false;
                        tracing::warn!(hold = %self.hold, "the client stopped reading its stream: cut at the call's deadline");
                    }
                }
            }
        }
        let usage = self.usage_or_worst_case(reported.clone());
        let Some(why) = failed else {
            // Ended: `[DONE]`, and the settlement follows off the client's path (a crash
            // before it commits leaves an abandoned claim, charged the hold in full) —
            // unless the client has not read the lines before it: the settlement then goes
            // first, and never waits on the client.
            let unsent = end(tx, listening.then(|| Bytes::from_static(b"data: [DONE]\n\n")));
            self.settle(Some(usage), "streamed").await;
            if let Some((tx, l)) = unsent {
                self.last_line(&tx, l).await;
            }
            return;
        };
        // Failed once accepted: settled first, then the client is told what it was charged
        // (a stream has no headers left to say it in).
        self.settle(Some(usage), &why).await;
        if listening {
            let how = if reported.is_some() { "the usage it reported" } else { "its worst case, since the provider may have billed it" };
            let mut error =
                serde_json::json!({"code": "UPSTREAM_FAILED", "message": format!("{why}; the call was charged {how}: {usage}")});
            match usage {
                Spend::Credits(c) => error["charged"] = c.to_plain_string().into(),
                Spend::Tokens(n) => error["units"] = n.into(),
            }
            let line = Bytes::from(format!("data: {}\n\n", serde_json::json!({ "error": error })));
            self.last_line(&tx, line).await;
        }
    }

    /// Ends a call the provider never accepted (it could not be reached, or answered an
    /// error status: it bills nothing): the hold is released (`why` for the log) and the
    /// client told `said`.
    async fn released(&self, started: oneshot::Sender<Started>, why: &str, said: String) {
        self.settle(None, why).await;
        let _ = started.send(Started::Failed { message: format!("{said}; the hold was released"), charged: None });
    }

    /// Ends a call that has no answer to forward although its request may have reached
    /// the provider (anything but a failure to connect or an error status): it is charged
    /// its worst case, streamed or not. A non-streamed answer comes only once the provider
    /// has generated all of it, and it bills that whether or not the answer arrives (the
    /// usage of a broken or oversized answer is not read); a stream's provider may be
    /// generating before it sends its headers (a reasoning model that does not stream its
    /// reasoning). Released, a client could have the vendor pay for answers it makes time
    /// out or overflow (big `max_tokens`, `logprobs`), as often as its push budget allows.
    async fn unanswered(&self, started: oneshot::Sender<Started>, why: &str) {
        let charged = self.worst_case();
        self.settle(Some(charged), why).await;
        let message = format!("{why}; the provider may have billed it: the call was charged its worst case, {charged}");
        let _ = started.send(Started::Failed { message, charged: Some(charged) });
    }

    /// The provider's next chunk, waited for until `deadline` (`Err` of the timeout past
    /// it); `None` when the service stops meanwhile.
    async fn read(
        &self,
        resp: &mut reqwest::Response,
        deadline: Instant,
    ) -> Option<Result<reqwest::Result<Option<Bytes>>, tokio::time::error::Elapsed>> {
        tokio::select! {
            biased;
            read = tokio::time::timeout(self.wait(deadline), resp.chunk()) => Some(read),
            () = self.proxy.stopping.stopped() => None,
        }
    }

    /// Sends a settled call's last line to its client: until the client reads it or its
    /// connection ends, or the service stops (then only if the channel has room).
    async fn last_line(&self, tx: &mpsc::Sender<Bytes>, line: Bytes) {
        tokio::select! {
            biased;
            _ = tx.send(line) => {}
            () = self.proxy.stopping.stopped() => {}
        }
    }

    /// How long to wait for the provider's next bytes: its idle limit, within the call's
    /// deadline.
    fn wait(&self, deadline: Instant) -> Duration {
        self.proxy.idle.min(deadline.saturating_duration_since(Instant::now()))
    }

    /// What reported usage commits, or the call's worst case when there is none (logged).
    fn usage_or_worst_case(&self, reported: Option<Reported>) -> Spend {
        match reported {
            Some(u) => self.price(&u),
            None => {
                let worst = self.worst_case();
                tracing::warn!(hold = %self.hold, charged = %worst, "the provider reported no usage: charging the call's worst case");
                worst
            }
        }
    }

    /// The most the provider may bill for the call, for a settlement without its usage:
    /// the prompt bound and the forwarded `max_tokens` priced as reported usage is (in
    /// tokens for a hold reserved in tokens), never above the hold. The cap made it fit
    /// the hold (less one credit step), so it is below the hold unless the client asked
    /// for fewer tokens than the hold pays for, when it is the price of those.
    fn worst_case(&self) -> Spend {
        let most = Reported { prompt_tokens: self.prompt_bound, completion_tokens: self.max_tokens, cost: None };
        match self.price(&most) {
            Spend::Tokens(n) => Spend::Tokens(self.hold_units.map_or(n, |h| n.min(h))),
            Spend::Credits(c) => Spend::Credits(c.min(self.hold_amount)),
        }
    }

    /// The hold in full: its tokens for a hold reserved in tokens, else its credits.
    fn whole_hold(&self) -> Spend {
        self.hold_units.map_or(Spend::Credits(self.hold_amount), Spend::Tokens)
    }

    /// What `u` commits: on a hold reserved in tokens, its tokens, or the tokens its cost
    /// is worth at the policy's rate when more (the ledger draws the allowance and converts
    /// any shortfall at that rate); else its credits at the catalog's prices, never below
    /// cost.
    fn price(&self, u: &Reported) -> Spend {
        let priced = match (self.hold_units, self.hold_rate) {
            (Some(_), Some(rate)) => price::tokens_for(&self.proxy.catalog, &self.model, u, rate).map(Spend::Tokens),
            (Some(_), None) => Err("the account's policy has no llmTokens rate".to_string()),
            (None, _) => price::credits_for(&self.proxy.catalog, &self.model, &self.operation, u).map(Spend::Credits),
        };
        match priced {
            Ok(spend) => spend,
            Err(e) => {
                tracing::warn!(error = %e, hold = %self.hold, "the usage could not be priced: charging the hold in full");
                self.whole_hold()
            }
        }
    }

    /// The `max_tokens` the claimed hold pays for at its operation's price, or why the
    /// call is refused: `MODEL_NOT_ALLOWED` for a request whose model is not the one the
    /// hold's fixed-rate catalog operation names (credit or token hold alike,
    /// [`price::pinned_model`]), `HOLD_NOT_OPEN` for a
    /// credit hold of an operation the catalog gives no price for an AI call (free, flat,
    /// per character, unknown), `HOLD_TOO_SMALL` for a hold that cannot pay for even the
    /// prompt. (The code, a reason for the log, the message for the client.)
    fn cap(&self) -> Result<u64, (ErrorCode, &'static str, String)> {
        let too_small = || {
            let message = "the hold cannot pay for this prompt at the operation's token rate; it was released";
            (ErrorCode::HoldTooSmall, "the hold cannot pay for the prompt", message.to_string())
        };
        let (catalog, model, hold, prompt) = (&self.proxy.catalog, &self.model, self.hold_amount, self.prompt_bound);
        if let Some(pinned) = price::pinned_model(catalog, &self.operation).filter(|m| *m != model.id) {
            return Err((
                ErrorCode::ModelNotAllowed,
                "the request's model is not the hold's operation's",
                format!(
                    "a hold of operation {:?} pays for calls to its catalog model {pinned:?} only, not {:?}; it was released",
                    self.operation, model.id
                ),
            ));
        }
        if let Some(tokens) = self.hold_units {
            // The ledger converts a shortfall at its policy's rate; without one (the policy
            // has no llmTokens allowance any more) a token's worth is unknown.
            let Some(rate) = self.hold_rate else {
                let message = "the account's policy has no llmTokens rate to price this hold's tokens at; it was released";
                return Err((ErrorCode::HoldNotOpen, "the hold's tokens have no rate", message.to_string()));
            };
            return limits::max_tokens_of(catalog, model, tokens, rate, prompt).ok_or_else(too_small);
        }
        match price::rate(catalog, &self.operation) {
            Some(price::ProxyRate::Tokens(rate)) => limits::max_tokens_within(catalog, model, rate, hold, prompt).ok_or_else(too_small),
            Some(price::ProxyRate::PerCard { credits_per_card, output_tokens_per_card }) => {
                limits::max_tokens_for_cards(catalog, model, credits_per_card, output_tokens_per_card, hold, prompt).ok_or_else(too_small)
            }
            None => Err((
                ErrorCode::HoldNotOpen,
                "the hold's operation has no price for an AI call",
                format!(
                    "the hold's operation {:?} is not priced for AI calls (by tokens, or per card with outputTokensPerCard); it was released",
                    self.operation
                ),
            )),
        }
    }

    async fn settle(&self, usage: Option<Spend>, why: &str) -> Option<Settled> {
        match ledger::settle(&self.service, &self.account, &self.hold, usage).await {
            Ok(s) => {
                let usage = usage.map(|u| u.to_string()).unwrap_or_else(|| "released".into());
                tracing::info!(hold = %self.hold, usage = %usage, charged = %s.charged, overdraft = %s.overdraft, unpaid = %s.unpaid, first = s.first, why, "proxied call settled");
                Some(s)
            }
            Err(e) => {
                tracing::error!(hold = %self.hold, error = %e, why, "a proxied call could not be settled");
                None
            }
        }
    }
}

/// Ends a stream with its `last` line when the channel has room for it at once (the
/// sender is dropped: the response ends); otherwise hands both back, to send once the
/// call is settled.
fn end(tx: mpsc::Sender<Bytes>, last: Option<Bytes>) -> Option<(mpsc::Sender<Bytes>, Bytes)> {
    match last.map(|l| tx.try_send(l)) {
        Some(Err(mpsc::error::TrySendError::Full(l))) => Some((tx, l)),
        _ => None,
    }
}

/// What a provider's error event says, for the client's message: its `message` (or the
/// event itself), at most 200 characters.
fn provider_error(e: &serde_json::Value) -> String {
    let said = e.get("message").and_then(serde_json::Value::as_str).map_or_else(|| e.to_string(), str::to_string);
    match said.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &said[..at]),
        None => said,
    }
}

/// What kind of failure a reqwest error is (its text can carry the URL).
fn without_url(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "connect"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}
