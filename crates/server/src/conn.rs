//! One client connection on its own thread: reads HTTP/1.1 requests one after another
//! (keep-alive), has each answered under the server's lock, writes the reply.
//!
//! A thread per connection, so an idle keep-alive connection never delays another one
//! (tiny_http's pool could queue a new connection behind an idle one). Idle connections
//! are closed after [`IDLE`]; bodies must carry `Content-Length` (no chunked uploads) and
//! are refused with 413 above the protocol's limit before they are read.

use crate::http::{send, Reply};
use crate::request::{Method, Request};
use credit_meter_protocol::message::MAX_BODY_BYTES;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::time::Duration;

/// How long a connection may sit idle (or stall mid-request) before it is closed.
pub(crate) const IDLE: Duration = Duration::from_secs(15);

/// The most bytes of request line plus headers accepted.
const MAX_HEAD: usize = 64 * 1024;

/// Why reading a request stopped.
enum ReadError {
    /// The client closed the connection, or it idled out: nothing to answer.
    Gone,
    /// The request cannot be served: answer this, then close.
    Reply(Reply),
}

/// Serves one connection until the client closes it, asks to close, or idles out.
/// `handle` answers one request (it takes the server's lock itself).
pub(crate) fn serve(stream: TcpStream, handle: impl Fn(&mut Request) -> Reply) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        match read_request(&mut reader) {
            Ok(mut req) => {
                let head_only = *req.method() == Method::Head;
                let keep = req.keep_alive();
                let reply = handle(&mut req);
                if send(&mut writer, reply, head_only, keep).is_err() || !keep {
                    return;
                }
            }
            Err(ReadError::Gone) => return,
            Err(ReadError::Reply(reply)) => {
                let _ = send(&mut writer, reply, false, false);
                return;
            }
        }
    }
}

fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let n = reader.take(*budget as u64 + 1).read_until(b'\n', &mut line).map_err(|_| ReadError::Gone)?;
    if n == 0 {
        return Err(ReadError::Gone);
    }
    if n > *budget {
        return Err(ReadError::Reply(Reply::error(431, "HEADERS_TOO_LARGE", "the request head is too large")));
    }
    *budget -= n;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| bad("the request head is not UTF-8"))
}

fn bad(message: &str) -> ReadError {
    ReadError::Reply(Reply::error(400, "BAD_REQUEST", message))
}

fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = read_line(reader, &mut budget)?;
    while line.is_empty() {
        // Tolerate blank lines between requests (RFC 9112 §2.2).
        line = read_line(reader, &mut budget)?;
    }
    let mut words = line.split(' ');
    let (Some(method), Some(url), Some(version), None) = (words.next(), words.next(), words.next(), words.next()) else {
        return Err(bad("malformed request line"));
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(ReadError::Reply(Reply::error(505, "HTTP_VERSION", "only HTTP/1.0 and HTTP/1.1"))),
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else { return Err(bad("malformed header line")) };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    if header("transfer-encoding").is_some() {
        return Err(ReadError::Reply(Reply::error(411, "LENGTH_REQUIRED", "send the body with Content-Length")));
    }
    let length = match header("content-length") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| bad("bad Content-Length"))?,
    };
    if length > MAX_BODY_BYTES {
        return Err(ReadError::Reply(Reply::error(413, "BODY_TOO_LARGE", &format!("the body is limited to {MAX_BODY_BYTES} bytes"))));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|_| ReadError::Gone)?;
    Ok(Request::new(Method::parse(method), url.to_string(), http10, headers, body))
}
