//! `credit-meter-ledger`: the credit-meter ledger as a service (see `cli::USAGE` and
//! README "Run the ledger").

mod account_cache;
mod auth;
mod cli;
mod coded_refusals;
mod demo;
mod email;
mod engine;
mod keys;
mod locks;
mod log_budget;
mod metrics;
mod payments;
mod policy_cache;
mod proxy;
mod rate;
mod record;
mod reply;
mod routes;
mod server;
mod service;
#[cfg(test)]
mod sim_store;
mod stamp;
mod static_files;
mod store;

use auth::{AdminToken, Auth, DeviceKeys, KeySource};
use credit_meter_ledger_core::reference::LedgerConfig;
use credit_meter_protocol::money::Credits;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// mimalloc instead of glibc's malloc: a push allocates and frees many small blocks (JSON
/// values, strings, the request's futures) across threads, where glibc's malloc and free
/// were ~17% of the service's CPU (bench/ledger/RESULTS.md). Built with `no_thp` (see
/// Cargo.toml): transparent huge pages would have its heaps hold several times the memory.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("credit-meter-ledger: {e}\n\n{}\n\n{}", cli::USAGE, payments::config::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        cli::Command::Help => {
            println!("{}\n\n{}", cli::USAGE, payments::config::USAGE);
            Ok(())
        }
        cli::Command::Rotate { key_file, overlap } => {
            let overlap_ms = i64::try_from(overlap.as_millis()).unwrap_or(i64::MAX);
            keys::rotate(&key_file, service::wall_clock_ms(), overlap_ms)
                .map(|kid| println!("published {kid}; it signs from {} hours from now", overlap.as_secs() / 3600))
        }
        cli::Command::Serve(o) => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(64)
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))
                .and_then(|rt| rt.block_on(serve(*o)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("credit-meter-ledger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// Refuses to serve a directory that holds the database, the key file or a secret's file.
fn check_served(dir: &Path, private: &[PathBuf]) -> Result<(), String> {
    let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    for p in private {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(parent) = parent.canonicalize() {
            if parent.starts_with(&dir) {
                return Err(format!(
                    "{} is served but holds {}: keep state and secrets out of served directories",
                    dir.display(),
                    p.display()
                ));
            }
        }
    }
    Ok(())
}

/// The AI proxy `--upstream-url` asks for (`None` without it).
fn proxy_from(o: &cli::ServeOptions) -> Result<Option<Arc<proxy::Proxy>>, String> {
    let Some(url) = &o.upstream_url else {
        if o.upstream_key_file.is_some() {
            return Err("--upstream-key-file needs --upstream-url".into());
        }
        return Ok(None);
    };
    let key = match &o.upstream_key_file {
        Some(f) => {
            let text = String::from_utf8(read(f, "upstream key")?).map_err(|_| "the upstream key file is not UTF-8".to_string())?;
            Some(proxy::UpstreamKey::new(&text)?)
        }
        None => None,
    };
    let catalog = match &o.catalog {
        Some(f) => {
            let text = String::from_utf8(read(f, "catalog")?).map_err(|_| "the catalog is not UTF-8".to_string())?;
            credit_meter_core::catalog::Catalog::parse(&text).map_err(|e| format!("--catalog {}: {e}", f.display()))?
        }
        None => credit_meter_core::catalog::Catalog::default_catalog(),
    };
    let p = proxy::Proxy::new(url, key, catalog, o.upstream_idle, o.proxy_call)?;
    // The provider's host only: a URL could carry credentials in its user-info part.
    let host = reqwest::Url::parse(&p.endpoint).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    tracing::info!(provider = %host, "AI proxy on /v1/ai/chat/completions");
    Ok(Some(Arc::new(p)))
}

async fn serve(o: cli::ServeOptions) -> Result<(), String> {
    // Where the state lives: the database and the key file.
    let sqlite_path = o.database.strip_prefix("sqlite:").map(|p| PathBuf::from(p.strip_prefix("//").unwrap_or(p)));
    let key_file = match (&o.key_file, &sqlite_path) {
        (Some(k), _) => k.clone(),
        (None, Some(db)) => PathBuf::from(format!("{}.keys.json", db.display())),
        (None, None) => return Err("--key-file is required with a PostgreSQL database (every process reads the same file)".into()),
    };
    // Never served: the state, and every file that holds a secret (a served HS256 secret
    // would let anyone mint device tokens).
    let secrets = [
        &o.jwt_secret_file,
        &o.admin_token_file,
        &o.upstream_key_file,
        &o.payments.stripe_secret_key_file,
        &o.payments.stripe_webhook_secret_file,
        &o.payments.smtp_credentials_file,
    ];
    let private: Vec<PathBuf> =
        sqlite_path.iter().cloned().chain([key_file.clone()]).chain(secrets.into_iter().flatten().cloned()).collect();
    for dir in o.www.iter().chain(o.pkg.iter()) {
        check_served(dir, &private)?;
    }

    // Authentication.
    let mut secret = match &o.jwt_secret_file {
        Some(f) => Some(read(f, "HS256 secret")?.trim_ascii_end().to_vec()),
        None => None,
    };
    if o.demo && secret.is_none() {
        if o.jwt_public_key.is_some() || o.jwks.is_some() {
            return Err("--demo issues HS256 tokens: give it --jwt-hs256-secret-file or no key".into());
        }
        let mut s = vec![0u8; 32];
        getrandom::fill(&mut s).map_err(|e| format!("no OS randomness: {e}"))?;
        secret = Some(s);
    }
    let source = match (&secret, &o.jwt_public_key, &o.jwks) {
        (Some(s), _, _) => Some(KeySource::Hs256Secret(s.clone())),
        (None, Some(f), _) => Some(KeySource::PublicKeyPem(read(f, "public key")?)),
        (None, None, Some(f)) => {
            Some(KeySource::Jwks(String::from_utf8(read(f, "JWKS")?).map_err(|_| "the JWKS file is not UTF-8".to_string())?))
        }
        _ => None,
    };
    let devices = source.map(|s| DeviceKeys::new(&s, o.jwt_audience.clone(), o.jwt_issuer.clone())).transpose()?;
    let admin_text = match (&o.admin_token_file, std::env::var("CREDIT_METER_ADMIN_TOKEN")) {
        (Some(f), _) => Some(String::from_utf8(read(f, "admin token")?).map_err(|_| "the admin token file is not UTF-8".to_string())?),
        (None, Ok(t)) if !t.is_empty() => Some(t),
        _ => None,
    };
    let admin = admin_text.as_deref().map(AdminToken::new).transpose()?;
    if devices.is_none() {
        tracing::warn!("no --jwt-* key: every push and pull will be refused");
    }
    if admin.is_none() {
        tracing::warn!("no admin token (CREDIT_METER_ADMIN_TOKEN or --admin-token-file): /v1/admin is refused");
    }

    // The ledger.
    let now = service::wall_clock_ms();
    let (ring, created) = keys::load_or_create(&key_file, now)?;
    if created {
        tracing::info!(file = %key_file.display(), "created a new signing key");
    }
    let offline_limit = Credits::parse(&o.offline_limit).map_err(|e| format!("--offline-limit {:?}: {e}", o.offline_limit))?;
    let account_overdraft_limit = Credits::parse(&o.account_overdraft_limit)
        .map_err(|e| format!("--account-overdraft-limit {:?}: {e}", o.account_overdraft_limit))?;
    // The struct update keeps this compiling when LedgerConfig gains settings (their defaults).
    #[allow(clippy::needless_update)]
    let cfg = LedgerConfig {
        snapshot_ttl_ms: i64::try_from(o.snapshot_ttl.as_millis()).unwrap_or(i64::MAX),
        offline_limit,
        account_overdraft_limit,
        max_batch: o.max_batch,
        result_history: usize::try_from(o.result_retention).unwrap_or(usize::MAX),
        ..LedgerConfig::default()
    };
    let started = std::time::Instant::now();
    let url = o.database.clone();
    let pool = o.db_pool;
    let store = tokio::task::spawn_blocking(move || store::open(&url, pool)).await.map_err(|e| e.to_string())??;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "database open");
    let checks = store.checks_assumptions();
    let service = Arc::new(service::Service {
        store: Arc::from(store),
        keys: RwLock::new(ring),
        cfg,
        retention: o.result_retention,
        bounds: engine::Bounds {
            max_devices: o.max_devices,
            max_open_holds: o.max_open_holds,
            max_grants: o.max_grants,
            abandoned_claim_ms: proxy::abandoned_after(o.proxy_call),
        },
        locks: locks::AccountLocks::new(4096),
        work: service::work_gate(),
        metrics: metrics::Metrics::default(),
        cache: account_cache::AccountCache::new(if checks { o.account_cache_bytes } else { 0 }),
    });
    let proxy = proxy_from(&o)?;
    if o.demo {
        // The demo's agent account is AssistLore's: its allowances' rates must be the
        // ones the proxy's catalog charges (one source of truth per rate).
        if let Some(p) = &proxy {
            let policy = credit_meter_ledger_core::model::Policy::assist_lore();
            proxy::rates::check(&p.catalog, &policy).map_err(|e| {
                use credit_meter_protocol::error::Coded;
                format!("{}: the catalog and the demo's AssistLore policy disagree: {e}", e.code().as_str())
            })?;
        }
        demo::set_up(&service).await?;
    }
    let demo = if o.demo { secret.as_deref().map(demo::Demo::new) } else { None };
    let page = format!("http://{}/www/", o.addr);
    let payments = Arc::new(o.payments.payments(&page)?);
    if let Some(settings) = o.payments.email(&page)? {
        let smtp = email::worker::transport(&settings)?;
        tokio::spawn(email::worker::run(Arc::clone(&service.store), settings, smtp));
    }
    // The AI proxy's calls are cut and settled when the service stops.
    let stopping_proxy = proxy.clone();
    let app = routes::AppState {
        service: Arc::clone(&service),
        auth: Arc::new(Auth { devices, admin }),
        state_entries: o.state_entries,
        demo,
        push_rate: Arc::new(rate::AccountRate::new(o.pushes_per_minute)),
        pull_rate: Arc::new(rate::AccountRate::new(o.pulls_per_minute)),
        checkout_rate: Arc::new(rate::AccountRate::new(o.checkouts_per_minute)),
        mutation_rate: Arc::new(rate::AccountRate::new(o.mutations_per_minute)),
        payments,
        proxy,
        body_deadline: o.request_timeout,
    };

    // Keys are re-read periodically: `keys rotate` needs no restart.
    {
        let service = Arc::clone(&service);
        let every = o.key_reload.max(Duration::from_secs(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let path = key_file.clone();
                match tokio::task::spawn_blocking(move || keys::load(&path)).await {
                    Ok(Ok(ring)) => {
                        if let Ok(mut k) = service.keys.write() {
                            *k = ring;
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "cannot re-read the key file; keeping the keys in memory"),
                    Err(_) => {}
                }
            }
        });
    }

    let listener = tokio::net::TcpListener::bind(o.addr).await.map_err(|e| format!("cannot listen on {}: {e}", o.addr))?;
    let local = listener.local_addr().map_err(|e| format!("cannot listen on {}: {e}", o.addr))?;
    let mut allowed_hosts = o.allowed_hosts.clone();
    allowed_hosts.push(local.to_string());
    if local.ip().is_loopback() {
        allowed_hosts.push(format!("localhost:{}", local.port()));
    }
    let http = server::HttpOptions {
        cors_origins: o.cors_origins.clone(),
        allowed_hosts,
        www: o.www.clone(),
        pkg: o.pkg.clone(),
        demo: o.demo,
        max_body: o.max_body,
        max_connections: o.max_connections,
        max_connections_per_ip: o.max_connections_per_ip,
        header_timeout: o.header_timeout,
        request_timeout: o.request_timeout,
        connection_lifetime: o.connection_lifetime,
    };
    let router = server::router(app, &http)?;
    {
        let mut out = std::io::stdout().lock();
        let demo = if o.demo { format!(" (demo: http://{local}/www/)") } else { String::new() };
        writeln!(out, "credit-meter ledger listening on http://{local}/{demo}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))?;
    }
    tracing::info!(addr = %local, "listening");
    server::serve(listener, router, &http, stopping_proxy).await;
    match tokio::task::spawn_blocking(move || service.store.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "closing the database left its journal beside it: back up the -wal file too"),
        Err(e) => tracing::warn!(error = %e, "closing the database failed"),
    }
    tracing::info!("stopped");
    Ok(())
}
