//! `cargo bench --bench media`: CPU per active call for the audio path, printed as figures.
//!
//! One "call second" is 50 frames of 20 ms each way: encode + RTP packetise + receive + jitter
//! buffer + decode, plus (for the device path) resampling the microphone from 48 kHz to the
//! codec rate and the decoded audio back to 48 kHz. The figure is the share of one core that
//! one call uses (time per call second / 1 s). Nothing is asserted.

use lampboard::media::audio::{RateConverter, i16_to_f32};
use lampboard::media::rtp::{ReceiverConfig, RtpReceiver, RtpSender};
use lampboard::media::{Codec, Frame, G722, JitterBuffer, JitterConfig, Opus, Pcmu, ToneGenerator};
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Runs `seconds` of one call's media through `codec` (and the 48 kHz device resampling when
/// `device`); returns the wall time taken.
fn call_seconds(mut enc: Box<dyn Codec>, mut dec: Box<dyn Codec>, seconds: usize, device: bool) -> Duration {
    let rate = enc.sample_rate();
    let clock = enc.clock_rate();
    let frame = enc.samples_per_frame(20);
    let pt = enc.payload_type();
    let mut tone = ToneGenerator::sine(1000.0, 8000, 48_000);
    let mic_frames: Vec<Vec<f32>> =
        (0..50).map(|_| tone.next_frame(960).into_iter().map(i16_to_f32).collect()).collect();
    let mut codec_tone = ToneGenerator::sine(1000.0, 8000, rate);
    let codec_frames: Vec<Vec<i16>> = (0..50).map(|_| codec_tone.next_frame(frame)).collect();
    let mut down = RateConverter::new(48_000, rate).expect("rates");
    let mut up = RateConverter::new(rate, 48_000).expect("rates");
    let mut mic = vec![0.0f32; frame];
    let mut speaker = vec![0.0f32; 960];
    let mut pcm = vec![0i16; frame];
    let mut sender = RtpSender::new(1, 1, 0, pt).expect("payload type");
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(clock, &[pt]));
    let mut jitter = JitterBuffer::new(JitterConfig { clock_rate: clock, ..JitterConfig::default() });
    let peer = SocketAddr::from(([192, 0, 2, 1], 4000));
    let epoch = Instant::now();
    let start = Instant::now();
    for i in 0..seconds * 50 {
        let now = epoch + Duration::from_millis(i as u64 * 20);
        if device {
            down.push(&mic_frames[i % 50]);
            let n = down.pop(&mut mic);
            for (p, &s) in pcm.iter_mut().zip(&mic[..n]) {
                *p = (s * 32767.0) as i16;
            }
        } else {
            pcm.copy_from_slice(&codec_frames[i % 50]);
        }
        let packet = sender.send_audio(&enc.encode(&pcm), clock / 50);
        if let Ok(p) = receiver.handle_packet(now, peer, &packet) {
            jitter.insert(p.sequence, p.timestamp, p.payload, now);
        }
        let out = match jitter.pop(now + Duration::from_millis(60)) {
            Frame::Audio(payload) => dec.decode(&payload),
            _ => vec![0; frame],
        };
        if device {
            let f: Vec<f32> = out.iter().map(|&s| i16_to_f32(s)).collect();
            up.push(&f);
            black_box(up.pop(&mut speaker));
        }
        black_box(&out);
    }
    start.elapsed()
}

/// A codec's name with an encoder and a decoder.
type Case = (&'static str, Box<dyn Codec>, Box<dyn Codec>);

fn main() {
    let seconds = 20;
    println!("CPU per active call (20 ms frames, {seconds} s of audio each way, one core):");
    for device in [false, true] {
        let cases: Vec<Case> = vec![
            ("PCMU", Box::new(Pcmu), Box::new(Pcmu)),
            ("G722", Box::new(G722::new()), Box::new(G722::new())),
            ("opus", Box::new(Opus::new(111).expect("libopus")), Box::new(Opus::new(111).expect("libopus"))),
        ];
        for (name, enc, dec) in cases {
            let took = call_seconds(enc, dec, seconds, device);
            let share = took.as_secs_f64() / seconds as f64 * 100.0;
            let path = if device { "with 48 kHz device resampling" } else { "codec + RTP + jitter" };
            println!(
                "  {name:5} {path:32} {share:6.3} % of a core ({:.1} µs per 20 ms frame)",
                took.as_secs_f64() * 1e6 / (seconds * 50) as f64
            );
        }
    }
    for (from, to) in [(48_000, 8000), (48_000, 16_000), (44_100, 8000), (8000, 48_000)] {
        let mut conv = RateConverter::new(from, to).expect("rates");
        let input = vec![0.1f32; from as usize / 50];
        let mut out = vec![0.0f32; to as usize / 50 + 64];
        let start = Instant::now();
        for _ in 0..50 * seconds {
            conv.push(black_box(&input));
            black_box(conv.pop(&mut out));
        }
        let share = start.elapsed().as_secs_f64() / seconds as f64 * 100.0;
        println!("  resample {from} → {to} Hz: {share:.3} % of a core, delay {} samples", conv.delay());
    }
}
