//! The settings window and the SIP log, driven headless with egui_kittest by accessible
//! labels on the real `LampboardApp` over a test double engine that records commands. The
//! settings are kept in a config file in a temp dir.

#[path = "support/recording_engine.rs"]
mod recording_engine;
use recording_engine::RecordingEngine;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lampboard::api::{Command, Event};
use lampboard::config::{self, Account, Config, PbxProfile};
use lampboard::ui::LampboardApp;
use lampboard::ui::views::siplog::SIP_LOG_CAPACITY;
use std::path::{Path, PathBuf};

fn console(engine: &RecordingEngine, config: &Path) -> Harness<'static, LampboardApp> {
    let link = engine.clone();
    let path = config.to_path_buf();
    Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |_cc| LampboardApp::new(Box::new(link), Vec::new(), false).with_settings_file(path))
}

fn temp_config() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    (dir, path)
}

fn open_settings(h: &mut Harness<'static, LampboardApp>) {
    h.run_steps(1);
    h.get_by_label("Settings").click();
    h.run_steps(2);
}

fn devices() -> Event {
    Event::AudioDevices {
        inputs: vec!["default".into(), "hw:CARD=Headset,DEV=0".into()],
        outputs: vec!["default".into(), "hw:CARD=Headset,DEV=0".into(), "hw:CARD=PCH,DEV=0".into()],
        default_input: Some("default".into()),
        default_output: Some("default".into()),
        error: None,
    }
}

#[test]
fn the_settings_window_lists_the_engines_devices_and_choosing_one_sends_and_saves_it() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    assert_eq!(engine.sent_matching(|c| *c == Command::ListAudioDevices).len(), 1, "{:?}", engine.sent());
    engine.push(devices());
    h.run_steps(2);
    assert!(h.state().settings().devices.listed);
    h.get_by_label("Ring device").click();
    h.run_steps(2);
    h.get_by_label("hw:CARD=PCH,DEV=0").click();
    h.run_steps(2);
    let want = Command::SetAudioDevices { input: None, output: None, ring: Some("hw:CARD=PCH,DEV=0".into()) };
    assert_eq!(engine.sent_matching(|c| matches!(c, Command::SetAudioDevices { .. })), vec![want]);
    h.get_by_label("Microphone").click();
    h.run_steps(2);
    h.get_by_label("hw:CARD=Headset,DEV=0").click();
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::SetAudioDevices {
        input: Some("hw:CARD=Headset,DEV=0".into()),
        output: None,
        ring: Some("hw:CARD=PCH,DEV=0".into())
    }));
    let saved = config::load(&path).unwrap();
    assert_eq!(saved.audio.input.as_deref(), Some("hw:CARD=Headset,DEV=0"));
    assert_eq!(saved.audio.ring.as_deref(), Some("hw:CARD=PCH,DEV=0"));
    assert_eq!(saved.audio.output, None);

    // The next start hands the saved devices to the engine.
    let engine2 = RecordingEngine::default();
    let mut h2 = console(&engine2, &path);
    h2.run_steps(1);
    assert!(engine2.sent().contains(&Command::SetAudioDevices {
        input: Some("hw:CARD=Headset,DEV=0".into()),
        output: None,
        ring: Some("hw:CARD=PCH,DEV=0".into())
    }));
}

#[test]
fn the_test_tone_button_starts_the_test_and_the_meter_shows_the_level() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    h.get_by_label_contains("Input level: no input");
    h.get_by_label("Test tone").click();
    h.run_steps(2);
    assert_eq!(
        engine.sent_matching(|c| matches!(c, Command::AudioTest { .. })),
        vec![Command::AudioTest { on: true, ring: false }]
    );
    engine.push(Event::AudioTest {
        state: "started".into(),
        input: Some("null".into()),
        output: Some("null".into()),
        reason: None,
    });
    engine.push(Event::AudioLevel { input_dbfs: -23.4, peak_dbfs: -20.2, device: Some("null".into()) });
    h.run_steps(2);
    h.get_by_label("Input level: -23 dBFS (peak -20)");
    h.get_by_label_contains("Test started: microphone null, tone on null");
    // Clicking again stops it; closing the window while it runs would too.
    h.get_by_label("Test tone").click();
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::AudioTest { on: false, ring: false }));
    engine.push(Event::AudioTest {
        state: "stopped".into(),
        input: Some("null".into()),
        output: Some("null".into()),
        reason: Some("stopped".into()),
    });
    h.run_steps(2);
    h.get_by_label_contains("Input level: no input");
    assert!(!h.state().settings().test.running);
}

