//! The engine: a thin tokio driver of the sans-IO user agent, on its own thread.
//!
//! `select!{ command, received bytes, sleep_until(next timeout) }` → one `handle_*` → drain
//! (see the contract in [`crate::ua`]). Clients talk to it only through [`api::Command`] and
//! [`api::Event`]; a wake-up closure lets the GUI repaint without the engine knowing egui.

pub mod audio_io;
pub mod audio_test;
pub mod dns;
pub mod flow;
pub mod media;
pub mod rules_policy;
pub mod sip_trace;
pub mod tones;

use crate::api::{Command, Event};
use crate::presence::status::UserStatus;
use crate::sip::TransportKind;
use crate::sip::transaction::TimerConfig;
use crate::sip::transport::Destination;
use crate::ua::calls::MediaAction;
use crate::ua::{AccountConfig, CallAction, UserAgent};
use flow::Flow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long an un-REGISTER may take on shutdown before the engine stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long one write may block (a server that stops reading must not hang the engine).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a TCP/TLS connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything the engine needs for one account.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The account.
    pub account: AccountConfig,
    /// `host[:port]` of the registrar/proxy.
    pub server: String,
    /// Transport to use.
    pub transport: TransportKind,
    /// Extra CA certificate(s) to trust for TLS (PEM).
    pub ca_file: Option<PathBuf>,
    /// T1/T2/T4.
    pub timers: TimerConfig,
    /// Register as soon as the engine starts.
    pub register_on_start: bool,
    /// What calls play and record: WAV files, or the sound devices (cpal or null).
    pub audio: media::AudioFiles,
    /// The forwarding rules acting on incoming calls (none: every call rings).
    pub policy: Option<crate::ua::policy::PolicyHandle>,
    /// Report every SIP message as `Event::SipMessage` from the start (`--sip-trace`);
    /// `Command::SipTrace` turns it on and off later.
    pub sip_trace: bool,
}

/// Called after every batch of events (the GUI passes `ctx.request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The client side of a running engine.
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    /// Events in order; `Event::Stopped` is the last one.
    pub events: std::sync::mpsc::Receiver<Event>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EngineHandle {
    /// Sends a command (ignored once the engine has stopped).
    pub fn send(&self, c: Command) {
        let _ = self.commands.send(c);
    }

    /// Splits the handle into a command sender and the event receiver (for a client that
    /// owns them separately, like the GUI's engine link). The thread runs on by itself.
    pub fn into_parts(mut self) -> (impl FnMut(Command) + Send + 'static, std::sync::mpsc::Receiver<Event>) {
        let commands = self.commands.clone();
        let (_, dummy) = std::sync::mpsc::channel();
        let events = std::mem::replace(&mut self.events, dummy);
        self.thread.take();
        (move |c| drop(commands.send(c)), events)
    }

    /// Waits for the engine thread to finish.
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the engine on a new thread.
pub fn spawn(cfg: EngineConfig, wake: Waker) -> std::io::Result<EngineHandle> {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new().name("lampboard-engine".into()).spawn(move || {
        let sink = Sink { tx: ev_tx, wake };
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt.block_on(run(cfg, cmd_rx, &sink)),
            Err(e) => sink.emit(Event::NetworkError { reason: format!("cannot start the runtime: {e}") }),
        }
        sink.emit(Event::Stopped);
    })?;
    Ok(EngineHandle { commands: cmd_tx, events: ev_rx, thread: Some(thread) })
}

/// Where events go (cloned into media tasks).
#[derive(Clone)]
pub struct Sink {
    tx: std::sync::mpsc::Sender<Event>,
    wake: Waker,
}

impl Sink {
    /// A sink sending to `tx` and calling `wake` after each event (tests drive media tasks
    /// with one).
    pub fn new(tx: std::sync::mpsc::Sender<Event>, wake: Waker) -> Self {
        Sink { tx, wake }
    }

