//! Import / Export and the keyboard, driven headless with egui_kittest by accessible labels:
//! an import through the path field (the fallback when no file dialog exists) puts keys on
//! the wall, watches them and saves them; F1 shows the shortcut table; shortcuts do what the
//! table says.

#[path = "support/recording_engine.rs"]
mod recording_engine;
use recording_engine::RecordingEngine;

use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use lampboard::api::{Command, Event};
use lampboard::ui::views::help::{Keys, SHORTCUTS};
use lampboard::ui::{KeyDef, KeyKind, LampboardApp};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/wall_io").join(name)
}

fn console(engine: &RecordingEngine, wall_file: Option<PathBuf>) -> Harness<'static, LampboardApp> {
    let link = engine.clone();
    Harness::builder().with_size([1280.0, 800.0]).build_eframe(move |_cc| {
        let keys = vec![KeyDef::new("1002", "Anna Berg", KeyKind::Presence, "Front")];
        let app = LampboardApp::new(Box::new(link), keys, false);
        match wall_file {
            Some(p) => app.with_wall_file(p),
            None => app,
        }
    })
}

fn open_task(h: &mut Harness<'static, LampboardApp>, entry: &str) {
    h.get_by_label("Import / Export").click();
    h.run_steps(2);
    h.get_by_label(entry).click();
    h.run_steps(2);
}

fn type_path(h: &mut Harness<'static, LampboardApp>, path: &str) {
    h.get_by_label("File path").click();
    h.run_steps(1);
    h.get_by_label("File path").type_text(path);
    h.run_steps(1);
}

#[test]
fn a_grandstream_file_imported_through_the_path_field_lands_on_the_wall_watched_and_saved() {
    let engine = RecordingEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let mut h = console(&engine, Some(config.clone()));
    h.run_steps(2);
    engine.clear_sent();
    open_task(&mut h, "Import Grandstream phone keys (XML)…");
    type_path(&mut h, fixture("gxp2170_pvalues.xml").to_str().unwrap());
    h.get_by_label("Read file").click();
    h.run_steps(2);
    h.get_by_label("Preview: 7 keys, 1 duplicate, 1 error, 1 skipped, 2 keys in other modes");
    h.get_by_label_contains("Error: line");
    assert!(h.query_by_label_contains("Not imported: 1 × Voice Mail").is_some());
    h.get_by_label("Append").click();
    h.run_steps(2);

    let s = h.state().state();
    let exts: Vec<&str> = s.keys().iter().map(|k| k.ext.as_str()).collect();
    assert_eq!(exts, vec!["1002", "1003", "*43", "1004", "1005", "1006", "1007"]);
    assert_eq!(s.keys()[1].kind, KeyKind::Blf);
    assert_eq!(s.keys()[2].kind, KeyKind::SpeedDial);
    assert_eq!(s.keys()[3].group, "MPK");
    // The new keys are on the wall, with accessible names…
    h.get_by_label("Dora & Eck, 1004, state unknown");
    h.get_by_label("Echo test, *43, speed dial");
    // …watched (1002 was watched already)…
    let watches: Vec<Command> = engine.sent().into_iter().filter(|c| matches!(c, Command::Watch { .. })).collect();
    assert_eq!(
        watches,
        vec![
            Command::Watch {
                targets: vec!["1004".into(), "1005".into(), "1006".into()],
                events: vec!["presence".into(), "dialog".into()],
                list: None
            },
            Command::Watch { targets: vec!["1003".into(), "1007".into()], events: vec!["dialog".into()], list: None },
        ]
    );
    // …and saved in the config file.
    let saved = lampboard::wall_io::persist::load_wall(&config).unwrap();
    assert_eq!(saved.len(), 7);
    assert_eq!(saved[0].ext, "1002");
    let (ok, msg) = h.state().io().message().unwrap();
    assert!(ok, "{msg}");
    assert!(msg.contains("Added 6 keys") && msg.contains("1 already on the wall") && msg.contains("saved"), "{msg}");
}

