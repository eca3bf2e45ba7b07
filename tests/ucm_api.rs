//! The UCM HTTPS API backend against a test double of that API (`support/ucm_double.rs`):
//! exact request JSON, the md5 login, read-back, cookie expiry, error codes, TLS trust.

#[path = "support/ucm_double.rs"]
mod ucm_double;

use lampboard::pbx::ucm_api::{
    PresenceListField, UcmAccountSettings, UcmClient, UcmConfig, UcmError, UcmForward, UcmPresenceStatus,
    UcmStatusForwarding, UcmTimeType, apply_status,
};
use lampboard::presence::status::UserStatus;
use serde_json::json;
use std::time::Duration;
use ucm_double::UcmDouble;

const USER: &str = "cdrapi";
const PASSWORD: &str = "cdrapi123";

async fn double_with_1001() -> UcmDouble {
    let d = UcmDouble::start(USER, PASSWORD).await;
    d.add_account(
        "1001",
        json!({"presence_status": "available", "presence_def_script": "", "dnd": "no", "dnd_timetype": "0",
               "dndwhitelist": "", "fwdwhitelist": "", "fullname": "Alice", "cfu": "", "cfu_timetype": "0"}),
    );
    d
}

fn config(d: &UcmDouble) -> UcmConfig {
    UcmConfig { ca_file: Some(d.ca_file.clone()), ..UcmConfig::new(&d.url, USER, PASSWORD) }
}

/// Forwarding for every status, DND with a time condition, both whitelists.
fn full_settings() -> UcmAccountSettings {
    let mut list = UcmAccountSettings::forwarding_all_off();
    list[1] = UcmStatusForwarding {
        presence_status: UcmPresenceStatus::Away,
        cfu: UcmForward::to("1002", UcmTimeType::OutOfOfficeTime, true),
        cfn: UcmForward::to("+4930123456", UcmTimeType::AllTime, false),
        cfb: UcmForward::off(),
    };
    list[4].cfb = UcmForward::to("6000", UcmTimeType::SpecificTime, true);
    UcmAccountSettings {
        presence_status: Some(UcmPresenceStatus::Away),
        presence_def_script: Some(String::new()),
        presence_settings: Some(list),
        dnd: Some(false),
        dnd_timetype: Some(UcmTimeType::OfficeTime),
        dnd_whitelist: Some(vec!["1005".into(), "_1[0-2]XX".into()]),
        fwd_whitelist: Some(vec!["NXXXXXX".into()]),
    }
}

#[tokio::test]
async fn each_request_has_the_exact_json() {
    let d = double_with_1001().await;
    d.set_need_apply(true);
    let mut c = UcmClient::new(&config(&d)).unwrap();
    let out = c.update_account("1001", &full_settings()).await.unwrap();
    assert!(out.applied_changes && !out.relogged_in);
    c.get_account("1001").await.unwrap();

    let r = d.requests();
    assert_eq!(r.len(), 5, "{r:#?}");
    assert_eq!(r[0], json!({"request": {"action": "challenge", "user": "cdrapi", "version": "1.0"}}));
    // First challenge of the double is 0000001652168894; md5("0000001652168894" + "cdrapi123"):
    assert_eq!(
        r[1],
        json!({"request": {"action": "login", "user": "cdrapi", "token": "95fe955d7a357e6f3d37ff226e9cffce"}})
    );
    let cookie = r[2]["request"]["cookie"].as_str().unwrap().to_owned();
    assert!(cookie.starts_with("sid"));
    let off = |s: &str| {
        json!({"presence_status": s, "cfu": "", "cfu_timetype": "0", "cfu_destination_type": "0",
               "cfn": "", "cfn_timetype": "0", "cfn_destination_type": "0",
               "cfb": "", "cfb_timetype": "0", "cfb_destination_type": "0"})
    };
    let mut unavailable = off("unavailable");
    unavailable["cfb"] = json!("6000");
    unavailable["cfb_timetype"] = json!("6");
    unavailable["cfb_destination_type"] = json!("1");
    let expected_update = json!({"request": {
        "action": "updateSIPAccount", "cookie": cookie, "extension": "1001",
        "presence_status": "away", "presence_def_script": "",
        "sip_presence_settings": [
            off("available"),
            {"presence_status": "away", "cfu": "1002", "cfu_timetype": "2", "cfu_destination_type": "1",
             "cfn": "+4930123456", "cfn_timetype": "0", "cfn_destination_type": "2",
             "cfb": "", "cfb_timetype": "0", "cfb_destination_type": "0"},
            off("chat"), off("userdef"), unavailable
        ],
        "dnd": "no", "dnd_timetype": "1", "dndwhitelist": "1005,_1[0-2]XX", "fwdwhitelist": "NXXXXXX"
    }});
    assert_eq!(r[2], expected_update);
    assert_eq!(r[3], json!({"request": {"action": "applyChanges", "cookie": cookie}}));
    assert_eq!(r[4], json!({"request": {"action": "getSIPAccount", "cookie": cookie, "extension": "1001"}}));
}

