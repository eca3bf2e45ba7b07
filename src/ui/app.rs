//! The console app: `logic()` drains engine events into the [`ConsoleState`]; `ui()` draws
//! the views and sends the commands they produced. Repaints are requested only while
//! something moves: a blinking key (~4 Hz), a call timer (1 Hz), or the demo's next change.

use super::link::EngineLink;
use super::state::{ConsoleState, KeyDef, KeyKind};
use super::theme;
use super::views::forwarding::{ForwardingEditor, SavedCallback};
use super::views::history::HistoryView;
use super::views::io::IoPanel;
use super::views::settings::SettingsView;
use super::views::siplog::SipLogView;
use super::views::{self, Outbox, ViewState, WallMode};
use crate::api::{Command, Event};
use crate::forwarding::Rules;
use crate::history::HistoryDb;
use eframe::egui::{self, RichText};
use std::path::PathBuf;
use std::time::Duration;

/// Most events taken from the engine in one frame (the rest wait for the next one).
const MAX_EVENTS_PER_FRAME: usize = 20_000;

/// The desktop console.
pub struct LampboardApp {
    link: Box<dyn EngineLink>,
    state: ConsoleState,
    view: ViewState,
    demo: bool,
    started: bool,
    outbox: Outbox,
    forwarding: ForwardingEditor,
    history: HistoryView,
    settings: SettingsView,
    siplog: SipLogView,
    io: IoPanel,
    /// Frame lines on stderr for the bench, when the environment asks (see `frame_report`).
    frames: Option<super::frame_report::FrameReport>,
}

impl LampboardApp {
    /// A console over `link` showing `keys`; `demo` shows the demo banner.
    pub fn new(link: Box<dyn EngineLink>, keys: Vec<KeyDef>, demo: bool) -> Self {
        Self {
            link,
            state: ConsoleState::new(keys),
            view: ViewState::default(),
            demo,
            started: false,
            outbox: Vec::new(),
            forwarding: ForwardingEditor::default(),
            history: HistoryView::default(),
            settings: SettingsView::default(),
            siplog: SipLogView::default(),
            io: IoPanel::default(),
            frames: super::frame_report::FrameReport::from_env(),
        }
    }

    /// Edits the forwarding rules in the file at `path` (read now; defaults if missing).
    pub fn with_rules_file(mut self, path: PathBuf) -> Self {
        self.forwarding = ForwardingEditor::open(path);
        self
    }

    /// Edits `rules`, saving them to `path` when given (else Save only applies them).
    pub fn with_rules(mut self, rules: Rules, path: Option<PathBuf>) -> Self {
        self.forwarding = ForwardingEditor::new(rules, path);
        self
    }

    /// Calls `f` with the rules each time the editor saves them (e.g. to hand them to the
    /// engine's call policy). The alternative is polling [`LampboardApp::take_saved_rules`].
    pub fn on_rules_saved(mut self, f: SavedCallback) -> Self {
        self.forwarding.on_saved(f);
        self
    }

    /// The rules saved in the editor since the last call, if any.
    pub fn take_saved_rules(&mut self) -> Option<Rules> {
        self.forwarding.take_saved_rules()
    }

    /// The forwarding editor (tests: e.g. fix its clock with `set_now`).
    pub fn forwarding_mut(&mut self) -> &mut ForwardingEditor {
        &mut self.forwarding
    }

    /// Records the engine's calls into `db` (as `account`) and shows them in the history.
    /// Only one recorder per database: use [`LampboardApp::with_history_db`] when the engine
    /// driver records.
    pub fn with_history_recording(mut self, db: HistoryDb, account: Option<String>) -> Self {
        self.history = HistoryView::recording(db, account);
        self.view.unseen_missed = self.history.unseen_missed();
        self
    }

    /// Shows the history in `db`, which someone else records.
    pub fn with_history_db(mut self, db: HistoryDb) -> Self {
        self.history = HistoryView::reading(db);
        self.view.unseen_missed = self.history.unseen_missed();
        self
    }

