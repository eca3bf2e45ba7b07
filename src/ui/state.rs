//! The console's view model: the keys on the wall and their lamps, our calls, our own
//! status and the registration. Filled from [`Event`]s only; the views read it and push
//! [`Command`](crate::api::Command)s. No egui in here, so it can be tested on its own.

use crate::api::{Event, LampEvent};
use std::collections::HashMap;

/// Longest custom status text (UCM "Custom Presence Status").
pub const CUSTOM_TEXT_MAX: usize = 64;

/// What a key on the wall does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Presence watcher: status icon, label colour and LED (with the line overlaid).
    Presence,
    /// Busy lamp field: the LED shows the line only.
    Blf,
    /// Speed dial: no lamp, a click calls.
    SpeedDial,
}

impl KeyKind {
    /// All kinds, for the editor's choice.
    pub const ALL: [KeyKind; 3] = [KeyKind::Presence, KeyKind::Blf, KeyKind::SpeedDial];

    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Presence => "Presence watcher",
            KeyKind::Blf => "BLF",
            KeyKind::SpeedDial => "Speed dial",
        }
    }
}

/// One key as configured (the wall layout; persisted by the config module later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDef {
    /// Extension, number or SIP URI; lamps are matched on it (`LampEvent::ext`).
    pub ext: String,
    /// The name shown on the key.
    pub label: String,
    /// What the key does.
    pub kind: KeyKind,
    /// The page/group (like an extension module) the key sits on.
    pub group: String,
}

impl KeyDef {
    /// A key of `kind` for `ext`, labelled `label`, on page `group`.
    pub fn new(ext: &str, label: &str, kind: KeyKind, group: &str) -> Self {
        Self { ext: ext.to_owned(), label: label.to_owned(), kind, group: group.to_owned() }
    }
}

/// How a key looks, derived from its lamp (one variant per visual treatment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Line idle (or not known while the status is known).
    Idle,
    /// Ringing: fast blinking red, caller on the key.
    Ringing,
    /// In a call: red, peer on the key.
    Busy,
    /// Call on hold: slow blinking red.
    Held,
    /// Not registered.
    Offline,
    /// Nothing trustworthy: unknown, pending, stale or failed (drawn hatched with a "?").
    Uncertain,
    /// A speed-dial key (no lamp).
    SpeedDial,
}

/// The registration of our account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Nothing heard yet.
    Unknown,
    /// A REGISTER is on its way.
    Registering {
        /// The server chosen.
        server: String,
    },
    /// Registered.
    Registered {
        /// Address of record.
        aor: String,
        /// Seconds granted.
        expires: u32,
    },
    /// The last attempt failed.
    Failed {
        /// Why (with the code, when there is one).
        reason: String,
    },
    /// Not registered (on purpose).
    Unregistered,
}

/// Our own status as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnStatus {
    /// The status word last chosen (`available`, `away`, `chat`, `dnd`, `unavailable`, `custom`).
    pub status: String,
    /// The custom text (at most [`CUSTOM_TEXT_MAX`] characters).
    pub custom_text: String,
    /// Where the status was applied, e.g. "publish, 3600 s" (from `Event::Published`).
    pub applied: Option<String>,
    /// The last failure to apply it (from `Event::PublishFailed`).
    pub error: Option<String>,
}

/// One of our calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    /// The engine's call id.
    pub id: String,
    /// ringing, early, answered or held.
    pub state: String,
    /// `in` or `out`.
    pub direction: String,
    /// The other party.
    pub remote: String,
    /// UI time (seconds) when the call was first answered, for the timer.
    pub answered_at: Option<f64>,
    /// UI time when we first heard of the call.
    pub seen_at: f64,
    /// Our microphone is muted (UI state; sent as `Command::Mute`).
    pub muted: bool,
}

impl CallView {
    /// An incoming call still ringing (answer/reject panel).
    pub fn is_incoming_ringing(&self) -> bool {
        self.direction == "in" && self.state == "ringing"
    }

    /// Seconds since the answer, for the call timer.
    pub fn talk_secs(&self, now: f64) -> Option<u64> {
        self.answered_at.map(|t| (now - t).max(0.0) as u64)
    }
}

/// The console's whole view model.
#[derive(Debug, Clone)]
pub struct ConsoleState {
    keys: Vec<KeyDef>,
    lamps: HashMap<String, LampEvent>,
    /// Our calls, oldest first (ended calls are removed).
    pub calls: Vec<CallView>,
    /// The last ended call ("remote: reason"), shown briefly under the calls.
    pub last_ended: Option<String>,
    /// Our own status.
    pub own: OwnStatus,
    /// Our registration.
    pub registration: Registration,
    /// The last network error.
    pub network_error: Option<String>,
    /// The engine has stopped.
    pub stopped: bool,
    filter: String,
    page: Option<String>,
    groups: Vec<String>,
    visible: Vec<usize>,
}

