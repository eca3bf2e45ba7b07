//! RFC 4662 resource lists end to end: every NOTIFY in `tests/data/presence/rlmi/` through
//! the multipart splitter and the `EventList`, the parts through the PIDF and dialog-info
//! parsers and PRESENCE.md §4's mapping, RLMI versioning (stale, gaps, full-state
//! removals), and garbage (truncations, bit flips, random bytes) that must come back as
//! errors, never as panics.

use lampboard::presence::{
    DialogState, EventList, EventListError, InstanceState, LineState, MultipartError, PresenceView, ResourceChange,
    ResourcePart, ResourceUpdate, StatusMap, UserStatus, interpret, parse_dialog_info, parse_multipart, parse_presence,
};
use std::collections::HashMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/presence/rlmi")
}

fn raw(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The fixtures are whole NOTIFY requests: the Content-Type header (unfolded) and the body.
fn split_notify(raw: &[u8]) -> (String, Vec<u8>) {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    let (head_end, body_start) = match (crlf, lf) {
        (Some(a), Some(b)) => {
            if a.0 < b.0 {
                a
            } else {
                b
            }
        }
        (a, b) => a.or(b).expect("a header/body separator"),
    };
    let head = String::from_utf8(raw[..head_end].to_vec()).expect("ASCII headers");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines().skip(1) {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a header before a folded line");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type") || n.eq_ignore_ascii_case("c"))
        .map(|(_, v)| v.clone())
        .expect("a Content-Type header");
    (content_type, raw[body_start..].to_vec())
}

fn notify(name: &str) -> (String, Vec<u8>) {
    split_notify(&raw(name))
}

fn all_fixtures() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .map(|p| p.file_name().expect("file name").to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn apply(list: &mut EventList, name: &str) -> Result<Vec<ResourceUpdate>, EventListError> {
    let (content_type, body) = notify(name);
    list.apply(&content_type, &body)
}

fn view(part: &ResourcePart) -> PresenceView {
    assert!(part.content_type.is("application/pidf+xml"), "{}", part.content_type);
    let doc = parse_presence(&part.body).unwrap_or_else(|e| panic!("PIDF part: {e}"));
    interpret(&doc, &StatusMap::default())
}

fn presence(status: UserStatus, line: Option<LineState>) -> PresenceView {
    PresenceView { status, note: None, line }
}

fn find<'u>(updates: &'u [ResourceUpdate], uri: &str) -> &'u ResourceUpdate {
    updates.iter().find(|u| u.uri == uri).unwrap_or_else(|| panic!("no update for {uri} in {updates:#?}"))
}

// ----------------------------------------------------------------------------------------
// Expectations
// ----------------------------------------------------------------------------------------

/// The NOTIFYs that apply (in this order, to one list per prefix) and those refused.
fn good_fixtures() -> Vec<&'static str> {
    vec![
        "rfc4662_1_full.sip",
        "rfc4662_2_partial.sip",
        "rfc4662_3_partial_terminated.sip",
        "rfc4662_4_full_removal.sip",
        "asterisk_presence_full.sip",
        "asterisk_dialog_full.sip",
        "asterisk_dialog_partial.sip",
        "tolerant_lf_preamble_epilogue.sip",
        "tolerant_missing_close.sip",
    ]
}

type Check = fn(&EventListError) -> bool;

fn error_table() -> Vec<(&'static str, Check)> {
    vec![
        ("malformed_no_boundary.sip", |e| *e == EventListError::Multipart(MultipartError::NoBoundary)),
        ("malformed_wrong_boundary.sip", |e| *e == EventListError::Multipart(MultipartError::NoDelimiter)),
        ("malformed_truncated.sip", |e| {
            matches!(e, EventListError::Rlmi(lampboard::presence::BodyError::Malformed(_)))
        }),
        ("malformed_truncated_headers.sip", |e| *e == EventListError::Multipart(MultipartError::Truncated)),
        ("malformed_part_without_headers.sip", |e| {
            matches!(e, EventListError::Multipart(MultipartError::BadPartHeader(_)))
        }),
        ("malformed_rlmi_part_unlabelled.sip", |e| *e == EventListError::NoRlmi),
        ("malformed_rlmi_draft_namespace.sip", |e| {
            *e == EventListError::Rlmi(lampboard::presence::BodyError::WrongNamespace)
        }),
        ("malformed_2000_parts.sip", |e| *e == EventListError::Multipart(MultipartError::TooManyParts)),
    ]
}

