//! From evidence to a status: PRESENCE.md §4 rows 1–24, evaluated top-down, driven by a
//! [`StatusMap`] whose [`Default`] is the table in PRESENCE.md so a PBX profile can change
//! words and rules without touching code.
//!
//! The line state is taken independently of the status (rows 7, 8, 10, 18, 23, 24), and an
//! Asterisk "Ready" note or an xpidf `online` gives a positive `Idle`.
//!
//! Decisions beyond the table (see also the field docs):
//! * An Asterisk line note ("Ringing", "On the phone", "On hold") is line evidence on its
//!   own, also without `busy`/`on-the-phone` (PJSIP without the eyebeam supplement).
//! * `closed` together with line evidence (PJSIP: in use, ringing, on hold) is a busy
//!   device, so the user is reachable: `Available` (rows 18/19), not `Unavailable`.
//! * The note shown is the first note that is not one of the map's known phrases, looked up
//!   in order: the (newest) person's notes and activity texts, notes on `<presence>`, tuple
//!   notes. Notes in `dm:device` are ignored.

use super::pidf::{Activity, Basic, PresenceDoc};
use super::status::{LineState, UserStatus};
use super::xml::phrase_eq;

/// What an Asterisk `<digium_presence type=…>` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigiumRule {
    /// This status (the message, if any, becomes the note).
    Status(UserStatus),
    /// Row 1: `Available`, or `Custom(message)` when the message is non-empty and not a
    /// known status phrase.
    AvailableOrCustom,
    /// `Custom(message or subtype)` (for a UCM `userdef`, should it appear).
    Custom,
    /// Row 6: not evidence; evaluation continues.
    FallThrough,
}

/// What an RPID activity token means. The order of [`StatusMap::activities`] is the
/// priority: the first rule whose token is present decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityRule {
    /// This status.
    Status(UserStatus),
    /// This status unless a line note (row 7) is present; chan_sip's `busy` + "Ringing"
    /// is a line state, `busy` alone is DND (row 9).
    StatusUnlessLineNote(UserStatus),
    /// Row 10/11: `Unavailable` + line `Offline` when the basic is closed (chan_sip's
    /// unregistered device), else this status.
    StatusOrOfflineWhenClosed(UserStatus),
    /// Row 12: this status; the note shown is the free note, or else the token.
    StatusLabelled(UserStatus),
    /// Row 13: `Custom(free note, or activity text, or token)`.
    Custom,
    /// Rows 15/16: `<other>` text; a [`StatusMap::chat_words`] word → Chat, any other
    /// non-empty text → `Custom(text)`, empty → not evidence.
    OtherText,
    /// Line evidence only (row 8: `on-the-phone` → Busy); never decides the status.
    Line(LineState),
}

/// What an xpidf `status` or `msnsubstatus` word means (rows 20–24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XpidfRule {
    /// The status it gives, if any.
    pub status: Option<UserStatus>,
    /// The line state it gives, if any.
    pub line: Option<LineState>,
}

/// The table that turns presence evidence into a [`PresenceView`]. All word comparisons
/// ignore ASCII case; note phrases also ignore extra whitespace and a trailing `.`/`!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMap {
    /// `<digium_presence type>` → rule (rows 1–6). Unlisted types fall through.
    pub digium: Vec<(String, DigiumRule)>,
    /// Activity token → rule, in priority order (rows 8–16).
    pub activities: Vec<(String, ActivityRule)>,
    /// `<other>` texts meaning Chat (row 15).
    pub chat_words: Vec<String>,
    /// Notes that are line evidence (rows 7/8): Asterisk's "Ringing", "On the phone",
    /// "On hold".
    pub line_notes: Vec<(String, LineState)>,
    /// Notes that mean the line is idle (Asterisk's "Ready").
    pub idle_notes: Vec<String>,
    /// Notes that, with `closed` and no line evidence, mean the device is offline (row 18).
    pub offline_notes: Vec<String>,
    /// Note phrase → status (row 17), first match in note order wins.
    pub note_phrases: Vec<(String, UserStatus)>,
    /// xpidf `msnsubstatus` word → rule (rows 20–24), consulted first.
    pub xpidf_substatus: Vec<(String, XpidfRule)>,
    /// xpidf `status` word → rule, for what the substatus did not give.
    pub xpidf_status: Vec<(String, XpidfRule)>,
    /// `closed` plus line evidence → `Available` (true, see the module docs) instead of
    /// continuing to row 20 and ending `Unknown` (false).
    pub closed_in_call_is_available: bool,
    /// A bare `closed` tuple (no person, note, activity or status extension) means the device
    /// went away: what registrars publish on un-REGISTER or expiry (Kamailio's pua_usrloc, an
    /// expired publication). Shown as line `Offline`, never as an idle line.
    pub bare_closed_is_offline: bool,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

