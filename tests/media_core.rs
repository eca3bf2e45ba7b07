//! The media core end to end on a virtual clock: a 1 kHz tone through PCMU, RTP, a lossy and
//! jittery channel, the receiver, the jitter buffer, the decoder and the concealer; and RFC 4733
//! DTMF through loss, duplication and reordering.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lampboard::media::rtp::{ReceiverConfig, RtpDrop, RtpReceiver, RtpSender};
use lampboard::media::sim::{ChannelConfig, LossyChannel};
use lampboard::media::{
    Codec, Concealer, DtmfReceiver, DtmfSender, DtmfSenderConfig, Frame, JitterBuffer, JitterConfig, JitterStats, Pcmu,
    ToneGenerator, dominant_frequency, goertzel,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const FRAME: usize = 160;
const TONE_HZ: f64 = 1000.0;
const AMPLITUDE: i16 = 8000;
const TELEPHONE_EVENT: u8 = 101;

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 10], 40000))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What the playout side produced in one simulated call.
struct CallOutcome {
    /// Played samples from the first to the last decoded frame.
    audio: Vec<i16>,
    /// Kind of every 20 ms output frame in that span: 'A'udio, 'L'ost (concealed).
    kinds: String,
    jitter: JitterStats,
    rx_packets: u64,
    lost: u64,
    jitter_ms: f64,
    malformed: u64,
    foreign: u64,
    injected_malformed: u64,
    injected_foreign: u64,
    channel_lost: u64,
}

/// Runs `seconds` of a 1 kHz tone through the whole path with the channel seeded by `seed`;
/// every 50 ms a junk datagram (alternately malformed and foreign) is injected at the receiver.
fn run_call(seed: u64, seconds: u64) -> CallOutcome {
    let epoch = Instant::now();
    let mut tone = ToneGenerator::sine(TONE_HZ, AMPLITUDE, 8000);
    let mut encoder = Pcmu;
    let mut decoder = Pcmu;
    // Sequence numbers and timestamps both wrap during the call.
    let mut sender = RtpSender::new(0x0BAD_CAFE, 65_300, u32::MAX - 40_000, 0).expect("PT 0");
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(8000, &[0]).with_other_payload_types(&[TELEPHONE_EVENT]));
    let mut jitter = JitterBuffer::new(JitterConfig::default());
    let mut plc = Concealer::new(8000);
    let mut channel = LossyChannel::new(
        ChannelConfig { loss: 0.10, base_delay: ms(60), jitter: ms(40) },
        StdRng::seed_from_u64(seed),
    );
    let frames = seconds * 50;
    let (mut injected_malformed, mut injected_foreign) = (0, 0);
    let mut output: Vec<(char, Vec<i16>)> = Vec::new();
    for t in 0..frames * 20 + 500 {
        let now = epoch + ms(t);
        if t % 20 == 0 && t / 20 < frames {
            let payload = encoder.encode(&tone.next_frame(FRAME));
            channel.send(now, sender.send_audio(&payload, FRAME as u32));
        }
        if t % 50 == 25 {
            let (junk, from): (Vec<u8>, SocketAddr) = match (t / 50) % 4 {
                0 => (vec![0x80, 0x00, 0x01], peer()),
                1 => {
                    let mut version_1 = sender.clone().send_audio(&[0xFF; 160], 160);
                    version_1[0] = 0x40 | (version_1[0] & 0x3F);
                    (version_1, peer())
                }
                // A scanner spraying RTP at our port: a new SSRC every time, same address.
                2 => {
                    let mut scanner = RtpSender::new(0x5CA0_0000 + t as u32, t as u16, 0, 0).expect("PT 0");
                    (scanner.send_audio(&[0x00; 160], 160), peer())
                }
                _ => {
                    let mut spoof = sender.clone();
                    (spoof.send_audio(&[0x00; 160], 160), SocketAddr::from(([198, 51, 100, 7], 40000)))
                }
            };
            match receiver.handle_packet(now, from, &junk) {
                Err(RtpDrop::Malformed(_)) => injected_malformed += 1,
                Err(RtpDrop::Foreign) => injected_foreign += 1,
                other => panic!("junk datagram was not dropped: {other:?}"),
            }
        }
        while let Some(datagram) = channel.poll(now) {
            let packet = receiver.handle_packet(now, peer(), &datagram).expect("genuine packets are accepted");
            jitter.insert(packet.sequence, packet.timestamp, packet.payload, now);
        }
        if t % 20 == 10 {
            match jitter.pop(now) {
                Frame::Audio(payload) => {
                    let pcm = decoder.decode(&payload);
                    plc.good_frame(&pcm);
                    output.push(('A', pcm));
                }
                Frame::Lost => output.push(('L', plc.conceal(FRAME))),
                Frame::Empty => output.push(('E', vec![0; FRAME])),
            }
        }
    }
    let first = output.iter().position(|(k, _)| *k == 'A').expect("some audio played");
    let last = output.iter().rposition(|(k, _)| *k == 'A').expect("some audio played");
    let span = &output[first..=last];
    let stats = receiver.stats();
    CallOutcome {
        audio: span.iter().flat_map(|(_, pcm)| pcm.iter().copied()).collect(),
        kinds: span.iter().map(|(k, _)| *k).collect(),
        jitter: jitter.stats(),
        rx_packets: stats.rx_packets,
        lost: stats.lost,
        jitter_ms: stats.jitter_ms,
        malformed: stats.malformed,
        foreign: stats.foreign,
        injected_malformed,
        injected_foreign,
        channel_lost: channel.lost(),
    }
}

