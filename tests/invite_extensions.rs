//! The user agent with requests that need more than the basic call: an INVITE requiring an
//! extension we lack gets 420 with Unsupported, and an UPDATE carrying a new offer in an
//! answered call (a session refresh, RFC 3311) is answered with our SDP, not a bare 200.

use lampboard::api::Event;
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::{Destination, TransportKind};
use lampboard::ua::{AccountConfig, UserAgent};
use std::time::Instant;

fn server() -> Destination {
    Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() }
}

fn ua() -> UserAgent {
    let account = AccountConfig::new("1001", "pbx.test", "secret");
    UserAgent::new(account, server(), "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 5)
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn request(method: &str, cseq: u32, to_tag: &str, extra: &str, body: &str) -> String {
    let ct = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    format!(
        "{method} sip:1001@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:35060;branch=z9hG4bK{method}{cseq}\r\n\
From: \"Caller\" <sip:1005@pbx.test>;tag=ft1\r\nTo: <sip:1001@pbx.test>{to_tag}\r\n\
Call-ID: ext1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContact: <sip:1005@127.0.0.1:35062>\r\n\
{extra}{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn out(u: &mut UserAgent) -> Vec<String> {
    std::iter::from_fn(|| u.poll_transmit()).map(|t| String::from_utf8_lossy(&t.data).into_owned()).collect()
}

#[test]
fn required_extension_we_lack_gets_420_with_unsupported() {
    let mut u = ua();
    let now = Instant::now();
    u.handle_datagram(now, request("INVITE", 1, "", "Require: precondition, replaces\r\n", SDP).as_bytes(), server());
    let sent = out(&mut u);
    let r = sent.iter().find(|r| r.starts_with("SIP/2.0 420")).unwrap_or_else(|| panic!("420: {sent:?}"));
    assert!(r.contains("Unsupported: precondition"), "{r}");
    assert!(!sent.iter().any(|r| r.starts_with("SIP/2.0 180")));
}

#[test]
fn update_with_an_offer_is_answered_with_sdp() {
    let mut u = ua();
    let now = Instant::now();
    u.handle_datagram(now, request("INVITE", 1, "", "", SDP).as_bytes(), server());
    let ringing = out(&mut u);
    let tag = ringing
        .iter()
        .find(|r| r.starts_with("SIP/2.0 180"))
        .and_then(|r| r.lines().find(|l| l.starts_with("To:")).and_then(|l| l.split(";tag=").nth(1)))
        .expect("180 with our tag")
        .trim()
        .to_string();
    let id = std::iter::from_fn(|| u.poll_event())
        .find_map(|e| match e {
            Event::Call { id, state, .. } if state == "ringing" => Some(id),
            _ => None,
        })
        .expect("ringing");
    u.answer(now, &id, "127.0.0.1:41000".parse().unwrap());
    assert!(out(&mut u).iter().any(|r| r.starts_with("SIP/2.0 200")));
    let ack = request("ACK", 1, &format!(";tag={tag}"), "", "");
    u.handle_datagram(now, ack.as_bytes(), server());
    let update = request("UPDATE", 2, &format!(";tag={tag}"), "", &SDP.replace("1 1 IN", "1 2 IN"));
    u.handle_datagram(now, update.as_bytes(), server());
    let sent = out(&mut u);
    let ok = sent.iter().find(|r| r.starts_with("SIP/2.0 200") && r.contains("UPDATE")).expect("200 to UPDATE");
    assert!(ok.contains("Content-Type: application/sdp") && ok.contains("m=audio 41000"), "{ok}");
}

#[test]
fn session_timer_requested_by_the_caller_is_granted_with_the_caller_refreshing() {
    let mut u = ua();
    let now = Instant::now();
    let extra = "Supported: timer, replaces\r\nSession-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n";
    u.handle_datagram(now, request("INVITE", 1, "", extra, SDP).as_bytes(), server());
    let _ = out(&mut u);
    let id = std::iter::from_fn(|| u.poll_event())
        .find_map(|e| match e {
            Event::Call { id, state, .. } if state == "ringing" => Some(id),
            _ => None,
        })
        .expect("ringing");
    u.answer(now, &id, "127.0.0.1:41002".parse().unwrap());
    let sent = out(&mut u);
    let ok = sent.iter().find(|r| r.starts_with("SIP/2.0 200")).expect("200");
    assert!(ok.contains("Session-Expires: 1800;refresher=uac"), "{ok}");
    assert!(ok.contains("Require: timer"), "{ok}");
}
