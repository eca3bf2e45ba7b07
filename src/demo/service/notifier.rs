//! The demo service's presence agent, sans-IO: RFC 6665 subscriptions to the `presence` and
//! `dialog` packages (accept, refresh, expiry, unsubscribe) with the NOTIFY requests they
//! need, and RFC 3903 publications (PUBLISH with PIDF, SIP-ETag, SIP-If-Match refresh,
//! `Expires: 0` removal). Bodies come from the caller: this file knows dialogs, not states.

use crate::presence::parse_presence;
use crate::sip::addr::NameAddr;
use crate::sip::message::{Request, Response, name};
use crate::sip::transport::Destination;
use crate::sip::via::Via;
use crate::ua::lamps::Package;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Longest subscription or publication granted, in seconds.
pub const MAX_EXPIRES: u32 = 3600;
/// Subscriptions kept at most (a bound against a watcher that never unsubscribes).
pub const MAX_SUBSCRIPTIONS: usize = 4096;

/// Identifies a subscription inside the service.
pub type SubKey = u64;

/// One watcher's subscription (the notifier side of the dialog).
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The watched user (extension).
    pub ext: String,
    /// The event package.
    pub package: Package,
    call_id: String,
    local_tag: String,
    remote_tag: String,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    dest: Destination,
    cseq: u32,
    remote_cseq: u32,
    expires_at: Instant,
    /// dialog-info `version` of the next NOTIFY.
    pub version: u32,
}

/// What a SUBSCRIBE led to.
#[derive(Debug)]
pub enum SubscribeOutcome {
    /// Accepted (new or refreshed): send the 200, then a NOTIFY with the current state;
    /// `ending` when the request had `Expires: 0` (that NOTIFY says `terminated`).
    Accepted {
        /// The 200.
        response: Response,
        /// The subscription.
        key: SubKey,
        /// True for an unsubscribe (or a fetch).
        ending: bool,
    },
    /// Refused with this response.
    Refused(Response),
}

/// One published state.
#[derive(Debug, Clone)]
struct Publication {
    ext: String,
    body: Bytes,
    expires_at: Instant,
}

/// Every subscription and publication of the service.
#[derive(Debug, Default)]
pub struct Notifier {
    subs: HashMap<SubKey, Subscription>,
    next_key: SubKey,
    publications: HashMap<String, Publication>,
}

impl Notifier {
    /// An empty notifier.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of live subscriptions.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// True when nobody is subscribed.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// Answers a SUBSCRIBE. `exists` says whether a user can be watched; `to_tag` is a fresh
    /// tag for a new dialog; `contact` is our Contact URI for the presentity.
    pub fn subscribe(
        &mut self,
        now: Instant,
        req: &Request,
        source: Destination,
        to_tag: &str,
        exists: impl Fn(&str) -> bool,
        contact: impl Fn(&str) -> String,
    ) -> SubscribeOutcome {
        let refuse = |code: u16, reason: &str| SubscribeOutcome::Refused(Response::to_request(req, code, reason, None));
        let event = req.header(&Name::EVENT).unwrap_or("").split(';').next().unwrap_or("").trim().to_owned();
        let Some(package) = Package::from_event(&event) else {
            let mut r = Response::to_request(req, 489, "Bad Event", Some(to_tag));
            r.headers.insert(Name::ALLOW_EVENTS, "presence, dialog");
            return SubscribeOutcome::Refused(r);
        };
        let asked = match req.header(&Name::EXPIRES).map(|v| v.trim().parse::<u32>()) {
            None => MAX_EXPIRES,
            Some(Ok(n)) => n,
            Some(Err(_)) => return refuse(400, "Bad Expires"),
        };
        let granted = asked.min(MAX_EXPIRES);
        let cseq = req.cseq().map(|c| c.0).unwrap_or(0);
        let key = match req.to_tag() {
            Some(tag) => {
                let found = self
                    .subs
                    .iter_mut()
                    .find(|(_, s)| s.call_id == req.call_id() && s.local_tag == tag && s.package == package);
                let Some((key, sub)) = found else {
                    return refuse(481, "Subscription Does Not Exist");
                };
                if cseq <= sub.remote_cseq {
                    return refuse(500, "CSeq Out of Order");
                }
                sub.remote_cseq = cseq;
                sub.expires_at = now + Duration::from_secs(u64::from(granted));
                if let Some(c) = contact_uri(req) {
                    sub.remote_target = c;
                }
                *key
            }
            None => {
                let Some(user) = crate::sip::addr::uri_user(&req.uri).map(str::to_owned) else {
                    return refuse(404, "Not Found");
                };
                if !exists(&user) {
                    return refuse(404, "Not Found");
                }
                if self.subs.len() >= MAX_SUBSCRIPTIONS {
                    return refuse(503, "Service Unavailable");
                }
                let (Some(from), Some(to), Some(remote_tag)) = (req.from_addr(), req.to_addr(), req.from_tag()) else {
                    return refuse(400, "Bad From or To");
                };
                let Some(remote_target) = contact_uri(req) else {
                    return refuse(400, "Missing Contact");
                };
                self.next_key += 1;
                let sub = Subscription {
                    ext: user,
                    package,
                    call_id: req.call_id().to_owned(),
                    local_tag: to_tag.to_owned(),
                    remote_tag,
                    local_uri: to.uri,
                    remote_uri: from.uri,
                    remote_target,
                    dest: source,
                    cseq: 0,
                    remote_cseq: cseq,
                    expires_at: now + Duration::from_secs(u64::from(granted)),
                    version: 0,
                };
                self.subs.insert(self.next_key, sub);
                self.next_key
            }
        };
        let sub = &self.subs[&key];
        let mut response = Response::to_request(req, 200, "OK", Some(&sub.local_tag));
        response.headers.insert(Name::EXPIRES, granted.to_string());
        response.headers.insert(Name::CONTACT, format!("<{}>", contact(&sub.ext)));
        SubscribeOutcome::Accepted { response, key, ending: granted == 0 }
    }

