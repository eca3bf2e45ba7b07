//! RTP streams (RFC 3550): [`RtpSender`] builds packets, [`RtpReceiver`] validates, latches
//! the source and keeps the reception statistics. Header parsing and building is rtp-rs;
//! RTCP reports are not built yet, but [`RtpReceiver::jitter_units`] and
//! [`RtpReceiver::lost`] are what a report block needs.

mod receiver;
mod sender;
mod sequence;

pub use receiver::{Malformed, ReceivedPacket, ReceiverConfig, RtpDrop, RtpReceiver};
pub use sender::{InvalidPayloadType, RtpSender};

/// Counters of one RTP session (both directions).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RtpStats {
    /// Packets accepted from the latched source(s).
    pub rx_packets: u64,
    /// Packets built by the sender.
    pub tx_packets: u64,
    /// Payload octets built by the sender.
    pub tx_octets: u64,
    /// Packets lost: expected − received (RFC 3550 A.3), never below zero.
    pub lost: u64,
    /// Interarrival jitter (RFC 3550 A.8) in milliseconds.
    pub jitter_ms: f64,
    /// Datagrams that are not valid RTP version 2 packets.
    pub malformed: u64,
    /// Valid packets from a source other than the latched one (address or SSRC).
    pub foreign: u64,
    /// Valid packets with a payload type that was not negotiated.
    pub unexpected_payload_type: u64,
    /// Packets dropped for an unconfirmed sequence-number jump (RFC 3550 A.1).
    pub sequence_jumps: u64,
}

impl RtpStats {
    /// The receiver's counters plus the sender's transmit counters.
    pub fn collect(sender: &RtpSender, receiver: &RtpReceiver) -> Self {
        RtpStats { tx_packets: sender.tx_packets(), tx_octets: sender.tx_octets(), ..receiver.stats() }
    }
}

/// True when a datagram on a multiplexed port is RTCP rather than RTP (RFC 5761 §4: the
/// second byte, marker bit included, is in 192..=223). Demultiplex with this before
/// [`RtpReceiver::handle_packet`], which would count RTCP as an unexpected payload type.
pub fn looks_like_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 8 && datagram[0] >> 6 == 2 && (192..=223).contains(&datagram[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_combine_both_directions() {
        let mut tx = RtpSender::new(1, 0, 0, 0).expect("PT 0");
        tx.send_audio(&[0; 160], 160);
        let rx = RtpReceiver::new(ReceiverConfig::new(8000, &[0]));
        let stats = RtpStats::collect(&tx, &rx);
        assert_eq!((stats.tx_packets, stats.tx_octets, stats.rx_packets), (1, 160, 0));
    }

    #[test]
    fn rtcp_demultiplexing() {
        let receiver_report = [0x81, 201, 0, 7, 0, 0, 0, 1];
        assert!(looks_like_rtcp(&receiver_report));
        let rtp = RtpSender::new(1, 0, 0, 0).expect("PT 0").send_audio(&[0; 160], 160);
        assert!(!looks_like_rtcp(&rtp));
        // PCMA with the marker bit (second byte 0x88) is RTP. Only payload types 64..=95 with the
        // marker would collide, and RFC 5761 §4 keeps those unassigned.
        assert!(!looks_like_rtcp(&[0x80, 0x80 | 0x08, 0, 0, 0, 0, 0, 0]));
        assert!(!looks_like_rtcp(&[0x81, 201]));
    }
}
