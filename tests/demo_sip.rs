//! The demo office as a real SIP service on loopback (issue 6, item 10): the real engine
//! registers to it, watches the colleagues and sees their lamps change; a call to the echo
//! extension returns the tone it sends; broken datagrams do not stop the service.

use lampboard::api::{Command, Event};
use lampboard::demo::office::ECHO_EXT;
use lampboard::demo::service::{DemoService, ServiceConfig};
use lampboard::engine::{self, EngineHandle};
use lampboard::media::{ToneGenerator, WavWriter, dominant_frequency, goertzel, read_wav_file};
use std::collections::{HashMap, HashSet};
use std::net::UdpSocket;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn service(speed: f64) -> DemoService {
    DemoService::start(ServiceConfig { speed, ..ServiceConfig::default() }).expect("the demo service starts")
}

/// Waits up to `within` for an event matching `want`; every event seen goes to `seen`.
fn wait_for(h: &EngineHandle, within: Duration, seen: &mut Vec<Event>, want: impl Fn(&Event) -> bool) -> Event {
    let end = Instant::now() + within;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match h.events.recv_timeout(left) {
            Ok(e) => {
                seen.push(e.clone());
                if want(&e) {
                    return e;
                }
            }
            Err(_) => break,
        }
    }
    let others: Vec<&Event> = seen.iter().filter(|e| !matches!(e, Event::Lamp(_))).collect();
    panic!("no such event within {within:?}; seen besides lamps: {:#?}", &others[others.len().saturating_sub(20)..])
}

fn write_tone(path: &Path, freq: f64, secs: u32) {
    let mut w = WavWriter::create(path, 8000).expect("wav");
    let mut g = ToneGenerator::sine(freq, 8000, 8000);
    w.write_samples(&g.next_frame(8000 * secs as usize)).expect("samples");
    w.finish().expect("finish");
}

/// The recording holds the tone: dominant frequency within ±2 % over its middle half, and
/// SNR ≥ 20 dB in the median 250 ms window of that half (the calls run in real time on a
/// shared machine: a scheduling hiccup may conceal a packet or two, which must not decide).
fn assert_tone(path: &Path, freq: f64) {
    let wav = read_wav_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let n = wav.samples.len();
    assert!(n as u32 > wav.sample_rate, "at least a second recorded ({n} samples)");
    let mid = &wav.samples[n / 4..n * 3 / 4];
    let f = dominant_frequency(mid, wav.sample_rate, 200.0..3400.0).expect("a tone");
    assert!((f - freq).abs() <= freq * 0.02, "dominant {f} Hz, want {freq} Hz ±2 %");
    let window = wav.sample_rate as usize / 4;
    let mut snr: Vec<f64> = mid.chunks_exact(window).map(|w| goertzel(w, wav.sample_rate, freq).snr_db).collect();
    assert!(snr.len() >= 2, "too short to measure");
    snr.sort_by(f64::total_cmp);
    let median = snr[snr.len() / 2];
    assert!(median >= 20.0, "median SNR {median} dB (windows: {snr:?})");
}

