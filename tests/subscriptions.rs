//! Virtual-clock scenarios for the RFC 6665 subscription engine: pacing of 1,000
//! subscriptions over 24 simulated hours, a server that answers 481 to every refresh, NOTIFY
//! before the 2xx, Subscription-State `terminated` reasons, NOTIFY for no subscription.

use lampboard::sip::auth::{Authenticator, Credentials};
use lampboard::sip::message::{Request, Response, SipMessage, name};
use lampboard::sip::subscription::{SubEvent, SubStatus, SubscribeConfig, SubscriptionManager};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

fn manager(rate: f64, window: usize, expires: u32) -> SubscriptionManager {
    let cfg = SubscribeConfig { expires, rate, window, ..SubscribeConfig::default() };
    let auth = Authenticator::new(Credentials { username: "2000".into(), password: "pw".into() });
    SubscriptionManager::new(cfg, "sip:2000@pbx.test".into(), "sip:2000@192.0.2.5:5070".into(), auth, 42)
}

fn reparse(r: &Request) -> Request {
    let mut r = r.clone();
    r.headers.insert_front(name("Via"), "SIP/2.0/UDP 192.0.2.5:5070;branch=z9hG4bKt");
    match SipMessage::parse(&r.to_bytes()).expect("our SUBSCRIBE parses") {
        SipMessage::Request(r) => r,
        _ => unreachable!(),
    }
}

fn ok(req: &Request, expires: u32, to_tag: &str) -> Response {
    let mut r = Response::to_request(req, 200, "OK", Some(to_tag));
    r.headers.insert(name("Expires"), expires.to_string());
    r.headers.insert(name("Contact"), "<sip:notifier@192.0.2.1:5060>".to_string());
    r
}

fn notify(req: &Request, to_tag: &str, cseq: u32, state: &str, body: &str) -> Request {
    let text = format!(
        "NOTIFY sip:2000@192.0.2.5:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKn{cseq}\r\n\
From: <{}>;tag={to_tag}\r\nTo: <sip:2000@pbx.test>;tag={}\r\nCall-ID: {}\r\nCSeq: {cseq} NOTIFY\r\n\
Contact: <sip:notifier@192.0.2.1:5060>\r\nEvent: presence\r\nSubscription-State: {state}\r\n\
Content-Type: application/pidf+xml\r\nContent-Length: {}\r\n\r\n{body}",
        req.to_addr().unwrap().uri,
        req.from_tag().unwrap(),
        req.call_id(),
        body.len()
    );
    match SipMessage::parse(text.as_bytes()).expect("notify parses") {
        SipMessage::Request(r) => r,
        _ => unreachable!(),
    }
}

fn statuses(m: &mut SubscriptionManager) -> Vec<(usize, SubStatus)> {
    std::iter::from_fn(|| m.poll_event())
        .filter_map(|e| match e {
            SubEvent::Status { id, status } => Some((id, status)),
            SubEvent::Notify { .. } | SubEvent::NotAList { .. } => None,
        })
        .collect()
}

