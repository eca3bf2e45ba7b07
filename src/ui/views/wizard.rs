//! The account wizard and the "Accounts…" window: list, add, edit, remove, set default, and
//! a **Test** that registers with the data typed in. Accounts go to the config file and
//! passwords only to the secret store, through [`crate::accounts`] (the same code as
//! `lampboard account …`). Saving, removing and testing run on worker threads: a frame
//! only polls their channels.
//!
//! On the first run (no account configured) the window opens by itself over the demo with
//! "Set up your account" and "Keep exploring the demo".

use crate::accounts::{self, NewSecrets, SecretSource};
use crate::config::{self, Account, Config, PbxProfile};
use crate::secrets::SecretStore;
use crate::sip::TransportKind;
use crate::ui::account_form::{self, AccountForm, Field, FormErrors};
use crate::ui::registration_test::{RegistrationTester, TestOutcome};
use crate::ui::theme;
use crate::ui::widgets::set_name;
use eframe::egui::{self, RichText, Ui};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Called with the account's name when the user asks to switch the console to it
/// (e.g. restart Lampboard on it).
pub type SwitchCallback = Box<dyn Fn(&egui::Context, &str) + Send>;

/// What the window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// First run: set up or keep the demo.
    Welcome,
    /// The configured accounts.
    List,
    /// The form (new account or editing one).
    Form,
}

/// A result line: ok (green) or not (red).
type Note = (bool, String);

/// What a finished worker reports: the line to show and the config file as it is now.
type JobResult = (Note, Option<Config>);

/// The account wizard's state; lives in [`super::ViewState::accounts`] via [`AccountsSlot`].
pub struct AccountsWindow {
    open: bool,
    page: Page,
    first_run: bool,
    config_path: PathBuf,
    store: SecretSource,
    tester: Arc<dyn RegistrationTester>,
    on_switch: Option<SwitchCallback>,
    config: Config,
    load_error: Option<String>,
    form: AccountForm,
    errors: FormErrors,
    test: Option<Receiver<TestOutcome>>,
    test_result: Option<TestOutcome>,
    job: Option<Receiver<JobResult>>,
    note: Option<Note>,
    saved_name: Option<String>,
    confirm_remove: Option<String>,
}

impl AccountsWindow {
    /// The window over the config file at `config_path`; passwords go to `store` (an `Err`
    /// says why there is none: saving a password then fails with that message). It starts
    /// closed; see [`AccountsWindow::first_run`].
    pub fn new(
        config_path: PathBuf,
        store: Result<Arc<dyn SecretStore>, String>,
        tester: Arc<dyn RegistrationTester>,
    ) -> AccountsWindow {
        Self::with_source(config_path, SecretSource::ready(store), tester)
    }

    /// As [`AccountsWindow::new`], with the secret store opened by `open` on first use, on
    /// a worker thread (the OS keyring's D-Bus connection never delays a frame or the start).
    pub fn with_store_opener(
        config_path: PathBuf,
        open: impl Fn() -> Result<Arc<dyn SecretStore>, String> + Send + Sync + 'static,
        tester: Arc<dyn RegistrationTester>,
    ) -> AccountsWindow {
        Self::with_source(config_path, SecretSource::lazy(open), tester)
    }