/// Longest run of samples quieter than 1 % of the tone's amplitude.
fn longest_silence(samples: &[i16]) -> usize {
    let quiet = i32::from(AMPLITUDE) / 100;
    let mut longest = 0;
    let mut run = 0;
    for &s in samples {
        if i32::from(s).abs() < quiet {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

#[test]
fn tone_survives_loss_jitter_and_reordering() {
    for seed in 1..=8 {
        let call = run_call(seed, 10);
        let diagnostics = format!(
            "seed {seed}: rx {} lost {} (channel {}) RFC 3550 jitter {:.1} ms, buffer {:?} kinds {}",
            call.rx_packets, call.lost, call.channel_lost, call.jitter_ms, call.jitter, call.kinds
        );
        // The tone is found within ±2 % with an SNR of at least 20 dB.
        let found = dominant_frequency(&call.audio, 8000, 300.0..3400.0).expect("a tone");
        assert!((found - TONE_HZ).abs() <= 0.02 * TONE_HZ, "found {found} Hz; {diagnostics}");
        let measured = goertzel(&call.audio, 8000, TONE_HZ);
        assert!(measured.snr_db >= 20.0, "SNR {:.1} dB; {diagnostics}", measured.snr_db);
        // Concealment bridges every loss: no silence longer than one PLC frame.
        let silence = longest_silence(&call.audio);
        assert!(silence <= FRAME, "silence of {silence} samples; {diagnostics}");
        // Accounting: the channel's losses are the receiver's losses; junk was counted and dropped.
        // (Losses at the very start or end of the stream are invisible to expected − received.)
        assert_eq!(call.rx_packets + call.channel_lost, 500, "{diagnostics}");
        assert!(call.lost <= call.channel_lost && call.lost + 3 >= call.channel_lost, "{diagnostics}");
        assert_eq!((call.malformed, call.foreign), (call.injected_malformed, call.injected_foreign));
        assert!(call.injected_malformed >= 90 && call.injected_foreign >= 90);
        // Uniform ±40 ms delays: E|D(i-1, i)| = 80/3 ≈ 26.7 ms is what RFC 3550 A.8 estimates.
        assert!((18.0..=36.0).contains(&call.jitter_ms), "{diagnostics}");
        let target = call.jitter.target_delay_ms;
        assert!((20.0..=200.0).contains(&target), "target {target} ms; {diagnostics}");
        println!("{diagnostics} SNR {:.1} dB, f {found:.1} Hz, longest silence {silence}", measured.snr_db);
    }
}

/// Sends `digits` as RFC 4733 events on one RTP stream, one poll per 20 ms; returns
/// `(send time, datagram)` pairs.
fn dtmf_datagrams(digits: &str, epoch: Instant) -> Vec<(Instant, Vec<u8>)> {
    let mut rtp = RtpSender::new(0xD7_3F, 100, 8000, 0).expect("PT 0");
    let mut dtmf = DtmfSender::new(DtmfSenderConfig::default());
    dtmf.enqueue_digits(digits, ms(100)).expect("keypad digits");
    let mut out = Vec::new();
    let mut tick = 0u64;
    while !dtmf.is_idle() || tick == 0 {
        if let Some(packet) = dtmf.poll(rtp.timestamp()) {
            let datagram = rtp
                .send_raw(TELEPHONE_EVENT, packet.marker, packet.timestamp, &packet.payload.to_bytes())
                .expect("PT 101");
            out.push((epoch + ms(tick * 20), datagram));
        }
        rtp.advance(160);
        tick += 1;
    }
    out
}

/// Feeds datagrams (already in arrival order) to a receiver and returns the digits recognised.
fn receive_digits(datagrams: &[(Instant, Vec<u8>)]) -> String {
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(8000, &[0]).with_other_payload_types(&[TELEPHONE_EVENT]));
    let mut dtmf = DtmfReceiver::new(8000);
    let mut digits = String::new();
    let mut last = None;
    for (at, datagram) in datagrams {
        let packet = receiver.handle_packet(*at, peer(), datagram).expect("accepted");
        assert_eq!(packet.payload_type, TELEPHONE_EVENT);
        dtmf.handle_packet(*at, packet.timestamp, &packet.payload).expect("4-byte payload");
        digits.extend(std::iter::from_fn(|| dtmf.poll_digit()).filter_map(|d| d.event.to_char()));
        last = Some(*at);
    }
    if let Some(last) = last {
        dtmf.handle_timeout(last + DtmfReceiver::END_TIMEOUT);
    }
    digits.extend(std::iter::from_fn(|| dtmf.poll_digit()).filter_map(|d| d.event.to_char()));
    digits
}

#[test]
fn dtmf_digits_arrive_once_despite_chosen_losses() {
    let epoch = Instant::now();
    let sent = dtmf_datagrams("123#", epoch);
    // 7 packets per 100 ms digit (5 with growing duration, 2 more copies of the end packet).
    assert_eq!(sent.len(), 28);
    let digit = |d: usize, k: usize| d * 7 + k;
    let lost = [
        digit(0, 0), // "1": the first packet, with the marker
        digit(0, 2),
        digit(1, 4), // "2": two of the three end packets
        digit(1, 5),
        digit(2, 4), // "3": every end packet (closed when "#" starts)
        digit(2, 5),
        digit(2, 6),
    ];
    let mut arriving: Vec<(Instant, Vec<u8>)> =
        sent.iter().enumerate().filter(|(i, _)| !lost.contains(i)).map(|(_, d)| d.clone()).collect();
    // "#": a duplicated packet and two swapped ones.
    let hash_start = arriving.len() - 7;
    arriving.insert(hash_start + 2, arriving[hash_start + 1].clone());
    arriving.swap(hash_start + 4, hash_start + 5);
    assert_eq!(receive_digits(&arriving), "123#");
}

#[test]
fn dtmf_digits_arrive_once_through_a_lossy_channel() {
    for seed in 0..40 {
        let epoch = Instant::now();
        let mut channel = LossyChannel::new(ChannelConfig::default(), StdRng::seed_from_u64(seed));
        for (at, datagram) in dtmf_datagrams("123#", epoch) {
            channel.send(at, datagram);
        }
        let mut arriving = Vec::new();
        while let Some(at) = channel.next_arrival() {
            while let Some(datagram) = channel.poll(at) {
                arriving.push((at, datagram));
            }
        }
        assert_eq!(receive_digits(&arriving), "123#", "seed {seed}, {} of 28 lost", channel.lost());
    }
}

#[test]
fn malformed_and_foreign_packets_never_reach_the_jitter_buffer() {
    let epoch = Instant::now();
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(8000, &[0]));
    let mut sender = RtpSender::new(1, 0, 0, 0).expect("PT 0");
    let mut jitter = JitterBuffer::new(JitterConfig::default());
    let mut stranger = RtpSender::new(2, 0, 0, 0).expect("PT 0");
    for i in 0..100u64 {
        let now = epoch + ms(i * 20);
        let good = sender.send_audio(&[0xFF; 160], 160);
        let mut truncated = good.clone();
        truncated.truncate(7);
        let foreign = stranger.send_audio(&[0xFF; 160], 160);
        for (from, datagram) in [(peer(), good), (peer(), truncated), (peer(), foreign)] {
            if let Ok(packet) = receiver.handle_packet(now, from, &datagram) {
                jitter.insert(packet.sequence, packet.timestamp, packet.payload, now);
            }
        }
        jitter.pop(now + ms(10));
    }
    let stats = receiver.stats();
    assert_eq!((stats.rx_packets, stats.malformed, stats.foreign, stats.lost), (100, 100, 100, 0));
    assert_eq!(jitter.stats().buffered, 100);
}