    /// Sends an event and wakes the client.
    pub fn emit(&self, e: Event) {
        let _ = self.tx.send(e);
        (self.wake)();
    }
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (t.as_nanos() as u64) ^ ((std::process::id() as u64) << 32)
}

async fn run(cfg: EngineConfig, mut cmds: mpsc::UnboundedReceiver<Command>, sink: &Sink) {
    let spec = match dns::ServerSpec::parse(&cfg.server) {
        Ok(s) => s,
        Err(e) => return sink.emit(Event::NetworkError { reason: e }),
    };
    let dests = match dns::resolve(&spec, cfg.transport).await {
        Ok(d) => d,
        Err(e) => return sink.emit(Event::NetworkError { reason: e }),
    };
    let tls = match cfg.transport {
        TransportKind::Tls => match flow::tls_config(cfg.ca_file.as_deref()) {
            Ok(t) => Some(t),
            Err(e) => return sink.emit(Event::NetworkError { reason: e }),
        },
        _ => None,
    };
    let trace = sip_trace::SipTrace::new(cfg.sip_trace);
    let mut net = Net { dest: dests[0], server_name: spec.host.clone(), tls, flow: None, trace };
    // A failure here is reported by the first send, which tries again.
    let local = net.connect().await.unwrap_or_else(|_| unspecified(net.dest.addr));
    let mut ua = UserAgent::new(cfg.account.clone(), net.dest, local, cfg.timers, seed());
    ua.set_policy(cfg.policy.clone());
    let start = std::time::Instant::now();
    // Maps tokio's clock (pausable in tests) onto the std Instants the core uses.
    let t0 = Instant::now();
    let now = || start + (Instant::now() - t0);
    if cfg.register_on_start {
        ua.register(now());
    }
    let mut shutdown_by: Option<Instant> = None;
    let mut cmds_open = true;
    let mut rtp: std::collections::HashMap<String, RtpSlot> = std::collections::HashMap::new();
    let mut finishing = Vec::new();
    let mut audio = cfg.audio.clone();
    let mut tones = tones::Tones::new(&audio);
    let mut audio_test = audio_test::AudioTester::default();
    loop {
        // Calls the core started itself (pickup, being transferred, Replaces) get their
        // RTP socket here.
        while let Some(b) = ua.poll_bind() {
            match bind_rtp(local_ip(&ua)).await {
                Ok(sock) => {
                    let local = sock.local_addr().unwrap_or_else(|_| unspecified(net.dest.addr));
                    let id = ua.complete_bind(now(), b, local);
                    rtp.insert(id, RtpSlot::Bound(sock));
                }
                Err(e) => sink.emit(Event::NetworkError { reason: format!("no RTP socket: {e}") }),
            }
        }
        net.drain(&mut ua, sink, &mut tones, now()).await;
        run_media_actions(&mut ua, &mut rtp, &mut finishing, &audio, sink);
        if let Some(by) = shutdown_by
            && (ua.is_quiet() || Instant::now() >= by)
        {
            break;
        }
        let wake_at = ua.poll_timeout().map(|t| t0 + t.saturating_duration_since(start));
        let wake_at = match (wake_at, shutdown_by) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            c = cmds.recv(), if cmds_open => match c {
                Some(Command::Register) => ua.register(now()),
                Some(Command::Unregister) => ua.unregister(now()),
                Some(Command::Watch { targets, events, list }) => ua.watch(now(), &targets, &events, list.as_deref()),
                Some(Command::Dial { target }) => match bind_rtp(local_ip(&ua)).await {
                    Ok(sock) => {
                        let local = sock.local_addr().unwrap_or_else(|_| unspecified(net.dest.addr));
                        let id = ua.dial(now(), &target, local);
                        rtp.insert(id, RtpSlot::Bound(sock));
                    }
                    Err(e) => sink.emit(Event::NetworkError { reason: format!("no RTP socket: {e}") }),
                },
                Some(Command::Answer { call }) => match bind_rtp(local_ip(&ua)).await {
                    Ok(sock) => {
                        let local = sock.local_addr().unwrap_or_else(|_| unspecified(net.dest.addr));
                        rtp.insert(call.clone(), RtpSlot::Bound(sock));
                        ua.answer(now(), &call, local);
                    }
                    Err(e) => sink.emit(Event::NetworkError { reason: format!("no RTP socket: {e}") }),
                },
                Some(Command::Reject { call, code }) => ua.call_action(now(), &call, CallAction::Reject(code)),
                Some(Command::Hangup { call }) => ua.call_action(now(), &call, CallAction::Hangup),
                Some(Command::Forward { call, target }) => {
                    ua.call_action(now(), &call, CallAction::Forward(target))
                }
                Some(Command::Hold { call }) => ua.call_action(now(), &call, CallAction::Hold),
                Some(Command::Resume { call }) => ua.call_action(now(), &call, CallAction::Resume),
                Some(Command::SendDtmf { call, digits }) => ua.call_action(now(), &call, CallAction::Dtmf(digits)),
                Some(Command::Transfer { call, target, consult, attended }) => match consult {
                    Some(k) => ua.attended_transfer(now(), &call, &k),
                    None if attended => {
                        // Consult first: hold the call, then call the target.
                        ua.call_action(now(), &call, CallAction::Hold);
                        match bind_rtp(local_ip(&ua)).await {
                            Ok(sock) => {
                                let local = sock.local_addr().unwrap_or_else(|_| unspecified(net.dest.addr));
                                let id = ua.dial(now(), &target, local);
                                rtp.insert(id, RtpSlot::Bound(sock));
                            }
                            Err(e) => sink.emit(Event::NetworkError { reason: format!("no RTP socket: {e}") }),
                        }
                    }
                    None => ua.transfer(now(), &call, &target),
                },
                Some(Command::Pickup { ext }) => ua.pickup(&ext),
                Some(Command::Park { call }) => ua.park(now(), &call),
                Some(Command::Mute { call, muted }) => {
                    if let Some(RtpSlot::Running(tx, _)) = rtp.get(&call) {
                        let _ = tx.send(media::MediaCtl::Mute(muted));
                    }
                }
                Some(Command::SetAudioDevices { input, output, ring }) => {
                    audio.devices.input = input;
                    audio.devices.output = output;
                    audio.devices.ring = ring;
                    tones.set_devices(&audio);
                    for slot in rtp.values() {
                        if let RtpSlot::Running(tx, _) = slot {
                            let _ = tx.send(media::MediaCtl::SetDevices(audio.devices.clone()));
                        }
                    }
                }
                Some(Command::SetPresence { status, note, etag }) => {
                    match UserStatus::parse(&status, note.as_deref()) {
                        Some(s) => ua.set_presence(now(), s, note.as_deref(), etag),
                        None => tracing::warn!(%status, "unknown presence status ignored"),
                    }
                }
                Some(Command::ListAudioDevices) => audio_test::list_devices(audio.devices.backend(), sink),
                Some(Command::AudioTest { on, ring }) => {
                    if on {
                        let d = &audio.devices;
                        let output = if ring { d.ring.clone().or_else(|| d.output.clone()) } else { d.output.clone() };
                        audio_test.start(d.backend(), d.input.clone(), output, sink);
                    } else {
                        audio_test.stop();
                    }
                }
                Some(Command::SetCodecs { codecs }) => {
                    let codecs = crate::config::settings::codecs_from_names(&codecs);
                    if codecs.is_empty() {
                        tracing::warn!("no known codec in SetCodecs; the codecs stay as they were");
                    } else {
                        ua.set_codecs(codecs);
                    }
                }
                Some(Command::SipTrace { on }) => net.trace.set(on),
                // Appended to the API by the console; the engine wires them with the calls issue.
                Some(c @ (Command::Shutdown | Command::ShutdownKeepingPresence)) => {
                    if shutdown_by.is_none() {
                        ua.shutdown(now(), c == Command::ShutdownKeepingPresence);
                        shutdown_by = Some(Instant::now() + grace(&ua));
                    }
                }
                None => {
                    cmds_open = false;
                    if shutdown_by.is_none() {
                        ua.shutdown(now(), false);
                        shutdown_by = Some(Instant::now() + grace(&ua));
                    }
                }
            },
            r = net.recv() => match r {
                Ok(data) => {
                    tracing::trace!(from = %net.dest.addr, "recv {}", String::from_utf8_lossy(&data));
                    net.trace.record(sink, false, net.dest, &data);
                    ua.handle_datagram(now(), &data, net.dest);
                }
                Err(e) => net.fail(&mut ua, sink, now(), e.to_string()),
            },
            _ = sleep_until_opt(wake_at) => ua.handle_timeout(now()),
        }
    }
    tones.stop_all();
    audio_test.stop();
    // Media tasks report their statistics when they stop: let them finish.
    for (_, slot) in rtp.drain() {
        if let RtpSlot::Running(tx, task) = slot {
            let _ = tx.send(media::MediaCtl::Stop);
            finishing.push(task);
        }
    }
    for task in finishing {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
}