#[test]
fn every_fixture_is_in_a_table() {
    let mut known = good_fixtures();
    known.extend(error_table().iter().map(|r| r.0));
    for name in all_fixtures() {
        assert!(known.contains(&name.as_str()), "{name} has no expectation");
    }
    assert_eq!(all_fixtures().len(), known.len(), "a table names a missing fixture");
}

#[test]
fn content_length_matches_the_body_except_when_truncated() {
    for name in all_fixtures() {
        let raw = raw(&name);
        let head = String::from_utf8_lossy(&raw);
        let declared: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length:"))
            .map(|v| v.trim().parse().expect("a number"))
            .unwrap_or_else(|| panic!("{name}: no Content-Length"));
        let (_, body) = split_notify(&raw);
        if name.contains("truncated") {
            assert!(body.len() < declared, "{name}");
        } else {
            assert_eq!(body.len(), declared, "{name}");
        }
    }
}

#[test]
fn malformed_fixtures_are_refused_and_change_nothing() {
    for (name, check) in error_table() {
        let mut list = EventList::new();
        let err = apply(&mut list, name).expect_err(name);
        assert!(check(&err), "{name}: unexpected {err:?}");
        assert!(!err.to_string().is_empty());
        assert_eq!(list, EventList::new(), "{name}");
    }
}

// ----------------------------------------------------------------------------------------
// RFC 4662 §6, then two derived NOTIFYs
// ----------------------------------------------------------------------------------------

const BOB: &str = "sip:bob@vancouver.example.com";
const DAVE: &str = "sip:dave@vancouver.example.com";
const ED: &str = "sip:ed@dallas.example.net";
const ORG: &str = "sip:adam-friends@stockholm.example.org";

#[test]
fn rfc4662_first_notify_is_full_state_with_pidf_parts() {
    let mut list = EventList::new();
    let up = apply(&mut list, "rfc4662_1_full.sip").expect("applies");
    assert_eq!(list.version(), Some(1));
    assert_eq!(list.uri(), Some("sip:adam-friends@pres.vancouver.example.com"));
    assert_eq!(list.name(), Some("Buddy List at COM"));
    assert_eq!(list.names()[1].lang.as_deref(), Some("de"));
    let uris: Vec<&str> = up.iter().map(|u| u.uri.as_str()).collect();
    assert_eq!(uris, [BOB, DAVE, ED, ORG]);

    let bob = find(&up, BOB);
    assert_eq!((bob.state(), bob.instance_id()), (Some(InstanceState::Active), Some("juwigmtboe")));
    assert_eq!(view(bob.part.as_ref().expect("Bob's part")), presence(UserStatus::Available, None));
    let dave = find(&up, DAVE);
    assert_eq!(
        view(dave.part.as_ref().expect("Dave's part")),
        presence(UserStatus::Unavailable, Some(LineState::Offline))
    );
    for uri in [ED, ORG] {
        let u = find(&up, uri);
        assert_eq!((&u.change, &u.part), (&ResourceChange::NoInstance, &None), "{uri}");
    }

    let names: Vec<Option<&str>> = list.resources().iter().map(|r| r.name()).collect();
    assert_eq!(names, [Some("Bob Smith"), Some("Dave Jones"), Some("Ed at NET"), Some("My Friends at ORG")]);
    assert_eq!(list.resource(ED).and_then(|r| r.state()), None);
}

