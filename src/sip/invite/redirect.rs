//! Forwarding an incoming call: 302 Moved Temporarily (RFC 3261 §21.3.3) with the forward
//! target as Contact and the diversion history in both forms a caller or PBX may read —
//! `Diversion` (RFC 5806) and `History-Info` (RFC 7044) — optionally announced first with 181
//! Call Is Being Forwarded (for call forward no answer, as many PBXs do; the user agent
//! decides how long after the 181 the 302 follows).
//!
//! History-Info of a fresh call (no History-Info in the INVITE):
//!
//! ```text
//! History-Info: <sip:1001@pbx?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22>;index=1,
//!  <sip:2000@pbx;cause=486>;index=1.1;mp=1
//! ```
//!
//! The first entry is the original target (our address of record) with the response that
//! retargeted it as an escaped `Reason` header (RFC 7044 §10.2); the second is the forward
//! target, "mapped" from the first (`mp`, §10.3), with the RFC 4458 `cause` URI parameter
//! saying why: 302 unconditional, 486 user busy, 408 no reply (the RFC 7544 mapping of the
//! Diversion reasons). When the INVITE already carries History-Info (a proxy or PBX keeps
//! one), its entries are kept, the last one gets the `Reason`, and the forward target becomes
//! its child (`index=<last>.1;mp=<last>`). Earlier Diversion entries are kept too, after ours
//! (the newest diversion comes first, RFC 5806 §4).

use super::{CallState, InviteSession};
use crate::sip::message::{Request, name};
use crate::sip::refer::escape_uri_header;
use ezk_sip_types::Name;

/// Most History-Info entries continued from an INVITE (more: we start a fresh history).
const MAX_HISTORY: usize = 32;
/// Deepest index continued (`1.1.1…`, counted in levels).
const MAX_INDEX_LEVELS: usize = 16;
/// Most earlier Diversion entries kept.
const MAX_DIVERSIONS: usize = 16;

/// Why a call is diverted, as the two headers say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiversionCause {
    /// Call forward unconditional (always).
    Unconditional,
    /// Call forward busy.
    UserBusy,
    /// Call forward no answer (the ring timeout passed).
    NoAnswer,
    /// Sent on by the user while it rang (call deflection).
    Deflection,
}

impl DiversionCause {
    /// The Diversion `reason` (RFC 5806 §4).
    pub fn reason(self) -> &'static str {
        match self {
            DiversionCause::Unconditional => "unconditional",
            DiversionCause::UserBusy => "user-busy",
            DiversionCause::NoAnswer => "no-answer",
            DiversionCause::Deflection => "deflection",
        }
    }

    /// The RFC 4458 `cause` URI parameter (as RFC 7544 maps the Diversion reasons).
    pub fn cause(self) -> u16 {
        match self {
            DiversionCause::Unconditional => 302,
            DiversionCause::UserBusy => 486,
            DiversionCause::NoAnswer => 408,
            // RFC 4458: deflection during alerting.
            DiversionCause::Deflection => 480,
        }
    }
}

/// A forward of an incoming call, ready to send (see the module docs for the header forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The forward target (the 302's Contact), a SIP URI.
    pub target: String,
    /// The `Diversion` header value.
    pub diversion: String,
    /// The `History-Info` header value.
    pub history_info: String,
}

impl Redirect {
    /// The forward of `invite` (whose History-Info and Diversion are continued) from
    /// `diverting` (our address of record, the original target) to `target` for `cause`.
    pub fn new(invite: &Request, diverting: &str, target: &str, cause: DiversionCause) -> Redirect {
        let prior_history: Vec<String> =
            invite.headers.get_raw(&name("History-Info")).map(|v| v.as_str().to_string()).collect();
        let prior_diversion: Vec<String> =
            invite.headers.get_raw(&name("Diversion")).map(|v| v.as_str().to_string()).collect();
        let target = safe_uri(target);
        Redirect {
            diversion: diversion(diverting, cause, &prior_diversion),
            history_info: history_info(diverting, &target, cause, &prior_history),
            target,
        }
    }
}

/// The Diversion value: `<diverting>;reason=…;counter=1`, then the `prior` values (from the
/// INVITE, up to 16) as they were.
pub fn diversion(diverting: &str, cause: DiversionCause, prior: &[String]) -> String {
    let mut out = format!("<{}>;reason={};counter=1", safe_uri(diverting), cause.reason());
    for p in prior.iter().flat_map(|v| split_entries(v)).take(MAX_DIVERSIONS) {
        out.push_str(", ");
        out.push_str(&p);
    }
    out
}

