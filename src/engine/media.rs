//! One task per call moving audio between RTP and an audio source/sink: every 20 ms a frame
//! is encoded and sent (or an RFC 4733 event while DTMF is being sent), and a frame is taken
//! from the jitter buffer, decoded or concealed, and written. Sources and sinks here are WAV
//! files or silence (the CLI's `--play` / `--record`); the sound-card backend is a later step.

use super::Sink;
use crate::api::Event;
use crate::media::{
    Concealer, DtmfReceiver, DtmfSender, DtmfSenderConfig, Frame, JitterBuffer, JitterConfig, ReceiverConfig,
    RtpReceiver, RtpSender, WavWriter, codec_by_name, read_wav_file, resample,
};
use crate::sdp::Negotiated;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Where a call's audio comes from and goes to.
#[derive(Debug, Clone, Default)]
pub struct AudioFiles {
    /// WAV to send (16-bit PCM, any rate); silence when none, and after it ends.
    pub play: Option<PathBuf>,
    /// WAV to write what we receive (8 kHz, 16-bit mono).
    pub record: Option<PathBuf>,
}

/// Commands to a running media task.
#[derive(Debug)]
pub enum MediaCtl {
    /// New negotiation (re-INVITE: hold, resume, new address).
    Update(Box<Negotiated>),
    /// Send DTMF digits.
    Dtmf(String),
    /// Stop and report.
    Stop,
}

/// Starts the media task of call `id` on `socket`.
pub fn spawn(
    id: String,
    socket: UdpSocket,
    negotiated: Negotiated,
    files: AudioFiles,
    sink: Sink,
) -> (mpsc::UnboundedSender<MediaCtl>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(id, socket, negotiated, files, sink, rx));
    (tx, task)
}