#[test]
fn rfc4662_second_notify_is_partial_with_a_signed_nested_list() {
    let mut list = EventList::new();
    apply(&mut list, "rfc4662_1_full.sip").expect("v1");
    let up = apply(&mut list, "rfc4662_2_partial.sip").expect("v2");
    assert_eq!(up.len(), 2);
    let ed = find(&up, ED);
    assert_eq!((ed.state(), ed.part.as_ref()), (Some(InstanceState::Pending), None));

    let org = find(&up, ORG);
    assert_eq!(org.state(), Some(InstanceState::Active));
    let part = org.part.as_ref().expect("the nested list's part");
    assert!(part.is_list());
    assert!(part.content_type.is("multipart/signed"));
    // The nested list is a list subscription of its own.
    let mut nested = EventList::new();
    let inner = nested.apply(&part.content_type.to_string(), &part.body).expect("nested list applies");
    assert_eq!(nested.uri(), Some(ORG));
    assert_eq!(nested.name(), Some("Buddy List at ORG"));
    let joe = find(&inner, "sip:joe@stockholm.example.org");
    assert_eq!(view(joe.part.as_ref().expect("Joe's part")), presence(UserStatus::Available, None));
    let mark = find(&inner, "sip:mark@stockholm.example.org");
    assert_eq!(view(mark.part.as_ref().expect("Mark's part")).status, UserStatus::Unavailable);

    // Partial state merged: all four still listed, in the first NOTIFY's order.
    let uris: Vec<&str> = list.resources().iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(uris, [BOB, DAVE, ED, ORG]);
    assert_eq!(list.resource(BOB).and_then(|r| r.state()), Some(InstanceState::Active));
    assert_eq!(list.resource(ED).and_then(|r| r.state()), Some(InstanceState::Pending));
    assert_eq!(list.version(), Some(2));
}

#[test]
fn rfc4662_multipart_structure() {
    let (content_type, body) = notify("rfc4662_2_partial.sip");
    let m = parse_multipart(&content_type, &body).expect("splits");
    assert!(m.closed);
    assert_eq!(m.start(), Some("2BEI83@pres.vancouver.example.com"));
    assert_eq!(m.root_type(), Some("application/rlmi+xml"));
    assert_eq!(m.parts.len(), 2);
    let signed = m.parts[1].nested.as_ref().expect("multipart/signed");
    assert_eq!(signed.parts.len(), 2);
    assert_eq!(signed.parts[1].body, b"[PKCS #7 signature here]\r\n");
    assert_eq!(signed.parts[1].header("content-transfer-encoding"), Some("binary"));
    let related = signed.parts[0].nested.as_ref().expect("the nested multipart/related");
    assert_eq!(related.parts.len(), 3);
    let mark = related.part_by_cid("kkmdmv@STOCKHOLM.example.org").expect("Mark's part").body;
    assert!(mark.starts_with(b"<?xml") && mark.ends_with(b"</presence>\r\n"), "{}", String::from_utf8_lossy(mark));
}

#[test]
fn terminated_instance_keeps_its_reason_and_a_dangling_cid_gives_no_part() {
    let mut list = EventList::new();
    apply(&mut list, "rfc4662_1_full.sip").expect("v1");
    apply(&mut list, "rfc4662_2_partial.sip").expect("v2");
    let up = apply(&mut list, "rfc4662_3_partial_terminated.sip").expect("v3");
    let ed = find(&up, ED);
    assert_eq!((ed.state(), ed.reason(), ed.part.as_ref()), (Some(InstanceState::Terminated), Some("rejected"), None));
    let ed = list.resource(ED).expect("still listed until full state says otherwise");
    assert_eq!(ed.state(), Some(InstanceState::Terminated));
    assert_eq!(ed.instances[0].reason.as_deref(), Some("rejected"));

    // Bob's cid names a part the body does not have: the state comes without a body.
    let bob = find(&up, BOB);
    assert_eq!(bob.state(), Some(InstanceState::Active));
    assert!(bob.part.is_none());
    match &bob.change {
        ResourceChange::Instance(i) => assert_eq!(i.cid.as_deref(), Some("g7R2pQ@pres.vancouver.example.com")),
        other => panic!("{other:?}"),
    }
    let dave = find(&up, DAVE);
    assert_eq!(view(dave.part.as_ref().expect("Dave's part")), presence(UserStatus::Available, None));
}

#[test]
fn full_state_removes_resources_no_longer_listed() {
    let mut list = EventList::new();
    for name in ["rfc4662_1_full.sip", "rfc4662_2_partial.sip", "rfc4662_3_partial_terminated.sip"] {
        apply(&mut list, name).expect(name);
    }
    let up = apply(&mut list, "rfc4662_4_full_removal.sip").expect("v4");
    let removed: Vec<&str> =
        up.iter().filter(|u| u.change == ResourceChange::Removed).map(|u| u.uri.as_str()).collect();
    assert_eq!(removed, [ED, ORG]);
    assert!(up.iter().filter(|u| u.change == ResourceChange::Removed).all(|u| u.part.is_none()));
    assert_eq!(view(find(&up, BOB).part.as_ref().expect("Bob")).status, UserStatus::Unavailable);
    assert_eq!(view(find(&up, DAVE).part.as_ref().expect("Dave")).status, UserStatus::Available);
    let uris: Vec<&str> = list.resources().iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(uris, [BOB, DAVE]);
    assert_eq!(list.names().len(), 1, "the list names follow the last document that sent any");
}

