//! The forwarding editor (window "Forwarding rules"): per status the CFU / CFNA / CFB
//! targets and their time conditions, ring timeout, call waiting, 181 for CFNA, DND with its
//! time condition and code, the calendar (time zone, office hours, holidays), the two
//! whitelists — every field checked as it is typed — and a checker saying what
//! [`forwarding::decide`] does with a call from a number right now.
//!
//! Saving writes the rules file atomically ([`forwarding::file::save`]); invalid input never
//! saves. The saved rules are handed to whoever runs the engine through
//! [`ForwardingEditor::take_saved_rules`] or the [`ForwardingEditor::on_saved`] callback (the
//! UI itself knows no engine).

use super::forwarding_draft::{Forward, RulesDraft, field_path};
use crate::forwarding::{self, Action, Rules, StatusKind};
use crate::ui::theme;
use crate::ui::widgets::{named_text_field, set_name};
use eframe::egui::{self, RichText, Ui};
use std::path::PathBuf;

/// Called with the rules each time they are saved.
pub type SavedCallback = Box<dyn FnMut(&Rules)>;

/// The caller the checker starts with.
pub const DEFAULT_CHECK_CALLER: &str = "1005";

/// The editor's state (kept while the window is closed, so a draft survives closing it).
pub struct ForwardingEditor {
    draft: RulesDraft,
    path: Option<PathBuf>,
    tab: StatusKind,
    load_error: Option<String>,
    /// The last save's outcome: ok and what was said.
    message: Option<(bool, String)>,
    /// What the PBX said to the last rules sent (`Event::RulesSynced`): ok and the words.
    sync: Option<(bool, String)>,
    check_caller: String,
    check_status: StatusKind,
    check_busy: bool,
    check_rung_out: bool,
    saved: Option<Rules>,
    on_saved: Option<SavedCallback>,
    now: Option<jiff::Timestamp>,
    /// This computer's zone name (read once: the hint of an empty time zone field).
    system_zone: String,
}

impl std::fmt::Debug for ForwardingEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardingEditor").field("path", &self.path).field("tab", &self.tab).finish_non_exhaustive()
    }
}

impl Default for ForwardingEditor {
    fn default() -> Self {
        Self::new(Rules::default(), None)
    }
}

impl ForwardingEditor {
    /// An editor showing `rules`, saving to `path` (with no path, Save only applies them).
    pub fn new(rules: Rules, path: Option<PathBuf>) -> Self {
        ForwardingEditor {
            check_status: rules.status,
            tab: rules.status,
            draft: RulesDraft::from_rules(&rules),
            path,
            load_error: None,
            message: None,
            sync: None,
            check_caller: DEFAULT_CHECK_CALLER.into(),
            check_busy: false,
            check_rung_out: false,
            saved: None,
            on_saved: None,
            now: None,
            system_zone: forwarding::Zone::system().name().to_owned(),
        }
    }

    /// An editor on the rules file at `path` (defaults when it does not exist yet). A file
    /// that cannot be read is reported in the window, and the editor starts from defaults.
    pub fn open(path: PathBuf) -> Self {
        match forwarding::file::load_or_default(&path) {
            Ok(rules) => Self::new(rules, Some(path)),
            Err(e) => {
                let mut ed = Self::new(Rules::default(), Some(path));
                ed.load_error = Some(format!("{e} — showing defaults; saving replaces the file"));
                ed
            }
        }
    }

    /// Calls `f` with the rules each time they are saved.
    pub fn on_saved(&mut self, f: SavedCallback) {
        self.on_saved = Some(f);
    }

    /// Shows what the PBX said to the rules sent after a save (`Event::RulesSynced`).
    pub fn sync_result(&mut self, via: &str, ok: bool, reason: Option<&str>, retry_in_ms: Option<u64>) {
        let pbx = if via == "ucm-api" { "the UCM" } else { "the PBX" };
        self.sync = Some(if ok {
            (true, format!("Sent to {pbx}: it forwards the same way while Lampboard is closed."))
        } else {
            let retry = retry_in_ms.map(|ms| format!(" (trying again in {} s)", ms.div_ceil(1000))).unwrap_or_default();
            (false, format!("Not sent to {pbx}: {}{retry}", reason.unwrap_or("unknown error")))
        });
    }

