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
//!
//! For measurements (`benches/startup.rs`), [`DemoLink::new`] reads two environment
//! variables (see [`DemoOptions::from_env`]): `LAMPBOARD_DEMO_KEYS=N` puts N keys on the wall
//! (N − 1 colleagues and the echo test), `LAMPBOARD_DEMO_STILL=1` freezes the office after its
//! first state (a steady wall), `LAMPBOARD_DEMO_STILL=ringing` the same with one colleague's
//! line ringing for good, `LAMPBOARD_DEMO_STILL=call` with a call to the echo test in progress.

pub mod office;
pub mod service;

pub use office::{Colleague, DemoOffice};

use crate::api::{Command, Event};
use crate::presence::{Lamp, LineState, PresenceView, UserStatus};
use crate::ui::link::EngineLink;
use crate::ui::state::{KeyDef, KeyKind};
use std::time::Duration;

/// How many colleagues the demo office has.
pub const COLLEAGUES: usize = 48;

/// Most keys `LAMPBOARD_DEMO_KEYS` may ask for.
pub const MAX_DEMO_KEYS: usize = 5000;

/// Whether the demo office moves (for measurements: a steady wall repaints only for what
/// moves on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Still {
    /// The office lives: statuses change, lines ring, "you" get called.
    #[default]
    No,
    /// Frozen after its first state: nothing changes (calls you make do not progress either).
    Steady,
    /// Frozen, with the first colleague's line ringing for good.
    Ringing,
    /// Frozen, with an answered call to the echo test that goes on for good.
    InCall,
}

/// How the demo office is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Colleagues in the office (the wall has one key more: the echo test).
    pub colleagues: usize,
    /// Whether the office moves.
    pub still: Still,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self { colleagues: COLLEAGUES, still: Still::No }
    }
}

impl DemoOptions {
    /// The defaults, changed by `LAMPBOARD_DEMO_KEYS=N` (N keys on the wall, 2 ≤ N ≤
    /// [`MAX_DEMO_KEYS`]) and `LAMPBOARD_DEMO_STILL=1|ringing|call`. A value that cannot be used
    /// is ignored with a warning.
    pub fn from_env() -> Self {
        Self::parse(
            std::env::var("LAMPBOARD_DEMO_KEYS").ok().as_deref(),
            std::env::var("LAMPBOARD_DEMO_STILL").ok().as_deref(),
        )
    }

    /// The options for these variable values (`None`: not set).
    pub fn parse(keys: Option<&str>, still: Option<&str>) -> Self {
        let mut o = Self::default();
        if let Some(k) = keys {
            match k.trim().parse::<usize>() {
                Ok(n) if (2..=MAX_DEMO_KEYS).contains(&n) => o.colleagues = n - 1,
                _ => tracing::warn!("LAMPBOARD_DEMO_KEYS={k:?} ignored: a number of keys from 2 to {MAX_DEMO_KEYS}"),
            }
        }
        match still.map(str::trim) {
            None | Some("" | "0") => {}
            Some("1") => o.still = Still::Steady,
            Some("ringing") => o.still = Still::Ringing,
            Some("call") => o.still = Still::InCall,
            Some(v) => tracing::warn!("LAMPBOARD_DEMO_STILL={v:?} ignored: 1, ringing or call"),
        }
        o
    }
}

/// The demo office as an [`EngineLink`] for the console.
#[derive(Debug)]
pub struct DemoLink {
    office: DemoOffice,
    /// The UI clock at the last poll: when commands happen in the office.
    now: Duration,
    still: Still,
    /// A command went in: the office has put out its first state.
    started: bool,
    /// [`Still::Ringing`], [`Still::InCall`]: the ringing lamp or the call, given once the
    /// office's first state is out.
    extra: Option<Event>,
}

impl DemoLink {
    /// A demo office replaying the day of `seed`, of [`COLLEAGUES`] colleagues unless the
    /// environment says otherwise ([`DemoOptions::from_env`]).
    pub fn new(seed: u64) -> Self {
        Self::with_options(seed, DemoOptions::from_env())
    }

