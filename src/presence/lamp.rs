//! One merged tile per watched colleague: user status + note from the presence
//! subscription, line state from the dialog subscription and/or the presence body, and how
//! fresh that is. From it both views are derived: the presence watcher (icon, label colour,
//! LED) and the busy lamp (LED from the line only).
//!
//! LED rules (seed, "MPKs LED States"): Available, Away and Custom green; Chat and DND red;
//! Unavailable off. The line overlays the status: ringing red fast-blinking, busy red,
//! held red **slow**-blinking, offline off; idle and unknown lines leave the status colour.
//! An unknown status is off, and so is a lamp whose subscription failed.

use super::interpret::PresenceView;
use super::status::{Led, LineState, UserStatus};

/// How much the lamp's data can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing received yet.
    Unknown,
    /// Subscribed, the server has not authorised it yet (`Subscription-State: pending`).
    Pending,
    /// The last NOTIFY carried state.
    Fresh,
    /// The last NOTIFY had no body, or the subscription lapsed: the state shown is the last
    /// known one.
    Stale,
    /// The subscription failed (the reason is for a tooltip).
    Failed(String),
}

/// How a lit LED blinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blink {
    /// Steady (or off).
    Steady,
    /// Fast: ringing.
    Fast,
    /// Slow: on hold.
    Slow,
}

/// The presence-watcher view of a tile (GXP/GRP VPK: icon + label colour + LED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatcherView {
    /// Icon id: the status word (`available|away|chat|dnd|unavailable|custom|unknown`).
    pub icon: &'static str,
    /// The label colour: the status colour alone, without the line overlay.
    pub label_colour: Led,
    /// The LED, with the line overlay.
    pub led: Led,
    /// Whether the LED blinks.
    pub blink: bool,
}

/// One watched colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lamp {
    /// The user status (kept across body-less NOTIFYs).
    pub status: UserStatus,
    /// The note shown under the status.
    pub note: Option<String>,
    /// The merged line state: the worse of what the presence body and the dialog
    /// subscription last said; `Unknown` when neither says anything.
    pub line: LineState,
    /// How fresh this is.
    pub freshness: Freshness,
    line_from_presence: Option<LineState>,
    line_from_dialog: Option<LineState>,
}

impl Default for Lamp {
    fn default() -> Self {
        Self::new()
    }
}

impl Lamp {
    /// A lamp with nothing known.
    pub fn new() -> Self {
        Self {
            status: UserStatus::Unknown,
            note: None,
            line: LineState::Unknown,
            freshness: Freshness::Unknown,
            line_from_presence: None,
            line_from_dialog: None,
        }
    }

    /// Takes a presence NOTIFY's view: status and note replace the old ones; the body's
    /// line evidence (or its absence) replaces what the previous presence body said.
    pub fn apply_presence(&mut self, v: PresenceView) {
        self.status = v.status;
        self.note = v.note;
        self.line_from_presence = v.line;
        self.freshness = Freshness::Fresh;
        self.merge_line();
    }

    /// Takes the line state of the dialog subscription (`DialogState::line_state`).
    pub fn apply_line(&mut self, l: LineState) {
        self.line_from_dialog = Some(l);
        self.freshness = Freshness::Fresh;
        self.merge_line();
    }

    /// A NOTIFY without a body (Kamailio with no publication), or a subscription still
    /// pending (PRESENCE.md row 30): everything shown is kept, only the freshness changes
    /// (`Pending` if `pending`, else `Stale`).
    pub fn apply_bodyless_notify(&mut self, pending: bool) {
        self.freshness = if pending { Freshness::Pending } else { Freshness::Stale };
    }

    /// A NOTIFY without a body on an active subscription: same as
    /// `apply_bodyless_notify(false)` (keep the last state, mark it `Stale`).
    pub fn apply_no_body(&mut self) {
        self.apply_bodyless_notify(false);
    }