#[test]
fn thousand_subscriptions_paced_and_refreshed_for_24_hours() {
    const N: usize = 1000;
    const RATE: f64 = 20.0;
    let t0 = Instant::now();
    let mut m = manager(RATE, 10, 600);
    for i in 0..N {
        m.add(&format!("sip:{}@pbx.test", 3000 + i), "presence", "application/pidf+xml");
    }
    let end = t0 + Duration::from_secs(24 * 3600);
    let mut now = t0;
    // Responses come back 20 ms after the request (a busy PBX).
    let mut pending: BTreeMap<(Instant, u64), Request> = BTreeMap::new();
    let mut seq = 0u64;
    let mut sends: Vec<Instant> = Vec::new();
    let mut per_sub: HashMap<String, Vec<Instant>> = HashMap::new();
    let mut first_active: HashMap<usize, Instant> = HashMap::new();
    let mut stale = 0;
    let mut notify_cseq: HashMap<String, u32> = HashMap::new();
    m.pace(now);
    loop {
        while let Some(req) = m.poll_request() {
            let req = reparse(&req);
            sends.push(now);
            per_sub.entry(req.to_addr().unwrap().uri).or_default().push(now);
            seq += 1;
            pending.insert((now + Duration::from_millis(20), seq), req);
        }
        for (id, st) in statuses(&mut m) {
            match st {
                SubStatus::Active => {
                    first_active.entry(id).or_insert(now);
                }
                SubStatus::Stale(_) | SubStatus::Failed { .. } => stale += 1,
                _ => {}
            }
        }
        let next_resp = pending.keys().next().map(|k| k.0);
        let next = [m.poll_timeout(), next_resp].into_iter().flatten().min();
        let Some(next) = next.filter(|t| *t <= end) else {
            break;
        };
        now = next;
        if next_resp == Some(next) {
            let (_, req) = pending.pop_first().unwrap();
            m.handle_response(now, &req, &ok(&req, 600, "srv"));
            let c = notify_cseq.entry(req.call_id().to_string()).or_insert(0);
            *c += 1;
            let n = notify(&req, "srv", *c, "active;expires=600", "<presence/>");
            assert_eq!(m.handle_notify(now, &n), (200, "OK"));
        } else {
            m.handle_timeout(now);
        }
    }
    assert_eq!(first_active.len(), N, "every subscription became active");
    let last_first = *first_active.values().max().unwrap();
    let fill = last_first - t0;
    assert!(fill <= Duration::from_secs_f64(N as f64 / RATE + 1.0), "initial fill paced at the rate: {fill:?}");
    // Never more than RATE requests in any one-second window.
    let mut worst = 0;
    let mut j = 0;
    for i in 0..sends.len() {
        while sends[i] - sends[j] >= Duration::from_secs(1) {
            j += 1;
        }
        worst = worst.max(i - j + 1);
    }
    assert!(worst <= RATE as usize, "burst of {worst} SUBSCRIBEs in one second");
    assert_eq!(stale, 0, "no lamp went stale");
    // No drift: every resource is refreshed every 480–540 s (80–90 % of 600 s) plus pacing.
    for (uri, times) in &per_sub {
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            assert!(gap >= Duration::from_secs(480) && gap <= Duration::from_secs(545), "{uri}: refresh gap {gap:?}");
        }
        assert!(times.len() >= 160, "{uri}: {} refreshes in 24 h", times.len());
    }
    eprintln!("{} SUBSCRIBEs in 24 h, worst second {worst}, fill {fill:?}", sends.len());
}

#[test]
fn server_answering_481_to_every_refresh() {
    let t0 = Instant::now();
    let mut m = manager(50.0, 5, 120);
    let id = m.add("sip:1002@pbx.test", "presence", "application/pidf+xml");
    m.pace(t0);
    let mut now = t0;
    let mut initial = 0;
    let mut refreshes = 0;
    let mut call_ids = std::collections::HashSet::new();
    while now < t0 + Duration::from_secs(3600) {
        while let Some(req) = m.poll_request() {
            let req = reparse(&req);
            call_ids.insert(req.call_id().to_string());
            if req.to_tag().is_none() {
                initial += 1;
                m.handle_response(now, &req, &ok(&req, 120, "srv"));
                let n = notify(&req, "srv", 1, "active;expires=120", "");
                m.handle_notify(now, &n);
            } else {
                refreshes += 1;
                m.handle_response(now, &req, &Response::to_request(&req, 481, "Call Does Not Exist", None));
            }
        }
        let _ = statuses(&mut m);
        let Some(t) = m.poll_timeout() else { break };
        now = t;
        m.handle_timeout(now);
    }
    // Each refresh failed with 481 and was followed at once by a new subscription (a new dialog).
    assert!(refreshes >= 25, "refreshes {refreshes}");
    assert!(initial >= refreshes && initial <= refreshes + 1, "initial {initial} vs refreshes {refreshes}");
    assert_eq!(call_ids.len(), initial, "every re-subscription is a new dialog");
    assert_eq!(m.describe(id).unwrap().0, "sip:1002@pbx.test");
}

#[test]
fn notify_before_2xx_creates_the_dialog() {
    let t0 = Instant::now();
    let mut m = manager(10.0, 5, 600);
    m.add("sip:1002@pbx.test", "presence", "application/pidf+xml");
    m.pace(t0);
    let req = reparse(&m.poll_request().unwrap());
    let n = notify(&req, "ntag", 1, "active;expires=600", "<presence/>");
    assert_eq!(m.handle_notify(t0, &n), (200, "OK"));
    let ev: Vec<_> = std::iter::from_fn(|| m.poll_event()).collect();
    assert!(ev.iter().any(|e| matches!(e, SubEvent::Notify { body, .. } if &body[..] == b"<presence/>")));
    assert!(ev.iter().any(|e| matches!(e, SubEvent::Status { status: SubStatus::Active, .. })));
    m.handle_response(t0, &req, &ok(&req, 600, "ntag"));
    // The refresh goes inside the dialog: to the notifier's Contact, with its tag.
    let t = m.poll_timeout().unwrap();
    m.handle_timeout(t);
    let refresh = reparse(&m.poll_request().expect("refresh"));
    assert_eq!(refresh.uri, "sip:notifier@192.0.2.1:5060");
    assert_eq!(refresh.to_tag().as_deref(), Some("ntag"));
    assert_eq!(refresh.call_id(), req.call_id());
    assert_eq!(refresh.cseq().unwrap().0, 2);
}

