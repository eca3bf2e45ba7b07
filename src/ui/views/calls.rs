//! Our calls: the incoming-call panel (answer, reject, decline, forward), active calls with timers, hold,
//! mute, DTMF keypad, transfer (blind / consult first), park, hang up, a second line (call
//! waiting), and the dial pad with search over the keys.

use super::{CallDrag, Outbox, ViewState};
use crate::api::Command;
use crate::ui::state::{CallView, ConsoleState, display_party};
use crate::ui::theme;
use crate::ui::widgets::{described, named_text_field};
use eframe::egui::{self, Button, Frame, RichText, Ui, vec2};

const KEYPAD: [[&str; 3]; 4] = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["*", "0", "#"]];
/// Most suggestions under the dial field.
const MAX_SUGGESTIONS: usize = 6;

/// The calls panel.
pub fn calls_ui(ui: &mut Ui, state: &mut ConsoleState, view: &mut ViewState, now: f64, out: &mut Outbox) {
    let ringing: Vec<CallView> = state.calls.iter().filter(|c| c.is_incoming_ringing()).cloned().collect();
    view.transfer_target.retain(|id, _| state.calls.iter().any(|c| &c.id == id));
    for c in &ringing {
        incoming_ui(ui, c, view, out);
        ui.add_space(6.0);
    }
    let others: Vec<CallView> = state.calls.iter().filter(|c| !c.is_incoming_ringing()).cloned().collect();
    if !others.is_empty() {
        ui.heading(if others.len() > 1 { "Calls (two lines)" } else { "Call" });
    }
    for c in &others {
        call_ui(ui, state, view, c, now, out);
        ui.add_space(6.0);
    }
    if let Some(e) = &state.last_ended {
        ui.label(RichText::new(format!("Last call — {e}")).color(theme::KEY_TEXT_DIM));
    }
    ui.separator();
    dialpad_ui(ui, state, view, out);
}

fn incoming_ui(ui: &mut Ui, c: &CallView, view: &mut ViewState, out: &mut Outbox) {
    Frame::new().fill(theme::INCOMING_BG).corner_radius(6).inner_margin(10).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Incoming call").strong().color(egui::Color32::WHITE));
        ui.label(RichText::new(display_party(&c.remote)).size(16.0).color(egui::Color32::WHITE));
        let who = format!("incoming call from {}", display_party(&c.remote));
        ui.horizontal(|ui| {
            let answer = Button::new(RichText::new("Answer").color(egui::Color32::WHITE)).fill(theme::ANSWER_FILL);
            if described(ui.add(answer), &who).clicked() {
                out.push(Command::Answer { call: c.id.clone() });
            }
            let reject = Button::new(RichText::new("Reject").color(egui::Color32::WHITE)).fill(theme::HANGUP_FILL);
            if described(ui.add(reject), &who).clicked() {
                out.push(Command::Reject { call: c.id.clone(), code: 486 });
            }
            if described(ui.button("Decline"), &who).on_hover_text("603 Decline: do not try other devices").clicked() {
                out.push(Command::Reject { call: c.id.clone(), code: 603 });
            }
        });
        // Send it on while it rings (302 with Diversion: deflection).
        ui.horizontal(|ui| {
            let field = view.transfer_target.entry(c.id.clone()).or_default();
            let r = named_text_field(ui, "Forward to", field, 110.0, 64);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let target = field.trim().to_owned();
            let forward = described(ui.add_enabled(!target.is_empty(), Button::new("Forward")), &who)
                .on_hover_text("Send the call on to this number without answering");
            if (forward.clicked() || enter) && !target.is_empty() {
                out.push(Command::Forward { call: c.id.clone(), target });
            }
        });
    });
}