fn xp(status: Option<UserStatus>, line: Option<LineState>) -> XpidfRule {
    XpidfRule { status, line }
}

impl Default for StatusMap {
    /// PRESENCE.md §4.
    fn default() -> Self {
        use ActivityRule as A;
        use UserStatus as S;
        let mut activities: Vec<(String, ActivityRule)> = vec![
            ("busy".into(), A::StatusUnlessLineNote(S::Dnd)),
            ("on-the-phone".into(), A::Line(LineState::Busy { peer: None })),
            ("away".into(), A::StatusOrOfflineWhenClosed(S::Away)),
            ("sleeping".into(), A::Status(S::Away)),
        ];
        for token in [
            "lunch",
            "breakfast",
            "dinner",
            "meal",
            "in-transit",
            "steering",
            "travel",
            "shopping",
            "vacation",
            "holiday",
        ] {
            activities.push((token.into(), A::StatusLabelled(S::Away)));
        }
        for token in ["meeting", "appointment", "presentation", "performance", "working", "worship", "spectator"] {
            activities.push((token.into(), A::Custom));
        }
        activities.push(("permanent-absence".into(), A::Status(S::Unavailable)));
        activities.push(("other".into(), A::OtherText));
        let mut note_phrases = Vec::new();
        for (list, status) in [
            (&["dnd", "do not disturb"][..], S::Dnd),
            (&["away", "be right back", "out to lunch"][..], S::Away),
            (&["chat"][..], S::Chat),
            (&["ready", "available", "online"][..], S::Available),
            (&["unavailable", "offline", "not online"][..], S::Unavailable),
        ] {
            for phrase in list {
                note_phrases.push(((*phrase).to_owned(), status.clone()));
            }
        }
        let away = || xp(Some(S::Away), None);
        StatusMap {
            digium: vec![
                ("available".into(), DigiumRule::AvailableOrCustom),
                ("away".into(), DigiumRule::Status(S::Away)),
                ("xa".into(), DigiumRule::Status(S::Away)),
                ("chat".into(), DigiumRule::Status(S::Chat)),
                ("dnd".into(), DigiumRule::Status(S::Dnd)),
                ("unavailable".into(), DigiumRule::Status(S::Unavailable)),
                ("userdef".into(), DigiumRule::Custom),
                ("custom".into(), DigiumRule::Custom),
                ("not_set".into(), DigiumRule::FallThrough),
            ],
            activities,
            chat_words: words(&["chat"]),
            line_notes: vec![
                ("ringing".into(), LineState::Ringing { caller: None }),
                ("on the phone".into(), LineState::Busy { peer: None }),
                ("on hold".into(), LineState::Held),
            ],
            idle_notes: words(&["ready"]),
            offline_notes: words(&["unavailable", "not online"]),
            note_phrases,
            xpidf_substatus: vec![
                ("online".into(), xp(Some(S::Available), Some(LineState::Idle))),
                ("away".into(), away()),
                ("berightback".into(), away()),
                ("outtolunch".into(), away()),
                ("idle".into(), away()),
                ("busy".into(), xp(Some(S::Dnd), None)),
                ("onthephone".into(), xp(None, Some(LineState::Busy { peer: None }))),
                ("offline".into(), xp(Some(S::Unavailable), Some(LineState::Offline))),
            ],
            xpidf_status: vec![
                ("open".into(), xp(Some(S::Available), None)),
                ("inuse".into(), xp(Some(S::Available), Some(LineState::Busy { peer: None }))),
                ("closed".into(), xp(Some(S::Unavailable), Some(LineState::Offline))),
            ],
            closed_in_call_is_available: true,
            bare_closed_is_offline: true,
        }
    }
}

impl StatusMap {
    /// True if `note` is one of the map's known phrases (status, line, idle or offline),
    /// i.e. machine text rather than something a person wrote.
    pub fn is_known_phrase(&self, note: &str) -> bool {
        self.note_phrases.iter().any(|(p, _)| phrase_eq(note, p))
            || self.line_notes.iter().any(|(p, _)| phrase_eq(note, p))
            || self.idle_notes.iter().any(|p| phrase_eq(note, p))
            || self.offline_notes.iter().any(|p| phrase_eq(note, p))
    }

