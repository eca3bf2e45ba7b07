//! The desktop app's status through the presence feature code, against real peers: the real
//! engine registered at Kamailio, `FeatureStatusLink` around it (as `launch` puts it for a
//! UCM or Asterisk account), baresip as the PBX's voice menu. Choosing a status dials the code,
//! sends its digit and reports `published via feature-codes`; the `*48` call never reaches
//! the console; a code nobody answers is reported with its reason and retried.

mod common;

use clap::Parser;
use common::{Kamailio, start_baresip, testbed};
use lampboard::api::{Command, Event};
use lampboard::cli::AccountArgs;
use lampboard::engine;
use lampboard::feature_status::{FeatureStatusLink, FeatureTiming};
use lampboard::ua::feature_codes::FeatureCodes;
use lampboard::ui::{ChannelLink, EngineLink};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    account: AccountArgs,
}

/// The link as the app has it, for extension `ext`, with the presence code `code`.
fn app_link(k: &Kamailio, ext: &str, code: &str) -> FeatureStatusLink {
    let server = format!("127.0.0.1:{}", k.sip_port);
    let args = Args::parse_from(["t", "--server", &server, "--user", ext]).account;
    let mut cfg = args.engine_config(k.password(ext)).unwrap();
    cfg.register_on_start = true;
    let h = engine::spawn(cfg, Arc::new(|| {})).unwrap();
    let (send, events) = h.into_parts();
    let codes = FeatureCodes { presence: code.into(), ..FeatureCodes::default() };
    let timing = FeatureTiming { prompt: Duration::from_millis(800), linger: Duration::from_millis(500) };
    FeatureStatusLink::new(Box::new(ChannelLink::new(send, events)), codes, timing, false)
}

/// Polls like the UI does (every 20 ms) until `done` accepts an event; all events seen.
fn poll_until(link: &mut FeatureStatusLink, within: Duration, mut done: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < within {
        while let Some(e) = link.poll_event(start.elapsed()) {
            let stop = done(&e);
            seen.push(e);
            if stop {
                return seen;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out; seen: {seen:#?}");
}

#[test]
fn a_status_chosen_in_the_app_is_dialled_and_reported() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let prompt = tmp.path().join("prompt.wav");
    let st = testbed("tone.sh").args([prompt.to_str().unwrap(), "440", "30", "8000"]).output().unwrap();
    assert!(st.status.success());
    let dir = tmp.path().join("menu");
    let _menu = start_baresip(&k, &dir, "1958", &[("PLAY", prompt.to_str().unwrap())]);
    let mut link = app_link(&k, "1957", "1958");
    // Chosen before the registration: it waits for it.
    link.send(Command::SetPresence { status: "away".into(), note: None, etag: None });
    let seen = poll_until(&mut link, Duration::from_secs(30), |e| {
        matches!(e, Event::Published { .. } | Event::PublishFailed { .. })
    });
    let last = seen.last().unwrap();
    assert!(
        matches!(last, Event::Published { via, status, .. } if via == "feature-codes" && status == "away"),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|e| matches!(e, Event::Registered { .. })));
    assert!(!seen.iter().any(|e| matches!(e, Event::Call { .. })), "the *48 call stays out of the console: {seen:#?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(common::dtmf_received(&dir), "3", "Away is digit 3 (UCM order)");
    link.send(Command::Shutdown);
}

#[test]
fn a_code_nobody_answers_is_reported_and_retried() {
    let k = Kamailio::start(&[]);
    let mut link = app_link(&k, "1967", "1969");
    link.send(Command::SetPresence { status: "dnd".into(), note: None, etag: None });
    let mut failures = Vec::new();
    poll_until(&mut link, Duration::from_secs(30), |e| {
        if let Event::PublishFailed { via, reason, retry_in_ms, .. } = e {
            failures.push((via.clone(), reason.clone(), *retry_in_ms));
        }
        failures.len() == 2
    });
    assert_eq!(failures[0].0, "feature-codes");
    assert!(!failures[0].1.is_empty(), "a reason is given: {failures:?}");
    assert_eq!(failures[0].2, Some(2000), "retried after 2 s");
    assert_eq!(failures[1].2, Some(8000), "then after 8 s");
    link.send(Command::Shutdown);
}

/// The engine link as a recorder: what reaches it.
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<Command>>>);
impl EngineLink for Recorder {
    fn send(&mut self, command: Command) {
        self.0.lock().unwrap().push(command);
    }
    fn poll_event(&mut self, _now: Duration) -> Option<Event> {
        None
    }
}

#[test]
fn the_status_still_reaches_the_apps_command_path_for_the_other_backends() {
    use lampboard::config::account::PresenceBackend;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // A UCM account: UCM API and feature codes, no PUBLISH.
    let backends = [PresenceBackend::UcmApi, PresenceBackend::FeatureCodes];
    let mut link =
        lampboard::feature_status::wrap(Box::new(Recorder(seen.clone())), &backends, FeatureCodes::default());
    let away = Command::SetPresence { status: "away".into(), note: None, etag: None };
    link.send(away.clone());
    // Passed on (the app's command path sends it to the UCM API and the local rules, and
    // leaves PUBLISH out); nothing is dialled before the registration.
    assert_eq!(*seen.lock().unwrap(), vec![away]);
    assert!(!lampboard::feature_status::publishes(&backends));
    assert!(lampboard::feature_status::publishes(&[PresenceBackend::Publish]));
}