    /// A demo office set up as `options` says, replaying the day of `seed`.
    pub fn with_options(seed: u64, options: DemoOptions) -> Self {
        let office = DemoOffice::new(seed, options.colleagues);
        let extra = match (options.still, office.colleagues().first()) {
            (Still::Ringing, Some(c)) => {
                let mut lamp = Lamp::new();
                lamp.apply_presence(PresenceView { status: UserStatus::Available, note: None, line: None });
                lamp.apply_line(LineState::Ringing { caller: Some("Parcel service".into()) });
                Some(Event::Lamp(office::lamp_event(&c.ext, &lamp)))
            }
            (Still::InCall, _) => Some(Event::Call {
                id: "still-call".into(),
                state: "answered".into(),
                direction: "out".into(),
                remote: format!("Echo test <sip:{}@{}>", office::ECHO_EXT, office::DOMAIN),
                code: None,
                reason: None,
            }),
            _ => None,
        };
        Self { office, now: Duration::ZERO, still: options.still, started: false, extra }
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
        self.started = true;
        self.office.handle_command(self.now, command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        self.now = self.now.max(now);
        if let Some(e) = self.office.poll_event() {
            return Some(e);
        }
        if self.still != Still::No {
            // Frozen: after the first state (which the first command starts), only the extra event.
            return if self.started { self.extra.take() } else { None };
        }
        self.advance(now);
        self.office.poll_event()
    }

    fn next_wakeup(&self) -> Option<Duration> {
        (self.still == Still::No).then(|| self.office.poll_timeout())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(link: &mut DemoLink, at: Duration) -> Vec<Event> {
        std::iter::from_fn(|| link.poll_event(at)).take(10_000).collect()
    }

    #[test]
    fn the_environment_sets_the_keys_and_stillness_and_bad_values_are_ignored() {
        assert_eq!(DemoOptions::parse(None, None), DemoOptions::default());
        let o = DemoOptions::parse(Some("1000"), Some("ringing"));
        assert_eq!((o.colleagues, o.still), (999, Still::Ringing));
        assert_eq!(DemoOptions::parse(Some(" 50 "), Some("1")).still, Still::Steady);
        assert_eq!(DemoOptions::parse(None, Some("call")).still, Still::InCall);
        for bad in ["0", "1", "lots", "100000"] {
            assert_eq!(DemoOptions::parse(Some(bad), Some("maybe")), DemoOptions::default(), "{bad}");
        }
    }

    #[test]
    fn a_still_office_shows_its_first_state_and_then_nothing_but_the_ringing_line() {
        let options = DemoOptions { colleagues: 999, still: Still::Ringing };
        let mut link = DemoLink::with_options(3, options);
        assert_eq!(link.keys().len(), 1000);
        assert!(drain(&mut link, Duration::ZERO).is_empty(), "nothing before the first command");
        link.send(Command::Register);
        let first = drain(&mut link, Duration::from_secs(1));
        let lamps: Vec<&crate::api::LampEvent> =
            first.iter().filter_map(|e| if let Event::Lamp(l) = e { Some(l) } else { None }).collect();
        assert!(lamps.len() > 900, "{} lamps", lamps.len());
        let last = lamps.last().copied().expect("lamps");
        assert_eq!((last.ext.as_str(), last.line.as_str(), last.blink), ("1001", "ringing", true));
        assert_eq!(link.next_wakeup(), None);
        assert!(drain(&mut link, Duration::from_secs(3600)).is_empty(), "the office moved");

        let mut call = DemoLink::with_options(3, DemoOptions { colleagues: 10, still: Still::InCall });
        call.send(Command::Register);
        let last = drain(&mut call, Duration::ZERO).pop();
        assert!(matches!(&last, Some(Event::Call { state, .. }) if state == "answered"), "{last:?}");
        assert!(drain(&mut call, Duration::from_secs(3600)).is_empty());

        let mut live = DemoLink::with_options(3, DemoOptions { colleagues: 10, still: Still::No });
        live.send(Command::Register);
        drain(&mut live, Duration::ZERO);
        assert!(live.next_wakeup().is_some());
        assert!(!drain(&mut live, Duration::from_secs(60)).is_empty(), "a live office moves");
    }
}
