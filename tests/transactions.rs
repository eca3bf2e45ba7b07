//! Virtual-clock tests of the RFC 3261 §17 transactions: exact retransmission instants,
//! Timer B/F/H timeouts, absorption of retransmitted requests, ACK for non-2xx.

use lampboard::sip::message::{Request, Response, SipMessage};
use lampboard::sip::transaction::{
    ClientEvent, ClientState, ClientTransaction, Incoming, ServerEvent, ServerState, ServerTransaction, TimerConfig,
    TransactionLayer, TxEvent,
};
use lampboard::sip::transport::{Destination, TransportKind};
use std::time::{Duration, Instant};

fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:1001@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:1002@127.0.0.1>;tag=from1\r\n\
         To: <sip:1001@127.0.0.1>\r\n\
         Call-ID: call-{branch}\r\n\
         CSeq: 7 {method}\r\n\
         Route: <sip:127.0.0.1;lr>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match SipMessage::parse(text.as_bytes()).expect("test request parses") {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

fn response(req: &Request, code: u16) -> Response {
    Response::to_request(req, code, "Test", Some("totag9"))
}

/// Runs the clock forward in 10 ms steps, returning the offsets (ms) at which the transaction
/// sent something, until `end`.
fn run_client(tx: &mut ClientTransaction, t0: Instant, end_ms: u64) -> (Vec<u64>, Vec<ClientEvent>) {
    let mut sends = Vec::new();
    let mut events = Vec::new();
    while tx.poll_transmit().is_some() {
        sends.push(0);
    }
    let mut now = t0;
    while let Some(t) = tx.poll_timeout() {
        if t > t0 + Duration::from_millis(end_ms) {
            break;
        }
        now = now.max(t);
        tx.handle_timeout(now);
        while tx.poll_transmit().is_some() {
            sends.push((now - t0).as_millis() as u64);
        }
        while let Some(e) = tx.poll_event() {
            events.push(e);
        }
    }
    (sends, events)
}

#[test]
fn non_invite_client_udp_retransmits_then_timer_f() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::new(request("OPTIONS", "z9hG4bKn1"), false, TimerConfig::default(), t0);
    let (sends, events) = run_client(&mut tx, t0, 40_000);
    // T1 doubling capped at T2: 0, .5, 1.5, 3.5, 7.5, then every 4 s until Timer F at 32 s.
    assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert!(matches!(events.as_slice(), [ClientEvent::Timeout]));
    assert!(tx.is_terminated());
}

#[test]
fn non_invite_client_proceeding_uses_t2() {
    let t0 = Instant::now();
    let req = request("REGISTER", "z9hG4bKn2");
    let mut tx = ClientTransaction::new(req.clone(), false, TimerConfig::default(), t0);
    tx.poll_transmit();
    tx.handle_response(t0 + Duration::from_millis(100), response(&req, 100));
    assert_eq!(tx.state(), ClientState::Proceeding);
    // Timer E still fires at 500 ms, and from then on every T2.
    let (sends, _) = run_client(&mut tx, t0, 9_000);
    assert_eq!(sends, vec![500, 4500, 8500]);
}

#[test]
fn non_invite_client_reliable_never_retransmits() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::new(request("OPTIONS", "z9hG4bKn3"), true, TimerConfig::default(), t0);
    let (sends, events) = run_client(&mut tx, t0, 40_000);
    assert_eq!(sends, vec![0]);
    assert!(matches!(events.as_slice(), [ClientEvent::Timeout]));
}

#[test]
fn non_invite_client_final_then_timer_k() {
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKn4");
    let mut tx = ClientTransaction::new(req.clone(), false, TimerConfig::default(), t0);
    tx.poll_transmit();
    tx.handle_response(t0 + Duration::from_millis(200), response(&req, 200));
    assert_eq!(tx.state(), ClientState::Completed);
    assert!(matches!(tx.poll_event(), Some(ClientEvent::Response(r)) if r.code == 200));
    // A retransmitted 200 is absorbed.
    tx.handle_response(t0 + Duration::from_millis(300), response(&req, 200));
    assert!(tx.poll_event().is_none());
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(200) + Duration::from_secs(5)));
    tx.handle_timeout(t0 + Duration::from_millis(5200));
    assert!(tx.is_terminated());
}

