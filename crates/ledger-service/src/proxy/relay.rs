//! One proxied call, from the request to the provider to the hold's settlement, in a task
//! of its own: once the hold is claimed the call is settled whatever becomes of the
//! client's connection (a client that disconnects, or a handler that is cancelled, does
//! not stop the task). For a stream, the provider's SSE lines are relayed as they come
//! while the client listens and read to the end when it no longer does; the final
//! `data: [DONE]` is sent only after the settlement is committed, so a client that
//! commits the hold after the stream ended finds it settled.

use super::ledger::{self, Settled};
use super::price;
use super::usage::{self, Reported};
use super::Proxy;
use crate::service::Service;
use axum::body::Bytes;
use credit_meter_core::catalog::ModelDefinition;
use credit_meter_protocol::money::Credits;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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
    /// The claimed hold.
    pub hold: String,
    /// Its amount (charged in full when the provider reports no usage).
    pub hold_amount: Credits,
    /// The model (a catalog model).
    pub model: ModelDefinition,
    /// The hold's operation (its markup).
    pub operation: String,
    /// The request body for the provider.
    pub body: Vec<u8>,
    /// Whether it streams.
    pub stream: bool,
}

/// How a call started, for the client.
#[derive(Debug)]
pub(crate) enum Started {
    /// A whole (non-streamed) answer, after its settlement.
    Whole {
        /// The provider's HTTP status.
        status: u16,
        /// The provider's body.
        body: Bytes,
        /// The settlement (`None`: the store failed; logged).
        settled: Option<Settled>,
    },
    /// A stream: its SSE text as it comes.
    Stream(mpsc::Receiver<Bytes>),
    /// The provider failed before any output; the hold was released.
    Failed(String),
}

/// Starts the call in its own task and returns how it started.
pub(crate) async fn start(call: Call) -> Started {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(call.run(tx));
    rx.await.unwrap_or_else(|_| Started::Failed("the call's task ended".into()))
}

impl Call {
    async fn run(self, started: oneshot::Sender<Started>) {
        let idle = self.proxy.idle;
        let sent = tokio::time::timeout(idle, self.proxy.request(self.body.clone()).send()).await;
        let mut resp = match sent {
            Ok(Ok(r)) if r.status().is_success() => r,
            Ok(Ok(r)) => {
                let status = r.status().as_u16();
                self.settle(None, "the provider refused the call").await;
                let _ = started.send(Started::Failed(format!("the provider answered HTTP {status}; the hold was released")));
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %without_url(&e), "the provider could not be reached");
                self.settle(None, "the provider could not be reached").await;
                let _ = started.send(Started::Failed("the provider could not be reached; the hold was released".into()));
                return;
            }
            Err(_) => {
                self.settle(None, "the provider did not answer").await;
                let _ = started.send(Started::Failed("the provider did not answer in time; the hold was released".into()));
                return;
            }
        };
        if !self.stream {
            let mut body = Vec::new();
            loop {
                match tokio::time::timeout(idle, resp.chunk()).await {
                    Ok(Ok(Some(c))) if body.len() + c.len() <= MAX_ANSWER_BYTES => body.extend_from_slice(&c),
                    Ok(Ok(None)) => break,
                    _ => {
                        self.settle(None, "the provider's answer broke off").await;
                        let _ = started.send(Started::Failed("the provider's answer broke off; the hold was released".into()));
                        return;
                    }
                }
            }
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let usage = self.usage_or_hold(usage::from_answer(&answer));
            let settled = self.settle(Some(usage), "answered").await;
            let _ = started.send(Started::Whole { status: 200, body: Bytes::from(body), settled });
            return;
        }
        let (tx, rx) = mpsc::channel::<Bytes>(64);
        let _ = started.send(Started::Stream(rx));
        let mut listening = true;
        let mut pending: Vec<u8> = Vec::new();
        let (mut output, mut reported, mut failed) = (false, None::<Reported>, false);
        loop {
            let chunk = match tokio::time::timeout(idle, resp.chunk()).await {
                Ok(Ok(Some(c))) => c,
                Ok(Ok(None)) => break,
                _ => {
                    failed = true;
                    break;
                }
            };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                let data = text.trim_end().strip_prefix("data:").map(str::trim);
                if data == Some("[DONE]") {
                    continue;
                }
                if let Some(v) = data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) {
                    output |= usage::has_output(&v);
                    if let Some(u) = usage::from_answer(&v) {
                        reported = Some(u);
                    }
                }
                if listening && tx.send(Bytes::from(line)).await.is_err() {
                    // The client went away: keep reading, the provider is still working.
                    listening = false;
                    tracing::info!(hold = %self.hold, "the client disconnected mid-stream; reading the provider to its end");
                }
            }
        }
        let settled = match (reported, output) {
            (Some(u), _) => self.settle(Some(self.price(&u)), "streamed").await,
            (None, false) => {
                self.settle(None, "the stream ended before any output").await;
                None
            }
            (None, true) => self.settle(Some(self.usage_or_hold(None)), "streamed").await,
        };
        if listening {
            let last = if failed || settled.is_none() {
                let msg =
                    if output { "the provider's stream broke off" } else { "the provider failed before any output; the hold was released" };
                serde_json::json!({"error": {"code": "UPSTREAM_FAILED", "message": msg}}).to_string()
            } else {
                "[DONE]".to_string()
            };
            let _ = tx.send(Bytes::from(format!("data: {last}\n\n"))).await;
        }
    }

    /// The credits of reported usage, or the whole hold when there is none (logged).
    fn usage_or_hold(&self, reported: Option<Reported>) -> Credits {
        match reported {
            Some(u) => self.price(&u),
            None => {
                tracing::warn!(hold = %self.hold, amount = %self.hold_amount, "the provider reported no usage: charging the hold in full");
                self.hold_amount
            }
        }
    }

    fn price(&self, u: &Reported) -> Credits {
        match price::credits_for(&self.proxy.catalog, &self.model, &self.operation, u) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, hold = %self.hold, "the usage could not be priced: charging the hold in full");
                self.hold_amount
            }
        }
    }

    async fn settle(&self, usage: Option<Credits>, why: &str) -> Option<Settled> {
        match ledger::settle(&self.service, &self.account, &self.hold, usage).await {
            Ok(s) => {
                let usage = usage.map(|u| u.to_plain_string()).unwrap_or_else(|| "released".into());
                tracing::info!(hold = %self.hold, usage = %usage, charged = %s.charged, overdraft = %s.overdraft, first = s.first, why, "proxied call settled");
                Some(s)
            }
            Err(e) => {
                tracing::error!(hold = %self.hold, error = %e, why, "a proxied call could not be settled");
                None
            }
        }
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
