//! Click-to-call links: what `lampboard tel:+49-30-123` (or `sip:`, `sips:`, `callto:`) means
//! as a dial target for `Command::Dial`.
//!
//! * `tel:` (RFC 3966): the number with its visual separators (`-`, `.`, `(`, `)`, spaces)
//!   stripped and its parameters (`;phone-context=…`, `;ext=…`) dropped; a leading `+` kept.
//! * `sip:`/`sips:`: the URI kept as it is (scheme lower-cased, a `//` some pages put after
//!   the colon removed), except its header part (`?subject=…`), which a link must not be able
//!   to put into our INVITE.
//! * `callto:` (and `callto://`): a phone number is cleaned like `tel:`, `user@host` becomes a
//!   `sip:` URI, anything else (an extension, a name) is dialled as it is.
//!
//! Percent-encoding (`%20`, `%2B`) is decoded first. Pure functions, no I/O.

use std::fmt;

/// The link schemes Lampboard handles (registered as URL handler on every desktop).
pub const SCHEMES: [&str; 4] = ["sip", "sips", "tel", "callto"];

/// Longest link accepted (a phone number or SIP URI is far shorter).
const MAX_LEN: usize = 2048;

/// Why a link cannot be dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not one of [`SCHEMES`].
    NotACallLink,
    /// Longer than any real number or URI.
    TooLong,
    /// Nothing to dial after the scheme.
    Empty,
    /// A character that has no place in a number (for `tel:` and phone-like `callto:`).
    BadNumber(char),
    /// A broken percent escape or non-UTF-8 bytes.
    BadEscape,
    /// Whitespace or control characters inside a SIP URI.
    BadUri,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NotACallLink => write!(f, "not a sip:, sips:, tel: or callto: link"),
            UrlError::TooLong => write!(f, "the link is longer than {MAX_LEN} characters"),
            UrlError::Empty => write!(f, "the link has nothing to dial"),
            UrlError::BadNumber(c) => write!(f, "{c:?} does not belong in a phone number"),
            UrlError::BadEscape => write!(f, "the link has a broken %-escape"),
            UrlError::BadUri => write!(f, "the SIP URI contains spaces or control characters"),
        }
    }
}

impl std::error::Error for UrlError {}

/// The scheme of `arg` when it is one of [`SCHEMES`] (lower-case), else `None`. Cheap test
/// for `main`: only such arguments go the click-to-call route.
pub fn call_scheme(arg: &str) -> Option<&'static str> {
    let (scheme, _) = arg.split_once(':')?;
    SCHEMES.into_iter().find(|s| s.eq_ignore_ascii_case(scheme))
}

/// The dial target a click-to-call link stands for (see the module docs).
pub fn dial_target(link: &str) -> Result<String, UrlError> {
    let link = link.trim();
    if link.len() > MAX_LEN {
        return Err(UrlError::TooLong);
    }
    let scheme = call_scheme(link).ok_or(UrlError::NotACallLink)?;
    // `call_scheme` found a ':' right after the scheme.
    let rest = &link[scheme.len() + 1..];
    let rest = percent_decode(rest)?;
    let rest = rest.trim();
    match scheme {
        "tel" => clean_number(rest.split(';').next().unwrap_or_default()),
        "sip" | "sips" => sip_uri(scheme, rest),
        _ => callto(rest),
    }
}

fn sip_uri(scheme: &str, rest: &str) -> Result<String, UrlError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or_default().trim_end_matches('/');
    if rest.is_empty() || rest.starts_with('@') || rest.starts_with(';') {
        return Err(UrlError::Empty);
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::BadUri);
    }
    Ok(format!("{scheme}:{rest}"))
}

fn callto(rest: &str) -> Result<String, UrlError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    // `callto://+4930123/` and Skype-style `callto:name?call`.
    let rest = rest.split('?').next().unwrap_or_default().trim().trim_end_matches('/');
    if rest.is_empty() {
        return Err(UrlError::Empty);
    }
    if let Some(inner) = call_scheme(rest) {
        // `callto:sip:alice@example.com`: the inner link decides.
        return match inner {
            "callto" => Err(UrlError::NotACallLink),
            _ => dial_target(rest),
        };
    }
    let phone_like = rest.chars().all(|c| c.is_ascii_digit() || is_separator(c) || "+*#".contains(c))
        && rest.chars().any(|c| c.is_ascii_digit());
    if phone_like {
        return clean_number(rest);
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::BadUri);
    }
    if rest.contains('@') { Ok(format!("sip:{rest}")) } else { Ok(rest.to_owned()) }
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '(' | ')' | ' ' | '\u{a0}' | '/')
}

