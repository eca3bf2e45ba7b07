//! The settings window: sound devices (microphone, speaker, ring device) listed by the engine,
//! a live input level meter and a test tone, the codec order, the account's feature codes,
//! light/dark theme (applied at once) and "start minimised". Every change is kept in the
//! config file ([`SettingsFile`]) and, where the engine uses it, sent as a [`Command`]:
//! devices as `SetAudioDevices`, codecs as `SetCodecs` (new calls).
//!
//! There is no LED profile to choose: the lamps follow the seed's tables in `ui/theme.rs`.

use super::Outbox;
use crate::api::{Command, Event};
use crate::config::Config;
use crate::config::settings::{
    CodecOrder, FeatureCodesDraft, SettingsFile, ThemeChoice, codec_label, feature_code_label,
};
use crate::ui::led_profile::{LED_PROFILES, LedProfile};
use crate::ui::theme;
use crate::ui::widgets::{named_text_field, set_name};
use eframe::egui::{self, RichText, Ui};
use std::path::PathBuf;

/// The meter's range: this level and below shows an empty bar.
const METER_FLOOR_DBFS: f32 = -60.0;

/// The three device roles: (accessible name, visible label).
const ROLES: [(&str, &str); 3] = [("Microphone", "Microphone:"), ("Speaker", "Speaker:"), ("Ring device", "Ring on:")];

/// The settings window's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SettingsTab {
    /// Sound devices, level meter, test tone.
    #[default]
    Sound,
    /// Codec order.
    Codecs,
    /// Theme, start minimised.
    Appearance,
    /// The account's feature codes.
    FeatureCodes,
}

impl SettingsTab {
    const ALL: [SettingsTab; 4] =
        [SettingsTab::Sound, SettingsTab::Codecs, SettingsTab::Appearance, SettingsTab::FeatureCodes];

    fn label(self) -> &'static str {
        match self {
            SettingsTab::Sound => "Sound",
            SettingsTab::Codecs => "Codecs",
            SettingsTab::Appearance => "Appearance",
            SettingsTab::FeatureCodes => "Feature codes",
        }
    }
}

/// The devices the engine listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceLists {
    /// Microphones.
    pub inputs: Vec<String>,
    /// Speakers (also for ringing).
    pub outputs: Vec<String>,
    /// The system's default input.
    pub default_input: Option<String>,
    /// The system's default output.
    pub default_output: Option<String>,
    /// Why the lists are empty, if the engine said.
    pub error: Option<String>,
    /// A list has arrived.
    pub listed: bool,
}

/// The audio test as the engine reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioTestState {
    /// Running now.
    pub running: bool,
    /// The tone plays on the ring device.
    pub ring: bool,
    /// Last RMS and peak levels (dBFS).
    pub level: Option<(f32, f32)>,
    /// What the engine last said (devices in use, why it stopped).
    pub status: Option<String>,
}

/// The settings window's state.
#[derive(Debug, Clone)]
pub struct SettingsView {
    file: Option<SettingsFile>,
    /// Devices listed by the engine.
    pub devices: DeviceLists,
    /// Chosen microphone, speaker and ring device (`None`: the system default).
    pub chosen: [Option<String>; 3],
    /// The audio test.
    pub test: AudioTestState,
    /// The codec list.
    pub codecs: CodecOrder,
    /// Light or dark.
    pub theme: ThemeChoice,
    /// Start with the window minimised.
    pub start_minimised: bool,
    /// Which LED the keys show.
    pub led_profile: LedProfile,
    /// The default account's feature codes, when there is an account.
    pub feature_codes: Option<FeatureCodesDraft>,
    /// The last save's outcome: (ok, message).
    pub message: Option<(bool, String)>,
    /// The page shown.
    pub tab: SettingsTab,
    was_open: bool,
    theme_dirty: bool,
}

impl Default for SettingsView {
    fn default() -> Self {
        Self::from_config(&Config::default(), None)
    }
}

