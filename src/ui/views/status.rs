//! Our own status, always visible: the six statuses with their icons and colours, the
//! custom text (up to 64 characters), the registration state, and where the status was
//! applied (from `Event::Published` / `Event::PublishFailed`).

use super::{Outbox, ViewState};
use crate::api::Command;
use crate::ui::state::{CUSTOM_TEXT_MAX, ConsoleState, Registration};
use crate::ui::theme;
use crate::ui::widgets::{icons, named_text_field};
use eframe::egui::{RichText, Sense, Ui, vec2};

/// The six statuses a user can set: (word, label).
pub const STATUSES: [(&str, &str); 6] = [
    ("available", "Available"),
    ("away", "Away"),
    ("chat", "Chat"),
    ("dnd", "Do Not Disturb"),
    ("unavailable", "Unavailable"),
    ("custom", "Custom"),
];

/// The status bar.
pub fn status_ui(ui: &mut Ui, state: &mut ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("My status").strong());
        for (word, label) in STATUSES {
            let (r, _) = ui.allocate_exact_size(vec2(theme::STATUS_ICON, theme::STATUS_ICON), Sense::hover());
            icons::status_icon(ui.painter(), r.center(), theme::STATUS_ICON, word);
            let on = state.own.status == word;
            let text = RichText::new(label).color(theme::label_colour(word));
            if ui.selectable_label(on, text).clicked() {
                set_status(state, view, word, out);
            }
        }
        let r = named_text_field(ui, "Custom status text", &mut view.custom_text, 160.0, CUSTOM_TEXT_MAX);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(eframe::egui::Key::Enter));
        let can = !view.custom_text.trim().is_empty();
        if (ui.add_enabled(can, eframe::egui::Button::new("Set custom")).clicked() || enter) && can {
            set_status(state, view, "custom", out);
        }
    });
    ui.horizontal_wrapped(|ui| {
        let (text, colour) = match &state.registration {
            Registration::Unknown => ("Not registered yet".to_owned(), theme::KEY_TEXT_DIM),
            Registration::Registering { server } => (format!("Registering at {server}…"), theme::KEY_TEXT_DIM),
            Registration::Registered { aor, expires } => (format!("Registered as {aor} ({expires} s)"), theme::OK_TEXT),
            Registration::Failed { reason } => (format!("Registration failed: {reason}"), theme::ERROR_TEXT),
            Registration::Unregistered => ("Unregistered".to_owned(), theme::KEY_TEXT_DIM),
        };
        ui.label(RichText::new(text).color(colour));
        ui.separator();
        match (&state.own.error, &state.own.applied) {
            (Some(e), _) => ui.label(RichText::new(format!("Status not applied: {e}")).color(theme::ERROR_TEXT)),
            (None, Some(a)) => ui.label(RichText::new(format!("Status applied: {a}")).color(theme::OK_TEXT)),
            (None, None) => ui.label(RichText::new("Status not applied yet").color(theme::KEY_TEXT_DIM)),
        };
        if let Some(e) = &state.network_error {
            ui.separator();
            ui.label(RichText::new(format!("Network: {e}")).color(theme::ERROR_TEXT));
        }
    });
}

/// Sets our status to `word` (the custom text from the field for `custom`, which waits for a
/// text) and sends it.
pub fn set_status(state: &mut ConsoleState, view: &ViewState, word: &str, out: &mut Outbox) {
    let note = if word == "custom" {
        let t = view.custom_text.trim();
        if t.is_empty() {
            // Custom needs a text: wait for one (the field is right there).
            return;
        }
        Some(t.chars().take(CUSTOM_TEXT_MAX).collect::<String>())
    } else {
        None
    };
    state.own.status = word.to_owned();
    state.own.custom_text = note.clone().unwrap_or_default();
    out.push(Command::SetPresence { status: word.to_owned(), note, etag: None });
}
