//! Desktop notifications for incoming and missed calls.
//!
//! [`CallNotices`] (sans-IO) watches the console's commands and events and decides what to
//! show: an incoming call while the window is not focused (Answer / Decline / Show), closed
//! again as soon as the call is answered or ends; and missed calls, folded into one notice
//! ("3 missed calls — last: Anna (1002)") until the window is looked at again.
//! [`DesktopLink`](super::link::DesktopLink) puts it between the console and its engine link
//! and hands the notices to a [`NoticeSink`]: the freedesktop notification server on Linux ([`freedesktop`]), a log
//! line elsewhere. Clicking a notice brings the window to the front; its buttons become
//! commands ([`Response`]).

#[cfg(target_os = "linux")]
pub mod freedesktop;

use crate::api::{Command, Event};
use crate::history::{Direction, Outcome, outcome_of, split_remote};
use std::collections::HashMap;

/// The key of the one missed-calls notice.
pub const MISSED_KEY: &str = "missed";

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A call ringing now (buttons: Answer, Decline).
    Incoming,
    /// Calls that rang out unanswered (button: Call back).
    Missed,
}

/// One notification to show (or to replace the one shown under the same `key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Identifies the notice: the call id for an incoming call, [`MISSED_KEY`] for missed calls.
    pub key: String,
    /// Incoming or missed.
    pub kind: NoticeKind,
    /// The call it is about (the last missed one for [`NoticeKind::Missed`]).
    pub call: String,
    /// The caller's number (for "Call back").
    pub number: String,
    /// The headline ("Incoming call", "Missed call", "3 missed calls").
    pub summary: String,
    /// The caller ("Anna (1002)").
    pub body: String,
}

/// What the sink should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAction {
    /// Show the notice (replacing the one with the same key).
    Show(Notice),
    /// Take the notice with this key away.
    Close(String),
}

/// What the user did with a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Clicked it: bring the window to the front.
    Focus,
    /// Pressed Answer on an incoming call.
    Answer(String),
    /// Pressed Decline on an incoming call.
    Decline(String),
    /// Pressed Call back on a missed call (the number).
    CallBack(String),
    /// Chose a status in the tray menu.
    SetStatus {
        /// The status word.
        status: String,
        /// The custom text.
        note: Option<String>,
    },
    /// Chose Quit in the tray menu.
    Quit,
}

impl Response {
    /// The console command this response stands for (`Focus` and `Quit` act on the window).
    /// Decline answers 603 Decline, as the incoming-call panel's Reject does.
    pub fn command(&self) -> Option<Command> {
        match self {
            Response::Focus | Response::Quit => None,
            Response::SetStatus { status, note } => {
                Some(Command::SetPresence { status: status.clone(), note: note.clone(), etag: None })
            }
            Response::Answer(call) => Some(Command::Answer { call: call.clone() }),
            Response::Decline(call) => Some(Command::Reject { call: call.clone(), code: 603 }),
            Response::CallBack(number) => Some(Command::Dial { target: number.clone() }),
        }
    }

    /// The response for a notification server's action name on a notice of `kind`.
    pub fn from_action(action: &str, notice: &Notice) -> Option<Response> {
        match (action, notice.kind) {
            ("default", _) => Some(Response::Focus),
            ("answer", NoticeKind::Incoming) => Some(Response::Answer(notice.call.clone())),
            ("decline", NoticeKind::Incoming) => Some(Response::Decline(notice.call.clone())),
            ("callback", NoticeKind::Missed) if !notice.number.is_empty() => {
                Some(Response::CallBack(notice.number.clone()))
            }
            _ => None,
        }
    }
}

/// Where notices go.
pub trait NoticeSink: Send {
    /// Shows or closes a notice; never blocks the UI.
    fn apply(&mut self, action: NoticeAction);
}

/// A sink that only logs (platforms without a notification service here, or no session bus).
#[derive(Debug, Default)]
pub struct LogSink;

impl NoticeSink for LogSink {
    fn apply(&mut self, action: NoticeAction) {
        if let NoticeAction::Show(n) = action {
            tracing::info!(summary = %n.summary, body = %n.body, "notification (no notification service)");
        }
    }
}