impl ConsoleState {
    /// A console showing `keys`.
    pub fn new(keys: Vec<KeyDef>) -> Self {
        let mut s = Self {
            keys,
            lamps: HashMap::new(),
            calls: Vec::new(),
            last_ended: None,
            own: OwnStatus { status: "available".into(), custom_text: String::new(), applied: None, error: None },
            registration: Registration::Unknown,
            network_error: None,
            stopped: false,
            filter: String::new(),
            page: None,
            groups: Vec::new(),
            visible: Vec::new(),
        };
        s.keys_changed();
        s
    }

    /// Takes one engine event; `now` is the UI clock in seconds (for call timers).
    pub fn apply(&mut self, event: Event, now: f64) {
        match event {
            Event::Registering { server, .. } => self.registration = Registration::Registering { server },
            Event::Registered { aor, expires, .. } => {
                self.registration = Registration::Registered { aor, expires };
                self.network_error = None;
            }
            Event::RegistrationFailed { code, reason, .. } => {
                let reason = match code {
                    Some(c) => format!("{c} {reason}"),
                    None => reason,
                };
                self.registration = Registration::Failed { reason };
            }
            Event::Unregistered { .. } => self.registration = Registration::Unregistered,
            Event::NetworkError { reason } => self.network_error = Some(reason),
            Event::Lamp(lamp) => {
                self.lamps.insert(lamp.ext.clone(), lamp);
            }
            Event::Call { id, state, direction, remote, code, reason } => {
                self.apply_call(id, state, direction, remote, code, reason, now)
            }
            Event::Published { via, status, expires, .. } => {
                // A status set elsewhere (the tray menu) shows here too once it is applied.
                if super::views::status::STATUSES.iter().any(|(w, _)| *w == status) {
                    self.own.status = status.clone();
                }
                self.own.applied = Some(format!("{status} via {via}, {expires} s"));
                self.own.error = None;
            }
            Event::PublishFailed { via, code, reason, unsupported, .. } => {
                let code = code.map(|c| format!("{c} ")).unwrap_or_default();
                let tail = if unsupported { " (the server does not take it)" } else { "" };
                self.own.error = Some(format!("{via}: {code}{reason}{tail}"));
            }
            Event::Unpublished { .. } => self.own.applied = None,
            Event::Stopped => self.stopped = true,
            // The forwarding editor shows these (the app hands them over).
            Event::RulesSynced { .. } => {}
            Event::Forwarded { remote, target, reason, .. } => {
                self.last_ended = Some(format!("{} forwarded to {target}: {reason}", display_party(&remote)));
            }
            Event::Transfer { state, target, code, .. } => {
                let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
                self.last_ended = Some(format!("transfer to {target}: {state}{code}"));
            }
            Event::Audio { role, state, device, reason, .. } => {
                // A device that failed or moved is shown (never a silent call without a word).
                if state != "opened" {
                    let dev = device.unwrap_or_else(|| "no device".into());
                    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                    self.network_error = Some(format!("audio {role} {state} ({dev}){why}"));
                }
            }
            Event::Media { .. } | Event::Dtmf { .. } => {}
            // The settings window and the SIP log take these (see `views::settings`, `views::siplog`).
            Event::AudioDevices { .. }
            | Event::AudioLevel { .. }
            | Event::AudioTest { .. }
            | Event::SipMessage { .. } => {}
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of one `Event::Call`
    fn apply_call(
        &mut self,
        id: String,
        state: String,
        direction: String,
        remote: String,
        code: Option<u16>,
        reason: Option<String>,
        now: f64,
    ) {
        if state == "ended" {
            if let Some(pos) = self.calls.iter().position(|c| c.id == id) {
                let c = self.calls.remove(pos);
                let why = match (code, reason) {
                    (_, Some(r)) => r,
                    (Some(c), None) => format!("status {c}"),
                    (None, None) => "ended".into(),
                };
                self.last_ended = Some(format!("{}: {why}", display_party(&c.remote)));
            }
            return;
        }
        let answered = state == "answered" || state == "held";
        match self.calls.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                if answered && c.answered_at.is_none() {
                    c.answered_at = Some(now);
                }
                c.state = state;
                if !remote.is_empty() {
                    c.remote = remote;
                }
            }
            None => self.calls.push(CallView {
                id,
                state,
                direction,
                remote,
                answered_at: answered.then_some(now),
                seen_at: now,
                muted: false,
            }),
        }
    }