impl SettingsView {
    /// The settings of `cfg`, saved to `file` when given. A config without a theme
    /// preference keeps the console's dark look.
    pub fn from_config(cfg: &Config, file: Option<SettingsFile>) -> Self {
        let theme = match cfg.prefs.dark {
            None if file.is_none() => ThemeChoice::Dark,
            d => ThemeChoice::from_config(d),
        };
        SettingsView {
            file,
            devices: DeviceLists::default(),
            chosen: [cfg.audio.input.clone(), cfg.audio.output.clone(), cfg.audio.ring.clone()],
            test: AudioTestState::default(),
            codecs: CodecOrder::from_config(cfg.audio.codecs.as_deref()),
            theme,
            start_minimised: cfg.prefs.start_minimised,
            led_profile: cfg.prefs.led_profile.as_deref().and_then(LedProfile::parse).unwrap_or_default(),
            feature_codes: cfg.default_account().map(FeatureCodesDraft::new),
            message: None,
            tab: SettingsTab::default(),
            was_open: false,
            theme_dirty: true,
        }
    }

    /// The settings in the config file at `path` (defaults, and the error shown in the
    /// window, when it cannot be read).
    pub fn open(path: PathBuf) -> Self {
        let file = SettingsFile::new(path);
        match file.load() {
            Ok(cfg) => Self::from_config(&cfg, Some(file)),
            Err(e) => {
                let mut v = Self::from_config(&Config::default(), Some(file));
                v.message = Some((false, format!("settings not loaded: {e}")));
                v
            }
        }
    }

    /// The config file, if the settings are kept in one.
    pub fn file(&self) -> Option<&SettingsFile> {
        self.file.as_ref()
    }

    /// What the engine must hear when the console starts: the configured devices and codecs.
    pub fn startup_commands(&self) -> Vec<Command> {
        let mut out = Vec::new();
        if self.chosen.iter().any(Option::is_some) {
            out.push(self.devices_command());
        }
        if self.codecs.to_config().is_some() {
            out.push(Command::SetCodecs { codecs: self.codecs.enabled() });
        }
        out
    }

    fn devices_command(&self) -> Command {
        let [input, output, ring] = self.chosen.clone();
        Command::SetAudioDevices { input, output, ring }
    }

    /// Applies the theme to `ctx` when it changed (and the first time).
    pub fn apply_theme(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.theme_dirty) {
            match self.theme {
                ThemeChoice::System => ctx.set_theme(egui::ThemePreference::System),
                ThemeChoice::Light => ctx.set_theme(egui::Theme::Light),
                ThemeChoice::Dark => ctx.set_theme(egui::Theme::Dark),
            }
        }
    }

    /// Takes an engine event (device lists, levels, the test's state).
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::AudioDevices { inputs, outputs, default_input, default_output, error } => {
                self.devices = DeviceLists {
                    inputs: inputs.clone(),
                    outputs: outputs.clone(),
                    default_input: default_input.clone(),
                    default_output: default_output.clone(),
                    error: error.clone(),
                    listed: true,
                };
            }
            Event::AudioLevel { input_dbfs, peak_dbfs, .. } => self.test.level = Some((*input_dbfs, *peak_dbfs)),
            Event::AudioTest { state, input, output, reason } => {
                self.test.running = state == "started";
                let devices = match (input, output) {
                    (Some(i), Some(o)) => format!("microphone {i}, tone on {o}"),
                    (Some(i), None) => format!("microphone {i}, no tone"),
                    (None, Some(o)) => format!("tone on {o}, no microphone"),
                    (None, None) => String::new(),
                };
                let why = reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
                self.test.status = Some(format!("Test {state}: {devices}{why}"));
                if !self.test.running {
                    self.test.level = None;
                }
            }
            _ => {}
        }
    }

    /// Saves a change to the config file (when there is one) and shows the outcome.
    fn save(&mut self, what: &str, change: impl FnOnce(&mut Config)) {
        let Some(file) = &self.file else { return };
        self.message = Some(match file.update(change) {
            Ok(()) => (true, format!("{what} saved")),
            Err(e) => (false, format!("{what} not saved: {e}")),
        });
    }

    fn save_devices(&mut self, out: &mut Outbox) {
        out.push(self.devices_command());
        let [input, output, ring] = self.chosen.clone();
        self.save("Sound devices", move |c| {
            c.audio.input = input;
            c.audio.output = output;
            c.audio.ring = ring;
        });
    }

    fn save_codecs(&mut self, out: &mut Outbox) {
        out.push(Command::SetCodecs { codecs: self.codecs.enabled() });
        let codecs = self.codecs.to_config();
        self.save("Codecs", move |c| c.audio.codecs = codecs);
    }
}

