//! What `lampboard` without a subcommand opens: the console on the default account from the
//! config file (password from the OS keyring, or `LAMPBOARD_PASSWORD`), or — with `--demo`,
//! or when no account is configured yet — on the embedded demo office.

use crate::api::Command;
use crate::api::Event;
use crate::cli::{AccountArgs, prepare};
use crate::config::{self, Paths, wall::KeyKind as WallKind};
use crate::desktop::external::{self, ExternalLink};
use crate::desktop::single::Listener;
use crate::engine;
use crate::history::{HistoryDb, HistoryRecorder, unix_ms};
use crate::ui::views::wizard::AccountsWindow;
use crate::ui::{self, ChannelLink, EngineLink, KeyDef, KeyKind, LampboardApp};
use eframe::egui;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

/// Puts the [`ExternalLink`] around the console's engine link.
type Wrap = dyn FnOnce(&egui::Context, Box<dyn EngineLink>) -> Box<dyn EngineLink>;

/// Opens the desktop app; returns the exit code.
pub fn desktop(force_demo: bool) -> i32 {
    desktop_with(force_demo, None, None)
}

/// As [`desktop`], for the single-instance launch: `instance` hears from later launches
/// (their click-to-call links become `Command::Dial`, and the window comes to the front);
/// `first` is sent once the console runs (this launch's own link).
pub fn desktop_with(force_demo: bool, instance: Option<Listener>, first: Option<Command>) -> i32 {
    // Every console link goes through `ExternalLink`, fed by the instance listener; the window
    // gets our icon.
    let wrap = move |ctx: &egui::Context, link: Box<dyn EngineLink>| -> Box<dyn EngineLink> {
        crate::desktop::icon::apply(ctx);
        let link = crate::desktop::link::wrap(ctx, link);
        let (link, tx) = ExternalLink::new(link);
        if let Some(c) = first {
            let _ = tx.send(c);
        }
        external::listen(instance, ctx, tx);
        Box::new(link)
    };
    let demo = |ctx: &egui::Context, wrap: Box<Wrap>| match demo_service(ctx) {
        Some((link, keys)) => LampboardApp::new(wrap(ctx, link), keys, true),
        None => {
            let office = crate::demo::DemoLink::new(ui::DEMO_SEED);
            let keys = office.keys();
            LampboardApp::new(wrap(ctx, Box::new(office)), keys, true)
        }
    };
    // Set by the wizard's "Switch to … now": the window closes and Lampboard starts again.
    let restart = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let restart_cfg = restart.clone();
    let result = match (force_demo, configured()) {
        (false, Some((mut cfg, keys, account))) => ui::run_with(move |ctx| {
            let repaint = ctx.clone();
            let waker_ctx = ctx.clone();
            let waker: engine::Waker = Arc::new(move || waker_ctx.request_repaint());
            // The forwarding rules file is the engine's call policy; the editor replaces it on save.
            let rules_path = crate::forwarding::file::default_path();
            let policy = rules_path.as_deref().and_then(|p| match crate::forwarding::file::load_or_default(p) {
                Ok(rules) => {
                    let (policy, handle) = engine::rules_policy::RulesPolicy::handle(rules);
                    cfg.policy = Some(handle);
                    Some(policy)
                }
                Err(e) => {
                    eprintln!("lampboard: forwarding rules not applied: {e}");
                    None
                }
            });
            let codes = cfg.account.feature_codes.clone();
            let backends = account.effective_presence_backends();
            let publish = crate::feature_status::publishes(&backends);
            match engine::spawn(cfg, waker) {
                Ok(h) => {
                    let (mut send, events) = h.into_parts();
                    let (ui_tx, ui_rx) = std::sync::mpsc::channel();
                    let sync = ucm_status_sync(&account, ui_tx.clone(), repaint.clone()).map(Arc::new);
                    let rules_sync = sync.clone();
                    // The status set in the status bar also selects which rules apply, and goes
                    // to the UCM when the account has its API configured.
                    let follow = policy.clone();
                    let send = move |c: crate::api::Command| {
                        if let crate::api::Command::SetPresence { status, note, .. } = &c {
                            if let Some(p) = &follow {
                                p.set_status(status, note.as_deref());
                            }
                            if let Some(s) = &sync {
                                s.set(status, note.as_deref());
                            }
                            if !publish {
                                // The account's status goes by the UCM API / feature code only.
                                return;
                            }
                        }
                        send(c);
                    };
                    let name = account.name.clone();
                    let (send, events) =
                        with_history(send, events, name, ui_tx, ui_rx, move || repaint.request_repaint());
                    let link = crate::feature_status::wrap(Box::new(ChannelLink::new(send, events)), &backends, codes);
                    let mut app = LampboardApp::new(wrap(ctx, link), keys, false);
                    if let Ok(db) = HistoryDb::open_platform() {
                        app = app.with_history_db(db);
                    }
                    if let Some(paths) = Paths::platform() {
                        app = app.with_settings_file(paths.config_file.clone()).with_wall_file(paths.config_file);
                    }
                    if let Some(path) = rules_path {
                        app = app.with_rules_file(path);
                    }
                    // Saved rules take effect here at once, and go to the UCM (so they hold
                    // while Lampboard is closed) when the account has its API configured.
                    if policy.is_some() || rules_sync.is_some() {
                        app = app.on_rules_saved(Box::new(move |r| {
                            if let Some(p) = &policy {
                                p.set(r.clone());
                            }
                            if let Some(s) = &rules_sync {
                                s.push_rules(r);
                            }
                        }));
                    }
                    if let Some(w) = accounts_window(restart_cfg) {
                        app = app.with_accounts(w);
                    }
                    app
                }
                Err(e) => {
                    eprintln!("lampboard: cannot start the engine ({e}); opening the demo office");
                    demo(ctx, Box::new(wrap))
                }
            }
        }),
        // No account yet: the demo, with the account wizard open over it.
        _ => {
            let first = if force_demo { None } else { first_run_wizard(restart.clone()) };
            ui::run_with(move |ctx| {
                let app = demo(ctx, Box::new(wrap));
                match first {
                    Some(w) => app.with_accounts(w),
                    None => app,
                }
            })
        }
    };
    if restart.load(std::sync::atomic::Ordering::SeqCst) && result.is_ok() {
        return restart_process();
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lampboard: cannot open the window: {e}");
            1
        }
    }
}

