//! The demo office, sans-IO: a fake engine with ~48 colleagues whose statuses change now
//! and then, whose lines ring (with a caller), get busy and go idle, and which calls "you"
//! sometimes. It takes [`Command`]s and produces [`Event`]s like the real engine, with the
//! lamp fields made by [`crate::presence::Lamp`]. Time is an argument; randomness comes
//! from the seed, so a seed replays the same day.

use crate::api::{Command, Event, LampEvent};
use crate::presence::{Freshness, Lamp, LineState, PresenceView, UserStatus};
use std::collections::VecDeque;
use std::time::Duration;

/// Our own extension in the demo.
pub const OWN_EXT: &str = "1000";
/// The echo extension: answers at once.
pub const ECHO_EXT: &str = "600";
/// The demo's domain (reserved name, never resolved).
pub const DOMAIN: &str = "demo.lampboard.invalid";

const FIRST: [&str; 24] = [
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Lukas", "Mara",
    "Nils", "Olivia", "Paul", "Rosa", "Simon", "Tara", "Umar", "Vera", "Willem", "Yara", "Zoe",
];
const LAST: [&str; 16] = [
    "Berg", "Costa", "Dietrich", "Evans", "Fischer", "Garcia", "Hansen", "Ivanova", "Jensen", "Keller", "Lopez",
    "Moreau", "Novak", "Okafor", "Petrov", "Quinn",
];
const GROUPS: [&str; 4] = ["Reception", "Sales", "Support", "Engineering"];
const CUSTOM: [&str; 4] = ["In a meeting", "Lunch until 13:30", "Working from home", "At the front desk"];
const OUTSIDE: [&str; 5] = ["+49 30 5550 1234", "+44 20 7946 0321", "Parcel service", "+33 1 7010 2040", "Unknown"];

/// One simulated colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    /// Display name.
    pub name: String,
    /// Extension.
    pub ext: String,
    /// Team (page on the wall).
    pub group: String,
}

/// What a colleague's line does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStep {
    /// Ringing ends: answered (busy) or given up (idle).
    RingDone,
    /// The call ends.
    Hangup,
    /// Put on hold / taken off hold.
    ToggleHold,
}

/// One of "your" calls in the demo.
#[derive(Debug, Clone)]
struct DemoCall {
    id: String,
    direction: &'static str,
    remote: String,
    state: &'static str,
    /// The colleague at the other end, if any.
    peer: Option<usize>,
    /// A scheduled change: (when, new state or "ended" with code and reason).
    due: Option<(f64, &'static str, Option<u16>, Option<String>)>,
}

/// A tiny deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// The demo office.
#[derive(Debug)]
pub struct DemoOffice {
    rng: Rng,
    colleagues: Vec<Colleague>,
    lamps: Vec<Lamp>,
    line_due: Vec<Option<(f64, LineStep)>>,
    calls: Vec<DemoCall>,
    next_call_id: u32,
    next_change: f64,
    next_incoming: f64,
    events: VecDeque<Event>,
    started: bool,
}

impl DemoOffice {
    /// An office of `count` colleagues (extensions 1001…), replaying the day of `seed`.
    pub fn new(seed: u64, count: usize) -> Self {
        let mut rng = Rng(seed);
        let colleagues: Vec<Colleague> = (0..count)
            .map(|i| Colleague {
                name: format!("{} {}", FIRST[i % FIRST.len()], LAST[(i * 7 + i / FIRST.len()) % LAST.len()]),
                ext: (1001 + i).to_string(),
                group: GROUPS[(i * GROUPS.len()) / count.max(1)].to_owned(),
            })
            .collect();
        let lamps = (0..count).map(|_| Lamp::new()).collect();
        let next_change = rng.range(0.5, 1.5);
        Self {
            rng,
            colleagues,
            lamps,
            line_due: vec![None; count],
            calls: Vec::new(),
            next_call_id: 1,
            next_change,
            next_incoming: 6.0,
            events: VecDeque::new(),
            started: false,
        }
    }

    /// The colleagues, in extension order.
    pub fn colleagues(&self) -> &[Colleague] {
        &self.colleagues
    }

    /// Each colleague's lamp, in the order of [`DemoOffice::colleagues`] (what the demo SIP
    /// service publishes for them).
    pub fn lamps(&self) -> &[Lamp] {
        &self.lamps
    }

