//! One task per call moving audio between RTP and an audio source/sink: every 20 ms a frame
//! is encoded and sent (or an RFC 4733 event while DTMF is being sent), and a frame is taken
//! from the jitter buffer, decoded or concealed, and played. Sources and sinks are WAV files
//! (the CLI's `--play` / `--record`) or, without files, the sound devices
//! ([`super::audio_io::DeviceAudio`]: cpal or the null backend).
//!
//! PCM runs at the codec's sample rate (8 kHz G.711, 16 kHz G.722, 48 kHz Opus); RTP
//! timestamps at its clock rate (8 kHz for G.722).
//!
//! RTCP (RFC 3550) runs beside it through [`RtcpSession`]: a compound SR (RR while we do not
//! send) + SDES CNAME at randomized ~5 s intervals to the peer's RTCP address (`a=rtcp`, else
//! its RTP port + 1), from a socket on our RTP port + 1, and BYE at the end. RTCP arriving on
//! the RTP port (rtcp-mux peers) is taken too. The peer's reports give the round-trip time
//! and the loss it saw, reported in the end-of-call [`Event::Media`].

use super::Sink;
use super::audio_io::DeviceAudio;
use crate::api::Event;
use crate::media::audio::{AudioBackend, AudioDevices};
use crate::media::rtp::looks_like_rtcp;
use crate::media::{
    Concealer, DtmfReceiver, DtmfSender, DtmfSenderConfig, Frame, JitterBuffer, JitterConfig, NtpTime, PlayoutClock,
    ReceiverConfig, RtcpSession, RtpReceiver, RtpSender, SendingState, WavWriter, codec_for, read_wav_file, resample,
};
use crate::sdp::Negotiated;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Where a call's audio comes from and goes to: WAV files when either is given, otherwise
/// the sound devices.
#[derive(Debug, Clone, Default)]
pub struct AudioFiles {
    /// WAV to send (16-bit PCM, any rate); silence when none, and after it ends.
    pub play: Option<PathBuf>,
    /// WAV to write what we receive (16-bit mono at the codec's sample rate). A call that
    /// starts while another one records writes to [`per_call_path`] instead.
    pub record: Option<PathBuf>,
    /// The sound devices used when neither file is given (backend, input, output, ring).
    pub devices: AudioDevices,
}

impl AudioFiles {
    /// True when the call uses WAV files (`--play` or `--record`) instead of sound devices.
    pub fn uses_files(&self) -> bool {
        self.play.is_some() || self.record.is_some()
    }
}

/// Commands to a running media task.
#[derive(Debug)]
pub enum MediaCtl {
    /// New negotiation (re-INVITE: hold, resume, new address).
    Update(Box<Negotiated>),
    /// Send DTMF digits.
    Dtmf(String),
    /// Mute (true) or unmute our microphone: silence is sent while muted.
    Mute(bool),
    /// Move to other sound devices (ignored when the call uses WAV files).
    SetDevices(AudioDevices),
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
    let backend = files.devices.backend();
    spawn_with_backend(id, socket, negotiated, files, backend, sink)
}

/// Like [`spawn`] with a given audio backend (tests pass a [`crate::media::audio::NullBackend`]
/// to see what was played).
pub fn spawn_with_backend(
    id: String,
    socket: UdpSocket,
    negotiated: Negotiated,
    files: AudioFiles,
    backend: Box<dyn AudioBackend>,
    sink: Sink,
) -> (mpsc::UnboundedSender<MediaCtl>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(id, socket, negotiated, files, backend, sink, rx));
    (tx, task)
}

async fn run(
    id: String,
    socket: UdpSocket,
    neg: Negotiated,
    files: AudioFiles,
    backend: Box<dyn AudioBackend>,
    sink: Sink,
    mut rx: mpsc::UnboundedReceiver<MediaCtl>,
) {
    let mut next = Some((neg, backend));
    let mut segment = 0u32;
    // What carries over from one segment to the next: the mute switch and the devices chosen.
    let mut carried = Carried { muted: false, files };
    // A re-INVITE that changes the codec (or its payload type) ends one segment and starts the
    // next on the same socket, with everything built for it (rates, devices, jitter buffer).
    while let Some((neg, backend)) = next.take() {
        let record = carried.files.record.clone();
        if segment > 0
            && let Some(p) = &record
        {
            // A WAV cannot change its rate: each later segment's audio goes to a file of its own.
            carried.files.record = Some(per_call_path(p, &format!("{id}-{}-{segment}", neg.codec.name)));
        }
        let restart = run_segment(&id, &socket, neg, &mut carried, backend, &sink, &mut rx).await;
        carried.files.record = record;
        next = restart.map(|n| (n, carried.files.devices.backend()));
        segment += 1;
    }
}

