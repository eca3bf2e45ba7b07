//! The forwarding editor and the call history, driven headless with egui_kittest by
//! accessible labels on the real `LampboardApp`, over a test double engine.

#[path = "support/recording_engine.rs"]
mod recording_engine;
use recording_engine::RecordingEngine;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use lampboard::api::{Command, Event};
use lampboard::forwarding::{self, Action, Rules, StatusKind, Target};
use lampboard::history::{Filter, HistoryDb};
use lampboard::ui::{KeyDef, KeyKind, LampboardApp};
use std::path::{Path, PathBuf};

fn keys() -> Vec<KeyDef> {
    vec![KeyDef::new("1002", "Anna Berg", KeyKind::Presence, "Front")]
}

/// The console with the forwarding editor open on the rules file `path`.
fn editor(engine: &RecordingEngine, path: &Path) -> Harness<'static, LampboardApp> {
    let link = engine.clone();
    let path = path.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1400.0, 1100.0])
        .build_eframe(move |_cc| LampboardApp::new(Box::new(link), keys(), false).with_rules_file(path));
    h.run_steps(1);
    h.get_by_label("Forwarding").click();
    h.run_steps(2);
    h
}

/// Scrolls the field `label` into view (the editor is taller than its window), then types.
fn type_into(h: &mut Harness<'static, LampboardApp>, label: &str, text: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run_steps(10);
    h.get_by_label(label).click();
    h.run_steps(1);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// Scrolls the button `label` into view and clicks it.
fn press(h: &mut Harness<'static, LampboardApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run_steps(10);
    h.get_by_label(label).click();
}

/// Replaces the whole text of a field (as a screen reader's "set value" does).
fn replace_text(h: &mut Harness<'static, LampboardApp>, label: &str, text: &str) {
    h.get_by_label(label).set_text_value_accesskit(text);
    h.run_steps(2);
}

fn rules_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cfg").join("rules.toml")
}

#[test]
fn an_invalid_whitelist_pattern_is_named_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = rules_path(&dir);
    let engine = RecordingEngine::default();
    let mut h = editor(&engine, &path);
    type_into(&mut h, "Forward whitelist", "1001\n1[23");
    // The live message names the bad pattern (and not the good one).
    let msg = h.get_by_label_contains("invalid pattern \"1[23\"");
    let text = msg.accesskit_node().label().or_else(|| msg.value()).unwrap_or_default();
    assert!(text.contains("position 2") && !text.contains("1001"), "{text}");
    h.get_by_label("Fix 1 field(s) to save.");
    press(&mut h, "Save rules");
    h.run_steps(2);
    assert!(!path.exists(), "an invalid draft must not be saved");
    assert!(h.state_mut().take_saved_rules().is_none());
    // The checker refuses to judge rules that do not parse.
    h.get_by_label("Fix the rules above to check them.");
}

#[test]
fn a_valid_change_saves_a_file_that_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = rules_path(&dir);
    let engine = RecordingEngine::default();
    let mut h = editor(&engine, &path);
    h.get_by_label("Rules for Away").click();
    h.run_steps(1);
    type_into(&mut h, "CFNA target", "2000");
    replace_text(&mut h, "CFNA time", "mon-fri 08:00-17:00");
    type_into(&mut h, "DND whitelist", "_10XX");
    press(&mut h, "Save rules");
    h.run_steps(2);
    h.get_by_label_contains("Saved to");
    let loaded = forwarding::file::load(&path).expect("the saved file loads");
    assert_eq!(loaded.per_status.away.cfna, Some(Target::parse("2000").unwrap()));
    assert_eq!(loaded.per_status.away.cfna_time.to_string(), "mon-fri 08:00-17:00");
    assert_eq!(loaded.per_status.available.cfna, None);
    assert_eq!(loaded.dnd_whitelist.len(), 1);
    assert_eq!(loaded.dnd_whitelist[0].as_str(), "_10XX");
    // The engine side gets the same rules.
    let handed = h.state_mut().take_saved_rules().expect("saved rules are handed over");
    assert_eq!(handed, loaded);
    assert!(h.state_mut().take_saved_rules().is_none(), "handed over once");
}

