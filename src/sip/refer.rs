//! Call transfer pieces (RFC 3515 REFER, RFC 3891 Replaces, RFC 3420 sipfrag): the
//! Refer-To value of an attended transfer, the Replaces header of a pickup, and the status
//! line of a sipfrag NOTIFY body. Bodies and headers only: the dialog logic lives in
//! `invite.rs` and `ua/calls.rs`.

/// A dialog named by a Replaces header (RFC 3891 §6.1), from the point of view of the UA
/// that receives the INVITE: `to_tag` is its local tag, `from_tag` its remote tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// Call-ID of the dialog to replace.
    pub call_id: String,
    /// The recipient's local tag.
    pub to_tag: String,
    /// The recipient's remote tag.
    pub from_tag: String,
    /// Only an early dialog may be replaced (a pickup of a ringing call).
    pub early_only: bool,
}

impl Replaces {
    /// The header value: `call-id;to-tag=..;from-tag=..[;early-only]`.
    pub fn to_header(&self) -> String {
        let mut v = format!("{};to-tag={};from-tag={}", self.call_id, self.to_tag, self.from_tag);
        if self.early_only {
            v.push_str(";early-only");
        }
        v
    }

    /// Parses a Replaces header value; `None` when the Call-ID or a tag is missing.
    pub fn parse(v: &str) -> Option<Replaces> {
        let mut parts = v.split(';').map(str::trim);
        let call_id = parts.next().filter(|c| !c.is_empty())?.to_string();
        let (mut to_tag, mut from_tag, mut early_only) = (None, None, false);
        for p in parts {
            let (k, val) = p.split_once('=').map(|(k, v)| (k.trim(), v.trim())).unwrap_or((p, ""));
            match k.to_ascii_lowercase().as_str() {
                "to-tag" => to_tag = Some(val.to_string()),
                "from-tag" => from_tag = Some(val.to_string()),
                "early-only" => early_only = true,
                _ => {}
            }
        }
        Some(Replaces { call_id, to_tag: to_tag?, from_tag: from_tag?, early_only })
    }
}

/// Escapes a header value for use inside a URI's `?header=value` part (RFC 3261 §25.1:
/// everything but unreserved characters is %-escaped).
pub fn escape_uri_header(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undoes `%XX` escapes (invalid escapes are kept as they are).
pub fn unescape(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The Refer-To value of an attended transfer: `<target?Replaces=…>`.
pub fn refer_to_replacing(target: &str, replaces: &Replaces) -> String {
    format!("<{target}?Replaces={}>", escape_uri_header(&replaces.to_header()))
}

/// A Refer-To value taken apart: the URI to call and the Replaces header it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferTarget {
    /// The URI to INVITE (without URI headers).
    pub uri: String,
    /// The Replaces header for that INVITE (attended transfer).
    pub replaces: Option<Replaces>,
}

/// Parses a Refer-To header value (`<sip:x@y?Replaces=…>`, or a bare URI).
pub fn parse_refer_to(v: &str) -> Option<ReferTarget> {
    let v = v.trim();
    let inner = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if b > a => &v[a + 1..b],
        _ => v.split(';').next().unwrap_or(v),
    };
    let (uri, headers) = inner.split_once('?').unwrap_or((inner, ""));
    if !uri.contains(':') {
        return None;
    }
    let replaces = headers.split('&').find_map(|h| {
        let (k, val) = h.split_once('=')?;
        k.eq_ignore_ascii_case("replaces").then(|| Replaces::parse(&unescape(val))).flatten()
    });
    Some(ReferTarget { uri: uri.to_string(), replaces })
}

/// The status code of a `message/sipfrag` body (`SIP/2.0 180 Ringing`).
pub fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body).ok()?;
    let line = text.lines().next()?.trim();
    let mut parts = line.split_whitespace();
    if !parts.next()?.eq_ignore_ascii_case("SIP/2.0") {
        return None;
    }
    parts.next()?.parse().ok().filter(|c| (100..700).contains(c))
}

/// The body of a sipfrag NOTIFY reporting `code reason`.
pub fn sipfrag(code: u16, reason: &str) -> String {
    format!("SIP/2.0 {code} {reason}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_round_trips_through_refer_to() {
        let r = Replaces { call_id: "a@b".into(), to_tag: "t1".into(), from_tag: "f;1".into(), early_only: false };
        let v = refer_to_replacing("sip:1003@pbx.test", &r);
        assert_eq!(v, "<sip:1003@pbx.test?Replaces=a%40b%3Bto-tag%3Dt1%3Bfrom-tag%3Df%3B1>");
        let t = parse_refer_to(&v).unwrap();
        assert_eq!(t.uri, "sip:1003@pbx.test");
        // `f;1` is not a valid tag; it comes back cut at the `;` rather than crashing.
        assert_eq!(t.replaces.unwrap().call_id, "a@b");
        let plain = parse_refer_to("<sip:2000@pbx.test>").unwrap();
        assert_eq!(plain, ReferTarget { uri: "sip:2000@pbx.test".into(), replaces: None });
        assert!(parse_refer_to("garbage").is_none());
    }

    #[test]
    fn replaces_header_and_sipfrag() {
        let r = Replaces::parse("abc@host;from-tag=F;to-tag=T;early-only").unwrap();
        assert_eq!((r.to_tag.as_str(), r.from_tag.as_str(), r.early_only), ("T", "F", true));
        assert_eq!(Replaces::parse("abc@host;to-tag=T"), None);
        assert_eq!(sipfrag_status(b"SIP/2.0 200 OK\r\n"), Some(200));
        assert_eq!(sipfrag_status(b"SIP/2.0 100 Trying"), Some(100));
        assert_eq!(sipfrag_status(b"hello"), None);
        assert_eq!(unescape("a%3Bb%zz"), "a;b%zz");
    }
}