/// A call's RTP socket before and after its media task starts.
enum RtpSlot {
    Bound(tokio::net::UdpSocket),
    Running(tokio::sync::mpsc::UnboundedSender<media::MediaCtl>, tokio::task::JoinHandle<()>),
}

/// Binds an RTP socket on our signalling address (so the SDP address is reachable).
async fn bind_rtp(ip: std::net::IpAddr) -> std::io::Result<tokio::net::UdpSocket> {
    tokio::net::UdpSocket::bind(SocketAddr::new(ip, 0)).await
}

fn local_ip(ua: &UserAgent) -> std::net::IpAddr {
    ua.local_addr().ip()
}

/// Starts, updates and stops media tasks as the calls ask.
fn run_media_actions(
    ua: &mut UserAgent,
    rtp: &mut std::collections::HashMap<String, RtpSlot>,
    finishing: &mut Vec<tokio::task::JoinHandle<()>>,
    files: &media::AudioFiles,
    sink: &Sink,
) {
    // Media tasks that have finished are let go (their handles would pile up in a long session).
    finishing.retain(|t| !t.is_finished());
    while let Some(action) = ua.poll_media() {
        match action {
            MediaAction::Start { id, negotiated, .. } => match rtp.remove(&id) {
                Some(RtpSlot::Bound(sock)) => {
                    let mut files = files.clone();
                    // Two calls at once (a consult, a transfer, a pickup) never share a WAV file:
                    // the later one records next to it, as `NAME-<call>.wav`.
                    if let Some(path) = &files.record
                        && rtp.values().any(|s| matches!(s, RtpSlot::Running(..)))
                    {
                        let own = media::per_call_path(path, &id);
                        tracing::info!(call = %id, file = %own.display(), "another call is recording; this one records here");
                        files.record = Some(own);
                    }
                    let (tx, task) = media::spawn(id.clone(), sock, negotiated, files, sink.clone());
                    rtp.insert(id, RtpSlot::Running(tx, task));
                }
                Some(RtpSlot::Running(tx, task)) => {
                    let _ = tx.send(media::MediaCtl::Update(Box::new(negotiated)));
                    rtp.insert(id, RtpSlot::Running(tx, task));
                }
                None => tracing::warn!(%id, "media for a call without an RTP socket"),
            },
            MediaAction::Dtmf { id, digits } => {
                if let Some(RtpSlot::Running(tx, _)) = rtp.get(&id) {
                    let _ = tx.send(media::MediaCtl::Dtmf(digits));
                }
            }
            MediaAction::Stop { id } => {
                if let Some(RtpSlot::Running(tx, task)) = rtp.remove(&id) {
                    let _ = tx.send(media::MediaCtl::Stop);
                    finishing.push(task);
                }
            }
        }
    }
}

