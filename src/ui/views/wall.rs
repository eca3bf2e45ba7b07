//! The wall: a toolbar (search, pages, size, view, edit) and the grid of keys, laid out
//! row by row for the visible rows only, so 1,000 keys cost what a screenful costs.

use super::{CallDrag, Outbox, ViewState, WallMode};
use crate::api::Command;
use crate::ui::state::{ConsoleState, KeyKind, Look};
use crate::ui::theme;
use crate::ui::widgets::{key, named_text_field, set_name};
use eframe::egui::{self, Response, Ui, vec2};

/// The toolbar above the wall.
pub fn toolbar_ui(ui: &mut Ui, state: &mut ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    ui.horizontal_wrapped(|ui| {
        let r = named_text_field(ui, "Search keys", &mut view.filter, 180.0, 64);
        if std::mem::take(&mut view.focus_search) {
            r.request_focus();
        }
        if r.changed() {
            state.set_filter(&view.filter);
        }
        // Enter in the search calls the key when exactly one matches.
        if r.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let [only] = state.visible()
        {
            let key = &state.keys()[*only];
            out.push(click_command(key.kind, state.look(*only), &key.ext));
        }
        if r.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            view.filter.clear();
            state.set_filter("");
        }
        r.on_hover_text("Ctrl+F: search · Enter: call the only match · Esc: clear");
        if !view.filter.is_empty() && ui.button("Clear search").clicked() {
            view.filter.clear();
            state.set_filter("");
        }
        ui.separator();
        if ui.selectable_label(state.page().is_none(), "All").clicked() {
            state.set_page(None);
        }
        let groups = state.groups().to_vec();
        for g in groups {
            let on = state.page() == Some(g.as_str());
            if ui.selectable_label(on, &g).clicked() {
                state.set_page(Some(g));
            }
        }
        ui.separator();
        ui.selectable_value(&mut view.mode, WallMode::Keys, "Keys");
        ui.selectable_value(&mut view.mode, WallMode::List, "List");
        ui.separator();
        let slider = egui::Slider::new(&mut view.key_width, theme::KEY_WIDTH_MIN..=theme::KEY_WIDTH_MAX)
            .show_value(false)
            .text("Key size");
        let r = ui.add(slider);
        set_name(ui, &r, "Key size");
        ui.toggle_value(&mut view.editing, "Edit keys");
        ui.separator();
        ui.toggle_value(&mut view.forwarding_open, "Forwarding");
        let history =
            if view.unseen_missed > 0 { format!("History ({})", view.unseen_missed) } else { "History".to_owned() };
        let r = ui.toggle_value(&mut view.history_open, history);
        set_name(ui, &r, "History");
        ui.toggle_value(&mut view.settings_open, "Settings");
        ui.toggle_value(&mut view.siplog_open, "SIP log");
        ui.separator();
        super::io::menu_ui(ui, view);
        let r = ui.toggle_value(&mut view.help_open, "?").on_hover_text("Keyboard shortcuts (F1)");
        set_name(ui, &r, "Keyboard shortcuts");
        if !view.editing {
            view.selected = None;
        }
    });
}

/// The grid of keys.
pub fn wall_ui(ui: &mut Ui, state: &ConsoleState, view: &mut ViewState, now: f64, out: &mut Outbox) {
    let n = state.visible().len();
    if n == 0 {
        ui.add_space(20.0);
        ui.vertical_centered(|ui| {
            ui.label(if state.keys().is_empty() {
                "No keys yet: turn on Edit keys to add some."
            } else {
                "No key matches."
            });
        });
        return;
    }
    let gap = theme::KEY_GAP;
    // Room for the scroll bar, then as many keys of the chosen size as fit, stretched to fill.
    let avail = ui.available_width() - 12.0;
    let cols = (((avail + gap) / (view.key_width + gap)).floor() as usize).max(1);
    let kw = ((avail - gap * (cols - 1) as f32) / cols as f32).floor().max(theme::KEY_WIDTH_MIN * 0.5);
    let kh = (view.key_width * theme::KEY_ASPECT).round();
    let rows = n.div_ceil(cols);
    let active = state.active_call().map(|c| c.id.clone());
    ui.spacing_mut().item_spacing = vec2(gap, gap);
    egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(ui, kh, rows, |ui, range| {
        for row in range {
            ui.horizontal(|ui| {
                for col in 0..cols {
                    let Some(&idx) = state.visible().get(row * cols + col) else { break };
                    one_key(ui, state, view, idx, vec2(kw, kh), now, active.as_deref(), out);
                }
            });
        }
    });
}

