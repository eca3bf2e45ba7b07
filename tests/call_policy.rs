//! Virtual-clock scenarios for the forwarding rules acting on calls to this softphone (the
//! user agent's call policy hook): reject with 486 (DND), 302 with Contact, Diversion and
//! History-Info (CFU), CFB while another call is up, CFNA once the ring timeout has passed
//! (with or without 181 Call Is Being Forwarded first), and a call that rings when the policy
//! says so.

use lampboard::api::Event;
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::forward::ANNOUNCE_GAP;
use lampboard::ua::policy::{CallPolicy, Disposition, ForwardKind, IncomingCall, PolicyHandle};
use lampboard::ua::{AccountConfig, UserAgent};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A policy scripted by the test: records what it was asked.
struct Scripted {
    answer: Box<dyn Fn(&IncomingCall) -> Disposition + Send + Sync>,
    asked: Mutex<Vec<IncomingCall>>,
    timeout: Option<Duration>,
    cfna_181: bool,
}

impl CallPolicy for Scripted {
    fn decide(&self, call: &IncomingCall) -> Disposition {
        self.asked.lock().unwrap().push(call.clone());
        (self.answer)(call)
    }
    fn ring_timeout(&self) -> Option<Duration> {
        self.timeout
    }
    fn cfna_181(&self) -> bool {
        self.cfna_181
    }
}

fn server() -> Destination {
    Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() }
}

fn ua_with(p: Arc<Scripted>) -> UserAgent {
    let account = AccountConfig::new("1001", "pbx.test", "secret");
    let mut u = UserAgent::new(account, server(), "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 9);
    u.set_policy(Some(PolicyHandle(p)));
    u
}

fn invite(call_id: &str, from: &str) -> String {
    invite_with(call_id, from, "")
}

/// An INVITE with `extra` header lines (each ending in CRLF).
fn invite_with(call_id: &str, from: &str, extra: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    format!(
        "INVITE sip:1001@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bK{call_id}\r\n\
From: \"Caller\" <sip:{from}@pbx.test>;tag=ft{call_id}\r\n\
To: <sip:1001@pbx.test>\r\n\
Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
Contact: <sip:{from}@127.0.0.1:35062>\r\n{extra}\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

fn responses(u: &mut UserAgent) -> Vec<String> {
    std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect()
}

fn events(u: &mut UserAgent) -> Vec<Event> {
    std::iter::from_fn(|| u.poll_event()).collect()
}

fn scripted(f: impl Fn(&IncomingCall) -> Disposition + Send + Sync + 'static, t: Option<u64>) -> Arc<Scripted> {
    Arc::new(Scripted {
        answer: Box::new(f),
        asked: Mutex::new(Vec::new()),
        timeout: t.map(Duration::from_secs),
        cfna_181: false,
    })
}

#[test]
fn dnd_rejects_with_486_and_the_reason() {
    let p = scripted(|_| Disposition::Reject { code: 486, reason: "Do Not Disturb".into() }, None);
    let mut u = ua_with(p.clone());
    let now = Instant::now();
    u.handle_datagram(now, invite("dnd1", "1005").as_bytes(), server());
    let out = responses(&mut u);
    assert!(out.iter().any(|r| r.starts_with("SIP/2.0 486 Busy Here")), "{out:?}");
    assert!(!out.iter().any(|r| r.starts_with("SIP/2.0 180")), "a rejected call never rings: {out:?}");
    assert_eq!(p.asked.lock().unwrap()[0].caller, "1005");
    let ev = events(&mut u);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Call { state, code: Some(486), reason: Some(r), .. }
            if state == "ended" && r == "Do Not Disturb")),
        "{ev:?}"
    );
}

#[test]
fn cfu_answers_302_with_contact_and_diversion() {
    let p = scripted(
        |c| {
            if c.caller == "1005" {
                Disposition::Ring
            } else {
                Disposition::Forward { target: "2000".into(), kind: ForwardKind::Unconditional, reason: "CFU".into() }
            }
        },
        None,
    );
    let mut u = ua_with(p);
    let now = Instant::now();
    u.handle_datagram(now, invite("cfu1", "1007").as_bytes(), server());
    let out = responses(&mut u);
    let r = out.iter().find(|r| r.starts_with("SIP/2.0 302")).unwrap_or_else(|| panic!("no 302: {out:?}"));
    assert!(r.contains("Contact: <sip:2000@pbx.test>"), "{r}");
    assert!(r.contains("Diversion: <sip:1001@pbx.test>;reason=unconditional;counter=1"), "{r}");
    assert!(
        r.contains(
            "History-Info: <sip:1001@pbx.test?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22>;index=1,\
<sip:2000@pbx.test;cause=302>;index=1.1;mp=1\r\n"
        ),
        "{r}"
    );
    let ev = events(&mut u);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Forwarded { target, kind, .. }
            if target == "sip:2000@pbx.test" && kind == "unconditional")),
        "{ev:?}"
    );
    // A whitelisted caller (the policy says Ring) rings.
    u.handle_datagram(now, invite("cfu2", "1005").as_bytes(), server());
    let out = responses(&mut u);
    assert!(out.iter().any(|r| r.starts_with("SIP/2.0 180")), "{out:?}");
    // The 302 is absorbed by the server transaction: the ACK for it is not a new call.
}

