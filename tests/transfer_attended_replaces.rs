//! Attended transfer where both other parties honour Replaces, through Kamailio on loopback.
//! No packaged peer here does (baresip 1.0 ignores Replaces, see tests/transfer.rs), so B and
//! C are Lampboard's own `answer`: A calls B, holds B, consults C, then REFERs B with
//! `Refer-To: <sip:C?Replaces=…>`. B calls C with a Replaces header naming A's consult dialog
//! (as C sees it); C answers B and ends the consult call with a BYE; A's call to B ends with
//! A's BYE once B's NOTIFY says 200. B and C then exchange RTP (media statistics both ways).

mod common;
#[path = "support/transfer_audio.rs"]
mod transfer_audio;

use common::{Kamailio, Running, account_cmd};
use serde_json::Value;
use std::time::Duration;
use transfer_audio::tone;

fn find<'a>(seen: &'a [Value], event: &str, id: &str, state: &str) -> Option<&'a Value> {
    seen.iter().find(|v| v["event"] == event && v["id"] == id && (state.is_empty() || v["state"] == state))
}

/// SIP messages of a `--sip-trace` run that start with `start`.
fn sip<'a>(seen: &'a [Value], start: &str) -> Vec<&'a str> {
    seen.iter()
        .filter(|v| v["event"] == "sip_message" && v["direction"] == "out")
        .filter_map(|v| v["text"].as_str())
        .filter(|t| t.starts_with(start))
        .collect()
}

fn header<'a>(msg: &'a str, name: &str) -> &'a str {
    msg.lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no {name} in {msg}"))
}

fn tag(v: &str) -> &str {
    v.split(";tag=").nth(1).and_then(|t| t.split(';').next()).unwrap_or_else(|| panic!("no tag in {v}"))
}

#[test]
fn attended_transfer_target_replaces_the_consult_call() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let (tb, tc) = (tone(&tmp.path().join("b.wav"), 700, 60), tone(&tmp.path().join("c.wav"), 1300, 60));
    // B hangs up its call with C after 6 s (the deadline restarts with each answered call).
    let mut b = Running::spawn({
        let mut c = account_cmd(&k, &["answer", "--duration", "6", "--sip-trace"], "1951");
        c.args(["--play", tb.to_str().unwrap()]);
        c
    });
    let mut c = Running::spawn({
        let mut c = account_cmd(&k, &["answer"], "1952");
        c.args(["--play", tc.to_str().unwrap()]);
        c
    });
    b.wait_event("registered", Duration::from_secs(10)).expect("B registered");
    c.wait_event("registered", Duration::from_secs(10)).expect("C registered");
    let args = ["call", "1951", "--attended-transfer", "1952", "--consult-secs", "1", "--audio", "null", "--sip-trace"];
    let out = account_cmd(&k, &args, "1950").output().unwrap();
    let a: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let calls = || a.iter().filter(|v| v["event"] != "sip_message").collect::<Vec<_>>();
    assert_eq!(out.status.code(), Some(0), "{:#?}\n{}", calls(), String::from_utf8_lossy(&out.stderr));
    let (b_code, b_seen) = b.wait(Duration::from_secs(20));
    let (c_code, c_seen) = c.wait(Duration::from_secs(20));
    assert_eq!(b_code, 0, "B: {:#?}", b_seen.iter().filter(|v| v["event"] != "sip_message").collect::<Vec<_>>());
    assert_eq!(c_code, 0, "C: {c_seen:#?}");

    // A: B held during the consultation, transfer done, the call to B ended by our BYE and
    // the consult call by C's (it was replaced).
    assert!(find(&a, "call", "c1", "held").is_some(), "{:#?}", calls());
    assert!(find(&a, "transfer", "c1", "done").is_some(), "{:#?}", calls());
    assert_eq!(find(&a, "call", "c1", "ended").unwrap()["reason"], "hung up");
    assert_eq!(find(&a, "call", "c2", "ended").unwrap()["reason"], "the other side hung up");

    // B's INVITE to C names A's consult dialog as C knows it: C's tag is the To tag A got.
    let consult = sip(&a, "INVITE sip:1952@").into_iter().next().expect("A's consult INVITE");
    // The last ACK of that Call-ID acknowledges C's 200 (the first one, Kamailio's 407).
    let consult_ack =
        sip(&a, "ACK ").into_iter().rfind(|m| header(m, "Call-ID") == header(consult, "Call-ID")).unwrap();
    let (call_id, a_tag, c_tag) =
        (header(consult, "Call-ID"), tag(header(consult, "From")), tag(header(consult_ack, "To")));
    let invite = sip(&b_seen, "INVITE sip:1952@").into_iter().last().expect("B's INVITE to C");
    assert_eq!(header(invite, "Replaces"), format!("{call_id};to-tag={c_tag};from-tag={a_tag}"));
    assert_eq!(find(&b_seen, "transfer", "c1", "requested").unwrap()["target"], "sip:1952@127.0.0.1");

    // C: the consult call was replaced by B's call, answered at once.
    assert_eq!(find(&c_seen, "transfer", "c1", "replaced").unwrap()["target"], "sip:1951@127.0.0.1");
    assert_eq!(find(&c_seen, "call", "c2", "answered").unwrap()["remote"], "sip:1951@127.0.0.1");
    assert_eq!(find(&c_seen, "call", "c1", "ended").unwrap()["reason"], "hung up", "C sent the BYE");

    // B and C talk: RTP both ways on their call (about 6 s, 50 packets a second).
    for (who, seen, id) in [("B", &b_seen, "c2"), ("C", &c_seen, "c2")] {
        let m = find(seen, "media", id, "").unwrap_or_else(|| panic!("{who}: no media statistics"));
        assert!(m["rx_packets"].as_u64().unwrap_or(0) >= 150, "{who} received: {m}");
        assert!(m["tx_packets"].as_u64().unwrap_or(0) >= 150, "{who} sent: {m}");
    }
}
