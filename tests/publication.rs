//! Virtual-clock scenarios for RFC 3903 publication: SIP-ETag kept, refresh with
//! SIP-If-Match (a modify carrying the state), 412 → a fresh initial PUBLISH, Expires 0 on removal,
//! 489/405/501 reported as "the server does not take PUBLISH", an earlier run's entity tag
//! resumed, the full state re-published after a network loss, and removal while in flight.

use bytes::Bytes;
use lampboard::sip::auth::{Authenticator, Credentials};
use lampboard::sip::message::{Request, Response, SipMessage, name};
use lampboard::sip::publication::{PubEvent, Publication};
use std::time::{Duration, Instant};

fn publication() -> Publication {
    let auth = Authenticator::new(Credentials { username: "1001".into(), password: "pw".into() });
    Publication::new("sip:1001@pbx.test", "presence", "application/pidf+xml", 600, auth, 3)
}

fn next(p: &mut Publication) -> Request {
    let mut r = p.poll_request().expect("a PUBLISH");
    r.headers.insert_front(name("Via"), "SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKp");
    match SipMessage::parse(&r.to_bytes()).expect("PUBLISH parses") {
        SipMessage::Request(r) => r,
        _ => unreachable!(),
    }
}

fn answer(req: &Request, code: u16, etag: Option<&str>, expires: u32) -> Response {
    let mut r = Response::to_request(req, code, "Test", Some("t"));
    if let Some(e) = etag {
        r.headers.insert(name("SIP-ETag"), e.to_string());
    }
    r.headers.insert(name("Expires"), expires.to_string());
    r
}

#[test]
fn etag_refresh_modify_and_remove() {
    let t0 = Instant::now();
    let mut p = publication();
    p.publish(Bytes::from_static(b"<presence>away</presence>"));
    let first = next(&mut p);
    assert_eq!(first.method.to_string(), "PUBLISH");
    assert_eq!(first.uri, "sip:1001@pbx.test");
    assert_eq!(first.header(&name("Event")), Some("presence"));
    assert!(first.header(&name("SIP-If-Match")).is_none());
    assert_eq!(&first.body[..], b"<presence>away</presence>");
    p.handle_response(t0, &first, &answer(&first, 200, Some("e1"), 120));
    assert_eq!(p.poll_event(), Some(PubEvent::Published { expires: 120, etag: Some("e1".into()) }));
    // Refresh before expiry: SIP-If-Match, with the same state (a modify; see publication.rs).
    let t = p.poll_timeout().expect("refresh timer");
    assert!(t >= t0 + Duration::from_secs(96) && t <= t0 + Duration::from_secs(108), "{:?}", t - t0);
    p.handle_timeout(t);
    let refresh = next(&mut p);
    assert_eq!(refresh.header(&name("SIP-If-Match")), Some("e1"));
    assert_eq!(&refresh.body[..], b"<presence>away</presence>");
    p.handle_response(t, &refresh, &answer(&refresh, 200, Some("e2"), 120));
    let _ = p.poll_event();
    // A new state modifies the same publication.
    p.publish(Bytes::from_static(b"<presence>dnd</presence>"));
    let modify = next(&mut p);
    assert_eq!(modify.header(&name("SIP-If-Match")), Some("e2"));
    assert_eq!(&modify.body[..], b"<presence>dnd</presence>");
    p.handle_response(t, &modify, &answer(&modify, 200, Some("e3"), 120));
    let _ = p.poll_event();
    // Removal: Expires 0 with the entity tag.
    p.remove();
    let rm = next(&mut p);
    assert_eq!(rm.header(&name("Expires")), Some("0"));
    assert_eq!(rm.header(&name("SIP-If-Match")), Some("e3"));
    p.handle_response(t, &rm, &answer(&rm, 200, None, 0));
    assert_eq!(p.poll_event(), Some(PubEvent::Removed));
}

#[test]
fn precondition_failed_publishes_afresh() {
    let t0 = Instant::now();
    let mut p = publication();
    p.resume("old-tag".into());
    p.publish(Bytes::from_static(b"<presence>chat</presence>"));
    let a = next(&mut p);
    assert_eq!(a.header(&name("SIP-If-Match")), Some("old-tag"), "an earlier run's state is modified");
    p.handle_response(t0, &a, &answer(&a, 412, None, 0));
    let b = next(&mut p);
    assert!(b.header(&name("SIP-If-Match")).is_none(), "412: a fresh initial PUBLISH");
    assert_eq!(&b.body[..], b"<presence>chat</presence>");
}

