//! Reliable provisional responses (RFC 3262) on a virtual clock: the caller PRACKs a reliable
//! 18x once per RSeq (re-PRACKing an unanswered retransmission, ignoring out-of-order ones);
//! the callee sends its 180 reliably when the INVITE requires 100rel, retransmits it at T1
//! doubling until the PRACK, gives up with 500 after 64·T1, and answers PRACKs 200 or 481.
//! Also through the user agent: an INVITE requiring 100rel now rings instead of getting 420.

use bytes::Bytes;
use lampboard::api::Event;
use lampboard::sip::auth::{Authenticator, Credentials};
use lampboard::sip::invite::{CallEvent, CallState, InviteSession, Outgoing};
use lampboard::sip::message::{Request, Response, SipMessage, name};
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::{AccountConfig, UserAgent};
use std::time::{Duration, Instant};

fn caller() -> InviteSession {
    let o = Outgoing {
        extra_headers: Vec::new(),
        local_uri: "sip:1001@pbx.test".into(),
        remote_uri: "sip:1002@pbx.test".into(),
        contact: "sip:1001@192.0.2.5:5070".into(),
        sdp: Bytes::from_static(b"v=0 offer\r\n"),
        call_id: "prack1@test".into(),
        tag: "ctag".into(),
    };
    let auth = Authenticator::new(Credentials { username: "1001".into(), password: "pw".into() });
    InviteSession::call(o, auth, TimerConfig::default())
}

fn parse_request(text: &[u8]) -> Request {
    match SipMessage::parse(text).expect("parses") {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

/// The next request, with a Via as the user agent adds it, re-parsed.
fn send(s: &mut InviteSession) -> Request {
    let mut r = s.poll_request().expect("a request");
    r.headers.insert_front(name("Via"), "SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKx;rport");
    let r = parse_request(&r.to_bytes());
    s.on_sent(&r);
    r
}

fn requests(s: &mut InviteSession) -> Vec<Request> {
    std::iter::from_fn(|| s.poll_request()).collect()
}

fn events(s: &mut InviteSession) -> Vec<CallEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// A provisional response to `inv`; reliable with `rseq`, through a proxy that record-routes.
fn provisional(inv: &Request, code: u16, rseq: Option<u32>, body: &'static [u8]) -> Response {
    let mut r = Response::to_request(inv, code, "", Some("rtag"));
    r.headers.insert(name("Contact"), "<sip:1002@192.0.2.9:5060>".to_string());
    r.headers.insert(name("Record-Route"), "<sip:p1.test;lr>, <sip:p2.test;lr>".to_string());
    if let Some(n) = rseq {
        r.headers.insert(name("Require"), "100rel".to_string());
        r.headers.insert(name("RSeq"), n.to_string());
    }
    if !body.is_empty() {
        r.set_body("application/sdp", Bytes::from_static(body));
    }
    r
}

#[test]
fn caller_offers_100rel_and_pracks_a_reliable_180() {
    let t0 = Instant::now();
    let mut s = caller();
    let inv = send(&mut s);
    assert_eq!(inv.header(&name("Supported")), Some("100rel"));
    s.handle_response(t0, &inv, &provisional(&inv, 180, Some(7), b""));
    assert_eq!(s.state(), CallState::Early);
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Ringing { sdp: None }]));
    let prack = send(&mut s);
    assert_eq!(prack.method.to_string(), "PRACK");
    assert_eq!(prack.uri, "sip:1002@192.0.2.9:5060", "to the 18x's Contact");
    assert_eq!(prack.header(&name("RAck")), Some("7 1 INVITE"));
    assert_eq!(prack.cseq().unwrap().0, 2);
    assert_eq!(prack.to_tag().as_deref(), Some("rtag"));
    let routes: Vec<&str> = prack.headers.get_raw(&name("Route")).map(|v| v.as_str()).collect();
    assert_eq!(routes.join(","), "<sip:p2.test;lr>,<sip:p1.test;lr>", "the early dialog's route set, reversed");
    // The UAS retransmits (our PRACK has not been answered yet): PRACK again, no new event.
    s.handle_response(t0, &inv, &provisional(&inv, 180, Some(7), b""));
    assert!(events(&mut s).is_empty(), "a retransmission is not processed again");
    let again = send(&mut s);
    assert_eq!((again.method.to_string(), again.header(&name("RAck"))), ("PRACK".into(), Some("7 1 INVITE")));
    assert_eq!(again.cseq().unwrap().0, 3, "a new PRACK transaction");
    // Once a PRACK is answered, a late retransmission needs nothing.
    s.handle_response(t0, &prack, &Response::to_request(&prack, 200, "OK", None));
    s.handle_response(t0, &inv, &provisional(&inv, 180, Some(7), b""));
    assert!(requests(&mut s).is_empty() && events(&mut s).is_empty());
    // Out of order: RSeq 9 skips 8, RSeq 6 is old. Neither is PRACKed nor processed.
    s.handle_response(t0, &inv, &provisional(&inv, 183, Some(9), b"v=0 early\r\n"));
    s.handle_response(t0, &inv, &provisional(&inv, 180, Some(6), b""));
    assert!(requests(&mut s).is_empty() && events(&mut s).is_empty());
    // RSeq 8 is next: a 183 with the answer.
    s.handle_response(t0, &inv, &provisional(&inv, 183, Some(8), b"v=0 early\r\n"));
    assert_eq!(send(&mut s).header(&name("RAck")), Some("8 1 INVITE"));
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Ringing { sdp: Some(b) }] if b == "v=0 early\r\n"));
    // The 2xx without SDP: the answer of the reliable 183 holds; the ACK has the INVITE's CSeq.
    let mut ok = Response::to_request(&inv, 200, "OK", Some("rtag"));
    ok.headers.insert(name("Contact"), "<sip:1002@192.0.2.9:5060>".to_string());
    s.handle_response(t0, &inv, &ok);
    let ack = send(&mut s);
    assert_eq!((ack.method.to_string(), ack.cseq().unwrap().0), ("ACK".into(), 1));
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Answered { sdp: Some(b) }] if b == "v=0 early\r\n"));
}