    /// Takes a command at `now` (time since the demo started).
    pub fn handle_command(&mut self, now: Duration, cmd: Command) {
        let now = now.as_secs_f64();
        self.ensure_started(now);
        match cmd {
            Command::Register => self.events.push_back(registered()),
            Command::Unregister => self.events.push_back(Event::Unregistered { aor: aor(OWN_EXT) }),
            Command::Watch { .. } => {}
            Command::Dial { target } => {
                self.hold_others("");
                self.dial(now, target)
            }
            Command::Answer { call } => {
                self.hold_others(&call);
                self.set_call(&call, "answered", None, None)
            }
            Command::Reject { call, code } => self.set_call(&call, "ended", Some(code), Some("rejected".into())),
            Command::Forward { call, target } => {
                self.set_call(&call, "ended", Some(302), Some(format!("forwarded to {target}")))
            }
            Command::Hangup { call } => self.set_call(&call, "ended", None, Some("hung up".into())),
            Command::Hold { call } => self.set_call(&call, "held", None, None),
            Command::Resume { call } => {
                self.hold_others(&call);
                self.set_call(&call, "answered", None, None)
            }
            Command::SendDtmf { .. } | Command::Mute { .. } | Command::SetAudioDevices { .. } => {}
            Command::SetCodecs { .. } | Command::SipTrace { .. } | Command::AudioTest { on: false, .. } => {}
            Command::ListAudioDevices => self.events.push_back(Event::AudioDevices {
                inputs: Vec::new(),
                outputs: Vec::new(),
                default_input: None,
                default_output: None,
                error: Some("the demo office plays no sound".into()),
            }),
            Command::AudioTest { on: true, .. } => self.events.push_back(Event::AudioTest {
                state: "failed".into(),
                input: None,
                output: None,
                reason: Some("the demo office plays no sound".into()),
            }),
            Command::SetPresence { status, note, .. } => self.set_presence(&status, note),
            Command::Pickup { ext } => self.pickup(&ext),
            Command::Transfer { call, target, attended, .. } => self.transfer(now, &call, &target, attended),
            Command::Park { call } => self.set_call(&call, "ended", None, Some("parked on 701".into())),
            Command::Shutdown | Command::ShutdownKeepingPresence => {
                self.events.push_back(Event::Unpublished { via: "demo".into() });
                self.events.push_back(Event::Unregistered { aor: aor(OWN_EXT) });
                self.events.push_back(Event::Stopped);
            }
        }
    }

