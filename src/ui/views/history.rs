//! The call history (window "Call history"): missed / received / dialled / all calls,
//! search, call back (sends [`Command::Dial`]) and "mark missed as seen", read from the
//! [`HistoryDb`] the app is given. When the app records the history itself it feeds the
//! engine's call events to a [`HistoryRecorder`] ([`HistoryView::record_event`]).

use super::Outbox;
use crate::api::{Command, Event};
use crate::history::{CallRecord, Direction, Filter, HistoryDb, HistoryRecorder, Outcome, unix_ms};
use crate::ui::theme;
use crate::ui::widgets::{named_text_field, set_name};
use eframe::egui::{self, RichText, Ui};

/// Most calls the view lists.
pub const MAX_ROWS: usize = 500;
/// Most search hits read before narrowing them to the tab.
const SEARCH_SCAN: usize = 5_000;

/// Where the history comes from.
#[derive(Debug)]
enum Source {
    /// The app records the engine's calls into the database and shows it.
    Recording(HistoryRecorder),
    /// Someone else records (the engine driver); the app only reads.
    Reading(HistoryDb),
}

/// The history view's state and its database.
#[derive(Debug, Default)]
pub struct HistoryView {
    source: Option<Source>,
    tab: Filter,
    search: String,
    error: Option<String>,
    unseen: i64,
}

impl HistoryView {
    /// A view that records the engine's call events into `db` (as `account`) and shows them.
    pub fn recording(db: HistoryDb, account: Option<String>) -> Self {
        let mut v = Self::default();
        match HistoryRecorder::new(db, account) {
            Ok(r) => v.source = Some(Source::Recording(r)),
            Err(e) => v.error = Some(e.to_string()),
        }
        v.refresh_badge();
        v
    }

    /// A view that only reads `db` (another part of the process records).
    pub fn reading(db: HistoryDb) -> Self {
        let mut v = Self { source: Some(Source::Reading(db)), ..Self::default() };
        v.refresh_badge();
        v
    }

    /// The database, if any.
    pub fn db(&self) -> Option<&HistoryDb> {
        match self.source.as_ref()? {
            Source::Recording(r) => Some(r.db()),
            Source::Reading(db) => Some(db),
        }
    }

    /// Missed calls not seen yet (the toolbar badge).
    pub fn unseen_missed(&self) -> i64 {
        self.unseen
    }

    /// Records an engine event (only calls matter) when this view records.
    /// When it only reads, a call event still refreshes the badge (the recorder wrote first).
    pub fn record_event(&mut self, event: &Event) {
        if !matches!(event, Event::Call { .. }) {
            return;
        }
        if let Some(Source::Recording(r)) = self.source.as_mut()
            && let Err(e) = r.on_event(event, unix_ms(std::time::SystemTime::now()))
        {
            self.error = Some(e.to_string());
        }
        self.refresh_badge();
    }

    /// Notes a command sent to the engine (our own rejects) when this view records.
    pub fn record_command(&mut self, command: &Command) {
        if let Some(Source::Recording(r)) = self.source.as_mut() {
            r.on_command(command);
        }
    }

    fn refresh_badge(&mut self) {
        if let Some(db) = self.db() {
            match db.unseen_missed() {
                Ok(n) => self.unseen = n,
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn rows(&self) -> Result<Vec<CallRecord>, String> {
        let Some(db) = self.db() else { return Ok(Vec::new()) };
        let rows = if self.search.trim().is_empty() {
            db.recent(self.tab, MAX_ROWS)
        } else {
            // Search within the tab: the database searches all calls, the tab narrows.
            db.search(&self.search, SEARCH_SCAN)
                .map(|all| all.into_iter().filter(|c| in_tab(c, self.tab)).take(MAX_ROWS).collect())
        };
        rows.map_err(|e| e.to_string())
    }
}

/// Whether `c` belongs in the tab `f` (the same rules as the database's filters).
pub fn in_tab(c: &CallRecord, f: Filter) -> bool {
    match f {
        Filter::All => true,
        Filter::Missed => c.direction == Direction::In && c.outcome == Outcome::Missed,
        Filter::Received => c.direction == Direction::In && c.answered_at.is_some(),
        Filter::Dialled => c.direction == Direction::Out,
    }
}

/// "Eve (2005)", or the number alone.
pub fn who(c: &CallRecord) -> String {
    match c.remote_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} ({})", c.remote_number),
        None => c.remote_number.clone(),
    }
}

fn what(c: &CallRecord) -> &'static str {
    match (c.direction, c.outcome) {
        (Direction::In, Outcome::Missed) => "Missed call from",
        (Direction::In, Outcome::Rejected) => "Rejected call from",
        (Direction::In, Outcome::AnsweredElsewhere) => "Answered elsewhere, call from",
        (Direction::In, Outcome::InProgress) => "Call in progress from",
        (Direction::In, _) => "Received call from",
        (Direction::Out, Outcome::Failed) => "Failed call to",
        (Direction::Out, Outcome::Cancelled) => "Cancelled call to",
        (Direction::Out, Outcome::InProgress) => "Call in progress to",
        (Direction::Out, _) => "Dialled call to",
    }
}

