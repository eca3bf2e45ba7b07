//! `multipart/*` bodies (RFC 2046 §5.1) as RFC 4662 list NOTIFYs carry them, in
//! `multipart/related` (RFC 2387): the Content-Type header value is read into a
//! [`MediaType`], the body is split at its boundary into [`Part`]s (headers plus the bytes,
//! borrowed from the body), and a part that is a multipart itself (a nested list, or a
//! `multipart/signed` wrapper) is split in turn, down to [`MAX_DEPTH`] levels.
//!
//! Tolerated, because senders do it: LF-only line ends, transport padding after a
//! delimiter, a preamble and an epilogue, folded part headers, a missing close delimiter
//! (`--boundary--`; the last part then runs to the end of the body and
//! [`Multipart::closed`] is false).
//!
//! Refused with a [`MultipartError`], never a panic: bodies over [`MAX_MULTIPART_LEN`], more
//! than [`MAX_PARTS`] parts in all, nesting deeper than [`MAX_DEPTH`], a part header block
//! over [`MAX_PART_HEADER_LEN`], a header-block line that is not a header (a part without
//! headers and empty line), a body that ends inside a header block, and a
//! Content-Transfer-Encoding other than the identity ones (`binary`, `8bit`, `7bit`): SIP
//! is 8-bit clean and list servers send parts as they are.

use std::fmt;

/// Largest multipart body accepted, in bytes (1 MiB: a few hundred resources with their
/// PIDF or dialog-info parts).
pub const MAX_MULTIPART_LEN: usize = 1024 * 1024;

/// Most parts accepted in one body, nested parts included.
pub const MAX_PARTS: usize = 1024;

/// Most multipart levels accepted: the body itself is level 1. RFC 4662's own example needs
/// three (list → `multipart/signed` → nested list).
pub const MAX_DEPTH: usize = 4;

/// Largest header block of one part, in bytes.
pub const MAX_PART_HEADER_LEN: usize = 8 * 1024;

/// Longest boundary accepted. RFC 2046 allows 70 characters; the rest is slack for senders
/// that overshoot.
const MAX_BOUNDARY_LEN: usize = 200;

/// Longest piece of network input quoted in an error.
const MAX_QUOTED: usize = 64;

/// A multipart body, or a Content-Type value, that could not be read.
///
/// Every variant is produced from network input; the `String`s are short quotes for a log
/// line (at most 64 characters), never the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartError {
    /// The body is larger than [`MAX_MULTIPART_LEN`].
    TooLarge,
    /// A Content-Type value could not be read; the string says why.
    BadContentType(String),
    /// The Content-Type is not `multipart/*`; the string is its `type/subtype`.
    NotMultipart(String),
    /// The multipart Content-Type has no `boundary` parameter.
    NoBoundary,
    /// The boundary is empty, longer than 200 characters, or holds control characters.
    BadBoundary,
    /// No delimiter line (`--boundary`) was found in the body.
    NoDelimiter,
    /// More than [`MAX_PARTS`] parts, nested ones included.
    TooManyParts,
    /// Multiparts nested deeper than [`MAX_DEPTH`] levels.
    TooDeep,
    /// A line of a part's header block is not a `Name: value` header (for example content
    /// that starts right after the delimiter, without headers and the empty line).
    BadPartHeader(String),
    /// A part's header block is larger than [`MAX_PART_HEADER_LEN`].
    HeadersTooLarge,
    /// The body ends inside a part's header block, without a close delimiter.
    Truncated,
    /// A part uses a Content-Transfer-Encoding other than `binary`, `8bit` or `7bit`.
    UnsupportedEncoding(String),
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MultipartError::TooLarge => write!(f, "multipart body larger than {MAX_MULTIPART_LEN} bytes"),
            MultipartError::BadContentType(why) => write!(f, "unreadable Content-Type: {why}"),
            MultipartError::NotMultipart(essence) => write!(f, "Content-Type {essence} is not multipart"),
            MultipartError::NoBoundary => f.write_str("multipart Content-Type without a boundary"),
            MultipartError::BadBoundary => f.write_str("unusable multipart boundary"),
            MultipartError::NoDelimiter => f.write_str("no boundary delimiter in the multipart body"),
            MultipartError::TooManyParts => write!(f, "more than {MAX_PARTS} multipart parts"),
            MultipartError::TooDeep => write!(f, "multipart nested deeper than {MAX_DEPTH} levels"),
            MultipartError::BadPartHeader(why) => write!(f, "bad multipart part header: {why}"),
            MultipartError::HeadersTooLarge => {
                write!(f, "multipart part headers larger than {MAX_PART_HEADER_LEN} bytes")
            }
            MultipartError::Truncated => f.write_str("multipart body truncated in a part's headers"),
            MultipartError::UnsupportedEncoding(enc) => write!(f, "unsupported Content-Transfer-Encoding {enc}"),
        }
    }
}

