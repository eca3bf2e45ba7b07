//! RTCP packets (RFC 3550 §6): sender and receiver reports with their report blocks, SDES
//! (CNAME and the other items), BYE, and compound packets. Sans-IO: bytes in, typed packets
//! out and back. Anything malformed is an [`RtcpError`], never a panic.
//!
//! The session logic (when to send, what to put in a report block, round-trip time) is in
//! [`super::rtcp_session`].

use std::fmt;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of source description.
pub const PT_SDES: u8 = 202;
/// Packet type of goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of application-defined packets.
pub const PT_APP: u8 = 204;

/// SDES item type of the canonical name.
pub const SDES_CNAME: u8 = 1;

/// A 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct NtpTime(pub u64);

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

impl NtpTime {
    /// The NTP time of a duration since the Unix epoch (what `SystemTime::now()` gives).
    pub fn from_unix(since_epoch: std::time::Duration) -> Self {
        let secs = since_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET);
        let frac = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
        NtpTime((secs << 32) | frac)
    }

    /// The middle 32 bits (16.16 fixed point seconds): what LSR and round-trip arithmetic use.
    pub fn compact(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// One reception report block (RFC 3550 §6.4.1): how we receive the source `ssrc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block is about.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (signed 24 bits: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR from that source (0: none yet).
    pub last_sr: u32,
    /// Delay since that SR arrived, in 1/65536 s (0: none yet).
    pub delay_since_last_sr: u32,
}

/// The sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wall-clock time of the report.
    pub ntp: NtpTime,
    /// The same instant in the RTP timestamp units of the stream.
    pub rtp_timestamp: u32,
    /// RTP packets sent since the start.
    pub packet_count: u32,
    /// RTP payload octets sent since the start.
    pub octet_count: u32,
}

/// One SDES item (type and raw value; CNAME is type 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesItem {
    /// Item type (1 CNAME, 2 NAME, … 8 PRIV).
    pub kind: u8,
    /// The value, at most 255 octets (UTF-8 by the RFC, not checked here).
    pub value: Vec<u8>,
}

/// The items describing one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its items.
    pub items: Vec<SdesItem>,
}

/// An RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    /// Sender report (PT 200).
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its sender information.
        info: SenderInfo,
        /// Its reception reports (at most 31).
        reports: Vec<ReportBlock>,
    },
    /// Receiver report (PT 201).
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its reception reports (at most 31).
        reports: Vec<ReportBlock>,
    },
    /// Source description (PT 202).
    Sdes(Vec<SdesChunk>),
    /// Goodbye (PT 203).
    Bye {
        /// The sources leaving.
        sources: Vec<u32>,
        /// Why, if said.
        reason: Option<String>,
    },
    /// Any other packet type (APP, feedback, XR…), kept raw.
    Other {
        /// Its packet type.
        packet_type: u8,
        /// The 5-bit count / subtype field.
        count: u8,
        /// Everything after the 4-byte header (padding removed).
        body: Vec<u8>,
    },
}

/// Why a datagram is not valid RTCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpError {
    /// Fewer than 4 bytes where a header should be, or a body shorter than its type needs.
    Truncated,
    /// Version is not 2.
    BadVersion(u8),
    /// The length field points past the end of the datagram.
    BadLength,
    /// A compound packet must start with an SR or RR (RFC 3550 §6.1); this one starts with `0`.
    NotReportFirst(u8),
    /// Padding on a packet other than the last, or a padding count larger than the packet.
    BadPadding,
    /// An SDES chunk or BYE reason runs past its packet.
    BadItem,
}

impl fmt::Display for RtcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtcpError::Truncated => write!(f, "RTCP packet truncated"),
            RtcpError::BadVersion(v) => write!(f, "RTCP version {v}, not 2"),
            RtcpError::BadLength => write!(f, "RTCP length field past the end of the datagram"),
            RtcpError::NotReportFirst(pt) => write!(f, "compound RTCP starts with packet type {pt}, not SR/RR"),
            RtcpError::BadPadding => write!(f, "RTCP padding in the wrong place or too long"),
            RtcpError::BadItem => write!(f, "RTCP SDES item or BYE reason past the end of its packet"),
        }
    }
}

impl std::error::Error for RtcpError {}

