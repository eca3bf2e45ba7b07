//! The list view: one row per key, like the "Presence Status" column of the UCM's
//! extensions page (extension, name, presence status, line, LED). Only visible rows are laid out.

use super::Outbox;
use crate::api::{Command, LampEvent};
use crate::ui::state::{ConsoleState, KeyKind};
use crate::ui::theme;
use crate::ui::widgets::icons;
use eframe::egui::{self, Align, Layout, RichText, Sense, Ui, vec2};

const COL_EXT: f32 = 80.0;
const COL_NAME: f32 = 190.0;
const COL_STATUS: f32 = 190.0;
const COL_LINE: f32 = 260.0;

/// The list of the visible keys.
pub fn list_ui(ui: &mut Ui, state: &ConsoleState, out: &mut Outbox) {
    ui.horizontal(|ui| {
        let heads = [(COL_EXT, "Extension"), (COL_NAME, "Name"), (COL_STATUS, "Presence Status"), (COL_LINE, "Line")];
        for (w, title) in heads {
            cell(ui, w, |ui| {
                ui.label(RichText::new(title).strong());
            });
        }
        ui.label(RichText::new("LED").strong());
    });
    ui.separator();
    let rows = state.visible().len();
    let area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    area.show_rows(ui, theme::LIST_ROW_HEIGHT, rows, |ui, range| {
        for &idx in &state.visible()[range] {
            ui.horizontal(|ui| row_ui(ui, state, idx, out));
        }
    });
}

fn row_ui(ui: &mut Ui, state: &ConsoleState, idx: usize, out: &mut Outbox) {
    let key = &state.keys()[idx];
    let lamp = state.lamp(&key.ext);
    cell(ui, COL_EXT, |ui| {
        ui.label(RichText::new(&key.ext).monospace());
    });
    cell(ui, COL_NAME, |ui| {
        let r = ui.add(egui::Button::new(&key.label).frame(false).truncate());
        // The row's state for a screen reader (built only when one asks).
        r.ctx.accesskit_node_builder(r.id, |b| b.set_description(state.key_description(idx)));
        if r.on_hover_text("Call").clicked() {
            out.push(Command::Dial { target: key.ext.clone() });
        }
    });
    let (word, status, line) = match (key.kind, lamp) {
        (KeyKind::SpeedDial, _) => ("unknown", "Speed dial".to_owned(), String::new()),
        (_, None) => ("unknown", "Unknown".to_owned(), String::new()),
        (_, Some(l)) => (l.status.as_str(), l.label.clone(), line_column(l)),
    };
    cell(ui, COL_STATUS, |ui| {
        let (r, _) = ui.allocate_exact_size(vec2(theme::STATUS_ICON, theme::STATUS_ICON), Sense::hover());
        icons::status_icon(ui.painter(), r.center(), theme::STATUS_ICON, word);
        ui.add(egui::Label::new(RichText::new(status).color(theme::label_colour(word))).truncate());
    });
    cell(ui, COL_LINE, |ui| {
        ui.add(egui::Label::new(line).truncate());
    });
    if let Some(l) = lamp {
        let (r, _) = ui.allocate_exact_size(vec2(16.0, theme::LIST_ROW_HEIGHT), Sense::hover());
        let (word, blinks) = if key.kind == KeyKind::Blf { (&l.blf_led, l.blf_blink) } else { (&l.led, l.blink) };
        icons::led(ui.painter(), r.center(), 5.0, theme::led_colour(word));
        if blinks {
            ui.label(RichText::new("blinking").small().color(theme::KEY_TEXT_DIM));
        }
    }
}

/// A fixed-width, left-aligned table cell.
fn cell(ui: &mut Ui, width: f32, add: impl FnOnce(&mut Ui)) {
    ui.allocate_ui_with_layout(vec2(width, theme::LIST_ROW_HEIGHT), Layout::left_to_right(Align::Center), |ui| {
        ui.set_width(width);
        add(ui);
    });
}

/// The "Line" column: what the line does, and how far to trust it.
fn line_column(l: &LampEvent) -> String {
    let line = match l.line.as_str() {
        "ringing" => l.caller.as_ref().map_or("Ringing".to_owned(), |c| format!("Ringing: {c}")),
        "busy" => l.peer.as_ref().map_or("Busy".to_owned(), |p| format!("Busy with {p}")),
        "held" => "On hold".to_owned(),
        "offline" => "Offline".to_owned(),
        "idle" => "Idle".to_owned(),
        _ => "Unknown".to_owned(),
    };
    match l.freshness.as_str() {
        "stale" => format!("{line} (may be out of date)"),
        "failed" => format!("{line} (watch failed)"),
        "pending" => format!("{line} (waiting for server)"),
        _ => line,
    }
}
