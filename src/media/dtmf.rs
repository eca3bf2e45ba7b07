//! RFC 4733 telephone-events (DTMF over RTP): a [`DtmfSender`] that produces the event
//! packets of queued digits and a [`DtmfReceiver`] that reports each digit exactly once.
//!
//! Sending: one packet per packet interval (20 ms); every packet of an event carries the
//! event's start timestamp; the first has the marker bit; the duration field grows by one
//! interval per packet; the final packet has the end bit and is sent three times in total
//! (RFC 4733 §2.5.1.4). Events longer than the 16-bit duration field (8.19 s at 8 kHz) are
//! cut to it rather than split into segments.
//!
//! Receiving: packets are grouped by timestamp. A digit is reported when its end packet
//! arrives, or, if every end packet was lost, when the next event starts or after
//! [`DtmfReceiver::END_TIMEOUT`] without packets. Timestamps of finished events are
//! remembered, so retransmitted end packets and stragglers are not reported again; a lost
//! first packet does not matter because any packet of the event starts it.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// An RFC 4733 event code (0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfEvent(pub u8);

impl DtmfEvent {
    /// The event for a keypad character (`0`–`9`, `*`, `#`, `A`–`D`, case-insensitive).
    pub fn from_char(c: char) -> Option<Self> {
        let code = match c.to_ascii_uppercase() {
            d @ '0'..='9' => d as u8 - b'0',
            '*' => 10,
            '#' => 11,
            l @ 'A'..='D' => l as u8 - b'A' + 12,
            _ => return None,
        };
        Some(DtmfEvent(code))
    }

    /// The keypad character of a DTMF event, `None` for other events (flash, …).
    pub fn to_char(self) -> Option<char> {
        match self.0 {
            d @ 0..=9 => Some(char::from(b'0' + d)),
            10 => Some('*'),
            11 => Some('#'),
            l @ 12..=15 => Some(char::from(b'A' + l - 12)),
            _ => None,
        }
    }
}

/// The four-byte telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// The event code.
    pub event: DtmfEvent,
    /// The E bit: this is a final packet of the event.
    pub end: bool,
    /// Power level in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

/// A telephone-event payload shorter than four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortEventPayload(pub usize);

impl fmt::Display for ShortEventPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "telephone-event payload of {} bytes (need 4)", self.0)
    }
}

impl std::error::Error for ShortEventPayload {}

impl EventPayload {
    /// Parses the first four bytes of a payload (further bytes are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, ShortEventPayload> {
        let [event, flags, hi, lo, ..] = *payload else { return Err(ShortEventPayload(payload.len())) };
        Ok(EventPayload {
            event: DtmfEvent(event),
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([hi, lo]),
        })
    }

    /// The wire form.
    pub fn to_bytes(self) -> [u8; 4] {
        let [hi, lo] = self.duration.to_be_bytes();
        let end = if self.end { 0x80 } else { 0 };
        [self.event.0, end | (self.volume & 0x3F), hi, lo]
    }
}

/// One telephone-event packet to send with the negotiated payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// Marker bit (first packet of an event).
    pub marker: bool,
    /// RTP timestamp: the start of the event.
    pub timestamp: u32,
    /// The payload.
    pub payload: EventPayload,
}

/// Sender parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSenderConfig {
    /// RTP clock rate (8000 for telephone-event/8000).
    pub clock_rate: u32,
    /// Packet interval; [`DtmfSender::poll`] is called once per interval.
    pub interval: Duration,
    /// Transmissions of the final packet (3, RFC 4733 §2.5.1.4).
    pub end_transmissions: u8,
    /// Silence between queued events.
    pub gap: Duration,
    /// Power level in −dBm0.
    pub volume: u8,
}