    /// Keeps the settings (devices, codecs, theme, start minimised, feature codes) in the
    /// config file at `path`: read now, applied at start, saved on every change.
    pub fn with_settings_file(mut self, path: PathBuf) -> Self {
        self.settings = SettingsView::open(path);
        self
    }

    /// Opens or closes the settings and the SIP log windows.
    pub fn show_diagnostics(&mut self, settings: bool, siplog: bool) {
        self.view.settings_open = settings;
        self.view.siplog_open = siplog;
    }

    /// The settings window's state (tests).
    pub fn settings(&self) -> &SettingsView {
        &self.settings
    }

    /// The SIP log (tests).
    pub fn siplog(&self) -> &SipLogView {
        &self.siplog
    }

    /// Saves the wall into the config file at `path` after each import and each change in edit
    /// mode (see `IoPanel::autosave`).
    pub fn with_wall_file(mut self, path: PathBuf) -> Self {
        self.io = IoPanel::with_wall_file(path);
        self
    }

    /// The Import / Export window's state (tests: its last message).
    pub fn io(&self) -> &IoPanel {
        &self.io
    }

    /// The history view (tests).
    pub fn history(&self) -> &HistoryView {
        &self.history
    }

    /// Opens or closes the forwarding editor and the history windows.
    pub fn show_windows(&mut self, forwarding: bool, history: bool) {
        self.view.forwarding_open = forwarding;
        self.view.history_open = history;
    }

    /// The console on the embedded demo office (deterministic for a given `seed`).
    pub fn demo(seed: u64) -> Self {
        let office = crate::demo::DemoLink::new(seed);
        let keys = office.keys();
        let app = Self::new(Box::new(office), keys, true);
        // The demo's calls go to a history that lives as long as the window.
        match HistoryDb::open_in_memory() {
            Ok(db) => app.with_history_recording(db, Some("demo".into())),
            Err(_) => app,
        }
    }

    /// Offers the account wizard / "Accounts…" window `w` (open at once for a first run).
    pub fn with_accounts(mut self, w: views::wizard::AccountsWindow) -> Self {
        self.view.accounts = views::wizard::AccountsSlot::new(w);
        self
    }

    /// The view model (for tests and the lead's wiring).
    pub fn state(&self) -> &ConsoleState {
        &self.state
    }

    /// The UI-only state (for tests).
    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// Shows the wall as keys or as the list.
    pub fn set_wall_mode(&mut self, mode: WallMode) {
        self.view.mode = mode;
    }

    /// Sends the commands that start the console: watch every lamp key.
    fn start(&mut self) {
        for kind in [KeyKind::Presence, KeyKind::Blf] {
            let targets: Vec<String> =
                self.state.keys().iter().filter(|k| k.kind == kind).map(|k| k.ext.clone()).collect();
            if !targets.is_empty() {
                let events = views::edit::packages(kind);
                self.link.send(Command::Watch { targets, events, list: None });
            }
        }
    }

    /// Takes the waiting engine events (at most [`MAX_EVENTS_PER_FRAME`]).
    fn drain(&mut self, now: f64) -> bool {
        let at = Duration::from_secs_f64(now.max(0.0));
        let mut n = 0;
        while n < MAX_EVENTS_PER_FRAME {
            let Some(e) = self.link.poll_event(at) else { break };
            self.history.record_event(&e);
            if let Event::RulesSynced { via, ok, reason, retry_in_ms } = &e {
                self.forwarding.sync_result(via, *ok, reason.as_deref(), *retry_in_ms);
            }
            self.settings.on_event(&e);
            if self.siplog.on_event(&e) {
                n += 1;
                continue;
            }
            self.state.apply(e, now);
            n += 1;
        }
        n == MAX_EVENTS_PER_FRAME
    }

