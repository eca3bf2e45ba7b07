//! The feature-code backend against real peers on loopback: `lampboard presence set …
//! --via feature-codes` dials the PBX's presence code — here routed by Kamailio to baresip,
//! which stands in for the PBX's voice menu: it answers, plays a prompt tone and logs the RFC
//! 4733 digits it receives — and the digit heard is the one of the chosen status (UCM order:
//! 1 Unavailable, 2 Available, 3 Away, 4 Chat, 5 DND, 6 Custom).

mod common;

use common::{Baresip, Kamailio, account_cmd, start_baresip, testbed};
use std::path::Path;
use std::time::Duration;

/// baresip as the PBX's voice menu: answers at once and plays a prompt.
fn voice_menu(k: &Kamailio, dir: &Path, ext: &str, prompt: &Path) -> Baresip {
    let st = testbed("tone.sh").args([prompt.to_str().unwrap(), "440", "30", "8000"]).output().unwrap();
    assert!(st.status.success(), "tone.sh: {}", String::from_utf8_lossy(&st.stderr));
    start_baresip(k, dir, ext, &[("PLAY", prompt.to_str().unwrap())])
}

#[test]
fn presence_feature_code_sends_the_status_digit() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("menu");
    let _menu = voice_menu(&k, &dir, "1948", &tmp.path().join("prompt.wav"));
    for (status, note, digit) in [("away", None, "3"), ("custom", Some("InMeeting"), "6")] {
        let mut c = account_cmd(&k, &["presence", "set", status, "--via", "feature-codes"], "1947");
        c.args(["--presence-code", "1948", "--prompt-ms", "1000"]);
        if let Some(n) = note {
            c.args(["--note", n]);
        }
        let out = c.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let line: serde_json::Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|v: &serde_json::Value| v["event"] == "feature_code")
            .unwrap_or_else(|| panic!("a feature_code line: {stdout}"));
        assert_eq!(line["result"], "done", "{line}");
        assert_eq!(line["dial"], "1948");
        assert_eq!(line["dtmf"], digit);
        assert!(!stdout.contains("\"event\":\"published\""), "feature codes only: no PUBLISH");
        std::thread::sleep(Duration::from_millis(500));
    }
    let got = common::dtmf_received(&dir);
    let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    assert_eq!(got, "36", "baresip heard the status digits: {got:?}\n{tail:#?}");
}

#[test]
fn feature_code_to_nobody_fails_with_the_reason() {
    let k = Kamailio::start(&[]);
    let mut c = account_cmd(&k, &["presence", "set", "dnd", "--via", "feature-codes"], "1949");
    c.args(["--presence-code", "1999"]);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("\"event\":\"feature_code\"") && stdout.contains("\"result\":\"failed\""), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("feature code failed"));
}

#[test]
fn rules_push_via_feature_codes_dials_each_code_in_turn() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("menu");
    let _menu = voice_menu(&k, &dir, "1946", &tmp.path().join("prompt.wav"));
    let rules = tmp.path().join("rules.toml");
    std::fs::write(&rules, "dnd = true\n").unwrap();
    // Every code routed to the stand-in voice menu (Kamailio knows no `*77`).
    let mut c =
        account_cmd(&k, &["rules", "push", "--via", "feature-codes", "--file", rules.to_str().unwrap()], "1945");
    c.args(["--prompt-ms", "300"]);
    for code in ["dnd_on", "cfu_off", "cfb_off", "cfna_off"] {
        c.args(["--code", &format!("{code}=1946")]);
    }
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let done = stdout.lines().filter(|l| l.contains("\"event\":\"feature_code\"") && l.contains("\"done\"")).count();
    assert_eq!(done, 4, "DND on, CFU off, CFB off, CFNA off: {stdout}");
    let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
    let calls = log.lines().filter(|l| l.contains("Call established") && l.contains("sip:1945@")).count();
    assert_eq!(calls, 4, "the voice menu took four calls");
}
