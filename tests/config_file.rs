//! The config file: round trip, clear errors with line/column/field, a bad file never
//! replaced, no secrets in it, version handling, profiles.

use lampboard::config::{
    self, Account, Config, ConfigError, KeyKind, PbxProfile, PresenceBackend, UcmApi, WallKey, WallPage,
};
use lampboard::sip::TransportKind;
use std::path::Path;

fn sample() -> Config {
    let mut ucm = Account::new("office", "ucm.example.com", "1001");
    ucm.port = Some(5061);
    ucm.transport = TransportKind::Tls;
    ucm.domain = Some("example.com".into());
    ucm.auth_user = Some("auth1001".into());
    ucm.display_name = Some("Reception".into());
    ucm.outbound_proxy = Some("proxy.example.com:5060".into());
    ucm.profile = PbxProfile::GrandstreamUcm;
    ucm.feature_codes.park = Some("*85".into());
    ucm.ucm_api = Some(UcmApi { url: "https://ucm.example.com:8089/api".into(), user: "cdrapi".into() });
    let mut lab = Account::new("lab", "::1", "2001");
    lab.profile = PbxProfile::Kamailio;
    let mut c = Config { default_account: Some("office".into()), accounts: vec![ucm, lab], ..Config::default() };
    c.wall.pages.push(WallPage {
        name: "Sales".into(),
        keys: vec![
            WallKey::new(KeyKind::Presence, "1002", Some("Anna")),
            WallKey::new(KeyKind::Blf, "1003", None),
            WallKey::new(KeyKind::SpeedDial, "+4930123456", Some("Taxi")),
        ],
    });
    c.audio.output = Some("USB Headset".into());
    c.prefs.key_size = Some(64.0);
    c.prefs.window = Some(config::Geometry { x: 10.0, y: 20.0, width: 1200.0, height: 800.0 });
    c
}

#[test]
fn round_trip_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    let c = sample();
    config::save(&c, &path).unwrap();
    let back = config::load(&path).unwrap();
    assert_eq!(back, c);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version = 1"), "{text}");
    assert!(text.contains("profile = \"grandstream_ucm\""), "{text}");
    // No temp files left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
}

#[test]
fn profiles_fill_in_feature_codes_and_backends() {
    let c = sample();
    let office = c.account("office").unwrap();
    let codes = office.effective_feature_codes();
    assert_eq!(codes.pickup.as_deref(), Some("**"));
    assert_eq!(codes.group_pickup.as_deref(), Some("*8"));
    assert_eq!(codes.park.as_deref(), Some("*85"), "the account's override wins");
    assert_eq!(codes.presence.as_deref(), Some("*48"));
    assert_eq!((codes.dnd_on.as_deref(), codes.dnd_off.as_deref()), (Some("*77"), Some("*78")));
    assert_eq!((codes.cfu_on.as_deref(), codes.cfu_off.as_deref()), (Some("*72"), Some("*73")));
    assert_eq!((codes.cfb_on.as_deref(), codes.cfb_off.as_deref()), (Some("*90"), Some("*91")));
    assert_eq!((codes.cfna_on.as_deref(), codes.cfna_off.as_deref()), (Some("*92"), Some("*93")));
    assert_eq!(office.effective_presence_backends(), vec![PresenceBackend::UcmApi, PresenceBackend::FeatureCodes]);
    assert_eq!(PbxProfile::GrandstreamUcm.feature_codes().park.as_deref(), Some("#72"));
    let lab = c.account("lab").unwrap();
    assert_eq!(lab.effective_presence_backends(), vec![PresenceBackend::Publish]);
    assert_eq!(lab.effective_feature_codes(), config::FeatureCodes::default());
    assert_eq!(lab.server_spec(), "::1");
    assert_eq!(office.server_spec(), "ucm.example.com:5061");
    assert_eq!(PbxProfile::parse("grandstream-ucm"), Some(PbxProfile::GrandstreamUcm));
    assert_eq!(PbxProfile::parse("freeswitch"), None);
    assert_eq!(c.default_account().unwrap().name, "office");
    let (presence, dialog) = c.wall.watch_targets();
    assert_eq!(presence, vec!["1002"]);
    assert_eq!(dialog, vec!["1002", "1003"]);
}

