//! Import / Export: the wall to CSV or JSON, and keys into the wall from a wall file, a
//! Grandstream phone provisioning file or contacts (CSV, vCard). Files are chosen with the
//! system dialog (`rfd`, on its own thread so the console keeps running) or typed into the
//! path field, which is also what remains when no dialog is available. An import shows a
//! preview (keys, duplicates, errors) before it appends to or replaces the wall; the new
//! keys are watched and the wall is saved to the config file when the app knows it.
//!
//! The parsing is [`crate::wall_io`]; this file only moves text between files and the view.

use super::{Outbox, ViewState};
use crate::api::Command;
use crate::config::KeyKind as FileKind;
use crate::ui::state::{ConsoleState, KeyDef, KeyKind};
use crate::ui::theme;
use crate::ui::widgets::{named_text_field, set_name};
use crate::wall_io::{self, Apply, Import, ImportError, WallEntry, contacts_csv::ContactOptions};
use eframe::egui::{self, RichText, Ui};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// A dialog that answers faster than this did not open: there is no portal and no zenity.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);
/// Rows of the preview shown per list.
const PREVIEW_ROWS: usize = 12;

/// What the Import / Export window is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoTask {
    /// Write the wall as CSV.
    ExportCsv,
    /// Write the wall as JSON.
    ExportJson,
    /// Read a wall file (CSV or JSON).
    ImportWall,
    /// Read keys from a Grandstream provisioning file.
    ImportGrandstream,
    /// Read contacts (CSV or vCard).
    ImportContacts,
}

impl IoTask {
    /// All tasks, in menu order.
    pub const ALL: [IoTask; 5] =
        [IoTask::ExportCsv, IoTask::ExportJson, IoTask::ImportWall, IoTask::ImportGrandstream, IoTask::ImportContacts];

    /// The menu entry.
    pub fn label(self) -> &'static str {
        match self {
            IoTask::ExportCsv => "Export wall as CSV…",
            IoTask::ExportJson => "Export wall as JSON…",
            IoTask::ImportWall => "Import wall (CSV or JSON)…",
            IoTask::ImportGrandstream => "Import Grandstream phone keys (XML)…",
            IoTask::ImportContacts => "Import contacts (CSV or vCard)…",
        }
    }

    fn is_export(self) -> bool {
        matches!(self, IoTask::ExportCsv | IoTask::ExportJson)
    }

    fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            IoTask::ExportCsv => ("CSV", &["csv"]),
            IoTask::ExportJson => ("JSON", &["json"]),
            IoTask::ImportWall => ("Wall files", &["csv", "json", "txt"]),
            IoTask::ImportGrandstream => ("Provisioning files", &["xml", "cfg"]),
            IoTask::ImportContacts => ("Contacts", &["csv", "vcf", "vcard", "txt"]),
        }
    }
}

/// The "Import / Export" menu (in the wall toolbar): each entry opens the window on its task.
pub fn menu_ui(ui: &mut Ui, view: &mut ViewState) {
    let r = ui.menu_button("Import / Export", |ui| {
        for task in IoTask::ALL {
            if ui.button(task.label()).clicked() {
                view.io_task = Some(task);
                view.io_open = true;
                ui.close();
            }
        }
    });
    set_name(ui, &r.response, "Import / Export");
}

/// A file read and parsed, waiting for Append or Replace.
struct Preview {
    task: IoTask,
    path: String,
    import: Import,
}

/// The Import / Export window's own state (kept by the app; not `Clone`: it owns the
/// dialog's channel).
pub struct IoPanel {
    task: IoTask,
    path: String,
    dialog: Option<(Receiver<Option<PathBuf>>, Instant)>,
    no_dialog: bool,
    preview: Option<Preview>,
    message: Option<(bool, String)>,
    page: String,
    contact_kind: KeyKind,
    wall_file: Option<PathBuf>,
    /// The keys as last saved (or found at start), to save edits once.
    saved: Option<Vec<KeyDef>>,
}

impl Default for IoPanel {
    fn default() -> Self {
        Self {
            task: IoTask::ImportWall,
            path: String::new(),
            dialog: None,
            no_dialog: false,
            preview: None,
            message: None,
            page: String::new(),
            contact_kind: KeyKind::SpeedDial,
            wall_file: None,
            saved: None,
        }
    }
}

impl IoPanel {
    /// Saves the wall into the config file at `path` after each import.
    pub fn with_wall_file(path: PathBuf) -> Self {
        Self { wall_file: Some(path), ..Self::default() }
    }