#[test]
fn unreliable_provisionals_are_not_pracked() {
    let mut s = caller();
    let inv = send(&mut s);
    s.handle_response(Instant::now(), &inv, &provisional(&inv, 180, None, b""));
    s.handle_response(Instant::now(), &inv, &provisional(&inv, 180, None, b""));
    assert!(requests(&mut s).is_empty());
    assert_eq!(events(&mut s).len(), 2, "each unreliable 180 is reported");
    // Require: 100rel without a valid RSeq cannot be PRACKed: processed as unreliable.
    let mut bad = provisional(&inv, 180, None, b"");
    bad.headers.insert(name("Require"), "100rel".to_string());
    bad.headers.insert(name("RSeq"), "0".to_string());
    s.handle_response(Instant::now(), &inv, &bad);
    assert!(requests(&mut s).is_empty());
}

/// An INVITE from 1001 to us (1002) with `extra` headers.
fn incoming_invite(extra: &str) -> Request {
    let text = format!(
        "INVITE sip:1002@192.0.2.9:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKinv\r\n\
From: <sip:1001@pbx.test>;tag=ctag\r\nTo: <sip:1002@pbx.test>\r\nCall-ID: prack2@test\r\nCSeq: 5 INVITE\r\n\
Contact: <sip:1001@192.0.2.5:5070>\r\n{extra}Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"
    );
    parse_request(text.as_bytes())
}