#[allow(clippy::too_many_arguments)] // one key's inputs, kept flat for the hot loop
fn one_key(
    ui: &mut Ui,
    state: &ConsoleState,
    view: &mut ViewState,
    idx: usize,
    size: egui::Vec2,
    now: f64,
    active: Option<&str>,
    out: &mut Outbox,
) {
    let def = &state.keys()[idx];
    let look = state.look(idx);
    let lamp = state.lamp(&def.ext);
    let hover_drop = ui.ctx().dragged_id().is_some() && egui::DragAndDrop::has_payload_of_type::<CallDrag>(ui.ctx());
    let paint = key::KeyPaint {
        def,
        lamp,
        look,
        now,
        highlighted: view.selected == Some(idx)
            || (hover_drop && ui.rect_contains_pointer(egui::Rect::from_min_size(ui.cursor().min, size))),
        led_profile: view.led_profile,
    };
    let mut resp = key::key_ui(ui, size, &paint, || state.key_description(idx));
    if resp.hovered() && ui.ctx().dragged_id().is_none() {
        // The full state (and why a watch failed) for a pointer resting on the key.
        resp = resp.on_hover_text(state.key_description(idx));
    }
    if let Some(drag) = resp.dnd_release_payload::<CallDrag>() {
        let attended = ui.input(|i| i.modifiers.shift);
        out.push(Command::Transfer { call: drag.call.clone(), target: def.ext.clone(), attended, consult: None });
        return;
    }
    if resp.clicked() {
        if view.editing {
            view.selected = Some(idx);
        } else {
            out.push(click_command(def.kind, look, &def.ext));
        }
    }
    context_menu(&resp, state, view, idx, look, active, out);
}

/// What a click on a key does: pick up a ringing colleague, call anyone else.
pub fn click_command(kind: KeyKind, look: Look, ext: &str) -> Command {
    if kind != KeyKind::SpeedDial && look == Look::Ringing {
        Command::Pickup { ext: ext.to_owned() }
    } else {
        Command::Dial { target: ext.to_owned() }
    }
}

fn context_menu(
    resp: &Response,
    state: &ConsoleState,
    view: &mut ViewState,
    idx: usize,
    look: Look,
    active: Option<&str>,
    out: &mut Outbox,
) {
    let ext = state.keys()[idx].ext.clone();
    resp.context_menu(|ui| {
        if ui.button("Call").clicked() {
            out.push(Command::Dial { target: ext.clone() });
            ui.close();
        }
        if ui.add_enabled(look == Look::Ringing, egui::Button::new("Pick up")).clicked() {
            out.push(Command::Pickup { ext: ext.clone() });
            ui.close();
        }
        if ui.add_enabled(active.is_some(), egui::Button::new("Transfer my call here")).clicked()
            && let Some(call) = active
        {
            out.push(Command::Transfer { call: call.to_owned(), target: ext.clone(), attended: false, consult: None });
            ui.close();
        }
        if ui.add_enabled(active.is_some(), egui::Button::new("Consult, then transfer")).clicked()
            && let Some(call) = active
        {
            out.push(Command::Transfer { call: call.to_owned(), target: ext.clone(), attended: true, consult: None });
            ui.close();
        }
        if ui.add_enabled(active.is_some(), egui::Button::new("Park my call")).clicked()
            && let Some(call) = active
        {
            out.push(Command::Park { call: call.to_owned() });
            ui.close();
        }
        if ui.button("Copy number").clicked() {
            ui.ctx().copy_text(ext.clone());
            ui.close();
        }
        if ui.button("Edit key").clicked() {
            view.editing = true;
            view.selected = Some(idx);
            ui.close();
        }
    });
}
