//! Virtual-time scenarios of the service core: subscriptions (immediate NOTIFY, expiry),
//! PUBLISH reaching watchers, a pickup of a ringing colleague, CANCEL, the 2xx resent
//! until the ACK.

use super::core::{MediaRequest, ServiceConfig, ServiceCore};
use crate::presence::{DialogState, parse_dialog_info};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const US: &str = "127.0.0.1:5062";

struct Bed {
    core: ServiceCore,
    now: Instant,
    n: u32,
}

impl Bed {
    fn new(speed: f64) -> Bed {
        let now = Instant::now();
        let cfg = ServiceConfig { speed, ..ServiceConfig::default() };
        Bed { core: ServiceCore::new(cfg, "127.0.0.1:5060".parse().unwrap(), now, 7), now, n: 0 }
    }

    fn from(&self) -> SocketAddr {
        US.parse().unwrap()
    }

    fn request(&mut self, method: &str, user: &str, extra: &str, body: &str) -> String {
        self.n += 1;
        format!(
            "{method} sip:{user}@demo.lampboard.invalid SIP/2.0\r\nVia: SIP/2.0/UDP {US};branch=z9hG4bKt{n}\r\n\
             From: \"Reception\" <sip:1000@demo.lampboard.invalid>;tag=t{n}\r\nTo: <sip:{user}@demo.lampboard.invalid>\r\n\
             Call-ID: t{n}\r\nCSeq: 1 {method}\r\nContact: <sip:1000@{US}>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len(),
            n = self.n
        )
    }

    fn send(&mut self, text: &str) {
        let from = self.from();
        self.core.handle_datagram(self.now, from, text.as_bytes());
    }

    /// Everything the core sent, as text.
    fn sent(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.core.poll_transmit())
            .map(|t| String::from_utf8_lossy(&t.data).into_owned())
            .collect()
    }

    /// Advances virtual time by `d`, firing every timer on the way (bounded).
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        for _ in 0..100_000 {
            match self.core.poll_timeout() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.core.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = end;
        self.core.handle_timeout(end);
    }
}