#[test]
fn a_bad_time_condition_is_shown_and_blocks_saving() {
    let dir = tempfile::tempdir().unwrap();
    let path = rules_path(&dir);
    let mut rules = Rules::default();
    rules.per_status.available.cfb = Some(Target::parse("3000").unwrap());
    forwarding::file::save(&path, &rules).unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let engine = RecordingEngine::default();
    let mut h = editor(&engine, &path);
    // The file was read: its CFB target is in the field.
    assert_eq!(h.get_by_label("CFB target").value().as_deref(), Some("3000"));
    replace_text(&mut h, "CFB time", "someday");
    h.get_by_label_contains("CFB: invalid time");
    press(&mut h, "Save rules");
    h.run_steps(2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "the file is untouched");
}

#[test]
fn the_checker_says_forward_for_a_cfu_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = rules_path(&dir);
    let engine = RecordingEngine::default();
    let mut h = editor(&engine, &path);
    // No forward yet: 1005 rings.
    h.get_by_label("Result: ring");
    type_into(&mut h, "CFU target", "2000");
    h.get_by_label("Result: forward (CFU) to 2000");
    h.get_by_label_contains("Why: CFU (available) to 2000");
    // Agrees with the decision function itself.
    let mut rules = Rules::default();
    rules.per_status.available.cfu = Some(Target::parse("2000").unwrap());
    let d = forwarding::decide(
        &rules,
        &StatusKind::Available.to_user_status(""),
        jiff::Timestamp::now(),
        "1005",
        false,
        false,
    );
    assert!(matches!(d.action, Action::Forward { .. }));
    // 1005 on the forward whitelist rings through.
    type_into(&mut h, "Forward whitelist", "_100X");
    h.get_by_label("Result: ring");
    h.get_by_label_contains("on the forward whitelist (_100X)");
    // DND on: rejected with 486.
    h.get_by_label("DND switch").click();
    h.run_steps(2);
    h.get_by_label("Result: reject with 486");
}

fn call(id: &str, state: &str, direction: &str, remote: &str) -> Event {
    Event::Call {
        id: id.into(),
        state: state.into(),
        direction: direction.into(),
        remote: remote.into(),
        code: None,
        reason: None,
    }
}

#[test]
fn the_history_lists_a_missed_call_and_call_back_dials_it() {
    let engine = RecordingEngine::default();
    let link = engine.clone();
    let mut h = Harness::builder().with_size([1400.0, 1000.0]).build_eframe(move |_cc| {
        LampboardApp::new(Box::new(link), keys(), false)
            .with_history_recording(HistoryDb::open_in_memory().unwrap(), None)
    });
    h.run_steps(1);
    engine.push(call("c1", "ringing", "in", "Eve <sip:2005@pbx.invalid>"));
    engine.push(call("c1", "ended", "in", "Eve <sip:2005@pbx.invalid>"));
    engine.push(call("c2", "calling", "out", "sip:3003@pbx.invalid"));
    engine.push(call("c2", "answered", "out", "sip:3003@pbx.invalid"));
    engine.push(call("c2", "ended", "out", "sip:3003@pbx.invalid"));
    h.run_steps(3);
    // The badge counts the unseen missed call.
    h.get_by_label("History").click();
    h.run_steps(2);
    assert_eq!(h.state().history().unseen_missed(), 1);
    h.get_by_label("Missed calls").click();
    h.run_steps(2);
    h.get_by_label_contains("Missed call from Eve (2005)");
    assert!(h.query_by_label_contains("Dialled call to 3003").is_none(), "the missed tab shows missed calls only");
    h.get_by_label("Call back 2005").click();
    h.run_steps(2);
    assert_eq!(engine.dials(), vec![Command::Dial { target: "2005".into() }]);
    // Mark as seen clears the badge.
    assert!(
        h.get_by_label_contains("Missed call from Eve (2005)").accesskit_node().label().unwrap().contains("not seen")
    );
    h.get_by_label("Mark missed as seen").click();
    h.run_steps(2);
    assert_eq!(h.state().history().unseen_missed(), 0);
    assert!(
        !h.get_by_label_contains("Missed call from Eve (2005)").accesskit_node().label().unwrap().contains("not seen")
    );
    // Dialled tab and search.
    h.get_by_label("Dialled calls").click();
    h.run_steps(2);
    h.get_by_label_contains("Dialled call to 3003");
    h.get_by_label("All calls").click();
    h.run_steps(1);
    type_into(&mut h, "Search history", "eve");
    h.get_by_label_contains("Missed call from Eve (2005)");
    assert!(h.query_by_label_contains("Dialled call to 3003").is_none());
    let db = h.state().history().db().unwrap();
    assert_eq!(db.recent(Filter::All, 10).unwrap().len(), 2);
}

