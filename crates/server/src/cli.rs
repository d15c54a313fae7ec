//! The command line: `credit-meter-ledger [--addr 127.0.0.1:8787] [--db PATH] [--root DIR]`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The usage text.
pub(crate) const USAGE: &str = "\
usage: credit-meter-ledger [--addr 127.0.0.1:8787] [--db PATH] [--root DIR]

The reference credit ledger over HTTP (a demo/reference server, loopback only).
  --addr ADDR  where to listen; a loopback address only; port 0 picks a free port
               (default 127.0.0.1:8787)
  --db PATH    the SQLite file (created with a new signing key and the demo accounts
               on first run; default ./credit-meter-ledger.sqlite)
  --root DIR   the directory served as static files under / (default: the current
               directory); the demo page is /www/
Routes: POST /v1/push, POST /v1/pull, POST /v1/admin, GET /v1/keys,
        GET /v1/state?account=ID, GET /<static file>";

/// Parsed options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// The loopback address to listen on.
    pub addr: SocketAddr,
    /// The SQLite file.
    pub db: PathBuf,
    /// The static files' root.
    pub root: PathBuf,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Run the server.
    Run(Options),
    /// Print the usage and exit.
    Help,
}

/// Parses the arguments (without the program name). Refuses unknown flags, missing
/// values and addresses that are not loopback.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut addr = "127.0.0.1:8787".to_string();
    let mut db = PathBuf::from("credit-meter-ledger.sqlite");
    let mut root = PathBuf::from(".");
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        if !matches!(flag.as_str(), "--addr" | "--db" | "--root") {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => addr = value,
            "--db" => db = PathBuf::from(value),
            _ => root = PathBuf::from(value),
        }
    }
    let addr: SocketAddr = addr.parse().map_err(|_| format!("--addr {addr:?} is not an IP address with a port (e.g. 127.0.0.1:8787)"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("--addr {addr}: this reference server listens on loopback only (127.0.0.1 or [::1])"));
    }
    Ok(Command::Run(Options { addr, db, root }))
}