impl Default for DtmfSenderConfig {
    /// 8 kHz, 20 ms packets, three end packets, 60 ms between digits, −10 dBm0.
    fn default() -> Self {
        DtmfSenderConfig {
            clock_rate: 8000,
            interval: Duration::from_millis(20),
            end_transmissions: 3,
            gap: Duration::from_millis(60),
            volume: 10,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct ActiveEvent {
    event: DtmfEvent,
    timestamp: u32,
    total: u16,
    elapsed: u16,
    ends_sent: u8,
}

/// Produces the telephone-event packets of queued events.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    config: DtmfSenderConfig,
    step: u16,
    queue: VecDeque<(DtmfEvent, u16)>,
    active: Option<ActiveEvent>,
    gap_polls: u32,
}

impl DtmfSender {
    /// An idle sender.
    pub fn new(config: DtmfSenderConfig) -> Self {
        let step = units(config.clock_rate, config.interval).clamp(1, u64::from(u16::MAX)) as u16;
        DtmfSender { config, step, queue: VecDeque::new(), active: None, gap_polls: 0 }
    }

    /// Queues one event lasting `duration` (at least one interval, at most 65535 units).
    pub fn enqueue(&mut self, event: DtmfEvent, duration: Duration) {
        let total = units(self.config.clock_rate, duration).clamp(u64::from(self.step), u64::from(u16::MAX));
        self.queue.push_back((event, total as u16));
    }

    /// Queues every keypad character of `digits`; returns the first invalid character
    /// (nothing is queued then).
    pub fn enqueue_digits(&mut self, digits: &str, duration: Duration) -> Result<(), char> {
        let events: Vec<DtmfEvent> =
            digits.chars().map(|c| DtmfEvent::from_char(c).ok_or(c)).collect::<Result<_, _>>()?;
        for event in events {
            self.enqueue(event, duration);
        }
        Ok(())
    }

    /// True when nothing is being sent or queued; audio may flow.
    pub fn is_idle(&self) -> bool {
        self.active.is_none() && self.queue.is_empty()
    }

    /// The packet for this interval, if any. `media_timestamp` is the RTP timestamp of the
    /// current interval; it becomes the event timestamp when an event starts.
    pub fn poll(&mut self, media_timestamp: u32) -> Option<DtmfPacket> {
        if let Some(active) = &mut self.active {
            if active.ends_sent > 0 {
                if active.ends_sent < self.config.end_transmissions {
                    active.ends_sent += 1;
                    return Some(packet(active, false, self.config.volume));
                }
                self.active = None;
                self.gap_polls = (units(self.config.clock_rate, self.config.gap) / u64::from(self.step)) as u32;
            } else {
                active.elapsed = active.elapsed.saturating_add(self.step).min(active.total);
                if active.elapsed == active.total {
                    active.ends_sent = 1;
                }
                return Some(packet(active, false, self.config.volume));
            }
        }
        if self.gap_polls > 0 {
            self.gap_polls -= 1;
            return None;
        }
        let (event, total) = self.queue.pop_front()?;
        let elapsed = self.step.min(total);
        let ends_sent = u8::from(elapsed == total);
        let active = self.active.insert(ActiveEvent { event, timestamp: media_timestamp, total, elapsed, ends_sent });
        Some(packet(active, true, self.config.volume))
    }
}

fn packet(active: &ActiveEvent, marker: bool, volume: u8) -> DtmfPacket {
    DtmfPacket {
        marker,
        timestamp: active.timestamp,
        payload: EventPayload {
            event: active.event,
            end: active.ends_sent > 0,
            volume: volume & 0x3F,
            duration: active.elapsed,
        },
    }
}

fn units(clock_rate: u32, duration: Duration) -> u64 {
    (u128::from(clock_rate) * duration.as_nanos() / 1_000_000_000).min(u128::from(u64::MAX)) as u64
}

/// A digit (or other event) received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfDigit {
    /// The event.
    pub event: DtmfEvent,
    /// Its duration (the largest duration field seen).
    pub duration: Duration,
    /// Power level in −dBm0.
    pub volume: u8,
    /// The RTP timestamp of the event.
    pub timestamp: u32,
    /// False when no end packet arrived (the digit was closed by the next event or a timeout).
    pub ended: bool,
}

#[derive(Debug, Clone, Copy)]
struct PendingEvent {
    timestamp: u32,
    payload: EventPayload,
    last_packet: Instant,
}

/// Recognises telephone-events, reporting each one once (`handle_*` in, `poll_*` out).
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    clock_rate: u32,
    current: Option<PendingEvent>,
    finished: VecDeque<u32>,
    digits: VecDeque<DtmfDigit>,
}

