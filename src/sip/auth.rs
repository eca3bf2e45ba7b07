//! HTTP Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760).
//!
//! MD5, SHA-256 and their `-sess` variants, qop `auth` (and `auth-int`), nonce counting,
//! `stale=true`, one challenge per algorithm (Asterisk ≥ 20.12 sends MD5 and SHA-256 side by
//! side: the strongest we support wins), 401 and 407 alike. A challenge that answers a request
//! which already carried our credentials for that realm, without `stale=true`, means the
//! password is wrong: that is reported, never retried in a loop.

use super::message::{Request, Response};
use bytes::Bytes;
use ezk_sip_types::Name;
use ezk_sip_types::header::HeaderParse;
use ezk_sip_types::header::typed::{AlgorithmValue, AuthChallenge, DigestChallenge, QopOption};
use md5::{Digest, Md5};
use sha2::Sha256;

/// Username and password for one account.
#[derive(Clone)]
pub struct Credentials {
    /// The authentication user name (often the extension).
    pub username: String,
    /// The password (never logged).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

/// The hash functions we can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// MD5 (RFC 2617).
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 7616).
    Sha256,
    /// SHA-256-sess.
    Sha256Sess,
}

impl DigestAlgorithm {
    fn from_value(v: &AlgorithmValue) -> Option<Self> {
        match v {
            AlgorithmValue::MD5 => Some(Self::Md5),
            AlgorithmValue::MD5Sess => Some(Self::Md5Sess),
            AlgorithmValue::SHA256 => Some(Self::Sha256),
            AlgorithmValue::SHA256Sess => Some(Self::Sha256Sess),
            _ => None,
        }
    }
    /// The token written in `algorithm=`.
    pub fn token(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
        }
    }
    fn strength(self) -> u8 {
        match self {
            Self::Md5 | Self::Md5Sess => 1,
            Self::Sha256 | Self::Sha256Sess => 2,
        }
    }
    fn is_sess(self) -> bool {
        matches!(self, Self::Md5Sess | Self::Sha256Sess)
    }
    /// Lower-case hex digest of `data`.
    pub fn hash(self, data: &[u8]) -> String {
        match self {
            Self::Md5 | Self::Md5Sess => hex(&Md5::digest(data)),
            Self::Sha256 | Self::Sha256Sess => hex(&Sha256::digest(data)),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Inputs of one digest computation (RFC 7616 §3.4.1).
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    /// Hash algorithm.
    pub algorithm: DigestAlgorithm,
    /// User name.
    pub username: &'a str,
    /// Realm from the challenge.
    pub realm: &'a str,
    /// Password.
    pub password: &'a str,
    /// Request method.
    pub method: &'a str,
    /// digest-uri (the Request-URI).
    pub uri: &'a str,
    /// Server nonce.
    pub nonce: &'a str,
    /// qop chosen (`auth`, `auth-int`) or none for RFC 2069 style.
    pub qop: Option<&'a str>,
    /// Client nonce (required with qop or -sess).
    pub cnonce: &'a str,
    /// Nonce count.
    pub nc: u32,
    /// Body, for `auth-int`.
    pub body: &'a [u8],
}

/// Computes the `response` value.
pub fn digest_response(i: &DigestInput<'_>) -> String {
    let h = |s: &str| i.algorithm.hash(s.as_bytes());
    let mut ha1 = h(&format!("{}:{}:{}", i.username, i.realm, i.password));
    if i.algorithm.is_sess() {
        ha1 = h(&format!("{ha1}:{}:{}", i.nonce, i.cnonce));
    }
    let ha2 = if i.qop == Some("auth-int") {
        h(&format!("{}:{}:{}", i.method, i.uri, i.algorithm.hash(i.body)))
    } else {
        h(&format!("{}:{}", i.method, i.uri))
    };
    match i.qop {
        Some(q) => h(&format!("{ha1}:{}:{:08x}:{}:{q}:{ha2}", i.nonce, i.nc, i.cnonce)),
        None => h(&format!("{ha1}:{}:{ha2}", i.nonce)),
    }
}

/// Why authentication cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// The server rejected our credentials for this realm (not a stale nonce).
    Rejected {
        /// The realm that refused us.
        realm: String,
    },
    /// No challenge we can answer (unknown scheme or algorithm only).
    Unsupported(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Rejected { realm } => {
                write!(f, "wrong user name or password for realm \"{realm}\"")
            }
            AuthError::Unsupported(w) => {
                write!(f, "cannot answer the authentication challenge: {w}")
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Cached {
    proxy: bool,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: DigestAlgorithm,
    qop: Option<&'static str>,
    nc: u32,
}

/// Per-account digest state: remembered challenges and nonce counts.
#[derive(Debug, Clone)]
pub struct Authenticator {
    creds: Credentials,
    cached: Vec<Cached>,
}

impl Authenticator {
    /// State for an account.
    pub fn new(creds: Credentials) -> Self {
        Self { creds, cached: Vec::new() }
    }

    /// Takes a 401/407 and remembers the strongest challenge per realm (the nonce count
    /// restarts). Err when nothing in it can be answered.
    ///
    /// Whether a challenge means "wrong password" depends on what was sent before, so the
    /// caller decides that: a second challenge in a row that is not `stale=true` is a refusal.
    pub fn handle_challenge(&mut self, resp: &Response) -> Result<(), AuthError> {
        let proxy = resp.code == 407;
        let hdr = if proxy { Name::PROXY_AUTHENTICATE } else { Name::WWW_AUTHENTICATE };
        let mut best: Vec<(DigestChallenge, DigestAlgorithm)> = Vec::new();
        let mut seen = Vec::new();
        for raw in resp.headers.get_raw(&hdr) {
            seen.push(raw.as_str().chars().take(40).collect::<String>());
            let Some(ch) = parse_challenge(raw.as_str()) else {
                continue;
            };
            let Some(alg) = DigestAlgorithm::from_value(match &ch.algorithm {
                ezk_sip_types::header::typed::Algorithm::AlgorithmValue(v) => v,
                _ => continue,
            }) else {
                continue;
            };
            match best.iter_mut().find(|(c, _)| c.realm == ch.realm) {
                Some(slot) if slot.1.strength() >= alg.strength() => {}
                Some(slot) => *slot = (ch, alg),
                None => best.push((ch, alg)),
            }
        }
        if best.is_empty() {
            return Err(AuthError::Unsupported(seen.join(" | ")));
        }
        for (ch, alg) in best {
            let realm = ch.realm.to_string();
            let qop = if ch.qop.contains(&QopOption::Auth) {
                Some("auth")
            } else if ch.qop.contains(&QopOption::AuthInt) {
                Some("auth-int")
            } else {
                None
            };
            self.cached.retain(|c| !(c.proxy == proxy && c.realm == realm));
            self.cached.push(Cached {
                proxy,
                realm,
                nonce: ch.nonce.to_string(),
                opaque: ch.opaque.as_ref().map(|o| o.to_string()),
                algorithm: alg,
                qop,
                nc: 0,
            });
        }
        Ok(())
    }

    /// Adds Authorization / Proxy-Authorization for every remembered challenge.
    /// `cnonce` is fresh randomness from the caller (the core never draws its own).
    pub fn authorize(&mut self, req: &mut Request, cnonce: &str) {
        req.headers.remove(&Name::AUTHORIZATION);
        req.headers.remove(&Name::PROXY_AUTHORIZATION);
        let method = req.method.to_string();
        for c in &mut self.cached {
            c.nc += 1;
            let input = DigestInput {
                algorithm: c.algorithm,
                username: &self.creds.username,
                realm: &c.realm,
                password: &self.creds.password,
                method: &method,
                uri: &req.uri,
                nonce: &c.nonce,
                qop: c.qop,
                cnonce,
                nc: c.nc,
                body: &req.body,
            };
            let response = digest_response(&input);
            let mut v = format!(
                "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
                self.creds.username,
                c.realm,
                c.nonce,
                req.uri,
                response,
                c.algorithm.token()
            );
            if let Some(q) = c.qop {
                v.push_str(&format!(", qop={q}, nc={:08x}, cnonce=\"{cnonce}\"", c.nc));
            } else if c.algorithm.is_sess() {
                v.push_str(&format!(", cnonce=\"{cnonce}\""));
            }
            if let Some(o) = &c.opaque {
                v.push_str(&format!(", opaque=\"{o}\""));
            }
            let name = if c.proxy { Name::PROXY_AUTHORIZATION } else { Name::AUTHORIZATION };
            req.headers.insert(name, v);
        }
    }

    /// True when challenges are remembered (requests will carry credentials).
    pub fn has_credentials_cached(&self) -> bool {
        !self.cached.is_empty()
    }

    /// Forgets remembered challenges (after a server restart, say).
    pub fn reset(&mut self) {
        self.cached.clear();
    }
}

/// True when a 401/407 carries a challenge with `stale=true` (RFC 7616 §3.3).
pub fn is_stale(resp: &Response) -> bool {
    let name = if resp.code == 407 { Name::PROXY_AUTHENTICATE } else { Name::WWW_AUTHENTICATE };
    resp.headers.get_raw(&name).filter_map(|v| parse_challenge(v.as_str())).any(|c| c.stale)
}

/// Parses one WWW-/Proxy-Authenticate value as a Digest challenge.
pub fn parse_challenge(v: &str) -> Option<DigestChallenge> {
    // ezk-sip-types 0.6.5 slices algorithm tokens by bytes: keep non-ASCII away from it
    // (a challenge like `algorithm=abcé-MD5` would panic there). Such a challenge is
    // unsupported anyway.
    if !v.is_ascii() {
        return None;
    }
    let b = Bytes::copy_from_slice(v.as_bytes());
    let s = std::str::from_utf8(&b).ok()?;
    match AuthChallenge::parse(&b, s) {
        Ok((_, AuthChallenge::Digest(d))) => Some(d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1: the MD5 and SHA-256 examples.
    #[test]
    fn rfc7616_vectors() {
        let mut i = DigestInput {
            algorithm: DigestAlgorithm::Md5,
            username: "Mufasa",
            realm: "http-auth@example.org",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            qop: Some("auth"),
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: 1,
            body: b"",
        };
        assert_eq!(digest_response(&i), "8ca523f5e9506fed4657c9700eebdbec");
        i.algorithm = DigestAlgorithm::Sha256;
        i.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        assert_eq!(digest_response(&i), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    }

    /// RFC 2617 §3.5 (qop=auth, MD5).
    #[test]
    fn rfc2617_vector() {
        let i = DigestInput {
            algorithm: DigestAlgorithm::Md5,
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop: Some("auth"),
            cnonce: "0a4f113b",
            nc: 1,
            body: b"",
        };
        assert_eq!(digest_response(&i), "6629fae49393a05397450978507c4ef1");
    }
}
