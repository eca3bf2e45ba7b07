//! `cargo bench --profile dev --bench latency`: the latency figures of issue 4, printed
//! (nothing asserted).
//!
//! (a) One-way latency the pipeline adds on a clean network. A tone is switched on in the
//!     talker's 20 ms frames at a known instant; the frames go encode → RTP → receiver →
//!     jitter buffer → decode on a simulated clock (zero network delay), and the listener plays
//!     out the way the engine's media task does: ticks from a [`PlayoutClock`] aligned to
//!     [`JitterBuffer::next_due`], starting at a phase swept over 0–19 ms. The figure is the
//!     time from the tone's first sample at the microphone to that sample handed to the
//!     speaker: packetization + jitter buffer + playout-tick wait + codec delay (MEASURED).
//!     For comparison the same run with the old scheme (fixed 20 ms grid, buffer 40 ms start /
//!     20 ms floor) is printed.
//! (b) The device side, per direction: the cpal streams are opened (the default devices, else
//!     ALSA's `null` device) and asked what they run with: device period (CONFIGURED by the host
//!     from our 10 ms request), host delay (MEASURED from the callbacks' timestamps when the
//!     host gives real ones, else the ALSA buffer of two periods is assumed), the ring target
//!     (CONFIGURED start of the adaptive level), the resampler's FFT block (CONFIGURED) and its
//!     delay (MEASURED by streaming an onset through it). Without any device the configured
//!     values are used.
//! (c) Answer → first audio frame handed to playback: two engine media tasks on loopback
//!     (UDP sockets, tokio, the null audio backend), started the way the engine starts them
//!     when the 200 OK is sent (callee) or received (caller); the end-of-call
//!     `Event::Media.first_audio_ms` of each side, over several calls. The real-peer figure
//!     (engine ↔ baresip through Kamailio) is printed by `cargo test --test baresip_rtcp --
//!     --nocapture`.

#[path = "../tests/support/negotiated.rs"]
mod negotiated;
use negotiated::pcmu_without_dtmf;

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, spawn_with_backend};
use lampboard::media::audio::cpal_backend::PERIOD;
use lampboard::media::audio::feed::{CAPTURE_LEVEL, PLAYBACK_LEVEL};
use lampboard::media::audio::{AudioBackend, CpalBackend, NullBackend, RateConverter, StreamLatency};
use lampboard::media::rtp::{ReceiverConfig, RtpReceiver, RtpSender};
use lampboard::media::{Codec, Frame, G722, JitterBuffer, JitterConfig, Opus, Pcmu, PlayoutClock, ToneGenerator};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Onset detection threshold (the tone's amplitude is 8000).
const THRESHOLD: i16 = 2000;

/// How the listener schedules its playout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// The engine now: jitter buffer defaults, ticks from a `PlayoutClock`.
    Aligned,
    /// Before: buffer 40 ms start / 20 ms floor, a fixed 20 ms grid.
    Legacy,
}