impl DtmfReceiver {
    /// Without packets for this long, an event whose end packets were all lost is reported.
    pub const END_TIMEOUT: Duration = Duration::from_millis(200);
    /// Finished event timestamps remembered to drop retransmissions.
    const FINISHED_MEMORY: usize = 16;

    /// A receiver for events at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        DtmfReceiver { clock_rate, current: None, finished: VecDeque::new(), digits: VecDeque::new() }
    }

    /// Handles the payload of one accepted telephone-event RTP packet with `timestamp`.
    pub fn handle_packet(&mut self, now: Instant, timestamp: u32, payload: &[u8]) -> Result<(), ShortEventPayload> {
        let payload = EventPayload::parse(payload)?;
        if self.finished.contains(&timestamp) {
            return Ok(());
        }
        match &mut self.current {
            Some(current) if current.timestamp == timestamp => {
                current.payload.duration = current.payload.duration.max(payload.duration);
                current.payload.end |= payload.end;
                current.last_packet = now;
            }
            _ => {
                self.finish_current();
                self.current = Some(PendingEvent { timestamp, payload, last_packet: now });
            }
        }
        if payload.end {
            self.finish_current();
        }
        Ok(())
    }

    /// Reports an event whose end packets were all lost once [`Self::END_TIMEOUT`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.current.is_some_and(|c| now.saturating_duration_since(c.last_packet) >= Self::END_TIMEOUT) {
            self.finish_current();
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.map(|c| c.last_packet + Self::END_TIMEOUT)
    }

    /// The next recognised digit.
    pub fn poll_digit(&mut self) -> Option<DtmfDigit> {
        self.digits.pop_front()
    }

    fn finish_current(&mut self) {
        let Some(current) = self.current.take() else { return };
        if self.finished.len() == Self::FINISHED_MEMORY {
            self.finished.pop_front();
        }
        self.finished.push_back(current.timestamp);
        let nanos = if self.clock_rate == 0 {
            0
        } else {
            u64::from(current.payload.duration) * 1_000_000_000 / u64::from(self.clock_rate)
        };
        self.digits.push_back(DtmfDigit {
            event: current.payload.event,
            duration: Duration::from_nanos(nanos),
            volume: current.payload.volume,
            timestamp: current.timestamp,
            ended: current.payload.end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_packets(sender: &mut DtmfSender, mut timestamp: u32, polls: usize) -> Vec<DtmfPacket> {
        let mut out = Vec::new();
        for _ in 0..polls {
            out.extend(sender.poll(timestamp));
            timestamp = timestamp.wrapping_add(160);
        }
        out
    }

    #[test]
    fn characters_and_payload_round_trip() {
        let digits = "0123456789*#ABCD";
        let events: Vec<u8> = digits.chars().map(|c| DtmfEvent::from_char(c).map(|e| e.0).unwrap_or(99)).collect();
        assert_eq!(events, (0..16).collect::<Vec<u8>>());
        assert_eq!(DtmfEvent::from_char('d'), Some(DtmfEvent(15)));
        assert_eq!(DtmfEvent::from_char('x'), None);
        assert_eq!(DtmfEvent(16).to_char(), None);
        let payload = EventPayload { event: DtmfEvent(11), end: true, volume: 10, duration: 800 };
        assert_eq!(payload.to_bytes(), [11, 0x8A, 0x03, 0x20]);
        assert_eq!(EventPayload::parse(&payload.to_bytes()), Ok(payload));
        assert_eq!(EventPayload::parse(&[1, 2, 3]), Err(ShortEventPayload(3)));
    }

    #[test]
    fn sender_packet_sequence() {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default());
        sender.enqueue(DtmfEvent(5), Duration::from_millis(100));
        let packets = all_packets(&mut sender, 8000, 12);
        let durations: Vec<u16> = packets.iter().map(|p| p.payload.duration).collect();
        assert_eq!(durations, vec![160, 320, 480, 640, 800, 800, 800]);
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        assert!(packets.iter().all(|p| p.timestamp == 8000), "one timestamp per event");
        let ends: Vec<bool> = packets.iter().map(|p| p.payload.end).collect();
        assert_eq!(ends, vec![false, false, false, false, true, true, true]);
        assert!(sender.is_idle());
    }

    #[test]
    fn queued_digits_are_spaced_and_restamped() {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default());
        sender.enqueue_digits("12", Duration::from_millis(40)).expect("valid");
        assert_eq!(sender.enqueue_digits("1x", Duration::from_millis(40)), Err('x'));
        let mut timeline = Vec::new();
        for tick in 0..20u32 {
            timeline.push(sender.poll(tick * 160).map(|p| (p.payload.event.0, p.timestamp)));
        }
        // Digit 1: two packets, two more copies of the end packet, 60 ms without packets, digit 2.
        assert_eq!(&timeline[..4], &[Some((1, 0)); 4]);
        assert_eq!(&timeline[4..7], &[None; 3]);
        assert_eq!(timeline[7], Some((2, 7 * 160)));
    }

    fn receive(receiver: &mut DtmfReceiver, t0: Instant, packets: &[DtmfPacket], drop: &[usize]) {
        for (i, p) in packets.iter().enumerate() {
            if !drop.contains(&i) {
                let now = t0 + Duration::from_millis(20 * i as u64);
                receiver.handle_packet(now, p.timestamp, &p.payload.to_bytes()).expect("valid");
            }
        }
    }

    #[test]
    fn each_digit_once_despite_retransmissions_and_loss() {
        let t0 = Instant::now();
        let mut sender = DtmfSender::new(DtmfSenderConfig::default());
        sender.enqueue_digits("159", Duration::from_millis(100)).expect("valid");
        let packets = all_packets(&mut sender, 0, 40);
        assert_eq!(packets.len(), 21);
        let mut receiver = DtmfReceiver::new(8000);
        // Drop the first (marker) packet of "1", two end packets of "5", every end packet of "9".
        receive(&mut receiver, t0, &packets, &[0, 11, 12, 18, 19, 20]);
        let mut digits: Vec<DtmfDigit> = std::iter::from_fn(|| receiver.poll_digit()).collect();
        assert_eq!(digits.len(), 2, "'9' is still open");
        assert_eq!(receiver.poll_timeout(), Some(t0 + Duration::from_millis(20 * 17 + 200)));
        receiver.handle_timeout(t0 + Duration::from_secs(1));
        digits.extend(std::iter::from_fn(|| receiver.poll_digit()));
        let chars: String = digits.iter().filter_map(|d| d.event.to_char()).collect();
        assert_eq!(chars, "159");
        assert!(digits[0].ended && digits[1].ended && !digits[2].ended);
        assert_eq!(digits[0].duration, Duration::from_millis(100));
        assert_eq!(digits[2].duration, Duration::from_millis(80), "last duration seen");
        // Late retransmissions of finished events are ignored.
        receive(&mut receiver, t0, &packets, &[]);
        assert_eq!(receiver.poll_digit(), None);
    }

    #[test]
    fn next_event_closes_an_event_without_end() {
        let t0 = Instant::now();
        let mut receiver = DtmfReceiver::new(8000);
        let first = EventPayload { event: DtmfEvent(1), end: false, volume: 10, duration: 320 };
        let second = EventPayload { event: DtmfEvent(2), end: true, volume: 10, duration: 800 };
        receiver.handle_packet(t0, 0, &first.to_bytes()).expect("valid");
        receiver.handle_packet(t0, 2000, &second.to_bytes()).expect("valid");
        let events: Vec<u8> = std::iter::from_fn(|| receiver.poll_digit()).map(|d| d.event.0).collect();
        assert_eq!(events, vec![1, 2]);
        assert_eq!(receiver.poll_timeout(), None);
        assert!(receiver.handle_packet(t0, 4000, &[1]).is_err());
    }
}