    fn with_source(config_path: PathBuf, store: SecretSource, tester: Arc<dyn RegistrationTester>) -> AccountsWindow {
        let (config, load_error) = match config::load_or_default(&config_path) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e.to_string())),
        };
        let first = config.accounts.is_empty();
        AccountsWindow {
            open: false,
            page: Page::List,
            first_run: false,
            config_path,
            store,
            tester,
            on_switch: None,
            config,
            load_error,
            form: AccountForm::new(first),
            errors: FormErrors::default(),
            test: None,
            test_result: None,
            job: None,
            note: None,
            saved_name: None,
            confirm_remove: None,
        }
    }

    /// Opens the window now on the welcome page (no account configured yet).
    pub fn first_run(mut self) -> AccountsWindow {
        self.open = true;
        self.first_run = true;
        self.page = Page::Welcome;
        self
    }

    /// Opens the window now on the account list with `note` (an error) above it, e.g. why
    /// the default account could not be started.
    pub fn open_with_error(mut self, note: &str) -> AccountsWindow {
        self.open = true;
        self.page = Page::List;
        self.note = Some((false, note.to_string()));
        self
    }

    /// Offers "Switch to this account now" after a save, calling `f`.
    pub fn on_switch(mut self, f: SwitchCallback) -> AccountsWindow {
        self.on_switch = Some(f);
        self
    }

    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Opens the window on the account list.
    pub fn open_list(&mut self) {
        self.open = true;
        self.page = Page::List;
    }

    /// The accounts as last read or written.
    pub fn accounts(&self) -> &[Account] {
        &self.config.accounts
    }

    /// Takes finished worker results; true while something still runs.
    fn poll(&mut self) -> bool {
        if let Some(rx) = &self.test {
            match rx.try_recv() {
                Ok(o) => {
                    self.test_result = Some(o);
                    self.test = None;
                }
                Err(TryRecvError::Disconnected) => {
                    self.test_result = Some(TestOutcome::Setup("the test stopped without a result".into()));
                    self.test = None;
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        if let Some(rx) = &self.job {
            match rx.try_recv() {
                Ok((note, config)) => {
                    if let Some(c) = config {
                        self.config = c;
                        self.load_error = None;
                    }
                    if note.0 && self.page == Page::Form {
                        self.saved_name = Some(self.form.name.trim().to_string());
                        self.page = Page::List;
                    }
                    self.note = Some(note);
                    self.job = None;
                }
                Err(TryRecvError::Disconnected) => {
                    self.note = Some((false, "the change stopped without a result".into()));
                    self.job = None;
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        self.test.is_some() || self.job.is_some()
    }

    /// Runs `work` on a worker thread; its result is taken by [`AccountsWindow::poll`].
    fn spawn_job(&mut self, work: impl FnOnce() -> Note + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        let path = self.config_path.clone();
        let spawned = std::thread::Builder::new().name("accounts".into()).spawn(move || {
            let note = work();
            let config = config::load_or_default(&path).ok();
            let _ = tx.send((note, config));
        });
        match spawned {
            Ok(_) => self.job = Some(rx),
            Err(e) => self.note = Some((false, format!("cannot start a worker thread: {e}"))),
        }
    }

    fn start_form(&mut self, form: AccountForm) {
        self.form = form;
        self.errors = FormErrors::default();
        self.test_result = None;
        self.note = None;
        self.saved_name = None;
        self.page = Page::Form;
    }

    fn save(&mut self) {
        let names: Vec<String> = self.config.accounts.iter().map(|a| a.name.clone()).collect();
        let checked = match self.form.check(&names) {
            Ok(c) => c,
            Err(e) => {
                self.errors = e;
                self.note = Some((false, "Nothing saved: fix the fields marked in red.".into()));
                return;
            }
        };
        self.errors = FormErrors::default();
        let needs_store = checked.secrets != NewSecrets::default();
        let source = self.store.clone();
        let path = self.config_path.clone();
        self.note = Some((true, "Saving…".into()));
        self.spawn_job(move || {
            // Opening the keyring may block (D-Bus): here, on the worker.
            let store = match (source.get(), needs_store) {
                (Ok(s), _) => Some(s),
                (Err(e), true) => return (false, format!("Nothing saved: the password cannot be stored: {e}")),
                (Err(_), false) => None,
            };
            let name = checked.account.name.clone();
            let where_ = store.as_ref().map(|s| s.describe()).unwrap_or_default();
            match accounts::save_account(
                &path,
                store.as_deref(),
                checked.account,
                &checked.secrets,
                checked.make_default,
            ) {
                Ok(s) => {
                    let pw = if s.password_stored { format!("; password stored in {where_}") } else { String::new() };
                    let def = if s.is_default { " (default account)" } else { "" };
                    (true, format!("Saved {name}{def} to {}{pw}.", path.display()))
                }
                Err(e) => (false, format!("Nothing saved: {e}")),
            }
        });
    }

    fn start_test(&mut self) {
        match self.form.check_for_test() {
            Ok((account, password)) => {
                self.errors = FormErrors::default();
                self.test_result = None;
                self.test = Some(self.tester.start(&account, &password));
            }
            Err(e) => {
                self.errors = e;
                self.test_result = None;
            }
        }
    }

    fn remove(&mut self, name: String) {
        let path = self.config_path.clone();
        let source = self.store.clone();
        self.spawn_job(move || match accounts::remove_account(&path, source.get().ok().as_deref(), &name) {
            Ok(r) => match r.password_deleted {
                Ok(_) => (true, format!("Removed {name} and its password.")),
                Err(e) => (true, format!("Removed {name}; its password could not be deleted: {e}")),
            },
            Err(e) => (false, format!("Not removed: {e}")),
        });
    }

    fn make_default(&mut self, name: String) {
        let path = self.config_path.clone();
        self.spawn_job(move || match accounts::set_default(&path, &name) {
            Ok(()) => (true, format!("{name} is the default account.")),
            Err(e) => (false, format!("Not changed: {e}")),
        });
    }
}

/// The window in a cloneable slot, so that [`super::ViewState`] stays `Clone + Debug`.
/// Empty: no "Accounts…" button (e.g. tests that do not need it).
#[derive(Clone, Default)]
pub struct AccountsSlot(Option<Arc<Mutex<AccountsWindow>>>);

impl std::fmt::Debug for AccountsSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "AccountsSlot(Some)" } else { "AccountsSlot(None)" })
    }
}

impl AccountsSlot {
    /// A slot holding `w`.
    pub fn new(w: AccountsWindow) -> AccountsSlot {
        AccountsSlot(Some(Arc::new(Mutex::new(w))))
    }

    /// Runs `f` on the window, if there is one.
    pub fn with<R>(&self, f: impl FnOnce(&mut AccountsWindow) -> R) -> Option<R> {
        // A panic in a frame cannot leave the window half-updated in a harmful way (plain
        // fields), so a poisoned lock is still usable.
        self.0.as_ref().map(|m| f(&mut m.lock().unwrap_or_else(|p| p.into_inner())))
    }
}

/// The "Accounts…" button (bottom right) and the window when open.
pub fn accounts_ui(ui: &mut Ui, slot: &mut AccountsSlot) {
    let ctx = ui.ctx().clone();
    slot.with(|w| {
        egui::Area::new(egui::Id::unique("accounts-button")).anchor(egui::Align2::RIGHT_BOTTOM, [-8.0, -8.0]).show(
            &ctx,
            |ui| {
                if ui.button("Accounts…").clicked() {
                    w.open_list();
                }
            },
        );
        if w.poll() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        if !w.open {
            return;
        }
        let mut open = true;
        let title = if w.first_run { "Lampboard setup" } else { "Accounts" };
        egui::Window::new(title)
            .id(egui::Id::unique("accounts-window"))
            .open(&mut open)
            .default_size([560.0, 640.0])
            .default_pos(ctx.content_rect().center() - egui::vec2(280.0, 320.0))
            .vscroll(true)
            .show(&ctx, |ui| match w.page {
                Page::Welcome => welcome_ui(ui, w),
                Page::List => list_ui(ui, w),
                Page::Form => form_ui(ui, w),
            });
        w.open &= open;
    });
}

fn note_ui(ui: &mut Ui, note: &Option<Note>) {
    if let Some((ok, text)) = note {
        ui.label(RichText::new(text).color(if *ok { theme::OK_TEXT } else { theme::ERROR_TEXT }));
    }
}

fn welcome_ui(ui: &mut Ui, w: &mut AccountsWindow) {
    ui.heading("Welcome to Lampboard");
    ui.label("No account is configured yet, so the console shows the demo office.");
    ui.label("Enter your PBX account to see your colleagues' lamps, or look around the demo first.");
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button("Set up your account").clicked() {
            w.start_form(AccountForm::new(w.config.accounts.is_empty()));
        }
        if ui.button("Keep exploring the demo").clicked() {
            w.open = false;
        }
    });
    ui.label(RichText::new("Later: the \"Accounts…\" button at the bottom right.").weak());
}