impl std::error::Error for MultipartError {}

/// A Content-Type value (RFC 2045 §5.1): `type/subtype` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower-cased (`application/pidf+xml`).
    pub essence: String,
    /// The parameters in the order sent: names lower-cased, values unquoted with their case
    /// kept (a boundary is case-sensitive).
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// Reads a Content-Type header value. Lenient where senders are: white space (line
    /// folds included) around `;` and `=`, empty parameters, a parameter without a value
    /// (skipped), an unquoted value with characters a token does not allow (read up to the
    /// next `;`). A duplicated parameter keeps both; [`MediaType::param`] returns the first.
    pub fn parse(value: &str) -> Result<MediaType, MultipartError> {
        let value = value.trim();
        let (essence, mut rest) = value.split_once(';').unwrap_or((value, ""));
        let (ty, sub) = essence.split_once('/').ok_or_else(|| bad_type("no '/' in the media type"))?;
        let (ty, sub) = (ty.trim(), sub.trim());
        if !is_token(ty) || !is_token(sub) {
            return Err(bad_type("the media type is not a token"));
        }
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix(';') {
                rest = after;
                continue;
            }
            let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
            let name = rest[..name_end].trim();
            if !is_token(name) {
                return Err(bad_type("a parameter name is not a token"));
            }
            rest = &rest[name_end..];
            let Some(after_eq) = rest.strip_prefix('=') else {
                continue;
            };
            let after_eq = after_eq.trim_start();
            let (val, after) = match after_eq.strip_prefix('"') {
                Some(quoted) => unquote(quoted)?,
                None => {
                    let end = after_eq.find(';').unwrap_or(after_eq.len());
                    (after_eq[..end].trim_end().to_owned(), &after_eq[end..])
                }
            };
            let after = after.trim_start();
            if !(after.is_empty() || after.starts_with(';')) {
                return Err(bad_type("text after a quoted parameter value"));
            }
            params.push((name.to_ascii_lowercase(), val));
            rest = after;
        }
        Ok(MediaType { essence: format!("{}/{}", ty.to_ascii_lowercase(), sub.to_ascii_lowercase()), params })
    }

    /// `text/plain; charset=us-ascii`, the type of a part without a Content-Type
    /// (RFC 2046 §5.1).
    pub fn text_plain() -> MediaType {
        MediaType { essence: "text/plain".to_owned(), params: vec![("charset".to_owned(), "us-ascii".to_owned())] }
    }

    /// The first parameter called `name` (ASCII case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// True when the `type/subtype` is `essence` (ASCII case-insensitive).
    pub fn is(&self, essence: &str) -> bool {
        self.essence.eq_ignore_ascii_case(essence.trim())
    }

    /// True for any `multipart/*` type.
    pub fn is_multipart(&self) -> bool {
        self.essence.starts_with("multipart/")
    }
}

