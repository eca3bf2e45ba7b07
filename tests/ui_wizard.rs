//! The account wizard driven headless with egui_kittest by accessible labels: the real
//! `LampboardApp` with the wizard over a temp config file and an in-memory secret store.
//! Save keeps the password out of the config file; bad input is refused per field; the Test
//! button registers for real against a private Kamailio.

mod common;

use common::Kamailio;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use lampboard::config::{self, Account};
use lampboard::secrets::{self, MemoryStore, SecretError, SecretStore};
use lampboard::ui::registration_test::{EngineTester, RegistrationTester};
use lampboard::ui::views::wizard::AccountsWindow;
use lampboard::ui::{LampboardApp, NullLink};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type H = Harness<'static, LampboardApp>;

fn config_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cfg").join("config.toml")
}

fn tester() -> Arc<dyn RegistrationTester> {
    Arc::new(EngineTester { timeout: Duration::from_secs(10) })
}

/// The console with the wizard over `path`; `first_run` opens it on the welcome page.
fn console(path: &Path, store: Result<Arc<dyn SecretStore>, String>, first_run: bool) -> H {
    let w = AccountsWindow::new(path.to_path_buf(), store, tester());
    console_with(if first_run { w.first_run() } else { w })
}

fn console_with(w: AccountsWindow) -> H {
    let mut h = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |_cc| LampboardApp::new(Box::new(NullLink), Vec::new(), false).with_accounts(w));
    h.run_steps(2);
    h
}

fn type_into(h: &mut H, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run_steps(1);
    h.get_by_label(label).type_text(text);
    h.run_steps(1);
}

fn click(h: &mut H, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run_steps(1);
    h.get_by_label(label).click();
    h.run_steps(2);
}