/// The demo office as a SIP service on loopback with the real engine registered to it: the
/// console's link (keeping the service alive) and the demo wall. `None` (and why, on
/// stderr) when the service or the engine cannot start: the caller falls back to the
/// simulated engine.
fn demo_service(ctx: &egui::Context) -> Option<(Box<dyn EngineLink>, Vec<KeyDef>)> {
    use crate::demo::service::{DemoService, ServiceConfig, ServiceLink};
    // The measurement settings (`LAMPBOARD_DEMO_KEYS`, `LAMPBOARD_DEMO_STILL`, for
    // `benches/startup.rs`) shape the simulated office only.
    if crate::demo::DemoOptions::from_env() != crate::demo::DemoOptions::default() {
        return None;
    }
    let service = match DemoService::start(ServiceConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lampboard: cannot start the demo SIP service ({e}); simulating the office instead");
            return None;
        }
    };
    let waker_ctx = ctx.clone();
    let waker: engine::Waker = Arc::new(move || waker_ctx.request_repaint());
    match engine::spawn(service.engine_config(), waker) {
        Ok(h) => {
            let keys = service.keys();
            let (send, events) = h.into_parts();
            let link = ServiceLink::new(Box::new(ChannelLink::new(send, events)), service);
            Some((Box::new(link), keys))
        }
        Err(e) => {
            eprintln!("lampboard: cannot start the engine for the demo ({e}); simulating the office instead");
            None
        }
    }
}

/// The default account's engine configuration and its wall, when one is configured and its
/// password can be had; otherwise the reason is logged and `None` (→ the demo).
fn configured() -> Option<(engine::EngineConfig, Vec<KeyDef>, config::account::Account)> {
    let paths = Paths::platform()?;
    let cfg = match config::load_or_default(&paths.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lampboard: {e}; opening the demo office");
            return None;
        }
    };
    let account = cfg.default_account()?.clone();
    // The account options at their defaults: `prepare` completes them from the config file.
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        account: AccountArgs,
    }
    let args = <Defaults as clap::Parser>::try_parse_from(["lampboard"]).ok()?.account;
    let engine_cfg = prepare(&args).ok()?;
    let keys = cfg
        .wall
        .pages
        .iter()
        .flat_map(|p| {
            p.keys.iter().map(move |k| {
                let kind = match k.kind {
                    WallKind::Presence => KeyKind::Presence,
                    WallKind::Blf => KeyKind::Blf,
                    WallKind::SpeedDial => KeyKind::SpeedDial,
                };
                let label = k.label.clone().unwrap_or_else(|| k.ext.clone());
                KeyDef::new(&k.ext, &label, kind, k.group.as_deref().unwrap_or(&p.name))
            })
        })
        .collect();
    Some((engine_cfg, keys, account))
}