/// The "Settings" window. Opening it asks the engine for the device list; closing it stops
/// a running audio test.
pub fn window_ui(ctx: &egui::Context, open: &mut bool, view: &mut SettingsView, out: &mut Outbox) {
    if *open && !view.was_open {
        out.push(Command::ListAudioDevices);
    }
    egui::Window::new("Settings").open(open).default_size([520.0, 600.0]).show(ctx, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| settings_ui(ui, view, out));
    });
    if !*open && view.was_open && view.test.running {
        out.push(Command::AudioTest { on: false, ring: false });
    }
    view.was_open = *open;
    view.apply_theme(ctx);
}

/// The settings' contents.
pub fn settings_ui(ui: &mut Ui, view: &mut SettingsView, out: &mut Outbox) {
    ui.horizontal(|ui| {
        for t in SettingsTab::ALL {
            ui.selectable_value(&mut view.tab, t, t.label());
        }
    });
    ui.separator();
    match view.tab {
        SettingsTab::Sound => audio_ui(ui, view, out),
        SettingsTab::Codecs => codecs_ui(ui, view, out),
        SettingsTab::Appearance => appearance_ui(ui, view),
        SettingsTab::FeatureCodes => feature_codes_ui(ui, view),
    }
    if let Some((ok, m)) = &view.message {
        ui.separator();
        ui.label(RichText::new(m).color(if *ok { theme::OK_TEXT } else { theme::ERROR_TEXT }));
    }
}

