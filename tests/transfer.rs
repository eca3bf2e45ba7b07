//! Call transfer against real peers through Kamailio on loopback. Lampboard calls baresip B
//! and transfers it to baresip C, blind (REFER) or attended (hold B, consult C, REFER with
//! `Replaces`). Each peer plays its own tone and records what it hears: after the transfer B
//! hears C's tone and C hears B's (Goertzel, ±2 %, SNR ≥ 20 dB), and both of Lampboard's
//! calls ended with its own BYE, answered (no call of ours left behind at B or C).
//!
//! baresip 1.0 (Debian's baresip-core) has no Replaces support at all: as transferee it
//! dials the Refer-To URI with the `?Replaces=` part garbled into the Request-URI and no
//! Replaces header, and as target it takes such an INVITE as a new call. The attended test
//! therefore proves the REFER we send (Refer-To with our consult dialog's Replaces) and that
//! Lampboard ends the consult call itself when the target does not replace it
//! (tests/transfer_attended_replaces.rs has targets that do).
//!
//! The other way round, baresip B transfers Lampboard (REFER): Lampboard calls C, reports
//! the sipfrag NOTIFYs, B hangs up, and C hears Lampboard's tone. (Lampboard's own recording is
//! not checked there: `--record` is one file for all calls of a run, and two calls overlap.)

mod common;
#[path = "support/transfer_audio.rs"]
mod transfer_audio;

use common::{Kamailio, account_cmd, start_baresip, testbed};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use transfer_audio::{active_calls, assert_tone, baresip_calls, baresip_heard, tone};

const B_TONE: u32 = 700;
const C_TONE: u32 = 1300;

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn call_states<'a>(seen: &'a [Value], id: &str) -> Vec<&'a str> {
    seen.iter().filter(|v| v["event"] == "call" && v["id"] == id).map(|v| v["state"].as_str().unwrap_or("")).collect()
}

fn ended_reason<'a>(seen: &'a [Value], id: &str) -> &'a str {
    seen.iter()
        .find(|v| v["event"] == "call" && v["id"] == id && v["state"] == "ended")
        .and_then(|v| v["reason"].as_str())
        .unwrap_or_else(|| panic!("no ended event for {id}: {seen:#?}"))
}

