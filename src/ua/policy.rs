//! What happens to an incoming call before it rings: the hook through which the forwarding
//! rules (DND, CFU, CFB, CFNA, whitelists) act on calls to this softphone.
//!
//! The user agent stays sans-IO: the policy is an object the driver hands in. It may read
//! the wall clock (time conditions need the local date and time); the user agent only tells
//! it who calls, whether we are busy and whether the call has rung out.

use crate::sip::invite::DiversionCause;
use crate::sip::message::{Request, name};
use std::sync::Arc;
use std::time::Duration;

/// An incoming call as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    /// The caller's number (user part of P-Asserted-Identity or From), e.g. `1005`.
    pub caller: String,
    /// The caller as shown (display name and URI).
    pub remote: String,
    /// True when another call is in progress on this account.
    pub busy: bool,
    /// True when the call has rung for the whole ring timeout without an answer.
    pub rung_out: bool,
}

/// Why a call is forwarded (RFC 5806 Diversion reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardKind {
    /// Call Forward Always.
    Unconditional,
    /// Call Forward Busy.
    Busy,
    /// Call Forward No Answer.
    NoAnswer,
    /// Forwarded by the user while it rang (the incoming-call panel's Forward).
    Deflection,
}

impl ForwardKind {
    /// The `reason` parameter of the Diversion header.
    pub fn diversion_reason(self) -> &'static str {
        match self {
            ForwardKind::Unconditional => "unconditional",
            ForwardKind::Busy => "user-busy",
            ForwardKind::NoAnswer => "no-answer",
            ForwardKind::Deflection => "deflection",
        }
    }

    /// The same reason for the Diversion and History-Info headers of the 302.
    pub fn cause(self) -> DiversionCause {
        match self {
            ForwardKind::Unconditional => DiversionCause::Unconditional,
            ForwardKind::Busy => DiversionCause::UserBusy,
            ForwardKind::NoAnswer => DiversionCause::NoAnswer,
            ForwardKind::Deflection => DiversionCause::Deflection,
        }
    }
}

/// What to do with an incoming call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Let it ring.
    Ring,
    /// Answer with 302 Moved Temporarily to `target` (a number or a SIP URI), with Diversion
    /// and History-Info; for CFNA 181 first when [`CallPolicy::cfna_181`] says so.
    Forward {
        /// Where the call goes.
        target: String,
        /// Which forward rule.
        kind: ForwardKind,
        /// A short reason for the UI and the log.
        reason: String,
    },
    /// Reject with `code` (486 for Do Not Disturb, or 480).
    Reject {
        /// The SIP status code.
        code: u16,
        /// A short reason for the UI and the log.
        reason: String,
    },
}

/// Decides what happens to incoming calls (the forwarding rules, enforced locally).
pub trait CallPolicy: Send + Sync {
    /// The decision for `call` now.
    fn decide(&self, call: &IncomingCall) -> Disposition;
    /// After how long an unanswered call counts as rung out (`None`: never).
    fn ring_timeout(&self) -> Option<Duration>;
    /// Whether call forward no answer sends 181 Call Is Being Forwarded before its 302
    /// (default: no, the 302 alone).
    fn cfna_181(&self) -> bool {
        false
    }
}

/// A shareable policy (cloned into the engine configuration).
#[derive(Clone)]
pub struct PolicyHandle(pub Arc<dyn CallPolicy>);

impl std::fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PolicyHandle")
    }
}

/// The caller's number: the user part of P-Asserted-Identity, else of From (`tel:` numbers
/// as they are). Falls back to the whole URI when it has no user part.
pub fn caller_number(invite: &Request) -> String {
    let pai = invite.header(&name("P-Asserted-Identity")).map(str::to_string);
    let uri = pai
        .as_deref()
        .and_then(|v| uri_in(v).map(str::to_string))
        .or_else(|| invite.from_addr().map(|a| a.uri))
        .unwrap_or_default();
    user_part(&uri)
}

fn uri_in(v: &str) -> Option<&str> {
    let v = v.split(',').next()?.trim();
    match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if b > a => Some(&v[a + 1..b]),
        _ => Some(v.split(';').next().unwrap_or(v).trim()),
    }
}

/// `sip:1005@pbx;user=phone` → `1005`; `tel:+4930123` → `+4930123`.
pub fn user_part(uri: &str) -> String {
    let rest = uri.split_once(':').map(|(s, r)| if s.len() <= 4 { r } else { uri }).unwrap_or(uri);
    let rest = rest.split(['?', '>']).next().unwrap_or(rest);
    let user = match rest.split_once('@') {
        Some((u, _)) => u,
        None => rest.split(';').next().unwrap_or(rest),
    };
    user.split(';').next().unwrap_or(user).to_string()
}

#[cfg(test)]
mod tests {
    use super::user_part;

    #[test]
    fn user_parts() {
        assert_eq!(user_part("sip:1005@pbx.test;user=phone"), "1005");
        assert_eq!(user_part("sips:alice@example.com"), "alice");
        assert_eq!(user_part("tel:+4930123;phone-context=x"), "+4930123");
        assert_eq!(user_part("sip:pbx.test"), "pbx.test");
    }
}
