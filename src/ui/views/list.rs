//! The list view: one row per key, like the "Presence Status" column of the UCM's
//! extensions page (extension, name, presence status, line, LED). Only visible rows are laid out.

use super::Outbox;
use crate::api::Command;
use crate::ui::state::{ConsoleState, KeyKind, line_text};
use crate::ui::theme;
use crate::ui::widgets::icons;
use eframe::egui::{self, Align2, FontId, RichText, Sense, Ui, vec2};

const COL_EXT: f32 = 70.0;
const COL_NAME: f32 = 200.0;
const COL_STATUS: f32 = 190.0;
const COL_LINE: f32 = 220.0;

/// The list of the visible keys.
pub fn list_ui(ui: &mut Ui, state: &ConsoleState, out: &mut Outbox) {
    ui.horizontal(|ui| {
        for (w, title) in
            [(COL_EXT, "Extension"), (COL_NAME, "Name"), (COL_STATUS, "Presence Status"), (COL_LINE, "Line")]
        {
            ui.add_sized(vec2(w, theme::LIST_ROW_HEIGHT), egui::Label::new(RichText::new(title).strong()));
        }
        ui.label(RichText::new("LED").strong());
    });
    ui.separator();
    let rows = state.visible().len();
    egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(
        ui,
        theme::LIST_ROW_HEIGHT,
        rows,
        |ui, range| {
            for &idx in &state.visible()[range] {
                let key = &state.keys()[idx];
                let lamp = state.lamp(&key.ext);
                ui.horizontal(|ui| {
                    let cell = |ui: &mut Ui, w: f32, text: RichText| {
                        ui.add_sized(vec2(w, theme::LIST_ROW_HEIGHT), egui::Label::new(text).truncate());
                    };
                    cell(ui, COL_EXT, RichText::new(&key.ext).monospace());
                    let call = ui
                        .add_sized(vec2(COL_NAME, theme::LIST_ROW_HEIGHT), egui::Button::new(&key.label).frame(false));
                    if call.clicked() {
                        out.push(Command::Dial { target: key.ext.clone() });
                    }
                    let (status_word, status_text, line) = match (key.kind, lamp) {
                        (KeyKind::SpeedDial, _) => ("unknown", "Speed dial".to_owned(), String::new()),
                        (_, None) => ("unknown", "Unknown".to_owned(), String::new()),
                        (_, Some(l)) => (l.status.as_str(), l.label.clone(), line_text(l)),
                    };
                    let (r, _) =
                        ui.allocate_exact_size(vec2(theme::STATUS_ICON, theme::LIST_ROW_HEIGHT), Sense::hover());
                    icons::status_icon(ui.painter(), r.center(), theme::STATUS_ICON, status_word);
                    cell(
                        ui,
                        COL_STATUS - theme::STATUS_ICON - 6.0,
                        RichText::new(status_text).color(theme::label_colour(status_word)),
                    );
                    cell(ui, COL_LINE, RichText::new(line));
                    let (r, _) = ui.allocate_exact_size(vec2(40.0, theme::LIST_ROW_HEIGHT), Sense::hover());
                    if let Some(l) = lamp {
                        let word = if key.kind == KeyKind::Blf { &l.blf_led } else { &l.led };
                        icons::led(ui.painter(), r.left_center() + vec2(8.0, 0.0), 5.0, theme::led_colour(word));
                        if l.blink {
                            ui.painter().text(
                                r.left_center() + vec2(18.0, 0.0),
                                Align2::LEFT_CENTER,
                                "blink",
                                FontId::proportional(10.0),
                                theme::KEY_TEXT_DIM,
                            );
                        }
                    }
                });
            }
        },
    );
}
