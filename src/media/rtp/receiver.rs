//! The receiving side of one RTP stream: validation, source latching, sequence extension,
//! loss and interarrival jitter (RFC 3550 §6.4.1, appendices A.1 and A.8).

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtp_rs::{RtpReader, RtpReaderError};

use super::RtpStats;
use super::sequence::{SeqUpdate, SequenceTracker};

/// What an [`RtpReceiver`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// RTP clock rate of the media payload types, in Hz (8000 for G.711).
    pub clock_rate: u32,
    /// Payload types of the negotiated audio codecs. Interarrival jitter is computed on these
    /// only, because their timestamps advance with the media clock.
    pub media_payload_types: Vec<u8>,
    /// Further accepted payload types whose timestamps do not advance per packet
    /// (telephone-event, comfort noise). They are delivered but not used for jitter.
    pub other_payload_types: Vec<u8>,
    /// Sequential packets a new source must send before we switch to it (RFC 3550 §6.2.1
    /// `MIN_SEQUENTIAL`); 2 by default.
    pub probation: u32,
    /// How long the latched source must have been silent before another source may take
    /// over; 100 ms by default. A source that keeps sending cannot be hijacked.
    pub switch_after: Duration,
}

impl ReceiverConfig {
    /// Accepts `media_payload_types` at `clock_rate`, with the default probation (2 packets)
    /// and switch delay (100 ms).
    pub fn new(clock_rate: u32, media_payload_types: &[u8]) -> Self {
        ReceiverConfig {
            clock_rate,
            media_payload_types: media_payload_types.to_vec(),
            other_payload_types: Vec::new(),
            probation: 2,
            switch_after: Duration::from_millis(100),
        }
    }

    /// Also accepts `payload_types` (for example the negotiated telephone-event type).
    pub fn with_other_payload_types(mut self, payload_types: &[u8]) -> Self {
        self.other_payload_types.extend_from_slice(payload_types);
        self
    }
}

/// One accepted RTP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPacket {
    /// Transport address it came from (the latched source).
    pub source: SocketAddr,
    /// Its synchronisation source.
    pub ssrc: u32,
    /// Its payload type.
    pub payload_type: u8,
    /// The marker bit (start of a talkspurt for audio, start of an event for RFC 4733).
    pub marker: bool,
    /// The 16-bit sequence number on the wire.
    pub sequence: u16,
    /// The sequence number extended to 64 bits (monotonic across wraparound and restarts).
    pub extended_sequence: u64,
    /// The media timestamp.
    pub timestamp: u32,
    /// The payload, without header, extension or padding.
    pub payload: Vec<u8>,
    /// True on the first packet of a newly latched source: downstream state keyed on the old
    /// source (jitter buffer, DTMF receiver) should be reset.
    pub new_source: bool,
}

/// Why a datagram is not valid RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer than the 12 bytes of a fixed header.
    TooShort(usize),
    /// Version field other than 2.
    Version(u8),
    /// CSRC list or header extension longer than the datagram.
    Truncated,
    /// Padding count of zero or larger than the payload.
    BadPadding,
}

impl From<RtpReaderError> for Malformed {
    fn from(error: RtpReaderError) -> Self {
        match error {
            RtpReaderError::BufferTooShort(len) => Malformed::TooShort(len),
            RtpReaderError::UnsupportedVersion(version) => Malformed::Version(version),
            RtpReaderError::HeadersTruncated { .. } => Malformed::Truncated,
            RtpReaderError::PaddingLengthInvalid(_) => Malformed::BadPadding,
        }
    }
}

/// Why [`RtpReceiver::handle_packet`] dropped a datagram. Every drop is also counted in
/// [`RtpStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtpDrop {
    /// Not a valid RTP version 2 packet.
    Malformed(Malformed),
    /// A payload type that was not negotiated.
    UnexpectedPayloadType(u8),
    /// From a source (address or SSRC) other than the latched one.
    Foreign,
    /// A sequence number far away from the expected one, not (yet) confirmed by the next
    /// packet (RFC 3550 A.1).
    SequenceJump,
}

