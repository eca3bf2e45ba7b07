//! The embedded demo office, in two forms:
//!
//! * [`service`]: the real thing — a small SIP service on loopback built on our own SIP
//!   core (registrar, presence agent taking PUBLISH and notifying watchers, dialog
//!   notifier, the echo extension `600` that sends the audio back, calls to simulated
//!   colleagues), to which the console registers through the real engine. This is what
//!   `lampboard --demo` opens.
//! * [`DemoLink`]: a fake engine behind the same interface as the real one (takes
//!   `api::Command`s, gives `api::Event`s), driven by the UI clock: the fallback when the
//!   service cannot start, and a fast double for UI tests.
//!
//! Both replay the same simulated office ([`DemoOffice`]: 48 colleagues whose statuses and
//! lines change over time). The console shows either with the banner "Demo office — not
//! connected to a PBX".

pub mod office;
pub mod service;

pub use office::{Colleague, DemoOffice};

use crate::api::{Command, Event};
use crate::ui::link::EngineLink;
use crate::ui::state::{KeyDef, KeyKind};
use std::time::Duration;

/// How many colleagues the demo office has.
pub const COLLEAGUES: usize = 48;

/// The demo office as an [`EngineLink`] for the console.
#[derive(Debug)]
pub struct DemoLink {
    office: DemoOffice,
    /// The UI clock at the last poll: when commands happen in the office.
    now: Duration,
}

impl DemoLink {
    /// A demo office of [`COLLEAGUES`] colleagues replaying the day of `seed`.
    pub fn new(seed: u64) -> Self {
        Self { office: DemoOffice::new(seed, COLLEAGUES), now: Duration::ZERO }
    }

    /// The wall of the demo: see [`wall_keys`].
    pub fn keys(&self) -> Vec<KeyDef> {
        wall_keys(&self.office)
    }

    /// The office itself (for tests).
    pub fn office(&self) -> &DemoOffice {
        &self.office
    }
}

impl EngineLink for DemoLink {
    fn send(&mut self, command: Command) {
        self.office.handle_command(self.now, command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        self.now = self.now.max(now);
        if let Some(e) = self.office.poll_event() {
            return Some(e);
        }
        self.advance(now);
        self.office.poll_event()
    }

    fn next_wakeup(&self) -> Option<Duration> {
        Some(self.office.poll_timeout())
    }
}

impl DemoLink {
    fn advance(&mut self, now: Duration) {
        if now >= self.office.poll_timeout() {
            self.office.handle_timeout(now);
        }
    }
}

/// The wall of the demo: one presence key per colleague of `office`, paged by team (the
/// last few as BLF keys, so both lamp kinds are on show), plus a speed dial for the echo
/// extension.
pub fn wall_keys(office: &DemoOffice) -> Vec<KeyDef> {
    let mut keys: Vec<KeyDef> =
        office.colleagues().iter().map(|c| KeyDef::new(&c.ext, &c.name, KeyKind::Presence, &c.group)).collect();
    for k in keys.iter_mut().skip(44) {
        k.kind = KeyKind::Blf;
    }
    keys.push(KeyDef::new(office::ECHO_EXT, "Echo test", KeyKind::SpeedDial, "Reception"));
    keys
}
