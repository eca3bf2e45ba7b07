//! Edit mode: add, remove, reorder and rename keys and choose their type (presence
//! watcher, BLF, speed dial) and page. Saving a watched key asks the engine to watch it.

use super::{Outbox, ViewState};
use crate::api::Command;
use crate::ui::state::{ConsoleState, KeyDef, KeyKind};
use crate::ui::widgets::{named_text_field, set_name};
use eframe::egui::{self, RichText, Ui};

/// The event packages a key of `kind` is watched with.
pub fn packages(kind: KeyKind) -> Vec<String> {
    match kind {
        KeyKind::Presence => vec!["presence".into(), "dialog".into()],
        KeyKind::Blf => vec!["dialog".into()],
        KeyKind::SpeedDial => Vec::new(),
    }
}

/// The key editor (shown while edit mode is on).
pub fn editor_ui(ui: &mut Ui, state: &mut ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    ui.heading("Edit keys");
    ui.label(RichText::new("Click a key to edit it.").weak());
    if ui.button("Add key").clicked() {
        let group =
            state.page().map(str::to_owned).or_else(|| state.groups().first().cloned()).unwrap_or("Keys".into());
        state.add_key(KeyDef::new("", "New key", KeyKind::Presence, &group));
        view.selected = Some(state.keys().len() - 1);
    }
    let Some(idx) = view.selected.filter(|&i| i < state.keys().len()) else {
        view.draft = None;
        return;
    };
    if view.draft.as_ref().is_none_or(|(i, _)| *i != idx) {
        view.draft = Some((idx, state.keys()[idx].clone()));
    }
    let Some((_, draft)) = view.draft.as_mut() else { return };
    ui.separator();
    egui::Grid::new("key-editor").num_columns(2).show(ui, |ui| {
        ui.label("Name");
        named_text_field(ui, "Key name", &mut draft.label, 160.0, 64);
        ui.end_row();
        ui.label("Number");
        named_text_field(ui, "Key number", &mut draft.ext, 160.0, 128);
        ui.end_row();
        ui.label("Type");
        let r = egui::ComboBox::from_id_salt("key-kind")
            .selected_text(draft.kind.label())
            .show_ui(ui, |ui| {
                for k in KeyKind::ALL {
                    ui.selectable_value(&mut draft.kind, k, k.label());
                }
            })
            .response;
        set_name(ui, &r, "Key type");
        ui.end_row();
        ui.label("Page");
        named_text_field(ui, "Key page", &mut draft.group, 160.0, 32);
        ui.end_row();
    });
    let valid = !draft.ext.trim().is_empty() && !draft.label.trim().is_empty() && !draft.group.trim().is_empty();
    if !valid {
        ui.label(RichText::new("Name, number and page are needed.").color(crate::ui::theme::ERROR_TEXT));
    }
    let mut clear = false;
    ui.horizontal_wrapped(|ui| {
        if ui.add_enabled(valid, egui::Button::new("Save key")).clicked() {
            let mut key = draft.clone();
            key.ext = key.ext.trim().to_owned();
            key.label = key.label.trim().to_owned();
            key.group = key.group.trim().to_owned();
            let events = packages(key.kind);
            if !events.is_empty() {
                out.push(Command::Watch { targets: vec![key.ext.clone()], events, list: None });
            }
            state.update_key(idx, key);
            clear = true;
        }
        if ui.button("Move earlier").clicked() {
            view.selected = Some(state.move_key(idx, -1));
            clear = true;
        }
        if ui.button("Move later").clicked() {
            view.selected = Some(state.move_key(idx, 1));
            clear = true;
        }
        if ui.button("Remove key").clicked() {
            state.remove_key(idx);
            view.selected = None;
            clear = true;
        }
    });
    if clear {
        view.draft = None;
    }
}