    fn line_note(&self, note: &str) -> Option<&LineState> {
        self.line_notes.iter().find(|(p, _)| phrase_eq(note, p)).map(|(_, l)| l)
    }
}

/// What a presence body says about a colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceView {
    /// The user status.
    pub status: UserStatus,
    /// A human note to show under the status (never one of the map's machine phrases).
    pub note: Option<String>,
    /// The line state, when the body carries line evidence; `None` when it says nothing
    /// about the line.
    pub line: Option<LineState>,
}

/// The outcome of the status rows.
struct Verdict<'d> {
    status: UserStatus,
    /// A note to show if no free note exists (row 12's token).
    fallback_note: Option<&'d str>,
    /// The note (or message) the status already shows; not repeated as the note.
    consumed: Option<&'d str>,
    /// A note that wins over free notes (the digium message).
    forced_note: Option<&'d str>,
    /// Row 10 said the device is offline.
    offline: bool,
}

impl<'d> Verdict<'d> {
    fn new(status: UserStatus) -> Self {
        Verdict { status, fallback_note: None, consumed: None, forced_note: None, offline: false }
    }
}

/// Interprets `doc` with `map` (PRESENCE.md §4 rows 1–24, top-down).
pub fn interpret(doc: &PresenceDoc, map: &StatusMap) -> PresenceView {
    let newest = doc.newest_person_timestamp();
    let acts: Vec<&Activity> = doc.activities.iter().filter(|a| doc.person_counts(a.person, newest)).collect();
    let notes = candidate_notes(doc, newest, &acts);
    let basic = doc.basic();

    // Line evidence (rows 7/8): a line note wins over the activity's default.
    let line_from_note = notes.iter().find_map(|n| map.line_note(n));
    let line_from_activity = map.activities.iter().find_map(|(token, rule)| match rule {
        ActivityRule::Line(l) if acts.iter().any(|a| a.token.eq_ignore_ascii_case(token)) => Some(l),
        _ => None,
    });
    let line_evidence = line_from_note.or(line_from_activity).cloned();

    // Our own clients: the private element is exact.
    if let Some(own) = &doc.own
        && let Some(status) = UserStatus::from_wire(&own.status, own.text.as_deref())
    {
        return PresenceView { status, note: own.note.clone().filter(|n| !n.is_empty()), line: line_evidence };
    }

    let (xpidf_status, xpidf_line) = xpidf_rows(doc, map);
    let verdict = digium_rows(doc, map)
        .or_else(|| activity_rows(map, &acts, &notes, basic, line_from_note.is_some()))
        .or_else(|| note_rows(map, &notes))
        .or_else(|| basic_rows(map, basic, line_evidence.is_some()))
        .or_else(|| xpidf_status.map(Verdict::new))
        .unwrap_or_else(|| Verdict::new(UserStatus::Unknown));

    let note = verdict
        .forced_note
        .map(str::to_owned)
        .or_else(|| {
            notes.iter().find(|n| !map.is_known_phrase(n) && Some(**n) != verdict.consumed).map(|n| (*n).to_owned())
        })
        .or_else(|| verdict.fallback_note.map(str::to_owned));

    let closed_offline = basic == Some(Basic::Closed)
        && line_evidence.is_none()
        && notes.iter().any(|n| map.offline_notes.iter().any(|p| phrase_eq(n, p)));
    let bare_closed = map.bare_closed_is_offline
        && basic == Some(Basic::Closed)
        && line_evidence.is_none()
        && notes.is_empty()
        && acts.is_empty()
        && doc.persons.is_empty()
        && doc.own.is_none()
        && doc.digium.is_none();
    let line = if line_evidence.is_some() {
        line_evidence
    } else if verdict.offline || closed_offline || bare_closed {
        Some(LineState::Offline)
    } else if xpidf_line.is_some() {
        xpidf_line
    } else if notes.iter().any(|n| map.idle_notes.iter().any(|p| phrase_eq(n, p))) {
        Some(LineState::Idle)
    } else {
        None
    };
    PresenceView { status: verdict.status, note, line }
}