#[test]
fn invite_client_timer_a_doubles_until_timer_b() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::new(request("INVITE", "z9hG4bKi1"), false, TimerConfig::default(), t0);
    let (sends, events) = run_client(&mut tx, t0, 40_000);
    assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert!(matches!(events.as_slice(), [ClientEvent::Timeout]));
}

#[test]
fn invite_client_builds_ack_for_non_2xx_and_resends_it() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKi2");
    let mut tx = ClientTransaction::new(req.clone(), false, TimerConfig::default(), t0);
    tx.poll_transmit();
    tx.handle_response(t0 + Duration::from_millis(50), response(&req, 180));
    tx.handle_response(t0 + Duration::from_millis(900), response(&req, 486));
    assert_eq!(tx.state(), ClientState::Completed);
    let ack = tx.poll_transmit().expect("ACK sent");
    let SipMessage::Request(ack) = SipMessage::parse(&ack).unwrap() else { panic!("ACK is a request") };
    assert_eq!(ack.method.to_string(), "ACK");
    assert_eq!(ack.uri, req.uri);
    assert_eq!(ack.top_via().unwrap().branch(), Some("z9hG4bKi2"), "same branch as the INVITE");
    assert_eq!(ack.to_tag().as_deref(), Some("totag9"), "To from the response");
    assert_eq!(ack.cseq().unwrap().0, 7);
    assert_eq!(ack.header(&lampboard::sip::message::name("Route")), Some("<sip:127.0.0.1;lr>"));
    // No INVITE retransmissions any more; a retransmitted 486 gets the ACK again.
    tx.handle_response(t0 + Duration::from_millis(1500), response(&req, 486));
    assert!(tx.poll_transmit().is_some());
    // Timer D: 32 s on UDP.
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(900) + Duration::from_secs(32)));
}

#[test]
fn invite_client_2xx_goes_to_accepted_and_passes_retransmissions() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKi3");
    let mut tx = ClientTransaction::new(req.clone(), false, TimerConfig::default(), t0);
    tx.poll_transmit();
    tx.handle_response(t0 + Duration::from_millis(100), response(&req, 200));
    assert_eq!(tx.state(), ClientState::Accepted);
    assert!(tx.poll_transmit().is_none(), "the TU, not the transaction, ACKs a 2xx");
    tx.handle_response(t0 + Duration::from_millis(600), response(&req, 200));
    let n = std::iter::from_fn(|| tx.poll_event()).count();
    assert_eq!(n, 2, "both 2xx reach the TU (RFC 6026)");
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(100) + Duration::from_secs(32)));
}

#[test]
fn non_invite_server_absorbs_and_resends_final() {
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKs1");
    let mut tx = ServerTransaction::new(req.clone(), false, TimerConfig::default());
    assert_eq!(tx.state(), ServerState::Trying);
    tx.handle_request(t0 + Duration::from_millis(500), &req);
    assert!(tx.poll_transmit().is_none(), "retransmission in Trying is absorbed silently");
    tx.respond(t0 + Duration::from_millis(600), &response(&req, 200));
    assert!(tx.poll_transmit().is_some());
    tx.handle_request(t0 + Duration::from_millis(1500), &req);
    let again = tx.poll_transmit().expect("final response resent");
    assert!(again.starts_with(b"SIP/2.0 200"));
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(600) + Duration::from_secs(32)), "Timer J");
}