#[test]
fn the_theme_switch_applies_at_once_and_is_remembered() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    h.get_by_label("Appearance").click();
    h.run_steps(1);
    h.get_by_label("Light").click();
    h.run_steps(2);
    assert_eq!(h.ctx.options(|o| o.theme_preference), eframe::egui::ThemePreference::Light);
    assert_eq!(h.ctx.theme(), eframe::egui::Theme::Light);
    assert_eq!(config::load(&path).unwrap().prefs.dark, Some(false));
    h.get_by_label("Start minimised").click();
    h.run_steps(2);
    assert!(config::load(&path).unwrap().prefs.start_minimised);

    let mut h2 = console(&RecordingEngine::default(), &path);
    h2.run_steps(2);
    assert_eq!(h2.ctx.theme(), eframe::egui::Theme::Light, "the saved theme applies at the next start");
    h2.get_by_label("Settings").click();
    h2.run_steps(2);
    h2.get_by_label("Appearance").click();
    h2.run_steps(1);
    h2.get_by_label("Dark").click();
    h2.run_steps(2);
    assert_eq!(h2.ctx.theme(), eframe::egui::Theme::Dark);
    assert_eq!(config::load(&path).unwrap().prefs.dark, Some(true));
}

#[test]
fn reordering_and_disabling_codecs_is_sent_for_new_calls_and_saved() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    h.get_by_label("Codecs").click();
    h.run_steps(1);
    h.get_by_label("Move PCMA (G.711 A-law) up").click();
    h.run_steps(2);
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        engine.sent_matching(|c| matches!(c, Command::SetCodecs { .. })),
        vec![Command::SetCodecs { codecs: names(&["opus", "G722", "PCMA", "PCMU"]) }]
    );
    h.get_by_label("Opus").click();
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::SetCodecs { codecs: names(&["G722", "PCMA", "PCMU"]) }));
    assert_eq!(config::load(&path).unwrap().audio.codecs, Some(names(&["G722", "PCMA", "PCMU"])));

    let engine2 = RecordingEngine::default();
    let mut h2 = console(&engine2, &path);
    h2.run_steps(1);
    assert!(engine2.sent().contains(&Command::SetCodecs { codecs: names(&["G722", "PCMA", "PCMU"]) }));
    assert_eq!(
        h2.state().settings().codecs.rows().iter().map(|r| (r.name, r.enabled)).collect::<Vec<_>>(),
        vec![("G722", true), ("PCMA", true), ("PCMU", true), ("opus", false)]
    );
}

#[test]
fn feature_codes_of_the_account_are_edited_and_saved_as_overrides() {
    let (_dir, path) = temp_config();
    let mut cfg = Config::default();
    let mut a = Account::new("office", "pbx.example", "1001");
    a.profile = PbxProfile::Asterisk;
    cfg.accounts.push(a);
    config::save(&cfg, &path).unwrap();
    let engine = RecordingEngine::default();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    h.get_by_label("Feature codes").click();
    h.run_steps(1);
    h.get_by_label("Park code").click();
    h.run_steps(1);
    h.get_by_label("Park code").type_text("*85");
    h.run_steps(1);
    h.get_by_label("Save feature codes").click();
    h.run_steps(2);
    let saved = config::load(&path).unwrap();
    let acc = saved.account("office").unwrap();
    assert_eq!(acc.feature_codes.park.as_deref(), Some("*85"));
    assert_eq!(acc.feature_codes.dnd_on, None, "codes equal to the profile's are not stored");
    assert_eq!(acc.effective_feature_codes().dnd_on.as_deref(), Some("*78"));
    // A bad code is refused with a message, the file keeps the good one.
    h.get_by_label("Presence menu code").click();
    h.run_steps(1);
    h.get_by_label("Presence menu code").type_text("*4x");
    h.run_steps(1);
    h.get_by_label("Save feature codes").click();
    h.run_steps(2);
    h.get_by_label_contains("presence: use only digits");
    assert_eq!(config::load(&path).unwrap().account("office").unwrap().feature_codes.presence, None);
}

fn sip(n: usize, out: bool, text: &str) -> Event {
    Event::SipMessage {
        direction: if out { "out" } else { "in" }.into(),
        remote: "127.0.0.1:5060".into(),
        transport: "udp".into(),
        at_ms: 1_764_000_000_000 + n as u64,
        text: text.into(),
    }
}

const REGISTER: &str = "REGISTER sip:pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070\r\nCall-ID: reg-1@lampboard\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const OK: &str = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070\r\nCall-ID: reg-1@lampboard\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const NOTIFY: &str = "NOTIFY sip:1001@127.0.0.1:5070 SIP/2.0\r\nCall-ID: sub-7@pbx\r\nCSeq: 3 NOTIFY\r\nEvent: presence\r\nContent-Length: 0\r\n\r\n";