    /// Saves the wall into the config file when its keys changed since the last save (edit
    /// mode: save, move, remove; imports). The first call only notes the keys. A wall with an
    /// unfinished key (no number yet) waits. Cheap when nothing changed: one comparison.
    pub fn autosave(&mut self, state: &ConsoleState) {
        let Some(file) = &self.wall_file else { return };
        let keys = state.keys();
        let Some(saved) = &self.saved else {
            self.saved = Some(keys.to_vec());
            return;
        };
        if saved.as_slice() == keys || keys.iter().any(|k| k.ext.trim().is_empty() || k.group.trim().is_empty()) {
            return;
        }
        match wall_io::persist::save_wall(file, &entries_of(keys)) {
            Ok(()) => self.saved = Some(keys.to_vec()),
            Err(e) => {
                tracing::warn!(%e, "wall not saved");
                self.message = Some((false, format!("The wall was not saved: {e}")));
                // Do not retry every frame: wait for the next change.
                self.saved = Some(keys.to_vec());
            }
        }
    }

    /// The config file imports are saved to, if any.
    pub fn wall_file(&self) -> Option<&Path> {
        self.wall_file.as_deref()
    }

    /// The last result line ("Exported 12 keys to …", or an error), and whether it is good news.
    pub fn message(&self) -> Option<(bool, &str)> {
        self.message.as_ref().map(|(ok, m)| (*ok, m.as_str()))
    }

    fn set_task(&mut self, task: IoTask) {
        if self.task != task {
            self.task = task;
            self.preview = None;
            self.message = None;
        }
    }

    /// Opens the system file dialog on its own thread.
    fn browse(&mut self) {
        let task = self.task;
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let (name, exts) = task.filter();
            let dialog = rfd::FileDialog::new().add_filter(name, exts);
            let picked = match task {
                IoTask::ExportCsv => dialog.set_file_name("lampboard-wall.csv").save_file(),
                IoTask::ExportJson => dialog.set_file_name("lampboard-wall.json").save_file(),
                _ => dialog.pick_file(),
            };
            let _ = tx.send(picked);
        });
        match spawned {
            Ok(_) => self.dialog = Some((rx, Instant::now())),
            Err(e) => self.message = Some((false, format!("cannot open the file dialog: {e}"))),
        }
    }

    /// Takes the dialog's answer, if it came.
    fn poll_dialog(&mut self, ctx: &egui::Context) {
        let Some((rx, started)) = &self.dialog else { return };
        match rx.try_recv() {
            Ok(Some(path)) => {
                self.path = path.display().to_string();
                self.no_dialog = false;
                self.dialog = None;
            }
            Ok(None) | Err(TryRecvError::Disconnected) => {
                // At once: nothing could be shown. Later: the user cancelled.
                self.no_dialog = started.elapsed() < NO_DIALOG_WITHIN;
                self.dialog = None;
            }
            Err(TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(100)),
        }
    }

    fn export(&mut self, state: &ConsoleState) {
        let path = self.path.trim();
        if path.is_empty() {
            self.message = Some((false, "Type a file path or choose one with Browse.".into()));
            return;
        }
        let entries = entries_of(state.keys());
        let text = match self.task {
            IoTask::ExportJson => wall_io::wall_json::export(&entries),
            _ => wall_io::wall_csv::export(&entries),
        };
        self.message = Some(match std::fs::write(path, text) {
            Ok(()) => (true, format!("Exported {} keys to {path}", entries.len())),
            Err(e) => (false, format!("Cannot write {path}: {e}")),
        });
    }

    fn read(&mut self) {
        self.preview = None;
        let path = self.path.trim().to_owned();
        if path.is_empty() {
            self.message = Some((false, "Type a file path or choose one with Browse.".into()));
            return;
        }
        match read_import(self.task, Path::new(&path)) {
            Ok(import) => {
                self.message = None;
                self.preview = Some(Preview { task: self.task, path, import });
            }
            Err(e) => self.message = Some((false, format!("{path}: {e}"))),
        }
    }

    fn apply(&mut self, how: Apply, state: &mut ConsoleState, out: &mut Outbox) {
        let Some(preview) = self.preview.take() else { return };
        let page = wall_io::clip_page(&self.page);
        let contact_kind = file_kind(self.contact_kind);
        let mut import = preview.import;
        for k in &mut import.keys {
            if !page.is_empty() {
                k.entry.page = page.clone();
            }
            if preview.task == IoTask::ImportContacts {
                k.entry.kind = contact_kind;
            }
        }
        let before: Vec<KeyDef> = state.keys().to_vec();
        let (wall, skipped) = wall_io::apply(&entries_of(&before), &import, how);
        let keys: Vec<KeyDef> = wall.iter().map(key_of).collect();
        watch_new(&before, &keys, out);
        state.set_keys(keys);
        let added = import.keys.len() - skipped.len();
        let mut msg =
            format!("{} {added} keys from {}", if how == Apply::Replace { "Loaded" } else { "Added" }, preview.path);
        if !skipped.is_empty() {
            msg.push_str(&format!(" ({} already on the wall)", skipped.len()));
        }
        match &self.wall_file {
            Some(file) => match wall_io::persist::save_wall(file, &wall) {
                Ok(()) => {
                    self.saved = Some(state.keys().to_vec());
                    msg.push_str("; saved");
                }
                Err(e) => {
                    self.message = Some((false, format!("{msg}, but the wall was not saved: {e}")));
                    return;
                }
            },
            None => msg.push_str("; not saved (no config file in this session)"),
        }
        self.message = Some((true, msg));
    }
}