    /// A presence body that could not be parsed: the last state is kept and marked `Stale`
    /// (a bad body is never read as "offline").
    pub fn apply_unreadable(&mut self) {
        self.freshness = Freshness::Stale;
    }

    /// Sets the freshness (subscription failed, lapsed, …) and keeps everything else.
    pub fn set_freshness(&mut self, freshness: Freshness) {
        self.freshness = freshness;
    }

    /// Forgets the line state from the dialog subscription (it ended).
    pub fn clear_dialog_line(&mut self) {
        self.line_from_dialog = None;
        self.merge_line();
    }

    /// Forgets the line state from both sources (`line` becomes `Unknown`). Prefer this to
    /// assigning `line` directly, which the next update would recompute.
    pub fn clear_line(&mut self) {
        self.line_from_presence = None;
        self.line_from_dialog = None;
        self.merge_line();
    }

    fn merge_line(&mut self) {
        let presence = self.line_from_presence.clone().unwrap_or(LineState::Unknown);
        let dialog = self.line_from_dialog.clone().unwrap_or(LineState::Unknown);
        self.line = dialog.worst(presence);
    }

    fn failed(&self) -> bool {
        matches!(self.freshness, Freshness::Failed(_))
    }

    /// The presence-watcher LED and whether it blinks (see the module docs).
    pub fn led(&self) -> (Led, bool) {
        let (led, blink) = self.led_pattern();
        (led, blink != Blink::Steady)
    }

    /// Like [`Lamp::led`], telling fast (ringing) from slow (held) blinking.
    pub fn led_pattern(&self) -> (Led, Blink) {
        if self.failed() {
            return (Led::Off, Blink::Steady);
        }
        line_overlay(&self.line).unwrap_or((self.status.led(), Blink::Steady))
    }

    /// The busy-lamp LED, from the line state only: idle green, ringing red blinking,
    /// busy red, held red (slow) blinking, offline/unknown off.
    pub fn blf_led(&self) -> (Led, bool) {
        if self.failed() {
            return (Led::Off, false);
        }
        let (led, blink) = match &self.line {
            LineState::Idle => (Led::Green, Blink::Steady),
            other => line_overlay(other).unwrap_or((Led::Off, Blink::Steady)),
        };
        (led, blink != Blink::Steady)
    }

    /// The presence-watcher view: icon + label colour from the status, LED with overlay.
    pub fn watcher_view(&self) -> WatcherView {
        let (led, blink) = self.led();
        WatcherView { icon: self.status.as_str(), label_colour: self.status.led(), led, blink }
    }
}

/// The line's own LED when it overrides the status colour.
fn line_overlay(line: &LineState) -> Option<(Led, Blink)> {
    match line {
        LineState::Ringing { .. } => Some((Led::Red, Blink::Fast)),
        LineState::Busy { .. } => Some((Led::Red, Blink::Steady)),
        LineState::Held => Some((Led::Red, Blink::Slow)),
        LineState::Offline => Some((Led::Off, Blink::Steady)),
        LineState::Idle | LineState::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_line_clears_when_the_next_body_says_nothing() {
        let mut lamp = Lamp::new();
        lamp.apply_presence(PresenceView {
            status: UserStatus::Available,
            note: None,
            line: Some(LineState::Busy { peer: None }),
        });
        assert_eq!(lamp.led(), (Led::Red, false));
        lamp.apply_presence(PresenceView { status: UserStatus::Available, note: None, line: None });
        assert_eq!(lamp.line, LineState::Unknown);
        assert_eq!(lamp.led(), (Led::Green, false));
    }

    #[test]
    fn offline_from_presence_beats_idle_from_dialogs() {
        let mut lamp = Lamp::new();
        lamp.apply_line(LineState::Idle);
        lamp.apply_presence(PresenceView {
            status: UserStatus::Unavailable,
            note: None,
            line: Some(LineState::Offline),
        });
        assert_eq!(lamp.line, LineState::Offline);
        assert_eq!(lamp.blf_led(), (Led::Off, false));
    }
}
