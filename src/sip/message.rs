//! SIP messages (RFC 3261 §7): parsing with validation, accessors and serialisation.
//!
//! Header storage and names (including compact forms) come from `ezk-sip-types`; the start line,
//! header folding, Content-Length framing and the checks that RFC 4475 asks of a parser are ours.
//! Values whose *typed* parse may fail (a `tel:` From, escaped quotes in a display name) stay
//! available raw: nothing in here drops a message because a typed parse would fail.

use super::addr::{self, NameAddr};
use super::via::Via;
use bytes::Bytes;
use bytesstr::BytesStr;
use ezk_sip_types::{Headers, Method, Name};
use std::fmt;

/// Largest message head or body we accept (a bound against memory exhaustion).
pub const MAX_MESSAGE_LEN: usize = 256 * 1024;

/// Most header lines in one message (header storage is linear per name: a bound against
/// quadratic work on hostile input).
pub const MAX_HEADER_LINES: usize = 256;

/// Why a message was rejected; `status()` says which response a server sends for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Human-readable reason, used as the log line and the 400 reason phrase detail.
    pub reason: String,
    /// 505 for an unknown SIP version, otherwise 400.
    pub status: u16,
}

impl ParseError {
    fn bad(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), status: 400 }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for ParseError {}

/// A SIP request: method, raw Request-URI, headers and body.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request method (RFC 3261 §7.1).
    pub method: Method,
    /// The Request-URI as it appeared on the wire (any scheme: sip, sips, tel, urn…).
    pub uri: String,
    /// All header fields in order of first appearance, compact names normalised.
    pub headers: Headers,
    /// The message body (exactly Content-Length octets).
    pub body: Bytes,
}

/// A SIP response: status code, reason phrase, headers and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code 100–699.
    pub code: u16,
    /// Reason phrase, possibly empty.
    pub reason: String,
    /// All header fields in order of first appearance, compact names normalised.
    pub headers: Headers,
    /// The message body (exactly Content-Length octets).
    pub body: Bytes,
}

/// Either kind of SIP message.
#[derive(Debug, Clone)]
pub enum SipMessage {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// How much of a stream buffer forms the next message (RFC 3261 §18.3 framing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// Only CRLFs at the front: a keep-alive ping (`\r\n\r\n`) or pong (`\r\n`) of this many octets.
    KeepAlive(usize),
    /// A whole message of this many octets is at the front of the buffer.
    Complete(usize),
    /// More octets are needed.
    Incomplete,
    /// The stream cannot be framed any more (no or bad Content-Length, oversize): close it.
    Broken(String),
}

/// Finds the end of the next message in a stream buffer using Content-Length.
pub fn frame_stream(buf: &[u8]) -> Framing {
    let lead = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    if lead > 0 {
        return Framing::KeepAlive(lead);
    }
    let Some(head_end) = find_head_end(buf) else {
        if buf.len() > MAX_MESSAGE_LEN {
            return Framing::Broken("message head too long".into());
        }
        return Framing::Incomplete;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut len = None;
    for line in head.split('\n').skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
                match value.trim().parse::<usize>() {
                    Ok(_) if len.is_some() => return Framing::Broken("two Content-Length headers".into()),
                    Ok(n) if n <= MAX_MESSAGE_LEN => len = Some(n),
                    _ => return Framing::Broken("bad Content-Length on a stream".into()),
                }
            }
        }
    }
    let Some(len) = len else {
        return Framing::Broken("no Content-Length on a stream".into());
    };
    if buf.len() >= head_end + len { Framing::Complete(head_end + len) } else { Framing::Incomplete }
}

/// Index just past the empty line ending the head (CRLFCRLF or LFLF).
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// Splits the head into logical lines, unfolding continuation lines (RFC 3261 §7.3.1).
fn logical_lines(head: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.push(' ');
            last.push_str(line.trim());
            continue;
        }
        out.push(line.to_string());
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// True when `s` is a non-empty RFC 3261 token.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