    /// The NOTIFY for subscription `key` with `body` (content type, text; `None`: no body).
    /// `ending` sends `terminated` with that reason (none when empty) and forgets the
    /// subscription. `local` is our
    /// address (Via, Contact), `branch` a fresh Via branch.
    #[allow(clippy::too_many_arguments)] // one NOTIFY, each argument a different header
    pub fn notify(
        &mut self,
        now: Instant,
        key: SubKey,
        body: Option<(&str, String)>,
        ending: Option<&str>,
        local: SocketAddr,
        branch: &str,
        contact: &str,
    ) -> Option<(Request, Destination)> {
        let sub = self.subs.get_mut(&key)?;
        sub.cseq += 1;
        sub.version += 1;
        let mut req = Request::new(Method::NOTIFY, sub.remote_target.clone());
        let host = crate::sip::transport::host_for_uri(&local.ip());
        req.headers.insert(Name::VIA, Via::new("UDP", &host, local.port(), branch).to_header());
        req.headers.insert(Name::MAX_FORWARDS, "70");
        let mut from = NameAddr::new(sub.local_uri.clone());
        from.set_param("tag", Some(&sub.local_tag));
        let mut to = NameAddr::new(sub.remote_uri.clone());
        to.set_param("tag", Some(&sub.remote_tag));
        req.headers.insert(Name::FROM, from.to_header());
        req.headers.insert(Name::TO, to.to_header());
        req.headers.insert(Name::CALL_ID, sub.call_id.clone());
        req.headers.insert(Name::CSEQ, format!("{} NOTIFY", sub.cseq));
        req.headers.insert(Name::CONTACT, format!("<{contact}>"));
        req.headers.insert(Name::EVENT, sub.package.event());
        let state = match ending {
            Some("") => "terminated".to_owned(),
            Some(reason) => format!("terminated;reason={reason}"),
            None => format!("active;expires={}", sub.expires_at.saturating_duration_since(now).as_secs()),
        };
        req.headers.insert(Name::SUBSCRIPTION_STATE, state);
        if let Some((ctype, text)) = body {
            req.set_body(ctype, Bytes::from(text));
        }
        let dest = sub.dest;
        if ending.is_some() {
            self.subs.remove(&key);
        }
        Some((req, dest))
    }

    /// The subscription `key`, if live.
    pub fn get(&self, key: SubKey) -> Option<&Subscription> {
        self.subs.get(&key)
    }

    /// Forgets a subscription (its NOTIFY got 481, or timed out).
    pub fn remove(&mut self, key: SubKey) {
        self.subs.remove(&key);
    }

    /// The subscription a NOTIFY we sent belongs to (by Call-ID and our tag).
    pub fn key_of(&self, call_id: &str, local_tag: &str) -> Option<SubKey> {
        self.subs.iter().find(|(_, s)| s.call_id == call_id && s.local_tag == local_tag).map(|(k, _)| *k)
    }