#[test]
fn versions_stale_gap_and_resync() {
    let mut list = EventList::new();
    apply(&mut list, "rfc4662_1_full.sip").expect("v1");
    assert!(apply(&mut list, "rfc4662_1_full.sip").expect("duplicate").is_empty());
    // v3 after v1: v2 was lost.
    assert_eq!(apply(&mut list, "rfc4662_3_partial_terminated.sip"), Err(EventListError::Resync));
    assert!(list.needs_full_state());
    assert_eq!(apply(&mut list, "rfc4662_2_partial.sip"), Err(EventListError::Resync), "refused until full state");
    assert_eq!(list.version(), Some(1));
    assert_eq!(list.resource(ED).and_then(|r| r.state()), None, "nothing applied");
    let up = apply(&mut list, "rfc4662_4_full_removal.sip").expect("full state heals");
    assert!(!list.needs_full_state());
    assert_eq!(up.iter().filter(|u| u.change == ResourceChange::Removed).count(), 2);
    // Older documents are now stale, partial or full.
    assert!(apply(&mut list, "rfc4662_2_partial.sip").expect("stale").is_empty());
    assert!(apply(&mut list, "rfc4662_1_full.sip").expect("stale").is_empty());
    assert_eq!(list.resources().len(), 2);
    // A new subscription starts over.
    list.reset();
    apply(&mut list, "rfc4662_2_partial.sip").expect("a partial first document is the baseline");
    assert_eq!(list.resources().len(), 2);
}

// ----------------------------------------------------------------------------------------
// Asterisk (PRESENCE.md §1.7): random boundary, no `start`
// ----------------------------------------------------------------------------------------

#[test]
fn asterisk_presence_list_maps_each_part() {
    let mut list = EventList::new();
    let up = apply(&mut list, "asterisk_presence_full.sip").expect("applies");
    let busy = Some(LineState::Busy { peer: None });
    let want = [
        ("sip:1001@pbx.example", presence(UserStatus::Available, Some(LineState::Idle))),
        ("sip:1002@pbx.example", presence(UserStatus::Available, busy)),
        ("sip:1003@pbx.example", presence(UserStatus::Unavailable, Some(LineState::Offline))),
    ];
    assert_eq!(up.len(), want.len());
    for (u, (uri, v)) in up.iter().zip(want) {
        assert_eq!(u.uri, uri);
        assert_eq!(u.state(), Some(InstanceState::Active));
        assert_eq!(view(u.part.as_ref().expect("a PIDF part")), v, "{uri}");
    }
    assert_eq!(list.name(), Some("colleagues"));
    assert_eq!(list.version(), Some(0));
}

#[test]
fn asterisk_dialog_list_drives_per_resource_dialog_state() {
    let mut list = EventList::new();
    let mut lines: HashMap<String, DialogState> = HashMap::new();
    let mut feed = |updates: Vec<ResourceUpdate>| {
        for u in updates {
            let part = u.part.expect("a dialog-info part");
            assert!(part.content_type.is("application/dialog-info+xml"));
            let info = parse_dialog_info(&part.body).expect("dialog-info parses");
            lines.entry(u.uri).or_default().apply(info).expect("in order");
        }
    };
    feed(apply(&mut list, "asterisk_dialog_full.sip").expect("full"));
    feed(apply(&mut list, "asterisk_dialog_partial.sip").expect("partial"));
    let line = |uri: &str| lines[uri].line_state();
    assert_eq!(line("sip:1001@pbx.example"), LineState::Idle);
    assert_eq!(line("sip:1002@pbx.example"), LineState::Busy { peer: None });
    assert_eq!(line("sip:1003@pbx.example"), LineState::Ringing { caller: Some("Bob (2002)".into()) });
    assert_eq!(list.resources().len(), 3);
    assert_eq!(list.version(), Some(1));
}

// ----------------------------------------------------------------------------------------
// Tolerance
// ----------------------------------------------------------------------------------------