impl SipMessage {
    /// Parses one message from a datagram (or a frame cut by [`frame_stream`]).
    ///
    /// Octets after Content-Length are ignored (RFC 3261 §18.3); a body shorter than
    /// Content-Length, or a datagram without Content-Length, is handled as the RFC says.
    pub fn parse(buf: &[u8]) -> Result<SipMessage, ParseError> {
        if buf.len() > MAX_MESSAGE_LEN {
            return Err(ParseError::bad("message too large"));
        }
        let lead = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        let buf = &buf[lead..];
        let head_end = find_head_end(buf).ok_or_else(|| ParseError::bad("no end of header"))?;
        let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| ParseError::bad("header is not UTF-8"))?;
        let lines = logical_lines(head);
        let (start, header_lines) = lines.split_first().ok_or_else(|| ParseError::bad("empty"))?;
        if header_lines.len() > MAX_HEADER_LINES {
            return Err(ParseError::bad("too many header fields"));
        }
        let mut headers = Headers::new();
        for line in header_lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| ParseError::bad(format!("header line without colon: {line:.40}")))?;
            let name = name.trim_end_matches([' ', '\t']);
            if !is_token(name) {
                return Err(ParseError::bad(format!("bad header name: {name:.40}")));
            }
            headers.insert(Name::from(name.to_string()), value.trim().to_string());
        }
        let rest = &buf[head_end..];
        if headers.get_raw(&Name::CONTENT_LENGTH).count() > 1 {
            return Err(ParseError::bad("more than one Content-Length"));
        }
        let body = match headers.get_raw(&Name::CONTENT_LENGTH).next() {
            Some(v) => {
                let n: usize = parse_scalar(v, u32::MAX as u64, "Content-Length")? as usize;
                if n > rest.len() {
                    return Err(ParseError::bad("Content-Length larger than the body"));
                }
                Bytes::copy_from_slice(&rest[..n])
            }
            None => Bytes::copy_from_slice(rest),
        };
        let msg = parse_start_line(start, headers, body)?;
        msg.validate()?;
        if let SipMessage::Request(_) = &msg {
            // Compared as text: `Method` folds case and prefixes of unknown methods.
            let raw_method = start.split(' ').next().unwrap_or_default();
            if cseq_raw(msg.headers())?.1 != raw_method {
                return Err(ParseError::bad("CSeq method differs from the request method"));
            }
        }
        Ok(msg)
    }

    /// The headers of either kind of message.
    pub fn headers(&self) -> &Headers {
        match self {
            SipMessage::Request(r) => &r.headers,
            SipMessage::Response(r) => &r.headers,
        }
    }

    /// Serialises the message (Content-Length set to the body's length).
    pub fn to_bytes(&self) -> Bytes {
        match self {
            SipMessage::Request(r) => r.to_bytes(),
            SipMessage::Response(r) => r.to_bytes(),
        }
    }

    /// Checks the headers every transaction relies on, and the scalar limits of RFC 4475.
    fn validate(&self) -> Result<(), ParseError> {
        let h = self.headers();
        for name in [Name::VIA, Name::FROM, Name::TO, Name::CALL_ID, Name::CSEQ] {
            if h.get_raw(&name).next().is_none() {
                return Err(ParseError::bad(format!("missing {}", name.as_print_str())));
            }
        }
        cseq_raw(h)?;
        for v in h.get_raw(&Name::VIA) {
            Via::parse_list(v).map_err(ParseError::bad)?;
        }
        for name in [Name::FROM, Name::TO] {
            let v = first(h, &name).unwrap_or_default();
            addr::parse_name_addr(v).map_err(|e| ParseError::bad(format!("{}: {e}", name.as_print_str())))?;
        }
        for v in h.get_raw(&Name::CONTACT) {
            if v.trim() != "*" {
                addr::parse_name_addr_list(v).map_err(|e| ParseError::bad(format!("Contact: {e}")))?;
            }
        }
        if let Some(v) = first(h, &Name::MAX_FORWARDS) {
            parse_scalar(v, 255, "Max-Forwards")?;
        }
        if let Some(v) = first(h, &Name::EXPIRES) {
            parse_scalar(v, u32::MAX as u64, "Expires")?;
        }
        for v in h.get_raw(&Name::RETRY_AFTER) {
            let n = v.split([';', '(', ' ']).next().unwrap_or("");
            parse_scalar(n, u32::MAX as u64, "Retry-After")?;
        }
        for v in h.get_raw(&Name::from("Warning".to_string())) {
            let code = v.split(' ').next().unwrap_or("");
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::bad("Warning code is not three digits"));
            }
        }
        if let Some(v) = first(h, &Name::from("Date".to_string()))
            && !v.trim_end().ends_with("GMT")
        {
            return Err(ParseError::bad("Date is not in GMT"));
        }
        Ok(())
    }
}

/// Parses a non-negative decimal no larger than `max`.
fn parse_scalar(v: &str, max: u64, what: &str) -> Result<u64, ParseError> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::bad(format!("{what} is not a number")));
    }
    match v.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ParseError::bad(format!("{what} is too large"))),
    }
}