fn list_ui(ui: &mut Ui, w: &mut AccountsWindow) {
    if let Some(e) = &w.load_error {
        ui.label(RichText::new(format!("Config file: {e}")).color(theme::ERROR_TEXT));
    }
    ui.label(RichText::new(format!("Config file: {}", w.config_path.display())).weak());
    let default = w.config.default_account().map(|a| a.name.clone());
    if w.config.accounts.is_empty() {
        ui.label("No account yet.");
    }
    let mut action = None;
    egui::Grid::new("accounts-list").num_columns(2).striped(true).show(ui, |ui| {
        for a in &w.config.accounts {
            let is_default = default.as_deref() == Some(a.name.as_str());
            let mut text = format!("{} — {}@{} ({})", a.name, a.extension, a.server_spec(), a.transport);
            if is_default {
                text.push_str(" · default");
            }
            ui.label(text);
            ui.horizontal(|ui| {
                let busy = w.job.is_some();
                if ui.add_enabled(!busy, egui::Button::new("Edit")).labelled(ui, &format!("Edit {}", a.name)).clicked()
                {
                    action = Some(("edit", a.name.clone()));
                }
                let enabled = !busy && !is_default;
                let r = ui.add_enabled(enabled, egui::Button::new("Make default"));
                if r.labelled(ui, &format!("Make {} the default", a.name)).clicked() {
                    action = Some(("default", a.name.clone()));
                }
                if w.confirm_remove.as_deref() == Some(a.name.as_str()) {
                    let r = ui.add_enabled(!busy, egui::Button::new("Really remove?"));
                    if r.labelled(ui, &format!("Confirm removing {}", a.name)).clicked() {
                        action = Some(("remove", a.name.clone()));
                    }
                } else if ui.button("Remove").labelled(ui, &format!("Remove {}", a.name)).clicked() {
                    action = Some(("confirm", a.name.clone()));
                }
            });
            ui.end_row();
        }
    });
    match action {
        Some(("edit", n)) => {
            if let Some(a) = w.config.account(&n) {
                let form = AccountForm::edit(a, default.as_deref() == Some(n.as_str()));
                w.start_form(form);
            }
        }
        Some(("default", n)) => w.make_default(n),
        Some(("confirm", n)) => w.confirm_remove = Some(n),
        Some((_, n)) => {
            w.confirm_remove = None;
            w.remove(n);
        }
        None => {}
    }
    ui.add_space(6.0);
    if ui.button("Add account").clicked() {
        w.start_form(AccountForm::new(w.config.accounts.is_empty()));
    }
    note_ui(ui, &w.note);
    if let (Some(name), Some((true, _))) = (w.saved_name.clone(), &w.note) {
        match &w.on_switch {
            Some(f) => {
                if ui.button(format!("Switch to {name} now (restarts Lampboard)")).clicked() {
                    f(ui.ctx(), &name);
                }
            }
            None => {
                ui.label("Restart Lampboard to use it.");
            }
        }
    }
}

