//! Presence bodies end to end: every fixture in `tests/data/presence/` through the parsers
//! and PRESENCE.md §4's mapping, our own PUBLISH body round-tripped, the LED rules,
//! dialog-info versioning, and garbage (truncations, bit flips, random bytes) that must
//! come back as errors, never as panics.

use lampboard::presence::{
    Blink, BodyError, DialogState, Freshness, Lamp, Led, LineState, PresenceView, Resync, StatusMap, UserStatus,
    build_pidf, interpret, parse_dialog_info, parse_presence,
};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/presence")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| {
            let name = p.file_name().expect("file name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("fixture readable"))
        })
        .collect();
    out.sort();
    out
}

// ----------------------------------------------------------------------------------------
// Expectations
// ----------------------------------------------------------------------------------------

use UserStatus::{Available, Away, Chat, Dnd, Unavailable};

fn custom(s: &str) -> UserStatus {
    UserStatus::Custom(s.to_owned())
}
fn busy() -> Option<LineState> {
    Some(LineState::Busy { peer: None })
}
fn ringing() -> Option<LineState> {
    Some(LineState::Ringing { caller: None })
}
const IDLE: Option<LineState> = Some(LineState::Idle);
const HELD: Option<LineState> = Some(LineState::Held);
const OFFLINE: Option<LineState> = Some(LineState::Offline);

/// (fixture, status, note, line) for every presence fixture.
fn presence_table() -> Vec<(&'static str, UserStatus, Option<&'static str>, Option<LineState>)> {
    vec![
        ("rfc3863_minimal.xml", Available, None, None),
        ("rfc3863_prefixed.xml", Available, None, None),
        ("rfc3863_two_tuples.xml", Available, Some("I'll be in Tokyo next week"), None),
        ("rfc4480_rich.xml", Away, Some("Far away"), None),
        // PJSIP PIDF, with the eyebeam person and without it.
        ("pjsip_pidf_idle.xml", Available, None, IDLE),
        ("pjsip_pidf_inuse.xml", Available, None, busy()),
        ("pjsip_pidf_ringing.xml", Available, None, ringing()),
        ("pjsip_pidf_onhold.xml", Available, None, HELD),
        ("pjsip_pidf_unavailable.xml", Unavailable, None, OFFLINE),
        ("pjsip_pidf_idle_plain.xml", Available, None, IDLE),
        ("pjsip_pidf_inuse_plain.xml", Available, None, busy()),
        ("pjsip_pidf_ringing_plain.xml", Available, None, ringing()),
        ("pjsip_pidf_onhold_plain.xml", Available, None, HELD),
        ("pjsip_pidf_unavailable_plain.xml", Unavailable, None, OFFLINE),
        // The digium-presence tuple, all seven types.
        ("pjsip_digium_not_set.xml", Available, None, IDLE),
        ("pjsip_digium_unavailable.xml", Unavailable, Some("Gone home"), IDLE),
        ("pjsip_digium_available.xml", custom("In the office"), None, IDLE),
        ("pjsip_digium_available_plain.xml", Available, None, IDLE),
        ("pjsip_digium_away.xml", Away, Some("Back at 2 & then meetings\ncall mobile"), IDLE),
        ("pjsip_digium_xa.xml", Away, Some("Until Monday"), IDLE),
        ("pjsip_digium_chat.xml", Chat, Some("Slack only <please>"), IDLE),
        ("pjsip_digium_dnd.xml", Dnd, Some("In a meeting"), busy()),
        // chan_sip.
        ("chansip_pidf_idle.xml", Available, None, IDLE),
        ("chansip_pidf_busy.xml", Available, None, busy()),
        ("chansip_pidf_ringing.xml", Available, None, ringing()),
        ("chansip_pidf_away_closed.xml", Unavailable, None, OFFLINE),
        ("chansip_pidf_not_online.xml", Unavailable, None, OFFLINE),
        // xpidf.
        ("xpidf_open.xml", Available, None, IDLE),
        ("xpidf_inuse.xml", Available, None, busy()),
        ("xpidf_closed.xml", Unavailable, None, OFFLINE),
        // Kamailio.
        ("kamailio_merge_two_publishers.xml", Away, Some("Gone for coffee"), None),
        ("kamailio_dummy_available.xml", Available, None, None),
        ("kamailio_closed_offline.xml", Unavailable, None, Some(LineState::Offline)),
        // Clients.
        ("linphone_dnd.xml", Dnd, None, None),
        ("zoiper_online.xml", Available, None, None),
        ("baresip_open.xml", Available, None, None),
        ("freeswitch_on_the_phone.xml", Available, Some("Talk 07766088671"), busy()),
    ]
}