fn baresip_wait(dir: &Path, state: &str, secs: u32) -> String {
    let out = testbed("baresip.sh").args(["wait", dir.to_str().unwrap(), state, &secs.to_string()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\\n", "\n");
    assert!(out.status.success(), "{}: no call {state}: {text}", dir.display());
    text
}

/// After the transfer: B and C hold exactly one call, with each other; they talk for a
/// while, C hangs up, and each heard the other's tone.
fn assert_b_and_c_talk(tmp: &Path, db: &Path, dc: &Path, b_ext: &str, c_ext: &str) {
    let at_c = baresip_wait(dc, "ESTABLISHED", 10);
    assert!(at_c.contains(&format!("sip:{b_ext}@")), "C talks with B: {at_c}");
    let at_b = baresip_calls(db);
    assert_eq!(active_calls(&at_b), Some(1), "only the call with C is left at B: {at_b}");
    assert!(at_b.contains(&format!("sip:{c_ext}@")), "B talks with C: {at_b}");
    assert_eq!(active_calls(&baresip_calls(dc)), Some(1), "only the call with B is left at C");
    std::thread::sleep(Duration::from_secs(3));
    let _ = testbed("baresip.sh").args(["cmd", dc.to_str().unwrap(), "hangup"]).output();
    baresip_wait(db, "none", 10);
    baresip_wait(dc, "none", 10);
    let (b_heard, c_heard) = (tmp.join("b-heard.wav"), tmp.join("c-heard.wav"));
    baresip_heard(db, &b_heard);
    baresip_heard(dc, &c_heard);
    assert_tone(&b_heard, f64::from(C_TONE), "B hears C");
    assert_tone(&c_heard, f64::from(B_TONE), "C hears B");
}

#[test]
fn blind_transfer_moves_the_caller_to_the_target_and_they_talk() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let (db, dc) = (tmp.path().join("b"), tmp.path().join("c"));
    let (tb, tc) = (tone(&tmp.path().join("b.wav"), B_TONE, 60), tone(&tmp.path().join("c.wav"), C_TONE, 60));
    let _b = start_baresip(&k, &db, "1961", &[("PLAY", tb.to_str().unwrap())]);
    let _c = start_baresip(&k, &dc, "1962", &[("PLAY", tc.to_str().unwrap())]);
    // Two seconds before the REFER: baresip names its recordings by the second a call starts.
    let out =
        account_cmd(&k, &["call", "1961", "--transfer", "1962", "--transfer-after", "2"], "1960").output().unwrap();
    let seen = lines(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{seen:#?}\n{}", String::from_utf8_lossy(&out.stderr));
    let states: Vec<&str> =
        seen.iter().filter(|v| v["event"] == "transfer").map(|v| v["state"].as_str().unwrap_or("")).collect();
    assert!(states.contains(&"accepted"), "{states:?}");
    assert_eq!(states.last(), Some(&"done"), "{states:?}");
    assert!(seen.iter().any(|v| v["event"] == "transfer" && v["target"] == "sip:1962@127.0.0.1"));
    // Our leg ended with our BYE, answered by B, and its media stopped with it.
    assert_eq!(call_states(&seen, "c1").last(), Some(&"ended"), "{seen:#?}");
    assert_eq!(ended_reason(&seen, "c1"), "hung up", "our BYE was answered");
    let media = seen.iter().find(|v| v["event"] == "media" && v["id"] == "c1").expect("media statistics of our leg");
    assert!(media["rx_packets"].as_u64().unwrap_or(0) >= 50, "B's tone reached us before the transfer: {media}");
    assert!(!seen.iter().any(|v| v["event"] == "call" && v["id"] != "c1"), "no other call of ours: {seen:#?}");
    assert_b_and_c_talk(tmp.path(), &db, &dc, "1961", "1962");
}

#[test]
fn attended_transfer_connects_the_held_caller_with_the_consulted_target() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let (db, dc) = (tmp.path().join("b"), tmp.path().join("c"));
    let (tb, tc) = (tone(&tmp.path().join("b.wav"), B_TONE, 60), tone(&tmp.path().join("c.wav"), C_TONE, 60));
    let _b = start_baresip(&k, &db, "1971", &[("PLAY", tb.to_str().unwrap()), ("SIP_TRACE", "1")]);
    let _c = start_baresip(&k, &dc, "1972", &[("PLAY", tc.to_str().unwrap())]);
    let args = ["call", "1971", "--attended-transfer", "1972", "--transfer-after", "1", "--consult-secs", "2"];
    let out = account_cmd(&k, &args, "1970").output().unwrap();
    let seen = lines(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{seen:#?}\n{}", String::from_utf8_lossy(&out.stderr));
    // c1: the call to B, held while we consult; c2: the consult call to C.
    let c1 = call_states(&seen, "c1");
    assert!(c1.contains(&"answered") && c1.contains(&"held"), "B was held for the consultation: {c1:?}");
    assert!(call_states(&seen, "c2").contains(&"answered"), "C answered the consult call: {seen:#?}");
    assert!(seen.iter().any(|v| v["event"] == "call" && v["id"] == "c2" && v["remote"] == "sip:1972@127.0.0.1"));
    let states: Vec<&str> = seen
        .iter()
        .filter(|v| v["event"] == "transfer" && v["id"] == "c1")
        .map(|v| v["state"].as_str().unwrap_or(""))
        .collect();
    assert!(states.contains(&"accepted"), "{states:?}");
    assert_eq!(states.last(), Some(&"done"), "{states:?}");
    // B got a REFER naming our consult dialog in a Replaces (escaped in the Refer-To URI).
    let b_log = std::fs::read_to_string(db.join("baresip.log")).unwrap();
    let refer_to = b_log.lines().find(|l| l.starts_with("Refer-To:")).unwrap_or_else(|| panic!("no REFER at B"));
    assert!(refer_to.contains("<sip:1972@127.0.0.1?Replaces="), "{refer_to}");
    assert!(refer_to.contains("%3Bto-tag%3D") && refer_to.contains("%3Bfrom-tag%3D"), "{refer_to}");
    // Both of our calls ended cleanly: the one to B by our BYE once B reached C, the consult
    // call by our BYE (baresip does not replace it) or by C's (a target that honours Replaces).
    assert_eq!(ended_reason(&seen, "c1"), "hung up");
    let consult_end = ended_reason(&seen, "c2");
    assert!(matches!(consult_end, "hung up" | "the other side hung up"), "consult call: {consult_end}");
    for id in ["c1", "c2"] {
        assert!(seen.iter().any(|v| v["event"] == "media" && v["id"] == id), "media statistics of {id}");
    }
    let consult_media = seen.iter().find(|v| v["event"] == "media" && v["id"] == "c2").unwrap();
    assert!(consult_media["rx_packets"].as_u64().unwrap_or(0) >= 50, "we heard C while consulting: {consult_media}");
    assert_b_and_c_talk(tmp.path(), &db, &dc, "1971", "1972");
}

#[test]
fn baresip_transfers_lampboard_which_calls_the_target_and_talks() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let (db, dc) = (tmp.path().join("b"), tmp.path().join("c"));
    let (ta, tc) = (tone(&tmp.path().join("a.wav"), 1000, 60), tone(&tmp.path().join("c.wav"), C_TONE, 60));
    let _b = start_baresip(&k, &db, "1981", &[]);
    let _c = start_baresip(&k, &dc, "1982", &[("PLAY", tc.to_str().unwrap())]);
    // Lampboard (1980) answers B, and hangs up each answered call 5 s after its answer.
    let mut a = common::Running::spawn({
        let mut c = account_cmd(&k, &["answer", "--duration", "5"], "1980");
        c.args(["--play", ta.to_str().unwrap()]);
        c
    });
    a.wait_event("registered", Duration::from_secs(10)).expect("registered");
    let b = |args: &[&str]| testbed("baresip.sh").arg("cmd").arg(&db).args(args).output().unwrap();
    assert!(b(&["dial", "sip:1980@127.0.0.1"]).status.success());
    baresip_wait(&db, "ESTABLISHED", 10);
    std::thread::sleep(Duration::from_secs(1));
    assert!(b(&["transfer", "sip:1982@127.0.0.1"]).status.success(), "baresip sends the REFER");
    let (code, seen) = a.wait(Duration::from_secs(30));
    assert_eq!(code, 0, "{seen:#?}");
    let requested = seen.iter().find(|v| v["event"] == "transfer" && v["state"] == "requested").expect("REFER");
    assert_eq!(requested["target"], "sip:1982@127.0.0.1");
    // The transferor hung up on us once our NOTIFY said 200; our call to C was answered.
    assert_eq!(ended_reason(&seen, "c1"), "the other side hung up");
    assert!(call_states(&seen, "c2").contains(&"answered"), "{seen:#?}");
    assert_eq!(ended_reason(&seen, "c2"), "hung up");
    let media = seen.iter().find(|v| v["event"] == "media" && v["id"] == "c2").expect("media statistics of c2");
    assert!(media["rx_packets"].as_u64().unwrap_or(0) >= 150, "we received C's audio: {media}");
    assert_eq!(active_calls(&baresip_calls(&db)), Some(0), "B has no call left");
    baresip_wait(&dc, "none", 5);
    let c_heard = tmp.path().join("c-heard.wav");
    baresip_heard(&dc, &c_heard);
    assert_tone(&c_heard, 1000.0, "C hears the transferred Lampboard");
}

#[test]
fn blind_transfer_to_nobody_is_reported_failed_and_the_call_stays_ours() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("b");
    let _b = start_baresip(&k, &db, "1991", &[]);
    // 1999 is a user of the test bed, but nobody registered it: Kamailio answers B's INVITE 404.
    let args = ["call", "1991", "--transfer", "1999", "--audio", "null"];
    let out = account_cmd(&k, &args, "1990").output().unwrap();
    let seen = lines(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "a failed transfer fails the run: {seen:#?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("transfer failed: 404"));
    let failed = seen.iter().position(|v| v["event"] == "transfer" && v["state"] == "failed").expect("failed");
    assert_eq!(seen[failed]["code"], 404);
    // B kept the call with us after the failure (RFC 3515); our run then hung it up itself.
    let ended = seen.iter().position(|v| v["event"] == "call" && v["state"] == "ended").expect("ended");
    assert!(ended > failed, "{seen:#?}");
    assert_eq!(ended_reason(&seen, "c1"), "hung up");
}