fn prack_for(rack: &str, cseq: u32) -> Request {
    let text = format!(
        "PRACK sip:1002@192.0.2.9:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKpr{cseq}\r\n\
From: <sip:1001@pbx.test>;tag=ctag\r\nTo: <sip:1002@pbx.test>;tag=stag\r\nCall-ID: prack2@test\r\n\
CSeq: {cseq} PRACK\r\nRAck: {rack}\r\nContent-Length: 0\r\n\r\n"
    );
    parse_request(text.as_bytes())
}

fn callee(extra: &str, t0: Instant) -> (InviteSession, Response) {
    let inv = incoming_invite(extra);
    let mut s =
        InviteSession::incoming_unannounced(&inv, "sip:1002@192.0.2.9:5060", "stag".into(), TimerConfig::default());
    s.ring_at(t0);
    let ringing = s.poll_response().expect("180");
    assert_eq!(ringing.code, 180);
    (s, ringing)
}

#[test]
fn callee_retransmits_a_reliable_180_until_the_prack() {
    let t0 = Instant::now();
    let (mut s, ringing) = callee("Supported: timer\r\nRequire: 100rel\r\n", t0);
    assert_eq!(ringing.header(&name("Require")), Some("100rel"));
    let rseq: u32 = ringing.header(&name("RSeq")).expect("RSeq").parse().expect("a number");
    assert!((1..0x8000_0000).contains(&rseq));
    assert!(s.awaiting_prack());
    let mut sends = Vec::new();
    while let Some(t) = s.poll_timeout().filter(|t| *t < t0 + Duration::from_secs(8)) {
        s.handle_timeout(t);
        while let Some(r) = s.poll_response() {
            assert_eq!((r.code, r.header(&name("RSeq"))), (180, Some(rseq.to_string().as_str())));
            sends.push((t - t0).as_millis() as u64);
        }
    }
    assert_eq!(sends, vec![500, 1500, 3500, 7500], "T1, 2·T1, 4·T1… (no T2 cap)");
    // A PRACK for another RSeq or another INVITE: 481, retransmissions go on.
    let t = t0 + Duration::from_secs(8);
    assert_eq!(s.handle_request(t, &prack_for(&format!("{} 5 INVITE", rseq + 1), 6)).map(|r| r.code), Some(481));
    assert_eq!(s.handle_request(t, &prack_for(&format!("{rseq} 4 INVITE"), 7)).map(|r| r.code), Some(481));
    assert!(s.awaiting_prack());
    // The right one: 200, and the retransmissions stop.
    let ok = s.handle_request(t, &prack_for(&format!("{rseq} 5 INVITE"), 8)).expect("a response");
    assert_eq!((ok.code, ok.header(&name("CSeq"))), (200, Some("8 PRACK")));
    assert!(!s.awaiting_prack());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.state(), CallState::Incoming, "still ringing");
    // The same PRACK again matches nothing now.
    assert_eq!(s.handle_request(t, &prack_for(&format!("{rseq} 5 INVITE"), 9)).map(|r| r.code), Some(481));
    // The next reliable 180 takes the next RSeq.
    s.ring_at(t);
    assert_eq!(
        s.poll_response().and_then(|r| r.header(&name("RSeq")).map(str::to_string)),
        Some((rseq + 1).to_string())
    );
    s.answer(t, Bytes::from_static(b"v=0 answer\r\n"));
    assert_eq!(s.poll_response().map(|r| r.code), Some(200), "no SDP in our 180: the 2xx need not wait");
    assert!(!s.awaiting_prack(), "a final response ends the reliable retransmissions");
}

#[test]
fn callee_without_prack_gives_up_with_500_after_64_t1() {
    let t0 = Instant::now();
    let (mut s, _) = callee("Require: 100rel\r\n", t0);
    let mut last = Vec::new();
    while let Some(t) = s.poll_timeout() {
        assert!(t <= t0 + Duration::from_secs(40), "bounded");
        s.handle_timeout(t);
        last.extend(std::iter::from_fn(|| s.poll_response()).map(|r| (r.code, (t - t0).as_millis() as u64)));
    }
    let retransmits: Vec<u64> = last.iter().filter(|(c, _)| *c == 180).map(|(_, t)| *t).collect();
    assert_eq!(retransmits, vec![500, 1500, 3500, 7500, 15_500, 31_500]);
    assert_eq!(last.last(), Some(&(500, 32_000)), "500 at 64·T1");
    assert_eq!(s.state(), CallState::Ended);
    let evs = events(&mut s);
    assert!(matches!(evs.as_slice(), [CallEvent::Ended { code: Some(500), .. }]), "{evs:?}");
}

