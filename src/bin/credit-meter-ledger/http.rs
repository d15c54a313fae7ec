//! HTTP plumbing over `tiny_http`: replies, the headers every reply carries (permissive
//! CORS, no caching, no sniffing), bounded request bodies and percent-decoding.

use credit_meter::sync::message::MAX_BODY_BYTES;
use serde_json::json;
use std::fs::File;
use std::io::Read;
use tiny_http::{Header, Request, Response, StatusCode};

/// What a reply carries.
#[derive(Debug)]
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, streamed.
    File(File),
}

/// One reply: status, headers, body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers beyond the ones every reply gets.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Reply {
    /// A JSON body.
    pub fn json(status: u16, text: String) -> Reply {
        Reply { status, headers: vec![("Content-Type", "application/json; charset=utf-8".into())], body: Body::Bytes(text.into_bytes()) }
    }

    /// An HTTP-level error as JSON: `{"error":{"code","message"}}`.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(status, json!({ "error": { "code": code, "message": message } }).to_string())
    }

    /// No body.
    pub fn empty(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Body::Bytes(Vec::new()) }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: String) -> Reply {
        Reply::empty(status).header("Location", location)
    }

    /// 404.
    pub fn not_found() -> Reply {
        Reply::error(404, "NOT_FOUND", "no such resource")
    }

    /// 405 with the methods that are allowed.
    pub fn method_not_allowed(allow: &str) -> Reply {
        Reply::error(405, "METHOD_NOT_ALLOWED", &format!("use {allow}")).header("Allow", allow.to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// The value of a request header.
pub fn request_header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers().iter().find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// Sends `reply` with the common headers. A failure to send (the client went away) is
/// ignored: whatever the request changed is already committed.
pub fn send(req: Request, reply: Reply) {
    let common = [("Access-Control-Allow-Origin", "*"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")];
    let headers: Vec<Header> =
        common.iter().map(|(n, v)| (*n, v.to_string())).chain(reply.headers).filter_map(|(n, v)| header(n, &v)).collect();
    let status = StatusCode(reply.status);
    let result = match reply.body {
        Body::Bytes(bytes) => {
            let len = bytes.len();
            req.respond(Response::new(status, headers, std::io::Cursor::new(bytes), Some(len), None))
        }
        Body::File(file) => {
            let len = file.metadata().ok().and_then(|m| usize::try_from(m.len()).ok());
            req.respond(Response::new(status, headers, file, len, None))
        }
    };
    let _ = result;
}

/// The answer to a CORS preflight (`OPTIONS`): any origin, the methods used here, the
/// headers asked for.
pub fn preflight(req: &Request) -> Reply {
    let asked = request_header(req, "Access-Control-Request-Headers").unwrap_or("content-type").to_string();
    let mut reply = Reply::empty(204)
        .header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS".into())
        .header("Access-Control-Allow-Headers", asked)
        .header("Access-Control-Max-Age", "600".into());
    if request_header(req, "Access-Control-Request-Private-Network").is_some() {
        reply = reply.header("Access-Control-Allow-Private-Network", "true".into());
    }
    reply
}

/// Reads the request body as UTF-8, at most the protocol's body limit
/// ([`MAX_BODY_BYTES`]): larger is 413, not UTF-8 is 400.
pub fn read_body(req: &mut Request) -> Result<String, Reply> {
    let too_large = || Reply::error(413, "BODY_TOO_LARGE", &format!("the body is limited to {MAX_BODY_BYTES} bytes"));
    if req.body_length().is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(req.body_length().unwrap_or(0));
    let limit = u64::try_from(MAX_BODY_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    req.as_reader().take(limit).read_to_end(&mut bytes).map_err(|e| Reply::error(400, "BAD_BODY", &format!("reading the body: {e}")))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| Reply::error(400, "BAD_BODY", "the body is not UTF-8"))
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`, as in a query).
/// `None` for a broken escape or a result that is not UTF-8.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
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
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| percent_decode(k, true).as_deref() == Some(name)).and_then(|(_, v)| percent_decode(v, true))
}
