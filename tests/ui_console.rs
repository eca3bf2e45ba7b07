//! The console driven headless with egui_kittest, by accessible labels: the real
//! `LampboardApp` on the demo office or on a test double engine that records commands.

#[path = "support/recording_engine.rs"]
mod recording_engine;
use recording_engine::RecordingEngine;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lampboard::api::{Command, Event, LampEvent};
use lampboard::ui::state::Look;
use lampboard::ui::widgets::key::blink_lit;
use lampboard::ui::{KeyDef, KeyKind, LampboardApp};
use std::time::Duration;

fn keys() -> Vec<KeyDef> {
    vec![
        KeyDef::new("1002", "Anna Berg", KeyKind::Presence, "Front"),
        KeyDef::new("1003", "Carl Dahl", KeyKind::Presence, "Front"),
        KeyDef::new("1004", "Dora Eck", KeyKind::Blf, "Back"),
    ]
}

fn lamp(ext: &str, status: &str, label: &str, line: &str, led: &str, freshness: &str) -> LampEvent {
    LampEvent {
        ext: ext.into(),
        uri: format!("sip:{ext}@pbx.invalid"),
        status: status.into(),
        note: None,
        label: label.into(),
        line: line.into(),
        led: led.into(),
        blink: line == "ringing" || line == "held",
        fresh: freshness == "fresh",
        freshness: freshness.into(),
        caller: None,
        peer: None,
        reason: None,
        blf_led: if line == "idle" { "green".into() } else { led.into() },
        blf_blink: line == "ringing",
    }
}

fn console(engine: &RecordingEngine) -> Harness<'static, LampboardApp> {
    let link = engine.clone();
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| LampboardApp::new(Box::new(link), keys(), false))
}

fn demo() -> Harness<'static, LampboardApp> {
    Harness::builder().with_size([1280.0, 800.0]).build_eframe(|_cc| LampboardApp::demo(7))
}

#[test]
fn the_demo_shows_its_banner_and_the_colleagues_keys() {
    let mut h = demo();
    h.run_steps(3);
    h.get_by_label("Demo office — not connected to a PBX");
    h.get_by_label_contains("Anna Berg, 1001");
    assert!(h.state().state().keys().len() >= 48);
    // Some lamps arrived and light keys.
    assert!(h.state().state().lamp("1001").is_some());
}

#[test]
fn typing_a_number_in_the_search_narrows_the_wall_to_that_key() {
    let mut h = demo();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Clara Petrov, 1003").is_some());
    h.get_by_label("Search keys").click();
    h.run_steps(1);
    h.get_by_label("Search keys").type_text("1002");
    h.run_steps(2);
    assert_eq!(h.state().state().visible().len(), 1);
    h.get_by_label_contains("1002");
    assert!(h.query_by_label_contains("Clara Petrov, 1003").is_none());
    assert!(h.query_by_label_contains("Anna Berg, 1001").is_none());
}

#[test]
fn clicking_an_idle_key_dials_it() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "idle", "green", "fresh")));
    let mut h = console(&engine);
    h.run_steps(2);
    // On start the console asks the engine to watch its lamp keys.
    let watches = engine.sent_matching(|c| matches!(c, Command::Watch { .. }));
    assert!(watches.contains(&Command::Watch {
        targets: vec!["1002".into(), "1003".into()],
        events: vec!["presence".into(), "dialog".into()],
        list: None
    }));
    h.get_by_label("Anna Berg, 1002, Available, idle").click();
    h.run_steps(1);
    assert_eq!(
        engine.sent_matching(|c| matches!(c, Command::Dial { .. })),
        vec![Command::Dial { target: "1002".into() }]
    );
}

#[test]
fn a_ringing_lamp_shows_the_caller_blinks_and_a_click_picks_up() {
    let engine = RecordingEngine::default();
    let mut ringing = lamp("1003", "away", "Away", "ringing", "red", "fresh");
    ringing.caller = Some("Bob (2002)".into());
    engine.push(Event::Lamp(ringing));
    let mut h = console(&engine);
    h.run_steps(2);
    let key = h.get_by_label_contains("Carl Dahl, 1003, Away, ringing, call from Bob (2002)");
    assert_eq!(h.state().state().look(1), Look::Ringing);
    assert!(h.state().state().lamp("1003").unwrap().blink);
    // The blink alternates at about 2 Hz.
    assert!(blink_lit(Look::Ringing, 0.1));
    assert!(!blink_lit(Look::Ringing, 0.35));
    assert!(blink_lit(Look::Idle, 0.35));
    key.click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::Pickup { ext: "1003".into() }));
}

