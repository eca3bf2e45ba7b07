//! The RTCP side of one two-party RTP session (RFC 3550 §6), sans-IO: when the next report
//! is due (randomized interval, §6.3 and A.7), what our SR/RR + SDES CNAME compound carries
//! (reception statistics per A.3, LSR/DLSR), and what the peer's reports tell us: round-trip
//! time (§6.4.1) and how much of our stream it lost.
//!
//! The driver passes every accepted RTP packet to [`RtcpSession::on_rtp`], every RTCP
//! datagram to [`RtcpSession::handle_packet`] with the arrival `Instant` and NTP wall-clock
//! time, and calls [`RtcpSession::report`] when [`RtcpSession::poll_timeout`] has passed.

use super::rtcp::{NtpTime, ReportBlock, RtcpError, RtcpPacket, SDES_CNAME, SdesChunk, SdesItem, SenderInfo};
use super::rtcp::{build_compound, parse_compound, round_trip};
use std::time::{Duration, Instant};

/// The minimum report interval of RFC 3550 §6.2 (the interval for a two-party audio call:
/// the bandwidth share never asks for more).
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);

/// Counters and the peer's view of our stream, for the end-of-call statistics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RtcpStats {
    /// Valid RTCP datagrams received.
    pub rx: u64,
    /// RTCP datagrams built (reports and BYE).
    pub tx: u64,
    /// Datagrams that were not valid RTCP.
    pub malformed: u64,
    /// The latest round-trip time measured from a report block about us.
    pub rtt: Option<Duration>,
    /// The smallest round-trip time measured.
    pub rtt_min: Option<Duration>,
    /// Cumulative packets of ours the peer reports lost (latest report).
    pub remote_lost: Option<i64>,
    /// The fraction of ours it lost in its latest interval, 0.0–1.0.
    pub remote_fraction_lost: Option<f64>,
    /// The interarrival jitter it measures on our stream, in timestamp units.
    pub remote_jitter: Option<u32>,
    /// The peer said BYE.
    pub bye_received: bool,
}

/// What we sent, for the sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendingState {
    /// RTP packets sent so far.
    pub packets: u64,
    /// RTP payload octets sent so far.
    pub octets: u64,
    /// The RTP timestamp that corresponds to "now".
    pub rtp_timestamp: u32,
}

/// Reception counters of the peer's source (RFC 3550 A.3).
#[derive(Debug, Clone, Copy)]
struct Reception {
    ssrc: u32,
    base_seq: u64,
    max_seq: u64,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
}

/// One session's RTCP state.
#[derive(Debug, Clone)]
pub struct RtcpSession {
    ssrc: u32,
    cname: String,
    next_report: Instant,
    reception: Option<Reception>,
    /// Middle 32 bits of the peer's last SR and when it arrived.
    last_sr: Option<(u32, Instant)>,
    packets_at_last_report: u64,
    stats: RtcpStats,
}