impl fmt::Display for RtpDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtpDrop::Malformed(why) => write!(f, "malformed RTP packet: {why:?}"),
            RtpDrop::UnexpectedPayloadType(pt) => write!(f, "unexpected RTP payload type {pt}"),
            RtpDrop::Foreign => f.write_str("RTP packet from a foreign source"),
            RtpDrop::SequenceJump => f.write_str("RTP sequence number jump"),
        }
    }
}

/// The source we listen to.
#[derive(Debug, Clone)]
struct Latched {
    addr: SocketAddr,
    ssrc: u32,
    sequence: SequenceTracker,
    last_arrival: Instant,
}

/// A source on probation, waiting to take over.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    addr: SocketAddr,
    ssrc: u32,
    next_sequence: u16,
    sequential: u32,
}

/// RFC 3550 A.8 interarrival jitter, in timestamp units.
#[derive(Debug, Clone, Default)]
struct Interarrival {
    epoch: Option<Instant>,
    last_transit: Option<u32>,
    jitter: f64,
}

impl Interarrival {
    fn update(&mut self, arrival: Instant, timestamp: u32, clock_rate: u32) {
        let epoch = *self.epoch.get_or_insert(arrival);
        let elapsed = arrival.saturating_duration_since(epoch).as_nanos();
        // Arrival time in timestamp units; only differences matter, so wrapping to 32 bits is fine.
        let arrival_units = (elapsed * u128::from(clock_rate) / 1_000_000_000) as u32;
        let transit = arrival_units.wrapping_sub(timestamp);
        if let Some(last) = self.last_transit {
            let d = f64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }
}

/// Validates and accounts the packets of one incoming RTP stream.
///
/// Symmetric-RTP latching: the first valid packet latches its source address and SSRC;
/// packets from anywhere else are dropped and counted as foreign. Another source takes over
/// only after it sent [`ReceiverConfig::probation`] sequential packets *and* the latched
/// source has been silent for [`ReceiverConfig::switch_after`] (a PBX re-bridging the call,
/// a new SSRC after a re-INVITE); the packets sent during probation are dropped.
#[derive(Debug, Clone)]
pub struct RtpReceiver {
    config: ReceiverConfig,
    latched: Option<Latched>,
    candidate: Option<Candidate>,
    interarrival: Interarrival,
    lost_before: u64,
    rx_packets: u64,
    malformed: u64,
    foreign: u64,
    unexpected_payload_type: u64,
    sequence_jumps: u64,
}

impl RtpReceiver {
    /// A receiver that has not latched any source yet.
    pub fn new(config: ReceiverConfig) -> Self {
        RtpReceiver {
            config,
            latched: None,
            candidate: None,
            interarrival: Interarrival::default(),
            lost_before: 0,
            rx_packets: 0,
            malformed: 0,
            foreign: 0,
            unexpected_payload_type: 0,
            sequence_jumps: 0,
        }
    }

    /// The configuration this receiver was built with.
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// The latched source address and SSRC, once a valid packet arrived.
    pub fn latched_source(&self) -> Option<(SocketAddr, u32)> {
        self.latched.as_ref().map(|l| (l.addr, l.ssrc))
    }

