//! The forwarding rules acting on real calls through Kamailio on loopback: `lampboard answer
//! --rules FILE` is the forwarding softphone (1981), `lampboard call` the caller (1980) and
//! baresip the forward target's phone (1982). DND → the caller gets 486; CFU → 302 and the call
//! lands on the target's phone (with the CFU time condition on and off); a whitelisted caller
//! rings through; CFB while busy; CFNA after the ring timeout.

mod common;

use common::{Baresip, Kamailio, Running, account_cmd, start_baresip};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The forward target's phone: answers automatically.
fn target_phone(k: &Kamailio, dir: &Path) -> Baresip {
    start_baresip(k, dir, "1982", &[])
}

fn rules_file(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("time_zone = \"UTC\"\n{toml}")).unwrap();
    p
}

/// Starts the forwarding softphone with `rules` and waits until it is registered.
fn softphone(k: &Kamailio, rules: &Path, extra: &[&str]) -> Running {
    let mut c = account_cmd(k, &["answer", "--rules", rules.to_str().unwrap()], "1981");
    c.args(extra);
    let mut r = Running::spawn(c);
    r.wait_event("registered", Duration::from_secs(10)).expect("softphone registered");
    r
}

fn call(k: &Kamailio, args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    let out = account_cmd(k, &all, "1980").output().unwrap();
    let seen = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (out.status.code(), seen)
}

fn ended(seen: &[serde_json::Value]) -> &serde_json::Value {
    seen.iter().rev().find(|v| v["event"] == "call" && v["state"] == "ended").expect("an ended event")
}

/// The target's phone logged an established call from the caller (1980).
fn established_from_caller(dir: &Path) -> bool {
    let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
    log.lines().any(|l| l.contains("Call established") && l.contains("sip:1980@"))
}

#[test]
fn dnd_rejects_and_the_whitelisted_caller_rings() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dnd = rules_file(tmp.path(), "dnd.toml", "status = \"dnd\"\n");
    let phone = softphone(&k, &dnd, &["--duration", "2"]);
    let (code, seen) = call(&k, &["1981"]);
    assert_eq!(code, Some(3), "{seen:#?}");
    assert_eq!(ended(&seen)["code"], 486, "{seen:#?}");
    let (_, phone_seen) = phone.interrupt_and_wait(Duration::from_secs(10));
    assert!(phone_seen.iter().any(|v| v["event"] == "call" && v["code"] == 486), "{phone_seen:#?}");
    // The same DND with the caller on the DND whitelist: it rings and is answered.
    let white = rules_file(tmp.path(), "white.toml", "status = \"dnd\"\ndnd_whitelist = [\"198X\"]\n");
    let _phone = softphone(&k, &white, &["--duration", "2"]);
    let (code, seen) = call(&k, &["1981", "--duration", "1"]);
    assert_eq!(code, Some(0), "{seen:#?}");
    assert!(seen.iter().any(|v| v["event"] == "call" && v["state"] == "answered"), "{seen:#?}");
}

#[test]
fn cfu_lands_on_the_target_unless_its_time_condition_is_off() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("target");
    let _target = target_phone(&k, &dir);
    let cfu = rules_file(tmp.path(), "cfu.toml", "[per_status.available]\ncfu = \"1982\"\n");
    let _phone = softphone(&k, &cfu, &["--duration", "2"]);
    let (code, seen) = call(&k, &["1981", "--duration", "1"]);
    assert_eq!(code, Some(0), "the caller followed the 302 and was answered: {seen:#?}");
    assert!(established_from_caller(&dir), "the target's phone has the call");
    std::thread::sleep(Duration::from_secs(2));
    // CFU only on a day long past: the time condition does not hold → the call rings here.
    let off = rules_file(
        tmp.path(),
        "cfu-off.toml",
        "[per_status.available]\ncfu = \"1982\"\ncfu_time = \"2020-01-01..2020-01-02\"\n",
    );
    let phone = softphone(&k, &off, &["--duration", "2"]);
    let (code, seen) = call(&k, &["1981", "--duration", "1"]);
    assert_eq!(code, Some(0), "{seen:#?}");
    let (_, phone_seen) = phone.interrupt_and_wait(Duration::from_secs(10));
    assert!(
        phone_seen.iter().any(|v| v["event"] == "call" && v["state"] == "answered" && v["direction"] == "in"),
        "answered here, not forwarded: {phone_seen:#?}"
    );
    assert!(!phone_seen.iter().any(|v| v["event"] == "forwarded"), "{phone_seen:#?}");
}

#[test]
fn cfna_after_the_ring_timeout() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("target");
    let _target = target_phone(&k, &dir);
    let cfna = rules_file(tmp.path(), "cfna.toml", "ring_timeout = 3\n[per_status.available]\ncfna = \"1982\"\n");
    let phone = softphone(&k, &cfna, &["--after-rings", "20", "--duration", "2"]);
    let (code, seen) = call(&k, &["1981", "--duration", "1"]);
    assert_eq!(code, Some(0), "{seen:#?}");
    assert!(seen.iter().any(|v| v["event"] == "call" && v["state"] == "ringing"), "it rang first: {seen:#?}");
    assert!(established_from_caller(&dir), "the target's phone has the call");
    let (_, phone_seen) = phone.interrupt_and_wait(Duration::from_secs(10));
    let fwd = phone_seen.iter().find(|v| v["event"] == "forwarded").expect("a forwarded event");
    assert_eq!(fwd["kind"], "no-answer");
}

#[test]
fn cfb_while_in_a_call() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("target");
    let _target = target_phone(&k, &dir);
    let cfb = rules_file(tmp.path(), "cfb.toml", "call_waiting = false\n[per_status.available]\ncfb = \"1982\"\n");
    let phone = softphone(&k, &cfb, &["--count", "2", "--duration", "10"]);
    // A first call keeps the softphone busy for a while (from 1983, answered).
    let mut first = Running::spawn(account_cmd(&k, &["call", "1981", "--duration", "8"], "1983"));
    first.wait_where("call", Duration::from_secs(10), |v| v["state"] == "answered").expect("first answered");
    let (code, seen) = call(&k, &["1981", "--duration", "1"]);
    assert_eq!(code, Some(0), "the second caller was forwarded and answered: {seen:#?}");
    assert!(established_from_caller(&dir), "the target's phone has the second call");
    let (_, phone_seen) = phone.interrupt_and_wait(Duration::from_secs(10));
    let fwd = phone_seen.iter().find(|v| v["event"] == "forwarded").expect("a forwarded event");
    assert_eq!(fwd["kind"], "user-busy");
}