impl RtcpSession {
    /// A session for our source `ssrc` described by `cname`, started at `now`; `random` in
    /// [0, 1) draws the first report time (half the minimum interval, randomized).
    pub fn new(ssrc: u32, cname: &str, now: Instant, random: f64) -> Self {
        RtcpSession {
            ssrc,
            cname: cname.chars().take(255).collect(),
            next_report: now + interval(MIN_INTERVAL / 2, random),
            reception: None,
            last_sr: None,
            packets_at_last_report: 0,
            stats: RtcpStats::default(),
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Counters so far.
    pub fn stats(&self) -> RtcpStats {
        self.stats
    }

    /// When the next report is due.
    pub fn poll_timeout(&self) -> Instant {
        self.next_report
    }

    /// An RTP packet of the peer was accepted: its SSRC and extended sequence number. A new
    /// SSRC restarts the reception counters.
    pub fn on_rtp(&mut self, ssrc: u32, extended_sequence: u64) {
        match &mut self.reception {
            Some(r) if r.ssrc == ssrc => {
                r.received += 1;
                r.max_seq = r.max_seq.max(extended_sequence);
            }
            _ => {
                self.reception = Some(Reception {
                    ssrc,
                    base_seq: extended_sequence,
                    max_seq: extended_sequence,
                    received: 1,
                    expected_prior: 0,
                    received_prior: 0,
                });
            }
        }
    }

    /// An RTCP datagram arrived at `now` (`ntp` is our wall clock then). Reports about our
    /// SSRC update the round-trip time and remote loss; an SR is remembered for LSR/DLSR.
    pub fn handle_packet(&mut self, now: Instant, ntp: NtpTime, data: &[u8]) -> Result<(), RtcpError> {
        let packets = match parse_compound(data) {
            Ok(p) => p,
            Err(e) => {
                self.stats.malformed += 1;
                return Err(e);
            }
        };
        self.stats.rx += 1;
        for p in &packets {
            let blocks = match p {
                RtcpPacket::SenderReport { ssrc, info, reports } => {
                    if self.reception.is_none_or(|r| r.ssrc == *ssrc) {
                        self.last_sr = Some((info.ntp.compact(), now));
                    }
                    reports.as_slice()
                }
                RtcpPacket::ReceiverReport { reports, .. } => reports.as_slice(),
                RtcpPacket::Bye { sources, .. } => {
                    self.stats.bye_received |= sources.iter().any(|s| Some(*s) == self.reception.map(|r| r.ssrc));
                    &[]
                }
                _ => &[],
            };
            let ours = self.ssrc;
            for b in blocks.iter().filter(|b| b.ssrc == ours) {
                self.on_report_about_us(ntp, b);
            }
        }
        Ok(())
    }

    fn on_report_about_us(&mut self, ntp: NtpTime, b: &ReportBlock) {
        self.stats.remote_lost = Some(i64::from(b.cumulative_lost));
        self.stats.remote_fraction_lost = Some(f64::from(b.fraction_lost) / 256.0);
        self.stats.remote_jitter = Some(b.jitter);
        if let Some(rtt) = round_trip(ntp.compact(), b) {
            self.stats.rtt = Some(rtt);
            self.stats.rtt_min = Some(self.stats.rtt_min.map_or(rtt, |m| m.min(rtt)));
        }
    }

    /// Builds the compound report due now (SR when we sent RTP since the last report, else
    /// RR; then SDES CNAME) and schedules the next one `random` in [0, 1) from now.
    /// `jitter` is the receiver's interarrival jitter in timestamp units.
    pub fn report(&mut self, now: Instant, ntp: NtpTime, sending: SendingState, jitter: u32, random: f64) -> Vec<u8> {
        self.next_report = now + interval(MIN_INTERVAL, random);
        let reports: Vec<ReportBlock> = self.report_block(now, jitter).into_iter().collect();
        let first = if sending.packets > self.packets_at_last_report {
            let info = SenderInfo {
                ntp,
                rtp_timestamp: sending.rtp_timestamp,
                packet_count: sending.packets as u32,
                octet_count: sending.octets as u32,
            };
            RtcpPacket::SenderReport { ssrc: self.ssrc, info, reports }
        } else {
            RtcpPacket::ReceiverReport { ssrc: self.ssrc, reports }
        };
        self.packets_at_last_report = sending.packets;
        self.stats.tx += 1;
        build_compound(&[first, self.sdes()])
    }

    /// The final compound: a last report plus BYE with `reason` (RFC 3550 §6.6).
    pub fn bye(&mut self, now: Instant, ntp: NtpTime, sending: SendingState, jitter: u32, reason: &str) -> Vec<u8> {
        let mut out = self.report(now, ntp, sending, jitter, 0.5);
        let bye = RtcpPacket::Bye { sources: vec![self.ssrc], reason: Some(reason.to_string()) };
        out.extend_from_slice(&bye.to_bytes());
        out
    }

    fn sdes(&self) -> RtcpPacket {
        let item = SdesItem { kind: SDES_CNAME, value: self.cname.as_bytes().to_vec() };
        RtcpPacket::Sdes(vec![SdesChunk { ssrc: self.ssrc, items: vec![item] }])
    }

    /// The report block about the peer's source (RFC 3550 A.3), updating the interval counters.
    fn report_block(&mut self, now: Instant, jitter: u32) -> Option<ReportBlock> {
        let r = self.reception.as_mut()?;
        let expected = r.max_seq - r.base_seq + 1;
        let lost = expected as i64 - r.received as i64;
        let expected_interval = expected - r.expected_prior;
        let received_interval = r.received - r.received_prior;
        r.expected_prior = expected;
        r.received_prior = r.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let d = now.saturating_duration_since(at);
                (lsr, (d.as_nanos() * 65_536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32)
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc: r.ssrc,
            fraction_lost,
            cumulative_lost: lost.clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_sequence: r.max_seq as u32,
            jitter,
            last_sr,
            delay_since_last_sr,
        })
    }
}

/// A randomized report interval (RFC 3550 §6.3.1): `base` × U[0.5, 1.5] / (e − 3/2).
pub fn interval(base: Duration, random: f64) -> Duration {
    const COMPENSATION: f64 = std::f64::consts::E - 1.5;
    base.mul_f64((0.5 + random.clamp(0.0, 1.0)) / COMPENSATION)
}