/// Notes and activity texts that count, in the order they are looked at.
fn candidate_notes<'d>(doc: &'d PresenceDoc, newest: Option<i64>, acts: &[&'d Activity]) -> Vec<&'d str> {
    use super::pidf::NoteScope;
    let mut out = Vec::with_capacity(doc.notes.len() + acts.len());
    for n in &doc.notes {
        if let NoteScope::Person(p) = n.scope
            && doc.person_counts(Some(p), newest)
        {
            out.push(n.text.as_str());
        }
    }
    for a in acts {
        if let Some(text) = &a.text
            && !a.token.eq_ignore_ascii_case("other")
        {
            out.push(text.as_str());
        }
    }
    let presence = doc.notes.iter().filter(|n| n.scope == NoteScope::Presence);
    out.extend(presence.map(|n| n.text.as_str()));
    let tuples = doc.notes.iter().filter(|n| matches!(n.scope, NoteScope::Tuple(_)));
    out.extend(tuples.map(|n| n.text.as_str()));
    out
}

/// Rows 1–6.
fn digium_rows<'d>(doc: &'d PresenceDoc, map: &StatusMap) -> Option<Verdict<'d>> {
    let dp = doc.digium.as_ref()?;
    let rule = map.digium.iter().find(|(kind, _)| kind.eq_ignore_ascii_case(&dp.kind)).map(|(_, r)| r)?;
    let message = dp.message.as_deref();
    let mut v = match rule {
        DigiumRule::FallThrough => return None,
        DigiumRule::Status(s) => Verdict::new(s.clone()),
        DigiumRule::AvailableOrCustom => match message {
            Some(m) if !map.is_known_phrase(m) => {
                let mut v = Verdict::new(UserStatus::Custom(m.to_owned()));
                v.consumed = Some(m);
                return Some(v);
            }
            _ => Verdict::new(UserStatus::Available),
        },
        DigiumRule::Custom => {
            let text = message.or(dp.subtype.as_deref()).unwrap_or_default();
            let mut v = Verdict::new(UserStatus::Custom(text.to_owned()));
            v.consumed = Some(text);
            return Some(v);
        }
    };
    v.forced_note = message.filter(|m| !map.is_known_phrase(m));
    Some(v)
}

/// Rows 7–16 (status part).
fn activity_rows<'d>(
    map: &StatusMap,
    acts: &[&'d Activity],
    notes: &[&'d str],
    basic: Option<Basic>,
    has_line_note: bool,
) -> Option<Verdict<'d>> {
    let free_note = || notes.iter().copied().find(|n| !map.is_known_phrase(n));
    for (token, rule) in &map.activities {
        let Some(act) = acts.iter().find(|a| a.token.eq_ignore_ascii_case(token)) else {
            continue;
        };
        match rule {
            ActivityRule::Line(_) => {}
            ActivityRule::Status(s) => return Some(Verdict::new(s.clone())),
            ActivityRule::StatusUnlessLineNote(s) => {
                if !has_line_note {
                    return Some(Verdict::new(s.clone()));
                }
            }
            ActivityRule::StatusOrOfflineWhenClosed(s) => {
                if basic == Some(Basic::Closed) {
                    let mut v = Verdict::new(UserStatus::Unavailable);
                    v.offline = true;
                    return Some(v);
                }
                return Some(Verdict::new(s.clone()));
            }
            ActivityRule::StatusLabelled(s) => {
                let mut v = Verdict::new(s.clone());
                v.fallback_note = Some(act.token.as_str());
                return Some(v);
            }
            ActivityRule::Custom => {
                let label = free_note().unwrap_or(act.token.as_str());
                let mut v = Verdict::new(UserStatus::Custom(label.to_owned()));
                v.consumed = Some(label);
                return Some(v);
            }
            ActivityRule::OtherText => {
                let text = acts.iter().filter(|a| a.token.eq_ignore_ascii_case(token)).find_map(|a| a.text.as_deref());
                if let Some(text) = text {
                    if map.chat_words.iter().any(|w| phrase_eq(text, w)) {
                        return Some(Verdict::new(UserStatus::Chat));
                    }
                    let mut v = Verdict::new(UserStatus::Custom(text.to_owned()));
                    v.consumed = Some(text);
                    return Some(v);
                }
            }
        }
    }
    None
}

/// Row 17.
fn note_rows<'d>(map: &StatusMap, notes: &[&'d str]) -> Option<Verdict<'d>> {
    notes
        .iter()
        .find_map(|n| map.note_phrases.iter().find(|(p, _)| phrase_eq(n, p)).map(|(_, s)| Verdict::new(s.clone())))
}