fn header<'a>(m: &'a str, name: &str) -> Option<&'a str> {
    m.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn body(m: &str) -> &str {
    m.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

fn ok_for(notify: &str) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for n in ["Via", "From", "To", "Call-ID", "CSeq"] {
        out.push_str(&format!("{n}: {}\r\n", header(notify, n).unwrap_or_default()));
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[test]
fn subscribe_gets_a_notify_at_once_and_a_timeout_notify_at_expiry() {
    let mut bed = Bed::new(0.01);
    let sub = bed.request("SUBSCRIBE", "1002", "Event: presence\r\nExpires: 120\r\n", "");
    bed.send(&sub);
    let out = bed.sent();
    assert!(out[0].starts_with("SIP/2.0 200") && header(&out[0], "Expires") == Some("120"), "{out:?}");
    let notify = out.iter().find(|m| m.starts_with("NOTIFY ")).expect("NOTIFY");
    assert!(header(notify, "Subscription-State").unwrap().starts_with("active;expires=120"));
    assert_eq!(header(notify, "Content-Type"), Some("application/pidf+xml"));
    let ok = ok_for(notify);
    bed.send(&ok);
    bed.advance(Duration::from_secs(121));
    let out = bed.sent();
    let last = out.iter().rev().find(|m| m.starts_with("NOTIFY ")).expect("a NOTIFY at expiry");
    assert_eq!(header(last, "Subscription-State"), Some("terminated;reason=timeout"));
    assert_eq!(bed.core.subscriptions(), 0);
}

#[test]
fn a_publish_reaches_the_watchers_of_the_console() {
    let mut bed = Bed::new(0.01);
    let sub = bed.request("SUBSCRIBE", "1000", "Event: presence\r\n", "");
    bed.send(&sub);
    let first = bed.sent();
    let n = first.iter().find(|m| m.starts_with("NOTIFY ")).expect("NOTIFY");
    assert_eq!(body(n), "", "nothing published yet");
    let ok = ok_for(n);
    bed.send(&ok);
    let pidf =
        crate::presence::build_pidf("sip:1000@demo.lampboard.invalid", &crate::presence::UserStatus::Dnd, None, false);
    let publ = bed.request("PUBLISH", "1000", "Event: presence\r\nContent-Type: application/pidf+xml\r\n", &pidf);
    bed.send(&publ);
    let out = bed.sent();
    assert!(out[0].starts_with("SIP/2.0 200") && header(&out[0], "SIP-ETag").is_some(), "{out:?}");
    let n = out.iter().find(|m| m.starts_with("NOTIFY ")).expect("a NOTIFY for the new state");
    assert!(body(n).contains("<lb:status>dnd</lb:status>"), "{n}");
    let bad = bed.request("PUBLISH", "1000", "Event: presence\r\nSIP-If-Match: nope\r\n", "");
    bed.send(&bad);
    assert!(bed.sent()[0].starts_with("SIP/2.0 412"));
}

#[test]
fn a_ringing_colleague_is_picked_up_with_replaces() {
    let mut bed = Bed::new(5.0);
    let exts: Vec<String> = bed.core.office().colleagues().iter().map(|c| c.ext.clone()).collect();
    for ext in &exts {
        let sub = bed.request("SUBSCRIBE", ext, "Event: dialog\r\n", "");
        bed.send(&sub);
    }
    let mut ringing = None;
    for _ in 0..200 {
        for m in bed.sent() {
            if m.starts_with("NOTIFY ") {
                let ok = ok_for(&m);
                bed.send(&ok);
                if body(&m).contains("<state>early</state>") && ringing.is_none() {
                    ringing = Some(m);
                }
            }
        }
        if ringing.is_some() {
            break;
        }
        bed.advance(Duration::from_millis(100));
    }
    let notify = ringing.expect("a colleague rings within 20 s");
    let info = parse_dialog_info(body(&notify).as_bytes()).unwrap();
    let d = &info.dialogs[0];
    let entity = info.entity.clone().unwrap();
    let ext = crate::sip::addr::uri_user(&entity).unwrap().to_owned();
    let replaces = format!(
        "Replaces: {};to-tag={};from-tag={};early-only\r\n",
        d.call_id.clone().unwrap(),
        d.local_tag.clone().unwrap(),
        d.remote_tag.clone().unwrap()
    );
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let invite = bed.request("INVITE", &ext, &format!("{replaces}Content-Type: application/sdp\r\n"), offer);
    bed.send(&invite);
    let out = bed.sent();
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 100")), "{out:?}");
    // The colleague's line is idle at once (the call was taken).
    let idle = out
        .iter()
        .rfind(|m| m.starts_with("NOTIFY ") && body(m).contains(&format!("entity=\"{entity}\"")))
        .expect("a NOTIFY for the picked-up colleague");
    let mut state = DialogState::default();
    state.apply(parse_dialog_info(body(idle).as_bytes()).unwrap()).unwrap();
    assert_eq!(state.line_state(), crate::presence::LineState::Idle, "{idle}");
    let Some(MediaRequest::Open { call }) = bed.core.poll_media() else { panic!("an echo socket is asked for") };
    bed.core.media_opened(bed.now, &call, "127.0.0.1:4100".parse().unwrap());
    let out = bed.sent();
    let ok = out.iter().find(|m| m.starts_with("SIP/2.0 200")).unwrap_or_else(|| panic!("200 OK in {out:?}"));
    assert!(body(ok).contains("m=audio 4100 RTP/AVP 0"), "{ok}");
    // Without an ACK the 200 is sent again.
    bed.advance(Duration::from_millis(600));
    assert!(bed.sent().iter().any(|m| m.starts_with("SIP/2.0 200")), "2xx retransmitted");
}

#[test]
fn cancel_ends_a_ringing_call_with_487() {
    let mut bed = Bed::new(0.01);
    let free = bed
        .core
        .office()
        .lamps()
        .iter()
        .position(|l| l.status == crate::presence::UserStatus::Available && l.line == crate::presence::LineState::Idle)
        .expect("an available colleague");
    let ext = bed.core.office().colleagues()[free].ext.clone();
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite = bed.request("INVITE", &ext, "Content-Type: application/sdp\r\n", offer);
    bed.send(&invite);
    assert!(bed.sent().iter().any(|m| m.starts_with("SIP/2.0 180")));
    let cancel = invite
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL")
        .replace("Content-Type: application/sdp\r\n", "")
        .replace(&format!("Content-Length: {}", offer.len()), "Content-Length: 0")
        + "\r\n\r\n";
    bed.send(&cancel);
    let out = bed.sent();
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("CANCEL")), "{out:?}");
    assert!(out.iter().any(|m| m.starts_with("SIP/2.0 487")), "{out:?}");
    assert_eq!(bed.core.calls(), 0);
}

