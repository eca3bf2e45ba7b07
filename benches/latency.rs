//! `cargo bench --bench latency`: the latency figures of issue 4, printed (nothing asserted).
//!
//! (a) One-way latency the pipeline adds on a clean network. A tone is switched on in the
//!     talker's 20 ms frames at a known instant; the frames go encode → RTP → receiver →
//!     jitter buffer → decode on a simulated clock (zero network delay), the listener's 20 ms
//!     playout ticks run at a phase offset swept over 0–19 ms, and the figure is the time from
//!     the tone's first sample at the microphone to that sample handed to the speaker. This
//!     covers packetization, the jitter buffer (at call start with its 40 ms initial target,
//!     and after 10 s of clean audio when the target has settled) and the wait for a playout
//!     tick. The device side is added from measured and configured values: the rubato
//!     resamplers' delay (measured here by streaming an onset through them) and the device
//!     buffers (cpal `BufferSize::Default`: the host's period, not chosen by us).
//! (b) Answer → first audio frame handed to playback: two engine media tasks on loopback
//!     (UDP sockets, tokio, the null audio backend), started the way the engine starts them
//!     when the 200 OK is sent (callee) or received (caller); the end-of-call
//!     `Event::Media.first_audio_ms` of each side, over several calls. The real-peer figure
//!     (engine ↔ baresip through Kamailio) is printed by `cargo test --test baresip_rtcp --
//!     --nocapture`.

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, spawn_with_backend};
use lampboard::media::audio::{AudioBackend, NullBackend, RateConverter};
use lampboard::media::rtp::{ReceiverConfig, RtpReceiver, RtpSender};
use lampboard::media::{Codec, Frame, G722, JitterBuffer, JitterConfig, Opus, Pcmu, ToneGenerator};
use lampboard::sdp::{Codec as SdpCodec, Direction, Negotiated};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Onset detection threshold (the tone's amplitude is 8000).
const THRESHOLD: i16 = 2000;

/// Milliseconds from the tone's first sample at the microphone to its playout, for a listener
/// whose ticks lag the talker's by `phase`, the tone starting `warmup` into the call plus
/// `offset` samples into a frame.
fn onset_latency(make: &dyn Fn() -> (Box<dyn Codec>, Box<dyn Codec>), warmup: Duration, phase: Duration) -> f64 {
    let (mut enc, mut dec) = make();
    let rate = enc.sample_rate();
    let clock = enc.clock_rate();
    let n = (rate / 50) as usize;
    let pt = enc.payload_type();
    let mut sender = RtpSender::new(7, 100, 1000, pt).expect("payload type");
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(clock, &[pt]));
    let mut jitter = JitterBuffer::new(JitterConfig { clock_rate: clock, ..JitterConfig::default() });
    let peer = SocketAddr::from(([192, 0, 2, 1], 4000));
    // The tone starts at input sample `onset` (a quarter into a frame), silence before.
    let onset = (warmup.as_secs_f64() * f64::from(rate)) as usize + n / 4;
    let mut tone = ToneGenerator::sine(1000.0, 8000, rate);
    let frames = onset / n + 20;
    let input: Vec<i16> = (0..frames * n).map(|i| if i < onset { 0 } else { tone.next_frame(1)[0] }).collect();
    let epoch = Instant::now();
    let frame = Duration::from_millis(20);
    // Talker tick k+1 (at (k+1)·20 ms) sends frame k; listener tick m plays at m·20 ms + phase.
    let mut m = 0u32;
    for k in 0..frames as u32 {
        let sent_at = frame * (k + 1);
        let pcm = &input[k as usize * n..(k as usize + 1) * n];
        let packet = sender.send_audio(&enc.encode(pcm), clock / 50);
        if let Ok(p) = receiver.handle_packet(epoch + sent_at, peer, &packet) {
            jitter.insert(p.sequence, p.timestamp, p.payload, epoch + sent_at);
        }
        // Every listener tick before the talker's next one.
        while frame * m + phase < sent_at + frame {
            let at = frame * m + phase;
            m += 1;
            if at < sent_at {
                continue;
            }
            let out = match jitter.pop(epoch + at) {
                Frame::Audio(payload) => dec.decode(&payload),
                _ => vec![0; n],
            };
            if let Some(j) = out.iter().position(|s| s.abs() > THRESHOLD) {
                let played = at.as_secs_f64() + j as f64 / f64::from(rate);
                let spoken = onset as f64 / f64::from(rate);
                // The first sample above the threshold is a few samples into the tone.
                let first_loud = input[onset..].iter().position(|s| s.abs() > THRESHOLD).unwrap_or(0);
                return (played - spoken - first_loud as f64 / f64::from(rate)) * 1000.0;
            }
        }
    }
    f64::NAN
}