/// Time allowed for the un-REGISTER and the paced un-SUBSCRIBEs on shutdown (≤ 2 minutes).
fn grace(ua: &UserAgent) -> Duration {
    (SHUTDOWN_GRACE + ua.unsubscribe_time()).min(Duration::from_secs(120))
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn unspecified(remote: SocketAddr) -> SocketAddr {
    if remote.is_ipv6() { "[::]:0".parse().expect("literal") } else { "0.0.0.0:0".parse().expect("literal") }
}

/// The flow to the server and how to re-open it.
struct Net {
    dest: Destination,
    server_name: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    flow: Option<Flow>,
    trace: sip_trace::SipTrace,
}

impl Net {
    async fn connect(&mut self) -> Result<SocketAddr, String> {
        let what = format!("{} {}", self.dest.transport, self.dest.addr);
        let f = tokio::time::timeout(CONNECT_TIMEOUT, Flow::connect(self.dest, &self.server_name, self.tls.clone()))
            .await
            .map_err(|_| format!("connecting to {what} timed out"))?
            .map_err(|e| format!("cannot connect to {what}: {e}"))?;
        let local = f.local_addr().map_err(|e| e.to_string())?;
        self.flow = Some(f);
        Ok(local)
    }

    async fn recv(&mut self) -> std::io::Result<Vec<u8>> {
        match &mut self.flow {
            Some(f) => f.recv().await,
            None => std::future::pending().await,
        }
    }

    /// A receive or send error: streams are closed (re-opened on the next send); UDP stays.
    fn fail(&mut self, ua: &mut UserAgent, sink: &Sink, now: std::time::Instant, reason: String) {
        tracing::info!(%reason, "transport error");
        if self.dest.transport.is_reliable() {
            self.flow = None;
        }
        ua.handle_transport_error(now, self.dest, &reason);
        sink.emit(Event::NetworkError { reason });
    }

    /// Sends everything the user agent has queued and hands its events to the client.
    async fn drain(&mut self, ua: &mut UserAgent, sink: &Sink, tones: &mut tones::Tones, now: std::time::Instant) {
        while let Some(ev) = ua.poll_event() {
            tones.on_event(&ev, sink);
            sink.emit(ev);
        }
        while let Some(t) = ua.poll_transmit() {
            if self.flow.is_none() {
                match self.connect().await {
                    Ok(local) => {
                        if local != ua.local_addr() {
                            // A new connection, a new local port: Via/Contact follow. A REGISTER
                            // built with the old one is replaced (it would bind a dead contact);
                            // anything else goes out, answered over this connection.
                            ua.handle_local_address(now, local);
                            if t.data.starts_with(b"REGISTER ") {
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        self.fail(ua, sink, now, e);
                        // Everything else queued would wait for its own connect timeout and
                        // stall the loop: drop it, the transactions time out or retry.
                        while ua.poll_transmit().is_some() {}
                        continue;
                    }
                }
            }
            let Some(flow) = self.flow.as_mut() else {
                continue;
            };
            tracing::trace!(to = %t.dest.addr, "send {}", String::from_utf8_lossy(&t.data));
            self.trace.record(sink, true, t.dest, &t.data);
            match tokio::time::timeout(SEND_TIMEOUT, flow.send(&t.data)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.fail(ua, sink, now, format!("send to {}: {e}", t.dest.addr)),
                Err(_) => {
                    self.fail(ua, sink, now, format!("send to {} timed out (the server stopped reading)", t.dest.addr))
                }
            }
        }
        while let Some(ev) = ua.poll_event() {
            sink.emit(ev);
        }
    }
}