#[test]
fn cfb_when_another_call_rings_and_cfna_after_the_timeout() {
    let p = scripted(
        |c| match (c.busy, c.rung_out) {
            (true, _) => {
                Disposition::Forward { target: "sip:vm@pbx.test".into(), kind: ForwardKind::Busy, reason: "CFB".into() }
            }
            (false, true) => {
                Disposition::Forward { target: "2001".into(), kind: ForwardKind::NoAnswer, reason: "CFNA".into() }
            }
            _ => Disposition::Ring,
        },
        Some(20),
    );
    let mut u = ua_with(p.clone());
    let t0 = Instant::now();
    u.handle_datagram(t0, invite("a1", "1005").as_bytes(), server());
    assert!(responses(&mut u).iter().any(|r| r.starts_with("SIP/2.0 180")));
    // A second call while the first is up: busy → CFB.
    u.handle_datagram(t0, invite("b1", "1006").as_bytes(), server());
    let out = responses(&mut u);
    let r = out.iter().find(|r| r.starts_with("SIP/2.0 302")).expect("CFB 302");
    assert!(r.contains("<sip:vm@pbx.test>") && r.contains("reason=user-busy"), "{r}");
    assert!(r.contains("<sip:vm@pbx.test;cause=486>;index=1.1;mp=1"), "{r}");
    // The first call rings on; at 20 s it counts as rung out → CFNA.
    let due = u.poll_timeout().expect("the ring timeout is a timer");
    assert!(due <= t0 + Duration::from_secs(20));
    u.handle_timeout(t0 + Duration::from_secs(19));
    assert!(!responses(&mut u).iter().any(|r| r.contains("sip:2001@")), "not before the timeout");
    u.handle_timeout(t0 + Duration::from_secs(20));
    let out = responses(&mut u);
    let r = out
        .iter()
        .find(|r| r.starts_with("SIP/2.0 302") && r.contains("Call-ID: a1"))
        .unwrap_or_else(|| panic!("CFNA 302: {out:?}"));
    assert!(r.contains("<sip:2001@pbx.test>") && r.contains("reason=no-answer"), "{r}");
    assert!(r.contains("<sip:2001@pbx.test;cause=408>;index=1.1;mp=1"), "{r}");
    assert!(!out.iter().any(|r| r.starts_with("SIP/2.0 181")), "no 181 unless asked: {out:?}");
    let asked = p.asked.lock().unwrap();
    assert!(asked.iter().any(|c| c.caller == "1005" && c.rung_out));
}

/// The status code of each response but 100 Trying, in the order sent.
fn codes(out: &[String]) -> Vec<&str> {
    out.iter().filter_map(|r| r.strip_prefix("SIP/2.0 ")).map(|r| &r[..3]).filter(|c| *c != "100").collect()
}

fn cfna_only(timeout: u64, announce: bool) -> Arc<Scripted> {
    Arc::new(Scripted {
        answer: Box::new(|c| {
            if c.rung_out {
                Disposition::Forward { target: "2001".into(), kind: ForwardKind::NoAnswer, reason: "CFNA".into() }
            } else {
                Disposition::Ring
            }
        }),
        asked: Mutex::new(Vec::new()),
        timeout: Some(Duration::from_secs(timeout)),
        cfna_181: announce,
    })
}