/// REGISTERs the console (answering the digest challenge).
fn register(bed: &mut Bed) {
    let reg = bed.request("REGISTER", "1000", "Expires: 600\r\n", "");
    bed.send(&reg);
    let challenge = bed.sent().remove(0);
    let nonce = header(&challenge, "WWW-Authenticate")
        .and_then(|v| v.split("nonce=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .expect("a nonce")
        .to_owned();
    let uri = "sip:1000@demo.lampboard.invalid";
    let response = crate::sip::auth::digest_response(&crate::sip::auth::DigestInput {
        algorithm: crate::sip::auth::DigestAlgorithm::Md5,
        username: "1000",
        realm: "demo.lampboard.invalid",
        password: "demo",
        method: "REGISTER",
        uri,
        nonce: &nonce,
        qop: Some("auth"),
        cnonce: "cn",
        nc: 1,
        body: b"",
    });
    let auth = format!(
        "Authorization: Digest username=\"1000\", realm=\"demo.lampboard.invalid\", nonce=\"{nonce}\", \
         uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"cn\"\r\nExpires: 600\r\n"
    );
    let reg = bed.request("REGISTER", "1000", &auth, "");
    bed.send(&reg);
    let ok = bed.sent().remove(0);
    assert!(ok.starts_with("SIP/2.0 200") && ok.contains("expires=600"), "{ok}");
    assert_eq!(bed.core.registered_contact(bed.now).as_deref(), Some("sip:1000@127.0.0.1:5062"));
}

#[test]
fn an_outside_caller_rings_the_console_then_gives_up_with_cancel() {
    let mut bed = Bed::new(1.0);
    register(&mut bed);
    // The office's first caller for the console comes after six seconds.
    bed.advance(Duration::from_secs(7));
    let Some(MediaRequest::Open { call }) = bed.core.poll_media() else { panic!("no outside caller") };
    bed.core.media_opened(bed.now, &call, "127.0.0.1:4200".parse().unwrap());
    let out = bed.sent();
    let invite = out.iter().find(|m| m.starts_with("INVITE sip:1000@127.0.0.1:5062 ")).expect("INVITE to the contact");
    assert!(body(invite).contains("m=audio 4200 RTP/AVP"), "{invite}");
    let ringing = format!(
        "SIP/2.0 180 Ringing\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=console\r\nCall-ID: {}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        header(invite, "Via").unwrap(),
        header(invite, "From").unwrap(),
        header(invite, "To").unwrap(),
        header(invite, "Call-ID").unwrap()
    );
    bed.send(&ringing);
    bed.advance(super::outside::GIVE_UP);
    let out = bed.sent();
    let cancel = out.iter().find(|m| m.starts_with("CANCEL ")).expect("the caller gives up");
    assert_eq!(header(cancel, "Via"), header(invite, "Via"), "CANCEL matches the INVITE's transaction");
    let terminated = ringing.replace("180 Ringing", "487 Request Terminated");
    bed.send(&terminated);
    let acks: Vec<String> = bed.sent().into_iter().filter(|m| m.starts_with("ACK ")).collect();
    assert_eq!(acks.len(), 1, "the 487 is acknowledged");
    assert_eq!(bed.core.calls(), 0);
    assert_eq!(bed.core.poll_media(), Some(MediaRequest::Close { call }));
}

#[test]
fn an_echo_call_is_answered_held_and_hung_up() {
    let mut bed = Bed::new(0.01);
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n";
    let invite = bed.request("INVITE", "600", "Content-Type: application/sdp\r\n", offer);
    bed.send(&invite);
    assert!(bed.sent().iter().any(|m| m.starts_with("SIP/2.0 100")));
    let Some(MediaRequest::Open { call }) = bed.core.poll_media() else { panic!("no echo socket asked for") };
    bed.core.media_opened(bed.now, &call, "127.0.0.1:4300".parse().unwrap());
    let ok = bed.sent().into_iter().find(|m| m.starts_with("SIP/2.0 200")).expect("200 OK");
    assert!(body(&ok).contains("m=audio 4300 RTP/AVP 8"), "the first offered codec: {ok}");
    let to = header(&ok, "To").unwrap().to_owned();
    let ack = format!(
        "ACK sip:600@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {US};branch=z9hG4bKack\r\nFrom: {}\r\nTo: {to}\r\n\
         Call-ID: {call}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
        header(&invite, "From").unwrap()
    );
    bed.send(&ack);
    bed.advance(Duration::from_secs(2));
    assert!(!bed.sent().iter().any(|m| m.starts_with("SIP/2.0 200")), "no 2xx resent after the ACK");
    // Hold: a re-INVITE with sendonly is answered recvonly.
    let held = offer.to_owned() + "a=sendonly\r\n";
    let reinvite = format!(
        "INVITE sip:600@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {US};branch=z9hG4bKre\r\nFrom: {}\r\nTo: {to}\r\n\
         Call-ID: {call}\r\nCSeq: 2 INVITE\r\nContact: <sip:1000@{US}>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{held}",
        header(&invite, "From").unwrap(),
        held.len()
    );
    bed.send(&reinvite);
    let ok = bed.sent().into_iter().find(|m| m.starts_with("SIP/2.0 200")).expect("200 to the re-INVITE");
    assert!(body(&ok).contains("a=recvonly"), "{ok}");
    let bye = reinvite
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replacen("INVITE sip:", "BYE sip:", 1)
        .replace("CSeq: 2 INVITE", "CSeq: 3 BYE")
        .replace("branch=z9hG4bKre", "branch=z9hG4bKbye")
        .replace("Content-Type: application/sdp\r\n", "")
        .replace(&format!("Content-Length: {}", held.len()), "Content-Length: 0")
        + "\r\n\r\n";
    bed.send(&bye);
    assert!(bed.sent().iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("BYE")));
    assert_eq!(bed.core.poll_media(), Some(MediaRequest::Close { call }));
    assert_eq!(bed.core.calls(), 0);
}