fn audio_ui(ui: &mut Ui, view: &mut SettingsView, out: &mut Outbox) {
    if ui.button("Refresh devices").clicked() {
        out.push(Command::ListAudioDevices);
    }
    if !view.devices.listed {
        ui.label(RichText::new("Asking the engine for the devices…").color(theme::KEY_TEXT_DIM));
    }
    if let Some(e) = &view.devices.error {
        ui.label(RichText::new(e).color(theme::ERROR_TEXT));
    }
    let mut changed = false;
    egui::Grid::new("settings-devices").num_columns(2).show(ui, |ui| {
        for (i, (name, label)) in ROLES.iter().enumerate() {
            ui.label(*label);
            let (list, default) = if i == 0 {
                (&view.devices.inputs, &view.devices.default_input)
            } else {
                (&view.devices.outputs, &view.devices.default_output)
            };
            // The ring device falls back to the speaker (see `engine::tones`).
            let default_text = match default {
                _ if i == 2 => "Same as speaker".to_string(),
                Some(d) => format!("System default ({d})"),
                None => "System default".to_string(),
            };
            let chosen = &mut view.chosen[i];
            let shown = chosen.clone().unwrap_or_else(|| default_text.clone());
            let r = egui::ComboBox::from_id_salt(("settings-device", i)).selected_text(shown).width(300.0).show_ui(
                ui,
                |ui| {
                    changed |= ui.selectable_value(chosen, None, default_text.as_str()).changed();
                    // A configured device that is not plugged in stays choosable.
                    let missing = chosen.clone().filter(|c| !list.contains(c));
                    for d in list.iter().chain(missing.iter()) {
                        changed |= ui.selectable_value(chosen, Some(d.clone()), d.as_str()).changed();
                    }
                },
            );
            set_name(ui, &r.response, name);
            ui.end_row();
        }
    });
    if changed {
        view.save_devices(out);
    }
    ui.horizontal(|ui| {
        for (ring, label) in [(false, "Test tone"), (true, "Test ring device")] {
            let on = view.test.running && view.test.ring == ring;
            if ui.selectable_label(on, label).clicked() {
                view.test.ring = ring;
                out.push(Command::AudioTest { on: !on, ring });
            }
        }
    });
    let (fraction, text) = match view.test.level {
        Some((rms, peak)) => {
            (((rms - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS).clamp(0.0, 1.0), format!("{rms:.0} dBFS (peak {peak:.0})"))
        }
        None => (0.0, "no input".to_string()),
    };
    let r = ui.add(egui::ProgressBar::new(fraction).text(text.clone()).desired_width(300.0));
    set_name(ui, &r, &format!("Input level: {text}"));
    if let Some(s) = &view.test.status {
        ui.label(RichText::new(s).color(theme::KEY_TEXT_DIM));
    }
}

fn codecs_ui(ui: &mut Ui, view: &mut SettingsView, out: &mut Outbox) {
    ui.label(RichText::new("Best first; applies to calls started from now on.").color(theme::KEY_TEXT_DIM));
    let mut changed = false;
    let n = view.codecs.rows().len();
    egui::Grid::new("settings-codecs").num_columns(3).show(ui, |ui| {
        for i in 0..n {
            let row = view.codecs.rows()[i].clone();
            let label = codec_label(row.name);
            let mut on = row.enabled;
            if ui.checkbox(&mut on, label).changed() {
                changed |= view.codecs.set_enabled(i, on);
            }
            let r = ui.add_enabled(i > 0, egui::Button::new("Up"));
            set_name(ui, &r, &format!("Move {label} up"));
            if r.clicked() {
                changed |= view.codecs.move_row(i, true);
            }
            let r = ui.add_enabled(i + 1 < n, egui::Button::new("Down"));
            set_name(ui, &r, &format!("Move {label} down"));
            if r.clicked() {
                changed |= view.codecs.move_row(i, false);
            }
            ui.end_row();
        }
    });
    if changed {
        view.save_codecs(out);
    }
}

fn appearance_ui(ui: &mut Ui, view: &mut SettingsView) {
    ui.horizontal(|ui| {
        ui.label("Theme:");
        for t in [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark] {
            if ui.selectable_label(view.theme == t, t.label()).clicked() && view.theme != t {
                view.theme = t;
                view.theme_dirty = true;
                view.save("Theme", move |c| c.prefs.dark = t.to_config());
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Lamps:");
        for p in LED_PROFILES {
            if ui.selectable_label(view.led_profile == p, p.label()).clicked() && view.led_profile != p {
                view.led_profile = p;
                let word = (p != LedProfile::default()).then(|| p.as_str().to_string());
                view.save("Lamps", move |c| c.prefs.led_profile = word);
            }
        }
    });
    let mut min = view.start_minimised;
    if ui.checkbox(&mut min, "Start minimised").changed() {
        view.start_minimised = min;
        view.save("Start minimised", move |c| c.prefs.start_minimised = min);
    }
}

fn feature_codes_ui(ui: &mut Ui, view: &mut SettingsView) {
    let Some(draft) = view.feature_codes.as_mut() else {
        ui.label(RichText::new("No account configured.").color(theme::KEY_TEXT_DIM));
        return;
    };
    ui.label(
        RichText::new(format!("Account {}: empty = the PBX profile's code. Used from the next start.", draft.account))
            .color(theme::KEY_TEXT_DIM),
    );
    egui::Grid::new("settings-feature-codes").num_columns(2).show(ui, |ui| {
        for (name, text) in draft.fields.iter_mut() {
            let label = feature_code_label(name);
            ui.label(format!("{label}:"));
            named_text_field(ui, &format!("{label} code"), text, 120.0, 16);
            ui.end_row();
        }
    });
    if ui.button("Save feature codes").clicked() {
        match draft.overrides() {
            Ok(codes) => {
                let account = draft.account.clone();
                view.save("Feature codes", move |c| {
                    if let Some(a) = c.accounts.iter_mut().find(|a| a.name == account) {
                        a.feature_codes = codes;
                    }
                });
            }
            Err((_, m)) => view.message = Some((false, m)),
        }
    }
}