#[derive(Debug, Default)]
struct Track {
    answered: bool,
    rejected: bool,
    forwarded: bool,
    shown: bool,
}

/// Decides the notices from the console's traffic (sans-IO: focus is an argument).
#[derive(Debug, Default)]
pub struct CallNotices {
    calls: HashMap<String, Track>,
    /// Missed calls since the window was last focused.
    missed: usize,
}

impl CallNotices {
    /// Nothing shown yet.
    pub fn new() -> CallNotices {
        CallNotices::default()
    }

    /// Notes a command from the console (a Reject makes the call's end "rejected", not missed;
    /// an Answer closes its notice).
    pub fn on_command(&mut self, command: &Command) -> Vec<NoticeAction> {
        match command {
            // Only calls seen ringing are followed (a command for an ended call adds nothing).
            Command::Reject { call, .. } => match self.calls.get_mut(call) {
                Some(t) => {
                    t.rejected = true;
                    close_if_shown(t, call)
                }
                None => Vec::new(),
            },
            Command::Answer { call } => match self.calls.get_mut(call) {
                Some(t) => {
                    t.answered = true;
                    close_if_shown(t, call)
                }
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Takes one engine event; `focused` tells whether the window has the keyboard focus
    /// (then the console itself shows the call, and no notice pops up).
    pub fn on_event(&mut self, event: &Event, focused: bool) -> Vec<NoticeAction> {
        match event {
            Event::Forwarded { id, .. } => {
                self.calls.entry(id.clone()).or_default().forwarded = true;
                Vec::new()
            }
            Event::Call { id, state, direction, remote, code, reason } if direction == Direction::In.as_str() => {
                let t = self.calls.entry(id.clone()).or_default();
                match state.as_str() {
                    "ringing" | "early" if !t.shown && !t.answered && !focused => {
                        t.shown = true;
                        vec![NoticeAction::Show(incoming(id, remote))]
                    }
                    "answered" | "held" => {
                        t.answered = true;
                        close_if_shown(t, id)
                    }
                    "ended" => {
                        let t = self.calls.remove(id).unwrap_or_default();
                        let mut out = if t.shown { vec![NoticeAction::Close(id.clone())] } else { Vec::new() };
                        let outcome = outcome_of(Direction::In, t.answered, t.rejected, *code, reason.as_deref());
                        if outcome == Outcome::Missed && !t.forwarded && !focused {
                            self.missed += 1;
                            out.push(NoticeAction::Show(self.missed_notice(id, remote)));
                        }
                        out
                    }
                    _ => Vec::new(),
                }
            }
            Event::Call { id, state, .. } if state == "ended" => {
                self.calls.remove(id);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The window got the focus: the missed calls count as seen (the next one starts a new
    /// notice).
    pub fn on_focus(&mut self) {
        self.missed = 0;
    }

    fn missed_notice(&self, call: &str, remote: &str) -> Notice {
        let (body, number) = caller(remote);
        let summary =
            if self.missed == 1 { "Missed call".to_string() } else { format!("{} missed calls", self.missed) };
        let body = if self.missed == 1 { body } else { format!("Last: {body}") };
        Notice { key: MISSED_KEY.into(), kind: NoticeKind::Missed, call: call.into(), number, summary, body }
    }
}

fn close_if_shown(t: &mut Track, call: &str) -> Vec<NoticeAction> {
    if std::mem::take(&mut t.shown) { vec![NoticeAction::Close(call.to_string())] } else { Vec::new() }
}

fn incoming(call: &str, remote: &str) -> Notice {
    let (body, number) = caller(remote);
    Notice {
        key: call.into(),
        kind: NoticeKind::Incoming,
        call: call.into(),
        number,
        summary: "Incoming call".into(),
        body,
    }
}

/// "Anna (1002)" or "1002", and the number.
fn caller(remote: &str) -> (String, String) {
    let (name, number) = split_remote(remote);
    let shown = match name {
        Some(n) if n != number => format!("{n} ({number})"),
        _ => number.clone(),
    };
    (shown, number)
}