    /// The last `sync_result` as shown (tests).
    pub fn sync_message(&self) -> Option<&str> {
        self.sync.as_ref().map(|(_, m)| m.as_str())
    }

    /// The rules saved since the last call, if any (for the engine's call policy).
    pub fn take_saved_rules(&mut self) -> Option<Rules> {
        self.saved.take()
    }

    /// The rules file, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }

    /// Evaluates the checker at `now` instead of the clock (tests, screenshots).
    pub fn set_now(&mut self, now: Option<jiff::Timestamp>) {
        self.now = now;
    }

    /// The draft being edited.
    pub fn draft(&self) -> &RulesDraft {
        &self.draft
    }

    /// Validates and saves; on success the rules are handed over (see the module docs).
    fn save(&mut self) {
        let rules = match self.draft.build() {
            Ok(r) => r,
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                self.message = Some((false, format!("Not saved: {}", list.join("; "))));
                return;
            }
        };
        let how = match &self.path {
            Some(p) => match forwarding::file::save(p, &rules) {
                Ok(()) => format!("Saved to {}", p.display()),
                Err(e) => {
                    self.message = Some((false, format!("Not saved: {e}")));
                    return;
                }
            },
            None => "Applied (no rules file configured, not saved to disk)".into(),
        };
        self.load_error = None;
        self.draft = RulesDraft::from_rules(&rules);
        if let Some(f) = self.on_saved.as_mut() {
            f(&rules);
        }
        self.saved = Some(rules);
        self.message = Some((true, how));
    }
}

fn error_line(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).color(theme::ERROR_TEXT));
}

/// A multi-line field with accessible name `name`.
fn named_multiline(ui: &mut Ui, name: &str, text: &mut String) -> egui::Response {
    let r = ui.add(egui::TextEdit::multiline(text).hint_text(name).desired_rows(3).desired_width(220.0));
    set_name(ui, &r, name);
    r
}

/// The editor window; `open` is its toolbar toggle.
pub fn window_ui(ctx: &egui::Context, open: &mut bool, ed: &mut ForwardingEditor) {
    egui::Window::new("Forwarding rules")
        .open(open)
        .default_size([580.0, 700.0])
        .vscroll(true)
        .show(ctx, |ui| editor_ui(ui, ed));
}

