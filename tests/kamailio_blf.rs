//! BLF against a real Kamailio: a call between two other UAs (SIPp through the proxy,
//! tests/testbed/call.sh) goes ringing with the caller → busy → idle on the watcher's lamp;
//! a colleague who un-registers shows offline/unavailable, not idle.

mod common;

use common::{Kamailio, Running, account_cmd};
use std::process::Command;
use std::time::Duration;

#[test]
fn call_between_two_others_rings_then_busy_then_idle() {
    let k = Kamailio::start(&[]);
    let mut w = Running::spawn(account_cmd(&k, &["watch", "1601", "--events", "dialog,presence"], "1602"));
    w.wait_lamp("1601", Duration::from_secs(10), |v| v["fresh"] == true)
        .unwrap_or_else(|| panic!("first lamp: {:?}", w.lamps_of("1601")));
    let dir = k.dir().to_path_buf();
    let call = std::thread::spawn(move || {
        Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testbed/call.sh"))
            .args([dir.to_str().unwrap(), "1603", "1601", "3"])
            .env("RING_MS", "2000")
            .output()
            .expect("call.sh")
    });
    let ringing = w
        .wait_lamp("1601", Duration::from_secs(20), |v| v["line"] == "ringing")
        .unwrap_or_else(|| panic!("never ringing: {:?}", w.lamps_of("1601")));
    assert!(ringing["caller"].as_str().unwrap_or("").contains("1603"), "caller on the key: {ringing}");
    assert_eq!(ringing["blf_led"], "red");
    assert_eq!(ringing["blf_blink"], true);
    let busy = w
        .wait_lamp("1601", Duration::from_secs(10), |v| v["line"] == "busy")
        .unwrap_or_else(|| panic!("never busy: {:?}", w.lamps_of("1601")));
    assert_eq!(busy["blf_led"], "red");
    assert_eq!(busy["blf_blink"], false);
    w.wait_lamp("1601", Duration::from_secs(20), |v| v["line"] == "idle" || v["line"] == "offline")
        .unwrap_or_else(|| panic!("never idle again: {:?}", w.lamps_of("1601")));
    let out = call.join().unwrap();
    assert!(out.status.success(), "call.sh: {}", String::from_utf8_lossy(&out.stderr));
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
}

#[test]
fn unregistered_colleague_is_offline_not_idle() {
    let k = Kamailio::start(&[]);
    let mut w = Running::spawn(account_cmd(&k, &["watch", "1701", "--events", "presence,dialog"], "1702"));
    w.wait_lamp("1701", Duration::from_secs(10), |v| v["fresh"] == true)
        .unwrap_or_else(|| panic!("first lamp: {:?}", w.lamps_of("1701")));
    let out = account_cmd(&k, &["register", "--duration", "3"], "1701").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    w.wait_lamp("1701", Duration::from_secs(10), |v| v["status"] == "available")
        .unwrap_or_else(|| panic!("registered → available: {:?}", w.lamps_of("1701")));
    let off = w
        .wait_lamp("1701", Duration::from_secs(20), |v| v["status"] == "unavailable")
        .unwrap_or_else(|| panic!("never unavailable: {:?}", w.lamps_of("1701")));
    assert_eq!(off["line"], "offline", "{off}");
    assert_eq!(off["led"], "off");
    assert_eq!(off["blf_led"], "off");
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
}
