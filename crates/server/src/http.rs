//! HTTP plumbing: replies and how they are written, the headers every reply carries (permissive
//! CORS, no caching, no sniffing), bounded request bodies and percent-decoding.

use credit_meter_protocol::message::MAX_BODY_BYTES;
use credit_meter_base::json::{self, Value};
use crate::request::Request;
use std::fs::File;
use std::io::{self, Write};

/// What a reply carries.
#[derive(Debug)]
pub(crate) enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, streamed.
    File(File),
}

/// One reply: status, headers, body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers beyond the ones every reply gets.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Reply {
    /// A JSON body.
    pub(crate) fn json(status: u16, text: String) -> Reply {
        Reply { status, headers: vec![("Content-Type", "application/json; charset=utf-8".into())], body: Body::Bytes(text.into_bytes()) }
    }

    /// An HTTP-level error as JSON: `{"error":{"code","message"}}`.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        let error = Value::object([("code", code.into()), ("message", message.into())]);
        Reply::json(status, json::to_string(&Value::object([("error", error)])))
    }

    /// No body.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Body::Bytes(Vec::new()) }
    }

    /// A redirect to `location`.
    pub(crate) fn redirect(status: u16, location: String) -> Reply {
        Reply::empty(status).header("Location", location)
    }

    /// 404.
    pub(crate) fn not_found() -> Reply {
        Reply::error(404, "NOT_FOUND", "no such resource")
    }

    /// 405 with the methods that are allowed.
    pub(crate) fn method_not_allowed(allow: &str) -> Reply {
        Reply::error(405, "METHOD_NOT_ALLOWED", &format!("use {allow}")).header("Allow", allow.to_string())
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// The reason phrase of the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Writes `reply` with the common headers (and `Content-Length`; no body after `HEAD`).
/// An error means the client went away: whatever the request changed is already
/// committed.
pub(crate) fn send(out: &mut impl Write, reply: Reply, head_only: bool, keep_alive: bool) -> io::Result<()> {
    let body = match reply.body {
        Body::Bytes(bytes) => bytes,
        Body::File(mut file) => {
            let mut bytes = Vec::new();
            io::Read::read_to_end(&mut file, &mut bytes)?;
            bytes
        }
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let common = [("Access-Control-Allow-Origin", "*"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")];
    for (name, value) in common.iter().map(|(n, v)| (*n, v.to_string())).chain(reply.headers) {
        if !value.contains(['\r', '\n']) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    head.push_str(&format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&body);
    }
    out.write_all(&bytes)?;
    out.flush()
}

/// The answer to a CORS preflight (`OPTIONS`): any origin, the methods used here, the
/// headers asked for.
pub(crate) fn preflight(req: &Request) -> Reply {
    let asked = req.header("Access-Control-Request-Headers").unwrap_or("content-type").to_string();
    let mut reply = Reply::empty(204)
        .header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS".into())
        .header("Access-Control-Allow-Headers", asked)
        .header("Access-Control-Max-Age", "600".into());
    if req.header("Access-Control-Request-Private-Network").is_some() {
        reply = reply.header("Access-Control-Allow-Private-Network", "true".into());
    }
    reply
}

/// The request body as UTF-8, at most the protocol's body limit ([`MAX_BODY_BYTES`]:
/// the connection already refused a longer one with 413); not UTF-8 is 400.
pub(crate) fn read_body(req: &mut Request) -> Result<String, Reply> {
    let bytes = req.take_body();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Reply::error(413, "BODY_TOO_LARGE", &format!("the body is limited to {MAX_BODY_BYTES} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| Reply::error(400, "BAD_BODY", "the body is not UTF-8"))
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`, as in a query).
/// `None` for a broken escape or a result that is not UTF-8.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The value of `name` in a query string (`a=1&b=2`), decoded.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| percent_decode(k, true).as_deref() == Some(name)).and_then(|(_, v)| percent_decode(v, true))
}