/// The delay a resampler adds, in ms: an onset streamed through in 20 ms pieces.
fn resampler_delay(from: u32, to: u32) -> f64 {
    let mut conv = RateConverter::new(from, to).expect("rates");
    let (n_in, n_out) = ((from / 50) as usize, (to / 50) as usize);
    let mut tone = ToneGenerator::sine(1000.0, 8000, from);
    let onset = n_in * 10 + n_in / 4;
    let mut out = vec![0.0f32; n_out];
    let mut produced = 0usize;
    for k in 0..40 {
        let chunk: Vec<f32> = (k * n_in..(k + 1) * n_in)
            .map(|i| if i < onset { 0.0 } else { f32::from(tone.next_frame(1)[0]) / 32768.0 })
            .collect();
        conv.push(&chunk);
        // The caller takes a frame per tick, as the media task does.
        let got = conv.pop(&mut out);
        if let Some(j) = out[..got].iter().position(|s| s.abs() > f32::from(THRESHOLD) / 32768.0) {
            let out_time = (produced + j) as f64 / f64::from(to);
            // Pops lag pushes by the chunk being filled: time is counted from the push.
            let in_time = onset as f64 / f64::from(from);
            return (out_time - in_time) * 1000.0;
        }
        produced += got;
    }
    f64::NAN
}

type MakeCodecs = Box<dyn Fn() -> (Box<dyn Codec>, Box<dyn Codec>)>;

fn pipeline_figures() {
    let cases: Vec<(&str, MakeCodecs)> = vec![
        ("PCMU", Box::new(|| (Box::new(Pcmu) as Box<dyn Codec>, Box::new(Pcmu) as Box<dyn Codec>))),
        ("G722", Box::new(|| (Box::new(G722::new()) as Box<dyn Codec>, Box::new(G722::new()) as Box<dyn Codec>))),
        (
            "opus",
            Box::new(|| {
                let e = Opus::new(111).expect("libopus");
                let d = Opus::new(111).expect("libopus");
                (Box::new(e) as Box<dyn Codec>, Box::new(d) as Box<dyn Codec>)
            }),
        ),
    ];
    let defaults = JitterConfig::default();
    println!("(a) one-way latency added by the pipeline, clean network, simulated clock");
    println!(
        "    jitter buffer: initial target {} ms, min {} ms, max {} ms; 20 ms frames",
        defaults.initial_delay.as_millis(),
        defaults.min_delay.as_millis(),
        defaults.max_delay.as_millis()
    );
    println!("    codec path = packetization + jitter buffer + playout-tick wait + codec delay");
    let mut worst_settled = 0.0f64;
    for (name, make) in &cases {
        for (label, warmup) in [("call start", Duration::ZERO), ("after 10 s", Duration::from_secs(10))] {
            let v: Vec<f64> = (0..20).map(|p| onset_latency(make.as_ref(), warmup, Duration::from_millis(p))).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let (min, max) = v.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            if warmup > Duration::ZERO {
                worst_settled = worst_settled.max(max);
            }
            println!("    {name:5} {label:10}: mean {mean:5.1} ms (min {min:5.1}, max {max:5.1}) over 20 tick phases");
        }
    }
    let mut device = 0.0f64;
    println!("    resamplers (device 48 kHz ↔ codec rate), measured onset delay:");
    for (from, to) in [(48_000, 8000), (8000, 48_000), (48_000, 16_000), (16_000, 48_000)] {
        let d = resampler_delay(from, to);
        device = device.max(d);
        println!("      {from:>5} → {to:>5} Hz: {d:5.1} ms");
    }
    let period = 1024.0 / 48.0;
    let total = worst_settled + 2.0 * device + 2.0 * period;
    println!(
        "    device buffers: cpal BufferSize::Default (the host's period; PipeWire's default quantum 1024 @ 48 kHz = \
         {period:.1} ms per direction, assumed); the playback ring is capped at 60 ms, not held at a target"
    );
    println!(
        "    ⇒ one way, settled, worst phase: {worst_settled:.1} (codec path) + 2 × {device:.1} (resamplers) + 2 × \
         {period:.1} (device periods) ≈ {total:.1} ms (target ≤ 60 ms)"
    );
}

