//! The demo service's registrar, sans-IO: REGISTER with digest authentication (MD5,
//! `qop=auth`, RFC 3261 §22 / RFC 7616) for the one console account, bindings with expiry,
//! and the 200 that lists the contact with its granted lifetime.

use crate::sip::addr::parse_name_addr_list;
use crate::sip::auth::{DigestAlgorithm, DigestInput, digest_response};
use crate::sip::message::{Request, Response};
use crate::sip::transport::Destination;
use ezk_sip_types::Name;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Longest binding the registrar grants, in seconds.
pub const MAX_EXPIRES: u32 = 3600;
/// Shortest binding it accepts (shorter asks get 423 Interval Too Brief).
pub const MIN_EXPIRES: u32 = 60;
/// Contacts bound at most.
pub const MAX_BINDINGS: usize = 16;
/// Nonces remembered at most (oldest forgotten first).
const MAX_NONCES: usize = 64;

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI.
    pub contact: String,
    /// Where the REGISTER came from (requests to the user go there: symmetric signalling).
    pub source: Destination,
    /// When it lapses.
    pub expires_at: Instant,
}

/// The registrar of one account.
#[derive(Debug)]
pub struct Registrar {
    user: String,
    password: String,
    realm: String,
    bindings: HashMap<String, Binding>,
    nonces: Vec<String>,
}

impl Registrar {
    /// A registrar for `user` with `password` in `realm` (the demo's domain).
    pub fn new(user: &str, password: &str, realm: &str) -> Self {
        Self {
            user: user.to_owned(),
            password: password.to_owned(),
            realm: realm.to_owned(),
            bindings: HashMap::new(),
            nonces: Vec::new(),
        }
    }

    /// The live binding of the account, if any.
    pub fn binding(&self, now: Instant) -> Option<&Binding> {
        self.bindings.values().filter(|b| b.expires_at > now).max_by_key(|b| b.expires_at)
    }