#[test]
fn the_calendar_is_checked_saved_and_used_by_the_checker() {
    let dir = tempfile::tempdir().unwrap();
    let path = rules_path(&dir);
    let engine = RecordingEngine::default();
    let mut h = editor(&engine, &path);
    // A zone that does not exist is named and blocks saving.
    replace_text(&mut h, "Time zone (IANA)", "Mars/Olympus");
    h.get_by_label_contains("time_zone: unknown time zone \"Mars/Olympus\"");
    press(&mut h, "Save rules");
    h.run_steps(2);
    assert!(!path.exists(), "an invalid zone must not be saved");
    replace_text(&mut h, "Time zone (IANA)", "Europe/Berlin");
    assert!(h.query_by_label_contains("time_zone:").is_none(), "the zone is fine now");
    // Office hours: the bad line is named, the good one is not.
    type_into(&mut h, "Office hour periods", "mon-fri 08:00-17:00\nsat 25:00-26:00");
    let msg = h.get_by_label_contains("office_hours: invalid time \"sat 25:00-26:00\"");
    let text = msg.accesskit_node().label().or_else(|| msg.value()).unwrap_or_default();
    assert!(!text.contains("mon-fri"), "{text}");
    replace_text(&mut h, "Office hour periods", "mon-fri 08:00-17:00");
    // An office condition needs office hours: with them it is accepted.
    replace_text(&mut h, "CFU time", "out-of-office-or-holiday");
    replace_text(&mut h, "CFU target", "2000");
    type_into(&mut h, "Holiday dates", "2026-12-24..2026-12-26");
    h.get_by_label("Announce CFNA with 181").scroll_to_me();
    h.run_steps(10);
    h.get_by_label("Announce CFNA with 181").click();
    h.run_steps(2);
    // The checker reads the calendar in the zone: Christmas Eve 10:00 in Berlin is a
    // holiday (forward), a Wednesday in June at 10:00 is office time (ring).
    let at = |s: &str| Some(s.parse::<jiff::Timestamp>().unwrap());
    h.state_mut().forwarding_mut().set_now(at("2026-12-24T09:00:00Z"));
    h.run_steps(2);
    h.get_by_label("Result: forward (CFU) to 2000");
    h.state_mut().forwarding_mut().set_now(at("2026-06-10T08:00:00Z"));
    h.run_steps(2);
    h.get_by_label("Result: ring");
    // Saved, the file loads back with the calendar.
    press(&mut h, "Save rules");
    h.run_steps(2);
    h.get_by_label_contains("Saved to");
    let loaded = forwarding::file::load(&path).expect("the saved file loads");
    assert_eq!(loaded.time_zone.as_ref().map(|z| z.name()), Some("Europe/Berlin"));
    assert_eq!(loaded.office_hours.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["mon-fri 08:00-17:00"]);
    assert_eq!(loaded.holidays.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["2026-12-24..2026-12-26"]);
    assert_eq!(loaded.per_status.available.cfu_time.to_string(), "out-of-office-or-holiday");
    assert!(loaded.cfna_181);
    assert_eq!(h.state_mut().take_saved_rules(), Some(loaded));
}

#[test]
fn what_the_pbx_said_to_the_saved_rules_is_shown_in_the_editor() {
    let engine = RecordingEngine::default();
    let tmp = tempfile::tempdir().unwrap();
    let mut h = editor(&engine, &tmp.path().join("rules.toml"));
    engine.push(Event::RulesSynced {
        via: "ucm-api".into(),
        ok: false,
        reason: Some("UCM answered -25".into()),
        retry_in_ms: Some(8000),
    });
    h.run_steps(3);
    let shown = h.state_mut().forwarding_mut().sync_message().map(str::to_string);
    assert_eq!(shown.as_deref(), Some("Not sent to the UCM: UCM answered -25 (trying again in 8 s)"));
    engine.push(Event::RulesSynced { via: "ucm-api".into(), ok: true, reason: None, retry_in_ms: None });
    h.run_steps(3);
    assert!(h.state_mut().forwarding_mut().sync_message().unwrap().starts_with("Sent to the UCM"));
    assert!(h.query_by_label_contains("Sent to the UCM").is_some(), "the message is on screen");
}