fn parse_err(text: &str) -> ConfigError {
    config::parse(text, Path::new("config.toml")).expect_err("must be refused")
}

#[test]
fn a_bad_value_names_line_column_and_field() {
    let text = "version = 1\n\n[[accounts]]\nname = \"a\"\nserver = \"pbx\"\nextension = \"1\"\n\n\
                [[accounts]]\nname = \"b\"\nserver = \"pbx\"\nport = \"fivethousand\"\nextension = \"2\"\n";
    match parse_err(text) {
        ConfigError::Parse { line, column, field, message, .. } => {
            assert_eq!(line, 11, "{message}");
            assert_eq!(column, 8, "{message}");
            assert_eq!(field.as_deref(), Some("accounts[1].port"));
            assert!(message.contains("string"), "{message}");
        }
        other => panic!("wrong error: {other}"),
    }
    let shown = parse_err(text).to_string();
    assert!(shown.starts_with("config.toml:11:8: field `accounts[1].port`"), "{shown}");
}

#[test]
fn syntax_errors_unknown_fields_and_bad_enums_are_located() {
    let e = parse_err("version = 1\ndefault_account = \n");
    assert!(matches!(e, ConfigError::Parse { line: 2, .. }), "{e}");
    let e = parse_err("version = 1\n[prefs]\nkey_sise = 40\n");
    match &e {
        ConfigError::Parse { line: 3, field: Some(f), message, .. } => {
            assert_eq!(f, "prefs.key_sise");
            assert!(message.contains("key_sise"), "{message}");
        }
        other => panic!("wrong error: {other}"),
    }
    let e = parse_err("version = 1\n[[wall.pages]]\nname = \"p\"\nkeys = [{ type = \"lamp\", ext = \"1\" }]\n");
    assert!(matches!(&e, ConfigError::Parse { line: 4, .. }), "{e}");
    assert!(e.to_string().contains("lamp"), "{e}");
    let e = parse_err(
        "version = 1\n[[accounts]]\nname = \"a\"\nserver = \"pbx\"\nprofile = \"cisco\"\nextension = \"1\"\n",
    );
    assert!(matches!(&e, ConfigError::Parse { line: 5, field: Some(f), .. } if f == "accounts[0].profile"), "{e}");
}

#[test]
fn inconsistent_values_name_the_field() {
    let e = parse_err("version = 1\ndefault_account = \"nobody\"\n");
    assert!(matches!(&e, ConfigError::Invalid { field, .. } if field == "default_account"), "{e}");
    let dup = "version = 1\n[[accounts]]\nname = \"a\"\nserver = \"p\"\nextension = \"1\"\n\
               [[accounts]]\nname = \"a\"\nserver = \"q\"\nextension = \"2\"\n";
    assert!(matches!(parse_err(dup), ConfigError::Invalid { field, .. } if field == "accounts[1].name"));
    let port_in_server = "version = 1\n[[accounts]]\nname = \"a\"\nserver = \"p:5060\"\nextension = \"1\"\n";
    assert!(matches!(parse_err(port_in_server), ConfigError::Invalid { field, .. } if field == "accounts[0].server"));
    let ucm =
        "version = 1\n[[accounts]]\nname = \"a\"\nserver = \"p\"\nextension = \"1\"\nprofile = \"grandstream_ucm\"\n";
    let c = config::parse(ucm, Path::new("c.toml")).unwrap();
    assert_eq!(c.accounts[0].effective_presence_backends(), vec![PresenceBackend::FeatureCodes], "no API configured");
    let api_without_url = format!("{ucm}presence_backends = [\"ucm_api\"]\n");
    let e = parse_err(&api_without_url);
    assert!(matches!(&e, ConfigError::Invalid { field, .. } if field == "accounts[0].presence_backends"), "{e}");
}