/// Milliseconds from the tone's first sample at the microphone to its playout, for a listener
/// whose first tick comes `phase` after the talker's, the tone starting `warmup` into the call
/// plus a quarter frame.
fn onset_latency(
    make: &dyn Fn() -> (Box<dyn Codec>, Box<dyn Codec>),
    warmup: Duration,
    phase: Duration,
    scheme: Scheme,
) -> f64 {
    let (mut enc, mut dec) = make();
    let rate = enc.sample_rate();
    let clock = enc.clock_rate();
    let n = (rate / 50) as usize;
    let pt = enc.payload_type();
    let mut sender = RtpSender::new(7, 100, 1000, pt).expect("payload type");
    let mut receiver = RtpReceiver::new(ReceiverConfig::new(clock, &[pt]));
    let config = match scheme {
        Scheme::Aligned => JitterConfig { clock_rate: clock, ..JitterConfig::default() },
        Scheme::Legacy => JitterConfig {
            clock_rate: clock,
            min_delay: Duration::from_millis(20),
            initial_delay: Duration::from_millis(40),
            ..JitterConfig::default()
        },
    };
    let mut jitter = JitterBuffer::new(config);
    let peer = SocketAddr::from(([192, 0, 2, 1], 4000));
    // The tone starts at input sample `onset` (a quarter into a frame), silence before.
    let onset = (warmup.as_secs_f64() * f64::from(rate)) as usize + n / 4;
    let mut tone = ToneGenerator::sine(1000.0, 8000, rate);
    let frames = onset / n + 20;
    let input: Vec<i16> = (0..frames * n).map(|i| if i < onset { 0 } else { tone.next_frame(1)[0] }).collect();
    let spoken = onset as f64 / f64::from(rate);
    // The first sample above the threshold is a few samples into the tone.
    let first_loud = input[onset..].iter().position(|s| s.abs() > THRESHOLD).unwrap_or(0) as f64 / f64::from(rate);
    let epoch = Instant::now();
    let frame = Duration::from_millis(20);
    let mut playout = PlayoutClock::new(epoch + phase, frame);
    // Talker tick k+1 (at (k+1)·20 ms) sends frame k; listener ticks at the playout clock.
    // Bounded: every round handles one send or one tick, and both move time forward.
    let mut k = 0u32;
    for _ in 0..frames * 4 {
        let send_at = epoch + frame * (k + 1);
        let tick_at = playout.next_tick();
        if (k as usize) < frames && send_at <= tick_at {
            let pcm = &input[k as usize * n..(k as usize + 1) * n];
            let packet = sender.send_audio(&enc.encode(pcm), clock / 50);
            if let Ok(p) = receiver.handle_packet(send_at, peer, &packet) {
                jitter.insert(p.sequence, p.timestamp, p.payload, send_at);
            }
            k += 1;
            continue;
        }
        let popped = jitter.pop(tick_at);
        // As the media task: the clock may jump while nothing audible plays.
        let audible = !matches!(popped, Frame::Empty);
        let out = match popped {
            Frame::Audio(payload) => dec.decode(&payload),
            _ => vec![0; n],
        };
        if let Some(j) = out.iter().position(|s| s.abs() > THRESHOLD) {
            let played = (tick_at - epoch).as_secs_f64() + j as f64 / f64::from(rate);
            return (played - spoken - first_loud) * 1000.0;
        }
        match scheme {
            Scheme::Aligned => playout.advance(tick_at, jitter.next_due(), audible),
            Scheme::Legacy => playout = PlayoutClock::new(tick_at + frame, frame),
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

/// Mean, min and max of the codec path over 20 listener phases.
fn codec_path(make: &dyn Fn() -> (Box<dyn Codec>, Box<dyn Codec>), warmup: Duration, scheme: Scheme) -> [f64; 3] {
    let v: Vec<f64> = (0..20).map(|p| onset_latency(make, warmup, Duration::from_millis(p), scheme)).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let (min, max) = v.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    [mean, min, max]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The codec-path figures; returns the settled (mean, worst) of PCMU.
fn pipeline_figures() -> (f64, f64) {
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
    println!("(a) codec path, clean network, simulated clock (MEASURED)");
    println!(
        "    = packetization (20 ms frames) + jitter buffer + playout-tick wait + codec delay; jitter buffer \
         start {} ms, floor {} ms, ceiling {} ms; playout ticks aligned to the buffer's due instants",
        defaults.initial_delay.as_millis(),
        defaults.min_delay.as_millis(),
        defaults.max_delay.as_millis()
    );
    let mut pcmu = (0.0, 0.0);
    for (name, make) in &cases {
        for (label, warmup) in [("call start", Duration::ZERO), ("after 10 s", Duration::from_secs(10))] {
            let [mean, min, max] = codec_path(make.as_ref(), warmup, Scheme::Aligned);
            let [old_mean, _, old_max] = codec_path(make.as_ref(), warmup, Scheme::Legacy);
            if *name == "PCMU" && warmup > Duration::ZERO {
                pcmu = (mean, max);
            }
            println!(
                "    {name:5} {label:10}: mean {mean:5.1} ms (min {min:5.1}, max {max:5.1}) over 20 phases; \
                 old scheme mean {old_mean:5.1}, max {old_max:5.1}"
            );
        }
    }
    pcmu
}

/// Opens the default device of a direction (else ALSA's `null`), runs it for 300 ms at 8 kHz
/// and returns its name, its latency report at opening and after the run.
fn device_latency(input: bool) -> Option<(String, StreamLatency, StreamLatency)> {
    let backend = CpalBackend::new();
    let frame = vec![0i16; 160];
    let mut buf = vec![0i16; 160];
    for name in [None, Some("null")] {
        if input {
            let Ok(mut c) = backend.open_capture(name, 8000) else { continue };
            let opened = c.latency()?;
            for _ in 0..15 {
                std::thread::sleep(Duration::from_millis(20));
                c.read(&mut buf);
            }
            return c.latency().map(|l| (c.device_name().to_owned(), opened, l));
        }
        let Ok(mut p) = backend.open_playback(name, 8000) else { continue };
        let opened = p.latency()?;
        for _ in 0..15 {
            std::thread::sleep(Duration::from_millis(20));
            p.write(&frame);
        }
        return p.latency().map(|l| (p.device_name().to_owned(), opened, l));
    }
    None
}

/// The device side of one direction, in ms: (typical, worst) and a description.
fn device_side(input: bool) -> (f64, f64) {
    let dir = if input { "capture " } else { "playback" };
    let (from, to) = if input { (48_000, 8000) } else { (8000, 48_000) };
    let measured_resampler = resampler_delay(from, to);
    let (name, l, after) = match device_latency(input) {
        Some((name, opened, after)) => (name, StreamLatency { host_delay: after.host_delay, ..opened }, Some(after)),
        None => {
            let (target, _, _) = if input { CAPTURE_LEVEL } else { PLAYBACK_LEVEL };
            let l = StreamLatency {
                device_rate: 48_000,
                period_frames: Some(480),
                fixed_period: true,
                host_delay: None,
                ring_target: if input { target } else { target.max(PERIOD + Duration::from_millis(2)) },
                resampler_delay: Duration::ZERO,
                resampler_block: Duration::from_millis(5),
            };
            ("(no device: configured values)".to_owned(), l, None)
        }
    };
    if let Some(after) = after.filter(|a| a.ring_target != l.ring_target) {
        println!(
            "    {dir} ring target after 300 ms of running: {:.1} ms (it rose after starvations; ALSA's null device \
             has no real clock, a sound card keeps the start value unless our ticks are late)",
            ms(after.ring_target)
        );
    }
    let period = ms(l.period());
    let ring = ms(l.ring_target);
    let block = ms(l.resampler_block);
    println!(
        "    {dir} {name}: {} Hz, period {} frames = {period:.1} ms ({}), ring target {ring:.1} ms (CONFIGURED \
         start, adapts), resampler block {block:.1} ms (CONFIGURED), delay {measured_resampler:.1} ms (MEASURED)",
        l.device_rate,
        l.period_frames.map_or("?".to_owned(), |p| p.to_string()),
        if l.fixed_period { "our fixed 10 ms, CONFIGURED" } else { "device default, CONFIGURED by the host" },
    );
    let host = l.host_delay.filter(|d| !d.is_zero()).map(ms);
    let (typical, worst) = if input {
        // A sample waits for its period to end (mean P/2, at most P; the host's own figure when
        // it gives real timestamps), then sits in the leftover the keeper holds, then waits for
        // the converter's block to fill (mean half a block), then the converter's delay.
        let (chunk_mean, chunk_max) = host.map_or((period / 2.0, period), |h| (h, h));
        // Periods that are whole blocks leave nothing waiting for a block to fill.
        let block_frames = (block * f64::from(l.device_rate) / 1000.0).round() as u32;
        let aligned = l.period_frames.is_some_and(|p| block_frames > 0 && p % block_frames == 0);
        let (fill_mean, fill_max) = if aligned { (0.0, 0.0) } else { (block / 2.0, block) };
        let t = chunk_mean + ring + fill_mean + measured_resampler;
        let w = chunk_max + ring + fill_max + measured_resampler;
        println!(
            "      = period wait {chunk_mean:.1} (max {chunk_max:.1}{}) + leftover {ring:.1} + block fill {fill_mean:.1} \
             (max {fill_max:.1}{}) + resampler {measured_resampler:.1} = {t:.1} ms typical, {w:.1} ms worst",
            if host.is_some() { ", MEASURED host delay" } else { ", from the period" },
            if aligned { ", the period is whole blocks" } else { "" },
        );
        (t, w)
    } else {
        // Everything queued ahead of a new sample plays first: the ring (at its target right
        // after a callback) plus ALSA's two-period buffer, which a callback refills to 2P and
        // the card drains to P (mean 1.5 P, at most 2 P; the host's figure when it gives one).
        let (alsa_mean, alsa_max) = host.map_or((1.5 * period, 2.0 * period), |h| (h, h));
        let t = measured_resampler + ring + alsa_mean;
        let w = measured_resampler + ring + alsa_max;
        println!(
            "      = resampler {measured_resampler:.1} + ring {ring:.1} + device buffer {alsa_mean:.1} (max \
             {alsa_max:.1}{}) = {t:.1} ms typical, {w:.1} ms worst",
            if host.is_some() { ", MEASURED host delay" } else { ", ALSA's 2 periods" }
        );
        (t, w)
    };
    (typical, worst)
}

fn budget(codec: (f64, f64)) {
    println!("(b) device side (48 kHz device ↔ 8 kHz PCMU)");
    let (cap, cap_worst) = device_side(true);
    let (play, play_worst) = device_side(false);
    let jb = ms(JitterConfig::default().min_delay);
    println!("    ⇒ one way, PCMU, settled:");
    println!(
        "      issue's definition (jitter-buffer target + device buffers, incl. resamplers): {jb:.1} + {cap:.1} + \
         {play:.1} = {:.1} ms typical, {:.1} ms worst (target ≤ 60 ms)",
        jb + cap + play,
        jb + cap_worst + play_worst
    );
    println!(
        "      mouth to ear without network (codec path incl. 20 ms packetization + device side): {:.1} ms mean, \
         {:.1} ms worst",
        codec.0 + cap + play,
        codec.1 + cap_worst + play_worst
    );
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
            spawn_with_backend("callee".into(), b, pcmu_without_dtmf(a_addr), files.clone(), tone(600.0), sink.clone());
        let (ta, ja) =
            spawn_with_backend("caller".into(), a, pcmu_without_dtmf(b_addr), files, tone(1000.0), sink.clone());
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
    println!("(c) answer → first audio frame handed to playback, two engine media tasks on loopback (PCMU)");
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
    let codec = pipeline_figures();
    budget(codec);
    answer_figures();
}
