//! The HTTP side: the axum router with its layers (Host check, CORS allow-list, body
//! limit, transfer coding; the body deadline is `reply::Body`'s), static files
//! (`static_files`), and the accept loop that bounds connections (in total and per client
//! address), closes connections that are slow to send their headers or live too long, and shuts down gracefully on SIGTERM or
//! Ctrl-C: no new connections, requests in hand finish (each one's effect is committed
//! before its answer), then exit.

use crate::reply::error;
use crate::routes::{self, AppState};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use credit_meter_protocol::error::ErrorCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The most bytes of a request's head (request line and headers): a complete head above it
/// is refused with 431 ([`head_within_bound`]), and it bounds the connection's read buffer
/// (hyper's `max_buf_size`, which refuses an unfinished head with 431 once about twice this
/// is buffered: it is no exact head limit). A device's JWT is a few KB; hyper's default
/// (~400 KB) let each of the 512 connections hold ~400 KB of an unfinished head until the
/// header deadline.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Refuses with 431 a request whose head (request line, each header as `name: value` and
/// its line end) is over [`MAX_HEAD_BYTES`]: hyper's buffer bound alone let complete heads
/// up to about 128 KiB through, while the README promised 64 KiB.
async fn head_within_bound(req: Request, next: Next) -> Response {
    let line = req.method().as_str().len() + req.uri().to_string().len() + " HTTP/1.1\r\n".len() + 1;
    let headers: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
    if line + headers + 2 > MAX_HEAD_BYTES {
        return error(431, ErrorCode::BadRequest, "the request's head (request line and headers) is over 64 KiB");
    }
    next.run(req).await
}

/// Refuses with 501 a request whose `Transfer-Encoding` is anything but `chunked` alone
/// (RFC 9112 §6.1: a server that does not understand a transfer coding responds 501).
/// hyper reads `gzip, chunked` as plain chunked and hands the still-compressed bytes on;
/// a proxy in front that decodes the gzip would then agree with this service on the
/// request's length but not on its content.
async fn chunked_only(req: Request, next: Next) -> Response {
    let mut codings = req.headers().get_all(header::TRANSFER_ENCODING).iter();
    let only_chunked = match (codings.next(), codings.next()) {
        (None, _) => true,
        (Some(v), None) => v.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case("chunked")),
        (Some(_), Some(_)) => false,
    };
    if !only_chunked {
        return error(501, ErrorCode::BadRequest, "the only transfer coding accepted is chunked, alone");
    }
    next.run(req).await
}

/// The HTTP settings.
#[derive(Debug, Clone)]
pub(crate) struct HttpOptions {
    pub cors_origins: Vec<String>,
    /// Accepted Host headers (lowercase).
    pub allowed_hosts: Vec<String>,
    pub www: Option<PathBuf>,
    pub pkg: Option<PathBuf>,
    pub demo: bool,
    pub max_body: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub connection_lifetime: Duration,
}

/// Refuses a request whose `Host` is not one this service answers to (a page on another
/// site that rebinds its own name to this address cannot talk to it). The request must
/// name one authority: two `Host` lines are 400 (RFC 9110 §7.2 — a proxy in front and
/// the ledger could each read another), and a target in absolute form
/// (`GET http://host/…`) must name a served host too, since it replaces `Host` (RFC 9112
/// §3.2.2).
async fn host_check(State(allowed): State<Arc<Vec<String>>>, req: Request, next: Next) -> Response {
    let mut lines = req.headers().get_all(header::HOST).iter();
    let (host, twice) = (lines.next(), lines.next().is_some());
    if twice {
        return error(400, ErrorCode::BadRequest, "the request has more than one Host header");
    }
    let served = |h: &str| allowed.contains(&h.to_ascii_lowercase());
    let host_served = host.and_then(|h| h.to_str().ok()).is_some_and(served);
    let target_served = req.uri().authority().is_none_or(|a| served(a.as_str()));
    if host_served && target_served {
        next.run(req).await
    } else {
        error(403, ErrorCode::Forbidden, "this Host is not served here (see --allowed-host)")
    }
}