#[test]
fn invite_server_timer_g_until_ack_then_timer_i() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs2");
    let mut tx = ServerTransaction::new(req.clone(), false, TimerConfig::default());
    let trying = tx.poll_transmit().expect("100 Trying at once");
    assert!(trying.starts_with(b"SIP/2.0 100"));
    tx.respond(t0, &response(&req, 486));
    tx.poll_transmit();
    let mut sends = Vec::new();
    let mut now = t0;
    while let Some(t) = tx.poll_timeout().filter(|t| *t <= t0 + Duration::from_millis(12_000)) {
        now = t;
        tx.handle_timeout(now);
        while tx.poll_transmit().is_some() {
            sends.push((now - t0).as_millis() as u64);
        }
    }
    assert_eq!(sends, vec![500, 1500, 3500, 7500, 11500], "T1 doubling capped at T2");
    let mut ack = req.clone();
    ack.method = lampboard::sip::message::method_from("ACK");
    tx.handle_request(now, &ack);
    assert_eq!(tx.state(), ServerState::Confirmed);
    assert_eq!(tx.poll_timeout(), Some(now + Duration::from_secs(5)), "Timer I = T4");
}

#[test]
fn invite_server_timer_h_reports_missing_ack() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs3");
    let mut tx = ServerTransaction::new(req.clone(), true, TimerConfig::default());
    tx.respond(t0, &response(&req, 603));
    tx.handle_timeout(t0 + Duration::from_secs(32));
    assert_eq!(tx.poll_event(), Some(ServerEvent::AckTimeout));
    assert!(tx.is_terminated());
}

#[test]
fn layer_matches_by_branch_and_method_and_absorbs_retransmissions() {
    let t0 = Instant::now();
    let dest = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() };
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let req = request("REGISTER", "z9hG4bKl1");
    let key = layer.send_request(t0, req.clone(), dest).unwrap();
    assert!(layer.poll_transmit().is_some());
    // A response with another branch is stray.
    let other = request("REGISTER", "z9hG4bKother");
    let stray = SipMessage::Response(response(&other, 200));
    assert!(matches!(layer.handle_message(t0, stray, dest), Incoming::StrayResponse(_)));
    let ok = SipMessage::Response(response(&req, 200));
    assert!(matches!(layer.handle_message(t0, ok, dest), Incoming::Matched));
    match layer.poll_event() {
        Some(TxEvent::Client { key: k, event: ClientEvent::Response(r), .. }) => {
            assert_eq!(k, key);
            assert_eq!(r.code, 200);
        }
        other => panic!("unexpected {other:?}"),
    }
    // Server side: the first request is new, its retransmission is absorbed.
    let inbound = request("OPTIONS", "z9hG4bKl2");
    let first = layer.handle_message(t0, SipMessage::Request(inbound.clone()), dest);
    let Incoming::Request { key: Some(skey), .. } = first else { panic!("new request") };
    assert!(layer.respond(t0, &skey, &response(&inbound, 200)));
    assert!(layer.poll_transmit().is_some());
    let again = layer.handle_message(t0 + Duration::from_millis(500), SipMessage::Request(inbound), dest);
    assert!(matches!(again, Incoming::Absorbed));
    assert!(layer.poll_transmit().is_some(), "the 200 is sent again");
    // Everything is gone once Timers K and J have fired.
    layer.handle_timeout(t0 + Duration::from_secs(40));
    assert!(layer.is_empty());
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn invite_client_ringing_is_not_cut_by_timer_b() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKi4");
    let mut tx = ClientTransaction::new(req.clone(), false, TimerConfig::default(), t0);
    tx.poll_transmit();
    tx.handle_response(t0 + Duration::from_millis(300), response(&req, 180));
    let _ = tx.poll_event();
    // Timer B guards Calling only: a phone may ring for minutes.
    assert_eq!(tx.poll_timeout(), None);
    tx.handle_timeout(t0 + Duration::from_secs(120));
    assert!(tx.poll_event().is_none());
    tx.handle_response(t0 + Duration::from_secs(90), response(&req, 200));
    assert_eq!(tx.state(), ClientState::Accepted);
}
