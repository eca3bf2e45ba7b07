//! The SIP trace: while it is on, every SIP message the engine sends or receives is reported
//! as an [`Event::SipMessage`] (for the console's SIP log and `--sip-trace`). Keep-alives
//! (bare CRLFs) are not messages and are left out.

use super::Sink;
use crate::api::Event;
use crate::sip::transport::Destination;

/// Whether tracing is on, and the one place that turns bytes on the wire into events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SipTrace {
    on: bool,
}

impl SipTrace {
    /// Tracing on (`true`) or off.
    pub fn new(on: bool) -> Self {
        SipTrace { on }
    }

    /// Turns tracing on or off.
    pub fn set(&mut self, on: bool) {
        self.on = on;
    }

    /// Whether tracing is on.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Reports `data` sent to (`outgoing`) or received from `peer`, when tracing is on.
    pub fn record(&self, sink: &Sink, outgoing: bool, peer: Destination, data: &[u8]) {
        if let Some(e) = self.event(outgoing, peer, data, unix_ms()) {
            sink.emit(e);
        }
    }

    /// The event for `data` at `at_ms`; `None` when tracing is off or `data` is a keep-alive.
    pub fn event(&self, outgoing: bool, peer: Destination, data: &[u8], at_ms: u64) -> Option<Event> {
        if !self.on || data.iter().all(|b| b.is_ascii_whitespace()) {
            return None;
        }
        Some(Event::SipMessage {
            direction: if outgoing { "out" } else { "in" }.into(),
            remote: peer.addr.to_string(),
            transport: peer.transport.to_string(),
            at_ms,
            text: String::from_utf8_lossy(data).into_owned(),
        })
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::TransportKind;

    #[test]
    fn off_by_default_and_skips_keepalives() {
        let peer = Destination { addr: "127.0.0.1:5060".parse().unwrap(), transport: TransportKind::Udp };
        let msg = b"REGISTER sip:example.com SIP/2.0\r\nCall-ID: a\r\n\r\n";
        assert_eq!(SipTrace::default().event(true, peer, msg, 5), None);
        let on = SipTrace::new(true);
        assert_eq!(on.event(false, peer, b"\r\n\r\n", 5), None);
        match on.event(true, peer, msg, 5) {
            Some(Event::SipMessage { direction, remote, transport, at_ms, text }) => {
                assert_eq!(
                    (direction.as_str(), remote.as_str(), transport.as_str(), at_ms),
                    ("out", "127.0.0.1:5060", "udp", 5)
                );
                assert!(text.starts_with("REGISTER sip:example.com"));
            }
            other => panic!("{other:?}"),
        }
    }
}
