//! Hot-plug decisions, sans-IO: which stream must be re-opened, and why.
//!
//! The engine feeds stream failures (from the error callback, through
//! [`super::StreamHealth`]) and a periodic device list; the watcher answers with
//! [`WatchAction::Reopen`]. Rules:
//!
//! * a failed stream is re-opened at once (on the configured device if it is there, else on
//!   the default) — a call never stays silent without an event;
//! * a stream that fell back to the default because its configured device was missing moves
//!   back when that device appears (a headset plugged in again);
//! * a stream following the default moves when the default changes, or when its device
//!   vanished from the list;
//! * a stream that could not be opened at all is retried when the list shows a device.

use std::collections::VecDeque;

use super::{DeviceInfo, DeviceKind};

/// The three streams a call may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamRole {
    /// The microphone.
    Input,
    /// The call's speaker or headset.
    Output,
    /// Where an incoming call rings.
    Ring,
}

impl StreamRole {
    /// The device kind the role needs.
    pub fn kind(self) -> DeviceKind {
        match self {
            StreamRole::Input => DeviceKind::Input,
            StreamRole::Output | StreamRole::Ring => DeviceKind::Output,
        }
    }

    fn index(self) -> usize {
        match self {
            StreamRole::Input => 0,
            StreamRole::Output => 1,
            StreamRole::Ring => 2,
        }
    }
}

/// What the watcher asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchAction {
    /// Close the stream of `role` and open it again (configured device first, else default).
    Reopen {
        /// Which stream.
        role: StreamRole,
        /// Why, for the event the engine reports.
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
struct Slot {
    /// Whether the engine wants this stream at all.
    wanted: bool,
    /// The configured device (`None`: follow the default).
    preferred: Option<String>,
    /// The device open now (`None`: not open).
    current: Option<String>,
    /// A re-open is already asked for.
    pending: bool,
}

/// Tracks the streams of one call and decides re-opens.
#[derive(Debug, Clone, Default)]
pub struct DeviceWatcher {
    slots: [Slot; 3],
    actions: VecDeque<WatchAction>,
}

impl DeviceWatcher {
    /// A watcher with no streams.
    pub fn new() -> Self {
        Self::default()
    }

    /// The engine opened `role` on `device` (the configured one is `preferred`).
    pub fn opened(&mut self, role: StreamRole, preferred: Option<&str>, device: &str) {
        let slot = &mut self.slots[role.index()];
        *slot = Slot {
            wanted: true,
            preferred: preferred.map(str::to_owned),
            current: Some(device.to_owned()),
            pending: false,
        };
    }

    /// The engine wanted `role` but no device could be opened.
    pub fn open_failed(&mut self, role: StreamRole, preferred: Option<&str>) {
        let slot = &mut self.slots[role.index()];
        *slot = Slot { wanted: true, preferred: preferred.map(str::to_owned), current: None, pending: false };
    }

    /// The engine closed `role` for good (the ringing stopped, the call ended).
    pub fn closed(&mut self, role: StreamRole) {
        self.slots[role.index()] = Slot::default();
    }

    /// The stream of `role` failed (device unplugged…).
    pub fn stream_failed(&mut self, role: StreamRole, reason: &str) {
        let slot = &mut self.slots[role.index()];
        if slot.wanted && !slot.pending {
            slot.pending = true;
            slot.current = None;
            self.actions.push_back(WatchAction::Reopen { role, reason: reason.to_owned() });
        }
    }

    /// The devices there are now (polled every second or two).
    pub fn devices_listed(&mut self, devices: &[DeviceInfo]) {
        for role in [StreamRole::Input, StreamRole::Output, StreamRole::Ring] {
            let kind = role.kind();
            let slot = &mut self.slots[role.index()];
            if !slot.wanted || slot.pending {
                continue;
            }
            let of_kind = || devices.iter().filter(|d| d.kind == kind);
            let listed = |name: &str| of_kind().any(|d| d.name == name);
            let default = of_kind().find(|d| d.default).map(|d| d.name.clone());
            let reason = match (&slot.current, &slot.preferred) {
                (None, _) if of_kind().next().is_some() => Some(format!("an audio {} device appeared", kind.as_str())),
                (None, _) => None,
                (Some(cur), Some(pref)) if cur != pref && listed(pref) => Some(format!("{pref} is back")),
                (Some(cur), _) if !listed(cur) && of_kind().next().is_some() => Some(format!("{cur} vanished")),
                (Some(cur), None) => match default {
                    Some(d) if &d != cur => Some(format!("the default {} device is now {d}", kind.as_str())),
                    _ => None,
                },
                _ => None,
            };
            if let Some(reason) = reason {
                slot.pending = true;
                self.actions.push_back(WatchAction::Reopen { role, reason });
            }
        }
    }

    /// The next decision, if any.
    pub fn poll_action(&mut self) -> Option<WatchAction> {
        self.actions.pop_front()
    }
}