async fn run(
    id: String,
    socket: UdpSocket,
    mut neg: Negotiated,
    files: AudioFiles,
    sink: Sink,
    mut rx: mpsc::UnboundedReceiver<MediaCtl>,
) {
    let Some(mut codec) = codec_by_name(&neg.codec.name, neg.codec.clock_rate) else {
        sink.emit(Event::NetworkError { reason: format!("call {id}: codec {} is not available", neg.codec.name) });
        return;
    };
    let rate = codec.clock_rate();
    let frame_len = (rate / 50) as usize;
    let source: Vec<i16> = match &files.play {
        Some(p) => match read_wav_file(p) {
            Ok(w) => resample(&w.samples, w.sample_rate, rate),
            Err(e) => {
                sink.emit(Event::NetworkError { reason: format!("cannot play {}: {e}", p.display()) });
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let mut writer = match &files.record {
        Some(p) => match WavWriter::create(p, rate) {
            Ok(w) => Some(w),
            Err(e) => {
                sink.emit(Event::NetworkError { reason: format!("cannot record to {}: {e}", p.display()) });
                None
            }
        },
        None => None,
    };
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let Ok(mut sender) = RtpSender::new(seed ^ 0x5a5a_1234, (seed >> 7) as u16, seed.rotate_left(11), neg.payload_type)
    else {
        return;
    };
    let mut receiver = new_receiver(&neg, rate);
    let mut jitter = JitterBuffer::new(JitterConfig { clock_rate: rate, ..JitterConfig::default() });
    let mut concealer = Concealer::new(rate);
    let mut dtmf_tx = DtmfSender::new(DtmfSenderConfig { clock_rate: rate, ..DtmfSenderConfig::default() });
    let mut dtmf_rx = DtmfReceiver::new(rate);
    let mut pos = 0usize;
    let mut heard_anything = false;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut buf = vec![0u8; 2048];
    loop {
        tokio::select! {
            ctl = rx.recv() => match ctl {
                Some(MediaCtl::Update(n)) => {
                    if n.remote_rtp != neg.remote_rtp || n.payload_type != neg.payload_type {
                        receiver = new_receiver(&n, rate);
                        jitter.reset();
                    }
                    neg = *n;
                }
                Some(MediaCtl::Dtmf(d)) => {
                    if let Err(c) = dtmf_tx.enqueue_digits(&d, Duration::from_millis(100)) {
                        tracing::warn!(%c, "not a DTMF digit");
                    }
                }
                Some(MediaCtl::Stop) | None => break,
            },
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { continue };
                let now = std::time::Instant::now();
                match receiver.handle_packet(now, from, &buf[..n]) {
                    Ok(p) if Some(p.payload_type) == neg.dtmf.map(|d| d.payload_type) => {
                        let _ = dtmf_rx.handle_packet(now, p.timestamp, &p.payload);
                        while let Some(d) = dtmf_rx.poll_digit() {
                            if let Some(c) = d.event.to_char() {
                                sink.emit(Event::Dtmf { id: id.clone(), digit: c.to_string() });
                            }
                        }
                    }
                    Ok(p) => {
                        if p.new_source {
                            jitter.reset();
                        }
                        heard_anything = true;
                        jitter.insert(p.sequence, p.timestamp, p.payload, now);
                    }
                    Err(drop) => tracing::debug!(?drop, "RTP packet dropped"),
                }
            }
            _ = tick.tick() => {
                let now = std::time::Instant::now();
                dtmf_rx.handle_timeout(now);
                while let Some(d) = dtmf_rx.poll_digit() {
                    if let Some(c) = d.event.to_char() {
                        sink.emit(Event::Dtmf { id: id.clone(), digit: c.to_string() });
                    }
                }
                let frame: Vec<i16> = if pos < source.len() {
                    let end = (pos + frame_len).min(source.len());
                    let mut f = source[pos..end].to_vec();
                    f.resize(frame_len, 0);
                    pos = end;
                    f
                } else {
                    vec![0; frame_len]
                };
                if neg.local_direction.sends() {
                    let (packet, event) = match (neg.dtmf, dtmf_tx.poll(sender.timestamp())) {
                        (Some(d), Some(ev)) => {
                            (sender.send_raw(d.payload_type, ev.marker, ev.timestamp, &ev.payload.to_bytes()).ok(), true)
                        }
                        _ => (Some(sender.send_audio(&codec.encode(&frame), frame_len as u32)), false),
                    };
                    if event {
                        // The media clock keeps running under an event (RFC 4733 §2.5.1.2).
                        sender.advance(frame_len as u32);
                    }
                    if let Some(p) = packet {
                        let _ = socket.send_to(&p, neg.remote_rtp).await;
                    }
                }
                let out = match jitter.pop(now) {
                    Frame::Audio(payload) => {
                        let pcm = codec.decode(&payload);
                        concealer.good_frame(&pcm);
                        pcm
                    }
                    Frame::Lost => concealer.conceal(frame_len),
                    Frame::Empty => vec![0; frame_len],
                };
                if let Some(w) = writer.as_mut().filter(|_| heard_anything) {
                    let _ = w.write_samples(&out);
                }
            }
        }
    }
    if let Some(w) = writer
        && let Err(e) = w.finish()
    {
        sink.emit(Event::NetworkError { reason: format!("recording: {e}") });
    }
    let stats = receiver.stats();
    sink.emit(Event::Media {
        id,
        codec: neg.codec.name.clone(),
        rx_packets: stats.rx_packets,
        tx_packets: sender.tx_packets(),
        lost: stats.lost as i64,
        jitter_ms: (receiver.jitter_ms() * 100.0).round() / 100.0,
        malformed: stats.malformed,
        foreign: stats.foreign,
    });
}

fn new_receiver(neg: &Negotiated, rate: u32) -> RtpReceiver {
    let mut cfg = ReceiverConfig::new(rate, &[neg.payload_type]);
    if let Some(d) = neg.dtmf {
        cfg = cfg.with_other_payload_types(&[d.payload_type]);
    }
    RtpReceiver::new(cfg)
}