    /// The configured keys, in wall order.
    pub fn keys(&self) -> &[KeyDef] {
        &self.keys
    }

    /// The last lamp event for `ext`.
    pub fn lamp(&self, ext: &str) -> Option<&LampEvent> {
        self.lamps.get(ext)
    }

    /// The pages (groups) in order of first appearance.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The page shown (`None`: all keys).
    pub fn page(&self) -> Option<&str> {
        self.page.as_deref()
    }

    /// Shows one page, or all keys with `None`.
    pub fn set_page(&mut self, page: Option<String>) {
        if self.page != page {
            self.page = page;
            self.refilter();
        }
    }

    /// The type-to-filter text.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Sets the filter (matches the label or the number, case-insensitively).
    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_owned();
            self.refilter();
        }
    }

    /// Indices into [`ConsoleState::keys`] of the keys shown (page and filter applied).
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    fn keys_changed(&mut self) {
        self.groups.clear();
        for k in &self.keys {
            if !self.groups.contains(&k.group) {
                self.groups.push(k.group.clone());
            }
        }
        if let Some(p) = &self.page
            && !self.groups.contains(p)
        {
            self.page = None;
        }
        self.refilter();
    }

    fn refilter(&mut self) {
        let needle = self.filter.trim().to_lowercase();
        self.visible.clear();
        for (i, k) in self.keys.iter().enumerate() {
            let on_page = self.page.as_ref().is_none_or(|p| &k.group == p);
            let matches =
                needle.is_empty() || k.ext.to_lowercase().contains(&needle) || k.label.to_lowercase().contains(&needle);
            if on_page && matches {
                self.visible.push(i);
            }
        }
    }

    /// Appends a key (edit mode).
    pub fn add_key(&mut self, key: KeyDef) {
        self.keys.push(key);
        self.keys_changed();
    }

    /// Replaces all keys (an import); the page and filter stay when they still match.
    pub fn set_keys(&mut self, keys: Vec<KeyDef>) {
        self.keys = keys;
        self.keys_changed();
    }

    /// Removes the key at `idx` (ignored when out of range).
    pub fn remove_key(&mut self, idx: usize) {
        if idx < self.keys.len() {
            self.keys.remove(idx);
            self.keys_changed();
        }
    }

    /// Moves the key at `idx` by `delta` places (clamped to the wall); returns its new index.
    pub fn move_key(&mut self, idx: usize, delta: isize) -> usize {
        if idx >= self.keys.len() {
            return idx;
        }
        let to = idx.saturating_add_signed(delta).min(self.keys.len() - 1);
        let k = self.keys.remove(idx);
        self.keys.insert(to, k);
        self.keys_changed();
        to
    }

    /// Replaces the key at `idx` (rename, change number, type or page).
    pub fn update_key(&mut self, idx: usize, key: KeyDef) {
        if let Some(k) = self.keys.get_mut(idx) {
            *k = key;
            self.keys_changed();
        }
    }

    /// How the key at `idx` looks.
    pub fn look(&self, idx: usize) -> Look {
        let Some(key) = self.keys.get(idx) else { return Look::Uncertain };
        if key.kind == KeyKind::SpeedDial {
            return Look::SpeedDial;
        }
        let Some(l) = self.lamps.get(&key.ext) else { return Look::Uncertain };
        look_of(l)
    }

    /// What a screen reader says for the key at `idx`, e.g.
    /// "Anna Berg, 1002, Away, on the phone with Bob (2002)".
    pub fn key_description(&self, idx: usize) -> String {
        let Some(key) = self.keys.get(idx) else { return String::new() };
        if key.kind == KeyKind::SpeedDial {
            return format!("{}, {}, speed dial", key.label, key.ext);
        }
        let Some(l) = self.lamps.get(&key.ext) else {
            return format!("{}, {}, state unknown", key.label, key.ext);
        };
        let mut s = format!("{}, {}", key.label, key.ext);
        if key.kind == KeyKind::Presence && l.status != "unknown" {
            s.push_str(", ");
            s.push_str(&l.label);
        }
        s.push_str(&line_phrase(l));
        match l.freshness.as_str() {
            "fresh" => {}
            "stale" => s.push_str(", may be out of date"),
            "pending" => s.push_str(", waiting for the server"),
            "failed" => {
                s.push_str(", watch failed");
                if let Some(r) = &l.reason {
                    s.push_str(": ");
                    s.push_str(r);
                }
            }
            _ => s.push_str(", state unknown"),
        }
        s
    }

    /// The first answered (not held) call: the one DTMF and "transfer" apply to.
    pub fn active_call(&self) -> Option<&CallView> {
        self.calls.iter().find(|c| c.state == "answered").or_else(|| self.calls.iter().find(|c| c.state != "ringing"))
    }

    /// The call with `id`, mutable (mute flag).
    pub fn call_mut(&mut self, id: &str) -> Option<&mut CallView> {
        self.calls.iter_mut().find(|c| c.id == id)
    }

    /// True when anything on screen needs a timed repaint: a blinking key or a running timer.
    pub fn needs_blink(&self) -> bool {
        self.visible.iter().any(|&i| matches!(self.look(i), Look::Ringing | Look::Held))
    }
}

