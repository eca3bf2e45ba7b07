//! Resource lists (RFC 4662): a wall watched through one list subscription (an Asterisk-style
//! multipart/RLMI NOTIFY fills every lamp), and the fallback to one subscription per
//! colleague when the server answers the list as a plain resource (a real Kamailio).

mod common;

use common::{Kamailio, Running, account_cmd};
use lampboard::api::Event;
use lampboard::sip::message::{Response, SipMessage, name};
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::{AccountConfig, UserAgent};
use std::time::{Duration, Instant};

#[test]
fn one_list_subscription_fills_the_wall() {
    let mut account = AccountConfig::new("2000", "pbx.example", "pw");
    account.keepalive = Duration::ZERO;
    let server = Destination { transport: TransportKind::Udp, addr: "192.0.2.10:5060".parse().unwrap() };
    let t0 = Instant::now();
    let mut ua = UserAgent::new(account, server, "192.0.2.50:5060".parse().unwrap(), TimerConfig::default(), 5);
    ua.watch(t0, &[], &["presence".to_string()], Some("colleagues"));
    let sub = std::iter::from_fn(|| ua.poll_transmit())
        .find(|t| t.data.starts_with(b"SUBSCRIBE"))
        .expect("one SUBSCRIBE for the list");
    let SipMessage::Request(sub) = SipMessage::parse(&sub.data).unwrap() else { panic!() };
    assert_eq!(sub.uri, "sip:colleagues@pbx.example");
    assert_eq!(sub.header(&name("Supported")), Some("eventlist"));
    assert!(sub.header(&name("Accept")).unwrap().contains("multipart/related"));
    assert!(sub.header(&name("Accept")).unwrap().contains("application/rlmi+xml"));
    let mut ok = Response::to_request(&sub, 200, "OK", Some("4c0b8d3e-2a6f-4e1b-bb2d-7f9e1c5a3d80"));
    ok.headers.insert(name("Expires"), "3600".to_string());
    ua.handle_datagram(t0, &ok.to_bytes(), server);
    // The captured-style NOTIFY, re-addressed to our subscription's dialog.
    let fixture =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/presence/rlmi/asterisk_presence_full.sip"))
            .unwrap();
    let text = String::from_utf8(fixture).unwrap();
    let text = text.replace("Call-ID: 6a1e9d2f7c3b4a58@192.0.2.50", &format!("Call-ID: {}", sub.call_id())).replace(
        "To: <sip:2000@pbx.example>;tag=9f3c2a71",
        &format!("To: <sip:2000@pbx.example>;tag={}", sub.from_tag().unwrap()),
    );
    let _ = std::iter::from_fn(|| ua.poll_event()).count();
    ua.handle_datagram(t0, text.as_bytes(), server);
    let answer =
        std::iter::from_fn(|| ua.poll_transmit()).find(|t| t.data.starts_with(b"SIP/2.0")).expect("NOTIFY answered");
    assert!(answer.data.starts_with(b"SIP/2.0 200"), "{}", String::from_utf8_lossy(&answer.data));
    let lamps: Vec<_> = std::iter::from_fn(|| ua.poll_event())
        .filter_map(|e| match e {
            Event::Lamp(l) => Some(l),
            _ => None,
        })
        .collect();
    let exts: Vec<&str> = lamps.iter().map(|l| l.ext.as_str()).collect();
    assert_eq!(exts, ["1001", "1002", "1003"], "every member of the list became a lamp");
    assert!(lamps.iter().all(|l| l.fresh && l.status != "unknown"), "{lamps:?}");
}

#[test]
fn kamailio_without_lists_falls_back_to_one_subscription_each() {
    let k = Kamailio::start(&[]);
    let mut w = Running::spawn(account_cmd(&k, &["watch", "2102", "--list", "wall", "--events", "presence"], "2103"));
    w.wait_lamp("2102", Duration::from_secs(10), |v| v["freshness"] == "fresh")
        .unwrap_or_else(|| panic!("first lamp: {:?}", w.lamps_of("2102")));
    let out = account_cmd(&k, &["presence", "set", "dnd"], "2102").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    w.wait_lamp("2102", Duration::from_secs(10), |v| v["status"] == "dnd")
        .unwrap_or_else(|| panic!("dnd through the fallback subscription: {:?}", w.lamps_of("2102")));
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
}
