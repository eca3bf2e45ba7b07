//! Locating the SIP server (RFC 3263): IP literals, A/AAAA, SRV and NAPTR.

use crate::sip::transport::{Destination, TransportKind};
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};
use std::net::{IpAddr, SocketAddr};

/// A parsed `--server` value: host (name or IP literal) and optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Explicit port.
    pub port: Option<u16>,
}

impl ServerSpec {
    /// Parses `host`, `host:port`, `1.2.3.4:5060`, `[::1]:5060`, `::1`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let s = s.strip_prefix("sip:").unwrap_or(s);
        if s.is_empty() {
            return Err("empty server".into());
        }
        if let Some(rest) = s.strip_prefix('[') {
            let end = rest.find(']').ok_or("missing ] in IPv6 server address")?;
            let host = rest[..end].to_string();
            let port = match &rest[end + 1..] {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or("bad text after ]")?.parse().map_err(|_| "bad port")?),
            };
            return Ok(Self { host, port });
        }
        if s.parse::<IpAddr>().is_ok() {
            return Ok(Self { host: s.to_string(), port: None });
        }
        match s.rsplit_once(':') {
            Some((h, p)) => {
                Ok(Self { host: h.to_string(), port: Some(p.parse().map_err(|_| format!("bad port in {s}"))?) })
            }
            None => Ok(Self { host: s.to_string(), port: None }),
        }
    }

    /// The host as it goes into a URI (IPv6 in brackets).
    pub fn uri_host(&self) -> String {
        if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() }
    }
}

/// One SRV target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvTarget {
    /// Priority (lower first).
    pub priority: u16,
    /// Weight within a priority.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host.
    pub target: String,
}

/// Orders SRV targets by priority, and by weight (heaviest first) within one: a deterministic
/// form of RFC 2782's weighted choice, good for a single registrar and its backups.
pub fn order_srv(mut v: Vec<SrvTarget>) -> Vec<SrvTarget> {
    v.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.weight.cmp(&a.weight)));
    v
}

/// Resolves the server to destinations in the order to try (RFC 3263 §4).
pub async fn resolve(spec: &ServerSpec, transport: TransportKind) -> Result<Vec<Destination>, String> {
    let port = spec.port.unwrap_or(transport.default_port());
    if let Ok(ip) = spec.host.parse::<IpAddr>() {
        return Ok(vec![Destination { transport, addr: SocketAddr::new(ip, port) }]);
    }
    let resolver = TokioResolver::builder_tokio().map_err(|e| format!("DNS setup: {e}"))?.build();
    let mut out = Vec::new();
    if spec.port.is_none() {
        let mut srv_name = format!("{}.{}.", transport.srv_prefix(), spec.host);
        if let Ok(naptr) = resolver.lookup(format!("{}.", spec.host), RecordType::NAPTR).await {
            let service = match transport {
                TransportKind::Udp => "SIP+D2U",
                TransportKind::Tcp => "SIP+D2T",
                TransportKind::Tls => "SIPS+D2T",
            };
            let mut recs: Vec<_> = naptr
                .iter()
                .filter_map(|r| match r {
                    RData::NAPTR(n) if n.services().eq_ignore_ascii_case(service.as_bytes()) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            recs.sort_by_key(|n| (n.order(), n.preference()));
            if let Some(n) = recs.first() {
                srv_name = n.replacement().to_string();
            }
        }
        if let Ok(srv) = resolver.lookup(srv_name.as_str(), RecordType::SRV).await {
            let targets: Vec<SrvTarget> = srv
                .iter()
                .filter_map(|r| match r {
                    RData::SRV(s) => Some(SrvTarget {
                        priority: s.priority(),
                        weight: s.weight(),
                        port: s.port(),
                        target: s.target().to_string(),
                    }),
                    _ => None,
                })
                .collect();
            for t in order_srv(targets) {
                if let Ok(ips) = resolver.lookup_ip(t.target.as_str()).await {
                    out.extend(ips.iter().map(|ip| Destination { transport, addr: SocketAddr::new(ip, t.port) }));
                }
            }
        }
    }
    if out.is_empty() {
        let ips =
            resolver.lookup_ip(spec.host.as_str()).await.map_err(|e| format!("cannot resolve {}: {e}", spec.host))?;
        out.extend(ips.iter().map(|ip| Destination { transport, addr: SocketAddr::new(ip, port) }));
    }
    if out.is_empty() {
        return Err(format!("{} has no address", spec.host));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_spec_forms() {
        assert_eq!(ServerSpec::parse("pbx.example").unwrap(), ServerSpec { host: "pbx.example".into(), port: None });
        assert_eq!(ServerSpec::parse("127.0.0.1:35060").unwrap().port, Some(35060));
        let v6 = ServerSpec::parse("[::1]:35060").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(35060)));
        assert_eq!(v6.uri_host(), "[::1]");
        assert_eq!(ServerSpec::parse("::1").unwrap().port, None);
        assert!(ServerSpec::parse("host:notaport").is_err());
    }

    #[test]
    fn srv_order() {
        let t = |p, w, n: &str| SrvTarget { priority: p, weight: w, port: 5060, target: n.into() };
        let o = order_srv(vec![t(20, 0, "backup"), t(10, 10, "b"), t(10, 60, "a")]);
        let names: Vec<_> = o.iter().map(|x| x.target.as_str()).collect();
        assert_eq!(names, ["a", "b", "backup"]);
    }
}
