//! `credit-meter-ledger`: the reference credit ledger (docs/PROTOCOL.md) over HTTP on
//! loopback, persisted to a SQLite file, also serving the demo page. A reference and
//! demo server, not a production one: one thread, one file, no authentication.
//!
//! Requests are handled one at a time; each request's effect is committed to the file
//! before its response is sent, so Ctrl-C, SIGTERM or even SIGKILL loses nothing that a
//! client was told. Ctrl-C and SIGTERM finish the request in hand and exit with 0.

mod api;
mod app;
mod cli;
mod http;
mod listen;
mod routes;
mod setup;
mod statics;
mod store;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Run(o)) => o,
        Ok(cli::Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("credit-meter-ledger: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match serve(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("credit-meter-ledger: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the ledger file, listens, prints the URL line and serves until Ctrl-C/SIGTERM.
fn serve(options: &cli::Options) -> Result<(), String> {
    let mut app = app::App::open(&options.db)?;
    let statics = statics::Statics::new(&options.root, &options.db)?;
    let listener = listen::listen(options.addr).map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let port = server.server_addr().to_ip().map(|a| a.port()).ok_or("the listener has no IP address")?;
    let base = format!("http://{}/", SocketAddr::new(options.addr.ip(), port));
    let mut out = std::io::stdout().lock();
    writeln!(out, "credit-meter ledger listening on {base} (demo: {base}www/)").and_then(|()| out.flush()).map_err(|e| format!("stdout: {e}"))?;
    drop(out);

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| format!("cannot handle signals: {e}"))?;
    while !stop.load(Ordering::SeqCst) {
        match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(mut req)) => {
                let reply = routes::route(&mut app, &statics, &mut req);
                http::send(req, reply);
            }
            Ok(None) => {}
            Err(e) => return Err(format!("accepting a request: {e}")),
        }
    }
    eprintln!("credit-meter ledger: stopped");
    Ok(())
}
