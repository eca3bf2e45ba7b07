//! Simulation helpers for tests and benchmarks: a lossy, jittery, reordering datagram channel
//! on a virtual clock, and [`call_path_workload`], a whole receive path (tone → PCMU → RTP →
//! channel → receiver → jitter buffer → decode + PLC) that a benchmark can time.
//!
//! Randomness comes from the caller (any seeded [`rand::Rng`]), time from the `Instant`s
//! passed in; nothing here reads a clock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::codec::{Codec, Pcmu};
use super::jitter::{Frame, JitterBuffer, JitterConfig, JitterStats};
use super::plc::Concealer;
use super::rtp::{ReceiverConfig, RtpReceiver, RtpSender, RtpStats};
use super::tone::ToneGenerator;

/// Impairments of a [`LossyChannel`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelConfig {
    /// Probability that a datagram is lost (0.0..=1.0).
    pub loss: f64,
    /// Mean one-way delay.
    pub base_delay: Duration,
    /// Each delay is `base_delay` ± up to this much, uniformly; datagrams overtake each other
    /// when it exceeds the sending interval.
    pub jitter: Duration,
}

impl Default for ChannelConfig {
    /// 10 % loss, 60 ms ± 40 ms.
    fn default() -> Self {
        ChannelConfig { loss: 0.10, base_delay: Duration::from_millis(60), jitter: Duration::from_millis(40) }
    }
}

/// A datagram channel that loses, delays and reorders datagrams.
#[derive(Debug)]
pub struct LossyChannel<R: Rng> {
    config: ChannelConfig,
    rng: R,
    in_flight: BinaryHeap<Reverse<(Instant, u64, Vec<u8>)>>,
    sent: u64,
    lost: u64,
}

impl<R: Rng> LossyChannel<R> {
    /// A channel drawing its losses and delays from `rng`.
    pub fn new(config: ChannelConfig, rng: R) -> Self {
        LossyChannel { config, rng, in_flight: BinaryHeap::new(), sent: 0, lost: 0 }
    }

    /// Sends a datagram at `now`.
    pub fn send(&mut self, now: Instant, datagram: Vec<u8>) {
        self.sent += 1;
        if self.rng.random::<f64>() < self.config.loss {
            self.lost += 1;
            return;
        }
        let jitter = i128::try_from(self.config.jitter.as_nanos()).unwrap_or(i128::MAX / 4);
        let base = i128::try_from(self.config.base_delay.as_nanos()).unwrap_or(i128::MAX / 4);
        let delay = (base + self.rng.random_range(-jitter..=jitter)).max(0);
        let due = now + Duration::from_nanos(u64::try_from(delay).unwrap_or(u64::MAX));
        self.in_flight.push(Reverse((due, self.sent, datagram)));
    }

    /// The next datagram due at or before `now`, in order of arrival.
    pub fn poll(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.in_flight.peek().is_some_and(|Reverse((due, _, _))| *due <= now) {
            self.in_flight.pop().map(|Reverse((_, _, datagram))| datagram)
        } else {
            None
        }
    }

    /// When the next datagram arrives.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.peek().map(|Reverse((due, _, _))| *due)
    }

    /// Datagrams sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Datagrams the channel lost so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }
}

/// What [`call_path_workload`] produced.
#[derive(Debug, Clone)]
pub struct CallPathSummary {
    /// Played samples (8 kHz), one 20 ms frame per playout tick.
    pub output: Vec<i16>,
    /// RTP counters of the sender and receiver.
    pub rtp: RtpStats,
    /// Jitter buffer counters.
    pub jitter: JitterStats,
}

/// Runs `frames` 20 ms frames of a 1 kHz tone through PCMU, RTP, a [`LossyChannel`] with the
/// default impairments (seeded with `seed`), the receiver, the jitter buffer, the decoder and
/// the concealer, on a virtual clock starting at `epoch` in 1 ms steps. Deterministic for a
/// given seed; meant to be timed by a benchmark (`benches/`), not by a test.
pub fn call_path_workload(epoch: Instant, frames: usize, seed: u64) -> CallPathSummary {
    let mut tone = ToneGenerator::sine(1000.0, 8000, 8000);
    let mut codec = Pcmu;
    // Invariant: payload type 0 is valid.
    let mut sender = RtpSender::new(0x4C41_4D50, 1, 0, 0).expect("payload type 0 is valid");
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(8000, &[0]));
    let mut jitter = JitterBuffer::new(JitterConfig::default());
    let mut plc = Concealer::new(8000);
    let mut channel = LossyChannel::new(ChannelConfig::default(), StdRng::seed_from_u64(seed));
    let peer = SocketAddr::from(([192, 0, 2, 10], 4000));
    let mut output = Vec::with_capacity(frames * 160 + 8000);
    let total_ms = frames as u64 * 20 + 500;
    for ms in 0..total_ms {
        let now = epoch + Duration::from_millis(ms);
        if ms % 20 == 0 && ms / 20 < frames as u64 {
            let payload = codec.encode(&tone.next_frame(160));
            channel.send(now, sender.send_audio(&payload, 160));
        }
        while let Some(datagram) = channel.poll(now) {
            if let Ok(packet) = receiver.handle_packet(now, peer, &datagram) {
                jitter.insert(packet.sequence, packet.timestamp, packet.payload, now);
            }
        }
        if ms % 20 == 10 {
            match jitter.pop(now) {
                Frame::Audio(payload) => {
                    let pcm = codec.decode(&payload);
                    plc.good_frame(&pcm);
                    output.extend_from_slice(&pcm);
                }
                Frame::Lost => output.extend(plc.conceal(160)),
                Frame::Empty => output.extend_from_slice(&[0; 160]),
            }
        }
    }
    CallPathSummary { output, rtp: RtpStats::collect(&sender, &receiver), jitter: jitter.stats() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_loses_delays_and_reorders() {
        let t0 = Instant::now();
        let mut channel = LossyChannel::new(ChannelConfig::default(), StdRng::seed_from_u64(1));
        for i in 0..1000u32 {
            channel.send(t0 + Duration::from_millis(u64::from(i) * 20), i.to_be_bytes().to_vec());
        }
        let mut arrived = Vec::new();
        let mut now = t0;
        while let Some(next) = channel.next_arrival() {
            now = now.max(next);
            while let Some(d) = channel.poll(now) {
                let i = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
                let delay = now - (t0 + Duration::from_millis(u64::from(i) * 20));
                assert!(delay >= Duration::from_millis(20) && delay <= Duration::from_millis(100));
                arrived.push(i);
            }
        }
        assert_eq!(arrived.len() as u64, 1000 - channel.lost());
        assert!((60..=140).contains(&channel.lost()), "about 10 % lost: {}", channel.lost());
        assert!(arrived.windows(2).any(|w| w[0] > w[1]), "some reordering");
    }

    #[test]
    fn workload_is_deterministic() {
        let t0 = Instant::now();
        let a = call_path_workload(t0, 50, 9);
        let b = call_path_workload(t0 + Duration::from_secs(5), 50, 9);
        assert_eq!(a.output, b.output);
        assert_eq!(a.rtp.tx_packets, 50);
        assert_eq!(a.output.len(), (50 * 20 + 500) / 20 * 160);
    }
}
