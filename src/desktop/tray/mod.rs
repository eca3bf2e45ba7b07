//! The tray / menu-bar icon: our icon, a tooltip with the registration and our status, and a
//! menu with the six statuses, "Show Lampboard" and "Quit".
//!
//! [`TrayState`] (sans-IO) follows the console's commands and events; a [`TrayView`] shows it
//! (Linux: a StatusNotifierItem on the session bus, [`sni`]). Menu clicks come back as
//! [`Response`](super::notify::Response)s through the desktop link.

#[cfg(target_os = "linux")]
pub mod sni;

use super::notify::Response;
use crate::api::{Command, Event};

/// The statuses in the menu: the status bar's, in the same order and with the same labels.
pub use crate::ui::views::status::STATUSES;

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayState {
    /// "Registered", "Registering…", "Not registered: 403 Forbidden"…
    pub registration: String,
    /// Whether the account is registered (the icon is shown as needing attention when not).
    pub registered: bool,
    /// Our status word (`available` … `custom`).
    pub status: String,
    /// The custom status text (the "Custom" entry needs one).
    pub custom_text: String,
    /// Calls ringing now.
    pub ringing: usize,
}

impl Default for TrayState {
    fn default() -> Self {
        TrayState {
            registration: "Not registered yet".into(),
            registered: false,
            status: "available".into(),
            custom_text: String::new(),
            ringing: 0,
        }
    }
}

impl TrayState {
    /// Follows a command from the console (our status); true when something shown changed.
    pub fn on_command(&mut self, command: &Command) -> bool {
        let Command::SetPresence { status, note, .. } = command else { return false };
        let before = self.clone();
        self.status = status.clone();
        if status == "custom" {
            self.custom_text = note.clone().unwrap_or_default();
        }
        *self != before
    }

    /// Follows an engine event; true when something shown changed.
    pub fn on_event(&mut self, event: &Event, ringing_now: usize) -> bool {
        let before = self.clone();
        match event {
            Event::Registering { server, .. } => {
                self.registration = format!("Registering at {server}…");
                self.registered = false;
            }
            Event::Registered { aor, .. } => {
                self.registration = format!("Registered as {aor}");
                self.registered = true;
            }
            Event::RegistrationFailed { code, reason, .. } => {
                let code = code.map(|c| format!("{c} ")).unwrap_or_default();
                self.registration = format!("Not registered: {code}{reason}");
                self.registered = false;
            }
            Event::Unregistered { .. } => {
                self.registration = "Not registered".into();
                self.registered = false;
            }
            Event::Published { status, .. } => self.status = status.clone(),
            _ => {}
        }
        self.ringing = ringing_now;
        *self != before
    }

    /// The label of our status ("Away", or the custom text).
    pub fn status_label(&self) -> String {
        if self.status == "custom" && !self.custom_text.is_empty() {
            return self.custom_text.clone();
        }
        STATUSES.iter().find(|(w, _)| *w == self.status).map(|(_, l)| l.to_string()).unwrap_or(self.status.clone())
    }

    /// The tooltip's text: status, registration and ringing calls.
    pub fn tooltip(&self) -> String {
        let mut t = format!("{}\n{}", self.status_label(), self.registration);
        if self.ringing > 0 {
            t.push_str(&format!("\n{} call(s) ringing", self.ringing));
        }
        t
    }

    /// The index of our status in [`STATUSES`].
    pub fn selected(&self) -> usize {
        STATUSES.iter().position(|(w, _)| *w == self.status).unwrap_or(0)
    }

    /// The menu label of entry `i` of [`STATUSES`] (Custom shows its text).
    pub fn entry_label(&self, i: usize) -> String {
        match STATUSES.get(i) {
            Some(("custom", l)) if !self.custom_text.is_empty() => format!("{l}: {}", self.custom_text),
            Some(("custom", l)) => format!("{l}…"),
            Some((_, l)) => l.to_string(),
            None => String::new(),
        }
    }

    /// What choosing entry `i` of [`STATUSES`] does: set that status; for Custom without a
    /// text yet, show the window (the text is typed there).
    pub fn choose(&self, i: usize) -> Response {
        let Some((word, _)) = STATUSES.get(i) else { return Response::Focus };
        let note = match *word {
            "custom" if self.custom_text.is_empty() => return Response::Focus,
            "custom" => Some(self.custom_text.clone()),
            _ => None,
        };
        Response::SetStatus { status: word.to_string(), note }
    }
}

/// Something that shows the tray state.
pub trait TrayView: Send {
    /// Shows `state` (called only when it changed).
    fn show(&mut self, state: &TrayState);
}
