//! The listening socket, with `TCP_NODELAY` set so that connections accepted from it
//! (which inherit it on Linux) send each write at once. `tiny_http` writes a response
//! through a 1 KiB buffer, so a larger response leaves in several writes; with Nagle's
//! algorithm on, a keep-alive client (browsers, Node's `fetch`) that delays its ACK
//! stalls every such response by ~40 ms.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, TcpListener};

/// Binds and listens on `addr` with `TCP_NODELAY` (and, on Unix, `SO_REUSEADDR`, as
/// `std` does, so a restarted server can take its port back at once).
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}