/// Local date and time of Unix ms `ms` (`2026-11-25 14:05`).
pub fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The history window; `open` is its toolbar toggle.
pub fn window_ui(ctx: &egui::Context, open: &mut bool, view: &mut HistoryView, out: &mut Outbox) {
    egui::Window::new("Call history").open(open).default_size([520.0, 480.0]).show(ctx, |ui| history_ui(ui, view, out));
}

/// The history's contents.
pub fn history_ui(ui: &mut Ui, view: &mut HistoryView, out: &mut Outbox) {
    if let Some(e) = &view.error {
        ui.label(RichText::new(e).color(theme::ERROR_TEXT));
    }
    if view.db().is_none() {
        ui.label("No call history database.");
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (f, title) in [
            (Filter::Missed, "Missed"),
            (Filter::Received, "Received"),
            (Filter::Dialled, "Dialled"),
            (Filter::All, "All"),
        ] {
            let shown = if f == Filter::Missed && view.unseen > 0 {
                format!("{title} ({})", view.unseen)
            } else {
                title.to_owned()
            };
            let r = ui.selectable_label(view.tab == f, shown);
            set_name(ui, &r, &format!("{title} calls"));
            if r.clicked() {
                view.tab = f;
            }
        }
        ui.separator();
        named_text_field(ui, "Search history", &mut view.search, 160.0, 64);
        let label = if view.unseen > 0 {
            format!("Mark missed as seen ({})", view.unseen)
        } else {
            "Mark missed as seen".into()
        };
        let r = ui.add_enabled(view.unseen > 0, egui::Button::new(label));
        set_name(ui, &r, "Mark missed as seen");
        if r.clicked()
            && let Some(db) = view.db()
        {
            if let Err(e) = db.mark_missed_seen() {
                view.error = Some(e.to_string());
            }
            view.refresh_badge();
        }
    });
    ui.separator();
    let rows = match view.rows() {
        Ok(r) => r,
        Err(e) => {
            ui.label(RichText::new(e).color(theme::ERROR_TEXT));
            return;
        }
    };
    if rows.is_empty() {
        ui.label(RichText::new("No calls.").weak());
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
        egui::Grid::new("history-rows").num_columns(4).striped(true).spacing([10.0, 4.0]).show(ui, |ui| {
            for c in &rows {
                row_ui(ui, c, out);
                ui.end_row();
            }
        });
    });
}

fn row_ui(ui: &mut Ui, c: &CallRecord, out: &mut Outbox) {
    let missed = c.direction == Direction::In && c.outcome == Outcome::Missed;
    let unseen = missed && !c.seen;
    let mut text = RichText::new(format!("{} {}", what(c), who(c)));
    if missed {
        text = text.color(theme::ERROR_TEXT);
    }
    if unseen {
        text = text.strong();
    }
    let r = ui.label(text);
    let mut name = format!("{} {}, {}", what(c), who(c), when(c.started_at));
    if unseen {
        name.push_str(", not seen");
    }
    set_name(ui, &r, &name);
    if let Some(reason) = &c.reason {
        r.on_hover_text(reason);
    }
    ui.label(when(c.started_at));
    let secs = c.duration_secs();
    ui.label(if secs > 0 { format!("{}:{:02}", secs / 60, secs % 60) } else { String::new() });
    let call_back = ui.button("Call back");
    set_name(ui, &call_back, &format!("Call back {}", c.remote_number));
    if call_back.clicked() && !c.remote_number.is_empty() {
        out.push(Command::Dial { target: c.remote_number.clone() });
    }
}