/// Parses a compound RTCP datagram with the validity checks of RFC 3550 A.2: version 2
/// everywhere, the first packet an SR or RR, padding only in the last, lengths adding up to
/// the datagram.
pub fn parse_compound(data: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut packets = Vec::new();
    let mut rest = data;
    // Each packet takes at least 4 bytes, so this ends within data.len() / 4 rounds.
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(RtcpError::Truncated);
        }
        let version = rest[0] >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion(version));
        }
        let padded = rest[0] & 0x20 != 0;
        let count = rest[0] & 0x1f;
        let packet_type = rest[1];
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        if len > rest.len() {
            return Err(RtcpError::BadLength);
        }
        if packets.is_empty() && packet_type != PT_SR && packet_type != PT_RR {
            return Err(RtcpError::NotReportFirst(packet_type));
        }
        let last = len == rest.len();
        let mut body = &rest[4..len];
        if padded {
            let pad = usize::from(*body.last().ok_or(RtcpError::BadPadding)?);
            if !last || pad == 0 || pad > body.len() {
                return Err(RtcpError::BadPadding);
            }
            body = &body[..body.len() - pad];
        }
        packets.push(parse_body(packet_type, count, body)?);
        rest = &rest[len..];
    }
    if packets.is_empty() {
        return Err(RtcpError::Truncated);
    }
    Ok(packets)
}

fn parse_body(packet_type: u8, count: u8, body: &[u8]) -> Result<RtcpPacket, RtcpError> {
    let mut r = Reader(body);
    match packet_type {
        PT_SR => {
            let ssrc = r.u32()?;
            let ntp = NtpTime((u64::from(r.u32()?) << 32) | u64::from(r.u32()?));
            let info = SenderInfo { ntp, rtp_timestamp: r.u32()?, packet_count: r.u32()?, octet_count: r.u32()? };
            let reports = report_blocks(&mut r, count)?;
            Ok(RtcpPacket::SenderReport { ssrc, info, reports })
        }
        PT_RR => {
            let ssrc = r.u32()?;
            let reports = report_blocks(&mut r, count)?;
            Ok(RtcpPacket::ReceiverReport { ssrc, reports })
        }
        PT_SDES => {
            let mut chunks = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                chunks.push(sdes_chunk(&mut r)?);
            }
            Ok(RtcpPacket::Sdes(chunks))
        }
        PT_BYE => {
            let mut sources = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                sources.push(r.u32()?);
            }
            let reason = if r.0.is_empty() {
                None
            } else {
                let n = usize::from(r.u8()?);
                let text = r.take(n).map_err(|_| RtcpError::BadItem)?;
                Some(String::from_utf8_lossy(text).into_owned())
            };
            Ok(RtcpPacket::Bye { sources, reason })
        }
        _ => Ok(RtcpPacket::Other { packet_type, count, body: body.to_vec() }),
    }
}

fn report_blocks(r: &mut Reader<'_>, count: u8) -> Result<Vec<ReportBlock>, RtcpError> {
    let mut blocks = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let ssrc = r.u32()?;
        let word = r.u32()?;
        // Sign-extend the 24-bit cumulative count.
        let cumulative_lost = ((word << 8) as i32) >> 8;
        blocks.push(ReportBlock {
            ssrc,
            fraction_lost: (word >> 24) as u8,
            cumulative_lost,
            highest_sequence: r.u32()?,
            jitter: r.u32()?,
            last_sr: r.u32()?,
            delay_since_last_sr: r.u32()?,
        });
    }
    // Profile-specific extensions may follow; they are ignored.
    Ok(blocks)
}