/// The state of a call's media that outlives a codec change.
struct Carried {
    /// The microphone is muted.
    muted: bool,
    /// The files or the devices (as last chosen with `SetDevices`).
    files: AudioFiles,
}

/// The media of one codec; returns the new negotiation when a re-INVITE changed the codec.
async fn run_segment(
    id: &str,
    socket: &UdpSocket,
    mut neg: Negotiated,
    carried: &mut Carried,
    backend: Box<dyn AudioBackend>,
    sink: &Sink,
    rx: &mut mpsc::UnboundedReceiver<MediaCtl>,
) -> Option<Negotiated> {
    let files = carried.files.clone();
    let files = &files;
    // The task starts when the call is answered (200 OK sent or received): the origin of
    // `first_audio_ms`, which therefore includes opening the sound devices.
    let started = Instant::now();
    let Some(mut codec) = codec_for(&neg.codec.name, neg.codec.clock_rate, Some(neg.payload_type)) else {
        sink.emit(Event::NetworkError { reason: format!("call {id}: codec {} is not available", neg.codec.name) });
        return None;
    };
    // PCM at the sample rate, RTP timestamps at the clock rate (they differ for G.722).
    let rate = codec.sample_rate();
    let clock = codec.clock_rate();
    let frame_len = (rate / 50) as usize;
    let ts_step = clock / 50;
    let mut devices = if files.uses_files() {
        None
    } else {
        let (call, cfg) = (id.to_string(), files.devices.clone());
        match tokio::task::spawn_blocking(move || DeviceAudio::open(Some(call), backend, cfg, rate)).await {
            Ok(mut d) => {
                d.flush_events(sink);
                Some(d)
            }
            Err(e) => {
                sink.emit(Event::NetworkError { reason: format!("call {id}: audio devices: {e}") });
                None
            }
        }
    };
    let mut muted = carried.muted;
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
        return None;
    };
    let mut rng = Rand((u64::from(seed) << 32) ^ 0x9e37_79b9_7f4a_7c15);
    let mut first_audio: Option<Duration> = None;
    let rtcp_socket = bind_rtcp(socket).await;
    let cname = format!("{:08x}{:08x}@lampboard", rng.next_u32(), rng.next_u32());
    let mut rtcp = RtcpSession::new(sender.ssrc(), &cname, started, rng.unit());
    let mut rtcp_buf = vec![0u8; 1500];
    let mut receiver = new_receiver(&neg, clock);
    let mut jitter = JitterBuffer::new(JitterConfig { clock_rate: clock, ..JitterConfig::default() });
    let mut concealer = Concealer::new(rate);
    let mut dtmf_tx = DtmfSender::new(DtmfSenderConfig { clock_rate: clock, ..DtmfSenderConfig::default() });
    let mut dtmf_rx = DtmfReceiver::new(clock);
    let mut pos = 0usize;
    let mut heard_anything = false;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // Playout runs on its own clock, aligned to when the jitter buffer's frames are due.
    let mut playout = PlayoutClock::new(Instant::now(), Duration::from_millis(20));
    let mut buf = vec![0u8; 2048];
    let mut restart = None;
    loop {
        tokio::select! {
            ctl = rx.recv() => match ctl {
                Some(MediaCtl::Update(n)) => {
                    if n.codec.name != neg.codec.name
                        || n.codec.clock_rate != neg.codec.clock_rate
                        || n.payload_type != neg.payload_type
                    {
                        tracing::info!(call = %id, from = %neg.codec.name, to = %n.codec.name, "codec changed");
                        restart = Some(*n);
                        break;
                    }
                    if n.remote_rtp != neg.remote_rtp || n.payload_type != neg.payload_type {
                        receiver = new_receiver(&n, clock);
                        jitter.reset();
                    }
                    neg = *n;
                }
                Some(MediaCtl::Dtmf(d)) => {
                    if let Err(c) = dtmf_tx.enqueue_digits(&d, Duration::from_millis(100)) {
                        tracing::warn!(%c, "not a DTMF digit");
                    }
                }
                Some(MediaCtl::Mute(on)) => {
                    muted = on;
                    carried.muted = on;
                }
                Some(MediaCtl::SetDevices(cfg)) => {
                    carried.files.devices = cfg.clone();
                    if let Some(d) = devices.as_mut() {
                        d.set_devices(cfg);
                        d.flush_events(sink);
                    }
                }
                Some(MediaCtl::Stop) | None => break,
            },
            r = recv_opt(rtcp_socket.as_ref(), &mut rtcp_buf) => {
                if let Ok((n, _)) = r
                    && let Err(e) = rtcp.handle_packet(Instant::now(), ntp_now(), &rtcp_buf[..n])
                {
                    tracing::debug!(%e, "RTCP packet dropped");
                }
            }
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { continue };
                let now = std::time::Instant::now();
                if looks_like_rtcp(&buf[..n]) {
                    if let Err(e) = rtcp.handle_packet(now, ntp_now(), &buf[..n]) {
                        tracing::debug!(%e, "RTCP packet on the RTP port dropped");
                    }
                    continue;
                }
                let accepted = receiver.handle_packet(now, from, &buf[..n]);
                if let Ok(p) = &accepted {
                    rtcp.on_rtp(p.ssrc, p.extended_sequence);
                }
                match accepted {
                    Ok(p) if Some(p.payload_type) == neg.dtmf.map(|d| d.payload_type) => {
                        let _ = dtmf_rx.handle_packet(now, p.timestamp, &p.payload);
                        while let Some(d) = dtmf_rx.poll_digit() {
                            if let Some(c) = d.event.to_char() {
                                sink.emit(Event::Dtmf { id: id.to_string(), digit: c.to_string() });
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
                        sink.emit(Event::Dtmf { id: id.to_string(), digit: c.to_string() });
                    }
                }
                let mut frame = vec![0i16; frame_len];
                if let Some(d) = devices.as_mut() {
                    d.tick(sink);
                    d.read(&mut frame, muted);
                } else if pos < source.len() {
                    let end = (pos + frame_len).min(source.len());
                    if !muted {
                        frame[..end - pos].copy_from_slice(&source[pos..end]);
                    }
                    pos = end;
                }
                if neg.local_direction.sends() {
                    let (packet, event) = match (neg.dtmf, dtmf_tx.poll(sender.timestamp())) {
                        (Some(d), Some(ev)) => {
                            (sender.send_raw(d.payload_type, ev.marker, ev.timestamp, &ev.payload.to_bytes()).ok(), true)
                        }
                        _ => (Some(sender.send_audio(&codec.encode(&frame), ts_step)), false),
                    };
                    if event {
                        // The media clock keeps running under an event (RFC 4733 §2.5.1.2).
                        sender.advance(ts_step);
                    }
                    if let Some(p) = packet {
                        let _ = socket.send_to(&p, neg.remote_rtp).await;
                    }
                }
                if now >= rtcp.poll_timeout() {
                    let report = rtcp.report(now, ntp_now(), sending_state(&sender), receiver.jitter_units(), rng.unit());
                    send_rtcp(rtcp_socket.as_ref(), socket, neg.remote_rtcp, &report).await;
                }
            }
            _ = tokio::time::sleep_until(playout.next_tick().into()) => {
                let now = std::time::Instant::now();
                let popped = jitter.pop(now);
                // While only silence plays (call start, a pause) the clock may jump to the
                // buffer's due instant; while audio plays it moves 2 ms per tick at most.
                let audible = !matches!(popped, Frame::Empty);
                let out = match popped {
                    Frame::Audio(payload) => {
                        first_audio.get_or_insert_with(|| started.elapsed());
                        let pcm = codec.decode(&payload);
                        concealer.good_frame(&pcm);
                        pcm
                    }
                    Frame::Lost => {
                        let recovered = jitter.peek_next().and_then(|next| codec.recover(next, frame_len));
                        match recovered.or_else(|| codec.conceal(frame_len)) {
                            Some(pcm) if pcm.len() == frame_len => {
                                concealer.good_frame(&pcm);
                                pcm
                            }
                            _ => concealer.conceal(frame_len),
                        }
                    }
                    Frame::Empty => vec![0; frame_len],
                };
                if let Some(w) = writer.as_mut().filter(|_| heard_anything) {
                    let _ = w.write_samples(&out);
                }
                if let Some(d) = devices.as_mut() {
                    d.write(&out);
                }
                playout.advance(now, jitter.next_due(), audible);
            }
        }
    }
    let bye = rtcp.bye(Instant::now(), ntp_now(), sending_state(&sender), receiver.jitter_units(), "call ended");
    send_rtcp(rtcp_socket.as_ref(), socket, neg.remote_rtcp, &bye).await;
    if let Some(w) = writer
        && let Err(e) = w.finish()
    {
        sink.emit(Event::NetworkError { reason: format!("recording: {e}") });
    }
    let stats = receiver.stats();
    let rs = rtcp.stats();
    let ms = |d: Duration| (d.as_secs_f64() * 100_000.0).round() / 100.0;
    sink.emit(Event::Media {
        id: id.to_string(),
        codec: neg.codec.name.clone(),
        rx_packets: stats.rx_packets,
        tx_packets: sender.tx_packets(),
        lost: stats.lost as i64,
        jitter_ms: (receiver.jitter_ms() * 100.0).round() / 100.0,
        malformed: stats.malformed,
        foreign: stats.foreign,
        rtt_ms: rs.rtt.map(ms),
        remote_lost: rs.remote_lost,
        remote_jitter_ms: rs.remote_jitter.map(|j| (f64::from(j) * 100_000.0 / f64::from(clock)).round() / 100.0),
        rtcp_rx: rs.rx,
        rtcp_tx: rs.tx,
        first_audio_ms: first_audio.map(ms),
    });
    restart
}