fn first<'a>(h: &'a Headers, name: &Name) -> Option<&'a str> {
    h.get_raw(name).next().map(|v| v.as_str())
}

/// CSeq number and method; the number must be below 2^31 (RFC 3261 §8.1.1.5).
pub fn cseq(h: &Headers) -> Result<(u32, Method), ParseError> {
    let (n, m) = cseq_raw(h)?;
    Ok((n, method_from(m)))
}

/// CSeq number and the method as written.
fn cseq_raw(h: &Headers) -> Result<(u32, &str), ParseError> {
    let v = first(h, &Name::CSEQ).ok_or_else(|| ParseError::bad("missing CSeq"))?;
    let mut it = v.split_whitespace();
    let num = it.next().unwrap_or("");
    let method = it.next().unwrap_or("");
    if it.next().is_some() || !is_token(method) {
        return Err(ParseError::bad("bad CSeq"));
    }
    let num = parse_scalar(num, (1u64 << 31) - 1, "CSeq")? as u32;
    Ok((num, method))
}

/// A [`Method`] from its name.
pub fn method_from(s: &str) -> Method {
    Method::from(s)
}

fn parse_start_line(line: &str, headers: Headers, body: Bytes) -> Result<SipMessage, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
        let (version, rest) = rest.split_once(' ').ok_or_else(|| ParseError::bad("bad status line"))?;
        if version != "2.0" {
            return Err(ParseError { reason: "unsupported SIP version".into(), status: 505 });
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::bad("status code is not three digits"));
        }
        let code: u16 = code.parse().unwrap_or(0);
        if !(100..=699).contains(&code) {
            return Err(ParseError::bad("status code out of range"));
        }
        return Ok(SipMessage::Response(Response { code, reason: reason.to_string(), headers, body }));
    }
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts.as_slice() else {
        return Err(ParseError::bad("Request-Line must be METHOD SP URI SP SIP/2.0"));
    };
    if !is_token(method) {
        return Err(ParseError::bad("bad method"));
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        let status = if version.starts_with("SIP/") { 505 } else { 400 };
        return Err(ParseError { reason: "unsupported SIP version".into(), status });
    }
    validate_request_uri(uri)?;
    Ok(SipMessage::Request(Request { method: method_from(method), uri: uri.to_string(), headers, body }))
}

fn validate_request_uri(uri: &str) -> Result<(), ParseError> {
    if uri.starts_with('<') || uri.contains(['\t', '<', '>', '"']) {
        return Err(ParseError::bad("Request-URI must not be enclosed in <>"));
    }
    let (scheme, rest) = uri.split_once(':').ok_or_else(|| ParseError::bad("Request-URI has no scheme"))?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) || rest.is_empty() {
        return Err(ParseError::bad("bad Request-URI scheme"));
    }
    if (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips"))
        && rest.rsplit_once('@').map_or(rest, |(_, host)| host).contains('?')
    {
        return Err(ParseError::bad("headers are not allowed in a Request-URI"));
    }
    Ok(())
}

