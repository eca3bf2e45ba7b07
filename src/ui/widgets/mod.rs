//! Small reusable widgets: our icons and the accessible-name helpers.

pub mod icons;
pub mod key;

use eframe::egui::{self, Response, Ui};

/// A single-line text field whose accessible name is `name` (shown as a placeholder too).
pub fn named_text_field(ui: &mut Ui, name: &str, text: &mut String, width: f32, char_limit: usize) -> Response {
    let r = ui.add(egui::TextEdit::singleline(text).hint_text(name).desired_width(width).char_limit(char_limit));
    set_name(ui, &r, name);
    r
}

/// Adds `text` as the accessible description of the widget of `r` (what a screen reader says
/// after the name, e.g. "call from Bob (2002)" after "Answer"), keeping its name.
pub fn described(r: Response, text: &str) -> Response {
    r.ctx.accesskit_node_builder(r.id, |b| b.set_description(text));
    r
}

/// Gives the widget of `r` the accessible name `name` (what a screen reader says and what
/// tests click by).
pub fn set_name(ui: &Ui, r: &Response, name: &str) {
    ui.ctx().accesskit_node_builder(r.id, |b| b.set_label(name));
}