#[test]
fn cfna_181_announces_the_forward_before_the_302() {
    let mut u = ua_with(cfna_only(5, true));
    let t0 = Instant::now();
    u.handle_datagram(t0, invite("n1", "1005").as_bytes(), server());
    assert_eq!(codes(&responses(&mut u)), ["180"], "it rings first");
    u.handle_timeout(t0 + Duration::from_millis(4999));
    assert!(responses(&mut u).is_empty(), "nothing before the ring timeout");
    let t5 = t0 + Duration::from_secs(5);
    u.handle_timeout(t5);
    let out = responses(&mut u);
    assert_eq!(codes(&out), ["181"], "the 181 first, alone: {out:?}");
    let r181 = &out[0];
    assert!(r181.starts_with("SIP/2.0 181 Call Is Being Forwarded\r\n"), "{r181}");
    assert!(r181.contains("History-Info: <sip:1001@pbx.test?Reason="), "{r181}");
    assert!(r181.contains("<sip:2001@pbx.test;cause=408>;index=1.1;mp=1"), "{r181}");
    assert!(!events(&mut u).iter().any(|e| matches!(e, Event::Forwarded { .. })), "not yet forwarded");
    // The 302 follows after the announce gap (so that no proxy can overtake the 181 with it).
    assert_eq!(u.poll_timeout(), Some(t5 + ANNOUNCE_GAP));
    u.handle_timeout(t5 + ANNOUNCE_GAP - Duration::from_millis(1));
    assert!(responses(&mut u).is_empty(), "not before the gap");
    u.handle_timeout(t5 + ANNOUNCE_GAP);
    let out = responses(&mut u);
    assert_eq!(codes(&out), ["302"], "{out:?}");
    assert!(out[0].contains("Contact: <sip:2001@pbx.test>") && out[0].contains("reason=no-answer"), "{}", out[0]);
    // Both belong to the same call and dialog (same To tag).
    let to_tag = |r: &str| r.lines().find(|l| l.starts_with("To:")).map(str::to_string);
    assert_eq!(to_tag(r181), to_tag(&out[0]));
    assert!(out[0].contains("Call-ID: n1"));
    let ev = events(&mut u);
    assert!(ev.iter().any(|e| matches!(e, Event::Forwarded { kind, .. } if kind == "no-answer")), "{ev:?}");
}

#[test]
fn answering_during_the_announce_gap_wins_over_the_forward() {
    let mut u = ua_with(cfna_only(3, true));
    let t0 = Instant::now();
    u.handle_datagram(t0, invite("g1", "1005").as_bytes(), server());
    responses(&mut u);
    let t3 = t0 + Duration::from_secs(3);
    u.handle_timeout(t3);
    assert_eq!(codes(&responses(&mut u)), ["181"]);
    let id = events(&mut u)
        .into_iter()
        .find_map(|e| match e {
            Event::Call { id, state, .. } if state == "ringing" => Some(id),
            _ => None,
        })
        .expect("a ringing call");
    u.answer(t3, &id, "127.0.0.1:40002".parse().unwrap());
    u.handle_timeout(t3 + ANNOUNCE_GAP);
    let out = responses(&mut u);
    assert!(!codes(&out).contains(&"302"), "answered, not forwarded: {out:?}");
    assert!(codes(&out).contains(&"200"), "{out:?}");
}

#[test]
fn cfna_181_is_for_no_answer_only_and_off_by_default() {
    // The setting on, but the forward is CFU: no 181.
    let p = Arc::new(Scripted {
        answer: Box::new(|_| Disposition::Forward {
            target: "2000".into(),
            kind: ForwardKind::Unconditional,
            reason: "CFU".into(),
        }),
        asked: Mutex::new(Vec::new()),
        timeout: None,
        cfna_181: true,
    });
    let mut u = ua_with(p);
    let t0 = Instant::now();
    u.handle_datagram(t0, invite("u1", "1005").as_bytes(), server());
    assert_eq!(codes(&responses(&mut u)), ["302"]);
    // CFNA with the setting off: the 302 alone.
    let mut u = ua_with(cfna_only(3, false));
    u.handle_datagram(t0, invite("n2", "1005").as_bytes(), server());
    responses(&mut u);
    u.handle_timeout(t0 + Duration::from_secs(3));
    assert_eq!(codes(&responses(&mut u)), ["302"]);
}

