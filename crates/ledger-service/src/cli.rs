//! The command line (`--help` lists every flag and environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The usage text.
pub(crate) const USAGE: &str = "\
usage: credit-meter-ledger serve --addr HOST:PORT --database URL
                                 [--jwt-hs256-secret-file F | --jwt-public-key F | --jwks F]
                                 [--cors-origin ORIGIN]... [OPTIONS]
       credit-meter-ledger keys rotate --key-file F [--overlap-hours H]
       credit-meter-ledger --help

The credit-meter ledger service (docs/PROTOCOL.md): devices push and pull with a JWT
from the vendor's sign-in, the operator runs admin commands with the admin token. State
is kept per account in SQLite (one file) or PostgreSQL (several processes, one database).
Run it behind a TLS-terminating proxy when it is reachable from other machines.

serve:
  --addr HOST:PORT            where to listen (default 127.0.0.1:8787; port 0 picks a free
                              port). The first stdout line is
                              `credit-meter ledger listening on http://HOST:PORT/`.
  --database URL              sqlite:PATH (created if missing) or
                              postgres://USER[:PASS]@HOST[:PORT]/DB
                              (default sqlite:credit-meter-ledger.sqlite)
  --key-file F                the snapshot signing keys (JSON, 0600; created with a new
                              Ed25519 key on first start). Default for sqlite:PATH:
                              PATH.keys.json; required with postgres (every process
                              reads the same file). Never put it under --www/--pkg.
  --key-reload-seconds N      how often the key file is re-read (default 30)
