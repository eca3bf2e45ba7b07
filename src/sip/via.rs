//! The Via header (RFC 3261 §18.2.1, §20.42) with `rport` (RFC 3581).

use super::message::is_token;

/// Magic cookie that starts every RFC 3261 branch.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// One via-parm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token, upper-case (`UDP`, `TCP`, `TLS`, `WS`…).
    pub transport: String,
    /// sent-by host (IPv6 in brackets as written).
    pub host: String,
    /// sent-by port if written.
    pub port: Option<u16>,
    /// Parameters in order, names lower-cased; `None` value for flags such as a bare `rport`.
    pub params: Vec<(String, Option<String>)>,
}

impl Via {
    /// A Via for a request we send: `rport` asked for, the given branch.
    pub fn new(transport: &str, host: &str, port: u16, branch: &str) -> Self {
        Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_string(),
            port: Some(port),
            params: vec![("branch".into(), Some(branch.into())), ("rport".into(), None)],
        }
    }

    /// Parses a header value that may hold several comma-separated via-parms.
    pub fn parse_list(v: &str) -> Result<Vec<Via>, String> {
        v.split(',').map(|p| Via::parse(p.trim())).collect()
    }

    /// Parses one via-parm.
    pub fn parse(v: &str) -> Result<Via, String> {
        let mut parts = v.splitn(2, ';');
        let sent = parts.next().unwrap_or("").trim();
        let params_str = parts.next();
        // LWS may surround the slashes: "SIP  /   2.0 /UDP host" (RFC 4475 wsinv).
        let mut proto = sent.splitn(3, '/');
        let (name, version, rest) = match (proto.next(), proto.next(), proto.next()) {
            (Some(n), Some(v), Some(r)) => (n.trim(), v.trim(), r.trim_start()),
            _ => return Err(format!("bad Via protocol: {v:.40}")),
        };
        let (transport, sent_by) =
            rest.split_once(|c: char| c.is_whitespace()).ok_or_else(|| format!("bad Via: {v:.40}"))?;
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || !is_token(transport) {
            return Err(format!("bad Via protocol: {v:.40}"));
        }
        let sent_by = sent_by.trim();
        let (host, port) = split_host_port(sent_by)?;
        let mut params = Vec::new();
        if let Some(ps) = params_str {
            for p in ps.split(';') {
                let (n, val) = match p.split_once('=') {
                    Some((n, val)) => (n.trim(), Some(val.trim().to_string())),
                    None => (p.trim(), None),
                };
                if !is_token(n) {
                    return Err(format!("empty Via parameter in {v:.40}"));
                }
                params.push((n.to_ascii_lowercase(), val));
            }
        }
        Ok(Via { transport: transport.to_ascii_uppercase(), host, port, params })
    }

    /// The value of a parameter; `Some("")` for a flag.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// Adds or replaces a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<String>) {
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = value,
            None => self.params.push((name.to_string(), value)),
        }
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.param("branch")
    }

    /// sent-by as `host:port` (port defaulted by transport) for transaction matching.
    pub fn sent_by(&self) -> String {
        let default = if self.transport == "TLS" { 5061 } else { 5060 };
        format!("{}:{}", self.host.to_ascii_lowercase(), self.port.unwrap_or(default))
    }

    /// Serialises the via-parm.
    pub fn to_header(&self) -> String {
        let mut s = format!("SIP/2.0/{} {}", self.transport, self.host);
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        for (n, v) in &self.params {
            s.push(';');
            s.push_str(n);
            if let Some(v) = v {
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }
}

fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let bad = || format!("bad sent-by: {s:.40}");
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(bad());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']').ok_or_else(bad)?;
        let host = format!("[{}]", &rest[..end]);
        let after = &rest[end + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(p.trim().parse().map_err(|_| bad())?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(bad()),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(p.trim().parse().map_err(|_| bad())?))),
        None => Ok((s.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let v = Via::parse("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport=4000;received=10.0.0.1").unwrap();
        assert_eq!(v.branch(), Some("z9hG4bKabc"));
        assert_eq!(v.param("rport"), Some("4000"));
        assert_eq!(v.sent_by(), "192.0.2.1:5060");
        let v6 = Via::parse("SIP/2.0/TCP [::1]:35060;branch=z9hG4bK1;rport").unwrap();
        assert_eq!(v6.host, "[::1]");
        assert_eq!(v6.param("rport"), Some(""));
        assert_eq!(Via::parse(&v6.to_header()).unwrap(), v6);
        assert_eq!(Via::parse_list("SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2").unwrap().len(), 2);
    }

    #[test]
    fn rejects_empty_params() {
        assert!(Via::parse_list("SIP/2.0/UDP 192.0.2.15;;,;,,").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
    }
}