/// The editor's contents.
pub fn editor_ui(ui: &mut Ui, ed: &mut ForwardingEditor) {
    let built = ed.draft.build();
    let errors = built.as_ref().err().cloned().unwrap_or_default();
    let err_of = |field: &str| errors.get(field).cloned();
    if let Some(e) = &ed.load_error {
        error_line(ui, e);
    }
    match &ed.path {
        Some(p) => ui.label(RichText::new(format!("Rules file: {}", p.display())).weak()),
        None => ui.label(RichText::new("No rules file configured: Save applies the rules for this run only.").weak()),
    };

    ui.heading("Forwards by status");
    ui.horizontal_wrapped(|ui| {
        for kind in StatusKind::ALL {
            let r = ui.selectable_label(ed.tab == kind, status_title(kind));
            set_name(ui, &r, &format!("Rules for {}", status_title(kind)));
            if r.clicked() {
                ed.tab = kind;
            }
        }
    });
    let tab = ed.tab;
    egui::Grid::new("fwd-targets").num_columns(3).spacing([8.0, 4.0]).show(ui, |ui| {
        ui.label("");
        ui.label(RichText::new("Target (empty = off)").weak());
        ui.label(RichText::new("When (always, office, out-of-office, holiday, or mon-fri 08:00-17:00)").weak());
        ui.end_row();
        for f in Forward::ALL {
            let (target, time) = ed.draft.status_mut(tab).fields_mut(f);
            ui.label(f.label()).on_hover_text(f.help());
            named_text_field(ui, &format!("{} target", f.label()), target, 140.0, 128);
            named_text_field(ui, &format!("{} time", f.label()), time, 220.0, 256);
            ui.end_row();
            for msg in [err_of(&field_path(tab, f, false)), err_of(&field_path(tab, f, true))].into_iter().flatten() {
                ui.label("");
                error_line(ui, &format!("{}: {msg}", f.label()));
                ui.end_row();
            }
        }
    });
    if tab == StatusKind::Dnd {
        ui.label(
            RichText::new("While DND is in force these forwards are ignored (they apply outside the DND time).").weak(),
        );
    }

    ui.separator();
    ui.heading("Status, ringing and DND");
    egui::Grid::new("fwd-general").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
        ui.label("Rules in force for");
        ui.horizontal(|ui| {
            let r = egui::ComboBox::from_id_salt("rules-status")
                .selected_text(status_title(ed.draft.status))
                .show_ui(ui, |ui| {
                    for k in StatusKind::ALL {
                        ui.selectable_value(&mut ed.draft.status, k, status_title(k));
                    }
                })
                .response;
            set_name(ui, &r, "Status the rules apply for");
            if ed.draft.status == StatusKind::Custom {
                named_text_field(ui, "Rules custom text", &mut ed.draft.custom_text, 160.0, 64);
            }
        });
        ui.end_row();
        ui.label("Ring timeout (s)");
        named_text_field(ui, "Ring timeout", &mut ed.draft.ring_timeout, 60.0, 4);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut ed.draft.call_waiting, "Call waiting");
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut ed.draft.cfna_181, "Announce CFNA with 181")
            .on_hover_text("Send 181 Call Is Being Forwarded before the 302 when the ring timeout forwards a call");
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut ed.draft.dnd, "DND switch");
        ui.end_row();
        ui.label("DND time");
        named_text_field(ui, "DND time", &mut ed.draft.dnd_time, 220.0, 256);
        ui.end_row();
        ui.label("DND rejects with");
        let r = egui::ComboBox::from_id_salt("dnd-code")
            .selected_text(dnd_code_text(ed.draft.dnd_code))
            .show_ui(ui, |ui| {
                for code in [486, 480] {
                    ui.selectable_value(&mut ed.draft.dnd_code, code, dnd_code_text(code));
                }
            })
            .response;
        set_name(ui, &r, "DND response code");
        ui.end_row();
    });
    for field in ["ring_timeout", "dnd_time", "dnd_code", "whitelist_max", "custom_text"] {
        if let Some(m) = err_of(field) {
            error_line(ui, &format!("{field}: {m}"));
        }
    }
    // Problems in the other statuses' tabs.
    let this_tab = format!("per_status.{}.", tab.as_str());
    for (field, m) in errors.iter().filter(|(f, _)| f.starts_with("per_status.") && !f.starts_with(&this_tab)) {
        error_line(ui, &format!("{field}: {m}"));
    }

    ui.separator();
    calendar_ui(ui, ed, &errors);

    ui.separator();
    ui.heading("Whitelists");
    ui.label(RichText::new("One pattern a line: 1001, _10XX, _[1-3]XXX, _0. …").weak());
    ui.horizontal_top(|ui| {
        for (title, name, field) in [
            ("Never forwarded", "Forward whitelist", "fwd_whitelist"),
            ("Ring through DND", "DND whitelist", "dnd_whitelist"),
        ] {
            ui.vertical(|ui| {
                ui.label(title);
                let text =
                    if field == "fwd_whitelist" { &mut ed.draft.fwd_whitelist } else { &mut ed.draft.dnd_whitelist };
                named_multiline(ui, name, text);
                if let Some(m) = err_of(field) {
                    ui.set_max_width(240.0);
                    error_line(ui, &m);
                }
            });
        }
    });

    ui.separator();
    checker_ui(ui, ed, built.as_ref().ok());

    ui.separator();
    ui.horizontal(|ui| {
        let valid = built.is_ok();
        let r = ui.add_enabled(valid, egui::Button::new("Save rules"));
        if r.clicked() {
            ed.save();
        }
        if ui.button("Revert").clicked() {
            ed.draft = RulesDraft::from_rules(&ed.draft.base().clone());
            ed.message = None;
        }
        if !valid {
            error_line(ui, &format!("Fix {} field(s) to save.", errors.len()));
        }
    });
    for (ok, m) in [&ed.message, &ed.sync].into_iter().flatten() {
        ui.label(RichText::new(m).color(if *ok { theme::OK_TEXT } else { theme::ERROR_TEXT }));
    }
}

