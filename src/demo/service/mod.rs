//! The demo office as a real SIP service on loopback, built on our own SIP core: the
//! console registers to it through the real engine, so `lampboard --demo` exercises the
//! whole product with no PBX.
//!
//! * [`core`]: the sans-IO service ([`ServiceCore`]): transactions, dispatch, NOTIFYs for
//!   the simulated office's changes.
//! * [`registrar`]: REGISTER with digest authentication.
//! * [`notifier`]: SUBSCRIBE (`presence`, `dialog`) and PUBLISH; [`bodies`]: PIDF and
//!   dialog-info for a colleague.
//! * [`calls`] + `invite.rs`: the echo extension [`crate::demo::office::ECHO_EXT`], calls to
//!   colleagues (ring, answer or busy, hang up), directed pickup; [`outside`]: outside
//!   callers who ring the console now and then.
//! * [`echo`]: the RTP reflector; [`runtime`]: the tokio driver on its own thread.
//!
//! [`DemoService::start`] binds `127.0.0.1:0` and returns at once; dropping the handle stops
//! the service. [`DemoService::engine_config`] and [`DemoService::keys`] are what the
//! console needs to open on it.

pub mod bodies;
pub mod calls;
pub mod core;
pub mod echo;
mod invite;
pub mod notifier;
pub mod outside;
pub mod registrar;
pub mod runtime;
#[cfg(test)]
mod tests;

pub use self::core::{MediaRequest, ServiceConfig, ServiceCore};

use crate::api::{Command, Event};
use crate::engine::{EngineConfig, media::AudioFiles};
use crate::sip::TransportKind;
use crate::ua::AccountConfig;
use crate::ui::link::EngineLink;
use crate::ui::state::KeyDef;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

/// A running demo service; stops (and its thread ends) when dropped.
pub struct DemoService {
    addr: SocketAddr,
    cfg: ServiceConfig,
    keys: Vec<KeyDef>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for DemoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoService").field("addr", &self.addr).field("user", &self.cfg.user).finish()
    }
}

impl DemoService {
    /// Binds `127.0.0.1:0` and starts the service on its own thread. Errors (no socket, no
    /// runtime, no thread) come back here; nothing is left running then.
    pub fn start(cfg: ServiceConfig) -> std::io::Result<DemoService> {
        let socket = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
        socket.set_nonblocking(true)?;
        let addr = socket.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let now = std::time::Instant::now();
        let core = ServiceCore::new(cfg.clone(), addr, now, rand::random());
        let keys = super::wall_keys(core.office());
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("lampboard-demo-sip".into())
            .spawn(move || rt.block_on(runtime::serve(socket, core, now, stopped)))?;
        tracing::info!(%addr, "demo SIP service started");
        Ok(DemoService { addr, cfg, keys, stop: Some(stop), thread: Some(thread) })
    }

    /// The service's SIP address (UDP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it was started with (account user, password, domain…).
    pub fn config(&self) -> &ServiceConfig {
        &self.cfg
    }

    /// The wall of the demo: one key per colleague, paged by team, and the echo test.
    pub fn keys(&self) -> Vec<KeyDef> {
        self.keys.clone()
    }

    /// The engine configuration of the console's account on this service: registers at
    /// once, subscribes quickly (loopback), audio on the sound devices.
    pub fn engine_config(&self) -> EngineConfig {
        let mut account = AccountConfig::new(&self.cfg.user, &self.cfg.domain, &self.cfg.password);
        account.display_name = Some("Reception".to_owned());
        account.subscribe.rate = 200.0;
        account.subscribe.window = 50;
        EngineConfig {
            account,
            server: self.addr.to_string(),
            transport: TransportKind::Udp,
            ca_file: None,
            timers: self.cfg.timers,
            register_on_start: true,
            audio: AudioFiles::default(),
            policy: None,
            sip_trace: false,
        }
    }
}

impl Drop for DemoService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            // The loop ends at the next select; echo tasks end with the runtime.
            let _ = t.join();
        }
    }
}

/// An engine link that keeps the demo service alive as long as the console uses it.
pub struct ServiceLink {
    inner: Box<dyn EngineLink>,
    // Dropped after `inner` (field order): the engine first, then the service.
    _service: DemoService,
}

impl ServiceLink {
    /// `inner` (the real engine's link) with the service it talks to.
    pub fn new(inner: Box<dyn EngineLink>, service: DemoService) -> Self {
        Self { inner, _service: service }
    }
}

impl EngineLink for ServiceLink {
    fn send(&mut self, command: Command) {
        self.inner.send(command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        self.inner.poll_event(now)
    }

    fn next_wakeup(&self) -> Option<Duration> {
        self.inner.next_wakeup()
    }
}