#[test]
fn terminated_reasons() {
    let t0 = Instant::now();
    let run = |state: &str| {
        let mut m = manager(100.0, 5, 600);
        m.add("sip:1002@pbx.test", "presence", "application/pidf+xml");
        m.pace(t0);
        let req = reparse(&m.poll_request().unwrap());
        m.handle_response(t0, &req, &ok(&req, 600, "s"));
        m.handle_notify(t0, &notify(&req, "s", 1, "active;expires=600", "<presence/>"));
        let _ = statuses(&mut m);
        let code = m.handle_notify(t0, &notify(&req, "s", 2, state, ""));
        assert_eq!(code, (200, "OK"));
        let st = statuses(&mut m);
        // "At once" means at the pacer's next slot (10 ms at 100/s).
        let later = m.poll_timeout();
        let again_now = match later {
            Some(t) if t <= t0 + Duration::from_millis(10) => {
                m.handle_timeout(t);
                m.poll_request().map(|r| reparse(&r))
            }
            _ => None,
        };
        (st, again_now, later, req)
    };
    for reason in ["deactivated", "timeout"] {
        let (st, again, _, old) = run(&format!("terminated;reason={reason}"));
        assert!(matches!(st.as_slice(), [(_, SubStatus::Stale(_))]), "{reason}: {st:?}");
        let again = again.unwrap_or_else(|| panic!("{reason}: re-subscribed at once"));
        assert_ne!(again.call_id(), old.call_id(), "a new subscription");
        assert!(again.to_tag().is_none());
    }
    for reason in ["rejected", "noresource"] {
        let (st, again, later, _) = run(&format!("terminated;reason={reason}"));
        assert!(matches!(st.as_slice(), [(_, SubStatus::Failed { .. })]), "{reason}: {st:?}");
        assert!(again.is_none() && later.is_none(), "{reason}: stopped for good");
    }
    for reason in ["probation", "giveup"] {
        let (_, again, later, _) = run(&format!("terminated;reason={reason};retry-after=30"));
        assert!(again.is_none());
        assert_eq!(later, Some(t0 + Duration::from_secs(30)), "{reason}: retry-after honoured");
    }
}

#[test]
fn notify_for_no_subscription_gets_481_and_wrong_event_489() {
    let t0 = Instant::now();
    let mut m = manager(10.0, 5, 600);
    m.add("sip:1002@pbx.test", "presence", "application/pidf+xml");
    m.pace(t0);
    let req = reparse(&m.poll_request().unwrap());
    let mut stray = req.clone();
    stray.headers.remove(&name("Call-ID"));
    stray.headers.insert(name("Call-ID"), "unknown@elsewhere".to_string());
    assert_eq!(m.handle_notify(t0, &notify(&stray, "x", 1, "active", "")).0, 481);
    let mut wrong = notify(&req, "x", 1, "active", "");
    wrong.headers.remove(&name("Event"));
    wrong.headers.insert(name("Event"), "dialog".to_string());
    assert_eq!(m.handle_notify(t0, &wrong).0, 489);
}

#[test]
fn unsubscribe_all_is_paced_and_ends_everything() {
    let t0 = Instant::now();
    let mut m = manager(10.0, 100, 600);
    for i in 0..20 {
        m.add(&format!("sip:{}@pbx.test", 1000 + i), "presence", "application/pidf+xml");
    }
    let mut now = t0;
    let mut reqs = Vec::new();
    while reqs.len() < 20 {
        m.pace(now);
        while let Some(r) = m.poll_request() {
            reqs.push(reparse(&r));
        }
        now += Duration::from_millis(100);
    }
    for r in &reqs {
        m.handle_response(now, r, &ok(r, 600, "s"));
        m.handle_notify(now, &notify(r, "s", 1, "active;expires=600", "<presence/>"));
    }
    let _ = statuses(&mut m);
    m.unsubscribe_all();
    let start = now;
    let mut unsub = Vec::new();
    while !m.is_quiet() {
        m.pace(now);
        while let Some(r) = m.poll_request() {
            let r = reparse(&r);
            assert_eq!(r.header(&name("Expires")), Some("0"));
            unsub.push(now);
            m.handle_response(now, &r, &ok(&r, 0, "s"));
        }
        now += Duration::from_millis(10);
    }
    assert_eq!(unsub.len(), 20);
    // Paced too, at 5 × 10/s on exit.
    assert!(unsub[19] - start >= Duration::from_millis(360), "paced: {:?}", unsub[19] - start);
    let ended = statuses(&mut m).into_iter().filter(|(_, s)| *s == SubStatus::Ended).count();
    assert_eq!(ended, 20);
}
