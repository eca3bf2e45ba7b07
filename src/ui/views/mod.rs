//! The console's views. Each reads the [`ConsoleState`](super::state::ConsoleState), keeps
//! its UI-only bits in [`ViewState`] and pushes [`Command`]s into an outbox; none blocks.

pub mod calls;
pub mod edit;
pub mod forwarding;
pub mod forwarding_draft;
pub mod help;
pub mod history;
pub mod io;
pub mod list;
pub mod settings;
pub mod siplog;
pub mod status;
pub mod wall;
pub mod wizard;

use crate::api::Command;
use crate::ui::state::KeyDef;
use crate::ui::theme;

/// How the wall is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WallMode {
    /// The grid of keys.
    Keys,
    /// The list ("Presence Status" column).
    List,
}

/// UI-only state: what the user is typing, sizes, modes (not engine state).
#[derive(Debug, Clone)]
pub struct ViewState {
    /// Key width in points (the size slider).
    pub key_width: f32,
    /// Grid or list.
    pub mode: WallMode,
    /// Edit mode is on.
    pub editing: bool,
    /// The key selected in edit mode (index into the keys).
    pub selected: Option<usize>,
    /// The search field's text.
    pub filter: String,
    /// The dial field's text.
    pub dial: String,
    /// The custom-status field's text.
    pub custom_text: String,
    /// The transfer-target fields' texts, by call id.
    pub transfer_target: std::collections::HashMap<String, String>,
    /// The DTMF keypad is open.
    pub keypad: bool,
    /// Move the keyboard focus to the search field on the next frame (Ctrl+F).
    pub focus_search: bool,
    /// The key being edited: its index and the edited copy (saved with "Save key").
    pub draft: Option<(usize, KeyDef)>,
    /// The forwarding editor window is open.
    pub forwarding_open: bool,
    /// The call history window is open.
    pub history_open: bool,
    /// Missed calls not seen yet (the History button's badge; the app keeps it current).
    pub unseen_missed: i64,
    /// The settings window is open.
    pub settings_open: bool,
    /// The SIP log window is open.
    pub siplog_open: bool,
    /// The keyboard help panel is open (F1, "?").
    pub help_open: bool,
    /// The Import / Export window is open.
    pub io_open: bool,
    /// The task the Import / Export menu chose (taken by the window).
    pub io_task: Option<io::IoTask>,
    /// Move the keyboard focus to the dial field on the next frame (Ctrl+D).
    pub focus_dial: bool,
    /// Move the keyboard focus to the current call's transfer field on the next frame (Ctrl+T).
    pub focus_transfer: bool,
    /// The account wizard / "Accounts…" window (empty: not offered).
    pub accounts: wizard::AccountsSlot,
    /// Which LED the keys show (from Settings → Appearance).
    pub led_profile: crate::ui::led_profile::LedProfile,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            key_width: theme::KEY_WIDTH_DEFAULT,
            mode: WallMode::Keys,
            editing: false,
            selected: None,
            filter: String::new(),
            dial: String::new(),
            custom_text: String::new(),
            transfer_target: Default::default(),
            keypad: false,
            draft: None,
            focus_search: false,
            forwarding_open: false,
            history_open: false,
            unseen_missed: 0,
            settings_open: false,
            siplog_open: false,
            help_open: false,
            io_open: false,
            io_task: None,
            focus_dial: false,
            focus_transfer: false,
            accounts: Default::default(),
            led_profile: Default::default(),
        }
    }
}

/// The payload of a call being dragged onto a key (drop = blind transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDrag {
    /// The call's id.
    pub call: String,
}

/// Commands produced by the views during one frame.
pub type Outbox = Vec<Command>;