#[test]
fn bad_event_means_publish_is_not_taken() {
    for code in [489, 405, 501] {
        let mut p = publication();
        p.publish(Bytes::from_static(b"<presence/>"));
        let a = next(&mut p);
        p.handle_response(Instant::now(), &a, &answer(&a, code, None, 0));
        match p.poll_event() {
            Some(PubEvent::Failed { code: Some(c), unsupported: true, retry_in: None, reason }) => {
                assert_eq!(c, code);
                assert!(reason.contains("does not take PUBLISH"), "{reason}");
            }
            other => panic!("{code}: {other:?}"),
        }
        assert!(p.poll_request().is_none() && p.poll_timeout().is_none(), "no retry");
    }
}

#[test]
fn challenge_then_network_loss_republishes_full_state() {
    let t0 = Instant::now();
    let mut p = publication();
    p.publish(Bytes::from_static(b"<presence/>"));
    let a = next(&mut p);
    let mut ch = answer(&a, 407, None, 0);
    ch.headers.insert(name("Proxy-Authenticate"), r#"Digest realm="pbx.test", nonce="n", algorithm=MD5"#.to_string());
    p.handle_response(t0, &a, &ch);
    let b = next(&mut p);
    assert!(b.header(&name("Proxy-Authorization")).is_some());
    assert_eq!(&b.body[..], b"<presence/>", "the retry carries the body");
    p.handle_response(t0, &b, &answer(&b, 200, Some("e1"), 600));
    let _ = p.poll_event();
    p.handle_network_lost(t0);
    let t = p.poll_timeout().expect("retry after a backoff");
    assert!(t - t0 <= Duration::from_secs(4));
    p.handle_timeout(t);
    let c = next(&mut p);
    assert_eq!(c.header(&name("SIP-If-Match")), Some("e1"), "the same publication is modified");
    assert_eq!(&c.body[..], b"<presence/>", "with the full state: the server may have lost it");
    p.handle_response(t, &c, &answer(&c, 412, None, 0));
    let d = next(&mut p);
    assert!(d.header(&name("SIP-If-Match")).is_none(), "412: a fresh initial PUBLISH");
}

#[test]
fn server_back_retries_a_backed_off_publish_at_once() {
    let t0 = Instant::now();
    let mut p = publication();
    p.publish(Bytes::from_static(b"<presence/>"));
    let a = next(&mut p);
    p.handle_response(t0, &a, &answer(&a, 200, Some("e1"), 600));
    p.handle_network_lost(t0);
    let mut t = t0;
    // The server stays down: each retry fails and the backoff grows.
    for _ in 0..5 {
        t = p.poll_timeout().expect("a retry is scheduled");
        p.handle_timeout(t);
        let r = next(&mut p);
        p.handle_no_response(t, &r, "Connection refused");
    }
    let waiting = p.poll_timeout().unwrap();
    assert!(waiting - t >= Duration::from_secs(8), "backoff has grown: {:?}", waiting - t);
    // A second loss report does not push the retry further out.
    p.handle_network_lost(t);
    assert_eq!(p.poll_timeout(), Some(waiting));
    // The registrar answers again: the PUBLISH goes out now, not after the backoff.
    p.handle_server_reachable(t);
    assert_eq!(p.poll_timeout(), Some(t));
    p.handle_timeout(t);
    let r = next(&mut p);
    assert_eq!(&r.body[..], b"<presence/>");
}

#[test]
fn remove_while_the_first_publish_is_in_flight_still_removes() {
    let t0 = Instant::now();
    let mut p = publication();
    p.publish(Bytes::from_static(b"<presence/>"));
    let a = next(&mut p);
    p.remove();
    assert!(p.poll_event().is_none(), "not removed before the server has it");
    p.handle_response(t0, &a, &answer(&a, 200, Some("e9"), 600));
    let rm = next(&mut p);
    assert_eq!(rm.header(&name("Expires")), Some("0"));
    assert_eq!(rm.header(&name("SIP-If-Match")), Some("e9"));
    p.handle_response(t0, &rm, &answer(&rm, 200, None, 0));
    assert_eq!(p.poll_event(), Some(PubEvent::Removed));
    assert_eq!(p.poll_timeout(), None, "no timer left armed");
}