/// Our RTCP socket: the RTP port + 1 on the same address (where a peer without `a=rtcp` from
/// us sends its reports). `None` when that port is taken: reports then go out from the RTP
/// socket and only multiplexed ones come in.
async fn bind_rtcp(rtp: &UdpSocket) -> Option<UdpSocket> {
    let local = rtp.local_addr().ok()?;
    let port = local.port().checked_add(1)?;
    match UdpSocket::bind(SocketAddr::new(local.ip(), port)).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::info!(%e, port, "no RTCP socket on the RTP port + 1");
            None
        }
    }
}

async fn recv_opt(socket: Option<&UdpSocket>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    match socket {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

async fn send_rtcp(rtcp: Option<&UdpSocket>, rtp: &UdpSocket, to: SocketAddr, data: &[u8]) {
    let _ = rtcp.unwrap_or(rtp).send_to(data, to).await;
}

fn sending_state(sender: &RtpSender) -> SendingState {
    SendingState { packets: sender.tx_packets(), octets: sender.tx_octets(), rtp_timestamp: sender.timestamp() }
}

/// Our wall clock as NTP time (for SR timestamps and round-trip arithmetic).
fn ntp_now() -> NtpTime {
    NtpTime::from_unix(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default())
}

/// A small xorshift generator for RTCP timing jitter and the CNAME (not security relevant).
struct Rand(u64);

impl Rand {
    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }
}

fn new_receiver(neg: &Negotiated, rate: u32) -> RtpReceiver {
    let mut cfg = ReceiverConfig::new(rate, &[neg.payload_type]);
    if let Some(d) = neg.dtmf {
        cfg = cfg.with_other_payload_types(&[d.payload_type]);
    }
    RtpReceiver::new(cfg)
}

/// The recording file of call `id` when another call already records to `path`:
/// `rec.wav` → `rec-c2.wav` (next to it, same extension).
pub fn per_call_path(path: &std::path::Path, id: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "record".into());
    let safe: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{safe}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{safe}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod per_call_tests {
    use super::per_call_path;
    use std::path::Path;

    #[test]
    fn a_second_call_records_next_to_the_first() {
        assert_eq!(per_call_path(Path::new("/tmp/rec.wav"), "c2"), Path::new("/tmp/rec-c2.wav"));
        assert_eq!(per_call_path(Path::new("out"), "c/3"), Path::new("out-c_3"));
    }
}