/// A labelled single-line input with its message under it when wrong; records the field in
/// `edited` when its text changed (its message then goes: it was about the old text).
fn field_ui(
    ui: &mut Ui,
    errors: &FormErrors,
    field: Field,
    text: &mut String,
    password: bool,
    edited: &mut Vec<Field>,
) {
    ui.label(format!("{}:", field.label()));
    ui.vertical(|ui| {
        let edit = egui::TextEdit::singleline(text).hint_text(field.hint()).desired_width(280.0).password(password);
        let r = ui.add(edit);
        set_name(ui, &r, field.label());
        if r.changed() {
            edited.push(field);
        }
        error_ui(ui, errors, field);
    });
    ui.end_row();
}

fn error_ui(ui: &mut Ui, errors: &FormErrors, field: Field) {
    if let Some(m) = errors.get(field) {
        ui.label(RichText::new(format!("{}: {m}", field.label())).color(theme::ERROR_TEXT));
    }
}

fn form_ui(ui: &mut Ui, w: &mut AccountsWindow) {
    let editing = w.form.editing.is_some();
    ui.heading(if editing { format!("Edit {}", w.form.name) } else { "New account".into() });
    let errors = w.errors.clone();
    let mut edited = Vec::new();
    let ed = &mut edited;
    let f = &mut w.form;
    egui::Grid::new("account-form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        if editing {
            ui.label(format!("{}:", Field::Name.label()));
            ui.label(&f.name);
            ui.end_row();
        } else {
            field_ui(ui, &errors, Field::Name, &mut f.name, false, ed);
        }
        field_ui(ui, &errors, Field::Server, &mut f.server, false, ed);
        field_ui(ui, &errors, Field::Port, &mut f.port, false, ed);
        ui.label(format!("{}:", Field::Transport.label()));
        ui.horizontal(|ui| {
            for (t, label) in [(TransportKind::Udp, "UDP"), (TransportKind::Tcp, "TCP"), (TransportKind::Tls, "TLS")] {
                let r = ui.radio_value(&mut f.transport, t, label);
                set_name(ui, &r, &format!("Transport {label}"));
            }
        });
        ui.end_row();
        field_ui(ui, &errors, Field::Domain, &mut f.domain, false, ed);
        field_ui(ui, &errors, Field::OutboundProxy, &mut f.outbound_proxy, false, ed);
        field_ui(ui, &errors, Field::Extension, &mut f.extension, false, ed);
        field_ui(ui, &errors, Field::AuthName, &mut f.auth_name, false, ed);
        field_ui(ui, &errors, Field::Password, &mut f.password, true, ed);
        if editing {
            ui.label("");
            ui.label(RichText::new("Leave the password empty to keep the stored one.").weak());
            ui.end_row();
        }
        field_ui(ui, &errors, Field::DisplayName, &mut f.display_name, false, ed);
        ui.label(format!("{}:", Field::Profile.label()));
        ui.vertical(|ui| {
            for p in PbxProfile::ALL {
                let label = account_form::profile_label(p);
                let r = ui.radio_value(&mut f.profile, p, label);
                set_name(ui, &r, &format!("Profile {label}"));
            }
            for line in account_form::profile_summary(f.profile) {
                ui.label(RichText::new(line).weak());
            }
            error_ui(ui, &errors, Field::Profile);
        });
        ui.end_row();
        if f.profile == PbxProfile::GrandstreamUcm {
            field_ui(ui, &errors, Field::UcmApiUrl, &mut f.ucm_api_url, false, ed);
            field_ui(ui, &errors, Field::UcmApiUser, &mut f.ucm_api_user, false, ed);
            field_ui(ui, &errors, Field::UcmApiPassword, &mut f.ucm_api_password, true, ed);
        }
    });
    for field in edited {
        w.errors.clear(field);
    }
    let f = &mut w.form;
    ui.checkbox(&mut f.make_default, "Make this the default account");
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let testing = w.test.is_some();
        if ui.add_enabled(!testing, egui::Button::new("Test")).labelled(ui, "Test registration").clicked() {
            w.start_test();
        }
        let saving = w.job.is_some();
        if ui.add_enabled(!saving, egui::Button::new("Save")).labelled(ui, "Save account").clicked() {
            w.save();
        }
        if ui.button("Cancel").clicked() {
            w.note = None;
            w.page = if w.first_run && w.config.accounts.is_empty() { Page::Welcome } else { Page::List };
        }
    });
    if w.test.is_some() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Testing the registration…");
        });
    }
    if let Some(o) = &w.test_result {
        let colour = if o.is_ok() { theme::OK_TEXT } else { theme::ERROR_TEXT };
        ui.label(RichText::new(format!("Test: {o}")).color(colour));
    }
    note_ui(ui, &w.note);
}

/// Gives a response an accessible name and returns it (for chaining).
trait Labelled {
    fn labelled(self, ui: &Ui, name: &str) -> Self;
}

impl Labelled for egui::Response {
    fn labelled(self, ui: &Ui, name: &str) -> Self {
        set_name(ui, &self, name);
        self
    }
}