/// The History-Info value for a forward from `original` to `target` for `cause`, continuing
/// the `prior` History-Info values of the INVITE when they are well-formed.
pub fn history_info(original: &str, target: &str, cause: DiversionCause, prior: &[String]) -> String {
    let reason = escape_uri_header("SIP;cause=302;text=\"Moved Temporarily\"");
    let forwarded = with_cause(&safe_uri(target), cause.cause());
    if let Some(mut entries) = prior_entries(prior) {
        // prior_entries never returns an empty list.
        let last = entries.len() - 1;
        let parent = entries[last].1.clone();
        entries[last].0 = add_reason(&entries[last].0, &reason);
        let mut out: Vec<String> = entries.into_iter().map(|(e, _)| e).collect();
        out.push(format!("<{forwarded}>;index={parent}.1;mp={parent}"));
        return out.join(",");
    }
    let first = with_header(&safe_uri(original), "Reason", &reason);
    format!("<{first}>;index=1,<{forwarded}>;index=1.1;mp=1")
}

/// The entries of the INVITE's History-Info with their index, or `None` when there are none,
/// too many, or one has no valid `index` (then a fresh history is better than a broken one).
fn prior_entries(prior: &[String]) -> Option<Vec<(String, String)>> {
    let entries: Vec<String> = prior.iter().flat_map(|v| split_entries(v)).collect();
    if entries.is_empty() || entries.len() > MAX_HISTORY {
        return None;
    }
    entries
        .into_iter()
        .map(|e| {
            let index = entry_index(&e)?;
            Some((e, index))
        })
        .collect()
}

/// Byte positions of the `<` and `>` around the URI of a name-addr entry (a quoted display
/// name may hold either character).
fn uri_span(entry: &str) -> Option<(usize, usize)> {
    let mut quote = false;
    let mut escaped = false;
    for (i, c) in entry.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote => escaped = true,
            '"' => quote = !quote,
            '<' if !quote => return entry[i..].find('>').map(|j| (i, i + j)),
            _ => {}
        }
    }
    None
}

/// The `index` parameter of one History-Info entry (`<uri>;index=1.2`), when valid.
fn entry_index(entry: &str) -> Option<String> {
    let (_, close) = uri_span(entry)?;
    let idx = entry[close + 1..].split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("index").then(|| v.trim().to_string())
    })?;
    let levels: Vec<&str> = idx.split('.').collect();
    let valid = levels.len() <= MAX_INDEX_LEVELS
        && levels.iter().all(|l| !l.is_empty() && l.len() <= 4 && l.bytes().all(|b| b.is_ascii_digit()));
    valid.then_some(idx)
}

/// Adds the escaped Reason to the URI of a History-Info entry unless it has one.
fn add_reason(entry: &str, escaped_reason: &str) -> String {
    let Some((a, b)) = uri_span(entry) else { return entry.to_string() };
    let uri = &entry[a + 1..b];
    let has_reason = uri.split_once('?').is_some_and(|(_, h)| {
        h.split('&').any(|kv| kv.split('=').next().is_some_and(|k| k.eq_ignore_ascii_case("reason")))
    });
    if has_reason {
        return entry.to_string();
    }
    format!("{}<{}>{}", &entry[..a], with_header(uri, "Reason", escaped_reason), &entry[b + 1..])
}

/// Splits a header value into its comma-separated entries (commas inside `<…>` and quotes
/// do not count). Empty entries are dropped.
fn split_entries(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut angle, mut quote, mut escaped) = (false, false, false);
    let mut cur = String::new();
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote => escaped = true,
            '"' if !angle => quote = !quote,
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            ',' if !quote && !angle => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect()
}

/// `uri` with `;cause=N` among its parameters (before any `?headers`), replacing an earlier
/// cause. Only SIP and SIPS URIs take it; others are returned as they are.
fn with_cause(uri: &str, cause: u16) -> String {
    let lower = uri.to_ascii_lowercase();
    if !(lower.starts_with("sip:") || lower.starts_with("sips:")) {
        return uri.to_string();
    }
    let (base, headers) = match uri.split_once('?') {
        Some((b, h)) => (b, Some(h)),
        None => (uri, None),
    };
    let mut parts = base.split(';');
    let mut out = parts.next().unwrap_or_default().to_string();
    for p in parts.filter(|p| !p.split('=').next().unwrap_or_default().eq_ignore_ascii_case("cause")) {
        out.push(';');
        out.push_str(p);
    }
    out.push_str(&format!(";cause={cause}"));
    if let Some(h) = headers {
        out.push('?');
        out.push_str(h);
    }
    out
}

/// `uri` with the header `name=escaped_value` among its `?headers`.
fn with_header(uri: &str, name: &str, escaped_value: &str) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{name}={escaped_value}")
}

