//! `credit-meter-ledger`: the reference credit ledger (docs/PROTOCOL.md) over HTTP on
//! loopback, persisted to a SQLite file, also serving the demo page. A reference and
//! demo server, not a production one: one file, no authentication.
//!
//! Each connection has its own thread, but requests are handled one at a time (under one
//! lock); each request's effect is committed to the file
//! before its response is sent, so Ctrl-C, SIGTERM or even SIGKILL loses nothing that a
//! client was told. Ctrl-C and SIGTERM finish the request in hand and exit with 0.

mod api;
mod app;
mod cli;
mod http;
mod conn;
mod request;
mod routes;
mod setup;
mod statics;
mod store;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    let app = app::App::open(&options.db)?;
    let statics = statics::Statics::new(&options.root, &options.db)?;
    let listener = TcpListener::bind(options.addr).map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let port = listener.local_addr().map_err(|e| format!("cannot listen on {}: {e}", options.addr))?.port();
    let base = format!("http://{}/", SocketAddr::new(options.addr.ip(), port));
    let mut out = std::io::stdout().lock();
    writeln!(out, "credit-meter ledger listening on {base} (demo: {base}www/)").and_then(|()| out.flush()).map_err(|e| format!("stdout: {e}"))?;
    drop(out);

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| format!("cannot handle signals: {e}"))?;
    // Non-blocking accept, so the loop sees the stop flag within a few milliseconds.
    listener.set_nonblocking(true).map_err(|e| format!("listener: {e}"))?;
    let shared = Arc::new((Mutex::new(app), statics));
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    conn::serve(stream, |req| {
                        let (app, statics) = &*shared;
                        let mut app = app.lock().unwrap_or_else(PoisonError::into_inner);
                        routes::route(&mut app, statics, req)
                    })
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => eprintln!("credit-meter ledger: accepting a connection: {e}"),
        }
    }
    // Wait for the request in hand (if any) to finish: its effect and its reply go together.
    let _in_hand = shared.0.lock().unwrap_or_else(PoisonError::into_inner);
    eprintln!("credit-meter ledger: stopped");
    Ok(())
}