fn call_ui(ui: &mut Ui, state: &mut ConsoleState, view: &mut ViewState, c: &CallView, now: f64, out: &mut Outbox) {
    Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(RichText::new(display_party(&c.remote)).strong());
        });
        let timer = match c.talk_secs(now) {
            Some(s) => format!("{:02}:{:02}", s / 60, s % 60),
            None => String::new(),
        };
        let what = match c.state.as_str() {
            "early" | "ringing" => "Calling…",
            "held" => "On hold",
            "answered" => "Connected",
            other => other,
        };
        ui.label(format!("{what} {timer}"));
        let who = format!("call with {}, {}", display_party(&c.remote), what.to_lowercase());
        if c.state == "early" || c.state == "ringing" {
            if described(ui.button("Cancel call"), &who).clicked() {
                out.push(Command::Hangup { call: c.id.clone() });
            }
            return;
        }
        ui.horizontal_wrapped(|ui| {
            if c.state == "held" {
                if described(ui.button("Resume"), &who).clicked() {
                    out.push(Command::Resume { call: c.id.clone() });
                }
            } else if described(ui.button("Hold"), &who).clicked() {
                out.push(Command::Hold { call: c.id.clone() });
            }
            let mute_label = if c.muted { "Unmute" } else { "Mute" };
            if described(ui.button(mute_label), &who).clicked() {
                let muted = !c.muted;
                if let Some(m) = state.call_mut(&c.id) {
                    m.muted = muted;
                }
                out.push(Command::Mute { call: c.id.clone(), muted });
            }
            ui.toggle_value(&mut view.keypad, "Keypad");
            if described(ui.button("Park"), &who).clicked() {
                out.push(Command::Park { call: c.id.clone() });
            }
            let hang = Button::new(RichText::new("Hang up").color(egui::Color32::WHITE)).fill(theme::HANGUP_FILL);
            if described(ui.add(hang), &who).clicked() {
                out.push(Command::Hangup { call: c.id.clone() });
            }
        });
        let is_active = state.active_call().is_some_and(|a| a.id == c.id);
        ui.horizontal(|ui| {
            let field = view.transfer_target.entry(c.id.clone()).or_default();
            let r = named_text_field(ui, "Transfer to", field, 90.0, 64);
            if is_active && std::mem::take(&mut view.focus_transfer) {
                r.request_focus();
            }
            // Enter in the field: blind transfer.
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let target = field.trim().to_owned();
            let transfer = described(ui.add_enabled(!target.is_empty(), Button::new("Transfer")), &who);
            if (transfer.clicked() || enter) && !target.is_empty() {
                out.push(Command::Transfer {
                    call: c.id.clone(),
                    target: target.clone(),
                    attended: false,
                    consult: None,
                });
            }
            if described(ui.add_enabled(!target.is_empty(), Button::new("Consult")), &who).clicked() {
                out.push(Command::Transfer { call: c.id.clone(), target, attended: true, consult: None });
            }
        });
        let handle = ui.scope_id().with(("call-drag", &c.id));
        ui.dnd_drag_source(handle, CallDrag { call: c.id.clone() }, |ui| {
            ui.label(RichText::new("Drag onto a key to transfer (Shift: consult first)").color(theme::KEY_TEXT_DIM));
        });
    });
}

fn dialpad_ui(ui: &mut Ui, state: &ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    let dtmf_call = if view.keypad { state.active_call().map(|c| c.id.clone()) } else { None };
    ui.heading(if dtmf_call.is_some() { "Keypad (DTMF)" } else { "Dial" });
    let mut dial_now = false;
    ui.horizontal(|ui| {
        let r = named_text_field(ui, "Number to dial", &mut view.dial, 170.0, 128);
        if std::mem::take(&mut view.focus_dial) {
            r.request_focus();
        }
        dial_now = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let can = !view.dial.trim().is_empty();
        if ui.add_enabled(can, Button::new("Call")).clicked() {
            dial_now = true;
        }
    });
    if dial_now && !view.dial.trim().is_empty() {
        out.push(Command::Dial { target: view.dial.trim().to_owned() });
        view.dial.clear();
    }
    // Search over the keys by name or number.
    let needle = view.dial.trim().to_lowercase();
    if !needle.is_empty() {
        let mut shown = 0;
        for (i, k) in state.keys().iter().enumerate() {
            if shown == MAX_SUGGESTIONS {
                break;
            }
            if k.ext.to_lowercase().contains(&needle) || k.label.to_lowercase().contains(&needle) {
                shown += 1;
                let r = ui.button(format!("Call {} ({})", k.label, k.ext));
                // The colleague's state for a screen reader (built only when one asks).
                r.ctx.accesskit_node_builder(r.id, |b| b.set_description(state.key_description(i)));
                if r.clicked() {
                    out.push(Command::Dial { target: k.ext.clone() });
                    view.dial.clear();
                }
            }
        }
    }
    ui.add_space(4.0);
    egui::Grid::new("keypad").spacing(vec2(4.0, 4.0)).show(ui, |ui| {
        for row in KEYPAD {
            for d in row {
                if ui.add_sized(vec2(48.0, 30.0), Button::new(RichText::new(d).size(16.0))).clicked() {
                    match &dtmf_call {
                        Some(call) => out.push(Command::SendDtmf { call: call.clone(), digits: d.to_owned() }),
                        None => view.dial.push_str(d),
                    }
                }
            }
            ui.end_row();
        }
    });
}