/// The visual treatment of a lamp event.
pub fn look_of(l: &LampEvent) -> Look {
    if matches!(l.freshness.as_str(), "unknown" | "pending" | "failed") {
        return Look::Uncertain;
    }
    match l.line.as_str() {
        "ringing" => Look::Ringing,
        "busy" => Look::Busy,
        "held" => Look::Held,
        "offline" => Look::Offline,
        _ if l.freshness == "stale" => Look::Uncertain,
        _ if l.status == "unknown" && l.line == "unknown" => Look::Uncertain,
        _ => Look::Idle,
    }
}

fn line_phrase(l: &LampEvent) -> String {
    match l.line.as_str() {
        "ringing" => match &l.caller {
            Some(c) => format!(", ringing, call from {c}"),
            None => ", ringing".into(),
        },
        "busy" => match &l.peer {
            Some(p) => format!(", on the phone with {p}"),
            None => ", on the phone".into(),
        },
        "held" => ", call on hold".into(),
        "offline" => ", offline".into(),
        "idle" => ", idle".into(),
        _ => String::new(),
    }
}

/// The text the key shows under its name: the caller, the peer, "On hold", the status
/// label, or what is uncertain.
pub fn line_text(l: &LampEvent) -> String {
    match l.line.as_str() {
        "ringing" => l.caller.as_ref().map(|c| format!("from {c}")).unwrap_or_else(|| "Ringing".into()),
        "busy" => l.peer.as_ref().map(|p| format!("with {p}")).unwrap_or_else(|| "On the phone".into()),
        "held" => "On hold".into(),
        "offline" => "Offline".into(),
        _ => match l.freshness.as_str() {
            "failed" => "Watch failed".into(),
            "pending" => "Waiting for server".into(),
            "unknown" => "Unknown".into(),
            _ => l.note.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| l.label.clone()),
        },
    }
}

/// A call's remote party for people: `"Anna" <sip:1002@pbx>` → `Anna (1002)`; a bare URI
/// → its user part; anything else as it is.
pub fn display_party(remote: &str) -> String {
    let (name, uri) = match remote.find('<') {
        Some(i) => (remote[..i].trim().trim_matches('"').trim(), remote[i + 1..].trim_end_matches('>').trim()),
        None => ("", remote.trim()),
    };
    let user = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("tel:"))
        .map(|rest| rest.split(['@', ';', '>']).next().unwrap_or(rest));
    match (name.is_empty(), user) {
        (false, Some(u)) if !u.is_empty() => format!("{name} ({u})"),
        (false, _) => name.to_owned(),
        (true, Some(u)) if !u.is_empty() => u.to_owned(),
        _ => remote.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_read_well() {
        assert_eq!(display_party("Elena Garcia <sip:1029@demo.invalid>"), "Elena Garcia (1029)");
        assert_eq!(display_party("\"Bob\" <sips:2002@pbx;transport=tls>"), "Bob (2002)");
        assert_eq!(display_party("sip:3003@pbx"), "3003");
        assert_eq!(display_party("+49 30 5550 1234"), "+49 30 5550 1234");
        assert_eq!(display_party(""), "");
    }

    #[test]
    fn filter_and_pages_narrow_the_wall() {
        let mut s = ConsoleState::new(vec![
            KeyDef::new("1001", "Anna", KeyKind::Presence, "A"),
            KeyDef::new("1002", "Ben", KeyKind::Presence, "A"),
            KeyDef::new("2001", "Anneke", KeyKind::Blf, "B"),
        ]);
        assert_eq!(s.visible(), &[0, 1, 2]);
        s.set_filter("ann");
        assert_eq!(s.visible(), &[0, 2]);
        s.set_page(Some("B".into()));
        assert_eq!(s.visible(), &[2]);
        s.set_filter("");
        s.set_page(None);
        assert_eq!(s.move_key(2, -5), 0);
        assert_eq!(s.keys()[0].ext, "2001");
        s.remove_key(0);
        assert_eq!(s.groups(), &["A".to_owned()]);
    }
}
