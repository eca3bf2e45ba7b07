//! Virtual-clock scenarios for digest auth, registration and the user agent, with a scripted
//! registrar: refresh timing, 401/407 retry once, stale nonces, two algorithms, 423, backoff
//! with jitter and Retry-After, un-REGISTER, and requests with `tel:` / escaped-quote From.

use lampboard::api::Event;
use lampboard::sip::auth::{Authenticator, Credentials};
use lampboard::sip::message::{Request, Response, SipMessage};
use lampboard::sip::registration::{RegEvent, RegState, Registration, RegistrationConfig, refresh_delay};
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::{AccountConfig, UserAgent};
use std::time::{Duration, Instant};

fn creds() -> Credentials {
    Credentials { username: "1001".into(), password: "secret".into() }
}

fn reg() -> Registration {
    let mut cfg = RegistrationConfig::new("sip:1001@pbx.test", "sip:pbx.test", "sip:1001@192.0.2.5:5070", creds());
    cfg.instance_id = Some("urn:uuid:00000000-0000-4000-8000-000000000001".into());
    cfg.reg_id = Some(1);
    Registration::new(cfg, "cid@test".into(), "ftag".into())
}

fn as_request(mut r: Request) -> Request {
    r.headers.insert_front(lampboard::sip::message::name("Via"), "SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKx");
    match SipMessage::parse(&r.to_bytes()).expect("our REGISTER parses") {
        SipMessage::Request(r) => r,
        _ => unreachable!(),
    }
}

fn answer(req: &Request, code: u16, extra: &[(&str, &str)]) -> Response {
    let mut resp = Response::to_request(req, code, "Test", Some("srvtag"));
    for (n, v) in extra {
        resp.headers.insert(lampboard::sip::message::name(n), v.to_string());
    }
    resp
}

const CHALLENGE_MD5: &str = r#"Digest realm="pbx.test", nonce="n1", qop="auth,auth-int", algorithm=MD5"#;
const CHALLENGE_SHA: &str = r#"Digest realm="pbx.test", nonce="n1", qop="auth", algorithm=SHA-256"#;