/// Writes the value back as a Content-Type header value; parameter values are quoted when
/// they are not tokens, so [`MediaType::parse`] reads the output back to the same value.
impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.essence)?;
        for (name, value) in &self.params {
            if is_token(value) {
                write!(f, ";{name}={value}")?;
            } else {
                write!(f, ";{name}=\"")?;
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")?;
            }
        }
        Ok(())
    }
}

fn bad_type(why: &str) -> MultipartError {
    MultipartError::BadContentType(why.to_owned())
}

/// RFC 2045 token: printable US-ASCII except the tspecials.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// Reads a quoted-string whose opening quote is already consumed: the value and the rest
/// after the closing quote.
fn unquote(s: &str) -> Result<(String, &str), MultipartError> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => break,
            },
            _ => out.push(c),
        }
    }
    Err(bad_type("unterminated quoted string"))
}

/// At most [`MAX_QUOTED`] characters of `s`, for an error message.
fn quote(s: &str) -> String {
    s.chars().take(MAX_QUOTED).collect()
}

/// A Content-ID or `cid` reference without white space, a `cid:` URL scheme and the angle
/// brackets: `<abc@host>`, `abc@host` and `cid:abc@host` all give `abc@host`. (Percent
/// escapes in `cid:` URLs are not decoded; list servers do not use them.)
pub(crate) fn bare_cid(s: &str) -> &str {
    let s = s.trim();
    let s = match s.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("cid:") => s[4..].trim(),
        _ => s,
    };
    let s = s.strip_prefix('<').unwrap_or(s);
    s.strip_suffix('>').unwrap_or(s).trim()
}

/// One body part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// Every header, in order: the name as sent, the value unfolded and trimmed (invalid
    /// UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    /// The Content-Type, when the part has one (see [`Part::content_type_or_default`]).
    pub content_type: Option<MediaType>,
    /// The Content-ID without its angle brackets.
    pub content_id: Option<String>,
    /// The content: the bytes between the empty line after the headers and the line end
    /// before the next delimiter.
    pub body: &'a [u8],
    /// The parts of this part when it is a multipart itself.
    pub nested: Option<Multipart<'a>>,
}

impl Part<'_> {
    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The Content-Type, or RFC 2046's default `text/plain; charset=us-ascii` without one.
    pub fn content_type_or_default(&self) -> MediaType {
        self.content_type.clone().unwrap_or_else(MediaType::text_plain)
    }
}

/// A split multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart<'a> {
    /// The multipart's own Content-Type (`multipart/related;type=…;boundary=…`).
    pub content_type: MediaType,
    /// The boundary.
    pub boundary: String,
    /// The parts, in order (the preamble and epilogue are dropped).
    pub parts: Vec<Part<'a>>,
    /// False when the body ended without the close delimiter (`--boundary--`): tolerated,
    /// but the last part may be truncated.
    pub closed: bool,
}

impl<'a> Multipart<'a> {
    /// The `start` parameter (the root part's Content-ID), without angle brackets.
    pub fn start(&self) -> Option<&str> {
        self.content_type.param("start").map(bare_cid)
    }

    /// The `type` parameter (the root part's type; `application/rlmi+xml` for lists).
    pub fn root_type(&self) -> Option<&str> {
        self.content_type.param("type")
    }

    /// The first part of this level whose Content-ID is `cid`. Angle brackets and a `cid:`
    /// prefix are ignored on both sides and the comparison is ASCII case-insensitive.
    pub fn part_by_cid(&self, cid: &str) -> Option<&Part<'a>> {
        let cid = bare_cid(cid);
        if cid.is_empty() {
            return None;
        }
        self.parts.iter().find(|p| p.content_id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(cid)))
    }
}

/// Splits `body`, whose Content-Type header value is `content_type`, into its parts.
/// Parts that are multiparts themselves are split too (see [`Part::nested`]).
pub fn parse_multipart<'a>(content_type: &str, body: &'a [u8]) -> Result<Multipart<'a>, MultipartError> {
    parse_multipart_as(MediaType::parse(content_type)?, body)
}