#[test]
fn versions_other_than_1_are_refused_clearly() {
    let e = parse_err("version = 2\n[future]\nthing = true\n");
    assert!(matches!(e, ConfigError::Version { found: Some(2), .. }), "{e}");
    let shown = e.to_string();
    assert!(shown.contains("version 2") && shown.contains("version 1"), "{shown}");
    assert!(matches!(parse_err("[prefs]\n"), ConfigError::Version { found: None, .. }));
    assert!(matches!(parse_err("version = \"1\"\n"), ConfigError::Version { found: None, .. }));
}

#[test]
fn a_bad_file_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let good = sample();
    config::save(&good, &path).unwrap();
    let good_text = std::fs::read_to_string(&path).unwrap();

    // A save of an invalid config fails and leaves the old file.
    let mut bad = good.clone();
    bad.default_account = Some("ghost".into());
    let e = config::save(&bad, &path).expect_err("invalid config must not be saved");
    assert!(matches!(&e, ConfigError::Invalid { field, .. } if field == "default_account"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good_text);

    // A save into a place that cannot be written fails and leaves the old file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        let ro_file = ro.join("config.toml");
        config::save(&good, &ro_file).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let mut changed = good.clone();
        changed.prefs.key_size = Some(99.0);
        let writable_anyway = std::fs::File::create(ro.join("probe")).is_ok(); // root ignores modes
        if !writable_anyway {
            assert!(matches!(config::save(&changed, &ro_file), Err(ConfigError::Io { .. })));
            assert_eq!(config::load(&ro_file).unwrap(), good);
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    // A broken file on disk is an error on load, and loading does not touch it.
    let broken = format!("{good_text}\n[[accounts]]\nname = \"x\"\nserver = \n");
    std::fs::write(&path, &broken).unwrap();
    let e = config::load(&path).expect_err("broken file");
    assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    assert!(matches!(config::load_or_default(&path), Err(ConfigError::Parse { .. })));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);

    // A missing file is the empty default.
    let fresh = config::load_or_default(&dir.path().join("none.toml")).unwrap();
    assert_eq!(fresh, Config::default());
}

#[test]
fn no_secret_is_ever_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config::save(&sample(), &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().to_ascii_lowercase();
    for word in ["password", "passwd", "secret"] {
        let hits: Vec<_> = text.lines().filter(|l| !l.starts_with('#') && l.contains(word)).collect();
        assert!(hits.is_empty(), "{word} in the config: {hits:?}");
    }
    // A file that carries a password is refused, pointing at the line.
    let with_pw =
        "version = 1\n[[accounts]]\nname = \"a\"\nserver = \"p\"\nextension = \"1\"\npassword = \"hunter2\"\n";
    let e = parse_err(with_pw);
    assert!(matches!(&e, ConfigError::Parse { line: 6, .. }), "{e}");
    let shown = e.to_string();
    assert!(shown.contains("keyring"), "{shown}");
    assert!(!shown.contains("hunter2"), "the error must not echo the secret: {shown}");
}

#[test]
fn missing_fields_are_named() {
    let e = parse_err("version = 1\n\n[[accounts]]\nname = \"a\"\nextension = \"1\"\n");
    let shown = e.to_string();
    assert!(matches!(e, ConfigError::Parse { .. }), "{shown}");
    assert!(shown.contains("server") && shown.contains("accounts[0]"), "{shown}");
    let e = parse_err("version = 1\n[[wall.pages]]\nname = \"p\"\n[[wall.pages.keys]]\ntype = \"blf\"\n");
    let shown = e.to_string();
    assert!(shown.contains("ext") && shown.contains("wall.pages[0].keys[0]"), "{shown}");
}