/// The router with every route and layer.
pub(crate) fn router(app: AppState, o: &HttpOptions) -> Result<Router, String> {
    let mut r = Router::new()
        .route("/v1/push", post(routes::push))
        .route("/v1/pull", post(routes::pull))
        .route("/v1/admin", post(routes::admin))
        .route("/v1/keys", get(routes::keys))
        .route("/v1/state", get(routes::state))
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .route("/v1/checkout", post(crate::payments::checkout::checkout))
        .route(
            "/v1/webhooks/stripe",
            post(crate::payments::webhook::stripe).layer::<_, std::convert::Infallible>(
                tower::ServiceBuilder::new()
                    .layer(RequestBodyLimitLayer::new(crate::payments::webhook::MAX_EVENT_BYTES))
                    .layer(DefaultBodyLimit::max(crate::payments::webhook::MAX_EVENT_BYTES)),
            ),
        )
        .route("/v1/admin/refund", post(crate::payments::refund::refund))
        .route("/v1/admin/email", post(crate::payments::account_email::set))
        .route("/v1/admin/outbox", get(crate::email::outbox::counts));
    if o.demo {
        r = r
            .route("/demo/token", post(crate::demo::token))
            .route("/demo/admin", post(crate::demo::admin))
            .route("/demo/refund", post(crate::demo::refund))
            .route("/demo/payments", get(crate::payments::checkout::demo_info))
            .route("/demo/proxy", get(crate::demo::proxy_info))
            .route("/", get(|| async { Redirect::temporary("/www/") }));
    }
    // The AI proxy: its own body limit, and its body read (within the deadline) only after
    // its budget check (`proxy::route`).
    let ai = Router::new()
        .route("/v1/ai/chat/completions", post(crate::proxy::route::chat_completions))
        .with_state(app.clone())
        .layer(DefaultBodyLimit::max(o.max_body))
        .layer(RequestBodyLimitLayer::new(o.max_body));
    let mut r = r.with_state(app);
    if let Some(dir) = &o.www {
        r = r.nest_service("/www", crate::static_files::service(dir, "/www")?);
    }
    if let Some(dir) = &o.pkg {
        r = r.nest_service("/pkg", crate::static_files::service(dir, "/pkg")?);
    }
    let r = r.layer(DefaultBodyLimit::max(o.max_body)).layer(RequestBodyLimitLayer::new(o.max_body)).merge(ai);
    let r = if o.cors_origins.is_empty() {
        r
    } else {
        let origins = o
            .cors_origins
            .iter()
            .map(|s| HeaderValue::from_str(s).map_err(|_| format!("--cors-origin {s:?} is not a header value")))
            .collect::<Result<Vec<_>, _>>()?;
        r.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::HeaderName::from_static(crate::proxy::route::HOLD_HEADER),
                    header::HeaderName::from_static("x-credit-account"),
                ])
                // The AI proxy's answer says what the call was charged in these headers
                // (PROTOCOL §7.3); a page on another origin may read only the headers
                // exposed to it.
                .expose_headers([
                    header::HeaderName::from_static(crate::proxy::route::CHARGED_HEADER),
                    header::HeaderName::from_static(crate::proxy::route::UNITS_HEADER),
                ])
                .max_age(Duration::from_secs(600)),
        )
    };
    // Every answer, the Host check's refusals included, says its Content-Type is the truth: a
    // browser must not sniff a JSON error body or a served file into HTML or script (the demo
    // serves whatever a vendor puts in --www).
    Ok(r.layer(middleware::from_fn(crate::coded_refusals::coded_refusals))
        .layer(middleware::from_fn_with_state(Arc::new(o.allowed_hosts.clone()), host_check))
        .layer(middleware::from_fn(head_within_bound))
        .layer(middleware::from_fn(chunked_only))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))))
}

/// Open connections per client address.
#[derive(Debug, Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection of an address; uncounted when dropped.
struct IpSlot(Arc<PerIp>, IpAddr);

/// The address a client's connections are counted under: an IPv4 address, or an IPv6
/// address's /64 network — one subscriber's allocation, whose 2^64 addresses would
/// otherwise each get the per-address allowance and together take every connection.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

impl PerIp {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<IpSlot> {
        let ip = client_key(ip);
        let mut m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = m.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(IpSlot(Arc::clone(self), ip))
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut m = self.0 .0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.1) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// Accepts connections until a shutdown signal, then lets the open ones finish (waiting at
/// most `--request-timeout-seconds` for each). The AI proxy's calls in flight are cut at
/// once and settled (`proxy::stopping`): they are waited for, settlements committed, before
/// this returns.
pub(crate) async fn serve(listener: TcpListener, router: Router, o: &HttpOptions, proxy: Option<Arc<crate::proxy::Proxy>>) {
    let total = Arc::new(Semaphore::new(o.max_connections));
    let per_ip = Arc::new(PerIp::default());
    // Tells every connection to finish its request in hand and close.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let Ok(permit) = Arc::clone(&total).try_acquire_owned() else {
            // Within the refusal log budget: anyone can open connections faster than lines
            // should be written.
            crate::log_budget::refusal_line!(warn, "connection limit reached; closing a new connection");
            continue;
        };
        let Some(slot) = per_ip.take(peer.ip(), o.max_connections_per_ip) else {
            crate::log_budget::refusal_line!(warn, peer = %peer.ip(), "per-address connection limit reached");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(o.header_timeout)
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), svc);
        let (lifetime, deadline) = (o.connection_lifetime, o.request_timeout);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            // At the end of its life or at shutdown a connection finishes the request in
            // hand (waiting at most `--request-timeout-seconds`), answers it, and closes.
            tokio::select! {
                _ = conn.as_mut() => {}
                () = tokio::time::sleep(lifetime) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(deadline, conn.as_mut()).await;
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(deadline, conn.as_mut()).await;
                }
            }
            drop(slot);
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopping: finishing the requests in hand");
    if let Some(p) = &proxy {
        p.stopping.stop();
    }
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it is done: having them all back means done.
    let all = u32::try_from(o.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(o.request_timeout + Duration::from_secs(1), total.acquire_many(all)).await.is_err() {
        tracing::warn!("requests still open at the deadline");
    }
    // A call's task outlives its request (a client that left is still settled): wait for
    // the last settlement, each a storage commit, before the database closes.
    if let Some(p) = &proxy {
        if !p.stopping.drained(SETTLE_WAIT).await {
            tracing::warn!("AI proxy calls still unsettled at the deadline: the ledger settles them as abandoned");
        }
    }
}

/// How long a stopping service waits for its AI proxy calls' settlements.
const SETTLE_WAIT: Duration = Duration::from_secs(15);

#[cfg(test)]
mod client_key_tests {
    use super::client_key;
    use std::net::IpAddr;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let key = |s: &str| client_key(s.parse::<IpAddr>().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "one /64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"), "another /64");
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"), "an IPv4-mapped address is its IPv4 one");
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"), "IPv4 addresses each");
    }
}