    /// Answers a REGISTER. `nonce` is a fresh random string for a challenge (used only when
    /// one is needed); `to_tag` goes into the response.
    pub fn handle(&mut self, now: Instant, req: &Request, source: Destination, nonce: &str, to_tag: &str) -> Response {
        let user = req.to_addr().and_then(|a| a.user().map(str::to_owned));
        if user.as_deref() != Some(self.user.as_str()) {
            return Response::to_request(req, 404, "Not Found", Some(to_tag));
        }
        if !self.authorised(req) {
            if self.nonces.len() >= MAX_NONCES {
                self.nonces.remove(0);
            }
            self.nonces.push(nonce.to_owned());
            let mut r = Response::to_request(req, 401, "Unauthorized", Some(to_tag));
            r.headers.insert(
                Name::WWW_AUTHENTICATE,
                format!("Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"", self.realm),
            );
            return r;
        }
        let header_expires = req.header(&Name::EXPIRES).and_then(|v| v.trim().parse::<u32>().ok());
        let contacts = req.headers.get_raw(&Name::CONTACT).map(|v| v.as_str().trim().to_owned()).collect::<Vec<_>>();
        self.bindings.retain(|_, b| b.expires_at > now);
        for value in &contacts {
            if value == "*" {
                if header_expires == Some(0) {
                    self.bindings.clear();
                    continue;
                }
                return Response::to_request(req, 400, "Bad Request", Some(to_tag));
            }
            let Ok(list) = parse_name_addr_list(value) else {
                return Response::to_request(req, 400, "Bad Request", Some(to_tag));
            };
            for c in list {
                let asked = c.param("expires").and_then(|e| e.parse::<u32>().ok()).or(header_expires).unwrap_or(600);
                if asked == 0 {
                    self.bindings.remove(&c.uri);
                    continue;
                }
                if asked < MIN_EXPIRES {
                    let mut r = Response::to_request(req, 423, "Interval Too Brief", Some(to_tag));
                    r.headers.insert(Name::MIN_EXPIRES, MIN_EXPIRES.to_string());
                    return r;
                }
                if self.bindings.len() >= MAX_BINDINGS && !self.bindings.contains_key(&c.uri) {
                    return Response::to_request(req, 403, "Too Many Contacts", Some(to_tag));
                }
                let granted = asked.min(MAX_EXPIRES);
                let expires_at = now + Duration::from_secs(u64::from(granted));
                self.bindings.insert(c.uri.clone(), Binding { contact: c.uri.clone(), source, expires_at });
            }
        }
        let mut r = Response::to_request(req, 200, "OK", Some(to_tag));
        for b in self.bindings.values() {
            let left = b.expires_at.saturating_duration_since(now).as_secs();
            r.headers.insert(Name::CONTACT, format!("<{}>;expires={left}", b.contact));
        }
        r
    }

    /// True when the request carries valid credentials for a nonce we issued.
    fn authorised(&self, req: &Request) -> bool {
        let Some(value) = req.header(&Name::AUTHORIZATION) else { return false };
        let Some(params) = value.trim().strip_prefix("Digest") else { return false };
        let p = parse_params(params);
        let get = |k: &str| p.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
        let (Some(username), Some(nonce), Some(uri), Some(response)) =
            (get("username"), get("nonce"), get("uri"), get("response"))
        else {
            return false;
        };
        if username != self.user || !self.nonces.iter().any(|n| n == nonce) {
            return false;
        }
        if get("algorithm").is_some_and(|a| !a.eq_ignore_ascii_case("MD5")) {
            return false;
        }
        let qop = get("qop");
        let nc = get("nc").and_then(|n| u32::from_str_radix(n, 16).ok()).unwrap_or(0);
        let expected = digest_response(&DigestInput {
            algorithm: DigestAlgorithm::Md5,
            username,
            realm: get("realm").unwrap_or(&self.realm),
            password: &self.password,
            method: "REGISTER",
            uri,
            nonce,
            qop,
            cnonce: get("cnonce").unwrap_or(""),
            nc,
            body: &req.body,
        });
        expected.eq_ignore_ascii_case(response)
    }
}

/// `name=value, name="quoted value"` pairs of an auth header (bounded by the input length).
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once('=') else { break };
        let name = name.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (q[..end].to_owned(), &q[end + 1..]),
                None => (q.to_owned(), ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (after[..end].trim().to_owned(), &after[end..]),
                None => (after.trim().to_owned(), ""),
            }
        };
        out.push((name, value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::SipMessage;

    fn register(auth: Option<&str>) -> Request {
        let mut s = String::from(
            "REGISTER sip:demo.invalid SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n\
             From: <sip:1000@demo.invalid>;tag=a\r\nTo: <sip:1000@demo.invalid>\r\nCall-ID: r1\r\n\
             CSeq: 1 REGISTER\r\nContact: <sip:1000@127.0.0.1:5062>\r\nExpires: 600\r\n",
        );
        if let Some(a) = auth {
            s.push_str(&format!("Authorization: {a}\r\n"));
        }
        s.push_str("Content-Length: 0\r\n\r\n");
        match SipMessage::parse(s.as_bytes()).unwrap() {
            SipMessage::Request(r) => r,
            SipMessage::Response(_) => unreachable!("a request"),
        }
    }

    #[test]
    fn challenge_then_bind() {
        let now = Instant::now();
        let src = Destination { transport: crate::sip::TransportKind::Udp, addr: "127.0.0.1:5062".parse().unwrap() };
        let mut reg = Registrar::new("1000", "secret", "demo.invalid");
        let r = reg.handle(now, &register(None), src, "n1", "t");
        assert_eq!(r.code, 401);
        let resp = digest_response(&DigestInput {
            algorithm: DigestAlgorithm::Md5,
            username: "1000",
            realm: "demo.invalid",
            password: "secret",
            method: "REGISTER",
            uri: "sip:demo.invalid",
            nonce: "n1",
            qop: Some("auth"),
            cnonce: "c",
            nc: 1,
            body: b"",
        });
        let auth = format!(
            "Digest username=\"1000\", realm=\"demo.invalid\", nonce=\"n1\", uri=\"sip:demo.invalid\", \
             response=\"{resp}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\""
        );
        let ok = reg.handle(now, &register(Some(&auth)), src, "n2", "t");
        assert_eq!(ok.code, 200);
        assert!(ok.header(&Name::CONTACT).unwrap().contains("expires=600"));
        assert_eq!(reg.binding(now).unwrap().contact, "sip:1000@127.0.0.1:5062");
        let wrong = auth.replace(&resp, "0000");
        assert_eq!(reg.handle(now, &register(Some(&wrong)), src, "n3", "t").code, 401);
    }
}