/// One echo call at a time: the audio tests run in real time and share two cores.
static AUDIO: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_engine_registers_sees_lamps_change_and_hears_its_echo() {
    // Six times real time: the office's day moves quickly enough to see changes in seconds.
    let svc = service(6.0);
    let tmp = tempfile::tempdir().unwrap();
    let (play, rec) = (tmp.path().join("tone.wav"), tmp.path().join("echo.wav"));
    write_tone(&play, 1000.0, 20);
    let mut cfg = svc.engine_config();
    cfg.audio.play = Some(play);
    cfg.audio.record = Some(rec.clone());
    let h = engine::spawn(cfg, Arc::new(|| {})).expect("engine");
    let mut seen = Vec::new();
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Registered { .. }));

    // Watch every colleague of the wall, like the console does.
    let exts: Vec<String> = svc.keys().iter().filter(|k| k.ext != ECHO_EXT).map(|k| k.ext.clone()).collect::<Vec<_>>();
    assert_eq!(exts.len(), 48);
    let events = vec!["presence".to_owned(), "dialog".to_owned()];
    h.send(Command::Watch { targets: exts.clone(), events, list: None });
    let mut states: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let end = Instant::now() + Duration::from_secs(8);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Ok(e) = h.events.recv_timeout(left) else { break };
        if let Event::Lamp(l) = &e
            && l.fresh
        {
            let s = states.entry(l.ext.clone()).or_default();
            let now = (l.status.clone(), l.line.clone());
            if s.last() != Some(&now) {
                s.push(now);
            }
        }
        seen.push(e);
    }
    assert!(states.len() >= 40, "fresh lamps for most colleagues, got {}: {states:?}", states.len());
    let changed: HashSet<&String> = states.iter().filter(|(_, v)| v.len() >= 2).map(|(k, _)| k).collect();
    assert!(changed.len() >= 2, "live changes on the wall, got {changed:?} in {states:?}");
    let lines: HashSet<&str> = states.values().flatten().map(|(_, l)| l.as_str()).collect();
    let statuses: HashSet<&str> = states.values().flatten().map(|(s, _)| s.as_str()).collect();
    assert!(statuses.len() >= 3, "several statuses on show: {statuses:?}");
    assert!(lines.contains("idle"), "{lines:?}");

    // The echo extension answers and sends our tone back.
    let _audio = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    h.send(Command::Dial { target: ECHO_EXT.into() });
    let answered = wait_for(
        &h,
        Duration::from_secs(5),
        &mut seen,
        |e| matches!(e, Event::Call { state, .. } if state == "answered"),
    );
    let Event::Call { id, .. } = answered else { unreachable!() };
    std::thread::sleep(Duration::from_secs(3));
    h.send(Command::Hangup { call: id.clone() });
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Call { state, .. } if state == "ended"));
    let media = wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Media { .. }));
    let Event::Media { rx_packets, tx_packets, malformed, .. } = media else { unreachable!() };
    assert!(tx_packets >= 100 && rx_packets >= 100, "rx {rx_packets}, tx {tx_packets}");
    assert_eq!(malformed, 0);
    assert_tone(&rec, 1000.0);
    h.send(Command::Shutdown);
    wait_for(&h, Duration::from_secs(10), &mut seen, |e| matches!(e, Event::Stopped));
}

/// A raw SIP client on loopback.
struct Raw {
    sock: UdpSocket,
    to: std::net::SocketAddr,
    n: u32,
}

impl Raw {
    fn new(to: std::net::SocketAddr) -> Raw {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
        Raw { sock, to, n: 0 }
    }

    fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    fn send(&self, data: &[u8]) {
        self.sock.send_to(data, self.to).unwrap();
    }

    /// A request with the mandatory headers and `extra` ones.
    fn request(&mut self, method: &str, user: &str, extra: &str) -> String {
        self.n += 1;
        let p = self.port();
        format!(
            "{method} sip:{user}@demo.lampboard.invalid SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKraw{n}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:9999@demo.lampboard.invalid>;tag=raw{n}\r\n\
             To: <sip:{user}@demo.lampboard.invalid>\r\nCall-ID: raw-{n}@test\r\nCSeq: {n} {method}\r\n\
             Contact: <sip:9999@127.0.0.1:{p}>\r\n{extra}Content-Length: 0\r\n\r\n",
            n = self.n
        )
    }