/// Steps the UI until a widget whose label contains `text` shows (workers run on threads).
fn wait_for(h: &mut H, text: &str, within: Duration) -> String {
    let until = Instant::now() + within;
    loop {
        h.run_steps(1);
        if let Some(n) = h.query_by_label_contains(text) {
            let node = n.accesskit_node();
            return node.label().filter(|l| l.contains(text)).or_else(|| node.value()).unwrap_or_default();
        }
        assert!(Instant::now() < until, "no {text:?} within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fills the form of a new account (the wizard must be on it).
fn fill(h: &mut H, name: &str, server: &str, port: &str, ext: &str, password: &str) {
    type_into(h, "Account name", name);
    type_into(h, "Server host", server);
    if !port.is_empty() {
        type_into(h, "Server port", port);
    }
    type_into(h, "Extension", ext);
    if !password.is_empty() {
        type_into(h, "Password", password);
    }
    type_into(h, "Display name", "Front Desk");
}

/// A config file that already holds the account `lab`.
fn with_lab(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let cfg = config::Config { accounts: vec![Account::new("lab", "lab.invalid", "2001")], ..Default::default() };
    config::save(&cfg, path).unwrap();
}

#[test]
fn the_wizard_stores_the_password_in_the_secret_store_and_never_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_path(&dir);
    with_lab(&path);
    let store = Arc::new(MemoryStore::new());
    store.set(&secrets::sip_key("lab"), "lab-pw-1").unwrap();
    let mut h = console(&path, Ok(store.clone()), true);
    h.get_by_label("Welcome to Lampboard");
    h.get_by_label("Keep exploring the demo");
    click(&mut h, "Set up your account");
    fill(&mut h, "office", "pbx.example.com", "5070", "1001", "pw-Secret-4711");
    click(&mut h, "Transport TCP");
    click(&mut h, "Profile Grandstream UCM");
    // The profile shows what it fills in.
    h.get_by_label_contains("*48");
    h.get_by_label_contains("UCM HTTPS API");
    type_into(&mut h, "UCM API URL", "https://ucm.example.com:8089/api");
    type_into(&mut h, "UCM API user", "cdrapi");
    type_into(&mut h, "UCM API password", "api-Secret-99");
    click(&mut h, "Make this the default account");
    click(&mut h, "Save account");
    let note = wait_for(&mut h, "Saved office", Duration::from_secs(10));
    assert!(note.contains("default account") && note.contains("password stored in memory"), "{note}");

    let text = std::fs::read_to_string(&path).unwrap();
    for secret in ["pw-Secret-4711", "lab-pw-1", "api-Secret-99"] {
        assert!(!text.contains(secret), "no password in the file:\n{text}");
    }
    let cfg = config::load(&path).unwrap();
    let office = cfg.account("office").expect("office saved");
    assert_eq!(
        (office.server.as_str(), office.port, office.extension.as_str()),
        ("pbx.example.com", Some(5070), "1001")
    );
    assert_eq!(office.transport, lampboard::sip::TransportKind::Tcp);
    assert_eq!(office.profile, config::PbxProfile::GrandstreamUcm);
    assert_eq!(office.display_name.as_deref(), Some("Front Desk"));
    assert_eq!(cfg.default_account.as_deref(), Some("office"));
    assert!(cfg.account("lab").is_some(), "the other account is kept");
    assert_eq!(store.get(&secrets::sip_key("office")).unwrap().as_deref(), Some("pw-Secret-4711"));
    assert_eq!(store.get(&secrets::ucm_api_key("office")).unwrap().as_deref(), Some("api-Secret-99"));
    assert_eq!(office.ucm_api.as_ref().map(|u| u.user.as_str()), Some("cdrapi"));
    assert_eq!(store.get(&secrets::sip_key("lab")).unwrap().as_deref(), Some("lab-pw-1"));
    // Back on the list, with both accounts.
    h.get_by_label("Edit office");
    h.get_by_label("Edit lab");
}

#[test]
fn invalid_fields_show_their_messages_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_path(&dir);
    let store = Arc::new(MemoryStore::new());
    let mut h = console(&path, Ok(store.clone()), true);
    click(&mut h, "Set up your account");
    fill(&mut h, "my office", "pbx.example.com:5060", "0", "", "");
    click(&mut h, "Save account");
    h.get_by_label_contains("Account name: use 1-64 letters");
    h.get_by_label_contains("Server host: put the port into the Server port field");
    h.get_by_label_contains("Server port: must be a number from 1 to 65535");
    h.get_by_label_contains("Extension: needed");
    h.get_by_label_contains("Password: needed");
    h.get_by_label_contains("Nothing saved");
    // Fixing a field takes its message away; the others stay until the next Save.
    h.get_by_label("Server host").set_text_value_accesskit("pbx.example.com");
    h.run_steps(2);
    assert!(h.query_by_label_contains("Server host: ").is_none());
    h.get_by_label_contains("Server port: must be");
    assert!(h.query_by_label_contains("SIP domain: ").is_none(), "a good field has no message");
    std::thread::sleep(Duration::from_millis(200));
    h.run_steps(2);
    assert!(!path.exists(), "no config file written");
    assert_eq!(store.get(&secrets::sip_key("my office")).unwrap(), None);
}

/// A keyring that refuses everything (locked).
struct LockedStore;

impl SecretStore for LockedStore {
    fn get(&self, _key: &str) -> Result<Option<String>, SecretError> {
        Err(SecretError::Locked("test keyring is locked".into()))
    }
    fn set(&self, _key: &str, _secret: &str) -> Result<(), SecretError> {
        Err(SecretError::Locked("test keyring is locked".into()))
    }
    fn delete(&self, _key: &str) -> Result<bool, SecretError> {
        Err(SecretError::Locked("test keyring is locked".into()))
    }
    fn describe(&self) -> String {
        "locked test keyring".into()
    }
    fn is_persistent(&self) -> bool {
        true
    }
}

#[test]
fn a_failing_secret_store_is_an_error_and_the_config_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_path(&dir);
    with_lab(&path);
    let before = std::fs::read_to_string(&path).unwrap();
    let mut h = console(&path, Ok(Arc::new(LockedStore)), false);
    click(&mut h, "Accounts…");
    click(&mut h, "Add account");
    fill(&mut h, "office", "pbx.example.com", "", "1001", "pw-1");
    click(&mut h, "Save account");
    let note = wait_for(&mut h, "Nothing saved", Duration::from_secs(10));
    assert!(note.contains("locked"), "{note}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "config unchanged");

    // No keyring at all (found when Save opens it, on the worker): said, nothing written.
    let opened = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = opened.clone();
    let w = AccountsWindow::with_store_opener(
        path.clone(),
        move || {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err("no Secret Service running".into())
        },
        tester(),
    );
    let mut h = console_with(w);
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 0, "not opened before it is needed");
    click(&mut h, "Accounts…");
    click(&mut h, "Add account");
    fill(&mut h, "office", "pbx.example.com", "", "1001", "pw-1");
    click(&mut h, "Save account");
    let note = wait_for(&mut h, "Nothing saved", Duration::from_secs(5));
    assert!(note.contains("no Secret Service running"), "{note}");
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "config unchanged");
}