    /// Advances the office to `now`: due line changes, call steps and random happenings.
    pub fn handle_timeout(&mut self, now: Duration) {
        let now = now.as_secs_f64();
        self.ensure_started(now);
        for i in 0..self.lamps.len() {
            if let Some((at, step)) = self.line_due[i]
                && at <= now
            {
                self.line_due[i] = None;
                self.line_step(now, i, step);
            }
        }
        for k in 0..self.calls.len() {
            if let Some((at, state, code, reason)) = self.calls[k].due.clone()
                && at <= now
            {
                self.calls[k].due = None;
                let id = self.calls[k].id.clone();
                self.set_call(&id, state, code, reason);
                break; // `set_call` may remove the call: finish the rest next time
            }
        }
        // Bounded catch-up: at most a few happenings per call, even after a long pause.
        for _ in 0..8 {
            if self.next_change > now {
                break;
            }
            self.happen(now);
            self.next_change += self.rng.range(0.6, 2.2);
        }
        if self.next_change <= now {
            self.next_change = now + 1.0;
        }
        if now >= self.next_incoming {
            self.next_incoming = now + self.rng.range(45.0, 90.0);
            if !self.calls.iter().any(|c| c.direction == "in" && c.state == "ringing") {
                self.incoming(now);
            }
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`DemoOffice::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Duration {
        let mut t = self.next_change.min(self.next_incoming);
        for (at, _) in self.line_due.iter().flatten() {
            t = t.min(*at);
        }
        for c in &self.calls {
            if let Some((at, ..)) = &c.due {
                t = t.min(*at);
            }
        }
        Duration::from_secs_f64(t.max(0.0))
    }

    fn ensure_started(&mut self, now: f64) {
        if self.started {
            return;
        }
        self.started = true;
        self.events.push_back(Event::Registering {
            aor: aor(OWN_EXT),
            server: "127.0.0.1:5060".into(),
            transport: crate::sip::TransportKind::Udp,
        });
        self.events.push_back(registered());
        self.events.push_back(published("available"));
        for i in 0..self.lamps.len() {
            let status = self.random_status();
            let mut lamp = Lamp::new();
            match i % 16 {
                // A few lamps whose state cannot be trusted: stale, failed, never heard of.
                5 => {
                    lamp.apply_presence(view(status, None));
                    lamp.apply_line(LineState::Idle);
                    lamp.apply_no_body();
                }
                11 => lamp.set_freshness(Freshness::Failed("403 Forbidden".into())),
                14 if i > 16 => {}
                _ => {
                    let offline = status == UserStatus::Unavailable;
                    lamp.apply_presence(view(status, None));
                    lamp.apply_line(if offline { LineState::Offline } else { LineState::Idle });
                }
            }
            self.lamps[i] = lamp;
            if i % 16 == 14 && i > 16 {
                continue; // never reported: stays "unknown" on the wall
            }
            self.emit_lamp(i);
        }
        let _ = now;
    }

    fn random_status(&mut self) -> UserStatus {
        match self.rng.below(20) {
            0..=10 => UserStatus::Available,
            11..=13 => UserStatus::Away,
            14 => UserStatus::Chat,
            15..=16 => UserStatus::Dnd,
            17 => UserStatus::Unavailable,
            _ => UserStatus::Custom(CUSTOM[self.rng.below(CUSTOM.len())].into()),
        }
    }

    /// One random happening in the office.
    fn happen(&mut self, now: f64) {
        if self.lamps.is_empty() {
            return;
        }
        let i = self.rng.below(self.lamps.len());
        if !matches!(self.lamps[i].freshness, Freshness::Fresh) || self.line_due[i].is_some() {
            return; // leave uncertain and busy lamps alone
        }
        match self.rng.below(10) {
            0..=3 if self.lamps[i].line == LineState::Idle => {
                let caller = self.random_party(i);
                self.lamps[i].apply_line(LineState::Ringing { caller: Some(caller) });
                self.line_due[i] = Some((now + self.rng.range(3.0, 9.0), LineStep::RingDone));
            }
            4 if self.lamps[i].line == LineState::Idle => {
                let peer = self.random_party(i);
                self.lamps[i].apply_line(LineState::Busy { peer: Some(peer) });
                self.line_due[i] = Some((now + self.rng.range(8.0, 40.0), LineStep::Hangup));
            }
            _ => {
                let status = self.random_status();
                let offline = status == UserStatus::Unavailable;
                self.lamps[i].apply_presence(view(status, None));
                if offline {
                    self.lamps[i].apply_line(LineState::Offline);
                } else if self.lamps[i].line == LineState::Offline {
                    self.lamps[i].apply_line(LineState::Idle);
                }
            }
        }
        self.emit_lamp(i);
    }

    fn random_party(&mut self, not: usize) -> String {
        if self.rng.below(3) == 0 {
            return OUTSIDE[self.rng.below(OUTSIDE.len())].to_owned();
        }
        let mut j = self.rng.below(self.colleagues.len());
        if j == not {
            j = (j + 1) % self.colleagues.len();
        }
        let c = &self.colleagues[j];
        format!("{} ({})", c.name, c.ext)
    }

    fn line_step(&mut self, now: f64, i: usize, step: LineStep) {
        match (step, self.lamps[i].line.clone()) {
            (LineStep::RingDone, LineState::Ringing { caller }) => {
                if self.rng.below(10) < 7 {
                    self.lamps[i].apply_line(LineState::Busy { peer: caller });
                    self.line_due[i] = Some((now + self.rng.range(8.0, 45.0), LineStep::ToggleHold));
                } else {
                    self.lamps[i].apply_line(LineState::Idle);
                }
            }
            (LineStep::ToggleHold, LineState::Busy { .. }) if self.rng.below(3) == 0 => {
                self.lamps[i].apply_line(LineState::Held);
                self.line_due[i] = Some((now + self.rng.range(4.0, 10.0), LineStep::Hangup));
            }
            (LineStep::ToggleHold | LineStep::Hangup, _) => self.lamps[i].apply_line(LineState::Idle),
            _ => {}
        }
        self.emit_lamp(i);
    }

    fn find(&self, ext: &str) -> Option<usize> {
        self.colleagues.iter().position(|c| c.ext == ext)
    }

    fn party(&self, i: usize) -> String {
        let c = &self.colleagues[i];
        format!("{} <sip:{}@{DOMAIN}>", c.name, c.ext)
    }

    fn new_call(
        &mut self,
        direction: &'static str,
        remote: String,
        state: &'static str,
        peer: Option<usize>,
    ) -> String {
        let id = format!("demo-{}", self.next_call_id);
        self.next_call_id += 1;
        self.calls.push(DemoCall { id: id.clone(), direction, remote: remote.clone(), state, peer, due: None });
        self.events.push_back(Event::Call {
            id: id.clone(),
            state: state.into(),
            direction: direction.into(),
            remote,
            code: None,
            reason: None,
        });
        id
    }

    fn schedule(&mut self, id: &str, due: (f64, &'static str, Option<u16>, Option<String>)) {
        if let Some(c) = self.calls.iter_mut().find(|c| c.id == id) {
            c.due = Some(due);
        }
    }

    fn dial(&mut self, now: f64, target: String) {
        let target = target.trim().to_owned();
        if target == ECHO_EXT {
            let id = self.new_call("out", format!("Echo test <sip:{ECHO_EXT}@{DOMAIN}>"), "early", None);
            self.schedule(&id, (now + 0.6, "answered", None, None));
            return;
        }
        let Some(i) = self.find(&target) else {
            let id = self.new_call("out", target, "early", None);
            self.schedule(&id, (now + 3.0, "answered", None, None));
            return;
        };
        let remote = self.party(i);
        let id = self.new_call("out", remote, "early", Some(i));
        let lamp = &self.lamps[i];
        let outcome = match (&lamp.status, &lamp.line) {
            (_, LineState::Offline) | (UserStatus::Unavailable, _) => {
                (1.0, "ended", Some(480), "Temporarily Unavailable")
            }
            (UserStatus::Dnd, _) => (1.0, "ended", Some(486), "Do Not Disturb"),
            (_, LineState::Busy { .. } | LineState::Ringing { .. } | LineState::Held) => {
                (1.5, "ended", Some(486), "Busy Here")
            }
            _ => (2.5, "answered", None, ""),
        };
        let reason = (!outcome.3.is_empty()).then(|| outcome.3.to_owned());
        self.schedule(&id, (now + outcome.0, outcome.1, outcome.2, reason));
        if outcome.1 == "answered" {
            self.lamps[i].apply_line(LineState::Ringing { caller: Some(format!("You ({OWN_EXT})")) });
            self.line_due[i] = None;
            self.emit_lamp(i);
        }
    }

    /// Like a phone: taking another line puts the connected call on hold.
    fn hold_others(&mut self, except: &str) {
        let connected: Vec<String> =
            self.calls.iter().filter(|c| c.state == "answered" && c.id != except).map(|c| c.id.clone()).collect();
        for id in connected {
            self.set_call(&id, "held", None, None);
        }
    }

    fn incoming(&mut self, now: f64) {
        let remote = match self.rng.below(3) {
            _ if self.colleagues.is_empty() => OUTSIDE[0].to_owned(),
            0 => OUTSIDE[self.rng.below(OUTSIDE.len())].to_owned(),
            _ => {
                let i = self.rng.below(self.colleagues.len());
                self.party(i)
            }
        };
        let id = self.new_call("in", remote, "ringing", None);
        self.schedule(&id, (now + 25.0, "ended", Some(487), Some("missed: the caller gave up".into())));
    }

    fn set_call(&mut self, id: &str, state: &'static str, code: Option<u16>, reason: Option<String>) {
        let Some(pos) = self.calls.iter().position(|c| c.id == id) else { return };
        let call = &mut self.calls[pos];
        if call.state == state {
            return;
        }
        if state != "ended" && call.due.as_ref().is_some_and(|d| d.1 == "ended" && call.direction == "in") {
            call.due = None; // answered before the caller gave up
        }
        call.state = state;
        let peer = call.peer;
        self.events.push_back(Event::Call {
            id: call.id.clone(),
            state: state.into(),
            direction: call.direction.into(),
            remote: call.remote.clone(),
            code,
            reason,
        });
        if let Some(i) = peer {
            let line = match state {
                "answered" => LineState::Busy { peer: Some(format!("You ({OWN_EXT})")) },
                "held" => LineState::Held,
                _ => LineState::Idle,
            };
            if state != "early" {
                self.lamps[i].apply_line(line);
                self.emit_lamp(i);
            }
        }
        if state == "ended" {
            self.calls.remove(pos);
        }
    }

    fn set_presence(&mut self, status: &str, note: Option<String>) {
        match UserStatus::parse(status, note.as_deref()) {
            Some(s) => self.events.push_back(published(s.as_str())),
            None => self.events.push_back(Event::PublishFailed {
                via: "demo".into(),
                code: None,
                reason: format!("unknown status {status:?}"),
                unsupported: false,
                retry_in_ms: None,
            }),
        }
    }

    fn pickup(&mut self, ext: &str) {
        let Some(i) = self.find(ext) else { return };
        let LineState::Ringing { caller } = self.lamps[i].line.clone() else { return };
        self.lamps[i].apply_line(LineState::Idle);
        self.line_due[i] = None;
        self.emit_lamp(i);
        self.new_call("in", caller.unwrap_or_else(|| "Unknown caller".into()), "answered", None);
    }

    fn transfer(&mut self, now: f64, call: &str, target: &str, attended: bool) {
        let Some(pos) = self.calls.iter().position(|c| c.id == call) else { return };
        let remote = self.calls[pos].remote.clone();
        let how = if attended { "after consulting" } else { "blind" };
        self.set_call(call, "ended", None, Some(format!("transferred to {target} ({how})")));
        if let Some(i) = self.find(target) {
            let name = remote.split(" <").next().unwrap_or(&remote).to_owned();
            self.lamps[i].apply_line(LineState::Busy { peer: Some(name) });
            self.line_due[i] = Some((now + self.rng.range(10.0, 30.0), LineStep::Hangup));
            self.emit_lamp(i);
        }
    }

    fn emit_lamp(&mut self, i: usize) {
        let c = &self.colleagues[i];
        self.events.push_back(Event::Lamp(lamp_event(&c.ext, &self.lamps[i])));
    }
}

fn view(status: UserStatus, note: Option<String>) -> PresenceView {
    PresenceView { status, note, line: None }
}

fn aor(ext: &str) -> String {
    format!("sip:{ext}@{DOMAIN}")
}

fn registered() -> Event {
    Event::Registered { aor: aor(OWN_EXT), expires: 3600, contacts: vec![format!("<sip:{OWN_EXT}@127.0.0.1:5062>")] }
}

fn published(status: &str) -> Event {
    Event::Published { via: "demo".into(), status: status.into(), expires: 3600, etag: Some("demo-etag".into()) }
}

/// The engine's lamp event for a lamp (the same mapping as the real watcher).
pub fn lamp_event(ext: &str, lamp: &Lamp) -> LampEvent {
    let (led, blink) = lamp.led();
    let (blf_led, blf_blink) = lamp.blf_led();
    let (caller, peer) = match &lamp.line {
        LineState::Ringing { caller } => (caller.clone(), None),
        LineState::Busy { peer } => (None, peer.clone()),
        _ => (None, None),
    };
    let (freshness, reason) = match &lamp.freshness {
        Freshness::Unknown => ("unknown", None),
        Freshness::Pending => ("pending", None),
        Freshness::Fresh => ("fresh", None),
        Freshness::Stale => ("stale", Some("no state in the last NOTIFY".to_owned())),
        Freshness::Failed(r) => ("failed", Some(r.clone())),
    };
    let note = lamp.note.clone().or_else(|| match &lamp.status {
        UserStatus::Custom(t) => Some(t.clone()),
        _ => None,
    });
    LampEvent {
        ext: ext.to_owned(),
        uri: aor(ext),
        status: lamp.status.as_str().into(),
        note,
        label: lamp.status.label().into(),
        line: lamp.line.as_str().into(),
        led: led.as_str().into(),
        blink,
        fresh: freshness == "fresh",
        freshness: freshness.into(),
        caller,
        peer,
        reason,
        blf_led: blf_led.as_str().into(),
        blf_blink,
    }
}
