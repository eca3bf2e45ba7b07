//! The engine's diagnostics for the settings window and the SIP log: the audio test and the
//! device list on the null backend, the codec order applied to new calls, and the SIP trace
//! (`lampboard register --sip-trace` against a real Kamailio on loopback).

mod common;

use common::{Kamailio, lampboard};
use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::audio_test::{AudioTester, SILENCE_DBFS, TEST_TONE_HZ, list_devices};
use lampboard::media::ToneGenerator;
use lampboard::media::audio::NullBackend;
use lampboard::media::tone::dominant_frequency;
use lampboard::sdp::Codec;
use lampboard::sip::TransportKind;
use lampboard::sip::transaction::TimerConfig;
use lampboard::sip::transport::Destination;
use lampboard::ua::{AccountConfig, UserAgent};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn new_sink() -> (Sink, Receiver<Event>) {
    let (tx, rx) = std::sync::mpsc::channel();
    (Sink::new(tx, Arc::new(|| {})), rx)
}

#[test]
fn the_audio_test_reports_levels_plays_the_tone_and_stops_by_itself() {
    // The "microphone" hears 0.3 s of a sine peaking at −6 dBFS, then silence.
    let heard = ToneGenerator::sine(1000.0, 16384, 16000).next_frame(4800);
    let backend = NullBackend::with_input(heard, 16000);
    let (sink, rx) = new_sink();
    let mut tester = AudioTester::new(Duration::from_millis(600));
    runtime().block_on(async {
        let task = tester.start(Box::new(backend.clone()), None, None, &sink);
        tokio::time::timeout(Duration::from_secs(10), task).await.expect("stops by itself").unwrap();
    });
    let events: Vec<Event> = rx.try_iter().collect();
    assert_eq!(
        events.first(),
        Some(&Event::AudioTest {
            state: "started".into(),
            input: Some("null".into()),
            output: Some("null".into()),
            reason: None
        })
    );
    assert_eq!(
        events.last(),
        Some(&Event::AudioTest {
            state: "stopped".into(),
            input: Some("null".into()),
            output: Some("null".into()),
            reason: Some("timed out after 0.6 s".into())
        })
    );
    let levels: Vec<(f32, f32)> = events
        .iter()
        .filter_map(|e| match e {
            Event::AudioLevel { input_dbfs, peak_dbfs, device } => {
                assert_eq!(device.as_deref(), Some("null"));
                Some((*input_dbfs, *peak_dbfs))
            }
            _ => None,
        })
        .collect();
    // One report per 100 ms of the 600 ms test.
    assert_eq!(levels.len(), 6, "{levels:?}");
    assert!((levels[0].0 + 9.0).abs() < 0.5, "sine RMS ≈ −9 dBFS: {levels:?}");
    assert!((levels[0].1 + 6.0).abs() < 0.5, "sine peak ≈ −6 dBFS: {levels:?}");
    assert_eq!(levels[5], (SILENCE_DBFS, SILENCE_DBFS), "then silence: {levels:?}");
    // The tone went to the output: 30 ticks of 20 ms at 16 kHz, at 440 Hz.
    let played = backend.played();
    assert_eq!(played.rate, 16000);
    assert_eq!(played.samples.len(), 30 * 320);
    let f = dominant_frequency(&played.samples, 16000, 100.0..4000.0).expect("a tone");
    assert!((f - TEST_TONE_HZ).abs() < 5.0, "{f} Hz");
}