#[test]
fn accounts_window_edits_sets_default_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_path(&dir);
    with_lab(&path);
    let store = Arc::new(MemoryStore::new());
    store.set(&secrets::sip_key("lab"), "lab-pw-1").unwrap();
    let mut h = console(&path, Ok(store.clone()), false);
    assert!(h.query_by_label("Edit lab").is_none(), "closed until asked for");
    click(&mut h, "Accounts…");
    // Edit: the stored password stays when the field is left empty.
    click(&mut h, "Edit lab");
    type_into(&mut h, "Display name", "Lab phone");
    click(&mut h, "Save account");
    wait_for(&mut h, "Saved lab", Duration::from_secs(10));
    let cfg = config::load(&path).unwrap();
    assert_eq!(cfg.account("lab").unwrap().display_name.as_deref(), Some("Lab phone"));
    assert_eq!(store.get(&secrets::sip_key("lab")).unwrap().as_deref(), Some("lab-pw-1"));
    // A second account, then make it the default, then remove the first.
    click(&mut h, "Add account");
    fill(&mut h, "office", "pbx.example.com", "", "1001", "pw-2");
    click(&mut h, "Save account");
    wait_for(&mut h, "Saved office", Duration::from_secs(10));
    click(&mut h, "Make office the default");
    wait_for(&mut h, "office is the default account", Duration::from_secs(10));
    assert_eq!(config::load(&path).unwrap().default_account.as_deref(), Some("office"));
    click(&mut h, "Remove lab");
    click(&mut h, "Confirm removing lab");
    wait_for(&mut h, "Removed lab", Duration::from_secs(10));
    let cfg = config::load(&path).unwrap();
    assert!(cfg.account("lab").is_none() && cfg.account("office").is_some());
    assert_eq!(store.get(&secrets::sip_key("lab")).unwrap(), None, "its password went too");
}

#[test]
fn test_button_registers_against_kamailio_and_names_a_wrong_password() {
    let k = Kamailio::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = config_path(&dir);
    let mut h = console(&path, Ok(Arc::new(MemoryStore::new())), true);
    click(&mut h, "Set up your account");
    fill(&mut h, "kam", "127.0.0.1", &k.sip_port.to_string(), "1001", &k.password("1001"));
    click(&mut h, "Test registration");
    let ok = wait_for(&mut h, "Test: ", Duration::from_secs(20));
    assert!(ok.starts_with("Test: Registered as sip:1001@127.0.0.1 (expires "), "{ok}\n{}", k.log());
    assert!(!path.exists(), "a test saves nothing");
    // The test engine un-registers when it is done.
    let until = Instant::now() + Duration::from_secs(10);
    while k.has_binding("1001") {
        assert!(Instant::now() < until, "binding left after the test:\n{}", k.ul_dump());
        std::thread::sleep(Duration::from_millis(100));
    }

    // The wrong password: the failure reason is shown.
    h.get_by_label("Password").set_text_value_accesskit("not-the-password");
    h.run_steps(2);
    click(&mut h, "Test registration");
    // The old result goes away when a new test starts.
    let bad = wait_for(&mut h, "Test: ", Duration::from_secs(20));
    assert!(bad.contains("Not registered: 401") && bad.contains("wrong password"), "{bad}\n{}", k.log());

    // Nobody answering: the port is closed.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    h.get_by_label("Server port").set_text_value_accesskit(&port.to_string());
    h.run_steps(2);
    click(&mut h, "Test registration");
    let none = wait_for(&mut h, "Test: ", Duration::from_secs(25));
    assert!(none.contains(&format!("127.0.0.1:{port}")), "{none}");
    assert!(
        none.starts_with("Test: Cannot reach") && none.contains("refused") || none.starts_with("Test: No answer"),
        "{none}"
    );
}