#[test]
fn lf_only_body_with_preamble_epilogue_padding_and_folded_content_id() {
    let mut list = EventList::new();
    let up = apply(&mut list, "tolerant_lf_preamble_epilogue.sip").expect("applies");
    assert_eq!(list.name(), Some("Team"));
    let alice = find(&up, "sip:alice@rls.example");
    assert_eq!(view(alice.part.as_ref().expect("cid matched despite case and brackets")).status, UserStatus::Available);
    let carol = find(&up, "sip:carol@rls.example");
    assert_eq!((carol.state(), carol.part.as_ref()), (Some(InstanceState::Pending), None));
}

#[test]
fn missing_close_delimiter_is_tolerated() {
    let (content_type, body) = notify("tolerant_missing_close.sip");
    assert!(!parse_multipart(&content_type, &body).expect("splits").closed);
    let mut list = EventList::new();
    let up = list.apply(&content_type, &body).expect("applies");
    assert_eq!(view(find(&up, "sip:bob@rls.example").part.as_ref().expect("Bob")).status, UserStatus::Unavailable);
}

#[test]
fn bare_rlmi_body_applies_without_parts() {
    let (content_type, body) = notify("rfc4662_1_full.sip");
    let m = parse_multipart(&content_type, &body).expect("splits");
    let rlmi = m.parts[0].body;
    let mut list = EventList::new();
    let up = list.apply("application/rlmi+xml;charset=\"UTF-8\"", rlmi).expect("applies");
    assert_eq!(up.len(), 4);
    assert!(up.iter().all(|u| u.part.is_none()));
    assert_eq!(list.resources().len(), 4);
}

// ----------------------------------------------------------------------------------------
// Garbage
// ----------------------------------------------------------------------------------------

/// Applies `body` to `list`, and feeds every part to the body parsers: nothing may panic.
fn shake(list: &mut EventList, content_type: &str, body: &[u8]) {
    if let Ok(updates) = list.apply(content_type, body) {
        for part in updates.into_iter().filter_map(|u| u.part) {
            let _ = parse_presence(&part.body);
            let _ = parse_dialog_info(&part.body);
            if part.is_list() {
                let _ = EventList::new().apply(&part.content_type.to_string(), &part.body);
            }
        }
    }
    let _ = parse_multipart(content_type, body);
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncations_never_panic() {
    for name in all_fixtures() {
        let (content_type, body) = notify(&name);
        // Every cut of the small bodies; 64 of the 2,000-part one.
        let step = if body.len() > 16 * 1024 { body.len() / 64 } else { 1 };
        let mut list = EventList::new();
        for cut in (0..=body.len()).step_by(step) {
            // One list sees every cut in turn (merges of garbage); fresh lists see some.
            shake(&mut list, &content_type, &body[..cut]);
            if cut % 7 == 0 {
                shake(&mut EventList::new(), &content_type, &body[..cut]);
            }
        }
        for cut in 0..=content_type.len() {
            if let Some(ct) = content_type.get(..cut) {
                shake(&mut EventList::new(), ct, &body);
            }
        }
    }
}

#[test]
fn bit_flips_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for name in all_fixtures() {
        let (content_type, body) = notify(&name);
        if body.len() > 16 * 1024 {
            continue;
        }
        let mut list = EventList::new();
        for i in 0..body.len() {
            let mut flipped = body.clone();
            flipped[i] ^= 1 << (rng.next() % 8);
            shake(&mut list, &content_type, &flipped);
        }
        for _ in 0..200 {
            let mut mangled = body.clone();
            for _ in 0..4 {
                let i = (rng.next() as usize) % mangled.len();
                mangled[i] = rng.next() as u8;
            }
            shake(&mut list, &content_type, &mangled);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let content_types = [
        "multipart/related;type=\"application/rlmi+xml\";boundary=b",
        "multipart/signed;boundary=b",
        "application/rlmi+xml",
        "multipart/related;boundary=\"b\";start=\"<x>\"",
    ];
    let alphabet =
        b"-b\r\n<>/=:\"x@ ;Content-Type: multipart/related;boundary=b\n\n<list version=\"1\" fullState=\"true\">";
    for round in 0..2000 {
        let len = (rng.next() % 512) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if round % 2 == 0 { alphabet[(r as usize) % alphabet.len()] } else { r as u8 }
            })
            .collect();
        shake(&mut EventList::new(), content_types[round % content_types.len()], &body);
    }
}
