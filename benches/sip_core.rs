//! `cargo bench --bench sip_core`: throughput of the sans-IO core, printed as figures.
//!
//! - messages parsed + serialised per second: a REGISTER 401 challenge and a 764-byte NOTIFY;
//! - client transactions driven per second (REGISTER → 200, through the transaction layer);
//! - server transactions driven per second (NOTIFY in → 200 out).
//!
//! Nothing is asserted: the numbers are for the issue notes and for comparing commits.

use lampboard::sip::message::{Response, SipMessage};
use lampboard::sip::transaction::{Incoming, TimerConfig, TransactionLayer};
use lampboard::sip::transport::{Destination, TransportKind};
use std::hint::black_box;
use std::time::{Duration, Instant};

const REGISTER_401: &str = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKq8f2hs9d0a;rport=5070;received=192.0.2.10\r\n\
From: <sip:1001@pbx.example.com>;tag=8sd7f6s\r\n\
To: <sip:1001@pbx.example.com>;tag=a6c85cf\r\n\
Call-ID: 4d5b8c1a9e7f@lampboard\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"Z2Vmb3JlLWV4YW1wbGUtbm9uY2UtdmFsdWU\", qop=\"auth\", algorithm=SHA-256\r\n\
WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"Z2Vmb3JlLWV4YW1wbGUtbm9uY2UtdmFsdWU\", qop=\"auth\", algorithm=MD5\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";

fn notify_764() -> Vec<u8> {
    let head = |len: usize| {
        format!(
            "NOTIFY sip:2000@192.0.2.10:5070 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK7c1a.9f2e\r\n\
Max-Forwards: 70\r\n\
From: <sip:1001@pbx.example.com>;tag=a6c85cf\r\n\
To: <sip:2000@pbx.example.com>;tag=8sd7f6s\r\n\
Call-ID: 7f3e2d1c@lampboard\r\n\
CSeq: 12 NOTIFY\r\n\
Event: presence\r\n\
Subscription-State: active;expires=3400\r\n\
Content-Type: application/pidf+xml\r\n\
Content-Length: {len}\r\n\r\n"
        )
    };
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence entity=\"sip:1001@pbx.example.com\" \
xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\">\n \
<note>Ready</note>\n <tuple id=\"1001\"><status><basic>open</basic></status></tuple>\n <dm:person />\n</presence>\n",
    );
    let target = 764;
    while head(body.len()).len() + body.len() < target {
        body.push(' ');
    }
    let mut msg = head(body.len()).into_bytes();
    msg.extend_from_slice(body.as_bytes());
    assert_eq!(msg.len(), target, "the NOTIFY is 764 bytes");
    msg
}