/// Rows 18–19.
fn basic_rows<'d>(map: &StatusMap, basic: Option<Basic>, in_call: bool) -> Option<Verdict<'d>> {
    match basic? {
        Basic::Open => Some(Verdict::new(UserStatus::Available)),
        Basic::Closed if !in_call => Some(Verdict::new(UserStatus::Unavailable)),
        Basic::Closed if map.closed_in_call_is_available => Some(Verdict::new(UserStatus::Available)),
        Basic::Closed => None,
    }
}

/// Rows 20–24: (status, line), substatus first, then the status word for what is missing.
fn xpidf_rows(doc: &PresenceDoc, map: &StatusMap) -> (Option<UserStatus>, Option<LineState>) {
    let Some(x) = &doc.xpidf else {
        return (None, None);
    };
    let lookup = |table: &[(String, XpidfRule)], word: Option<&str>| {
        word.and_then(|w| table.iter().find(|(k, _)| k.eq_ignore_ascii_case(w.trim()))).map(|(_, r)| r.clone())
    };
    let sub = lookup(&map.xpidf_substatus, x.substatus.as_deref());
    let main = lookup(&map.xpidf_status, x.status.as_deref());
    let status = sub.as_ref().and_then(|r| r.status.clone()).or_else(|| main.as_ref().and_then(|r| r.status.clone()));
    let line = sub.and_then(|r| r.line).or_else(|| main.and_then(|r| r.line));
    (status, line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::pidf::parse_presence;

    fn view(body: &str) -> PresenceView {
        interpret(&parse_presence(body.as_bytes()).unwrap(), &StatusMap::default())
    }

    const HEAD: &str = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@x">"#;

    #[test]
    fn meeting_becomes_custom_with_the_note_as_label() {
        let v = view(&format!(
            "{HEAD}<tuple id='t'><status><basic>open</basic></status></tuple><dm:person id='p'><rpid:activities><rpid:meeting/></rpid:activities><dm:note>Budget review</dm:note></dm:person></presence>"
        ));
        assert_eq!(v.status, UserStatus::Custom("Budget review".into()));
        assert_eq!(v.note, None);
    }

    #[test]
    fn lunch_is_away_labelled_with_the_token() {
        let v = view(&format!(
            "{HEAD}<tuple id='t'><status><basic>open</basic></status></tuple><dm:person id='p'><rpid:activities><rpid:lunch/></rpid:activities></dm:person></presence>"
        ));
        assert_eq!(v.status, UserStatus::Away);
        assert_eq!(v.note.as_deref(), Some("lunch"));
    }

    #[test]
    fn other_chat_and_other_text() {
        let chat = view(&format!(
            "{HEAD}<dm:person id='p'><rpid:activities><rpid:other>chat</rpid:other></rpid:activities></dm:person></presence>"
        ));
        assert_eq!(chat.status, UserStatus::Chat);
        let custom = view(&format!(
            "{HEAD}<dm:person id='p'><rpid:activities><rpid:other>Working from home</rpid:other></rpid:activities><dm:note>Working from home</dm:note></dm:person></presence>"
        ));
        assert_eq!(custom.status, UserStatus::Custom("Working from home".into()));
        assert_eq!(custom.note, None);
    }

    #[test]
    fn permanent_absence_is_unavailable() {
        let v = view(&format!(
            "{HEAD}<tuple id='t'><status><basic>open</basic></status></tuple><dm:person id='p'><rpid:activities><rpid:permanent-absence/></rpid:activities></dm:person></presence>"
        ));
        assert_eq!(v.status, UserStatus::Unavailable);
    }

    #[test]
    fn a_profile_can_change_the_table() {
        let mut map = StatusMap::default();
        map.digium[0].1 = DigiumRule::Status(UserStatus::Available);
        let doc = parse_presence(
            format!("{HEAD}<tuple id='d'><status><digium_presence type='available'>At desk</digium_presence></status></tuple></presence>").as_bytes(),
        )
        .unwrap();
        let v = interpret(&doc, &map);
        assert_eq!(v.status, UserStatus::Available);
        assert_eq!(v.note.as_deref(), Some("At desk"));
        let v = interpret(&doc, &StatusMap::default());
        assert_eq!(v.status, UserStatus::Custom("At desk".into()));
        assert_eq!(v.note, None);
    }
}