/// The calendar the time conditions refer to: time zone, office hours, holidays.
fn calendar_ui(ui: &mut Ui, ed: &mut ForwardingEditor, errors: &super::forwarding_draft::FieldErrors) {
    ui.heading("Calendar");
    ui.label(RichText::new("For the time conditions office, out-of-office and holiday. One period a line.").weak());
    ui.horizontal(|ui| {
        ui.label("Time zone");
        let r = ui.add(
            egui::TextEdit::singleline(&mut ed.draft.time_zone)
                .hint_text(format!("empty: this computer's ({})", ed.system_zone))
                .desired_width(220.0)
                .char_limit(64),
        );
        set_name(ui, &r, "Time zone (IANA)");
    });
    if let Some(m) = errors.get("time_zone") {
        error_line(ui, &format!("time_zone: {m}"));
    }
    ui.horizontal_top(|ui| {
        for (title, name, hint, field) in [
            ("Office hours", "Office hour periods", "mon-fri 08:00-17:00", "office_hours"),
            ("Holidays", "Holiday dates", "2026-12-24..2026-12-26", "holidays"),
        ] {
            ui.vertical(|ui| {
                ui.label(title);
                let text = if field == "office_hours" { &mut ed.draft.office_hours } else { &mut ed.draft.holidays };
                let r = ui.add(egui::TextEdit::multiline(text).hint_text(hint).desired_rows(3).desired_width(220.0));
                set_name(ui, &r, name);
                if let Some(m) = errors.get(field) {
                    ui.set_max_width(240.0);
                    error_line(ui, &format!("{field}: {m}"));
                }
            });
        }
    });
}

/// "What happens if [1005] calls now?"
fn checker_ui(ui: &mut Ui, ed: &mut ForwardingEditor, rules: Option<&Rules>) {
    ui.heading("Check");
    ui.horizontal_wrapped(|ui| {
        ui.label("What happens if");
        named_text_field(ui, "Caller to check", &mut ed.check_caller, 100.0, 128);
        ui.label("calls now while");
        let r = egui::ComboBox::from_id_salt("check-status")
            .selected_text(status_title(ed.check_status))
            .show_ui(ui, |ui| {
                for k in StatusKind::ALL {
                    ui.selectable_value(&mut ed.check_status, k, status_title(k));
                }
            })
            .response;
        set_name(ui, &r, "Status to check");
        ui.checkbox(&mut ed.check_busy, "in a call (busy)");
        ui.checkbox(&mut ed.check_rung_out, "after the ring timeout");
    });
    let Some(rules) = rules else {
        error_line(ui, "Fix the rules above to check them.");
        return;
    };
    if ed.check_caller.trim().is_empty() {
        ui.label(RichText::new("Type a caller's number.").weak());
        return;
    }
    let now = ed.now.unwrap_or_else(jiff::Timestamp::now);
    let status =
        ed.check_status.to_user_status(if rules.custom_text.is_empty() { "custom" } else { &rules.custom_text });
    let d = forwarding::decide(rules, &status, now, &ed.check_caller, ed.check_busy, ed.check_rung_out);
    let headline = match &d.action {
        Action::Ring => "ring".to_string(),
        Action::Forward { target, kind } => format!("forward ({}) to {target}", kind.as_str().to_uppercase()),
        Action::Reject { code } => format!("reject with {code}"),
    };
    let colour = match d.action {
        Action::Ring => theme::OK_TEXT,
        Action::Forward { .. } => theme::LED_GREEN.gamma_multiply(0.9),
        Action::Reject { .. } => theme::ERROR_TEXT,
    };
    ui.label(RichText::new(format!("Result: {headline}")).strong().color(colour));
    ui.label(format!("Why: {}", d.reason));
}

fn status_title(k: StatusKind) -> &'static str {
    match k {
        StatusKind::Available => "Available",
        StatusKind::Away => "Away",
        StatusKind::Chat => "Chat",
        StatusKind::Dnd => "DND",
        StatusKind::Unavailable => "Unavailable",
        StatusKind::Custom => "Custom",
    }
}

fn dnd_code_text(code: u16) -> &'static str {
    if code == 480 { "480 Temporarily Unavailable" } else { "486 Busy Here" }
}
