//! Virtual-clock scenarios for the forwarding rules acting on calls to this softphone (the
//! user agent's call policy hook): reject with 486 (DND), 302 with Contact and Diversion
//! (CFU), CFB while another call is up, CFNA once the ring timeout has passed, and a call
//! that rings when the policy says so.

use lampboard::api::Event;
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::policy::{CallPolicy, Disposition, ForwardKind, IncomingCall, PolicyHandle};
use lampboard::ua::{AccountConfig, UserAgent};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A policy scripted by the test: records what it was asked.
struct Scripted {
    answer: Box<dyn Fn(&IncomingCall) -> Disposition + Send + Sync>,
    asked: Mutex<Vec<IncomingCall>>,
    timeout: Option<Duration>,
}

impl CallPolicy for Scripted {
    fn decide(&self, call: &IncomingCall) -> Disposition {
        self.asked.lock().unwrap().push(call.clone());
        (self.answer)(call)
    }
    fn ring_timeout(&self) -> Option<Duration> {
        self.timeout
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
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    format!(
        "INVITE sip:1001@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bK{call_id}\r\n\
From: \"Caller\" <sip:{from}@pbx.test>;tag=ft{call_id}\r\n\
To: <sip:1001@pbx.test>\r\n\
Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
Contact: <sip:{from}@127.0.0.1:35062>\r\n\
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
    Arc::new(Scripted { answer: Box::new(f), asked: Mutex::new(Vec::new()), timeout: t.map(Duration::from_secs) })
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
    let asked = p.asked.lock().unwrap();
    assert!(asked.iter().any(|c| c.caller == "1005" && c.rung_out));
}