fn sdes_chunk(r: &mut Reader<'_>) -> Result<SdesChunk, RtcpError> {
    let start = r.0.len();
    let ssrc = r.u32()?;
    let mut items = Vec::new();
    // Each item takes at least 2 bytes of a finite body, so the loop ends.
    loop {
        let kind = r.u8().map_err(|_| RtcpError::BadItem)?;
        if kind == 0 {
            break;
        }
        let n = usize::from(r.u8().map_err(|_| RtcpError::BadItem)?);
        let value = r.take(n).map_err(|_| RtcpError::BadItem)?.to_vec();
        items.push(SdesItem { kind, value });
    }
    // The null item is followed by more nulls up to the next 32-bit boundary.
    let used = start - r.0.len();
    let pad = (4 - used % 4) % 4;
    r.take(pad.min(r.0.len()))?;
    Ok(SdesChunk { ssrc, items })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RtcpError> {
        if self.0.len() < n {
            return Err(RtcpError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, RtcpError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, RtcpError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl RtcpPacket {
    /// The packet's bytes (header included, padded to 32 bits for SDES and BYE). More than 31
    /// report blocks, sources or chunks are cut to 31; SDES values and the BYE reason to 255
    /// octets.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let (packet_type, count) = match self {
            RtcpPacket::SenderReport { ssrc, info, reports } => {
                body.extend_from_slice(&ssrc.to_be_bytes());
                body.extend_from_slice(&info.ntp.0.to_be_bytes());
                for v in [info.rtp_timestamp, info.packet_count, info.octet_count] {
                    body.extend_from_slice(&v.to_be_bytes());
                }
                (PT_SR, write_blocks(&mut body, reports))
            }
            RtcpPacket::ReceiverReport { ssrc, reports } => {
                body.extend_from_slice(&ssrc.to_be_bytes());
                (PT_RR, write_blocks(&mut body, reports))
            }
            RtcpPacket::Sdes(chunks) => {
                let chunks = &chunks[..chunks.len().min(31)];
                for c in chunks {
                    body.extend_from_slice(&c.ssrc.to_be_bytes());
                    for item in c.items.iter().filter(|i| i.kind != 0) {
                        let v = &item.value[..item.value.len().min(255)];
                        body.push(item.kind);
                        body.push(v.len() as u8);
                        body.extend_from_slice(v);
                    }
                    // The END item, then nulls to the boundary (at least one null in all).
                    body.push(0);
                    while body.len() % 4 != 0 {
                        body.push(0);
                    }
                }
                (PT_SDES, chunks.len() as u8)
            }
            RtcpPacket::Bye { sources, reason } => {
                let sources = &sources[..sources.len().min(31)];
                for s in sources {
                    body.extend_from_slice(&s.to_be_bytes());
                }
                if let Some(text) = reason {
                    let t = &text.as_bytes()[..text.len().min(255)];
                    body.push(t.len() as u8);
                    body.extend_from_slice(t);
                    while body.len() % 4 != 0 {
                        body.push(0);
                    }
                }
                (PT_BYE, sources.len() as u8)
            }
            RtcpPacket::Other { packet_type, count, body: b } => {
                body.extend_from_slice(b);
                while body.len() % 4 != 0 {
                    body.push(0);
                }
                (*packet_type, count & 0x1f)
            }
        };
        let words = (body.len() / 4) as u16;
        let mut out = Vec::with_capacity(4 + body.len());
        out.push(0x80 | count);
        out.push(packet_type);
        out.extend_from_slice(&words.to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// The CNAME of an SDES packet's chunk for `ssrc`, if present and UTF-8.
    pub fn cname_of(&self, ssrc: u32) -> Option<&str> {
        let RtcpPacket::Sdes(chunks) = self else { return None };
        chunks
            .iter()
            .filter(|c| c.ssrc == ssrc)
            .flat_map(|c| &c.items)
            .find(|i| i.kind == SDES_CNAME)
            .and_then(|i| std::str::from_utf8(&i.value).ok())
    }
}

fn write_blocks(body: &mut Vec<u8>, reports: &[ReportBlock]) -> u8 {
    let reports = &reports[..reports.len().min(31)];
    for b in reports {
        let lost = b.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32 & 0x00ff_ffff;
        for v in [b.ssrc, (u32::from(b.fraction_lost) << 24) | lost, b.highest_sequence, b.jitter] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        for v in [b.last_sr, b.delay_since_last_sr] {
            body.extend_from_slice(&v.to_be_bytes());
        }
    }
    reports.len() as u8
}

/// A compound packet: the packets' bytes one after the other. Put an SR or RR first
/// (RFC 3550 §6.1); [`parse_compound`] rejects anything else.
pub fn build_compound(packets: &[RtcpPacket]) -> Vec<u8> {
    packets.iter().flat_map(RtcpPacket::to_bytes).collect()
}

/// Round-trip time from a report block about our stream (RFC 3550 §6.4.1): `arrival` is
/// when the report came, as the middle 32 bits of our NTP clock. `None` when the peer has
/// no SR from us yet (LSR 0), or the result would be negative (clock trouble).
pub fn round_trip(arrival: u32, block: &ReportBlock) -> Option<std::time::Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = arrival.wrapping_sub(block.last_sr).wrapping_sub(block.delay_since_last_sr);
    // A "negative" result wraps to a huge value: more than half the 16.16 range is nonsense.
    if rtt >= 0x8000_0000 {
        return None;
    }
    Some(std::time::Duration::from_nanos(u64::from(rtt) * 1_000_000_000 / 65_536))
}
