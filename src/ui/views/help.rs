//! The keyboard: one table of shortcuts ([`SHORTCUTS`]) that both the handler
//! ([`shortcuts_ui`]) and the help panel ([`window_ui`], F1 or the "?" button) read, so
//! what the panel lists is what the keys do.

use super::{Outbox, ViewState, WallMode};
use crate::api::Command;
use crate::ui::state::ConsoleState;
use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText};

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open or close this help panel.
    Help,
    /// Put the cursor in the key search.
    Search,
    /// Put the cursor in the number-to-dial field.
    Dial,
    /// Open or close the call history.
    History,
    /// Open or close the forwarding rules.
    Forwarding,
    /// Turn edit mode on or off.
    Edit,
    /// Open or close Import / Export.
    ImportExport,
    /// Switch between the keys and the list.
    ListView,
    /// Show the next page of keys.
    NextPage,
    /// Show the previous page of keys.
    PrevPage,
    /// Answer the ringing call.
    Answer,
    /// Decline the ringing call (busy).
    Decline,
    /// Hang up the current call.
    HangUp,
    /// Hold or resume the current call.
    Hold,
    /// Mute or unmute the microphone.
    Mute,
    /// Open or close the DTMF keypad.
    Keypad,
    /// Park the current call.
    Park,
    /// Put the cursor in the current call's transfer field.
    Transfer,
    /// Set our own status (index into `status::STATUSES`).
    Status(usize),
    /// Open or close the settings.
    Settings,
    /// Open or close the SIP log.
    SipLog,
    /// Close the open window (help, import/export, settings, SIP log, history, forwarding).
    Close,
}

/// The keys of a shortcut: a combination the app handles, or keys a widget handles
/// (listed for the user only).
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// A combination handled by [`shortcuts_ui`].
    Combo(KeyboardShortcut),
    /// Keys handled by the widgets themselves, as the user reads them.
    Widget(&'static str),
}

/// One line of the table.
#[derive(Debug, Clone, Copy)]
pub struct Shortcut {
    /// The keys.
    pub keys: Keys,
    /// What they do, in the words of the help panel.
    pub what: &'static str,
    /// The action (none for widget keys).
    pub action: Option<Action>,
}

const fn combo(modifiers: Modifiers, key: Key, what: &'static str, action: Action) -> Shortcut {
    Shortcut { keys: Keys::Combo(KeyboardShortcut::new(modifiers, key)), what, action: Some(action) }
}

const fn widget(keys: &'static str, what: &'static str) -> Shortcut {
    Shortcut { keys: Keys::Widget(keys), what, action: None }
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers { shift: true, ..Modifiers::COMMAND };
const ALT: Modifiers = Modifiers::ALT;
const NONE: Modifiers = Modifiers::NONE;

/// Every shortcut of the console, in the order the help panel lists them.
pub const SHORTCUTS: &[Shortcut] = &[
    combo(NONE, Key::F1, "Show or hide these keyboard shortcuts", Action::Help),
    combo(CMD, Key::F, "Search keys by name or number", Action::Search),
    widget("Enter (in the search)", "Call the only matching key"),
    widget("Escape (in the search)", "Clear the search"),
    widget("Tab / Shift+Tab", "Move between keys, fields and buttons"),
    widget("Enter or Space (on a key)", "Call the colleague (pick up when the key rings)"),
    combo(CMD, Key::D, "Type a number to dial", Action::Dial),
    widget("Enter (in the dial field)", "Dial the number"),
    combo(CMD_SHIFT, Key::A, "Answer the ringing call", Action::Answer),
    combo(CMD_SHIFT, Key::D, "Decline the ringing call (busy)", Action::Decline),
    combo(CMD_SHIFT, Key::E, "Hang up the current call", Action::HangUp),
    combo(CMD_SHIFT, Key::H, "Hold or resume the current call", Action::Hold),
    combo(CMD_SHIFT, Key::M, "Mute or unmute the microphone", Action::Mute),
    combo(CMD_SHIFT, Key::P, "Park the current call", Action::Park),
    combo(CMD, Key::T, "Type where to transfer the current call", Action::Transfer),
    widget("Enter (in the transfer field)", "Transfer the call there (blind)"),
    combo(CMD, Key::K, "Show or hide the DTMF keypad", Action::Keypad),
    combo(ALT, Key::Num1, "My status: Available", Action::Status(0)),
    combo(ALT, Key::Num2, "My status: Away", Action::Status(1)),
    combo(ALT, Key::Num3, "My status: Chat", Action::Status(2)),
    combo(ALT, Key::Num4, "My status: Do Not Disturb", Action::Status(3)),
    combo(ALT, Key::Num5, "My status: Unavailable", Action::Status(4)),
    combo(ALT, Key::Num6, "My status: Custom (with the custom text)", Action::Status(5)),
    combo(CMD, Key::PageDown, "Next page of keys", Action::NextPage),
    combo(CMD, Key::PageUp, "Previous page of keys", Action::PrevPage),
    combo(CMD, Key::L, "Switch between keys and list", Action::ListView),
    combo(CMD, Key::E, "Turn edit mode on or off", Action::Edit),
    combo(CMD, Key::H, "Open or close the call history", Action::History),
    combo(CMD, Key::R, "Open or close the forwarding rules", Action::Forwarding),
    combo(CMD, Key::I, "Open or close Import / Export", Action::ImportExport),
    combo(CMD, Key::Comma, "Open or close the settings", Action::Settings),
    combo(CMD_SHIFT, Key::L, "Open or close the SIP log", Action::SipLog),
    combo(NONE, Key::Escape, "Close the open window", Action::Close),
];

/// The keys of `s` as this platform writes them ("Ctrl+D", "⌘D", "F1").
pub fn keys_text(ctx: &egui::Context, s: &Shortcut) -> String {
    match s.keys {
        Keys::Combo(k) => ctx.format_shortcut(&k),
        Keys::Widget(t) => t.to_owned(),
    }
}

/// The shortcut for `action` as this platform writes it (for tooltips), if there is one.
pub fn shortcut_text(ctx: &egui::Context, action: Action) -> Option<String> {
    SHORTCUTS.iter().find(|s| s.action == Some(action)).map(|s| keys_text(ctx, s))
}

/// Takes this frame's shortcut presses (before any widget sees them) and does what they say.
pub fn shortcuts_ui(ctx: &egui::Context, state: &mut ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    // egui ignores extra Shift/Alt when matching: try the combinations with more modifiers first.
    let mut combos: Vec<(KeyboardShortcut, Action)> = SHORTCUTS
        .iter()
        .filter_map(|s| match (s.keys, s.action) {
            (Keys::Combo(k), Some(a)) => Some((k, a)),
            _ => None,
        })
        .collect();
    let weight = |m: Modifiers| u8::from(m.shift) + u8::from(m.alt) + u8::from(m.command || m.ctrl);
    combos.sort_by_key(|(k, _)| std::cmp::Reverse(weight(k.modifiers)));
    let typing = ctx.egui_wants_keyboard_input();
    for (k, action) in combos {
        // Escape belongs to the focused text field (it clears the search), and Alt+digit may
        // type a character there (macOS Option+1 is '¡').
        if typing && (action == Action::Close || matches!(action, Action::Status(_))) {
            continue;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&k)) {
            perform(action, state, view, out);
        }
    }
}