#[test]
fn contacts_replace_the_wall_as_the_chosen_kind_on_the_chosen_page() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine, None);
    h.run_steps(2);
    open_task(&mut h, "Import contacts (CSV or vCard)…");
    type_path(&mut h, fixture("contacts.vcf").to_str().unwrap());
    h.get_by_label("Read file").click();
    h.run_steps(2);
    h.get_by_label("Preview: 3 keys, 2 skipped");
    h.get_by_label("Page for imported keys").click();
    h.run_steps(1);
    h.get_by_label("Page for imported keys").type_text("Team");
    h.run_steps(1);
    h.get_by_label("Replace").click();
    h.run_steps(2);
    let s = h.state().state();
    assert_eq!(s.keys().len(), 3);
    assert!(s.keys().iter().all(|k| k.kind == KeyKind::SpeedDial && k.group == "Team"));
    assert_eq!(s.keys()[0].label, "Berg, Anna");
    let (ok, msg) = h.state().io().message().unwrap();
    assert!(ok && msg.contains("not saved"), "{msg}");
}

#[test]
fn a_bad_file_shows_its_error_with_the_line() {
    let engine = RecordingEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n\"format\": \"lampboard-wall\",\n\"version\": 1,\n\"pages\": [\n").unwrap();
    let mut h = console(&engine, None);
    h.run_steps(2);
    open_task(&mut h, "Import wall (CSV or JSON)…");
    type_path(&mut h, bad.to_str().unwrap());
    h.get_by_label("Read file").click();
    h.run_steps(2);
    h.get_by_label_contains("bad.json: line 5");
    assert_eq!(h.state().state().keys().len(), 1);
}

#[test]
fn the_wall_exports_as_csv_through_the_path_field() {
    let engine = RecordingEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wall.csv");
    let mut h = console(&engine, None);
    h.run_steps(2);
    open_task(&mut h, "Export wall as CSV…");
    type_path(&mut h, out.to_str().unwrap());
    h.get_by_label("Export 1 key").click();
    h.run_steps(2);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text, "page,label,extension,type\r\nFront,Anna Berg,1002,presence\r\n");
}

#[test]
fn f1_opens_the_help_panel_listing_every_shortcut() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine, None);
    h.run_steps(2);
    assert!(h.query_by_label("Type a number to dial").is_none());
    h.key_press(Key::F1);
    h.run_steps(2);
    assert!(h.state().view().help_open);
    for s in SHORTCUTS {
        assert!(h.query_by_label(s.what).is_some(), "the help panel lists {:?}", s.what);
        if let Keys::Widget(text) = s.keys {
            assert!(h.query_by_label(text).is_some(), "{text}");
        }
    }
    h.get_by_label("Ctrl+D");
    h.get_by_label("Ctrl+Shift+A");
    h.get_by_label("F1");
    // Escape closes it again; so does the "?" button.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().view().help_open);
    h.get_by_label("Keyboard shortcuts").click();
    h.run_steps(2);
    assert!(h.state().view().help_open);
}

#[test]
fn shortcuts_do_what_the_table_says() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine, None);
    h.run_steps(2);
    // Ctrl+H, Ctrl+R, Ctrl+I, Ctrl+E open what they say.
    h.key_press_modifiers(Modifiers::COMMAND, Key::H);
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.key_press_modifiers(Modifiers::COMMAND, Key::I);
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(2);
    let v = h.state().view();
    assert!(v.history_open && v.forwarding_open && v.io_open && v.editing);
    h.key_press_modifiers(Modifiers::COMMAND, Key::E);
    h.run_steps(1);
    assert!(!h.state().view().editing);
    // Ctrl+D puts the cursor in the dial field: typing and Enter dial.
    h.key_press_modifiers(Modifiers::COMMAND, Key::D);
    h.run_steps(2);
    assert!(h.get_by_label("Number to dial").is_focused());
    h.get_by_label("Number to dial").type_text("2002");
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Dial { target: "2002".into() }));
    // Alt+4: Do Not Disturb.
    h.key_press_modifiers(Modifiers::ALT, Key::Num4);
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::SetPresence { status: "dnd".into(), note: None, etag: None }));
    // Calls: answer, hold, mute, hang up.
    engine.push(Event::Call {
        id: "c1".into(),
        state: "ringing".into(),
        direction: "in".into(),
        remote: "Bob <sip:2002@pbx>".into(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::A);
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::Answer { call: "c1".into() }));
    // Ctrl+Shift+H is hold, not Ctrl+H (history stays open).
    engine.push(Event::Call {
        id: "c1".into(),
        state: "answered".into(),
        direction: "in".into(),
        remote: String::new(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::H);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::M);
    h.run_steps(1);
    assert!(h.state().view().history_open);
    let sent = engine.sent();
    assert!(sent.contains(&Command::Hold { call: "c1".into() }));
    assert!(sent.contains(&Command::Mute { call: "c1".into(), muted: true }));
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::E);
    h.run_steps(1);
    assert!(engine.sent().contains(&Command::Hangup { call: "c1".into() }));
}