#[test]
fn stale_and_unknown_lamps_are_drawn_differently_from_idle() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "idle", "green", "fresh")));
    engine.push(Event::Lamp(lamp("1003", "available", "Available", "idle", "green", "stale")));
    let mut h = console(&engine);
    h.run_steps(2);
    let s = h.state().state();
    assert_eq!(s.look(0), Look::Idle);
    assert_eq!(s.look(1), Look::Uncertain);
    assert_eq!(s.look(2), Look::Uncertain, "no lamp yet: unknown");
    h.get_by_label("Carl Dahl, 1003, Available, idle, may be out of date");
    h.get_by_label("Dora Eck, 1004, state unknown");
}

#[test]
fn choosing_do_not_disturb_sends_set_presence() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    h.get_by_label("Do Not Disturb").click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::SetPresence { status: "dnd".into(), note: None, etag: None }));
    engine.push(Event::Published { via: "publish".into(), status: "dnd".into(), expires: 3600, etag: None });
    h.run_steps(2);
    h.get_by_label("Status applied: dnd via publish, 3600 s");
}

#[test]
fn a_custom_status_sends_its_text() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    h.get_by_label("Custom status text").click();
    h.run_steps(1);
    h.get_by_label("Custom status text").type_text("Back at 3");
    h.run_steps(1);
    h.get_by_label("Set custom").click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::SetPresence {
        status: "custom".into(),
        note: Some("Back at 3".into()),
        etag: None
    }));
}

#[test]
fn an_incoming_call_shows_the_panel_and_answer_sends_answer() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    assert!(h.query_by_label("Answer").is_none());
    engine.push(Event::Call {
        id: "c1".into(),
        state: "ringing".into(),
        direction: "in".into(),
        remote: "Eve <sip:2005@pbx.invalid>".into(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    h.get_by_label("Incoming call");
    h.get_by_label("Eve (2005)");
    h.get_by_label("Answer").click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::Answer { call: "c1".into() }));
    // Answered: the panel gives way to the call with hold and hang up.
    engine.push(Event::Call {
        id: "c1".into(),
        state: "answered".into(),
        direction: "in".into(),
        remote: "Eve <sip:2005@pbx.invalid>".into(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    assert!(h.query_by_label("Answer").is_none());
    h.get_by_label("Hold").click();
    h.run_steps(1);
    h.get_by_label("Hang up").click();
    h.run_steps(1);
    let sent = engine.sent();
    assert!(sent.contains(&Command::Hold { call: "c1".into() }));
    assert!(sent.contains(&Command::Hangup { call: "c1".into() }));
}

#[test]
fn dropping_a_call_on_a_key_transfers_it() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "idle", "green", "fresh")));
    engine.push(Event::Call {
        id: "c9".into(),
        state: "answered".into(),
        direction: "out".into(),
        remote: "sip:3003@pbx.invalid".into(),
        code: None,
        reason: None,
    });
    let mut h = console(&engine);
    h.run_steps(2);
    let from = h.get_by_label_contains("Drag onto a key").rect().center();
    let to = h.get_by_label("Anna Berg, 1002, Available, idle").rect().center();
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    for k in 1..=10 {
        h.hover_at(from + (to - from) * (k as f32 / 10.0));
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
    let transfers = engine.sent_matching(|c| matches!(c, Command::Transfer { .. }));
    assert_eq!(
        transfers,
        vec![Command::Transfer { call: "c9".into(), target: "1002".into(), attended: false, consult: None }]
    );
    assert!(engine.sent_matching(|c| matches!(c, Command::Dial { .. })).is_empty(), "a drop is not a click");
}

#[test]
fn the_dial_pad_dials_what_is_typed_and_searches_the_keys() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    h.get_by_label("Number to dial").click();
    h.run_steps(1);
    h.get_by_label("Number to dial").type_text("dora");
    h.run_steps(1);
    h.get_by_label("Call Dora Eck (1004)").click();
    h.run_steps(2); // the suggestions go away: let the layout settle
    assert!(engine.sent().contains(&Command::Dial { target: "1004".into() }));
    for d in ["5", "5", "0"] {
        h.get_by_label(d).click();
        h.run_steps(1);
    }
    h.get_by_label("Call").click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::Dial { target: "550".into() }), "{:?}", engine.sent());
}