    fn schedule_repaint(&self, ctx: &egui::Context, now: f64) {
        let mut after: Option<f32> = None;
        let mut want = |secs: f32| after = Some(after.map_or(secs, |a| a.min(secs)));
        if self.state.needs_blink() || self.state.calls.iter().any(|c| c.is_incoming_ringing()) {
            want(theme::BLINK_REPAINT_SECS);
        }
        if let Some(t) = self.state.calls.iter().filter_map(|c| c.answered_at).next() {
            // The next whole second of the call timer.
            let frac = (now - t).fract() as f32;
            want((1.0 - frac).max(0.05));
        }
        if let Some(w) = self.link.next_wakeup() {
            want(((w.as_secs_f64() - now) as f32).max(0.02));
        }
        if let Some(a) = after {
            ctx.request_repaint_after(Duration::from_secs_f32(a));
        }
    }
}

impl LampboardApp {
    /// The non-drawing work of a frame: start the console once, take the engine's events.
    /// (`eframe::App::logic` calls it; benches drive it on a bare `egui::Context`.)
    pub fn pump(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        if !self.started {
            self.started = true;
            self.settings.apply_theme(ctx);
            if self.settings.start_minimised {
                ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(true));
            }
            for c in self.settings.startup_commands() {
                self.link.send(c);
            }
            self.start();
        }
        if self.drain(now) {
            ctx.request_repaint();
        }
    }

    /// Draws the console into `ui` and sends the commands the views produced.
    /// (`eframe::App::ui` calls it.)
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        let mut out = std::mem::take(&mut self.outbox);
        self.view.led_profile = self.settings.led_profile;
        views::help::shortcuts_ui(ui.ctx(), &mut self.state, &mut self.view, &mut out);
        if self.demo {
            egui::Panel::top("demo-banner").frame(egui::Frame::new().fill(theme::BANNER_BG).inner_margin(4)).show(
                ui,
                |ui| {
                    ui.vertical_centered(|ui| {
                        ui.label(
                            RichText::new("Demo office — not connected to a PBX").strong().color(theme::BANNER_TEXT),
                        );
                    });
                },
            );
        }
        egui::Panel::top("status").show(ui, |ui| {
            ui.add_space(4.0);
            views::status::status_ui(ui, &mut self.state, &mut self.view, &mut out);
            ui.add_space(2.0);
        });
        egui::Panel::right("calls").resizable(false).exact_size(theme::CALLS_PANEL_WIDTH).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if self.view.editing {
                    views::edit::editor_ui(ui, &mut self.state, &mut self.view, &mut out);
                    ui.separator();
                }
                views::calls::calls_ui(ui, &mut self.state, &mut self.view, now, &mut out);
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            views::wall::toolbar_ui(ui, &mut self.state, &mut self.view, &mut out);
            ui.add_space(4.0);
            match self.view.mode {
                WallMode::Keys => views::wall::wall_ui(ui, &self.state, &mut self.view, now, &mut out),
                WallMode::List => views::list::list_ui(ui, &self.state, &mut out),
            }
        });
        views::forwarding::window_ui(ui.ctx(), &mut self.view.forwarding_open, &mut self.forwarding);
        views::history::window_ui(ui.ctx(), &mut self.view.history_open, &mut self.history, &mut out);
        views::settings::window_ui(ui.ctx(), &mut self.view.settings_open, &mut self.settings, &mut out);
        views::siplog::window_ui(ui.ctx(), &mut self.view.siplog_open, &mut self.siplog, &mut out);
        views::io::window_ui(ui.ctx(), &mut self.view, &mut self.io, &mut self.state, &mut out);
        views::help::window_ui(ui.ctx(), &mut self.view.help_open);
        self.io.autosave(&self.state);
        views::wizard::accounts_ui(ui, &mut self.view.accounts);
        for c in out.drain(..) {
            self.history.record_command(&c);
            self.link.send(c);
        }
        self.view.unseen_missed = self.history.unseen_missed();
        self.outbox = out;
        self.schedule_repaint(ui.ctx(), now);
    }
}

impl eframe::App for LampboardApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.pump(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
        if let Some(r) = &mut self.frames {
            r.report(ui.ctx().cumulative_frame_nr(), self.state.keys().len());
        }
    }
}