    /// The subscriptions watching `ext` (with their packages).
    pub fn watching(&self, ext: &str) -> Vec<(SubKey, Package)> {
        let mut v: Vec<(SubKey, Package)> =
            self.subs.iter().filter(|(_, s)| s.ext == ext).map(|(k, s)| (*k, s.package)).collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    /// Subscriptions that lapsed at `now` (each then gets its `terminated;reason=timeout`).
    pub fn expired(&self, now: Instant) -> Vec<SubKey> {
        let mut v: Vec<SubKey> = self.subs.iter().filter(|(_, s)| s.expires_at <= now).map(|(k, _)| *k).collect();
        v.sort_unstable();
        v
    }

    /// Drops lapsed publications; returns the users whose published state went away.
    pub fn expire_publications(&mut self, now: Instant) -> Vec<String> {
        let gone: Vec<String> =
            self.publications.iter().filter(|(_, p)| p.expires_at <= now).map(|(t, _)| t.clone()).collect();
        gone.into_iter().filter_map(|t| self.publications.remove(&t)).map(|p| p.ext).collect()
    }

    /// The earliest subscription or publication expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let subs = self.subs.values().map(|s| s.expires_at);
        subs.chain(self.publications.values().map(|p| p.expires_at)).min()
    }

    /// Answers a PUBLISH for a user we know. `etag` is a fresh entity tag for a new state.
    /// Returns the response and, when the user's published state changed, the user.
    pub fn publish(&mut self, now: Instant, req: &Request, etag: &str, to_tag: &str) -> (Response, Option<String>) {
        let answer = |code: u16, reason: &str| Response::to_request(req, code, reason, Some(to_tag));
        let event = req.header(&Name::EVENT).unwrap_or("").split(';').next().unwrap_or("").trim().to_owned();
        if !event.eq_ignore_ascii_case("presence") {
            let mut r = answer(489, "Bad Event");
            r.headers.insert(Name::ALLOW_EVENTS, "presence");
            return (r, None);
        }
        let Some(ext) = crate::sip::addr::uri_user(&req.uri).map(str::to_owned) else {
            return (answer(404, "Not Found"), None);
        };
        let expires = match req.header(&Name::EXPIRES).map(|v| v.trim().parse::<u32>()) {
            None => MAX_EXPIRES,
            Some(Ok(n)) => n.min(MAX_EXPIRES),
            Some(Err(_)) => return (answer(400, "Bad Expires"), None),
        };
        let if_match = req.header(&name("SIP-If-Match")).map(|v| v.trim().to_owned());
        let previous = match &if_match {
            Some(tag) => match self.publications.remove(tag) {
                Some(p) if p.ext == ext => Some(p),
                _ => return (answer(412, "Conditional Request Failed"), None),
            },
            None => None,
        };
        if expires == 0 {
            return (ok_publish(req, to_tag, etag, 0), previous.map(|p| p.ext));
        }
        let body = if req.body.is_empty() {
            match &previous {
                Some(p) => p.body.clone(),
                None => return (answer(400, "Missing Body"), None),
            }
        } else {
            let ctype = req.header(&Name::CONTENT_TYPE).unwrap_or("").to_ascii_lowercase();
            if !ctype.starts_with("application/pidf+xml") {
                let mut r = answer(415, "Unsupported Media Type");
                r.headers.insert(Name::ACCEPT, "application/pidf+xml");
                return (r, None);
            }
            if let Err(e) = parse_presence(&req.body) {
                tracing::info!(error = %e, "demo service: unreadable PIDF in PUBLISH");
                return (answer(400, "Bad PIDF Document"), None);
            }
            req.body.clone()
        };
        let changed = previous.as_ref().is_none_or(|p| p.body != body);
        let pubn = Publication { ext: ext.clone(), body, expires_at: now + Duration::from_secs(u64::from(expires)) };
        self.publications.insert(etag.to_owned(), pubn);
        (ok_publish(req, to_tag, etag, expires), changed.then_some(ext))
    }

    /// The newest state published for `ext`.
    pub fn published(&self, ext: &str) -> Option<&Bytes> {
        self.publications.values().filter(|p| p.ext == ext).max_by_key(|p| p.expires_at).map(|p| &p.body)
    }
}

fn ok_publish(req: &Request, to_tag: &str, etag: &str, expires: u32) -> Response {
    let mut r = Response::to_request(req, 200, "OK", Some(to_tag));
    r.headers.insert(name("SIP-ETag"), etag.to_owned());
    r.headers.insert(Name::EXPIRES, expires.to_string());
    r
}

/// The first Contact URI of a request.
pub fn contact_uri(req: &Request) -> Option<String> {
    let v = req.header(&Name::CONTACT)?;
    crate::sip::addr::parse_name_addr_list(v).ok()?.into_iter().next().map(|c| c.uri)
}