/// [`parse_multipart`] with the Content-Type already read.
pub(crate) fn parse_multipart_as(content_type: MediaType, body: &[u8]) -> Result<Multipart<'_>, MultipartError> {
    if body.len() > MAX_MULTIPART_LEN {
        return Err(MultipartError::TooLarge);
    }
    let mut budget = MAX_PARTS;
    parse_level(content_type, body, 1, &mut budget)
}

fn parse_level<'a>(
    content_type: MediaType,
    body: &'a [u8],
    depth: usize,
    budget: &mut usize,
) -> Result<Multipart<'a>, MultipartError> {
    if !content_type.is_multipart() {
        return Err(MultipartError::NotMultipart(quote(&content_type.essence)));
    }
    if depth > MAX_DEPTH {
        return Err(MultipartError::TooDeep);
    }
    let boundary = content_type.param("boundary").ok_or(MultipartError::NoBoundary)?.to_owned();
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY_LEN || boundary.chars().any(char::is_control) {
        return Err(MultipartError::BadBoundary);
    }
    let (segments, closed) = split(body, boundary.as_bytes(), budget)?;
    let last = segments.len().saturating_sub(1);
    let mut parts = Vec::with_capacity(segments.len());
    for (i, segment) in segments.into_iter().enumerate() {
        let mut part = parse_part(segment, !closed && i == last)?;
        if let Some(inner) = part.content_type.as_ref().filter(|t| t.is_multipart()) {
            part.nested = Some(parse_level(inner.clone(), part.body, depth + 1, budget)?);
        }
        parts.push(part);
    }
    Ok(Multipart { content_type, boundary, parts, closed })
}

/// The two kinds of delimiter line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    /// `--boundary`: a part follows.
    Open,
    /// `--boundary--`: the epilogue follows.
    Close,
}

/// Is there a delimiter line at `pos` (a line start)? Returns its kind and where the next
/// line starts. A line that merely begins with the delimiter (`--boundaryX`) is not one.
fn delimiter_at(body: &[u8], pos: usize, boundary: &[u8]) -> Option<(Delimiter, usize)> {
    let rest = body.get(pos..)?.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let mut i = body.len() - rest.len();
    let kind = if rest.starts_with(b"--") {
        i += 2;
        Delimiter::Close
    } else {
        Delimiter::Open
    };
    while body.get(i).is_some_and(|&b| b == b' ' || b == b'\t') {
        i += 1;
    }
    match (body.get(i), body.get(i + 1)) {
        (None, _) => Some((kind, i)),
        (Some(b'\n'), _) => Some((kind, i + 1)),
        (Some(b'\r'), Some(b'\n')) => Some((kind, i + 2)),
        _ => None,
    }
}

/// `bytes` without one trailing line end (CRLF or LF).
fn strip_line_end(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r\n").or_else(|| bytes.strip_suffix(b"\n")).unwrap_or(bytes)
}

fn take_part(budget: &mut usize) -> Result<(), MultipartError> {
    *budget = budget.checked_sub(1).ok_or(MultipartError::TooManyParts)?;
    Ok(())
}

/// The parts' raw bytes (headers and content) and whether the close delimiter was seen.
fn split<'a>(body: &'a [u8], boundary: &[u8], budget: &mut usize) -> Result<(Vec<&'a [u8]>, bool), MultipartError> {
    let mut segments = Vec::new();
    let mut current: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        if let Some((kind, next)) = delimiter_at(body, pos, boundary) {
            if let Some(start) = current {
                take_part(budget)?;
                // The line end before a delimiter belongs to the delimiter.
                segments.push(strip_line_end(&body[start..pos]));
            }
            if kind == Delimiter::Close {
                return Ok((segments, true));
            }
            current = Some(next);
            pos = next;
            continue;
        }
        match body[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos += i + 1,
            None => break,
        }
    }
    let Some(start) = current else {
        return Err(MultipartError::NoDelimiter);
    };
    // No close delimiter: the last part runs to the end, unless nothing but white space
    // follows the last delimiter (`--boundary` written where `--boundary--` belonged).
    let rest = strip_line_end(&body[start.min(body.len())..]);
    if !rest.iter().all(u8::is_ascii_whitespace) {
        take_part(budget)?;
        segments.push(rest);
    }
    Ok((segments, false))
}