#[test]
fn edit_mode_renames_and_removes_keys() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    h.get_by_label("Edit keys").click();
    h.run_steps(1);
    h.get_by_label_contains("Carl Dahl, 1003").click();
    h.run_steps(2);
    h.get_by_label("Key name").click();
    h.run_steps(1);
    h.get_by_label("Key name").type_text(" Jr");
    h.run_steps(1);
    h.get_by_label("Save key").click();
    h.run_steps(1);
    assert_eq!(h.state().state().keys()[1].label, "Carl Dahl Jr");
    assert!(engine.sent().contains(&Command::Watch {
        targets: vec!["1003".into()],
        events: vec!["presence".into(), "dialog".into()],
        list: None
    }));
    h.get_by_label_contains("Carl Dahl Jr, 1003").click();
    h.run_steps(1);
    h.get_by_label("Remove key").click();
    h.run_steps(1);
    assert_eq!(h.state().state().keys().len(), 2);
    assert!(engine.sent_matching(|c| matches!(c, Command::Dial { .. })).is_empty(), "edit mode does not call");
}

#[test]
fn the_list_view_shows_the_presence_status_column() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "dnd", "Do Not Disturb", "idle", "red", "fresh")));
    let mut h = console(&engine);
    h.run_steps(1);
    h.get_by_label("List").click();
    h.run_steps(2);
    h.get_by_label("Presence Status");
    assert!(!h.query_all_by_label("Do Not Disturb").collect::<Vec<_>>().is_empty());
}

/// The shortest repaint the last frame asked for.
fn repaint_delay(h: &Harness<'static, LampboardApp>) -> Duration {
    h.output().viewport_output.get(&egui::ViewportId::ROOT).map(|v| v.repaint_delay).unwrap_or(Duration::MAX)
}

#[test]
fn a_steady_wall_asks_for_no_repaint_and_a_ringing_key_for_the_blink() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "idle", "green", "fresh")));
    engine.push(Event::Lamp(lamp("1003", "dnd", "Do Not Disturb", "busy", "red", "fresh")));
    let mut h = console(&engine);
    h.run_steps(3);
    assert!(repaint_delay(&h) > Duration::from_secs(3600), "idle wall repaints after {:?}", repaint_delay(&h));
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "ringing", "red", "fresh")));
    h.run_steps(2);
    let d = repaint_delay(&h);
    assert!(d <= Duration::from_millis(250) && d > Duration::ZERO, "blink repaint {d:?}");
}

#[test]
fn ctrl_f_focuses_the_search_and_enter_calls_the_only_match() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(2);
    assert!(h.get_by_label("Search keys").is_focused());
    h.get_by_label("Search keys").type_text("dora");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Dial { target: "1004".into() }), "{:?}", engine.sent());
}

#[test]
fn the_key_context_menu_offers_consult_transfer_and_the_keypad_sends_dtmf() {
    let engine = RecordingEngine::default();
    engine.push(Event::Lamp(lamp("1002", "available", "Available", "idle", "green", "fresh")));
    engine.push(Event::Call {
        id: "c3".into(),
        state: "answered".into(),
        direction: "in".into(),
        remote: "sip:4004@pbx.invalid".into(),
        code: None,
        reason: None,
    });
    let mut h = console(&engine);
    h.run_steps(2);
    h.get_by_label("Anna Berg, 1002, Available, idle").click_secondary();
    h.run_steps(2);
    h.get_by_label("Consult, then transfer").click();
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Transfer {
        call: "c3".into(),
        target: "1002".into(),
        attended: true,
        consult: None
    }));
    h.get_by_label("Keypad").click();
    h.run_steps(2);
    h.get_by_label("Keypad (DTMF)");
    h.get_by_label("#").click();
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::SendDtmf { call: "c3".into(), digits: "#".into() }));
    h.get_by_label("Mute").click();
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Mute { call: "c3".into(), muted: true }));
    h.get_by_label("Unmute");
}

#[test]
fn a_ringing_call_can_be_forwarded_from_the_incoming_panel() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine);
    h.run_steps(1);
    engine.push(Event::Call {
        id: "c7".into(),
        state: "ringing".into(),
        direction: "in".into(),
        remote: "Eve <sip:2005@pbx.invalid>".into(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    h.get_by_label("Forward to").click();
    h.run_steps(1);
    h.get_by_label("Forward to").type_text("1005");
    h.run_steps(1);
    h.get_by_label("Forward").click();
    h.run_steps(1);
    assert!(
        engine.sent().contains(&Command::Forward { call: "c7".into(), target: "1005".into() }),
        "{:?}",
        engine.sent()
    );
}