/// Runs `f` repeatedly for about `dur`; returns operations per second.
fn rate(dur: Duration, mut f: impl FnMut() -> usize) -> f64 {
    let start = Instant::now();
    let mut ops = 0usize;
    while start.elapsed() < dur {
        ops += f();
    }
    ops as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let dur = Duration::from_millis(std::env::var("BENCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1500));
    let reg401 = REGISTER_401.as_bytes();
    let notify = notify_764();
    for (name, bytes) in [("REGISTER 401", reg401), ("NOTIFY 764 B", &notify[..])] {
        let r = rate(dur, || {
            let m = SipMessage::parse(black_box(bytes)).expect("bench message parses");
            black_box(m.to_bytes());
            1
        });
        println!("parse+serialise {name:<13} {:>10.0} msg/s", r);
    }

    let dest = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:5060".parse().expect("addr") };
    let SipMessage::Request(template) = SipMessage::parse(&notify).expect("parses") else { unreachable!() };
    let mut n = 0u64;
    let t0 = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let r = rate(dur, || {
        // Client side: a REGISTER-sized request out, its 200 back, the transaction completes.
        n += 1;
        let mut req = template.clone();
        req.headers.remove(&ezk_sip_types::Name::VIA);
        req.headers.insert(ezk_sip_types::Name::VIA, format!("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKc{n}"));
        let now = t0 + Duration::from_millis(n);
        layer.send_request(now, req.clone(), dest);
        while layer.poll_transmit().is_some() {}
        let resp = Response::to_request(&req, 200, "OK", Some("t"));
        layer.handle_message(now, SipMessage::Response(resp), dest);
        while layer.poll_event().is_some() {}
        layer.handle_timeout(now);
        1
    });
    println!("client transactions driven     {:>10.0} tx/s", r);

    let mut layer = TransactionLayer::new(TimerConfig::default());
    let r = rate(dur, || {
        n += 1;
        let mut req = template.clone();
        req.headers.remove(&ezk_sip_types::Name::VIA);
        req.headers.insert(ezk_sip_types::Name::VIA, format!("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKs{n}"));
        let now = t0 + Duration::from_millis(n);
        if let Incoming::Request { key: Some(key), request, .. } =
            layer.handle_message(now, SipMessage::Request(req), dest)
        {
            layer.respond(now, &key, &Response::to_request(&request, 200, "OK", Some("t")));
        }
        while layer.poll_transmit().is_some() {}
        layer.handle_timeout(now);
        1
    });
    println!("server transactions driven     {:>10.0} tx/s", r);
    let (c, s) = layer.len();
    println!("(live transactions left waiting for Timer J/K: {c} client, {s} server)");
    notify_pipeline(dur);
    media_call_path();
}

/// CPU per active G.711 call: a minute of 20 ms frames (tone → PCMU → RTP → 10 % loss,
/// ±40 ms jitter → receiver → jitter buffer → decode + concealment), timed, as a share of
/// one core. The sound-card and resampling side is not in it yet.
fn media_call_path() {
    let frames = 3000; // 60 s of audio
    let start = Instant::now();
    let summary = lampboard::media::sim::call_path_workload(Instant::now(), frames, 7);
    let cpu = start.elapsed();
    std::hint::black_box(&summary.output);
    let share = cpu.as_secs_f64() / (frames as f64 * 0.020) * 100.0;
    println!("G.711 call path (encode+RTP+jitter+decode+PLC, lossy): {:.3} % of one core per call", share);
}

/// A whole NOTIFY through the user agent: parse, server transaction, subscription dialog,
/// PIDF parse + interpretation, lamp merge, lamp event out (every NOTIFY changes the lamp).
fn notify_pipeline(dur: Duration) {
    use lampboard::api::Event;
    use lampboard::ua::{AccountConfig, UserAgent};
    let mut account = AccountConfig::new("2000", "127.0.0.1", "pw");
    account.keepalive = Duration::ZERO;
    let server = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:5060".parse().expect("addr") };
    let t0 = Instant::now();
    let mut ua = UserAgent::new(account, server, "127.0.0.1:5070".parse().expect("addr"), TimerConfig::default(), 1);
    ua.watch(t0, &["1001".to_string()], &["presence".to_string()], None);
    let sub = loop {
        let t = ua.poll_transmit().expect("SUBSCRIBE sent");
        if t.data.starts_with(b"SUBSCRIBE") {
            break t;
        }
    };
    let SipMessage::Request(sub) = SipMessage::parse(&sub.data).expect("parses") else { unreachable!() };
    let mut ok = Response::to_request(&sub, 200, "OK", Some("srv"));
    ok.headers.insert(ezk_sip_types::Name::EXPIRES, "3600");
    ua.handle_datagram(t0, &ok.to_bytes(), server);
    let bodies = ["away", "dnd"].map(|s| {
        format!(
            "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" \
entity=\"sip:1001@127.0.0.1\"><tuple id=\"t1\"><status><basic>open</basic></status></tuple>\
<dm:person id=\"p1\"><rpid:activities><rpid:{}/></rpid:activities><dm:note>{s}</dm:note></dm:person></presence>",
            if s == "away" { "away" } else { "busy" }
        )
    });
    let mut cseq = 1u32;
    let mut lamps = 0usize;
    let r = rate(dur, || {
        cseq += 1;
        let body = &bodies[(cseq % 2) as usize];
        let msg = format!(
            "NOTIFY sip:2000@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKn{cseq}\r\n\
From: <sip:1001@127.0.0.1>;tag=srv\r\nTo: <sip:2000@127.0.0.1>;tag={}\r\nCall-ID: {}\r\nCSeq: {cseq} NOTIFY\r\n\
Event: presence\r\nSubscription-State: active;expires=3600\r\nContent-Type: application/pidf+xml\r\n\
Content-Length: {}\r\n\r\n{body}",
            sub.from_tag().unwrap_or_default(),
            sub.call_id(),
            body.len()
        );
        let now = t0 + Duration::from_millis(cseq as u64);
        ua.handle_datagram(now, msg.as_bytes(), server);
        while ua.poll_transmit().is_some() {}
        while let Some(e) = ua.poll_event() {
            if matches!(e, Event::Lamp(_)) {
                lamps += 1;
            }
        }
        ua.handle_timeout(now);
        1
    });
    println!("NOTIFY → lamp in the core       {:>10.0} NOTIFY/s ({lamps} lamp changes)", r);
}