    /// Handles one datagram received from `from` at `now`. Never panics, whatever the bytes.
    pub fn handle_packet(&mut self, now: Instant, from: SocketAddr, data: &[u8]) -> Result<ReceivedPacket, RtpDrop> {
        let reader = match RtpReader::new(data) {
            Ok(reader) => reader,
            Err(error) => {
                self.malformed += 1;
                return Err(RtpDrop::Malformed(error.into()));
            }
        };
        let payload_type = reader.payload_type();
        let is_media = self.config.media_payload_types.contains(&payload_type);
        if !is_media && !self.config.other_payload_types.contains(&payload_type) {
            self.unexpected_payload_type += 1;
            return Err(RtpDrop::UnexpectedPayloadType(payload_type));
        }
        let ssrc = reader.ssrc();
        let sequence = u16::from(reader.sequence_number());
        let new_source = match &self.latched {
            Some(latched) if latched.addr == from && latched.ssrc == ssrc => false,
            Some(latched) => {
                let silent_for = now.saturating_duration_since(latched.last_arrival);
                if !self.probation_passed(from, ssrc, sequence, silent_for) {
                    self.foreign += 1;
                    return Err(RtpDrop::Foreign);
                }
                true
            }
            None => true,
        };
        let extended_sequence = if new_source {
            if let Some(old) = self.latched.take() {
                self.lost_before += old.sequence.lost();
            }
            let tracker = SequenceTracker::new(sequence);
            let first = tracker.first_extended();
            self.latched = Some(Latched { addr: from, ssrc, sequence: tracker, last_arrival: now });
            self.candidate = None;
            self.interarrival.last_transit = None;
            first
        } else {
            // Not a new source, so the match above found `self.latched` to be `Some`.
            let Some(latched) = self.latched.as_mut() else { return Err(RtpDrop::Foreign) };
            match latched.sequence.update(sequence) {
                SeqUpdate::Accepted { extended } | SeqUpdate::Restarted { extended } => {
                    latched.last_arrival = now;
                    extended
                }
                SeqUpdate::Rejected => {
                    self.sequence_jumps += 1;
                    return Err(RtpDrop::SequenceJump);
                }
            }
        };
        let timestamp = reader.timestamp();
        if is_media {
            self.interarrival.update(now, timestamp, self.config.clock_rate);
        }
        self.rx_packets += 1;
        Ok(ReceivedPacket {
            source: from,
            ssrc,
            payload_type,
            marker: reader.mark(),
            sequence,
            extended_sequence,
            timestamp,
            payload: reader.payload().to_vec(),
            new_source,
        })
    }

    /// Advances the probation of a foreign source; true when it may take over now.
    fn probation_passed(&mut self, addr: SocketAddr, ssrc: u32, sequence: u16, silent_for: Duration) -> bool {
        let sequential = match self.candidate {
            Some(c) if c.addr == addr && c.ssrc == ssrc && c.next_sequence == sequence => c.sequential + 1,
            _ => 1,
        };
        self.candidate = Some(Candidate { addr, ssrc, next_sequence: sequence.wrapping_add(1), sequential });
        sequential >= self.config.probation && silent_for >= self.config.switch_after
    }

    /// Interarrival jitter estimate in milliseconds (RFC 3550 A.8, media payload types only).
    pub fn jitter_ms(&self) -> f64 {
        if self.config.clock_rate == 0 {
            return 0.0;
        }
        self.interarrival.jitter * 1000.0 / f64::from(self.config.clock_rate)
    }

    /// Interarrival jitter in timestamp units, as an RTCP report block carries it.
    pub fn jitter_units(&self) -> u32 {
        self.interarrival.jitter as u32
    }

    /// Packets lost so far (expected − received, summed over every source latched so far).
    pub fn lost(&self) -> u64 {
        self.lost_before + self.latched.as_ref().map_or(0, |l| l.sequence.lost())
    }