/// Reads one part's header block and locates its content. `unterminated` is set for the
/// last part of a body without a close delimiter.
fn parse_part(segment: &[u8], unterminated: bool) -> Result<Part<'_>, MultipartError> {
    // A cut-off body ends in the headers or right after them: say so rather than complain
    // about the half header line.
    let has_empty_line = segment.starts_with(b"\n")
        || segment.starts_with(b"\r\n")
        || segment.windows(2).any(|w| w == b"\n\n")
        || segment.windows(3).any(|w| w == b"\n\r\n");
    if unterminated && !has_empty_line {
        return Err(MultipartError::Truncated);
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut pos = 0;
    let mut content_start = None;
    while pos < segment.len() {
        let (line, next) = match segment[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => (&segment[pos..pos + i], pos + i + 1),
            None => (&segment[pos..], segment.len()),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            content_start = Some(next);
            break;
        }
        if next > MAX_PART_HEADER_LEN {
            return Err(MultipartError::HeadersTooLarge);
        }
        if line[0] == b' ' || line[0] == b'\t' {
            let Some((_, value)) = headers.last_mut() else {
                return Err(MultipartError::BadPartHeader("a folded line before any header".to_owned()));
            };
            value.push(' ');
            value.push_str(String::from_utf8_lossy(line).trim());
        } else {
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Err(MultipartError::BadPartHeader("a line without a colon".to_owned()));
            };
            let name = line[..colon].trim_ascii_end();
            if name.is_empty() || !name.iter().all(u8::is_ascii_graphic) {
                return Err(MultipartError::BadPartHeader("a header name that is not a token".to_owned()));
            }
            let value = String::from_utf8_lossy(&line[colon + 1..]).trim().to_owned();
            headers.push((String::from_utf8_lossy(name).into_owned(), value));
        }
        pos = next;
    }
    let mut content_type = None;
    let mut content_id = None;
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("content-type") {
            if content_type.is_none() {
                content_type = Some(MediaType::parse(value)?);
            }
        } else if name.eq_ignore_ascii_case("content-id") {
            if content_id.is_none() {
                content_id = Some(bare_cid(value).to_owned());
            }
        } else if name.eq_ignore_ascii_case("content-transfer-encoding")
            && !["binary", "8bit", "7bit"].iter().any(|identity| value.eq_ignore_ascii_case(identity))
        {
            return Err(MultipartError::UnsupportedEncoding(quote(value)));
        }
    }
    let body = &segment[content_start.unwrap_or(segment.len()).min(segment.len())..];
    Ok(Part { headers, content_type, content_id, body, nested: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/related;type=\"application/rlmi+xml\";boundary=b1";

    #[test]
    fn media_type_reads_quoted_folded_and_sloppy_values() {
        let t = MediaType::parse(
            "Multipart/Related ; type=\"application/rlmi+xml\";\r\n    start=\"<nXYxAE@pres>\" ;; boundary=\"50UB\\\"z\";x",
        )
        .unwrap();
        assert_eq!(t.essence, "multipart/related");
        assert_eq!(t.param("TYPE"), Some("application/rlmi+xml"));
        assert_eq!(t.param("start"), Some("<nXYxAE@pres>"));
        assert_eq!(t.param("boundary"), Some("50UB\"z"));
        assert_eq!(t.param("x"), None);
        let unquoted = MediaType::parse("multipart/related;boundary==_Part_1.2;type=application/rlmi+xml").unwrap();
        assert_eq!(unquoted.param("boundary"), Some("=_Part_1.2"));
        assert!(unquoted.is("MULTIPART/RELATED"));
    }

    #[test]
    fn media_type_round_trips_through_display() {
        for value in
            [CT, "multipart/signed;protocol=\"application/pkcs7-signature\";boundary=\"a b\\\\c\"", "text/plain"]
        {
            let t = MediaType::parse(value).unwrap();
            assert_eq!(MediaType::parse(&t.to_string()).unwrap(), t, "{t}");
        }
    }

    #[test]
    fn media_type_errors() {
        for value in ["", "multipart", "multi part/related", "a/b;c=\"open", "a/b;c=\"x\"y", "a/b;=x", "a/b;c d=e"] {
            assert!(matches!(MediaType::parse(value), Err(MultipartError::BadContentType(_))), "{value:?}");
        }
    }

    #[test]
    fn crlf_parts_with_preamble_and_epilogue() {
        let body = b"preamble --b1 not a delimiter\r\n--b1\r\nContent-Type: text/plain\r\nContent-ID: <A@x>\r\n\r\none\r\n\r\n--b1  \r\nContent-ID: b@X\r\n\r\ntwo\r\n--b1--\r\nepilogue\r\n--b1\r\n";
        let m = parse_multipart(CT, body).unwrap();
        assert!(m.closed);
        assert_eq!(m.parts.len(), 2);
        assert_eq!(m.parts[0].body, b"one\r\n");
        assert_eq!(m.parts[0].content_id.as_deref(), Some("A@x"));
        assert_eq!(m.parts[1].body, b"two");
        assert_eq!(m.parts[1].content_type, None);
        assert_eq!(m.parts[1].content_type_or_default().essence, "text/plain");
        assert_eq!(m.part_by_cid("<a@X>").map(|p| p.body), Some(&b"one\r\n"[..]));
        assert_eq!(m.part_by_cid("cid:B@x").map(|p| p.body), Some(&b"two"[..]));
        assert!(m.part_by_cid("c@x").is_none());
        assert!(m.part_by_cid("<>").is_none());
    }

    #[test]
    fn lf_only_and_missing_close_delimiter() {
        let m = parse_multipart(CT, b"--b1\nContent-Type: text/plain\n\none\n--b1\nContent-ID: <2>\n\ntwo\n").unwrap();
        assert!(!m.closed);
        assert_eq!(m.parts.len(), 2);
        assert_eq!(m.parts[0].body, b"one");
        assert_eq!(m.parts[1].body, b"two");
        // `--b1` where `--b1--` belonged.
        let m = parse_multipart(CT, b"--b1\r\nContent-ID: <1>\r\n\r\none\r\n--b1\r\n").unwrap();
        assert!(!m.closed);
        assert_eq!(m.parts.len(), 1);
        assert_eq!(m.parts[0].body, b"one");
    }

    #[test]
    fn folded_headers_and_headers_only_parts() {
        let body = b"--b1\r\nContent-Type: multipart/signed;\r\n    protocol=\"application/pkcs7-signature\";\r\n\tboundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n--in--\r\n--b1--";
        let m = parse_multipart(CT, body).unwrap();
        let outer = &m.parts[0];
        let ct = outer.content_type.as_ref().unwrap();
        assert_eq!(ct.param("protocol"), Some("application/pkcs7-signature"));
        assert_eq!(ct.param("boundary"), Some("in"));
        let inner = outer.nested.as_ref().unwrap();
        assert_eq!(inner.parts.len(), 1);
        assert!(inner.parts[0].body.is_empty());
        assert_eq!(inner.parts[0].header("CONTENT-TYPE"), Some("text/plain"));
    }

    #[test]
    fn delimiter_must_be_a_whole_line() {
        let body = b"--b1\r\n\r\nx--b1\r\n--b1x\r\n--b1--x\r\n--b1--";
        let m = parse_multipart(CT, body).unwrap();
        assert_eq!(m.parts.len(), 1);
        assert_eq!(m.parts[0].body, b"x--b1\r\n--b1x\r\n--b1--x");
    }

    #[test]
    fn refusals() {
        let err = |ct: &str, body: &[u8]| parse_multipart(ct, body).unwrap_err();
        assert_eq!(err("multipart/related", b"--b1\r\n\r\nx\r\n--b1--"), MultipartError::NoBoundary);
        assert_eq!(err("multipart/related;boundary=\"\"", b"--\r\n"), MultipartError::BadBoundary);
        assert_eq!(
            err("application/pidf+xml", b"<presence/>"),
            MultipartError::NotMultipart("application/pidf+xml".into())
        );
        assert_eq!(err(CT, b"no delimiter here"), MultipartError::NoDelimiter);
        assert_eq!(err(CT, b""), MultipartError::NoDelimiter);
        assert_eq!(
            err(CT, b"--b1\r\n<?xml version=\"1.0\"?>\r\n<a/>\r\n--b1--"),
            MultipartError::BadPartHeader("a line without a colon".into())
        );
        assert!(matches!(err(CT, b"--b1\r\n folded\r\n\r\n--b1--"), MultipartError::BadPartHeader(_)));
        assert!(matches!(err(CT, b"--b1\r\n<list xmlns:r=\"x\">\r\n--b1--"), MultipartError::BadPartHeader(_)));
        assert_eq!(err(CT, b"--b1\r\nContent-Type: text/plain\r\nContent-I"), MultipartError::Truncated);
        assert_eq!(
            err(CT, b"--b1\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEvPg==\r\n--b1--"),
            MultipartError::UnsupportedEncoding("base64".into())
        );
        let mut long = b"--b1\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_PART_HEADER_LEN));
        long.extend_from_slice(b"\r\n\r\n--b1--");
        assert_eq!(err(CT, &long), MultipartError::HeadersTooLarge);
        let huge = vec![b'-'; MAX_MULTIPART_LEN + 1];
        assert_eq!(err(CT, &huge), MultipartError::TooLarge);
    }

    #[test]
    fn part_count_and_depth_are_bounded() {
        let mut body = Vec::new();
        for _ in 0..=MAX_PARTS {
            body.extend_from_slice(b"--b1\r\n\r\nx\r\n");
        }
        body.extend_from_slice(b"--b1--\r\n");
        assert_eq!(parse_multipart(CT, &body).unwrap_err(), MultipartError::TooManyParts);

        // Each level wraps the next one: level n has boundary `bn`.
        let mut body = b"--b5\r\n\r\nx\r\n--b5--".to_vec();
        for level in (1..=4).rev() {
            let mut outer =
                format!("--b{level}\r\nContent-Type: multipart/mixed;boundary=b{}\r\n\r\n", level + 1).into_bytes();
            outer.extend_from_slice(&body);
            outer.extend_from_slice(format!("\r\n--b{level}--").as_bytes());
            body = outer;
        }
        assert_eq!(parse_multipart(CT, &body).unwrap_err(), MultipartError::TooDeep);
        // One level less is fine.
        let inner_start = body.windows(4).position(|w| w == b"--b2").unwrap();
        let inner_end = body.len() - b"\r\n--b1--".len();
        let m = parse_multipart("multipart/mixed;boundary=b2", &body[inner_start..inner_end]).unwrap();
        assert_eq!(m.parts.len(), 1);
    }

    #[test]
    fn empty_parts_are_kept() {
        let m = parse_multipart(CT, b"--b1\r\n--b1\r\n\r\n--b1--").unwrap();
        assert_eq!(m.parts.len(), 2);
        assert!(m.parts.iter().all(|p| p.body.is_empty() && p.headers.is_empty()));
    }

    #[test]
    fn cid_forms() {
        assert_eq!(bare_cid(" <abc@host> "), "abc@host");
        assert_eq!(bare_cid("CID:abc@host"), "abc@host");
        assert_eq!(bare_cid("abc@host"), "abc@host");
        assert_eq!(bare_cid("é"), "é");
    }
}