/// Puts the call history recorder (SQLite in the platform data dir) between the engine and
/// the UI: every event and command passes it on its way. Without a usable database the
/// console runs on and says why on stderr.
fn with_history(
    mut send: impl FnMut(crate::api::Command) + Send + 'static,
    events: Receiver<Event>,
    account: String,
    tx: std::sync::mpsc::Sender<Event>,
    rx: Receiver<Event>,
    wake: impl Fn() + Send + 'static,
) -> (impl FnMut(crate::api::Command) + Send + 'static, Receiver<Event>) {
    let recorder = HistoryDb::open_platform()
        .and_then(|db| HistoryRecorder::new(db, Some(account)))
        .map_err(|e| eprintln!("lampboard: no call history: {e}"))
        .ok()
        .map(|r| Arc::new(Mutex::new(r)));
    let rec = recorder.clone();
    let _ = std::thread::Builder::new().name("history".into()).spawn(move || {
        for ev in events {
            if let Some(r) = &rec
                && let Ok(mut r) = r.lock()
                && let Err(e) = r.on_event(&ev, unix_ms(std::time::SystemTime::now()))
            {
                tracing::warn!(%e, "call history not written");
            }
            if tx.send(ev).is_err() {
                return;
            }
            wake();
        }
        // The engine is gone. Others (the UCM worker) also send into the UI's channel, so the
        // console would never see it disconnect: say so.
        let _ = tx.send(Event::Stopped);
        wake();
    });
    let send = move |c: crate::api::Command| {
        if let Some(r) = &recorder
            && let Ok(mut r) = r.lock()
        {
            r.on_command(&c);
        }
        send(c);
    };
    (send, rx)
}

/// The UCM status worker, when the account applies its status through the UCM API and the
/// API password is in the keyring; otherwise `None` (and why, on stderr).
fn ucm_status_sync(
    account: &config::account::Account,
    out: std::sync::mpsc::Sender<Event>,
    ctx: eframe::egui::Context,
) -> Option<crate::status_sync::StatusSync> {
    let backends = account.effective_presence_backends();
    if !backends.contains(&config::account::PresenceBackend::UcmApi) {
        return None;
    }
    let api = account.ucm_api.as_ref()?;
    let opened = crate::secrets::open_from_env().map_err(|e| eprintln!("lampboard: UCM API: {e}")).ok()?;
    let password = match opened.store.get(&crate::secrets::ucm_api_key(&account.name)) {
        Ok(Some(p)) => p,
        _ => {
            eprintln!(
                "lampboard: no UCM API password for {:?} in the keyring; status goes by PUBLISH only",
                account.name
            );
            return None;
        }
    };
    let cfg =
        crate::pbx::ucm_api::UcmConfig::new(&crate::pbx::ucm_api::UcmConfig::url_for(&api.url), &api.user, &password);
    Some(crate::status_sync::StatusSync::spawn(cfg, account.extension.clone(), out, move || ctx.request_repaint()))
}

/// The "Accounts…" window over the platform config file, with the OS keyring for passwords
/// and the real registration test; its "Switch to … now" sets `restart` and closes the window.
fn accounts_window(restart: Arc<std::sync::atomic::AtomicBool>) -> Option<AccountsWindow> {
    let paths = Paths::platform()?;
    // The wizard never falls back to a session-only store: a password that would be lost at
    // exit is an error the user must see (as with `lampboard account add`). The keyring is
    // opened on the wizard's worker thread when first needed.
    let open = || match crate::secrets::open_from_env() {
        Ok(o) => match o.fallback {
            None => Ok(o.store),
            Some(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    let tester = Arc::new(crate::ui::registration_test::EngineTester::default());
    let switch = move |ctx: &egui::Context, _name: &str| {
        restart.store(true, std::sync::atomic::Ordering::SeqCst);
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    };
    Some(AccountsWindow::with_store_opener(paths.config_file, open, tester).on_switch(Box::new(switch)))
}

/// The wizard opened over the demo when the console cannot run on an account: on its welcome
/// page when none is configured yet, else on the list saying why. `None` when the config file
/// cannot be read (its error is already on stderr).
fn first_run_wizard(restart: Arc<std::sync::atomic::AtomicBool>) -> Option<AccountsWindow> {
    let paths = Paths::platform()?;
    let cfg = config::load_or_default(&paths.config_file).ok()?;
    let w = accounts_window(restart)?;
    Some(match cfg.default_account() {
        None if cfg.accounts.is_empty() => w.first_run(),
        None => w.open_with_error("Several accounts and none is the default: choose one with \"Make default\"."),
        // `configured()` said why on stderr (e.g. no password in the keyring).
        Some(a) => w.open_with_error(&format!(
            "The account {} could not be started (the reason is in the log): edit it, e.g. type its password \
             again, then switch to it.",
            a.name
        )),
    })
}

/// Starts Lampboard again (same arguments, without `--demo`) in place of this process, so
/// that it opens on the account just saved. Returns an exit code only when that fails.
fn restart_process() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--demo").collect();
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("lampboard: cannot restart ({e}); start Lampboard again to use the new account");
            return 1;
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` only returns on failure.
        let e = std::process::Command::new(&exe).args(&args).exec();
        eprintln!("lampboard: cannot restart {} ({e}); start Lampboard again", exe.display());
        1
    }
    #[cfg(not(unix))]
    {
        match std::process::Command::new(&exe).args(&args).spawn() {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("lampboard: cannot restart {} ({e}); start Lampboard again", exe.display());
                1
            }
        }
    }
}