#[tokio::test]
async fn login_flow_keeps_the_cookie_and_token_is_md5() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    assert!(!c.is_logged_in());
    c.login().await.unwrap();
    assert!(c.is_logged_in());
    let r = d.requests();
    let challenge = "0000001652168894";
    let token = r[1]["request"]["token"].as_str().unwrap();
    assert_eq!(token, lampboard::pbx::ucm_api::protocol::login_token(challenge, PASSWORD));
    assert_eq!(token.len(), 32);
    // Later calls reuse the session: no second login.
    c.get_account("1001").await.unwrap();
    c.get_account("1001").await.unwrap();
    assert_eq!(d.count("login"), 1);
    assert_eq!(c.login_count(), 1);
    // The password and the cookie never show in Debug output.
    let shown = format!("{c:?} {:?}", config(&d));
    assert!(!shown.contains(PASSWORD) && !shown.contains("sid"), "{shown}");
}

#[tokio::test]
async fn update_then_get_shows_the_same() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    let sent = full_settings();
    c.update_account("1001", &sent).await.unwrap();
    let got = c.get_account("1001").await.unwrap();
    assert_eq!(got, sent);
    // Nested under `extension` (one client's observation) reads the same.
    d.set_nest_under_extension(true);
    assert_eq!(c.get_account("1001").await.unwrap(), sent);
}

#[tokio::test]
async fn list_field_name_can_be_presence_settings() {
    let d = double_with_1001().await;
    d.set_list_field("presence_settings");
    let mut cfg = config(&d);
    let mut c = UcmClient::new(&cfg).unwrap();
    let e = c.update_account("1001", &full_settings()).await.unwrap_err();
    assert_eq!(e, UcmError::Api { action: "updateSIPAccount".into(), code: -1 });
    cfg.presence_list_field = PresenceListField::PresenceSettings;
    let mut c = UcmClient::new(&cfg).unwrap();
    c.update_account("1001", &full_settings()).await.unwrap();
    assert_eq!(c.get_account("1001").await.unwrap(), full_settings());
}

#[tokio::test]
async fn expired_cookie_means_one_relogin_and_the_update_succeeds() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    c.login().await.unwrap();
    d.expire_cookies();
    let out = c.set_presence("1001", &UserStatus::Chat, None).await.unwrap();
    assert!(out.relogged_in);
    assert_eq!(d.count("login"), 2);
    assert_eq!(d.count("updateSIPAccount"), 2, "refused once, then sent again");
    assert_eq!(d.account("1001").unwrap()["presence_status"], "chat");
    assert_eq!(c.login_count(), 2);
}

#[tokio::test]
async fn cookie_refused_after_relogin_is_a_clear_error_without_a_loop() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    d.fail_next("updateSIPAccount", -6);
    d.fail_next("updateSIPAccount", -6);
    d.fail_next("updateSIPAccount", -6);
    let e = c.set_presence("1001", &UserStatus::Away, None).await.unwrap_err();
    assert_eq!(e, UcmError::CookieRejected);
    assert!(e.to_string().contains("status -6"), "{e}");
    assert_eq!(d.count("login"), 2);
    assert_eq!(d.count("updateSIPAccount"), 2);
}

#[tokio::test]
async fn wrong_password_is_a_clear_error_and_is_not_retried() {
    let d = double_with_1001().await;
    let cfg = UcmConfig { ca_file: Some(d.ca_file.clone()), ..UcmConfig::new(&d.url, USER, "wrong") };
    let e = apply_status(&cfg, "1001", &UserStatus::Away, None).await.unwrap_err();
    assert_eq!(e, UcmError::WrongPassword);
    assert!(e.to_string().contains("wrong API user name or password"), "{e}");
    assert!(!e.to_string().contains("wrong\""));
    assert_eq!(d.count("challenge"), 1);
    assert_eq!(d.count("login"), 1);
    assert_eq!(d.count("updateSIPAccount"), 0);
    // Also when the session expires and the password changed meanwhile: one login, then stop.
    let mut c = UcmClient::new(&config(&d)).unwrap();
    c.login().await.unwrap();
    d.expire_cookies();
    d.fail_next("login", -37);
    assert_eq!(c.set_presence("1001", &UserStatus::Away, None).await.unwrap_err(), UcmError::WrongPassword);
    assert_eq!(d.count("login"), 3);
}