/// Shared accessors for requests and responses.
macro_rules! common_accessors {
    ($t:ty) => {
        impl $t {
            /// The first raw value of a header.
            pub fn header(&self, name: &Name) -> Option<&str> {
                first(&self.headers, name)
            }
            /// The Call-ID.
            pub fn call_id(&self) -> &str {
                self.header(&Name::CALL_ID).unwrap_or_default()
            }
            /// The CSeq number and method (validated at parse time).
            pub fn cseq(&self) -> Result<(u32, Method), ParseError> {
                cseq(&self.headers)
            }
            /// The top Via (validated at parse time for received messages).
            pub fn top_via(&self) -> Option<Via> {
                let v = self.header(&Name::VIA)?;
                Via::parse_list(v).ok()?.into_iter().next()
            }
            /// The From header as a name-addr (tolerant: `tel:` URIs, escaped quotes).
            pub fn from_addr(&self) -> Option<NameAddr> {
                addr::parse_name_addr(self.header(&Name::FROM)?).ok()
            }
            /// The To header as a name-addr.
            pub fn to_addr(&self) -> Option<NameAddr> {
                addr::parse_name_addr(self.header(&Name::TO)?).ok()
            }
            /// The `tag` parameter of From.
            pub fn from_tag(&self) -> Option<String> {
                self.from_addr()?.param("tag").map(str::to_string)
            }
            /// The `tag` parameter of To.
            pub fn to_tag(&self) -> Option<String> {
                self.to_addr()?.param("tag").map(str::to_string)
            }
            /// Sets the body and its Content-Type (Content-Length is written on serialisation).
            pub fn set_body(&mut self, content_type: &str, body: Bytes) {
                self.headers.remove(&Name::CONTENT_TYPE);
                self.headers.insert(Name::CONTENT_TYPE, content_type.to_string());
                self.body = body;
            }
            fn write_headers_and_body(&self, out: &mut Vec<u8>) {
                for (name, value) in self.headers.iter() {
                    if *name == Name::CONTENT_LENGTH {
                        continue;
                    }
                    out.extend_from_slice(name.as_print_str().as_bytes());
                    out.extend_from_slice(b": ");
                    out.extend_from_slice(value.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
                out.extend_from_slice(&self.body);
            }
        }
    };
}
common_accessors!(Request);
common_accessors!(Response);

impl Request {
    /// A request with no headers yet.
    pub fn new(method: Method, uri: impl Into<String>) -> Self {
        Self { method, uri: uri.into(), headers: Headers::new(), body: Bytes::new() }
    }

    /// Serialises the request.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("{} {} SIP/2.0\r\n", self.method, self.uri).as_bytes());
        self.write_headers_and_body(&mut out);
        Bytes::from(out)
    }
}

impl Response {
    /// Serialises the response.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("SIP/2.0 {} {}\r\n", self.code, self.reason).as_bytes());
        self.write_headers_and_body(&mut out);
        Bytes::from(out)
    }

    /// Builds a response to `req` (RFC 3261 §8.2.6): Via, From, To, Call-ID, CSeq copied,
    /// the To tag added when given and not present yet.
    pub fn to_request(req: &Request, code: u16, reason: &str, to_tag: Option<&str>) -> Response {
        let mut headers = Headers::new();
        for v in req.headers.get_raw(&Name::VIA) {
            headers.insert(Name::VIA, v.as_str().to_string());
        }
        for name in [Name::FROM, Name::CALL_ID, Name::CSEQ] {
            if let Some(v) = req.header(&name) {
                headers.insert(name, v.to_string());
            }
        }
        let mut to = req.header(&Name::TO).unwrap_or_default().to_string();
        if let Some(tag) = to_tag
            && req.to_tag().is_none()
            && code > 100
        {
            to.push_str(";tag=");
            to.push_str(tag);
        }
        headers.insert(Name::TO, to);
        Response { code, reason: reason.to_string(), headers, body: Bytes::new() }
    }
}

/// Creates a header name for an extension header (e.g. `Warning`, `Supported`).
pub fn name(s: &str) -> Name {
    Name::from(BytesStr::from(s.to_string()))
}

/// The response a server sends for a request that failed to parse (400 or 505), built
/// leniently from whatever Via/From/To/Call-ID/CSeq lines can be read. `None` for responses,
/// keep-alives and messages too broken to answer (RFC 3261 §8.2, §16.3): those are dropped.
pub fn error_response(data: &[u8], err: &ParseError) -> Option<Bytes> {
    let text = String::from_utf8_lossy(data);
    let text = text.trim_start_matches(['\r', '\n']);
    let head = text.split("\r\n\r\n").next().unwrap_or(text);
    let lines = logical_lines(head);
    let (start, rest) = lines.split_first()?;
    if start.starts_with("SIP/") || start.split(' ').next().is_some_and(|m| m == "ACK") {
        return None;
    }
    let mut wanted: Vec<(&str, String)> = Vec::new();
    for line in rest {
        let Some((n, v)) = line.split_once(':') else {
            continue;
        };
        let n = n.trim();
        let canon = match n.to_ascii_lowercase().as_str() {
            "via" | "v" => "Via",
            "from" | "f" => "From",
            "to" | "t" => "To",
            "call-id" | "i" => "Call-ID",
            "cseq" => "CSeq",
            _ => continue,
        };
        wanted.push((canon, v.trim().to_string()));
    }
    for must in ["Via", "From", "To", "Call-ID", "CSeq"] {
        if !wanted.iter().any(|(n, _)| *n == must) {
            return None;
        }
    }
    let reason = if err.status == 505 { "Version Not Supported" } else { "Bad Request" };
    let mut out = format!("SIP/2.0 {} {reason}\r\n", err.status);
    for (n, v) in wanted {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    let warning: String = err.reason.chars().filter(|c| *c != '"' && !c.is_control()).take(100).collect();
    out.push_str(&format!("Warning: 399 lampboard \"{warning}\"\r\nContent-Length: 0\r\n\r\n"));
    Some(Bytes::from(out))
}