/// A URI fit to stand between `<` and `>`: blanks, controls, quotes and angle brackets are
/// %-escaped (our targets never have them; a hand-written one might).
fn safe_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for c in uri.trim().chars() {
        if c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl InviteSession {
    /// The forward of this incoming call (continuing the diversion history of its INVITE)
    /// from `diverting` to `target`; `None` for calls we made.
    pub fn redirect_for(&self, diverting: &str, target: &str, cause: DiversionCause) -> Option<Redirect> {
        self.incoming_invite.as_ref().map(|i| Redirect::new(i, diverting, target, cause))
    }

    /// Announces the forward with 181 Call Is Being Forwarded carrying the History-Info
    /// (reliable if the caller required 100rel; not sent while an earlier reliable response
    /// awaits its PRACK, RFC 3262 §3). The call stays ringing here until
    /// [`InviteSession::redirect`]; returns whether the 181 went out.
    pub fn announce_forward(&mut self, r: &Redirect) -> bool {
        if self.state != CallState::Incoming {
            return false;
        }
        let mut p = self.build_response(181, "Call Is Being Forwarded", None);
        p.headers.insert(name("History-Info"), r.history_info.clone());
        let sent = self.make_reliable(&mut p);
        if sent {
            self.responses.push_back(p);
        }
        sent
    }

    /// Forwards an incoming call as `r` says: 302 Moved Temporarily with the target as
    /// Contact, Diversion and History-Info. Nothing happens unless the call is still ringing
    /// here.
    pub fn redirect(&mut self, r: &Redirect) {
        if self.state != CallState::Incoming {
            return;
        }
        let mut f = self.build_response(302, "Moved Temporarily", None);
        f.headers.insert(Name::CONTACT, format!("<{}>", r.target));
        f.headers.insert(name("Diversion"), r.diversion.clone());
        f.headers.insert(name("History-Info"), r.history_info.clone());
        self.responses.push_back(f);
        self.end(Some(302), "Moved Temporarily");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REASON: &str = "Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22";

    #[test]
    fn fresh_history_for_each_cause() {
        for (cause, code) in
            [(DiversionCause::Unconditional, 302), (DiversionCause::UserBusy, 486), (DiversionCause::NoAnswer, 408)]
        {
            let h = history_info("sip:1001@pbx.test", "sip:2000@pbx.test", cause, &[]);
            assert_eq!(
                h,
                format!("<sip:1001@pbx.test?{REASON}>;index=1,<sip:2000@pbx.test;cause={code}>;index=1.1;mp=1")
            );
        }
    }

    #[test]
    fn cause_goes_before_uri_headers_and_replaces_an_old_one() {
        assert_eq!(with_cause("sip:vm@pbx;user=phone;cause=404?X=1", 486), "sip:vm@pbx;user=phone;cause=486?X=1");
        assert_eq!(with_cause("tel:+4930123", 302), "tel:+4930123");
        assert_eq!(with_header("sip:a@b?X=1", "Reason", "r"), "sip:a@b?X=1&Reason=r");
    }

    #[test]
    fn unsafe_characters_are_escaped() {
        let h = history_info("sip:1001@pbx", "sip:a b\"<c>@pbx", DiversionCause::UserBusy, &[]);
        assert!(h.contains("<sip:a%20b%22%3Cc%3E@pbx;cause=486>;index=1.1"), "{h}");
        assert_eq!(split_entries(&h).len(), 2, "{h}");
    }

    #[test]
    fn prior_history_is_continued() {
        let prior = vec![
            "<sip:1001@pbx.test>;index=1".to_string(),
            "\"Desk, <front>\" <sip:1001@10.0.0.5:5060>;index=1.1;rc=1".to_string(),
        ];
        let h = history_info("sip:1001@pbx.test", "sip:2000@pbx.test", DiversionCause::NoAnswer, &prior);
        assert_eq!(
            h,
            format!(
                "<sip:1001@pbx.test>;index=1,\"Desk, <front>\" <sip:1001@10.0.0.5:5060?{REASON}>;index=1.1;rc=1,\
<sip:2000@pbx.test;cause=408>;index=1.1.1;mp=1.1"
            )
        );
        // An entry that already has a Reason keeps it; a bad index starts afresh.
        let with_reason = vec!["<sip:1001@pbx.test?Reason=SIP%3Bcause%3D480>;index=1".to_string()];
        let h = history_info("sip:1001@pbx.test", "sip:2000@pbx.test", DiversionCause::Unconditional, &with_reason);
        assert!(h.starts_with("<sip:1001@pbx.test?Reason=SIP%3Bcause%3D480>;index=1,"), "{h}");
        let bad = vec!["<sip:x@y>;index=one".to_string()];
        let h = history_info("sip:1001@pbx.test", "sip:2000@pbx.test", DiversionCause::Unconditional, &bad);
        assert!(h.starts_with(&format!("<sip:1001@pbx.test?{REASON}>;index=1,")), "{h}");
    }

    #[test]
    fn diversion_keeps_earlier_entries_after_ours() {
        let d = diversion(
            "sip:1001@pbx",
            DiversionCause::NoAnswer,
            &["<sip:1000@pbx>;reason=unconditional;counter=1".to_string()],
        );
        assert_eq!(d, "<sip:1001@pbx>;reason=no-answer;counter=1, <sip:1000@pbx>;reason=unconditional;counter=1");
    }
}
