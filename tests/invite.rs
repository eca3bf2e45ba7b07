//! Virtual-clock scenarios for INVITE sessions: CANCEL vs 200 race, 2xx retransmission until
//! ACK (and BYE when it never comes), ACK for every 2xx, re-INVITE glare, CANCEL received,
//! BYE both ways, redirects and rejections with their reasons, auth retry.

use bytes::Bytes;
use lampboard::sip::auth::{Authenticator, Credentials};
use lampboard::sip::invite::{CallEvent, CallState, InviteSession, Outgoing, Role};
use lampboard::sip::message::{Request, Response, SipMessage, name};
use lampboard::sip::transaction::TimerConfig;
use std::time::{Duration, Instant};

fn auth() -> Authenticator {
    Authenticator::new(Credentials { username: "1001".into(), password: "pw".into() })
}

fn caller() -> InviteSession {
    let o = Outgoing {
        extra_headers: Vec::new(),
        local_uri: "sip:1001@pbx.test".into(),
        remote_uri: "sip:1002@pbx.test".into(),
        contact: "sip:1001@192.0.2.5:5070".into(),
        sdp: Bytes::from_static(b"v=0\r\n"),
        call_id: "call1@test".into(),
        tag: "ctag".into(),
    };
    InviteSession::call(o, auth(), TimerConfig::default())
}

/// Adds a Via (as the user agent does) and re-parses, then tells the session it was sent.
fn send(s: &mut InviteSession) -> Request {
    let mut r = s.poll_request().expect("a request");
    if r.header(&name("Via")).is_none() {
        r.headers.insert_front(name("Via"), "SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKinv;rport");
    }
    let r = match SipMessage::parse(&r.to_bytes()).expect("parses") {
        SipMessage::Request(r) => r,
        _ => unreachable!(),
    };
    s.on_sent(&r);
    r
}

fn resp(req: &Request, code: u16, body: &'static [u8]) -> Response {
    let mut r = Response::to_request(req, code, "", Some("rtag"));
    r.headers.insert(name("Contact"), "<sip:1002@192.0.2.9:5060>".to_string());
    if !body.is_empty() {
        r.set_body("application/sdp", Bytes::from_static(body));
    }
    r
}

/// `caller()` after its INVITE was answered and ACKed; returns the session and the INVITE.
fn answered_caller(t0: Instant) -> (InviteSession, Request) {
    let mut s = caller();
    let inv = send(&mut s);
    s.handle_response(t0, &inv, &resp(&inv, 200, b"v=0\r\n"));
    let ack = send(&mut s);
    assert_eq!(ack.method.to_string(), "ACK");
    let _ = events(&mut s);
    (s, inv)
}