#[test]
fn cfna_181_from_the_rules_file() {
    use lampboard::engine::rules_policy::RulesPolicy;
    let text = "time_zone = \"UTC\"\nring_timeout = 4\ncfna_181 = true\n[per_status.available]\ncfna = \"2002\"\n";
    let rules = lampboard::forwarding::file::parse(text).expect("valid rules");
    assert!(rules.cfna_181);
    assert!(!lampboard::forwarding::file::parse("").expect("empty rules").cfna_181, "off by default");
    let (_, handle) = RulesPolicy::handle(rules);
    let account = AccountConfig::new("1001", "pbx.test", "secret");
    let mut u = UserAgent::new(account, server(), "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 9);
    u.set_policy(Some(handle));
    let t0 = Instant::now();
    u.handle_datagram(t0, invite("r1", "1005").as_bytes(), server());
    assert_eq!(codes(&responses(&mut u)), ["180"]);
    u.handle_timeout(t0 + Duration::from_secs(4));
    assert_eq!(codes(&responses(&mut u)), ["181"]);
    u.handle_timeout(t0 + Duration::from_secs(4) + ANNOUNCE_GAP);
    let out = responses(&mut u);
    assert_eq!(codes(&out), ["302"], "{out:?}");
    assert!(out[0].contains("Contact: <sip:2002@pbx.test>"), "{}", out[0]);
    let ev = events(&mut u);
    assert!(ev.iter().any(|e| matches!(e, Event::Forwarded { kind, .. } if kind == "no-answer")), "{ev:?}");
}

#[test]
fn cfna_181_waits_for_no_prack_when_the_180_is_unacknowledged() {
    // The caller requires 100rel: our 180 is reliable and not yet PRACKed, so a second
    // reliable provisional response may not go out (RFC 3262 §3): the 302 alone.
    let mut u = ua_with(cfna_only(3, true));
    let t0 = Instant::now();
    let req = invite_with("p1", "1005", "Supported: 100rel\r\nRequire: 100rel\r\n");
    u.handle_datagram(t0, req.as_bytes(), server());
    let out = responses(&mut u);
    assert_eq!(codes(&out), ["180"]);
    let ringing = out.iter().find(|r| r.starts_with("SIP/2.0 180")).expect("a 180");
    assert!(ringing.contains("RSeq: "), "{ringing}");
    u.handle_timeout(t0 + Duration::from_secs(3));
    let out = responses(&mut u);
    let codes = codes(&out);
    assert_eq!(codes.last(), Some(&"302"), "{out:?}");
    assert!(!codes.contains(&"181"), "{out:?}");
}

#[test]
fn history_info_of_the_invite_is_continued() {
    let p = scripted(
        |_| Disposition::Forward { target: "2000".into(), kind: ForwardKind::Busy, reason: "CFB".into() },
        None,
    );
    let mut u = ua_with(p);
    let extra = "History-Info: <sip:1001@pbx.test>;index=1\r\n\
History-Info: <sip:1001@127.0.0.1:40000>;index=1.1;rc=1\r\n\
Diversion: <sip:1000@pbx.test>;reason=unconditional;counter=1\r\n";
    u.handle_datagram(Instant::now(), invite_with("h1", "1005", extra).as_bytes(), server());
    let out = responses(&mut u);
    let r = out.iter().find(|r| r.starts_with("SIP/2.0 302")).unwrap_or_else(|| panic!("no 302: {out:?}"));
    let hi: Vec<&str> = r.lines().filter(|l| l.starts_with("History-Info:")).collect();
    assert_eq!(
        hi,
        ["History-Info: <sip:1001@pbx.test>;index=1,\
<sip:1001@127.0.0.1:40000?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22>;index=1.1;rc=1,\
<sip:2000@pbx.test;cause=486>;index=1.1.1;mp=1.1"],
        "{r}"
    );
    assert!(
        r.contains(
            "Diversion: <sip:1001@pbx.test>;reason=user-busy;counter=1, <sip:1000@pbx.test>;reason=unconditional;counter=1"
        ),
        "{r}"
    );
}

#[test]
fn the_user_forwards_a_ringing_call_with_a_deflection_302() {
    let mut u = ua_with(scripted(|_| Disposition::Ring, None));
    let now = Instant::now();
    u.handle_datagram(now, invite("defl1", "1007").as_bytes(), server());
    assert!(responses(&mut u).iter().any(|r| r.starts_with("SIP/2.0 180")));
    let id = events(&mut u)
        .iter()
        .find_map(|e| match e {
            Event::Call { id, state, .. } if state == "ringing" => Some(id.clone()),
            _ => None,
        })
        .expect("a ringing call");
    u.call_action(now, &id, lampboard::ua::CallAction::Forward("2002".into()));
    let out = responses(&mut u);
    let r = out.iter().find(|r| r.starts_with("SIP/2.0 302")).unwrap_or_else(|| panic!("no 302: {out:?}"));
    assert!(r.contains("Contact: <sip:2002@pbx.test>"), "{r}");
    assert!(r.contains("Diversion: <sip:1001@pbx.test>;reason=deflection;counter=1"), "{r}");
    assert!(r.contains("<sip:2002@pbx.test;cause=480>;index=1.1;mp=1"), "{r}");
    let ev = events(&mut u);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Forwarded { target, kind, .. }
            if target == "sip:2002@pbx.test" && kind == "deflection")),
        "{ev:?}"
    );
    // Once it is no longer ringing here, Forward does nothing.
    u.call_action(now, &id, lampboard::ua::CallAction::Forward("2003".into()));
    assert!(!responses(&mut u).iter().any(|r| r.starts_with("SIP/2.0 302")));
}