#[test]
fn the_sip_log_turns_the_trace_on_shows_filters_selects_and_copies_messages() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    h.run_steps(1);
    assert!(engine.sent_matching(|c| matches!(c, Command::SipTrace { .. })).is_empty(), "off by default");
    h.get_by_label("SIP log").click();
    h.run_steps(2);
    assert_eq!(engine.sent_matching(|c| matches!(c, Command::SipTrace { .. })), vec![Command::SipTrace { on: true }]);
    engine.push(sip(0, true, REGISTER));
    engine.push(sip(1, false, OK));
    engine.push(sip(2, false, NOTIFY));
    h.run_steps(2);
    h.get_by_label("3 of 3 messages");
    h.get_by_label_contains("→ 127.0.0.1:5060  REGISTER sip:pbx.example SIP/2.0  · reg-1@lampboard");
    h.get_by_label_contains("← 127.0.0.1:5060  SIP/2.0 200 OK (REGISTER)  · reg-1@lampboard");
    h.get_by_label_contains("NOTIFY sip:1001@127.0.0.1:5070 SIP/2.0");

    h.get_by_label("Filter SIP log").click();
    h.run_steps(1);
    h.get_by_label("Filter SIP log").type_text("notify");
    h.run_steps(2);
    h.get_by_label("1 of 3 messages");
    assert!(h.query_by_label_contains("REGISTER sip:pbx.example").is_none());
    h.get_by_label_contains("NOTIFY sip:1001@127.0.0.1:5070 SIP/2.0").click();
    h.run_steps(2);
    h.get_by_label_contains("Event: presence");
    h.get_by_label("Copy message").click();
    h.run_steps(1);
    assert_eq!(h.state().siplog().last_copied(), Some(NOTIFY));

    // Turning the capture off sends SipTrace off; Clear empties the log.
    h.get_by_label("Capture SIP messages").click();
    h.run_steps(1);
    assert_eq!(
        engine.sent_matching(|c| matches!(c, Command::SipTrace { .. })).last(),
        Some(&Command::SipTrace { on: false })
    );
    h.get_by_label("Clear").click();
    h.run_steps(1);
    assert!(h.state().siplog().is_empty());
}

#[test]
fn the_sip_log_keeps_the_last_n_messages_and_does_not_repaint_when_idle() {
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    h.run_steps(1);
    h.get_by_label("SIP log").click();
    h.run_steps(1);
    engine.clear_sent();
    let total = SIP_LOG_CAPACITY + 150;
    for n in 0..total {
        engine.push(sip(n, n.is_multiple_of(2), &format!("OPTIONS sip:{n}@pbx SIP/2.0\r\nCall-ID: c{n}\r\n\r\n")));
    }
    h.run_steps(2);
    let log = h.state().siplog();
    assert_eq!(log.len(), SIP_LOG_CAPACITY);
    let first = log.entries().next().unwrap();
    assert_eq!(first.call_id.as_deref(), Some("c150"), "the oldest were dropped");
    h.get_by_label(&format!("{SIP_LOG_CAPACITY} of {SIP_LOG_CAPACITY} messages"));
    // Nothing moves: the frames settle (kittest's `run` fails if repaints go on).
    h.run();
    assert!(engine.sent().is_empty(), "an idle log sends nothing: {:?}", engine.sent());
}

#[test]
fn the_led_profile_is_chosen_saved_and_used_by_the_wall() {
    use lampboard::ui::led_profile::LedProfile;
    let engine = RecordingEngine::default();
    let (_dir, path) = temp_config();
    let mut h = console(&engine, &path);
    open_settings(&mut h);
    h.get_by_label("Appearance").click();
    h.run_steps(1);
    h.get_by_label("Line only (BLF)").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().led_profile, LedProfile::LineOnly);
    assert_eq!(h.state().view().led_profile, LedProfile::LineOnly, "the wall draws with it");
    assert_eq!(config::load(&path).unwrap().prefs.led_profile.as_deref(), Some("line"));
    // The next start reads it back; the default is not written at all.
    let mut h2 = console(&RecordingEngine::default(), &path);
    h2.run_steps(2);
    assert_eq!(h2.state().view().led_profile, LedProfile::LineOnly);
    h2.get_by_label("Settings").click();
    h2.run_steps(2);
    h2.get_by_label("Appearance").click();
    h2.run_steps(1);
    h2.get_by_label("Presence (Grandstream)").click();
    h2.run_steps(2);
    assert_eq!(config::load(&path).unwrap().prefs.led_profile, None);
}