Device tokens (one of; without any, devices cannot sign in):
  --jwt-hs256-secret-file F   HS256 shared secret (at least 32 bytes)
  --jwt-public-key F          PEM public key: Ed25519 (EdDSA), P-256 (ES256) or RSA (RS256)
  --jwks F                    a JWKS file (EdDSA/ES256/RS256 keys, chosen by kid)
  --jwt-audience A            require this `aud`. Required with --jwt-public-key and --jwks:
                              a sign-in key (an identity provider's) often signs tokens for
                              other services too, and those must not open this one
  --jwt-any-audience          accept any `aud` with --jwt-public-key or --jwks (a key that
                              signs tokens for this service only); with an HS256 secret,
                              shared with this service alone, `aud` is checked only when
                              --jwt-audience is given
  --jwt-issuer I              require this `iss` (default: not checked)
                              Claims: `sub` = account id (required), `exp` (required, no
                              leeway), `nbf` (refused before it, when present), `device` =
                              the one device id allowed (optional).
Admin:
  CREDIT_METER_ADMIN_TOKEN    (environment) the admin token, at least 16 characters;
  --admin-token-file F        or read it from this file. Without either, /v1/admin is
                              refused. Sent as `Authorization: Bearer <token>`.
Browsers and hosts:
  --cors-origin ORIGIN        allow this origin (repeatable; default: none, no CORS headers)
  --allowed-host HOST[:PORT]  accept this Host header (repeatable); the listen address
                              (and localhost:PORT on loopback) is always accepted. Other
                              Host headers are refused (DNS rebinding).
  --www DIR                   serve DIR's files at /www/ (e.g. the demo page)
  --pkg DIR                   serve DIR's files at /pkg/ (the built npm package)
                              (hidden files, `.env` or `.git/`, and symbolic links out
                              of DIR are not served: 404)
  --demo                      create the demo accounts, generate a throwaway HS256 secret
                              unless one is given, and enable /demo/token and /demo/admin
                              (demo accounts only). Never on a real ledger.
Bounds:
  --max-body BYTES            largest request body (default 4194304)
  --max-batch N               most mutations per push (default 1000, the client's batch):
                              a push's work grows with its mutations times the
                              account's state, and the account waits for it
  --max-connections N         open connections in total (default 512)
  --max-connections-per-ip N  open connections per client address, an IPv6 client's /64
                              network counting as one (default 32). Behind a
                              reverse proxy all connections come from its address: raise
                              this to --max-connections and limit clients at the proxy
  --header-timeout-seconds N  to receive a request's headers, idle keep-alive included
                              (default 10)
  --request-timeout-seconds N to receive a request's body (default 30); a request
                              received is answered however long its commit takes
  --connection-seconds N      longest life of one connection (default 300)
  --max-devices N             device ids per account (default 16): bounds how far made-up
                              device ids can multiply the offline overdraft
  --max-open-holds N          open holds per account (default 10000, what a client accepts),
                              and refused reserves it remembers until their release
  --max-grants N              live grants per account (default 100000, what a client accepts)
                              A request that would pass one of these is refused whole with
                              LIMIT_REACHED and nothing of it is applied.
  --pushes-per-minute N       pushes and AI proxy calls per account per minute, as a
                              burst refilled evenly (default 600; 0: unlimited); over
                              it: HTTP 429 RATE_LIMITED
  --mutations-per-minute N    mutations (in pushes) per account per minute, likewise
                              (default 12000; 0: unlimited): each is kept as a
                              fingerprint for the account's life, so this bounds how
                              fast one account can grow the database; a client back
                              online sends up to 100,000 queued mutations 1,000 a push
                              without pause, retrying after 429 with its backoff
  --pulls-per-minute N        pulls per account per minute, likewise (default 600; 0:
                              unlimited): each pull signs a snapshot of the whole account;
                              a device's GET /v1/state reads count as pulls
  --checkouts-per-minute N    Stripe Checkout Sessions per account per minute, likewise
                              (default 10; 0: unlimited): each one is a call to Stripe
                              with the vendor's key, whose rate limit all accounts share
  --result-retention N        results kept per device to answer duplicates with the
                              original result (default 10000)
  --offline-limit CREDITS     a device's offline limit unless set per device (default 50)
  --account-overdraft-limit CREDITS
                              the most all of an account's devices may owe together,
                              vouched credits included (default 200; PROTOCOL §6.5):
                              beyond it usage is recorded as unpaid
  --snapshot-ttl-seconds N    how long a snapshot stays fresh (default 300)
  --db-pool N                 database connections for reads (default 4). SQLite: readers
                              beside its one writer. PostgreSQL: beside 4 writer
                              connections that commit saves in groups (a new account's
                              save or a payment's holds a pooled one until its COMMIT
                              returns; a broken connection is replaced by a new one)
  --account-cache-mb N        PostgreSQL: memory for this process's own last save of recently
                              pushed accounts (default 32; 0 turns it off). A push on an account
                              kept there skips its load; the save then commits only if the
                              row is still the one this process wrote, else the push runs
                              again from a load
  --upstream-url URL          turn on the AI proxy (POST /v1/ai/chat/completions, README
                              \"AI proxy\"): an OpenAI-compatible base such as
                              https://openrouter.ai/api/v1 (/chat/completions is appended)
  --upstream-key-file F       the vendor's provider key (never logged nor answered)
  --upstream-idle-seconds N   the provider's longest silence before a call fails (default 120)
  --proxy-call-seconds N      the longest a proxied call may last (default 600; never past
                              5 s before its hold expires); a claim still unsettled after
                              twice that is charged its hold in full
  --catalog F                 the catalog (models, prices) the proxy prices with
                              (default: the built-in catalog)
  --state-entries N           journal entries /v1/state shows (default 200)
Logs:
  RUST_LOG                    (environment) the log filter (default info); logs go to
                              stderr and never contain tokens or request bodies.

keys rotate:
  --key-file F                the key file to add the next key to
  --overlap-hours H           publish the new key H hours before it signs (default 168);
                              the old key stays published.

Routes: POST /v1/push, POST /v1/pull (device token); POST /v1/admin (admin token);
POST /v1/checkout (device token), POST /v1/webhooks/stripe (Stripe-Signature),
POST /v1/admin/refund, POST /v1/admin/email (admin token);
GET /v1/keys; GET /v1/state?account=ID (own device token or admin); GET /healthz;
GET /metrics (Prometheus text).";

/// `serve` options.
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    pub addr: SocketAddr,
    pub database: String,
    pub key_file: Option<PathBuf>,
    pub key_reload: Duration,
    pub jwt_secret_file: Option<PathBuf>,
    pub jwt_public_key: Option<PathBuf>,
    pub jwks: Option<PathBuf>,
    pub jwt_audience: Option<String>,
    /// `--jwt-any-audience`: no `aud` check with a public key or JWKS, said explicitly.
    pub jwt_any_audience: bool,
    pub jwt_issuer: Option<String>,
    pub admin_token_file: Option<PathBuf>,
    pub cors_origins: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub www: Option<PathBuf>,
    pub pkg: Option<PathBuf>,
    pub demo: bool,
    pub max_body: usize,
    pub max_batch: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub connection_lifetime: Duration,
    pub result_retention: u64,
    pub max_devices: usize,
    pub max_open_holds: usize,
    pub max_grants: usize,
    pub pushes_per_minute: u32,
    pub pulls_per_minute: u32,
    /// `--checkouts-per-minute`.
    pub checkouts_per_minute: u32,
    /// `--mutations-per-minute`.
    pub mutations_per_minute: u32,
    pub offline_limit: String,
    /// `--account-overdraft-limit` (a decimal string, checked in main).
    pub account_overdraft_limit: String,
    pub snapshot_ttl: Duration,
    pub db_pool: usize,
    /// Bytes for `account_cache` (PostgreSQL).
    pub account_cache_bytes: usize,
    pub state_entries: u32,
    /// Stripe and SMTP (`payments::config`).
    pub payments: crate::payments::config::PaymentOptions,
    pub upstream_url: Option<String>,
    pub upstream_key_file: Option<PathBuf>,
    pub upstream_idle: Duration,
    /// The longest a proxied call may last (`proxy::Proxy::call_limit`).
    pub proxy_call: Duration,
    pub catalog: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    /// Run the service.
    Serve(Box<ServeOptions>),
    /// Add the next signing key.
    Rotate { key_file: PathBuf, overlap: Duration },
    /// Print the usage.
    Help,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag} {v:?} is not a number"))
}

/// Splits `--flag=value` and `--flag value`.
fn pairs(args: Vec<String>) -> Result<Vec<(String, Option<String>)>, String> {
    const SWITCHES: [&str; 4] = ["--demo", "--jwt-any-audience", "--help", "-h"];
    let mut out = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if let Some((f, v)) = arg.split_once('=').filter(|(f, _)| f.starts_with("--")) {
            out.push((f.to_string(), Some(v.to_string())));
        } else if SWITCHES.contains(&arg.as_str()) {
            out.push((arg, None));
        } else if arg.starts_with('-') {
            let v = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
            out.push((arg, Some(v)));
        } else {
            return Err(format!("unexpected argument {arg:?}"));
        }
    }
    Ok(out)
}