/// (fixture, line state on a fresh `DialogState`, call-id of the ringing dialog).
fn dialog_table() -> Vec<(&'static str, LineState, Option<&'static str>)> {
    let ringing = |c: &str| LineState::Ringing { caller: Some(c.to_owned()) };
    vec![
        ("pjsip_dialog_idle.xml", LineState::Idle, None),
        ("pjsip_dialog_ringing.xml", ringing("Bob (2002)"), None),
        ("pjsip_dialog_ringing_anonymous.xml", ringing("Anonymous"), None),
        ("pjsip_dialog_inuse.xml", LineState::Busy { peer: None }, None),
        ("pjsip_dialog_onhold.xml", LineState::Held, None),
        ("chansip_dialog_pickup.xml", ringing("Bob (2002)"), Some("pickup-3c26722ba3b1@192.0.2.7")),
        ("rfc4235_partial_early_initiator.xml", LineState::Busy { peer: None }, None),
        ("rfc4235_rejected_486.xml", LineState::Idle, None),
        ("rfc4235_seq1_full_early.xml", LineState::Busy { peer: None }, None),
        ("rfc4235_seq2_partial_confirmed.xml", LineState::Busy { peer: None }, None),
        ("rfc4235_seq3_partial_terminated.xml", LineState::Idle, None),
    ]
}

/// Which parser, and a check on the error.
type Refusal = (bool, fn(&BodyError) -> bool);

/// Fixtures that must be refused: (fixture, presence parser?, check).
fn error_table() -> Vec<(&'static str, Refusal)> {
    vec![
        ("malformed_truncated.xml", (true, |e| matches!(e, BodyError::Malformed(_)))),
        ("malformed_wrong_namespace.xml", (true, |e| *e == BodyError::WrongNamespace)),
        ("malformed_dialog_wrong_namespace.xml", (false, |e| *e == BodyError::WrongNamespace)),
        ("malformed_undeclared_entity.xml", (true, |e| matches!(e, BodyError::Malformed(_)))),
        ("malformed_billion_laughs.xml", (true, |e| *e == BodyError::DoctypeRefused)),
        ("malformed_billion_laughs.xml", (false, |e| *e == BodyError::DoctypeRefused)),
        ("malformed_huge.xml", (true, |e| *e == BodyError::TooLarge)),
        ("malformed_huge.xml", (false, |e| *e == BodyError::TooLarge)),
    ]
}

// ----------------------------------------------------------------------------------------
// Fixtures
// ----------------------------------------------------------------------------------------

#[test]
fn every_fixture_is_in_a_table() {
    let mut known: Vec<&str> = presence_table().iter().map(|r| r.0).collect();
    known.extend(dialog_table().iter().map(|r| r.0));
    known.extend(error_table().iter().map(|r| r.0));
    for (name, _) in all_fixtures() {
        assert!(known.contains(&name.as_str()), "{name} has no expectation");
    }
}

