//! `lampboard account …`, `--account NAME` and `lampboard history` as a user runs them:
//! a temp XDG config/data dir, and the session-only store (`LAMPBOARD_SECRET_STORE=memory:`,
//! the documented test hook); with `dbus-run-session` and `gnome-keyring-daemon` installed,
//! also against a real Secret Service.

use lampboard::api::Event;
use lampboard::history::{HistoryDb, HistoryRecorder};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    fn config_file(&self) -> PathBuf {
        self.dir.path().join("config/lampboard/config.toml")
    }

    fn history_db(&self) -> PathBuf {
        self.dir.path().join("data/lampboard/history.sqlite3")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lampboard"));
        c.args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("LAMPBOARD_SECRET_STORE", "memory:")
            .env_remove("LAMPBOARD_PASSWORD")
            .env_remove("LAMPBOARD_UCM_API_PASSWORD")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str], password: Option<&str>) -> Output {
        let mut c = self.cmd(args);
        if let Some(p) = password {
            c.env("LAMPBOARD_PASSWORD", p);
        }
        c.output().unwrap()
    }
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn add_list_default_remove() {
    let env = Env::new();
    let out = env.run(
        &["account", "add", "office", "--server", "127.0.0.1:5070", "--user", "1001", "--profile", "grandstream_ucm"],
        Some("pw-office-123"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let added = &lines(&out)[0];
    assert_eq!(added["event"], "account_added");
    assert_eq!(added["name"], "office");
    assert_eq!(added["password_stored"], true);
    assert_eq!(added["default"], true, "the first account becomes the default");
    assert!(added["secret_store"].as_str().unwrap().contains("session only"), "{added}");

    let out = env.run(
        &[
            "account",
            "add",
            "lab",
            "--server",
            "[::1]:5080",
            "--user",
            "2001",
            "--transport",
            "tcp",
            "--profile",
            "kamailio",
        ],
        Some("pw-lab-456"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["default"], false);

    // The file holds the accounts, never the passwords.
    let text = std::fs::read_to_string(env.config_file()).unwrap();
    assert!(text.contains("name = \"office\"") && text.contains("name = \"lab\""), "{text}");
    assert!(!text.contains("pw-office-123") && !text.contains("pw-lab-456"), "{text}");
    assert!(!text.to_ascii_lowercase().lines().any(|l| !l.starts_with('#') && l.contains("password")), "{text}");

    let out = env.run(&["account", "list"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = lines(&out);
    assert_eq!(listed.len(), 2);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pw-"), "no secrets in the list");
    let office = &listed[0];
    assert_eq!((office["event"].as_str(), office["name"].as_str()), (Some("account"), Some("office")));
    assert_eq!(office["server"], "127.0.0.1:5070");
    assert_eq!(office["extension"], "1001");
    assert_eq!(office["profile"], "grandstream_ucm");
    assert_eq!(office["feature_codes"]["presence"], "*48");
    assert_eq!(office["feature_codes"]["park"], "#72");
    assert_eq!(office["default"], true);
    let lab = &listed[1];
    assert_eq!((lab["server"].as_str(), lab["transport"].as_str()), (Some("[::1]:5080"), Some("tcp")));
    assert_eq!(lab["presence_backends"], serde_json::json!(["publish"]));

    let out = env.run(&["account", "default", "lab"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = lines(&env.run(&["account", "list"], None));
    assert_eq!((listed[0]["default"].as_bool(), listed[1]["default"].as_bool()), (Some(false), Some(true)));

    let out = env.run(&["account", "remove", "lab"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["event"], "account_removed");
    let listed = lines(&env.run(&["account", "list"], None));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "office");

    for args in [&["account", "remove", "lab"][..], &["account", "default", "ghost"][..]] {
        let out = env.run(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("no account is called"), "{}", stderr(&out));
    }
}

#[test]
fn add_refuses_bad_input_without_touching_the_file() {
    let env = Env::new();
    // No password and no terminal to ask on.
    let out = env.run(&["account", "add", "a", "--server", "pbx", "--user", "1"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("LAMPBOARD_PASSWORD"), "{}", stderr(&out));
    assert!(!env.config_file().exists(), "nothing saved");
    // --no-password is fine.
    let out = env.run(&["account", "add", "a", "--server", "pbx", "--user", "1", "--no-password"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["password_stored"], false);
    let before = std::fs::read_to_string(env.config_file()).unwrap();
    // Bad name, bad profile, bad server.
    for args in [
        &["account", "add", "bad name", "--server", "pbx", "--user", "1"][..],
        &["account", "add", "b", "--server", "pbx", "--user", "1", "--profile", "cisco"][..],
        &["account", "add", "b", "--server", "pbx:notaport", "--user", "1"][..],
    ] {
        let out = env.run(args, Some("pw"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), before);

    // A broken config file: a clear error with its line, and the file is left alone.
    let broken = format!("{before}\n[prefs]\nkey_size = \"big\"\n");
    std::fs::write(env.config_file(), &broken).unwrap();
    for args in [&["account", "list"][..], &["account", "add", "c", "--server", "p", "--user", "3"][..]] {
        let out = env.run(args, Some("pw"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        let line = broken.lines().count();
        assert!(err.contains(&format!("config.toml:{line}:")) && err.contains("prefs.key_size"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), broken);
}

#[test]
fn account_flag_takes_the_configured_account() {
    let env = Env::new();
    let out = env.run(&["account", "add", "office", "--server", "127.0.0.1:9", "--user", "1001"], Some("pw"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // An unknown account is a usage error naming it.
    let out = env.run(&["register", "--account", "ghost", "--once"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no account is called \"ghost\""), "{}", stderr(&out));
    // The memory store forgot the password with the process that added it: the message says
    // where the password should have been, and nothing is sent.
    let out = env.run(&["register", "--account", "office", "--once"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no password for account \"office\""), "{}", stderr(&out));
    // Without --account or --server, the default account is used the same way.
    let out = env.run(&["register", "--once"], None);
    assert!(stderr(&out).contains("no password for account \"office\""), "{}", stderr(&out));
    // No account configured and no --server: the usage error says what is missing.
    let empty = Env::new();
    let out = empty.run(&["register", "--once"], Some("pw"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--server and --user are required"), "{}", stderr(&out));
}

#[test]
fn history_prints_json_lines() {
    let env = Env::new();
    // No database yet: nothing, and nothing created.
    let out = env.run(&["history"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(!env.history_db().exists());

    let mut rec = HistoryRecorder::new(HistoryDb::open(&env.history_db()).unwrap(), Some("office".into())).unwrap();
    let ev = |id: &str, state: &str, dir: &str| Event::Call {
        id: id.into(),
        state: state.into(),
        direction: dir.into(),
        remote: "Anna <sip:1002@pbx>".into(),
        code: None,
        reason: None,
    };
    rec.on_event(&ev("c1", "ringing", "in"), 1_000).unwrap();
    rec.on_event(&ev("c1", "ended", "in"), 5_000).unwrap();
    rec.on_event(&ev("c2", "calling", "out"), 9_000).unwrap();
    rec.on_event(&ev("c2", "answered", "out"), 10_000).unwrap();
    rec.on_event(&ev("c2", "ended", "out"), 70_000).unwrap();
    drop(rec);

    let all = lines(&env.run(&["history"], None));
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["event"], "history");
    assert_eq!((all[0]["direction"].as_str(), all[0]["outcome"].as_str()), (Some("out"), Some("answered")));
    assert_eq!(all[0]["duration_secs"], 60);
    let missed = lines(&env.run(&["history", "--missed"], None));
    assert_eq!(missed.len(), 1);
    assert_eq!((missed[0]["remote_number"].as_str(), missed[0]["seen"].as_bool()), (Some("1002"), Some(false)));
    assert_eq!(lines(&env.run(&["history", "--limit", "1"], None)).len(), 1);
    assert_eq!(lines(&env.run(&["history", "--dialled"], None)).len(), 1);
    env.run(&["history", "--missed", "--mark-seen"], None);
    assert_eq!(lines(&env.run(&["history", "--missed"], None))[0]["seen"], true);
    let id = all[1]["id"].as_i64().unwrap().to_string();
    let out = env.run(&["history", "--delete", &id], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&env.run(&["history"], None)).len(), 1);
    assert_eq!(env.run(&["history", "--delete", &id], None).status.code(), Some(2));
}

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn add_and_remove_with_a_real_secret_service() {
    if !have("dbus-run-session") || !have("gnome-keyring-daemon") {
        eprintln!("SKIP: dbus-run-session or gnome-keyring-daemon missing; apt-get install dbus gnome-keyring");
        return;
    }
    let env = Env::new();
    let exe = env!("CARGO_BIN_EXE_lampboard");
    // One private D-Bus session for add, a check and remove; the keyring lives in the temp HOME.
    let script = format!(
        "printf lampboard-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
         LAMPBOARD_PASSWORD=real-pw '{exe}' account add office --server 127.0.0.1:9 --user 1001 && \
         (timeout 5 '{exe}' register --account office --once >/dev/null 2>\"$ERRFILE\"; true); \
         '{exe}' account remove office"
    );
    let errfile = env.dir.path().join("register.err");
    let c = env.cmd(&[]);
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .envs(c.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))))
        .env_remove("LAMPBOARD_SECRET_STORE")
        .env("XDG_RUNTIME_DIR", env.dir.path())
        .env("ERRFILE", &errfile)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let got: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let added = got.iter().find(|v| v["event"] == "account_added").unwrap_or_else(|| panic!("{text}{}", stderr(&out)));
    assert_eq!(added["password_stored"], true);
    assert!(added["secret_store"].as_str().unwrap().contains("Secret Service"), "{added}");
    let removed = got.iter().find(|v| v["event"] == "account_removed").expect("removed");
    assert_eq!(removed["password_deleted"], true, "the keyring entry existed and was deleted: {text}");
    // `--account office` found its password in the keyring (it then tried the server).
    let register_err = std::fs::read_to_string(&errfile).unwrap_or_default();
    assert!(!register_err.contains("no password"), "{register_err}");
}

#[test]
fn explicit_flags_override_the_configured_account() {
    use clap::Parser;
    use lampboard::cli::{Cli, Sub};
    use lampboard::config::Account;
    use lampboard::sip::TransportKind;

    let parse = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
        Some(Sub::Register(r)) => r.account,
        other => panic!("{other:?}"),
    };
    let mut a = Account::new("office", "pbx.example.com", "1001");
    a.port = Some(5070);
    a.transport = TransportKind::Tcp;
    a.auth_user = Some("auth1001".into());
    a.display_name = Some("Reception".into());

    let from_config = parse(&["lampboard", "register", "--account", "office"]).overlaid_on(&a);
    assert_eq!(from_config.server.as_deref(), Some("pbx.example.com:5070"));
    assert_eq!(from_config.user.as_deref(), Some("1001"));
    assert_eq!(from_config.auth_user.as_deref(), Some("auth1001"));
    assert_eq!(from_config.transport, Some(TransportKind::Tcp));
    assert_eq!(from_config.display_name.as_deref(), Some("Reception"));
    let cfg = from_config.engine_config("pw".into()).unwrap();
    assert_eq!((cfg.server.as_str(), cfg.transport), ("pbx.example.com:5070", TransportKind::Tcp));
    assert_eq!(cfg.account.domain, "pbx.example.com");

    let overridden = parse(&[
        "lampboard",
        "register",
        "--account",
        "office",
        "--server",
        "10.0.0.1",
        "--user",
        "1009",
        "--transport",
        "udp",
    ])
    .overlaid_on(&a);
    assert_eq!(overridden.server.as_deref(), Some("10.0.0.1"));
    assert_eq!(overridden.user.as_deref(), Some("1009"));
    assert_eq!(overridden.transport, Some(TransportKind::Udp));
    assert_eq!(overridden.auth_user.as_deref(), Some("auth1001"), "not given: from the config");

    // Through an outbound proxy: requests go to the proxy, the AOR stays in the server's domain.
    a.outbound_proxy = Some("proxy.example.com:5060".into());
    let proxied = parse(&["lampboard", "register", "--account", "office"]).overlaid_on(&a);
    assert_eq!(proxied.server.as_deref(), Some("proxy.example.com:5060"));
    assert_eq!(proxied.domain.as_deref(), Some("pbx.example.com"));
}