#[test]
fn initial_register_has_instance_reg_id_and_expires() {
    let mut r = reg();
    r.start("c1");
    let req = as_request(r.poll_request().expect("REGISTER"));
    assert_eq!(req.uri, "sip:pbx.test");
    let contact = req.header(&lampboard::sip::message::name("Contact")).unwrap();
    assert!(contact.contains(r#"+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>""#), "{contact}");
    assert!(contact.contains("reg-id=1"));
    assert_eq!(req.header(&lampboard::sip::message::name("Expires")), Some("600"));
    assert_eq!(req.from_tag().as_deref(), Some("ftag"));
}

#[test]
fn challenge_is_answered_once_then_a_second_challenge_is_a_wrong_password() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let first = as_request(r.poll_request().unwrap());
    assert!(first.header(&lampboard::sip::message::name("Authorization")).is_none());
    r.handle_response(now, &first, &answer(&first, 401, &[("WWW-Authenticate", CHALLENGE_MD5)]), 0.5, "c2");
    let second = as_request(r.poll_request().expect("retry with credentials"));
    let auth = second.header(&lampboard::sip::message::name("Authorization")).unwrap();
    assert!(auth.contains("qop=auth,") && auth.contains("nc=00000001") && auth.contains("algorithm=MD5"), "{auth}");
    assert_eq!(second.cseq().unwrap().0, 2, "a new CSeq for the retry");
    r.handle_response(now, &second, &answer(&second, 401, &[("WWW-Authenticate", CHALLENGE_MD5)]), 0.5, "c3");
    assert!(r.poll_request().is_none(), "no loop");
    assert_eq!(r.state(), RegState::Failed);
    match r.poll_event() {
        Some(RegEvent::Failed { code: Some(401), reason, retry_in: None }) => assert!(reason.contains("password")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stale_nonce_is_retried_and_proxy_challenges_work_too() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let a = as_request(r.poll_request().unwrap());
    r.handle_response(now, &a, &answer(&a, 407, &[("Proxy-Authenticate", CHALLENGE_MD5)]), 0.5, "c2");
    let b = as_request(r.poll_request().unwrap());
    assert!(b.header(&lampboard::sip::message::name("Proxy-Authorization")).is_some());
    let stale = r#"Digest realm="pbx.test", nonce="n2", stale=true, algorithm=MD5"#;
    r.handle_response(now, &b, &answer(&b, 407, &[("Proxy-Authenticate", stale)]), 0.5, "c3");
    let c = as_request(r.poll_request().expect("stale nonce: retried"));
    let auth = c.header(&lampboard::sip::message::name("Proxy-Authorization")).unwrap();
    assert!(auth.contains(r#"nonce="n2""#) && !auth.contains("qop="), "{auth}");
    r.handle_response(now, &c, &answer(&c, 200, &[("Contact", "<sip:1001@192.0.2.5:5070>;expires=300")]), 0.5, "c4");
    assert!(matches!(r.state(), RegState::Registered { .. }));
}

#[test]
fn strongest_of_two_algorithms_and_nonce_count() {
    let req = as_request({
        let mut r = reg();
        r.start("c");
        r.poll_request().unwrap()
    });
    let mut resp = answer(&req, 401, &[("WWW-Authenticate", CHALLENGE_MD5)]);
    resp.headers.insert(lampboard::sip::message::name("WWW-Authenticate"), CHALLENGE_SHA.to_string());
    let mut a = Authenticator::new(creds());
    a.handle_challenge(&resp).unwrap();
    let mut r1 = req.clone();
    a.authorize(&mut r1, "cn");
    let h = r1.header(&lampboard::sip::message::name("Authorization")).unwrap().to_string();
    assert!(h.contains("algorithm=SHA-256") && h.contains("nc=00000001"), "{h}");
    assert_eq!(h.matches("Digest").count(), 1, "one answer for the realm");
    let mut r2 = req.clone();
    a.authorize(&mut r2, "cn");
    assert!(r2.header(&lampboard::sip::message::name("Authorization")).unwrap().contains("nc=00000002"));
}

#[test]
fn server_contact_expires_and_refresh_time() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let a = as_request(r.poll_request().unwrap());
    let contacts = "<sip:1001@192.0.2.99:5060>;expires=3600, <sip:1001@192.0.2.5:5070>;expires=120;+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-000000000001>\";reg-id=1";
    r.handle_response(now, &a, &answer(&a, 200, &[("Contact", contacts), ("Expires", "600")]), 0.0, "c2");
    match r.poll_event() {
        Some(RegEvent::Registered { expires, contacts }) => {
            assert_eq!(expires, 120, "our contact's expires param wins");
            assert_eq!(contacts.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    // Refresh at 80 % (jitter 0) of 120 s = 96 s, never after expiry - 5 s.
    assert_eq!(r.poll_timeout(), Some(now + Duration::from_secs(96)));
    assert_eq!(refresh_delay(120, 0.999), Duration::from_secs_f64(120.0 * 0.8999));
    assert_eq!(refresh_delay(6, 0.5), Duration::from_secs(1));
    r.handle_timeout(now + Duration::from_secs(96), "c3");
    let refresh = as_request(r.poll_request().expect("refresh REGISTER"));
    assert_eq!(refresh.call_id(), "cid@test", "same Call-ID for the binding");
    assert_eq!(refresh.cseq().unwrap().0, 2);
}

#[test]
fn interval_too_brief_uses_min_expires() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let a = as_request(r.poll_request().unwrap());
    r.handle_response(now, &a, &answer(&a, 423, &[("Min-Expires", "1800")]), 0.5, "c2");
    let b = as_request(r.poll_request().unwrap());
    assert_eq!(b.header(&lampboard::sip::message::name("Expires")), Some("1800"));
}

#[test]
fn backoff_grows_with_jitter_and_honours_retry_after() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let mut delays = Vec::new();
    for i in 0..7 {
        let a = as_request(r.poll_request().expect("attempt"));
        r.handle_no_response(now, &a, "timeout", 1.0);
        let Some(RegEvent::Failed { retry_in: Some(d), code: None, .. }) = r.poll_event() else {
            panic!("failed event")
        };
        delays.push(d.as_secs());
        r.handle_timeout(now + Duration::from_secs(3600 * (i + 1)), "c");
    }
    assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30], "doubling from 1 s, capped at 30 s");
    let a = as_request(r.poll_request().unwrap());
    r.handle_no_response(now, &a, "timeout", 0.0);
    let Some(RegEvent::Failed { retry_in: Some(d), .. }) = r.poll_event() else { panic!() };
    assert_eq!(d, Duration::from_secs(15), "jitter takes up to half off");
    r.handle_timeout(now + Duration::from_secs(15), "c");
    let b = as_request(r.poll_request().unwrap());
    r.handle_response(now, &b, &answer(&b, 503, &[("Retry-After", "120")]), 0.0, "c");
    let Some(RegEvent::Failed { retry_in: Some(d), code: Some(503), .. }) = r.poll_event() else { panic!() };
    assert_eq!(d, Duration::from_secs(120));
}

#[test]
fn unregister_sends_expires_zero() {
    let now = Instant::now();
    let mut r = reg();
    r.start("c1");
    let a = as_request(r.poll_request().unwrap());
    r.handle_response(now, &a, &answer(&a, 200, &[("Expires", "600")]), 0.5, "c");
    r.poll_event();
    r.stop("c2");
    let b = as_request(r.poll_request().unwrap());
    assert_eq!(b.header(&lampboard::sip::message::name("Expires")), Some("0"));
    assert_eq!(r.state(), RegState::Unregistering);
    r.handle_response(now, &b, &answer(&b, 200, &[]), 0.5, "c");
    assert_eq!(r.poll_event(), Some(RegEvent::Unregistered));
    assert_eq!(r.state(), RegState::Idle);
}

fn ua() -> UserAgent {
    let account = AccountConfig::new("1001", "127.0.0.1", "secret");
    let server = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() };
    UserAgent::new(account, server, "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 7)
}

#[test]
fn user_agent_answers_requests_whose_from_is_a_tel_uri_or_has_escaped_quotes() {
    let now = Instant::now();
    let mut u = ua();
    let src = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() };
    let msg = "OPTIONS sip:1001@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bKtel1\r\n\
From: \"Reception \\\"Desk\\\"\" <tel:+493012345>;tag=abc\r\n\
To: <sip:1001@127.0.0.1>\r\n\
Call-ID: tel-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    u.handle_datagram(now, msg.as_bytes(), src);
    let t = u.poll_transmit().expect("answered");
    let text = String::from_utf8_lossy(&t.data);
    assert!(text.starts_with("SIP/2.0 200 OK"), "{text}");
    assert!(text.contains("tel:+493012345"));
    // A request the parser rejects gets a 400 instead of silence.
    let bad = msg.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    u.handle_datagram(now, bad.as_bytes(), src);
    let t = u.poll_transmit().expect("answered");
    assert!(t.data.starts_with(b"SIP/2.0 400"));
}

#[test]
fn user_agent_keepalive_and_rport_learning() {
    let now = Instant::now();
    let mut u = ua();
    u.register(now);
    assert!(matches!(u.poll_event(), Some(Event::Registering { .. })));
    let sent = u.poll_transmit().expect("REGISTER");
    let SipMessage::Request(req) = SipMessage::parse(&sent.data).unwrap() else { panic!() };
    let via = req.top_via().unwrap();
    assert!(via.param("rport").is_some() && via.branch().unwrap().starts_with("z9hG4bK"));
    // The registrar saw us behind a NAT: the UA re-registers with the learnt address.
    let mut ok = Response::to_request(&req, 200, "OK", Some("t"));
    ok.headers.remove(&lampboard::sip::message::name("Via"));
    ok.headers.insert(
        lampboard::sip::message::name("Via"),
        format!(
            "{};received=198.51.100.7;rport=61000",
            req.header(&lampboard::sip::message::name("Via")).unwrap().replace(";rport", "")
        ),
    );
    ok.headers.insert(lampboard::sip::message::name("Expires"), "600".to_string());
    let src = sent.dest;
    u.handle_datagram(now, &ok.to_bytes(), src);
    let again = u.poll_transmit().expect("re-REGISTER with the public address");
    let text = String::from_utf8_lossy(&again.data);
    assert!(text.contains("Contact: <sip:1001@198.51.100.7:61000>"), "{text}");
    let SipMessage::Request(req2) = SipMessage::parse(&again.data).unwrap() else { panic!() };
    let ok2 = Response::to_request(&req2, 200, "OK", Some("t"));
    u.handle_datagram(now, &ok2.to_bytes(), src);
    assert!(std::iter::from_fn(|| u.poll_event()).any(|e| matches!(e, Event::Registered { .. })));
    // CRLF keep-alive every 25 s once registered.
    let mut pings = Vec::new();
    while let Some(t) = u.poll_timeout().filter(|t| *t <= now + Duration::from_secs(60)) {
        u.handle_timeout(t);
        while let Some(x) = u.poll_transmit() {
            assert_eq!(&x.data[..], b"\r\n\r\n", "only keep-alives go out");
            pings.push((t - now).as_secs());
        }
    }
    assert_eq!(pings, vec![25, 50]);
}