#[test]
fn enter_on_a_focused_key_calls_it_and_pages_turn_by_keyboard() {
    let engine = RecordingEngine::default();
    let link = engine.clone();
    let mut h = Harness::builder().with_size([1280.0, 800.0]).build_eframe(move |_cc| {
        let keys = vec![
            KeyDef::new("1002", "Anna Berg", KeyKind::Presence, "Front"),
            KeyDef::new("3003", "Echo", KeyKind::SpeedDial, "Back"),
        ];
        LampboardApp::new(Box::new(link), keys, false)
    });
    h.run_steps(2);
    h.get_by_label("Echo, 3003, speed dial").focus();
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Dial { target: "3003".into() }));
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageDown);
    h.run_steps(1);
    assert_eq!(h.state().state().page(), Some("Front"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageDown);
    h.run_steps(1);
    assert_eq!(h.state().state().page(), Some("Back"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageUp);
    h.key_press_modifiers(Modifiers::COMMAND, Key::PageUp);
    h.run_steps(1);
    assert_eq!(h.state().state().page(), None);
}

#[test]
fn edits_are_saved_to_the_wall_file_once_per_change() {
    let engine = RecordingEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let mut h = console(&engine, Some(config.clone()));
    h.run_steps(2);
    assert!(!config.exists(), "nothing is written until something changes");
    h.get_by_label("Edit keys").click();
    h.run_steps(1);
    h.get_by_label_contains("Anna Berg, 1002").click();
    h.run_steps(2);
    h.get_by_label("Key name").click();
    h.run_steps(1);
    h.get_by_label("Key name").type_text(" (front)");
    h.run_steps(1);
    assert!(!config.exists(), "a draft is not saved");
    h.get_by_label("Save key").click();
    h.run_steps(2);
    let saved = lampboard::wall_io::persist::load_wall(&config).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].label, "Anna Berg (front)");
    // A new key without a number waits until it has one.
    h.get_by_label("Add key").click();
    h.run_steps(2);
    assert_eq!(lampboard::wall_io::persist::load_wall(&config).unwrap().len(), 1);
}

#[test]
fn call_buttons_say_whose_call_and_ctrl_t_transfers_by_keyboard() {
    let engine = RecordingEngine::default();
    let mut h = console(&engine, None);
    h.run_steps(1);
    engine.push(Event::Call {
        id: "c1".into(),
        state: "ringing".into(),
        direction: "in".into(),
        remote: "Bob <sip:2002@pbx>".into(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    assert_eq!(
        h.get_by_label("Answer").accesskit_node().description().as_deref(),
        Some("incoming call from Bob (2002)")
    );
    engine.push(Event::Call {
        id: "c1".into(),
        state: "answered".into(),
        direction: "in".into(),
        remote: String::new(),
        code: None,
        reason: None,
    });
    h.run_steps(2);
    assert_eq!(
        h.get_by_label("Hang up").accesskit_node().description().as_deref(),
        Some("call with Bob (2002), connected")
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::T);
    h.run_steps(2);
    assert!(h.get_by_label("Transfer to").is_focused());
    h.get_by_label("Transfer to").type_text("1002");
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(engine.sent().contains(&Command::Transfer {
        call: "c1".into(),
        target: "1002".into(),
        attended: false,
        consult: None
    }));
}