#[test]
fn callee_without_require_sends_an_unreliable_180() {
    let t0 = Instant::now();
    let (mut s, ringing) = callee("Supported: 100rel\r\n", t0);
    assert_eq!(ringing.header(&name("RSeq")), None);
    assert_eq!(ringing.header(&name("Require")), None);
    assert!(!s.awaiting_prack());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.handle_request(t0, &prack_for("1 5 INVITE", 6)).map(|r| r.code), Some(481));
}

#[test]
fn user_agent_rings_reliably_for_an_invite_requiring_100rel() {
    let server = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() };
    let account = AccountConfig::new("1001", "pbx.test", "secret");
    let mut u = UserAgent::new(account, server, "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 5);
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let invite = format!(
        "INVITE sip:1001@127.0.0.1:40000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bKrel1\r\n\
From: <sip:1005@pbx.test>;tag=ft1\r\nTo: <sip:1001@pbx.test>\r\nCall-ID: rel1\r\nCSeq: 1 INVITE\r\n\
Max-Forwards: 70\r\nContact: <sip:1005@127.0.0.1:35062>\r\nSupported: 100rel\r\nRequire: 100rel\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let t0 = Instant::now();
    u.handle_datagram(t0, invite.as_bytes(), server);
    let out: Vec<String> =
        std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect();
    let ringing = out.iter().find(|r| r.starts_with("SIP/2.0 180")).unwrap_or_else(|| panic!("a 180: {out:?}"));
    assert!(ringing.contains("Require: 100rel") && ringing.contains("RSeq: "), "{ringing}");
    assert!(
        std::iter::from_fn(|| u.poll_event()).any(|e| matches!(e, Event::Call { state, .. } if state == "ringing"))
    );
    // Unacknowledged, the 180 comes again T1 later.
    let t1 = u.poll_timeout().expect("a timer");
    assert!(t1 <= t0 + Duration::from_millis(500), "{:?}", t1 - t0);
    u.handle_timeout(t0 + Duration::from_millis(500));
    let again: Vec<String> =
        std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect();
    assert!(again.iter().any(|r| r.starts_with("SIP/2.0 180") && r.contains("RSeq: ")), "{again:?}");
    let rseq = ringing.lines().find_map(|l| l.strip_prefix("RSeq: ")).expect("RSeq").trim();
    let tag = ringing.lines().find(|l| l.starts_with("To:")).and_then(|l| l.split(";tag=").nth(1)).expect("tag").trim();
    let prack = format!(
        "PRACK sip:1001@127.0.0.1:40000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bKrel2\r\n\
From: <sip:1005@pbx.test>;tag=ft1\r\nTo: <sip:1001@pbx.test>;tag={tag}\r\nCall-ID: rel1\r\nCSeq: 2 PRACK\r\n\
Max-Forwards: 70\r\nRAck: {rseq} 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    u.handle_datagram(t0 + Duration::from_millis(600), prack.as_bytes(), server);
    let answered: Vec<String> =
        std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect();
    assert!(answered.iter().any(|r| r.starts_with("SIP/2.0 200") && r.contains("PRACK")), "{answered:?}");
    // No more 180s after the PRACK.
    u.handle_timeout(t0 + Duration::from_millis(1600));
    assert!(!std::iter::from_fn(|| u.poll_transmit()).any(|t| t.data.starts_with(b"SIP/2.0 180")));
}