#[test]
fn presence_fixtures_map_as_presence_md_section_4_says() {
    let map = StatusMap::default();
    let mut failures = Vec::new();
    for (name, status, note, line) in presence_table() {
        let doc = parse_presence(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = interpret(&doc, &map);
        let want = PresenceView { status, note: note.map(str::to_owned), line };
        if got != want {
            failures.push(format!("{name}:\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn dialog_fixtures_give_the_line_state() {
    for (name, line, pickup_call_id) in dialog_table() {
        let info = parse_dialog_info(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut state = DialogState::default();
        state.apply(info).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(state.line_state(), line, "{name}");
        if let Some(call_id) = pickup_call_id {
            let d = state.ringing_dialog().expect("a ringing dialog");
            assert_eq!(d.call_id.as_deref(), Some(call_id));
            assert_eq!(d.local_tag.as_deref(), Some("as5f1c2d0a"));
            assert_eq!(d.remote_tag.as_deref(), Some("8837261"));
        }
    }
}

#[test]
fn malformed_fixtures_are_refused_with_the_right_error() {
    for (name, (presence, check)) in error_table() {
        let body = fixture(name);
        let err =
            if presence { parse_presence(&body).expect_err(name) } else { parse_dialog_info(&body).expect_err(name) };
        assert!(check(&err), "{name}: unexpected {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn rfc4235_rejected_dialog_keeps_event_and_code() {
    let info = parse_dialog_info(&fixture("rfc4235_rejected_486.xml")).expect("parses");
    assert!(!info.full);
    assert_eq!(info.version, Some(0));
    let d = &info.dialogs[0];
    assert_eq!(d.state, "terminated");
    assert_eq!(d.event.as_deref(), Some("rejected"));
    assert_eq!(d.code, Some(486));
    assert_eq!(d.call_id.as_deref(), Some("a84b4c76e66710"));
}

#[test]
fn rfc4480_unknown_elements_are_ignored_and_device_notes_unused() {
    let doc = parse_presence(&fixture("rfc4480_rich.xml")).expect("parses");
    assert_eq!(doc.tuples.len(), 3);
    assert_eq!(doc.persons.len(), 1);
    let tokens: Vec<_> = doc.activities.iter().map(|a| a.token.as_str()).collect();
    assert_eq!(tokens, ["away"], "mood's <other> and privacy's <unknown> are not activities");
}

// ----------------------------------------------------------------------------------------
// Dialog-info versioning
// ----------------------------------------------------------------------------------------

fn dlg(name: &str) -> lampboard::presence::DialogInfo {
    parse_dialog_info(&fixture(name)).expect("parses")
}

#[test]
fn rfc4235_section_6_sequence_merges() {
    let mut s = DialogState::default();
    s.apply(dlg("rfc4235_seq1_full_early.xml")).expect("full");
    assert_eq!(s.version(), Some(0));
    s.apply(dlg("rfc4235_seq2_partial_confirmed.xml")).expect("v1");
    assert_eq!(s.dialogs()[0].state, "confirmed");
    assert_eq!(s.dialogs()[0].remote_tag.as_deref(), Some("456887766"));
    s.apply(dlg("rfc4235_seq3_partial_terminated.xml")).expect("v2");
    assert!(s.dialogs().is_empty());
    assert_eq!(s.line_state(), LineState::Idle);
    // A repeat of an old version is ignored.
    s.apply(dlg("rfc4235_seq2_partial_confirmed.xml")).expect("stale is fine");
    assert_eq!(s.line_state(), LineState::Idle);
}

#[test]
fn partial_version_gap_asks_for_resync_until_full_state() {
    let mut s = DialogState::default();
    s.apply(dlg("rfc4235_seq1_full_early.xml")).expect("full v0");
    // v2 after v0: v1 was lost.
    assert_eq!(s.apply(dlg("rfc4235_seq3_partial_terminated.xml")), Err(Resync));
    assert!(s.needs_full_state());
    // Still refused, even though v1 would now look in order.
    assert_eq!(s.apply(dlg("rfc4235_seq2_partial_confirmed.xml")), Err(Resync));
    // Asterisk restarts at version 0 after a re-subscribe: accepted on full state.
    s.apply(dlg("pjsip_dialog_idle.xml")).expect("full v0 again");
    assert!(!s.needs_full_state());
    assert_eq!(s.line_state(), LineState::Idle);
}

#[test]
fn stale_full_state_is_ignored() {
    let mut s = DialogState::default();
    s.apply(dlg("pjsip_dialog_onhold.xml")).expect("v7");
    s.apply(dlg("pjsip_dialog_ringing.xml")).expect("v3 is older: ignored");
    assert_eq!(s.line_state(), LineState::Held);
    s.reset();
    s.apply(dlg("pjsip_dialog_ringing.xml")).expect("after reset");
    assert_eq!(s.ringing_dialog().map(|d| d.id.as_str()), Some("1001"));
}

#[test]
fn worst_dialog_wins() {
    let body = br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full">
        <dialog id="a"><state>confirmed</state><local><target uri="sip:x@y"><param pname="+sip.rendering" pvalue="no"/></target></local></dialog>
        <dialog id="b" direction="recipient"><state>early</state><remote><identity display="Carol">sip:2003@pbx</identity></remote></dialog>
        <dialog id="c" direction="initiator"><state>proceeding</state></dialog>
    </dialog-info>"#;
    let mut s = DialogState::default();
    s.apply(parse_dialog_info(body).expect("parses")).expect("applies");
    assert_eq!(s.line_state(), LineState::Ringing { caller: Some("Carol (2003)".into()) });
    assert_eq!(s.ringing_dialog().map(|d| d.id.as_str()), Some("b"));
}

#[test]
fn partial_updates_cannot_grow_the_state_without_bound() {
    let mut s = DialogState::default();
    let full = br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full"/>"#;
    s.apply(parse_dialog_info(full).expect("parses")).expect("applies");
    for v in 1..=200u32 {
        let body = format!(
            r#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="{v}" state="partial"><dialog id="d{v}"><state>confirmed</state></dialog></dialog-info>"#
        );
        s.apply(parse_dialog_info(body.as_bytes()).expect("parses")).expect("in order");
    }
    assert_eq!(s.dialogs().len(), lampboard::presence::dialog_info::MAX_DIALOGS);
    assert_eq!(s.dialogs().last().map(|d| d.id.as_str()), Some("d200"));
}

// ----------------------------------------------------------------------------------------
// Our own PUBLISH
// ----------------------------------------------------------------------------------------

fn six() -> Vec<UserStatus> {
    vec![Available, Away, Chat, Dnd, Unavailable, custom("InMeeting <Q3> & \"budget\" — ☕ 'review'")]
}

#[test]
fn build_pidf_round_trips_all_six_statuses_exactly() {
    let map = StatusMap::default();
    let notes = [None, Some("back at 3 & ask <Ann>"), Some("  spaced\n\ttext  ")];
    for status in six() {
        for note in notes {
            for on_the_phone in [false, true] {
                let body = build_pidf("sip:1001@pbx.example", &status, note, on_the_phone);
                let doc = parse_presence(body.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{body}"));
                let got = interpret(&doc, &map);
                let want = PresenceView {
                    status: status.clone(),
                    note: note.map(str::to_owned),
                    line: on_the_phone.then_some(LineState::Busy { peer: None }),
                };
                assert_eq!(got, want, "{body}");
            }
        }
    }
}

#[test]
fn build_pidf_reads_right_for_foreign_watchers() {
    // Without our private elements, the RPID part alone gives the same status.
    let map = StatusMap::default();
    for status in six() {
        let body = build_pidf("sip:1001@pbx.example", &status, None, false);
        let foreign: String =
            body.lines().filter(|l| !l.trim_start().starts_with("<lb:")).collect::<Vec<_>>().join("\n");
        let got = interpret(&parse_presence(foreign.as_bytes()).expect("parses"), &map);
        assert_eq!(got.status, status, "{foreign}");
    }
    let dnd = build_pidf("sip:1001@pbx.example", &Dnd, None, false);
    assert!(dnd.contains("<rpid:busy/>") && dnd.contains("<dm:note>Do Not Disturb</dm:note>"));
    let off = build_pidf("sip:1001@pbx.example", &Unavailable, None, false);
    assert!(off.contains("<basic>closed</basic>"));
}

#[test]
fn custom_text_is_limited_to_64_characters() {
    let long = "x".repeat(80);
    let body = build_pidf("sip:1001@pbx.example", &custom(&long), None, false);
    let got = interpret(&parse_presence(body.as_bytes()).expect("parses"), &StatusMap::default());
    assert_eq!(got.status, custom(&"x".repeat(64)));
}

// ----------------------------------------------------------------------------------------
// LEDs
// ----------------------------------------------------------------------------------------

fn lamp(status: UserStatus, line: Option<LineState>) -> Lamp {
    let mut l = Lamp::default();
    l.apply_presence(PresenceView { status, note: None, line });
    l
}

#[test]
fn status_leds_follow_the_seed() {
    for (status, led) in [
        (Available, Led::Green),
        (Away, Led::Green),
        (custom("InMeeting"), Led::Green),
        (Chat, Led::Red),
        (Dnd, Led::Red),
        (Unavailable, Led::Off),
        (UserStatus::Unknown, Led::Off),
    ] {
        let l = lamp(status.clone(), None);
        assert_eq!(l.led(), (led, false), "{status:?}");
        let w = l.watcher_view();
        assert_eq!((w.icon, w.label_colour, w.led, w.blink), (status.as_str(), led, led, false));
    }
}

#[test]
fn line_overlays_the_status() {
    let ringing = LineState::Ringing { caller: Some("Bob (2002)".into()) };
    let l = lamp(Available, Some(ringing));
    assert_eq!(l.led(), (Led::Red, true));
    assert_eq!(l.led_pattern(), (Led::Red, Blink::Fast));
    assert_eq!(l.blf_led(), (Led::Red, true));
    let w = l.watcher_view();
    assert_eq!((w.icon, w.label_colour, w.led, w.blink), ("available", Led::Green, Led::Red, true));

    let l = lamp(Away, busy());
    assert_eq!(l.led(), (Led::Red, false));
    let l = lamp(Available, HELD);
    assert_eq!(l.led_pattern(), (Led::Red, Blink::Slow), "held blinks slowly");
    assert_eq!(l.blf_led(), (Led::Red, true));
    let l = lamp(Available, OFFLINE);
    assert_eq!(l.led(), (Led::Off, false));
    assert_eq!(l.blf_led(), (Led::Off, false));
    let l = lamp(Dnd, IDLE);
    assert_eq!(l.led(), (Led::Red, false), "idle leaves the status colour");
    assert_eq!(l.blf_led(), (Led::Green, false), "BLF: idle is green");
    let l = lamp(Dnd, None);
    assert_eq!(l.blf_led(), (Led::Off, false), "BLF: unknown line is off");
}

#[test]
fn bodyless_notify_keeps_the_last_status() {
    let mut l = lamp(Dnd, busy());
    l.apply_bodyless_notify(false);
    assert_eq!(l.status, Dnd);
    assert_eq!(l.freshness, Freshness::Stale);
    assert_eq!(l.led(), (Led::Red, false));
    l.apply_bodyless_notify(true);
    assert_eq!(l.freshness, Freshness::Pending);
    l.set_freshness(Freshness::Failed("403 Forbidden".into()));
    assert_eq!(l.led(), (Led::Off, false));
    assert_eq!(l.status, Dnd);
}

#[test]
fn dialog_and_presence_lines_merge_worst_first() {
    let mut l = lamp(Available, IDLE);
    let mut s = DialogState::default();
    s.apply(dlg("chansip_dialog_pickup.xml")).expect("applies");
    l.apply_line(s.line_state());
    assert_eq!(l.line.as_str(), "ringing");
    l.apply_line(LineState::Idle);
    assert_eq!(l.line, LineState::Idle);
    l.clear_line();
    assert_eq!(l.line, LineState::Unknown);
}

// ----------------------------------------------------------------------------------------
// Garbage
// ----------------------------------------------------------------------------------------

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs a body through everything; only a panic fails.
fn feed(body: &[u8], map: &StatusMap) {
    if let Ok(doc) = parse_presence(body) {
        let v = interpret(&doc, map);
        let mut l = Lamp::default();
        l.apply_presence(v);
        let _ = (l.led(), l.blf_led(), l.watcher_view());
    }
    if let Ok(info) = parse_dialog_info(body) {
        let mut s = DialogState::default();
        if s.apply(info).is_ok() {
            let _ = (s.line_state(), s.ringing_dialog());
        }
    }
}

#[test]
fn truncations_of_every_fixture_never_panic() {
    let map = StatusMap::default();
    for (name, body) in all_fixtures() {
        let step = if body.len() > 8192 { 509 } else { 1 };
        for cut in (0..body.len()).step_by(step) {
            feed(&body[..cut], &map);
        }
        // A strict prefix that ends inside the root element is never accepted.
        if let Some(end) = body.windows(2).rposition(|w| w == b"</") {
            assert!(parse_presence(&body[..end]).is_err(), "{name} cut at {end}");
            assert!(parse_dialog_info(&body[..end]).is_err(), "{name} cut at {end}");
        }
    }
}

#[test]
fn mutated_fixtures_and_random_bytes_never_panic() {
    let map = StatusMap::default();
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let specials = b"<>&;#x\"'=/![]?: \x00\xff\xc3";
    for (_, body) in all_fixtures().into_iter().filter(|(_, b)| b.len() < 8192) {
        for _ in 0..300 {
            let mut m = body.clone();
            for _ in 0..1 + noise.next() % 4 {
                let at = (noise.next() as usize) % m.len();
                let r = noise.next();
                m[at] = if r.is_multiple_of(2) { specials[(r as usize / 2) % specials.len()] } else { (r >> 8) as u8 };
            }
            feed(&m, &map);
        }
    }
    for len in [0usize, 1, 2, 7, 64, 333, 4096] {
        for _ in 0..50 {
            let bytes: Vec<u8> = (0..len).map(|_| noise.next() as u8).collect();
            feed(&bytes, &map);
            let mut tagged = b"<presence xmlns='urn:ietf:params:xml:ns:pidf'>".to_vec();
            tagged.extend(&bytes);
            feed(&tagged, &map);
        }
    }
}

#[test]
fn deep_nesting_is_not_a_problem() {
    let mut body = String::from("<presence xmlns='urn:ietf:params:xml:ns:pidf'>");
    for _ in 0..5000 {
        body.push_str("<a>");
    }
    for _ in 0..5000 {
        body.push_str("</a>");
    }
    body.push_str("</presence>");
    let doc = parse_presence(body.as_bytes()).expect("deep but well-formed");
    assert_eq!(interpret(&doc, &StatusMap::default()).status, UserStatus::Unknown);
}