    /// The next datagram as text (`None` after the read timeout).
    fn recv(&self) -> Option<String> {
        let mut buf = vec![0u8; 65_535];
        let (n, _) = self.sock.recv_from(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// The next message whose first line starts with `start`, skipping others.
    fn expect(&self, start: &str) -> String {
        for _ in 0..10 {
            let Some(m) = self.recv() else { break };
            if m.starts_with(start) {
                return m;
            }
        }
        panic!("no {start:?} from the service")
    }
}

#[test]
fn malformed_datagrams_are_dropped_and_the_service_keeps_answering() {
    let svc = service(1.0);
    let mut raw = Raw::new(svc.addr());
    let junk: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"hello world".to_vec(),
        vec![0xff; 2000],
        b"INVITE\r\n\r\n".to_vec(),
        b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n".to_vec(),
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n".to_vec(),
        vec![b'A'; 60_000],
    ];
    for j in &junk {
        raw.send(j);
    }
    // A request readable enough to answer gets its 400.
    let bad = raw.request("OPTIONS", "1001", "").replace("CSeq: 1 OPTIONS", "CSeq: x OPTIONS");
    raw.send(bad.as_bytes());
    raw.expect("SIP/2.0 400");
    // …and the service still works.
    let opt = raw.request("OPTIONS", "1001", "");
    raw.send(opt.as_bytes());
    let ok = raw.expect("SIP/2.0 200");
    assert!(ok.contains("Allow:") && ok.contains("SUBSCRIBE"), "{ok}");
    let foo = raw.request("FOO", "1001", "");
    raw.send(foo.as_bytes());
    raw.expect("SIP/2.0 501");
    let msg = raw.request("MESSAGE", "1001", "");
    raw.send(msg.as_bytes());
    raw.expect("SIP/2.0 405");
    let bad_event = raw.request("SUBSCRIBE", "1001", "Event: conference\r\n");
    raw.send(bad_event.as_bytes());
    raw.expect("SIP/2.0 489");
    let nobody = raw.request("SUBSCRIBE", "4711", "Event: presence\r\n");
    raw.send(nobody.as_bytes());
    raw.expect("SIP/2.0 404");
    let unauth = raw.request("REGISTER", "1000", "Expires: 600\r\n");
    raw.send(unauth.as_bytes());
    let challenge = raw.expect("SIP/2.0 401");
    assert!(challenge.contains("WWW-Authenticate: Digest"), "{challenge}");
}

#[test]
fn subscribe_notifies_at_once_and_terminates_on_unsubscribe() {
    let svc = service(1.0);
    let mut raw = Raw::new(svc.addr());
    let sub =
        raw.request("SUBSCRIBE", "1001", "Event: dialog\r\nAccept: application/dialog-info+xml\r\nExpires: 600\r\n");
    raw.send(sub.as_bytes());
    let mut ok = None;
    let mut notify = None;
    for _ in 0..4 {
        match raw.recv() {
            Some(m) if m.starts_with("SIP/2.0 200") => ok = Some(m),
            Some(m) if m.starts_with("NOTIFY ") => {
                notify = Some(m);
                if ok.is_some() {
                    break;
                }
            }
            _ => {}
        }
    }
    let ok = ok.expect("200 to SUBSCRIBE");
    assert!(ok.contains("Expires: 600"), "{ok}");
    let notify = notify.expect("an immediate NOTIFY");
    assert!(notify.contains("Subscription-State: active"), "{notify}");
    assert!(notify.contains("<dialog-info") && notify.contains("entity=\"sip:1001@demo.lampboard.invalid\""));
    // Answer the NOTIFY, then unsubscribe inside the dialog.
    let header = |m: &str, name: &str| {
        m.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
            .unwrap_or_default()
    };
    let answer = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        header(&notify, "Via"),
        header(&notify, "From"),
        header(&notify, "To"),
        header(&notify, "Call-ID"),
        header(&notify, "CSeq")
    );
    raw.send(answer.as_bytes());
    let to_with_tag = header(&ok, "To");
    raw.n += 1;
    let p = raw.port();
    let unsub = format!(
        "SUBSCRIBE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKunsub\r\n\
         From: <sip:9999@demo.lampboard.invalid>;tag=raw1\r\nTo: {to_with_tag}\r\nCall-ID: raw-1@test\r\n\
         CSeq: 9 SUBSCRIBE\r\nContact: <sip:9999@127.0.0.1:{p}>\r\nEvent: dialog\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n"
    );
    raw.send(unsub.as_bytes());
    let mut terminated = false;
    for _ in 0..4 {
        match raw.recv() {
            Some(m) if m.starts_with("NOTIFY ") => {
                terminated = m.contains("Subscription-State: terminated");
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    assert!(terminated, "a terminated NOTIFY after Expires: 0");
}

/// Collects lamp events (the last one of each colleague) until `until` says stop or `within`
/// passes; other events go to `seen`.
fn lamps_until(
    h: &EngineHandle,
    within: Duration,
    lamps: &mut HashMap<String, lampboard::api::LampEvent>,
    seen: &mut Vec<Event>,
    until: impl Fn(&HashMap<String, lampboard::api::LampEvent>) -> bool,
) -> bool {
    let end = Instant::now() + within;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Ok(e) = h.events.recv_timeout(left) else { break };
        match e {
            Event::Lamp(l) => {
                lamps.insert(l.ext.clone(), l);
                if until(lamps) {
                    return true;
                }
            }
            other => seen.push(other),
        }
    }
    false
}

fn watch_all(svc: &DemoService, h: &EngineHandle) -> Vec<String> {
    let exts: Vec<String> = svc.keys().iter().filter(|k| k.ext != ECHO_EXT).map(|k| k.ext.clone()).collect();
    h.send(Command::Watch { targets: exts.clone(), events: vec!["presence".into(), "dialog".into()], list: None });
    exts
}

#[test]
fn calling_a_colleague_rings_their_lamp_then_shows_them_busy_with_us() {
    // The office almost stands still: only our call changes the lamp.
    let svc = service(0.01);
    let h = engine::spawn(svc.engine_config(), Arc::new(|| {})).expect("engine");
    let mut seen = Vec::new();
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Registered { .. }));
    let exts = watch_all(&svc, &h);
    let mut lamps = HashMap::new();
    let n = exts.len();
    lamps_until(&h, Duration::from_secs(5), &mut lamps, &mut seen, |l| l.values().filter(|l| l.fresh).count() >= n - 4);
    let pick = |status: &str| {
        let mut v: Vec<&lampboard::api::LampEvent> =
            lamps.values().filter(|l| l.fresh && l.status == status && l.line == "idle").collect();
        v.sort_by(|a, b| a.ext.cmp(&b.ext));
        v.first().map(|l| l.ext.clone())
    };
    // Our own status goes to the service's presence agent.
    h.send(Command::SetPresence { status: "away".into(), note: None, etag: None });
    let published = wait_for(&h, Duration::from_secs(5), &mut seen, |e| {
        matches!(e, Event::Published { .. } | Event::PublishFailed { .. })
    });
    assert!(matches!(&published, Event::Published { status, etag: Some(_), .. } if status == "away"), "{published:?}");
    let free = pick("available").expect("an available colleague");
    let dnd = pick("dnd").expect("a colleague on DND");