#[tokio::test]
async fn documented_error_codes_have_clear_messages() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    d.fail_next("updateSIPAccount", -47);
    let e = c.set_presence("1001", &UserStatus::Away, None).await.unwrap_err();
    assert_eq!(e, UcmError::PermissionDenied { action: "updateSIPAccount".into() });
    assert!(e.to_string().contains("no permission"), "{e}");
    let e = c.get_account("1999").await.unwrap_err();
    assert_eq!(e, UcmError::Api { action: "getSIPAccount".into(), code: -16 });
    assert!(e.to_string().contains("no such item"), "{e}");
    d.fail_next("login", -68);
    d.expire_cookies();
    let e = c.get_account("1001").await.unwrap_err();
    assert_eq!(e, UcmError::LoginRefused { code: -68 });
    assert!(e.to_string().contains("login restricted"), "{e}");
}

#[tokio::test]
async fn apply_changes_only_when_the_answer_asks() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    let out = c.set_presence("1001", &UserStatus::Away, None).await.unwrap();
    assert!(!out.applied_changes);
    assert_eq!(d.count("applyChanges"), 0);
    d.set_need_apply(true);
    let out = c.set_presence("1001", &UserStatus::Dnd, None).await.unwrap();
    assert!(out.applied_changes);
    assert_eq!(d.count("applyChanges"), 1);
    assert!(!d.pending_apply());
    let acct = d.account("1001").unwrap();
    assert_eq!((acct["presence_status"].as_str(), acct["dnd"].as_str()), (Some("dnd"), Some("yes")));
}

#[tokio::test]
async fn apply_status_sets_custom_text_and_reads_it_back() {
    let d = double_with_1001().await;
    d.set_need_apply(true);
    d.set_nest_under_extension(true);
    let cfg = config(&d);
    let custom = UserStatus::Custom(String::new());
    let applied = apply_status(&cfg, "1001", &custom, Some("In a meeting")).await.unwrap();
    assert_eq!(applied.status, UserStatus::Custom("In a meeting".into()));
    assert!(applied.applied_changes);
    assert_eq!(applied.read_back.presence_status, Some(UcmPresenceStatus::Userdef));
    assert_eq!(applied.read_back.dnd, Some(false));
    assert_eq!(d.account("1001").unwrap()["presence_def_script"], "In a meeting");
    let e = apply_status(&cfg, "1001", &UserStatus::Custom("x".repeat(65)), None).await.unwrap_err();
    assert!(matches!(e, UcmError::InvalidSettings(_)), "{e}");
    let e = apply_status(&cfg, "10 01", &UserStatus::Away, None).await.unwrap_err();
    assert!(matches!(e, UcmError::Config(_)), "{e}");
}

#[tokio::test]
async fn read_back_that_disagrees_is_reported() {
    let d = double_with_1001().await;
    // An update the UCM "accepts" but does not store.
    d.fail_next("updateSIPAccount", 0);
    let e = apply_status(&config(&d), "1001", &UserStatus::Unavailable, None).await.unwrap_err();
    assert_eq!(e, UcmError::NotApplied { wanted: "Unavailable".into(), got: "Available".into() });
}

