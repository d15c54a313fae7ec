//! One HTTP/1.1 request as read off a connection: method, target, headers and the whole
//! body (bounded by the protocol's body limit before it is read).

/// The request method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `OPTIONS` (CORS preflights).
    Options,
    /// Anything else, as sent.
    Other(String),
}

impl Method {
    /// The method named by a request line's first word.
    pub(crate) fn parse(word: &str) -> Method {
        match word {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_string()),
        }
    }
}

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl Request {
    /// A request from its parts. `keep_alive` follows HTTP/1.1: on unless `Connection:
    /// close` (HTTP/1.0: off unless `Connection: keep-alive`).
    pub(crate) fn new(method: Method, url: String, http10: bool, headers: Vec<(String, String)>, body: Vec<u8>) -> Request {
        let connection = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("connection")).map(|(_, v)| v.to_ascii_lowercase());
        let keep_alive = match connection.as_deref() {
            Some(v) if v.contains("close") => false,
            Some(v) if v.contains("keep-alive") => true,
            _ => !http10,
        };
        Request { method, url, headers, body, keep_alive }
    }

    /// The method.
    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    /// The request target (path and query).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The value of a header (case-insensitive name), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Takes the body out of the request.
    pub(crate) fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    /// Whether the client wants the connection kept open after the reply.
    pub(crate) fn keep_alive(&self) -> bool {
        self.keep_alive
    }
}