/// A request from the other side (1002) inside the dialog of `caller()` once answered.
fn peer_request(method: &str, cseq: u32, branch: &str, sdp: &str) -> Request {
    let body = if sdp.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    let text = format!(
        "{method} sip:1001@192.0.2.5:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch={branch}\r\n\
From: <sip:1002@pbx.test>;tag=rtag\r\nTo: <sip:1001@pbx.test>;tag=ctag\r\nCall-ID: call1@test\r\n\
CSeq: {cseq} {method}\r\nContact: <sip:1002@192.0.2.9:5060>\r\n{body}Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    match SipMessage::parse(text.as_bytes()).expect("peer request parses") {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

fn events(s: &mut InviteSession) -> Vec<CallEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn cancel_then_200_race_acks_and_byes() {
    let t0 = Instant::now();
    let mut s = caller();
    let inv = send(&mut s);
    s.handle_response(t0, &inv, &resp(&inv, 180, b""));
    assert_eq!(s.state(), CallState::Early);
    s.hangup();
    let cancel = send(&mut s);
    assert_eq!(cancel.method.to_string(), "CANCEL");
    assert_eq!(cancel.top_via(), inv.top_via(), "CANCEL has the INVITE's Via (same branch)");
    assert_eq!(cancel.cseq().unwrap().0, inv.cseq().unwrap().0);
    assert_eq!(cancel.uri, inv.uri);
    // The 200 crosses the CANCEL.
    s.handle_response(t0, &inv, &resp(&inv, 200, b"v=0\r\n"));
    let ack = send(&mut s);
    assert_eq!(ack.method.to_string(), "ACK");
    assert_eq!(ack.uri, "sip:1002@192.0.2.9:5060", "ACK goes to the 2xx's Contact");
    assert_eq!(ack.to_tag().as_deref(), Some("rtag"));
    let bye = send(&mut s);
    assert_eq!(bye.method.to_string(), "BYE");
    assert!(events(&mut s).iter().all(|e| !matches!(e, CallEvent::Answered { .. })), "never reported answered");
    // A retransmitted 200 is ACKed again, with no second BYE.
    s.handle_response(t0, &inv, &resp(&inv, 200, b"v=0\r\n"));
    assert_eq!(send(&mut s).method.to_string(), "ACK");
    assert!(s.poll_request().is_none());
    s.handle_response(t0, &bye, &Response::to_request(&bye, 200, "OK", None));
    assert_eq!(s.state(), CallState::Ended);
}

#[test]
fn cancel_before_any_response_waits_for_a_provisional_response() {
    let mut s = caller();
    s.hangup();
    let inv = send(&mut s);
    assert_eq!(inv.method.to_string(), "INVITE");
    assert!(s.poll_request().is_none(), "no CANCEL before a provisional response (RFC 3261 §9.1)");
    s.handle_response(Instant::now(), &inv, &resp(&inv, 100, b""));
    let cancel = send(&mut s);
    assert_eq!(cancel.method.to_string(), "CANCEL");
    s.handle_response(Instant::now(), &inv, &resp(&inv, 487, b""));
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Ended { code: Some(487), .. }]));
}

#[test]
fn callee_retransmits_2xx_until_ack() {
    let t0 = Instant::now();
    let mut c = caller();
    let inv = send(&mut c);
    let mut s = InviteSession::incoming(&inv, "sip:1002@192.0.2.9:5060", "stag".into(), TimerConfig::default());
    assert_eq!(s.role(), Role::Callee);
    let ringing = s.poll_response().unwrap();
    assert_eq!(ringing.code, 180);
    assert_eq!(ringing.to_tag().as_deref(), Some("stag"));
    s.answer(t0, Bytes::from_static(b"v=0 answer\r\n"));
    assert_eq!(s.poll_response().unwrap().code, 200);
    let mut sends = Vec::new();
    while let Some(t) = s.poll_timeout().filter(|t| *t < t0 + Duration::from_secs(12)) {
        s.handle_timeout(t);
        while let Some(r) = s.poll_response() {
            assert_eq!(r.code, 200);
            sends.push((t - t0).as_millis() as u64);
        }
    }
    assert_eq!(sends, vec![500, 1500, 3500, 7500, 11500], "T1 doubling capped at T2");
    let mut ack = inv.clone();
    ack.method = lampboard::sip::message::method_from("ACK");
    assert!(s.handle_request(t0 + Duration::from_secs(12), &ack).is_none());
    assert_eq!(s.poll_timeout(), None, "the ACK stops the retransmissions");
    assert_eq!(s.state(), CallState::Confirmed);
}

#[test]
fn callee_without_ack_ends_the_call_with_bye() {
    let t0 = Instant::now();
    let mut c = caller();
    let inv = send(&mut c);
    let mut s = InviteSession::incoming(&inv, "sip:1002@192.0.2.9:5060", "stag".into(), TimerConfig::default());
    s.answer(t0, Bytes::from_static(b"v=0\r\n"));
    while let Some(t) = s.poll_timeout() {
        s.handle_timeout(t);
        while s.poll_response().is_some() {}
        if s.state() == CallState::Ending {
            assert_eq!(t - t0, Duration::from_secs(32), "64·T1");
            break;
        }
    }
    let bye = s.poll_request().expect("BYE");
    assert_eq!(bye.method.to_string(), "BYE");
    assert_eq!(bye.uri, "sip:1001@192.0.2.5:5070", "to the caller's Contact");
    assert_eq!(bye.to_tag().as_deref(), Some("ctag"));
    assert_eq!(bye.from_tag().as_deref(), Some("stag"));
}