#[tokio::test]
async fn tls_with_the_test_ca_works_and_without_it_fails_clearly() {
    let d = double_with_1001().await;
    let mut c = UcmClient::new(&config(&d)).unwrap();
    c.login().await.unwrap();

    let no_ca = UcmConfig::new(&d.url, USER, PASSWORD);
    let e = UcmClient::new(&no_ca).unwrap().login().await.unwrap_err();
    assert!(matches!(e, UcmError::Certificate(_)), "{e:?}");
    assert!(e.to_string().contains("not trusted") && e.to_string().contains("unknown issuer"), "{e}");

    // Another CA (another double's) does not vouch for this one either.
    let other = UcmDouble::start(USER, PASSWORD).await;
    let wrong_ca = UcmConfig { ca_file: Some(other.ca_file.clone()), ..no_ca.clone() };
    let e = UcmClient::new(&wrong_ca).unwrap().login().await.unwrap_err();
    assert!(matches!(e, UcmError::Certificate(_)), "{e:?}");
    // Only the first client's two login requests reached the double.
    assert_eq!(d.requests().len(), 2);

    let missing = UcmConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..no_ca.clone() };
    assert!(matches!(UcmClient::new(&missing).unwrap_err(), UcmError::CaFile(_)));
    let plain = UcmConfig::new(&d.url.replace("https://", "http://"), USER, PASSWORD);
    assert!(matches!(UcmClient::new(&plain).unwrap_err(), UcmError::Config(_)));
}

#[tokio::test]
async fn a_silent_ucm_times_out() {
    let d = double_with_1001().await;
    d.set_stall(true);
    let cfg = UcmConfig { timeout: Duration::from_millis(300), ..config(&d) };
    let e = UcmClient::new(&cfg).unwrap().login().await.unwrap_err();
    assert_eq!(e, UcmError::Timeout);
}

#[tokio::test]
async fn the_double_checks_request_shapes() {
    let d = double_with_1001().await;
    let code = |v: serde_json::Value| d.answer(v.to_string().as_bytes())["status"].as_i64().unwrap();
    assert_eq!(code(json!({"request": {"action": "challenge", "user": "cdrapi"}})), -1, "missing version");
    assert_eq!(code(json!({"request": {"action": "challenge", "user": "cdrapi", "version": "1.0", "x": 1}})), -1);
    assert_eq!(code(json!({"request": {"action": "challenge", "user": "cdrapi", "version": "2.0"}})), -15);
    assert_eq!(code(json!({"request": {"action": "login", "user": "cdrapi", "token": "00"}})), -37);
    assert_eq!(code(json!({"request": {"action": "getSIPAccount", "extension": "1001"}})), -6, "no cookie");
    assert_eq!(code(json!({"req": {}})), -1);
    assert_eq!(d.answer(b"not json")["status"], -1);
    // Log in by hand, then check the update's field rules.
    let ch = d
        .answer(json!({"request": {"action": "challenge", "user": "cdrapi", "version": "1.0"}}).to_string().as_bytes());
    let ch = ch["response"]["challenge"].as_str().unwrap().to_owned();
    let token = lampboard::pbx::ucm_api::protocol::login_token(&ch, PASSWORD);
    let login =
        d.answer(json!({"request": {"action": "login", "user": "cdrapi", "token": token}}).to_string().as_bytes());
    let cookie = login["response"]["cookie"].as_str().unwrap().to_owned();
    let upd = |extra: serde_json::Value| {
        let mut req = json!({"action": "updateSIPAccount", "cookie": cookie, "extension": "1001"});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        code(json!({ "request": req }))
    };
    assert_eq!(upd(json!({"presence_status": "away"})), 0);
    assert_eq!(upd(json!({})), -1, "nothing to update");
    assert_eq!(upd(json!({"presence_status": "busy"})), -15);
    assert_eq!(upd(json!({"presence_status": "userdef"})), -15, "userdef without its text");
    assert_eq!(upd(json!({"presence": "away"})), -1, "unknown field");
    assert_eq!(upd(json!({"dnd": "true"})), -15);
    assert_eq!(upd(json!({"fwdwhitelist": "1,2,3,4,5,6,7,8,9,10,11"})), -15);
    let mut list = serde_json::to_value(
        UcmAccountSettings::forwarding_all_off().iter().map(UcmStatusForwarding::to_json).collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(upd(json!({"sip_presence_settings": list.clone()})), 0);
    list[0]["cfu"] = json!("1002"); // a target with destination type "none"
    assert_eq!(upd(json!({"sip_presence_settings": list.clone()})), -15);
    list.as_array_mut().unwrap().pop();
    assert_eq!(upd(json!({"sip_presence_settings": list})), -15, "the whole list is required");
}

/// The CLI contract: `lampboard presence set dnd --via ucm-api` sets and reads back the status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presence_set_via_ucm_api() {
    let d = double_with_1001().await;
    let run = |status: &'static str, password: &'static str| {
        let url = d.url.clone();
        let ca = d.ca_file.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_lampboard"))
                .args(["presence", "set", status, "--via", "ucm-api", "--ucm-url", &url, "--ucm-user", USER])
                .arg("--ucm-ca-file")
                .arg(&ca)
                .args(["--server", "127.0.0.1:9", "--user", "1001"])
                .env("LAMPBOARD_UCM_PASSWORD", password)
                .env_remove("LAMPBOARD_PASSWORD")
                .output()
                .unwrap()
        })
    };
    let out = run("dnd", PASSWORD).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["event"], "ucm_applied");
    assert_eq!(v["status"], "dnd");
    assert_eq!(d.account("1001").unwrap()["presence_status"], "dnd");
    // A wrong API password: a clear failure, exit 3, nothing changed.
    let out = run("away", "wrong").await.unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"event\":\"ucm_failed\""));
    assert_eq!(d.account("1001").unwrap()["presence_status"], "dnd");
}