    h.send(Command::Dial { target: dnd.clone() });
    let refused =
        wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Call { state, .. } if state == "ended"));
    assert!(matches!(&refused, Event::Call { code: Some(486), .. }), "{refused:?}");

    h.send(Command::Dial { target: free.clone() });
    let is = |line: &'static str, who: &'static str| {
        let free = free.clone();
        move |l: &HashMap<String, lampboard::api::LampEvent>| {
            l.get(&free).is_some_and(|l| {
                l.line == line && l.caller.as_deref().or(l.peer.as_deref()).is_some_and(|p| p.contains(who))
            })
        }
    };
    assert!(lamps_until(&h, Duration::from_secs(5), &mut lamps, &mut seen, is("ringing", "1000")), "{lamps:?}");
    assert!(lamps_until(&h, Duration::from_secs(6), &mut lamps, &mut seen, is("busy", "1000")), "{lamps:?}");
    let call = seen.iter().rev().find_map(|e| match e {
        Event::Call { id, state, .. } if state == "calling" => Some(id.clone()),
        _ => None,
    });
    let id = call.expect("the call's id");
    h.send(Command::Hangup { call: id });
    let idle = lamps_until(&h, Duration::from_secs(5), &mut lamps, &mut seen, |l| {
        l.get(&free).is_some_and(|l| l.line == "idle")
    });
    assert!(idle, "the lamp is idle again after the call: {:?}", lamps.get(&free));
    h.send(Command::Shutdown);
    wait_for(&h, Duration::from_secs(10), &mut seen, |e| matches!(e, Event::Stopped));
}

