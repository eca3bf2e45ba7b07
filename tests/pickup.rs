//! Directed pickup against real peers through Kamailio on loopback. Caller C (Lampboard
//! `call`) rings baresip B, which does not answer; Lampboard A watches B's line through
//! Kamailio (Event: dialog; pua_dialoginfo sends the call-id and both tags) and picks the
//! call up (`lampboard pickup`): an INVITE with `Replaces: …;early-only` to the caller,
//! because RFC 3891 §3 lets only the UA that initiated an early dialog replace it (the
//! ringing callee must answer 481). C answers A, CANCELs its INVITE to B, and A and C talk:
//! each hears the other's tone (Goertzel, ±2 %, SNR ≥ 20 dB).
//!
//! baresip 1.0 cannot be the caller here: it has no Replaces support (it would take A's
//! INVITE as a second call and keep ringing B), so Lampboard plays the caller.

mod common;
#[path = "support/transfer_audio.rs"]
mod transfer_audio;

use common::{Kamailio, Running, account_cmd, start_baresip, testbed};
use serde_json::Value;
use std::time::Duration;
use transfer_audio::{active_calls, assert_tone, baresip_calls, tone};

const A_TONE: u32 = 1000;
const C_TONE: u32 = 1300;

fn events<'a>(seen: &'a [Value], name: &str) -> Vec<&'a Value> {
    seen.iter().filter(|v| v["event"] == name).collect()
}

/// The SIP messages of a `--sip-trace` run that start with `start_line`.
fn sip_messages<'a>(seen: &'a [Value], start_line: &str) -> Vec<&'a str> {
    events(seen, "sip_message")
        .into_iter()
        .filter_map(|v| v["text"].as_str())
        .filter(|t| t.starts_with(start_line))
        .collect()
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn directed_pickup_takes_the_ringing_call_and_talks_with_the_caller() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("b");
    let (ta, tc) = (tone(&tmp.path().join("a.wav"), A_TONE, 60), tone(&tmp.path().join("c.wav"), C_TONE, 60));
    let (a_heard, c_heard) = (tmp.path().join("a-heard.wav"), tmp.path().join("c-heard.wav"));
    let _b = start_baresip(&k, &db, "1991", &[("ANSWER", "manual")]);

    let mut a = Running::spawn({
        let mut c = account_cmd(&k, &["pickup", "1991", "--wait", "20", "--duration", "3", "--sip-trace"], "1990");
        c.args(["--play", ta.to_str().unwrap(), "--record", a_heard.to_str().unwrap()]);
        c
    });
    a.wait_lamp("1991", Duration::from_secs(10), |v| v["fresh"] == true).expect("B's line is watched");
    let c = Running::spawn({
        let mut c = account_cmd(&k, &["call", "1991"], "1992");
        c.args(["--play", tc.to_str().unwrap(), "--record", c_heard.to_str().unwrap()]);
        c
    });
    let ringing = a.wait_lamp("1991", Duration::from_secs(10), |v| v["line"] == "ringing");
    assert!(ringing.is_some_and(|v| v["caller"] == "1992"), "B rings with C's call: {:?}", a.seen);
    let (a_code, a_seen) = a.wait(Duration::from_secs(30));
    let (c_code, c_seen) = c.wait(Duration::from_secs(15));
    assert_eq!(a_code, 0, "pickup: {:#?}", events(&a_seen, "call"));
    assert_eq!(c_code, 0, "caller: {c_seen:#?}");

    // The pickup INVITE went to the caller and named B's early dialog from the caller's side.
    let notify = sip_messages(&a_seen, "NOTIFY ")
        .into_iter()
        .find(|t| t.contains("<state>early</state>"))
        .expect("an early dialog-info NOTIFY");
    let attr = |name: &str| {
        let at = notify.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name}: {notify}")) + name.len() + 3;
        notify[at..].split('"').next().unwrap().to_string()
    };
    let (call_id, b_tag, c_tag) = (attr("call-id"), attr("local-tag"), attr("remote-tag"));
    let invite = sip_messages(&a_seen, "INVITE ").into_iter().last().expect("the pickup INVITE");
    assert!(invite.starts_with("INVITE sip:1992@127.0.0.1 "), "{invite}");
    assert_eq!(
        header(invite, "Replaces"),
        Some(format!("{call_id};to-tag={c_tag};from-tag={b_tag};early-only").as_str())
    );

    // A: one call, answered, hung up by us after --duration, with audio both ways.
    let a_calls = events(&a_seen, "call");
    assert!(a_calls.iter().any(|v| v["state"] == "answered" && v["remote"] == "sip:1992@127.0.0.1"), "{a_calls:#?}");
    assert!(a_calls.iter().any(|v| v["state"] == "ended" && v["reason"] == "hung up"), "{a_calls:#?}");
    let media = events(&a_seen, "media");
    assert!(media.first().is_some_and(|m| m["rx_packets"].as_u64().unwrap_or(0) >= 50), "{media:#?}");

    // C: its ringing call was replaced and cancelled; the new call from A was answered.
    assert!(
        c_seen.iter().any(|v| v["event"] == "transfer" && v["id"] == "c1" && v["state"] == "replaced"),
        "{c_seen:#?}"
    );
    let c1_end = c_seen.iter().find(|v| v["event"] == "call" && v["id"] == "c1" && v["state"] == "ended").unwrap();
    assert_eq!(c1_end["code"], 487, "C cancelled its call to B: {c1_end}");
    assert!(c_seen.iter().any(|v| v["event"] == "call" && v["id"] == "c2" && v["state"] == "answered"));

    // B stopped ringing, and nothing is left over there.
    let out = testbed("baresip.sh").args(["wait", db.to_str().unwrap(), "none", "5"]).output().unwrap();
    assert!(out.status.success(), "B has no call left: {}", baresip_calls(&db));
    assert_eq!(active_calls(&baresip_calls(&db)), Some(0));

    assert_tone(&a_heard, f64::from(C_TONE), "A hears the picked-up caller");
    assert_tone(&c_heard, f64::from(A_TONE), "the caller hears A");
}