/// A phone number without its visual separators: `+`, digits, `*`, `#` and the DTMF letters
/// `A`–`D` stay (a `+` only in front).
fn clean_number(s: &str) -> Result<String, UrlError> {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        match c {
            '0'..='9' | '*' | '#' => out.push(c),
            'a'..='d' | 'A'..='D' => out.push(c.to_ascii_uppercase()),
            '+' if out.is_empty() => out.push(c),
            c if is_separator(c) => {}
            c => return Err(UrlError::BadNumber(c)),
        }
    }
    if out.is_empty() || out == "+" {
        return Err(UrlError::Empty);
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(UrlError::BadEscape)?;
            let hex = std::str::from_utf8(hex).map_err(|_| UrlError::BadEscape)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| UrlError::BadEscape)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::BadEscape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_separators_go_parameters_drop() {
        assert_eq!(dial_target("tel:+49-30-123").unwrap(), "+4930123");
        assert_eq!(dial_target("TEL:+49 (30) 123.45").unwrap(), "+493012345");
        assert_eq!(dial_target("tel:7042;phone-context=example.com").unwrap(), "7042");
        assert_eq!(dial_target("tel:%2B49%2030%20123").unwrap(), "+4930123");
        assert_eq!(dial_target("tel:*48#").unwrap(), "*48#");
    }

    #[test]
    fn tel_rejects_what_is_no_number() {
        assert_eq!(dial_target("tel:"), Err(UrlError::Empty));
        assert_eq!(dial_target("tel:+"), Err(UrlError::Empty));
        assert_eq!(dial_target("tel:49+30"), Err(UrlError::BadNumber('+')));
        assert_eq!(dial_target("tel:0800-CALL-ME"), Err(UrlError::BadNumber('L')));
        assert_eq!(dial_target("tel:12%G1"), Err(UrlError::BadEscape));
        assert_eq!(dial_target("tel:12%4"), Err(UrlError::BadEscape));
    }

    #[test]
    fn sip_uris_are_kept_without_headers() {
        assert_eq!(dial_target("sip:alice@example.com").unwrap(), "sip:alice@example.com");
        assert_eq!(
            dial_target("SIPS:alice@example.com;transport=tls").unwrap(),
            "sips:alice@example.com;transport=tls"
        );
        assert_eq!(dial_target("sip://7001@pbx.local/").unwrap(), "sip:7001@pbx.local");
        assert_eq!(dial_target("sip:bob@example.com?subject=x&priority=urgent").unwrap(), "sip:bob@example.com");
        assert_eq!(dial_target("sip:"), Err(UrlError::Empty));
        assert_eq!(dial_target("sip:bob%20smith@example.com"), Err(UrlError::BadUri));
    }

    #[test]
    fn callto_forms() {
        assert_eq!(dial_target("callto:+49-30-123").unwrap(), "+4930123");
        assert_eq!(dial_target("callto://+49 30 123/").unwrap(), "+4930123");
        assert_eq!(dial_target("callto:alice@example.com").unwrap(), "sip:alice@example.com");
        assert_eq!(dial_target("callto://7001").unwrap(), "7001");
        assert_eq!(dial_target("callto:reception?call").unwrap(), "reception");
        assert_eq!(dial_target("callto:sip:bob@example.com").unwrap(), "sip:bob@example.com");
        assert_eq!(dial_target("callto:callto:1"), Err(UrlError::NotACallLink));
        assert_eq!(dial_target("callto://"), Err(UrlError::Empty));
    }

    #[test]
    fn other_arguments_are_not_links() {
        assert_eq!(call_scheme("--demo"), None);
        assert_eq!(call_scheme("watch"), None);
        assert_eq!(call_scheme("http://example.com"), None);
        assert_eq!(call_scheme("Tel:1"), Some("tel"));
        assert_eq!(dial_target("mailto:a@b"), Err(UrlError::NotACallLink));
        assert_eq!(dial_target(&format!("tel:{}", "1".repeat(3000))), Err(UrlError::TooLong));
    }
}
