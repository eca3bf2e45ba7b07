//! The embedded demo office: a fake engine behind the same interface as the real one
//! (takes `api::Command`s, gives `api::Event`s), driven by the UI clock. The console shows
//! it with the banner "Demo office — not connected to a PBX".
//!
//! (The full demo — a SIP service on loopback built on our own SIP core, with an
//! echo extension that returns audio — is a later step; this one fakes the engine.)

pub mod office;

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

    /// The wall of the demo: one presence key per colleague, paged by team, plus a speed
    /// dial for the echo extension.
    pub fn keys(&self) -> Vec<KeyDef> {
        let mut keys: Vec<KeyDef> = self
            .office
            .colleagues()
            .iter()
            .map(|c| KeyDef::new(&c.ext, &c.name, KeyKind::Presence, &c.group))
            .collect();
        // A few BLF keys so both lamp kinds are on show.
        for k in keys.iter_mut().skip(44) {
            k.kind = KeyKind::Blf;
        }
        keys.push(KeyDef::new(office::ECHO_EXT, "Echo test", KeyKind::SpeedDial, "Reception"));
        keys
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