#[test]
fn incoming_cancel_gives_487_and_200() {
    let mut c = caller();
    let inv = send(&mut c);
    let mut s = InviteSession::incoming(&inv, "sip:1002@192.0.2.9:5060", "stag".into(), TimerConfig::default());
    let _ = s.poll_response();
    let mut cancel = inv.clone();
    cancel.method = lampboard::sip::message::method_from("CANCEL");
    let ok = s.handle_request(Instant::now(), &cancel).expect("200 to CANCEL");
    assert_eq!(ok.code, 200);
    assert_eq!(s.poll_response().unwrap().code, 487);
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Ended { code: Some(487), .. }]));
}

#[test]
fn rejections_report_their_reason_and_redirect_is_followed() {
    for (code, want) in
        [(486, "486 Busy Here"), (603, "603 Decline"), (404, "404 Not Found"), (480, "480 Temporarily Unavailable")]
    {
        let mut s = caller();
        let inv = send(&mut s);
        s.handle_response(Instant::now(), &inv, &resp(&inv, code, b""));
        match events(&mut s).as_slice() {
            [CallEvent::Ended { code: Some(c), reason }] => {
                assert_eq!(*c, code);
                assert_eq!(reason, want);
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    let mut s = caller();
    let inv = send(&mut s);
    let mut moved = Response::to_request(&inv, 302, "Moved Temporarily", Some("rtag"));
    moved.headers.remove(&name("Contact"));
    moved.headers.insert(name("Contact"), "<sip:1005@pbx.test>".to_string());
    s.handle_response(Instant::now(), &inv, &moved);
    let again = send(&mut s);
    assert_eq!(again.uri, "sip:1005@pbx.test");
    assert_eq!(again.cseq().unwrap().0, inv.cseq().unwrap().0 + 1);
}

#[test]
fn proxy_challenge_is_answered_once() {
    let mut s = caller();
    let inv = send(&mut s);
    let mut ch = resp(&inv, 407, b"");
    ch.headers.insert(name("Proxy-Authenticate"), r#"Digest realm="pbx.test", nonce="n1", algorithm=MD5"#.to_string());
    s.handle_response(Instant::now(), &inv, &ch);
    let again = send(&mut s);
    assert!(again.header(&name("Proxy-Authorization")).is_some());
    assert_eq!(&again.body[..], b"v=0\r\n", "the offer goes again");
    s.handle_response(Instant::now(), &again, &ch);
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Ended { code: Some(407), .. }]));
}

#[test]
fn reinvite_glare_retries_after_the_owner_delay() {
    let t0 = Instant::now();
    let (mut s, _) = answered_caller(t0);
    s.reinvite(Bytes::from_static(b"v=0 sendonly\r\n"));
    let re = send(&mut s);
    assert_eq!(re.method.to_string(), "INVITE");
    assert_eq!(re.to_tag().as_deref(), Some("rtag"));
    assert_eq!(re.uri, "sip:1002@192.0.2.9:5060");
    // The other side re-INVITEs at the same time: it gets 491 from us, we get 491 from it.
    let theirs = peer_request("INVITE", 5, "z9hG4bKg", "");
    assert_eq!(s.handle_request(t0, &theirs).unwrap().code, 491);
    s.handle_response(t0, &re, &Response::to_request(&re, 491, "Request Pending", Some("rtag")));
    let t = s.poll_timeout().expect("glare retry timer");
    let d = t - t0;
    assert!(
        d >= Duration::from_millis(2100) && d <= Duration::from_secs(4),
        "owner of the Call-ID waits 2.1–4 s: {d:?}"
    );
    s.handle_timeout(t);
    let retry = send(&mut s);
    assert_eq!(&retry.body[..], b"v=0 sendonly\r\n");
    s.handle_response(t, &retry, &resp(&retry, 200, b"v=0 recvonly\r\n"));
    let ack = send(&mut s);
    assert_eq!(ack.method.to_string(), "ACK");
    assert_eq!(ack.cseq().unwrap().0, retry.cseq().unwrap().0, "ACK keeps the re-INVITE's CSeq number");
    assert!(events(&mut s).iter().any(|e| matches!(e, CallEvent::Reanswered { .. })));
}

#[test]
fn bye_from_the_other_side_ends_the_call() {
    let t0 = Instant::now();
    let mut s = caller();
    let inv = send(&mut s);
    s.handle_response(t0, &inv, &resp(&inv, 200, b"v=0\r\n"));
    let _ = send(&mut s);
    let bye = peer_request("BYE", 9, "z9hG4bKb", "");
    assert_eq!(s.handle_request(t0, &bye).unwrap().code, 200);
    assert_eq!(s.state(), CallState::Ended);
    assert!(events(&mut s).iter().any(|e| matches!(e, CallEvent::Ended { code: None, .. })));
}

#[test]
fn late_2xx_of_the_initial_invite_is_not_taken_for_the_reinvite_answer() {
    let t0 = Instant::now();
    let (mut s, inv) = answered_caller(t0);
    s.reinvite(Bytes::from_static(b"v=0 sendonly\r\n"));
    let re = send(&mut s);
    // Our first ACK was lost: the initial 200 comes again while the re-INVITE is out.
    s.handle_response(t0, &inv, &resp(&inv, 200, b"v=0\r\n"));
    let ack = send(&mut s);
    assert_eq!(ack.cseq().unwrap().0, inv.cseq().unwrap().0, "ACKs the initial INVITE");
    assert!(events(&mut s).is_empty(), "no re-answer from the old 2xx");
    s.handle_response(t0, &re, &resp(&re, 200, b"v=0 recvonly\r\n"));
    assert_eq!(send(&mut s).cseq().unwrap().0, re.cseq().unwrap().0);
    assert!(events(&mut s).iter().any(|e| matches!(e, CallEvent::Reanswered { .. })));
}

#[test]
fn callee_hanging_up_before_the_ack_waits_for_it() {
    let t0 = Instant::now();
    let mut c = caller();
    let inv = send(&mut c);
    let mut s = InviteSession::incoming(&inv, "sip:1002@192.0.2.9:5060", "stag".into(), TimerConfig::default());
    s.answer(t0, Bytes::from_static(b"v=0\r\n"));
    s.hangup();
    assert!(s.poll_request().is_none(), "no BYE before the ACK (RFC 3261 §15)");
    let mut ack = inv.clone();
    ack.method = lampboard::sip::message::method_from("ACK");
    s.handle_request(t0, &ack);
    assert_eq!(s.poll_request().expect("BYE after the ACK").method.to_string(), "BYE");
}

#[test]
fn our_2xx_to_a_reinvite_is_retransmitted_until_the_ack() {
    let t0 = Instant::now();
    let (mut s, _) = answered_caller(t0);
    let reinvite = peer_request("INVITE", 7, "z9hG4bKr", "v=0\r\n");
    assert!(s.handle_request(t0, &reinvite).is_none(), "answered once the SDP is ready");
    assert!(matches!(events(&mut s).as_slice(), [CallEvent::Reoffer { .. }]));
    s.answer_reinvite(Bytes::from_static(b"v=0 answer\r\n"));
    assert_eq!(s.poll_response().unwrap().code, 200);
    let t = s.poll_timeout().expect("retransmission timer");
    assert_eq!(t - t0, Duration::from_millis(500));
    s.handle_timeout(t);
    assert_eq!(s.poll_response().expect("2xx again").code, 200);
    let mut ack = reinvite.clone();
    ack.method = lampboard::sip::message::method_from("ACK");
    s.handle_request(t, &ack);
    assert_eq!(s.poll_timeout(), None);
}

fn peer_request_with(method: &str, cseq: u32, extra: &str, ctype: &str, body: &str) -> Request {
    let ct = if body.is_empty() { String::new() } else { format!("Content-Type: {ctype}\r\n") };
    let text = format!(
        "{method} sip:1001@192.0.2.5:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK{method}{cseq}\r\n\
From: <sip:1002@pbx.test>;tag=rtag\r\nTo: <sip:1001@pbx.test>;tag=ctag\r\nCall-ID: call1@test\r\n\
CSeq: {cseq} {method}\r\nContact: <sip:1002@192.0.2.9:5060>\r\n{extra}{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match SipMessage::parse(text.as_bytes()).expect("peer request parses") {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

#[test]
fn blind_transfer_sends_refer_and_follows_the_sipfrag_notifies() {
    let t0 = Instant::now();
    let (mut s, _) = answered_caller(t0);
    s.refer("<sip:1003@pbx.test>", "sip:1001@pbx.test");
    let refer = send(&mut s);
    assert_eq!(refer.method.to_string(), "REFER");
    assert_eq!(refer.header(&name("Refer-To")), Some("<sip:1003@pbx.test>"));
    assert_eq!(refer.header(&name("Referred-By")), Some("<sip:1001@pbx.test>"));
    s.handle_response(t0, &refer, &resp(&refer, 202, b""));
    assert_eq!(events(&mut s), vec![CallEvent::ReferAnswered { code: 202 }]);
    let trying = peer_request_with(
        "NOTIFY",
        7,
        "Event: refer\r\nSubscription-State: active;expires=60\r\n",
        "message/sipfrag;version=2.0",
        "SIP/2.0 100 Trying\r\n",
    );
    assert_eq!(s.handle_request(t0, &trying).map(|r| r.code), Some(200));
    assert_eq!(events(&mut s), vec![CallEvent::ReferProgress { code: 100, terminated: false }]);
    let ok = peer_request_with(
        "NOTIFY",
        8,
        "Event: refer\r\nSubscription-State: terminated;reason=noresource\r\n",
        "message/sipfrag",
        "SIP/2.0 200 OK\r\n",
    );
    assert_eq!(s.handle_request(t0, &ok).map(|r| r.code), Some(200));
    assert_eq!(events(&mut s), vec![CallEvent::ReferProgress { code: 200, terminated: true }]);
    // A NOTIFY whose body is no sipfrag gets 400, not a crash.
    let bad = peer_request_with("NOTIFY", 9, "Event: refer\r\n", "message/sipfrag", "hello");
    assert_eq!(s.handle_request(t0, &bad).map(|r| r.code), Some(400));
}

#[test]
fn received_refer_is_accepted_reported_and_answered_with_notifies() {
    let t0 = Instant::now();
    let (mut s, _) = answered_caller(t0);
    let refer = peer_request_with(
        "REFER",
        5,
        "Refer-To: <sip:1004@pbx.test?Replaces=abc%40h%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\nReferred-By: <sip:1002@pbx.test>\r\n",
        "",
        "",
    );
    assert_eq!(s.handle_request(t0, &refer).map(|r| r.code), Some(202));
    let ev = events(&mut s);
    assert!(matches!(&ev[..], [CallEvent::Referred { refer_to, .. }] if refer_to.contains("Replaces=")), "{ev:?}");
    let n = send(&mut s);
    assert_eq!(n.method.to_string(), "NOTIFY");
    assert_eq!(n.header(&name("Event")), Some("refer"));
    assert_eq!(&n.body[..], b"SIP/2.0 100 Trying\r\n");
    s.notify_refer(200, "OK", true);
    let n = send(&mut s);
    assert!(n.header(&name("Subscription-State")).unwrap().starts_with("terminated"));
    assert_eq!(&n.body[..], b"SIP/2.0 200 OK\r\n");
    // A REFER without Refer-To is refused.
    let bad = peer_request_with("REFER", 6, "", "", "");
    assert_eq!(s.handle_request(t0, &bad).map(|r| r.code), Some(400));
}

#[test]
fn redirect_after_180_sends_a_fresh_invite_without_the_to_tag() {
    let t0 = Instant::now();
    let mut s = caller();
    let inv = send(&mut s);
    s.handle_response(t0, &inv, &resp(&inv, 180, b""));
    assert_eq!(s.state(), CallState::Early);
    let mut moved = Response::to_request(&inv, 302, "Moved Temporarily", Some("rtag"));
    moved.headers.insert(name("Contact"), "<sip:2000@pbx.test>".to_string());
    s.handle_response(t0, &inv, &moved);
    let again = send(&mut s);
    assert_eq!(again.method.to_string(), "INVITE");
    assert!(again.uri.to_string().contains("2000"), "{}", again.uri);
    assert_eq!(again.to_tag(), None, "outside the early dialog of the 180");
    assert_eq!(s.state(), CallState::Calling);
}
