//! Transport-level decisions that need no socket: transport kinds, destinations, what to send
//! where, keep-alive payloads (RFC 5626 §3.5.1 CRLF ping), and `received`/`rport` learning.

use bytes::Bytes;
use std::net::SocketAddr;

/// The SIP transports Lampboard speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// UDP (unreliable: the transaction layer retransmits).
    Udp,
    /// TCP (reliable, Content-Length framed).
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl TransportKind {
    /// True for stream transports (no retransmissions, framing by Content-Length).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }
    /// The token in Via (`UDP`, `TCP`, `TLS`).
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }
    /// The `transport=` URI parameter, if any is needed.
    pub fn uri_param(self) -> Option<&'static str> {
        match self {
            TransportKind::Udp => None,
            TransportKind::Tcp => Some("tcp"),
            TransportKind::Tls => Some("tls"),
        }
    }
    /// The default port (5060, or 5061 for TLS).
    pub fn default_port(self) -> u16 {
        if self == TransportKind::Tls { 5061 } else { 5060 }
    }
    /// The DNS SRV service label (RFC 3263 §4.2).
    pub fn srv_prefix(self) -> &'static str {
        match self {
            TransportKind::Udp => "_sip._udp",
            TransportKind::Tcp => "_sip._tcp",
            TransportKind::Tls => "_sips._tcp",
        }
    }
    /// Parses `udp`, `tcp`, `tls` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Some(TransportKind::Udp),
            "tcp" => Some(TransportKind::Tcp),
            "tls" => Some(TransportKind::Tls),
            _ => None,
        }
    }
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Udp => "udp",
            TransportKind::Tcp => "tcp",
            TransportKind::Tls => "tls",
        })
    }
}

/// Where a message goes or came from: a transport and a socket address (one flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Destination {
    /// The transport.
    pub transport: TransportKind,
    /// The remote socket address.
    pub addr: SocketAddr,
}

/// Bytes to write to a destination.
#[derive(Debug, Clone)]
pub struct Transmit {
    /// Where to.
    pub dest: Destination,
    /// What.
    pub data: Bytes,
}

/// RFC 5626 §3.5.1 keep-alive ping: a double CRLF (the server answers a single CRLF pong
/// on streams). Sent on UDP too, where it keeps NAT bindings open.
pub const KEEPALIVE_PING: &[u8] = b"\r\n\r\n";

/// Formats a host for a URI or Via: IPv6 in brackets.
pub fn host_for_uri(addr: &std::net::IpAddr) -> String {
    match addr {
        std::net::IpAddr::V4(a) => a.to_string(),
        std::net::IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// The address the server saw us at, from the top Via of a response (`received` and `rport`,
/// RFC 3581 §4), when it differs from what we put in Via.
pub fn learned_address(via: &super::via::Via, sent_host: &str, sent_port: u16) -> Option<(String, u16)> {
    let received = via
        .param("received")
        .filter(|r| !r.is_empty())
        .map(|r| if r.contains(':') && !r.starts_with('[') { format!("[{r}]") } else { r.to_string() });
    let rport = via.param("rport").and_then(|p| p.parse::<u16>().ok());
    let host = received.unwrap_or_else(|| sent_host.to_string());
    let port = rport.unwrap_or(sent_port);
    if host.eq_ignore_ascii_case(sent_host) && port == sent_port { None } else { Some((host, port)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::via::Via;

    #[test]
    fn rport_learning() {
        let v = Via::parse("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;received=198.51.100.7;rport=40123").unwrap();
        assert_eq!(learned_address(&v, "10.0.0.2", 5060), Some(("198.51.100.7".into(), 40123)));
        let same = Via::parse("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;rport=5060").unwrap();
        assert_eq!(learned_address(&same, "10.0.0.2", 5060), None);
        let v6 = Via::parse("SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;received=2001:db8::1;rport=5062").unwrap();
        assert_eq!(learned_address(&v6, "[::1]", 5060), Some(("[2001:db8::1]".into(), 5062)));
    }
}