/// `lampboard rules push`: the rules file lands on the UCM (checked through the test double's
/// stored account): status, the away entry's CFU with its time type, the forward whitelist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_rules_push_sends_the_forwarding_list() {
    let d = double_with_1001().await;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("rules.toml");
    std::fs::write(
        &file,
        "status = \"away\"\nfwd_whitelist = [\"_10XX\"]\noffice_hours = [\"mon-fri 08:00-17:00\"]\n\
         [per_status.away]\ncfu = \"2000\"\ncfu_time = \"out-of-office\"\n",
    )
    .unwrap();
    let (url, ca) = (d.url.clone(), d.ca_file.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lampboard"))
            .args(["rules", "push", "--ucm-url", &url, "--ucm-user", USER, "--user", "1001", "--file"])
            .arg(&file)
            .arg("--ucm-ca-file")
            .arg(&ca)
            .env("LAMPBOARD_UCM_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"event\":\"ucm_applied\""), "{stdout}");
    let acc = d.account("1001").unwrap();
    assert_eq!(acc["presence_status"], "away");
    assert_eq!(acc["fwdwhitelist"], "_10XX");
    let list = serde_json::to_string(&acc).unwrap();
    assert!(list.contains("\"cfu\":\"2000\""), "{list}");
}

/// The desktop app's UCM worker: a rules save goes to the UCM and is reported as
/// `rules_synced`; a refused update is reported with its reason and retried after 2 s, and the
/// retry lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_worker_pushes_saved_rules_and_retries_a_failure() {
    use lampboard::api::Event;
    let d = double_with_1001().await;
    let (tx, rx) = std::sync::mpsc::channel();
    let sync = lampboard::status_sync::StatusSync::spawn(config(&d), "1001".into(), tx, || {});
    let mut rules = lampboard::forwarding::file::parse(
        "status = \"away\"\nfwd_whitelist = [\"_10XX\"]\n[per_status.away]\ncfu = \"2000\"\n",
    )
    .unwrap();
    d.fail_next("updateSIPAccount", -25);
    sync.push_rules(&rules);
    let first = tokio::task::spawn_blocking(move || {
        let a = rx.recv_timeout(Duration::from_secs(20)).unwrap();
        let b = rx.recv_timeout(Duration::from_secs(20)).unwrap();
        (a, b, rx)
    })
    .await
    .unwrap();
    let Event::RulesSynced { via, ok, reason, retry_in_ms } = &first.0 else { panic!("{:?}", first.0) };
    assert_eq!((via.as_str(), *ok, *retry_in_ms), ("ucm-api", false, Some(2000)), "{reason:?}");
    assert!(reason.as_deref().is_some_and(|r| !r.is_empty()));
    assert!(matches!(&first.1, Event::RulesSynced { ok: true, .. }), "{:?}", first.1);
    let acc = d.account("1001").unwrap();
    assert_eq!(acc["presence_status"], "away");
    assert!(serde_json::to_string(&acc).unwrap().contains("\"cfu\":\"2000\""));
    // A status change and a later rules save both land, each reported in its own way.
    rules.status = lampboard::forwarding::StatusKind::Chat;
    sync.set("dnd", None);
    sync.push_rules(&rules);
    let rx = first.2;
    let got = tokio::task::spawn_blocking(move || {
        (0..2).map(|_| rx.recv_timeout(Duration::from_secs(20)).unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(got.iter().any(|e| matches!(e, Event::Published { via, .. } if via == "ucm-api")), "{got:?}");
    assert!(got.iter().any(|e| matches!(e, Event::RulesSynced { ok: true, .. })), "{got:?}");
}