/// Reads and parses the file at `path` for `task`.
fn read_import(task: IoTask, path: &Path) -> Result<Import, ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::file(format!("cannot read: {e}")))?;
    if meta.len() > wall_io::MAX_INPUT_BYTES as u64 {
        return Err(ImportError::file(format!(
            "the file has {} bytes; at most {} are read",
            meta.len(),
            wall_io::MAX_INPUT_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| ImportError::file(format!("cannot read: {e}")))?;
    let text = wall_io::decode_utf8(&bytes)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let head = text.trim_start_matches('\u{feff}').trim_start();
    match task {
        IoTask::ImportWall if ext == "json" || head.starts_with('{') => wall_io::wall_json::import(&text),
        IoTask::ImportWall => wall_io::wall_csv::import(&text),
        IoTask::ImportGrandstream => wall_io::grandstream::import(&text),
        IoTask::ImportContacts => {
            let opts = ContactOptions::default();
            if ext == "vcf" || ext == "vcard" || head.to_ascii_uppercase().starts_with("BEGIN:VCARD") {
                wall_io::vcard::import(&text, &opts)
            } else {
                wall_io::contacts_csv::import(&text, &opts)
            }
        }
        IoTask::ExportCsv | IoTask::ExportJson => Err(ImportError::file("not an import")),
    }
}

/// Asks the engine to watch the lamp keys of `after` that `before` did not watch the same way.
fn watch_new(before: &[KeyDef], after: &[KeyDef], out: &mut Outbox) {
    for kind in [KeyKind::Presence, KeyKind::Blf] {
        let mut targets: Vec<String> = Vec::new();
        for k in after.iter().filter(|k| k.kind == kind) {
            let known = before.iter().any(|b| b.kind == kind && b.ext == k.ext);
            if !known && !targets.contains(&k.ext) {
                targets.push(k.ext.clone());
            }
        }
        if !targets.is_empty() {
            out.push(Command::Watch { targets, events: super::edit::packages(kind), list: None });
        }
    }
}

/// The wall's keys in the file model.
pub fn entries_of(keys: &[KeyDef]) -> Vec<WallEntry> {
    keys.iter()
        .map(|k| WallEntry {
            page: k.group.clone(),
            label: k.label.clone(),
            ext: k.ext.clone(),
            kind: file_kind(k.kind),
        })
        .collect()
}

/// A file-model key as a wall key.
pub fn key_of(e: &WallEntry) -> KeyDef {
    let kind = match e.kind {
        FileKind::Presence => KeyKind::Presence,
        FileKind::Blf => KeyKind::Blf,
        FileKind::SpeedDial => KeyKind::SpeedDial,
    };
    KeyDef::new(&e.ext, &e.label, kind, &e.page)
}

fn file_kind(k: KeyKind) -> FileKind {
    match k {
        KeyKind::Presence => FileKind::Presence,
        KeyKind::Blf => FileKind::Blf,
        KeyKind::SpeedDial => FileKind::SpeedDial,
    }
}

/// The Import / Export window.
pub fn window_ui(
    ctx: &egui::Context,
    view: &mut ViewState,
    panel: &mut IoPanel,
    state: &mut ConsoleState,
    out: &mut Outbox,
) {
    if let Some(task) = view.io_task.take() {
        panel.set_task(task);
    }
    if !view.io_open {
        return;
    }
    panel.poll_dialog(ctx);
    let mut open = view.io_open;
    egui::Window::new("Import / Export").open(&mut open).resizable(true).default_width(520.0).show(ctx, |ui| {
        ui.horizontal_wrapped(|ui| {
            for task in IoTask::ALL {
                let text = task.label().trim_end_matches('…');
                if ui.selectable_label(panel.task == task, text).clicked() {
                    panel.set_task(task);
                }
            }
        });
        ui.separator();
        path_ui(ui, panel);
        if panel.task.is_export() {
            let n = state.keys().len();
            if ui
                .add_enabled(
                    panel.dialog.is_none(),
                    egui::Button::new(if n == 1 { "Export 1 key".to_owned() } else { format!("Export {n} keys") }),
                )
                .clicked()
            {
                panel.export(state);
            }
        } else {
            if ui.add_enabled(panel.dialog.is_none(), egui::Button::new("Read file")).clicked() {
                panel.read();
            }
            if preview_ui(ui, panel, state, out) {
                // The keys moved: an open key editor would edit the wrong key.
                view.selected = None;
                view.draft = None;
            }
        }
        if let Some((ok, m)) = &panel.message {
            let colour = if *ok { theme::OK_TEXT } else { theme::ERROR_TEXT };
            ui.label(RichText::new(m).color(colour));
        }
    });
    view.io_open = open;
}

fn path_ui(ui: &mut Ui, panel: &mut IoPanel) {
    ui.horizontal(|ui| {
        let r = named_text_field(ui, "File path", &mut panel.path, 340.0, 4096);
        if r.changed() {
            panel.preview = None;
        }
        let browsing = panel.dialog.is_some();
        if ui.add_enabled(!browsing, egui::Button::new("Browse…")).clicked() {
            panel.browse();
        }
        if browsing {
            ui.spinner();
        }
    });
    if panel.no_dialog {
        ui.label(
            RichText::new("No file dialog is available here (no desktop portal or zenity): type the path above.")
                .color(theme::KEY_TEXT_DIM),
        );
    }
}

/// The preview and its buttons; true when the import was applied.
fn preview_ui(ui: &mut Ui, panel: &mut IoPanel, state: &mut ConsoleState, out: &mut Outbox) -> bool {
    let Some(preview) = &panel.preview else { return false };
    ui.separator();
    ui.label(RichText::new(format!("Preview: {}", preview.import.summary())).strong());
    let imp = &preview.import;
    egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
        for k in imp.keys.iter().take(PREVIEW_ROWS) {
            let slot = match (&k.slot, k.account) {
                (Some(s), Some(a)) => format!(" [{s}, account {a}]"),
                (Some(s), None) => format!(" [{s}]"),
                _ => String::new(),
            };
            let kind = wall_io::kind_word(k.entry.kind);
            ui.label(format!("{} — {} ({kind}, page {}){slot}", k.entry.label, k.entry.ext, k.entry.page));
        }
        if imp.keys.len() > PREVIEW_ROWS {
            ui.label(RichText::new(format!("… and {} more keys", imp.keys.len() - PREVIEW_ROWS)).weak());
        }
        for d in imp.duplicates.iter().take(PREVIEW_ROWS) {
            let first = d.first_line.map(|l| format!(" (first on line {l})")).unwrap_or_default();
            ui.label(
                RichText::new(format!("Duplicate: line {}: {} again{first}", d.line, d.ext)).color(theme::KEY_TEXT_DIM),
            );
        }
        for e in imp.errors.iter().take(PREVIEW_ROWS) {
            ui.label(RichText::new(format!("Error: {e}")).color(theme::ERROR_TEXT));
        }
        for s in imp.skipped.iter().take(PREVIEW_ROWS) {
            ui.label(RichText::new(format!("Skipped: {s}")).color(theme::KEY_TEXT_DIM));
        }
        for (mode, n) in &imp.other_modes {
            ui.label(RichText::new(format!("Not imported: {n} × {mode}")).color(theme::KEY_TEXT_DIM));
        }
    });
    ui.horizontal(|ui| {
        ui.label("Page");
        named_text_field(ui, "Page for imported keys", &mut panel.page, 160.0, wall_io::MAX_PAGE_CHARS)
            .on_hover_text("Empty: the pages the file names");
        if preview.task == IoTask::ImportContacts {
            let r = egui::ComboBox::from_id_salt("contact-kind")
                .selected_text(panel.contact_kind.label())
                .show_ui(ui, |ui| {
                    for k in KeyKind::ALL {
                        ui.selectable_value(&mut panel.contact_kind, k, k.label());
                    }
                })
                .response;
            set_name(ui, &r, "Contacts become");
        }
    });
    let can = !preview.import.keys.is_empty();
    let mut how = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(can, egui::Button::new("Append"))
            .on_hover_text("Add the keys after the wall's keys")
            .clicked()
        {
            how = Some(Apply::Append);
        }
        if ui
            .add_enabled(can, egui::Button::new("Replace"))
            .on_hover_text("Use these keys instead of the wall's keys")
            .clicked()
        {
            how = Some(Apply::Replace);
        }
    });
    match how {
        Some(how) => {
            panel.apply(how, state, out);
            true
        }
        None => false,
    }
}