#[test]
fn the_audio_test_stops_when_asked_and_fails_cleanly_without_devices() {
    let (sink, rx) = new_sink();
    let mut tester = AudioTester::new(Duration::from_secs(30));
    runtime().block_on(async {
        let task = tester.start(Box::new(NullBackend::new()), Some("null".into()), Some("null".into()), &sink);
        tokio::time::sleep(Duration::from_millis(250)).await;
        tester.stop();
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("stops when asked").unwrap();
    });
    let events: Vec<Event> = rx.try_iter().collect();
    assert!(events.iter().any(|e| matches!(e, Event::AudioLevel { .. })), "{events:?}");
    match events.last() {
        Some(Event::AudioTest { state, reason, .. }) => {
            assert_eq!((state.as_str(), reason.as_deref()), ("stopped", Some("stopped")))
        }
        other => panic!("{other:?}"),
    }

    let (sink, rx) = new_sink();
    runtime().block_on(async {
        let task = tester.start(Box::new(NullBackend::without_devices()), None, None, &sink);
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    });
    let events: Vec<Event> = rx.try_iter().collect();
    match events.as_slice() {
        [Event::AudioTest { state, input: None, output: None, reason: Some(r) }] => {
            assert_eq!(state, "failed");
            assert!(r.contains("no audio input device") && r.contains("no audio output device"), "{r}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_device_list_comes_as_one_event() {
    let (sink, rx) = new_sink();
    let mut events: Vec<Event> = Vec::new();
    runtime().block_on(async {
        list_devices(Box::new(NullBackend::new()), &sink);
        list_devices(Box::new(NullBackend::without_devices()), &sink);
        for _ in 0..500 {
            events.extend(rx.try_iter());
            if events.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    events.sort_by_key(|e| matches!(e, Event::AudioDevices { error: Some(_), .. }));
    assert_eq!(
        events,
        vec![
            Event::AudioDevices {
                inputs: vec!["null".into()],
                outputs: vec!["null".into()],
                default_input: Some("null".into()),
                default_output: Some("null".into()),
                error: None
            },
            Event::AudioDevices {
                inputs: vec![],
                outputs: vec![],
                default_input: None,
                default_output: None,
                error: Some("no audio device".into())
            },
        ]
    );
}

/// The codecs offered in the SDP of the INVITE a dial sends.
fn offered_codecs(ua: &mut UserAgent) -> Vec<String> {
    ua.dial(Instant::now(), "1002", "127.0.0.1:41000".parse().unwrap());
    let invite = std::iter::from_fn(|| ua.poll_transmit())
        .map(|t| String::from_utf8_lossy(&t.data).into_owned())
        .find(|t| t.starts_with("INVITE "))
        .expect("an INVITE");
    invite
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=rtpmap:"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|c| c.split('/').next().unwrap_or_default().to_string())
        .filter(|c| c != "telephone-event")
        .collect()
}

#[test]
fn set_codecs_changes_the_offer_of_new_calls() {
    let account = AccountConfig::new("1001", "127.0.0.1", "secret");
    let server = Destination { transport: TransportKind::Udp, addr: "127.0.0.1:35060".parse().unwrap() };
    let mut ua = UserAgent::new(account, server, "127.0.0.1:40000".parse().unwrap(), TimerConfig::default(), 7);
    assert_eq!(offered_codecs(&mut ua), vec!["opus", "G722", "PCMU", "PCMA"]);
    let names: Vec<String> = ["PCMA", "g722"].iter().map(|s| s.to_string()).collect();
    ua.set_codecs(lampboard::config::settings::codecs_from_names(&names));
    assert_eq!(offered_codecs(&mut ua), vec!["PCMA", "G722"]);
    ua.set_codecs(vec![Codec::new("PCMU", 8000, 1)]);
    assert_eq!(offered_codecs(&mut ua), vec!["PCMU"]);
}

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn sip_trace_reports_the_register_and_its_200_and_is_off_by_default() {
    let k = Kamailio::start(&[]);
    let run = |trace: bool| {
        let mut c = lampboard();
        c.args(["register", "--once", "--server", &format!("127.0.0.1:{}", k.sip_port), "--user", "1001"]);
        if trace {
            c.arg("--sip-trace");
        }
        c.env("LAMPBOARD_PASSWORD", k.password("1001"));
        let out = c.output().expect("run lampboard");
        assert_eq!(out.status.code(), Some(0), "stderr {}\n{}", String::from_utf8_lossy(&out.stderr), k.log());
        json_lines(&out.stdout)
    };
    let plain = run(false);
    assert!(plain.iter().all(|e| e["event"] != "sip_message"), "off by default: {plain:?}");
    assert!(plain.iter().any(|e| e["event"] == "registered"));

    let traced = run(true);
    let msgs: Vec<&serde_json::Value> = traced.iter().filter(|e| e["event"] == "sip_message").collect();
    let text = |e: &serde_json::Value| e["text"].as_str().unwrap_or_default().to_string();
    let register = msgs
        .iter()
        .find(|e| e["direction"] == "out" && text(e).starts_with("REGISTER sip:"))
        .expect("the REGISTER sent");
    assert_eq!(register["transport"], "udp");
    assert_eq!(register["remote"], format!("127.0.0.1:{}", k.sip_port));
    assert!(register["at_ms"].as_u64().unwrap() > 1_600_000_000_000);
    let ok = msgs
        .iter()
        .find(|e| {
            let t = text(e);
            e["direction"] == "in" && t.starts_with("SIP/2.0 200") && t.contains(" REGISTER\r\n")
        })
        .expect("the 200 to the REGISTER received");
    let call_id = |t: &str| t.lines().find(|l| l.to_ascii_lowercase().starts_with("call-id:")).map(str::to_owned);
    assert_eq!(call_id(&text(register)), call_id(&text(ok)), "the 200 answers that REGISTER");
    // The events that were there before are still there, in order.
    let others: Vec<&serde_json::Value> = traced.iter().filter(|e| e["event"] != "sip_message").collect();
    assert_eq!(
        others.iter().map(|e| e["event"].clone()).collect::<Vec<_>>(),
        plain.iter().map(|e| e["event"].clone()).collect::<Vec<_>>()
    );
}