fn negotiated(remote: SocketAddr) -> Negotiated {
    Negotiated {
        codec: SdpCodec::new("PCMU", 8000, 1),
        payload_type: 0,
        fmtp: None,
        dtmf: None,
        remote_rtp: remote,
        remote_rtcp: SocketAddr::new(remote.ip(), remote.port() + 1),
        ptime: 20,
        local_direction: Direction::SendRecv,
        remote_direction: Direction::SendRecv,
    }
}

/// One loopback call of `secs`: returns (caller's, callee's) first_audio_ms.
fn answer_to_first_audio(secs: u64) -> (Option<f64>, Option<f64>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    rt.block_on(async {
        let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let (a_addr, b_addr) = (a.local_addr().expect("addr"), b.local_addr().expect("addr"));
        let tone = |hz| -> Box<dyn AudioBackend> {
            Box::new(NullBackend::with_input(ToneGenerator::sine(hz, 8000, 48_000).next_frame(48_000 * 20), 48_000))
        };
        // The callee starts on sending the 200 OK, the caller on receiving it.
        let files = AudioFiles::default();
        let (tb, jb) =
            spawn_with_backend("callee".into(), b, negotiated(a_addr), files.clone(), tone(600.0), sink.clone());
        let (ta, ja) = spawn_with_backend("caller".into(), a, negotiated(b_addr), files, tone(1000.0), sink.clone());
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let _ = ta.send(MediaCtl::Stop);
        let _ = tb.send(MediaCtl::Stop);
        let _ = ja.await;
        let _ = jb.await;
    });
    let mut caller = None;
    let mut callee = None;
    for e in rx.try_iter() {
        if let Event::Media { id, first_audio_ms, .. } = e {
            if id == "caller" {
                caller = first_audio_ms;
            } else {
                callee = first_audio_ms;
            }
        }
    }
    (caller, callee)
}

fn answer_figures() {
    println!("(b) answer → first audio frame handed to playback, two engine media tasks on loopback (PCMU)");
    let mut caller = Vec::new();
    let mut callee = Vec::new();
    for _ in 0..8 {
        let (a, b) = answer_to_first_audio(1);
        caller.extend(a);
        callee.extend(b);
    }
    for (side, mut v) in [("caller", caller), ("callee", callee)] {
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            println!("    {side}: no audio");
            continue;
        }
        println!(
            "    {side}: median {:5.1} ms, min {:5.1}, max {:5.1} over {} calls (target ≤ 100 ms; real sound devices \
             add their open time)",
            v[v.len() / 2],
            v[0],
            v[v.len() - 1],
            v.len()
        );
    }
}

fn main() {
    pipeline_figures();
    answer_figures();
}
