//! Virtual-clock scenarios for an INVITE with Replaces reaching the user agent (RFC 3891 §3):
//! it may take over a call we made that is still ringing (the callee is being picked up —
//! we answer the new INVITE and CANCEL the old one), never a call ringing *here* (481: nobody
//! may grab our incoming call), and `early-only` refuses an answered call (486).

use lampboard::api::Event;
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::transfer::Bind;
use lampboard::ua::{AccountConfig, UserAgent};
use std::time::Instant;

fn server() -> Destination {
    Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() }
}

fn ua() -> UserAgent {
    let account = AccountConfig::new("1001", "pbx.test", "secret");
    UserAgent::new(account, server(), "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 7)
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// An INVITE to us from `from` (tag `ft<call_id>`), with extra header lines.
fn invite(call_id: &str, from: &str, extra: &str) -> String {
    format!(
        "INVITE sip:1001@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bK{call_id}\r\n\
From: <sip:{from}@pbx.test>;tag=ft{call_id}\r\nTo: <sip:1001@pbx.test>\r\n\
Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:{from}@127.0.0.1:35062>\r\n\
{extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
}

fn sent(u: &mut UserAgent) -> Vec<String> {
    std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect()
}

fn events(u: &mut UserAgent) -> Vec<Event> {
    std::iter::from_fn(|| u.poll_event()).collect()
}

fn header(msg: &str, name: &str) -> String {
    msg.lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no {name} in {msg}"))
        .to_string()
}

fn tag(v: &str) -> String {
    v.split(";tag=").nth(1).expect("a tag").split(';').next().unwrap().to_string()
}

/// Binds every pending call the way the engine does.
fn bind_all(u: &mut UserAgent, now: Instant) -> Vec<Bind> {
    let mut done = Vec::new();
    while let Some(b) = u.poll_bind() {
        u.complete_bind(now, b.clone(), "127.0.0.1:41000".parse().unwrap());
        done.push(b);
    }
    done
}

#[test]
fn replaces_takes_over_our_ringing_outgoing_call_and_cancels_it() {
    let mut u = ua();
    let now = Instant::now();
    let id = u.dial(now, "1002", "127.0.0.1:41002".parse().unwrap());
    let inv = sent(&mut u).into_iter().find(|m| m.starts_with("INVITE ")).expect("our INVITE");
    let (call_id, our_tag) = (header(&inv, "Call-ID"), tag(&header(&inv, "From")));
    let ringing = format!(
        "SIP/2.0 180 Ringing\r\nVia: {}\r\nFrom: {}\r\nTo: <sip:1002@pbx.test>;tag=bobtag\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nContact: <sip:1002@127.0.0.1:35064>\r\nContent-Length: 0\r\n\r\n",
        header(&inv, "Via"),
        header(&inv, "From")
    );
    u.handle_datagram(now, ringing.as_bytes(), server());
    events(&mut u);
    // Someone picks Bob's phone up: Replaces names our dialog from our side.
    let replaces = format!("Replaces: {call_id};to-tag={our_tag};from-tag=bobtag;early-only\r\n");
    u.handle_datagram(now, invite("pick1", "1003", &replaces).as_bytes(), server());
    let ev = events(&mut u);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Transfer { id: old, state, .. } if *old == id && state == "replaced")),
        "{ev:?}"
    );
    let binds = bind_all(&mut u, now);
    assert!(matches!(&binds[..], [Bind::Answer { .. }]), "the new call is answered at once: {binds:?}");
    let out = sent(&mut u);
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 200 OK") && m.contains("Call-ID: pick1")), "{out:?}");
    assert!(out.iter().any(|m| m.starts_with("CANCEL ") && m.contains(&call_id)), "the old call is cancelled: {out:?}");
}

#[test]
fn replaces_never_takes_a_call_ringing_here_and_early_only_spares_answered_calls() {
    let mut u = ua();
    let now = Instant::now();
    u.handle_datagram(now, invite("ring1", "1002", "").as_bytes(), server());
    let ringing = sent(&mut u).into_iter().find(|m| m.starts_with("SIP/2.0 180")).expect("we ring");
    let our_tag = tag(&header(&ringing, "To"));
    let ev = events(&mut u);
    let Some(Event::Call { id: ringing_id, .. }) = ev.iter().find(|e| matches!(e, Event::Call { .. })) else {
        panic!("{ev:?}")
    };
    let ringing_id = ringing_id.clone();
    let grab = format!("Replaces: ring1;to-tag={our_tag};from-tag=ftring1;early-only\r\n");
    u.handle_datagram(now, invite("grab1", "1003", &grab).as_bytes(), server());
    let out = sent(&mut u);
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 481") && m.contains("Call-ID: grab1")), "{out:?}");
    assert!(u.poll_bind().is_none());
    assert!(!out.iter().any(|m| m.contains("Call-ID: ring1")), "the ringing call is left alone: {out:?}");
    // Answered, that call is still not for early-only pickups.
    u.answer(now, &ringing_id, "127.0.0.1:41004".parse().unwrap());
    sent(&mut u);
    let ack = format!(
        "ACK sip:1001@127.0.0.1:40000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bKack1\r\n\
From: <sip:1002@pbx.test>;tag=ftring1\r\nTo: <sip:1001@pbx.test>;tag={our_tag}\r\nCall-ID: ring1\r\n\
CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    u.handle_datagram(now, ack.as_bytes(), server());
    u.handle_datagram(now, invite("grab2", "1003", &grab).as_bytes(), server());
    let out = sent(&mut u);
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 486") && m.contains("Call-ID: grab2")), "{out:?}");
    // Without early-only, an answered call may be replaced (attended transfer).
    let take = format!("Replaces: ring1;to-tag={our_tag};from-tag=ftring1\r\n");
    u.handle_datagram(now, invite("take1", "1004", &take).as_bytes(), server());
    assert!(matches!(bind_all(&mut u, now)[..], [Bind::Answer { .. }]));
}
