//! The sending side of one RTP stream: SSRC, sequence numbers, media timestamps and the
//! marker bit (RFC 3550 §5.1, RFC 3551 §4.1).

use std::fmt;

use rtp_rs::{RtpPacketBuilder, Seq};

/// A payload type outside 0..=127 (the field has seven bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPayloadType(pub u8);

impl fmt::Display for InvalidPayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RTP payload type {} is not in 0..=127", self.0)
    }
}

impl std::error::Error for InvalidPayloadType {}

/// Builds the packets of one outgoing RTP stream.
///
/// The SSRC, the first sequence number and the first timestamp should be random (RFC 3550
/// §5.1); they are arguments because the core takes randomness from its caller. The marker
/// bit is set on the first packet and on the first packet after [`start_talkspurt`].
///
/// [`start_talkspurt`]: RtpSender::start_talkspurt
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    payload_type: u8,
    marker_pending: bool,
    tx_packets: u64,
    tx_octets: u64,
}

impl RtpSender {
    /// A sender for `payload_type` starting at the given sequence number and timestamp.
    pub fn new(
        ssrc: u32,
        initial_sequence: u16,
        initial_timestamp: u32,
        payload_type: u8,
    ) -> Result<Self, InvalidPayloadType> {
        check_payload_type(payload_type)?;
        Ok(RtpSender {
            ssrc,
            sequence: initial_sequence,
            timestamp: initial_timestamp,
            payload_type,
            marker_pending: true,
            tx_packets: 0,
            tx_octets: 0,
        })
    }

    /// The synchronisation source identifier of this stream.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// The media timestamp of the next audio packet (the current position of the media clock).
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The payload type of audio packets.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Packets built so far.
    pub fn tx_packets(&self) -> u64 {
        self.tx_packets
    }

    /// Payload octets sent so far (the RTCP sender-report count, headers excluded).
    pub fn tx_octets(&self) -> u64 {
        self.tx_octets
    }

    /// Marks the next audio packet as the start of a talkspurt (after silence suppression,
    /// hold or a DTMF event).
    pub fn start_talkspurt(&mut self) {
        self.marker_pending = true;
    }

    /// Advances the media clock by `samples` without sending (suppressed silence, or time
    /// covered by telephone-event packets).
    pub fn advance(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
    }

    /// Builds the next audio packet carrying `payload`, which covers `samples` samples of the
    /// media clock; the clock then advances by `samples`.
    pub fn send_audio(&mut self, payload: &[u8], samples: u32) -> Vec<u8> {
        let marker = std::mem::take(&mut self.marker_pending);
        let packet = self.build(self.payload_type, marker, self.timestamp, payload);
        self.timestamp = self.timestamp.wrapping_add(samples);
        packet
    }

    /// Builds a packet with an explicit payload type, marker and timestamp in this stream's
    /// sequence space (used for RFC 4733 telephone-events, whose timestamp is the start of
    /// the event). The media clock does not move.
    pub fn send_raw(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Vec<u8>, InvalidPayloadType> {
        check_payload_type(payload_type)?;
        Ok(self.build(payload_type, marker, timestamp, payload))
    }

    fn build(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload: &[u8]) -> Vec<u8> {
        let packet = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .ssrc(self.ssrc)
            .sequence(Seq::from(self.sequence))
            .timestamp(timestamp)
            .marked(marker)
            .payload(payload)
            .build()
            // Invariant: the payload type was checked to be <= 127 and there is no header
            // extension; those are the only reasons rtp-rs refuses to build.
            .expect("valid payload type and no extension");
        self.sequence = self.sequence.wrapping_add(1);
        self.tx_packets += 1;
        self.tx_octets += payload.len() as u64;
        packet
    }
}

fn check_payload_type(payload_type: u8) -> Result<(), InvalidPayloadType> {
    if payload_type > 127 { Err(InvalidPayloadType(payload_type)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtp_rs::RtpReader;

    #[test]
    fn audio_packets_carry_header_fields() {
        let mut tx = RtpSender::new(0x1234_5678, 65534, u32::MAX - 100, 0).expect("PT 0");
        let first = tx.send_audio(&[0xFF; 160], 160);
        let second = tx.send_audio(&[0xFF; 160], 160);
        let third = tx.send_audio(&[0xFF; 160], 160);
        let r1 = RtpReader::new(&first).expect("parse");
        let r2 = RtpReader::new(&second).expect("parse");
        let r3 = RtpReader::new(&third).expect("parse");
        assert_eq!(r1.ssrc(), 0x1234_5678);
        assert_eq!(r1.payload_type(), 0);
        assert!(r1.mark(), "first packet starts a talkspurt");
        assert!(!r2.mark());
        assert_eq!(u16::from(r1.sequence_number()), 65534);
        assert_eq!(u16::from(r2.sequence_number()), 65535);
        assert_eq!(u16::from(r3.sequence_number()), 0, "sequence wraps");
        assert_eq!(r1.timestamp(), u32::MAX - 100);
        assert_eq!(r2.timestamp(), 59, "timestamp wraps");
        assert_eq!(r1.payload().len(), 160);
        assert_eq!((tx.tx_packets(), tx.tx_octets()), (3, 480));
    }

    #[test]
    fn talkspurt_marker_and_silence() {
        let mut tx = RtpSender::new(1, 0, 0, 8).expect("PT 8");
        tx.send_audio(&[0xD5; 160], 160);
        tx.advance(800);
        tx.start_talkspurt();
        let packet = tx.send_audio(&[0xD5; 160], 160);
        let reader = RtpReader::new(&packet).expect("parse");
        assert!(reader.mark());
        assert_eq!(reader.timestamp(), 960);
        assert_eq!(u16::from(reader.sequence_number()), 1, "no sequence gap for suppressed silence");
    }

    #[test]
    fn raw_packets_share_the_sequence_space() {
        let mut tx = RtpSender::new(7, 10, 1000, 0).expect("PT 0");
        let event = tx.send_raw(101, true, 1000, &[1, 0x0A, 0, 160]).expect("PT 101");
        let audio = tx.send_audio(&[0xFF; 160], 160);
        let e = RtpReader::new(&event).expect("parse");
        let a = RtpReader::new(&audio).expect("parse");
        assert_eq!((e.payload_type(), u16::from(e.sequence_number())), (101, 10));
        assert_eq!((a.payload_type(), u16::from(a.sequence_number())), (0, 11));
        assert_eq!(tx.timestamp(), 1160);
    }

    #[test]
    fn invalid_payload_types_are_refused() {
        assert_eq!(RtpSender::new(1, 0, 0, 128).err(), Some(InvalidPayloadType(128)));
        let mut tx = RtpSender::new(1, 0, 0, 0).expect("PT 0");
        assert!(tx.send_raw(200, false, 0, &[]).is_err());
        assert_eq!(tx.tx_packets(), 0);
    }
}