#[test]
fn a_ringing_colleague_can_be_picked_up() {
    let svc = service(4.0);
    let h = engine::spawn(svc.engine_config(), Arc::new(|| {})).expect("engine");
    let mut seen = Vec::new();
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Registered { .. }));
    watch_all(&svc, &h);
    let mut lamps = HashMap::new();
    let ringing = |l: &HashMap<String, lampboard::api::LampEvent>| l.values().any(|l| l.line == "ringing");
    assert!(lamps_until(&h, Duration::from_secs(15), &mut lamps, &mut seen, ringing), "no colleague rang");
    let ext = lamps.values().find(|l| l.line == "ringing").map(|l| l.ext.clone()).unwrap();
    h.send(Command::Pickup { ext: ext.clone() });
    // The colleague's lamp stops ringing (the call was taken) and our call is answered.
    let done = |l: &HashMap<String, lampboard::api::LampEvent>| l.get(&ext).is_some_and(|l| l.line != "ringing");
    assert!(lamps_until(&h, Duration::from_secs(3), &mut lamps, &mut seen, done), "{:?}", lamps.get(&ext));
    let is_end = |e: &Event| matches!(e, Event::Call { state, .. } if state == "answered" || state == "ended");
    let answered = match seen.iter().find(|e| is_end(e)) {
        Some(e) => e.clone(),
        None => wait_for(&h, Duration::from_secs(5), &mut seen, is_end),
    };
    assert!(matches!(&answered, Event::Call { state, .. } if state == "answered"), "{answered:?}");
    h.send(Command::Shutdown);
    wait_for(&h, Duration::from_secs(10), &mut seen, |e| matches!(e, Event::Stopped));
}

#[test]
fn an_outside_caller_rings_the_console_and_hears_the_echo() {
    // At six times real time the office's first caller for us comes after about a second.
    let svc = service(6.0);
    let tmp = tempfile::tempdir().unwrap();
    let (play, rec) = (tmp.path().join("tone.wav"), tmp.path().join("heard.wav"));
    write_tone(&play, 800.0, 20);
    let mut cfg = svc.engine_config();
    cfg.audio.play = Some(play);
    cfg.audio.record = Some(rec.clone());
    let h = engine::spawn(cfg, Arc::new(|| {})).expect("engine");
    let mut seen = Vec::new();
    let ringing = wait_for(
        &h,
        Duration::from_secs(8),
        &mut seen,
        |e| matches!(e, Event::Call { direction, state, .. } if direction == "in" && state == "ringing"),
    );
    let Event::Call { id, remote, .. } = ringing else { unreachable!() };
    assert!(!remote.is_empty() && !remote.contains("1000"), "the caller is named: {remote}");
    let _audio = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    h.send(Command::Answer { call: id.clone() });
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Call { state, .. } if state == "answered"));
    std::thread::sleep(Duration::from_secs(3));
    h.send(Command::Hangup { call: id });
    wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Call { state, .. } if state == "ended"));
    let media = wait_for(&h, Duration::from_secs(5), &mut seen, |e| matches!(e, Event::Media { .. }));
    let Event::Media { rx_packets, .. } = media else { unreachable!() };
    assert!(rx_packets >= 100, "rx {rx_packets}");
    assert_tone(&rec, 800.0);
    h.send(Command::Shutdown);
    wait_for(&h, Duration::from_secs(10), &mut seen, |e| matches!(e, Event::Stopped));
}