/// Does what `action` says.
pub fn perform(action: Action, state: &mut ConsoleState, view: &mut ViewState, out: &mut Outbox) {
    let current = state.active_call().map(|c| (c.id.clone(), c.state.clone(), c.muted));
    let ringing = state.calls.iter().find(|c| c.is_incoming_ringing()).map(|c| c.id.clone());
    match action {
        Action::Help => view.help_open = !view.help_open,
        Action::Search => view.focus_search = true,
        Action::Dial => view.focus_dial = true,
        Action::History => view.history_open = !view.history_open,
        Action::Forwarding => view.forwarding_open = !view.forwarding_open,
        Action::Edit => view.editing = !view.editing,
        Action::ImportExport => view.io_open = !view.io_open,
        Action::Settings => view.settings_open = !view.settings_open,
        Action::SipLog => view.siplog_open = !view.siplog_open,
        Action::ListView => {
            view.mode = if view.mode == WallMode::Keys { WallMode::List } else { WallMode::Keys };
        }
        Action::NextPage | Action::PrevPage => {
            let groups = state.groups().to_vec();
            // "All" comes before the first page.
            let at = state.page().and_then(|p| groups.iter().position(|g| g == p)).map_or(0, |i| i + 1);
            let n = groups.len() + 1;
            let to = if action == Action::NextPage { (at + 1) % n } else { (at + n - 1) % n };
            state.set_page(if to == 0 { None } else { groups.get(to - 1).cloned() });
        }
        Action::Answer => {
            if let Some(call) = ringing {
                out.push(Command::Answer { call });
            }
        }
        Action::Decline => {
            if let Some(call) = ringing {
                out.push(Command::Reject { call, code: 486 });
            }
        }
        Action::HangUp => {
            if let Some((call, ..)) = current {
                out.push(Command::Hangup { call });
            }
        }
        Action::Hold => {
            if let Some((call, st, _)) = current {
                out.push(if st == "held" { Command::Resume { call } } else { Command::Hold { call } });
            }
        }
        Action::Mute => {
            if let Some((call, _, muted)) = current {
                if let Some(c) = state.call_mut(&call) {
                    c.muted = !muted;
                }
                out.push(Command::Mute { call, muted: !muted });
            }
        }
        Action::Park => {
            if let Some((call, ..)) = current {
                out.push(Command::Park { call });
            }
        }
        Action::Keypad => view.keypad = !view.keypad,
        Action::Transfer => view.focus_transfer = current.is_some(),
        Action::Status(i) => {
            if let Some((word, _)) = super::status::STATUSES.get(i) {
                super::status::set_status(state, view, word, out);
            }
        }
        Action::Close => {
            // The most recently opened kinds of window first.
            for open in [
                &mut view.help_open,
                &mut view.io_open,
                &mut view.settings_open,
                &mut view.siplog_open,
                &mut view.history_open,
                &mut view.forwarding_open,
            ] {
                if *open {
                    *open = false;
                    break;
                }
            }
        }
    }
}

/// The help panel: every shortcut with what it does.
pub fn window_ui(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).resizable(true).default_width(460.0).show(ctx, |ui| {
        ui.label(RichText::new("Every action of the console can be reached from the keyboard.").weak());
        ui.add_space(4.0);
        egui::ScrollArea::vertical().max_height(520.0).show(ui, |ui| {
            egui::Grid::new("shortcuts").num_columns(2).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
                for s in SHORTCUTS {
                    ui.label(RichText::new(keys_text(ctx, s)).monospace().strong());
                    ui.label(s.what);
                    ui.end_row();
                }
            });
        });
    });
}