/// Parses the arguments (without the program name).
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let args: Vec<String> = args.into_iter().collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h" || a == "help") {
        return Ok(Command::Help);
    }
    match args[0].as_str() {
        "serve" => serve(args[1..].to_vec()).map(|o| Command::Serve(Box::new(o))),
        "keys" if args.get(1).map(String::as_str) == Some("rotate") => {
            let mut key_file = None;
            let mut overlap = Duration::from_secs(168 * 3600);
            for (f, v) in pairs(args[2..].to_vec())? {
                let v = v.unwrap_or_default();
                match f.as_str() {
                    "--key-file" => key_file = Some(PathBuf::from(v)),
                    "--overlap-hours" => overlap = Duration::from_secs(number::<u64>(&f, &v)?.saturating_mul(3600)),
                    _ => return Err(format!("unknown flag {f}")),
                }
            }
            Ok(Command::Rotate { key_file: key_file.ok_or("keys rotate needs --key-file")?, overlap })
        }
        other => Err(format!("unknown command {other:?} (serve, keys rotate)")),
    }
}

fn serve(args: Vec<String>) -> Result<ServeOptions, String> {
    let mut o = ServeOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
        database: "sqlite:credit-meter-ledger.sqlite".into(),
        key_file: None,
        key_reload: Duration::from_secs(30),
        jwt_secret_file: None,
        jwt_public_key: None,
        jwks: None,
        jwt_audience: None,
        jwt_any_audience: false,
        jwt_issuer: None,
        admin_token_file: None,
        cors_origins: Vec::new(),
        allowed_hosts: Vec::new(),
        www: None,
        pkg: None,
        demo: false,
        max_body: 4 << 20,
        max_batch: 1_000,
        max_connections: 512,
        max_connections_per_ip: 32,
        header_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(30),
        connection_lifetime: Duration::from_secs(300),
        result_retention: 10_000,
        max_devices: 16,
        pushes_per_minute: 600,
        pulls_per_minute: 600,
        checkouts_per_minute: 10,
        mutations_per_minute: 12_000,
        max_open_holds: credit_meter_protocol::snapshot::payload::MAX_HOLDS,
        max_grants: credit_meter_protocol::snapshot::payload::MAX_GRANTS,
        offline_limit: "50".into(),
        account_overdraft_limit: "200".into(),
        snapshot_ttl: Duration::from_secs(300),
        db_pool: 4,
        account_cache_bytes: crate::account_cache::DEFAULT_BUDGET,
        state_entries: 200,
        payments: Default::default(),
        upstream_url: None,
        upstream_key_file: None,
        upstream_idle: Duration::from_secs(120),
        proxy_call: Duration::from_secs(600),
        catalog: None,
    };
    let secs = |f: &str, v: &str| number::<u64>(f, v).map(Duration::from_secs);
    for (f, v) in pairs(args)? {
        if f == "--demo" {
            o.demo = true;
            continue;
        }
        if f == "--jwt-any-audience" {
            o.jwt_any_audience = true;
            continue;
        }
        let v = v.unwrap_or_default();
        match f.as_str() {
            "--addr" => {
                o.addr = v.parse().map_err(|_| format!("--addr {v:?} is not HOST:PORT with an IP address (e.g. 127.0.0.1:8787)"))?
            }
            "--database" => o.database = v,
            "--key-file" => o.key_file = Some(v.into()),
            "--key-reload-seconds" => o.key_reload = secs(&f, &v)?,
            "--jwt-hs256-secret-file" => o.jwt_secret_file = Some(v.into()),
            "--jwt-public-key" => o.jwt_public_key = Some(v.into()),
            "--jwks" => o.jwks = Some(v.into()),
            "--jwt-audience" => o.jwt_audience = Some(v),
            "--jwt-issuer" => o.jwt_issuer = Some(v),
            "--admin-token-file" => o.admin_token_file = Some(v.into()),
            "--cors-origin" => o.cors_origins.push(v),
            "--allowed-host" => o.allowed_hosts.push(v.to_ascii_lowercase()),
            "--www" => o.www = Some(v.into()),
            "--pkg" => o.pkg = Some(v.into()),
            "--max-body" => o.max_body = number(&f, &v)?,
            "--max-batch" => o.max_batch = number(&f, &v)?,
            "--max-connections" => o.max_connections = number(&f, &v)?,
            "--max-connections-per-ip" => o.max_connections_per_ip = number(&f, &v)?,
            "--header-timeout-seconds" => o.header_timeout = secs(&f, &v)?,
            "--request-timeout-seconds" => o.request_timeout = secs(&f, &v)?,
            "--connection-seconds" => o.connection_lifetime = secs(&f, &v)?,
            "--pushes-per-minute" => o.pushes_per_minute = number(&f, &v)?,
            "--pulls-per-minute" => o.pulls_per_minute = number(&f, &v)?,
            "--checkouts-per-minute" => o.checkouts_per_minute = number(&f, &v)?,
            "--mutations-per-minute" => o.mutations_per_minute = number(&f, &v)?,
            "--max-devices" => o.max_devices = number(&f, &v)?,
            "--max-open-holds" => o.max_open_holds = number(&f, &v)?,
            "--max-grants" => o.max_grants = number(&f, &v)?,
            "--result-retention" => o.result_retention = number(&f, &v)?,
            "--offline-limit" => o.offline_limit = v,
            "--account-overdraft-limit" => o.account_overdraft_limit = v,
            "--snapshot-ttl-seconds" => o.snapshot_ttl = secs(&f, &v)?,
            "--db-pool" => o.db_pool = number(&f, &v)?,
            "--account-cache-mb" => o.account_cache_bytes = number::<usize>(&f, &v)?.saturating_mul(1 << 20),
            "--state-entries" => o.state_entries = number(&f, &v)?,
            "--upstream-url" => o.upstream_url = Some(v),
            "--upstream-key-file" => o.upstream_key_file = Some(v.into()),
            "--upstream-idle-seconds" => o.upstream_idle = secs(&f, &v)?,
            "--proxy-call-seconds" => o.proxy_call = secs(&f, &v)?,
            "--catalog" => o.catalog = Some(v.into()),
            _ if o.payments.set(&f, v)? => {}
            _ => return Err(format!("unknown flag {f}")),
        }
    }
    let sources = [&o.jwt_secret_file, &o.jwt_public_key, &o.jwks].iter().filter(|s| s.is_some()).count();
    if sources > 1 {
        return Err("give one of --jwt-hs256-secret-file, --jwt-public-key, --jwks".into());
    }
    if o.jwt_any_audience && o.jwt_audience.is_some() {
        return Err("give --jwt-audience or --jwt-any-audience, not both".into());
    }
    if (o.jwt_public_key.is_some() || o.jwks.is_some()) && o.jwt_audience.is_none() && !o.jwt_any_audience {
        return Err("--jwt-public-key and --jwks need --jwt-audience A, the `aud` your sign-in puts in this \
                    service's tokens (a key that signs tokens for other services too would let theirs in); \
                    --jwt-any-audience accepts any"
            .into());
    }
    if o.max_connections == 0
        || o.max_connections_per_ip == 0
        || o.max_batch == 0
        || o.max_body == 0
        || o.result_retention == 0
        || o.max_devices == 0
    {
        return Err("the bounds must be at least 1".into());
    }
    Ok(o)
}