    /// Counters of this receiver; the transmit fields are zero (see [`RtpStats::collect`]).
    pub fn stats(&self) -> RtpStats {
        RtpStats {
            rx_packets: self.rx_packets,
            tx_packets: 0,
            tx_octets: 0,
            lost: self.lost(),
            jitter_ms: self.jitter_ms(),
            malformed: self.malformed,
            foreign: self.foreign,
            unexpected_payload_type: self.unexpected_payload_type,
            sequence_jumps: self.sequence_jumps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::rtp::RtpSender;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    fn receiver() -> RtpReceiver {
        RtpReceiver::new(ReceiverConfig::new(8000, &[0]).with_other_payload_types(&[101]))
    }

    #[test]
    fn accepts_and_counts_a_clean_stream() {
        let t0 = Instant::now();
        let mut tx = RtpSender::new(42, 65530, 0, 0).expect("PT 0");
        let mut rx = receiver();
        for i in 0..20u32 {
            let packet = tx.send_audio(&[0xFF; 160], 160);
            let now = t0 + Duration::from_millis(u64::from(i) * 20);
            let got = rx.handle_packet(now, addr(4000), &packet).expect("accepted");
            assert_eq!(got.new_source, i == 0);
            assert_eq!(got.payload.len(), 160);
        }
        let stats = rx.stats();
        assert_eq!((stats.rx_packets, stats.lost, stats.malformed, stats.foreign), (20, 0, 0, 0));
        assert!(stats.jitter_ms < 0.01, "no jitter on a perfect clock: {}", stats.jitter_ms);
        assert_eq!(rx.latched_source(), Some((addr(4000), 42)));
    }

    #[test]
    fn malformed_and_unexpected_payload_types_are_counted() {
        let t0 = Instant::now();
        let mut rx = receiver();
        let mut bad_version = RtpSender::new(1, 0, 0, 0).expect("PT 0").send_audio(&[0; 4], 4);
        bad_version[0] = (bad_version[0] & 0x3F) | 0x40;
        let mut bad_padding = RtpSender::new(1, 0, 0, 0).expect("PT 0").send_audio(&[0; 4], 4);
        bad_padding[0] |= 0x20;
        *bad_padding.last_mut().expect("non-empty") = 200;
        let mut csrc_overrun = RtpSender::new(1, 0, 0, 0).expect("PT 0").send_audio(&[], 0);
        csrc_overrun[0] |= 0x0F;
        let wrong_pt = RtpSender::new(1, 0, 0, 9).expect("PT 9").send_audio(&[0; 4], 4);
        let cases: [&[u8]; 5] = [&[], &[0x80, 0, 0], &bad_version, &bad_padding, &csrc_overrun];
        for case in cases {
            assert!(matches!(rx.handle_packet(t0, addr(1), case), Err(RtpDrop::Malformed(_))));
        }
        assert_eq!(rx.handle_packet(t0, addr(1), &wrong_pt), Err(RtpDrop::UnexpectedPayloadType(9)));
        let stats = rx.stats();
        assert_eq!((stats.malformed, stats.unexpected_payload_type, stats.rx_packets), (5, 1, 0));
        assert_eq!(rx.latched_source(), None, "invalid packets do not latch");
    }

    #[test]
    fn foreign_sources_are_dropped_while_the_latched_one_talks() {
        let t0 = Instant::now();
        let mut ours = RtpSender::new(1, 0, 0, 0).expect("PT 0");
        let mut theirs = RtpSender::new(2, 500, 0, 0).expect("PT 0");
        let mut rx = receiver();
        for i in 0..10u64 {
            let now = t0 + Duration::from_millis(i * 20);
            rx.handle_packet(now, addr(4000), &ours.send_audio(&[0xFF; 160], 160)).expect("ours");
            let foreign_ssrc = theirs.send_audio(&[0xFF; 160], 160);
            assert_eq!(rx.handle_packet(now, addr(4000), &foreign_ssrc), Err(RtpDrop::Foreign));
            let mut same_ssrc_other_addr = ours.clone();
            let spoof = same_ssrc_other_addr.send_audio(&[0xFF; 160], 160);
            assert_eq!(rx.handle_packet(now, addr(5000), &spoof), Err(RtpDrop::Foreign));
        }
        assert_eq!(rx.stats().foreign, 20);
        assert_eq!(rx.stats().rx_packets, 10);
        assert_eq!(rx.latched_source(), Some((addr(4000), 1)));
    }

    #[test]
    fn switches_after_silence_and_probation() {
        let t0 = Instant::now();
        let mut old = RtpSender::new(1, 0, 0, 0).expect("PT 0");
        let mut new = RtpSender::new(2, 9000, 0, 0).expect("PT 0");
        let mut rx = receiver();
        for i in 0..5u64 {
            rx.handle_packet(t0 + Duration::from_millis(i * 20), addr(4000), &old.send_audio(&[0; 160], 160))
                .expect("old");
        }
        old.send_audio(&[0; 160], 160); // lost: loss of the old source is kept
        rx.handle_packet(t0 + Duration::from_millis(120), addr(4000), &old.send_audio(&[0; 160], 160)).expect("old");
        // The old source stops at 120 ms; the new one starts at 140 ms.
        let mut switched_at = None;
        for i in 0..10u64 {
            let now = t0 + Duration::from_millis(140 + i * 20);
            if let Ok(packet) = rx.handle_packet(now, addr(4002), &new.send_audio(&[0; 160], 160)) {
                assert!(packet.new_source);
                switched_at = Some(i);
                break;
            }
        }
        // Needs 100 ms of silence: the packet at 220 ms (i = 4) is the first to switch.
        assert_eq!(switched_at, Some(4));
        assert_eq!(rx.latched_source(), Some((addr(4002), 2)));
        assert_eq!(rx.stats().foreign, 4);
        assert_eq!(rx.lost(), 1);
        let next = rx.handle_packet(t0 + Duration::from_millis(240), addr(4002), &new.send_audio(&[0; 160], 160));
        assert!(next.is_ok_and(|p| !p.new_source));
    }

    #[test]
    fn loss_reordering_and_jitter() {
        let t0 = Instant::now();
        let mut tx = RtpSender::new(9, 100, 0, 0).expect("PT 0");
        let packets: Vec<Vec<u8>> = (0..50).map(|_| tx.send_audio(&[0xFF; 160], 160)).collect();
        let mut rx = receiver();
        // Drop 10 and 20, swap 30 and 31, and alternate arrival offsets of 0 and 10 ms.
        let mut order: Vec<usize> = (0..50).filter(|i| *i != 10 && *i != 20).collect();
        let pos = order.iter().position(|i| *i == 30).expect("present");
        order.swap(pos, pos + 1);
        for (k, &i) in order.iter().enumerate() {
            let skew = if k % 2 == 0 { 0 } else { 10 };
            let now = t0 + Duration::from_millis(i as u64 * 20 + skew);
            rx.handle_packet(now, addr(4000), &packets[i]).expect("accepted");
        }
        let stats = rx.stats();
        assert_eq!(stats.lost, 2);
        assert_eq!(stats.rx_packets, 48);
        // A steady alternation of 80-unit (10 ms) transit changes converges towards 80 units.
        assert!(stats.jitter_ms > 5.0 && stats.jitter_ms < 11.0, "jitter {} ms", stats.jitter_ms);
    }

    #[test]
    fn telephone_events_do_not_count_as_jitter() {
        let t0 = Instant::now();
        let mut tx = RtpSender::new(9, 0, 0, 0).expect("PT 0");
        let mut rx = receiver();
        for i in 0..10u64 {
            // Same event timestamp in every packet, as RFC 4733 sends it.
            let packet = tx.send_raw(101, i == 0, 0, &[1, 0, 0, 160]).expect("PT 101");
            rx.handle_packet(t0 + Duration::from_millis(i * 20), addr(4000), &packet).expect("accepted");
        }
        assert_eq!(rx.stats().jitter_ms, 0.0);
        assert_eq!(rx.stats().rx_packets, 10);
    }

    #[test]
    fn random_bytes_never_panic() {
        let t0 = Instant::now();
        let mut rx = receiver();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..2000usize {
            let bytes: Vec<u8> = (0..len % 64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = rx.handle_packet(t0, addr(1), &bytes);
        }
        let stats = rx.stats();
        assert_eq!(
            stats.rx_packets + stats.malformed + stats.foreign + stats.unexpected_payload_type + stats.sequence_jumps,
            2000
        );
    }
}
