//! Presence documents: `application/pidf+xml` (RFC 3863) with RPID (RFC 4480) and the
//! data model (RFC 4479), Kamailio's merged multi-publisher documents, chan_sip's draft
//! namespaces, Asterisk's `<digium_presence>` tuple, the old CPIM-PIDF namespace, and
//! `application/xpidf+xml`. The body is streamed once into a [`PresenceDoc`] of normalised
//! evidence; [`interpret`] turns that into a status (PRESENCE.md §4).
//!
//! Matching is by namespace + local name. Where servers disagree on namespaces the match
//! is by local name in any namespace: `note` (PIDF, `dm:`, `rpid:`), `person` (`dm:`,
//! chan_sip's `pp:`), `activities` and its children (`rpid:`, chan_sip's `ep:`),
//! `digium_presence`. Unknown elements are skipped.

use super::error::BodyError;
use super::timestamp::parse_rfc3339_ms;
use super::xml::{Item, Ns, XmlStream, push_text};

pub use super::interpret::{ActivityRule, DigiumRule, PresenceView, StatusMap, XpidfRule, interpret};

/// Which presence format the body was (sniffed from the root element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceFormat {
    /// `<presence xmlns="urn:ietf:params:xml:ns:pidf">`.
    Pidf,
    /// `<presence xmlns="urn:ietf:params:xml:ns:cpim-pidf">` (pre-RFC 3863 draft).
    CpimPidf,
    /// `<presence>` without a namespace: Microsoft/Asterisk xpidf (also what Asterisk
    /// sends for `application/cpim-pidf+xml`).
    Xpidf,
}

/// A tuple's `<basic>` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basic {
    /// `open`.
    Open,
    /// `closed`.
    Closed,
}

/// One `<tuple>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuple {
    /// The `id` attribute.
    pub id: Option<String>,
    /// `<status><basic>`, if present and one of the two words.
    pub basic: Option<Basic>,
}

/// One `dm:person` (or chan_sip `pp:person`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The `id` attribute (PJSIP omits it).
    pub id: Option<String>,
    /// The person's own `<timestamp>`, in milliseconds since the Unix epoch (UTC).
    pub timestamp: Option<i64>,
}

/// Where a note was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteScope {
    /// A direct child of `<presence>`.
    Presence,
    /// Inside the tuple with this index in [`PresenceDoc::tuples`].
    Tuple(usize),
    /// Inside the person with this index (including `<rpid:note>` in its activities).
    Person(usize),
    /// Inside a `dm:device` (describes hardware; not used for the status).
    Device,
}

/// One `<note>`, `<dm:note>` or `<rpid:note>`, trimmed, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text.
    pub text: String,
    /// Where it was.
    pub scope: NoteScope,
}

/// One activity: a child of an `<activities>` element, by local name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The local name (`away`, `on-the-phone`, `other`…) or, for the old draft's
    /// `<activity>away</activity>`, its text.
    pub token: String,
    /// Text inside the element, trimmed (Linphone's "Do not disturb" inside `<rpid:busy>`,
    /// the free text of `<rpid:other>`).
    pub text: Option<String>,
    /// The person it belongs to, or `None` for activities under a tuple.
    pub person: Option<usize>,
}

/// Asterisk's `<digium_presence type=… subtype=…>message</digium_presence>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigiumPresence {
    /// `type`: `not_set|unavailable|available|away|xa|chat|dnd` (lower-cased).
    pub kind: String,
    /// `subtype`, if present.
    pub subtype: Option<String>,
    /// The message (unescaped, trimmed), if non-empty.
    pub message: Option<String>,
}

/// xpidf `<status status=…/>` and `<msnsubstatus substatus=…/>` (first address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Xpidf {
    /// `open|inuse|closed`.
    pub status: Option<String>,
    /// `online|onthephone|offline|away|berightback|outtolunch|idle|busy`.
    pub substatus: Option<String>,
}

/// Lampboard's own private elements (`lb:status`, `lb:text`, `lb:note`), verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnStatus {
    /// The status word (see `UserStatus::as_str`).
    pub status: String,
    /// The custom text, for `custom`.
    pub text: Option<String>,
    /// The user's free note.
    pub note: Option<String>,
}

/// Normalised evidence from one presence body (no interpretation yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceDoc {
    /// The format of the body.
    pub format: PresenceFormat,
    /// The root's `entity` (do not key on it: chan_sip puts the watcher there).
    pub entity: Option<String>,
    /// Tuples in document order (Kamailio: one or more per publisher).
    pub tuples: Vec<Tuple>,
    /// Persons in document order.
    pub persons: Vec<Person>,
    /// All notes in document order.
    pub notes: Vec<Note>,
    /// All activities in document order.
    pub activities: Vec<Activity>,
    /// The first `<digium_presence>` element.
    pub digium: Option<DigiumPresence>,
    /// xpidf status (only for [`PresenceFormat::Xpidf`]).
    pub xpidf: Option<Xpidf>,
    /// Lampboard's own private status, when a Lampboard client published the document.
    pub own: Option<OwnStatus>,
}

impl PresenceDoc {
    fn new(format: PresenceFormat, entity: Option<String>) -> Self {
        Self {
            format,
            entity,
            tuples: Vec::new(),
            persons: Vec::new(),
            notes: Vec::new(),
            activities: Vec::new(),
            digium: None,
            xpidf: None,
            own: None,
        }
    }

    /// `Open` if any tuple is open, `Closed` if some tuple has a basic and none is open,
    /// `None` if no tuple has a basic.
    pub fn basic(&self) -> Option<Basic> {
        let mut seen = None;
        for t in &self.tuples {
            match t.basic {
                Some(Basic::Open) => return Some(Basic::Open),
                Some(Basic::Closed) => seen = Some(Basic::Closed),
                None => {}
            }
        }
        seen
    }

    /// The newest person timestamp, if any person has one.
    pub fn newest_person_timestamp(&self) -> Option<i64> {
        self.persons.iter().filter_map(|p| p.timestamp).max()
    }

    /// Whether evidence from `person` counts: tuple-level evidence (`None`) always does;
    /// when persons carry timestamps only the newest one(s) count (Kamailio's merge of
    /// several publishers), otherwise all do.
    pub fn person_counts(&self, person: Option<usize>, newest: Option<i64>) -> bool {
        match (person, newest) {
            (None, _) | (Some(_), None) => true,
            (Some(i), Some(ts)) => self.persons.get(i).and_then(|p| p.timestamp) == Some(ts),
        }
    }
}

/// Parses a presence body (PIDF, CPIM-PIDF or xpidf, sniffed from the root element).
pub fn parse_presence(body: &[u8]) -> Result<PresenceDoc, BodyError> {
    let mut x = XmlStream::new(body)?;
    let (ns, el) = x.root(b"presence")?;
    let format = match ns {
        Ns::Pidf => PresenceFormat::Pidf,
        Ns::CpimPidf => PresenceFormat::CpimPidf,
        Ns::None => PresenceFormat::Xpidf,
        _ => return Err(BodyError::WrongNamespace),
    };
    let entity = x.attr_string(&el, b"entity")?;
    let mut doc = PresenceDoc::new(format, entity);
    if format == PresenceFormat::Xpidf {
        parse_xpidf(&mut x, &mut doc)?;
    } else {
        parse_pidf(&mut x, &mut doc, ns)?;
    }
    Ok(doc)
}

fn parse_xpidf(x: &mut XmlStream<'_>, doc: &mut PresenceDoc) -> Result<(), BodyError> {
    let mut xp = Xpidf::default();
    loop {
        match x.next_item()? {
            Item::Eof => break,
            Item::Start { ns: Ns::None, el, .. } => match el.local_name().as_ref() {
                b"status" if xp.status.is_none() => xp.status = x.attr_string(&el, b"status")?,
                b"msnsubstatus" if xp.substatus.is_none() => {
                    xp.substatus = x.attr_string(&el, b"substatus")?;
                }
                _ => {}
            },
            _ => {}
        }
    }
    doc.xpidf = Some(xp);
    Ok(())
}

/// What the text being collected belongs to.
#[derive(Debug, Clone, Copy)]
enum Capture {
    Basic(usize),
    Note(NoteScope),
    Activity(usize),
    ActivityWord(Option<usize>),
    PersonTimestamp(usize),
    Digium,
    OwnStatus,
    OwnText,
    OwnNote,
}

/// Open containers, each with the depth of its element.
#[derive(Default)]
struct Open {
    tuple: Option<(usize, usize)>,
    person: Option<(usize, usize)>,
    device: Option<usize>,
    /// (depth, owning person)
    activities: Option<(usize, Option<usize>)>,
    capture: Option<(Capture, usize)>,
}

impl Open {
    fn note_scope(&self) -> NoteScope {
        if self.device.is_some() {
            NoteScope::Device
        } else if let Some((p, _)) = self.person {
            NoteScope::Person(p)
        } else if let Some((t, _)) = self.tuple {
            NoteScope::Tuple(t)
        } else {
            NoteScope::Presence
        }
    }
}

fn parse_pidf(x: &mut XmlStream<'_>, doc: &mut PresenceDoc, root_ns: Ns) -> Result<(), BodyError> {
    let mut open = Open::default();
    let mut buf = String::new();
    loop {
        let item = x.next_item()?;
        match item {
            Item::Eof => return Ok(()),
            Item::Text(_) | Item::Char(_) => {
                if open.capture.is_some() {
                    push_text(&mut buf, &item);
                }
            }
            Item::Start { ns, el, depth } => {
                if open.capture.is_some() {
                    continue; // markup inside collected text: keep its text, skip the tag
                }
                let local = el.local_name();
                let local = local.as_ref();
                let capture = |c: Capture| Some((c, depth));
                if ns == Ns::Lampboard {
                    open.capture = match local {
                        b"status" => capture(Capture::OwnStatus),
                        b"text" => capture(Capture::OwnText),
                        b"note" => capture(Capture::OwnNote),
                        _ => None,
                    };
                    continue;
                }
                if let Some((activities_depth, person)) = open.activities
                    && depth == activities_depth + 1
                    && local != b"note"
                {
                    open.capture = if local == b"activity" {
                        capture(Capture::ActivityWord(person))
                    } else {
                        doc.activities.push(Activity {
                            token: String::from_utf8_lossy(local).into_owned(),
                            text: None,
                            person,
                        });
                        capture(Capture::Activity(doc.activities.len() - 1))
                    };
                    continue;
                }
                match local {
                    b"tuple" if ns == root_ns && open.tuple.is_none() => {
                        let id = x.attr_string(&el, b"id")?;
                        doc.tuples.push(Tuple { id, basic: None });
                        open.tuple = Some((doc.tuples.len() - 1, depth));
                    }
                    b"basic" if ns == root_ns => {
                        if let Some((t, _)) = open.tuple {
                            open.capture = capture(Capture::Basic(t));
                        }
                    }
                    b"note" => open.capture = capture(Capture::Note(open.note_scope())),
                    b"person" if open.tuple.is_none() && open.person.is_none() => {
                        let id = x.attr_string(&el, b"id")?;
                        doc.persons.push(Person { id, timestamp: None });
                        open.person = Some((doc.persons.len() - 1, depth));
                    }
                    b"device" if open.tuple.is_none() && open.person.is_none() => {
                        open.device = Some(depth);
                    }
                    b"activities" if open.activities.is_none() && open.device.is_none() => {
                        open.activities = Some((depth, open.person.map(|(p, _)| p)));
                    }
                    b"timestamp" => {
                        if let Some((p, person_depth)) = open.person
                            && depth == person_depth + 1
                        {
                            open.capture = capture(Capture::PersonTimestamp(p));
                        }
                    }
                    b"digium_presence" if doc.digium.is_none() => {
                        let kind = x.attr(&el, b"type")?.map(|k| k.trim().to_ascii_lowercase()).unwrap_or_default();
                        let subtype = x.attr_string(&el, b"subtype")?.filter(|s| !s.is_empty());
                        doc.digium = Some(DigiumPresence { kind, subtype, message: None });
                        open.capture = capture(Capture::Digium);
                    }
                    _ => {}
                }
            }
            Item::End { depth } => {
                if let Some((what, capture_depth)) = open.capture
                    && capture_depth == depth
                {
                    finish(doc, what, &buf);
                    buf.clear();
                    open.capture = None;
                }
                if open.tuple.is_some_and(|(_, d)| d == depth) {
                    open.tuple = None;
                }
                if open.person.is_some_and(|(_, d)| d == depth) {
                    open.person = None;
                }
                if open.device == Some(depth) {
                    open.device = None;
                }
                if open.activities.is_some_and(|(d, _)| d == depth) {
                    open.activities = None;
                }
            }
        }
    }
}

/// Stores collected text where it belongs.
fn finish(doc: &mut PresenceDoc, what: Capture, raw: &str) {
    let text = raw.trim();
    let non_empty = || (!text.is_empty()).then(|| text.to_owned());
    match what {
        Capture::Basic(t) => {
            let basic = if text.eq_ignore_ascii_case("open") {
                Some(Basic::Open)
            } else if text.eq_ignore_ascii_case("closed") {
                Some(Basic::Closed)
            } else {
                None
            };
            if let Some(tuple) = doc.tuples.get_mut(t) {
                tuple.basic = basic;
            }
        }
        Capture::Note(scope) => {
            if let Some(text) = non_empty() {
                doc.notes.push(Note { text, scope });
            }
        }
        Capture::Activity(i) => {
            if let Some(activity) = doc.activities.get_mut(i) {
                activity.text = non_empty();
            }
        }
        Capture::ActivityWord(person) => {
            if let Some(token) = non_empty() {
                doc.activities.push(Activity { token, text: None, person });
            }
        }
        Capture::PersonTimestamp(p) => {
            if let Some(person) = doc.persons.get_mut(p) {
                person.timestamp = parse_rfc3339_ms(text);
            }
        }
        Capture::Digium => {
            if let Some(d) = doc.digium.as_mut() {
                d.message = non_empty();
            }
        }
        // Lampboard's own elements are kept verbatim (no trimming) for an exact round trip.
        Capture::OwnStatus => doc.own.get_or_insert_with(Default::default).status = raw.to_owned(),
        Capture::OwnText => doc.own.get_or_insert_with(Default::default).text = Some(raw.to_owned()),
        Capture::OwnNote => doc.own.get_or_insert_with(Default::default).note = Some(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_person_notes_and_activities_are_collected() {
        let body = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
            xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
            xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@example.com">
          <tuple id="t1"><status><basic> open </basic></status><note>Tuple note</note></tuple>
          <dm:person id="p1">
            <rpid:activities><rpid:note>Act note</rpid:note><rpid:busy>Do not disturb</rpid:busy><rpid:on-the-phone/></rpid:activities>
            <dm:note>Person note</dm:note>
            <dm:timestamp>2026-01-01T10:00:00Z</dm:timestamp>
          </dm:person>
          <note>Doc note</note>
        </presence>"#;
        let doc = parse_presence(body).unwrap();
        assert_eq!(doc.format, PresenceFormat::Pidf);
        assert_eq!(doc.entity.as_deref(), Some("sip:a@example.com"));
        assert_eq!(doc.basic(), Some(Basic::Open));
        assert_eq!(doc.persons.len(), 1);
        assert!(doc.persons[0].timestamp.is_some());
        let notes: Vec<_> = doc.notes.iter().map(|n| (n.text.as_str(), n.scope)).collect();
        assert_eq!(
            notes,
            [
                ("Tuple note", NoteScope::Tuple(0)),
                ("Act note", NoteScope::Person(0)),
                ("Person note", NoteScope::Person(0)),
                ("Doc note", NoteScope::Presence),
            ]
        );
        let acts: Vec<_> = doc.activities.iter().map(|a| (a.token.as_str(), a.text.as_deref())).collect();
        assert_eq!(acts, [("busy", Some("Do not disturb")), ("on-the-phone", None)]);
    }

    #[test]
    fn old_draft_activity_word_is_a_token() {
        let body = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
            xmlns:ep="urn:ietf:params:xml:ns:pidf:rpid:rpid-person"
            xmlns:pp="urn:ietf:params:xml:ns:pidf:person" entity="sip:c@x">
          <pp:person><status><ep:activities><ep:activity>away</ep:activity></ep:activities></status></pp:person>
          <tuple id="x"><status><basic>open</basic></status></tuple></presence>"#;
        let doc = parse_presence(body).unwrap();
        assert_eq!(doc.activities[0].token, "away");
        assert_eq!(doc.activities[0].person, Some(0));
    }

    #[test]
    fn roots_are_sniffed() {
        assert_eq!(parse_presence(b"<presence xmlns='urn:example'/>"), Err(BodyError::WrongNamespace));
        assert!(matches!(
            parse_presence(b"<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info'/>"),
            Err(BodyError::UnexpectedRoot(_))
        ));
        let cpim = parse_presence(b"<presence xmlns='urn:ietf:params:xml:ns:cpim-pidf:'/>").unwrap();
        assert_eq!(cpim.format, PresenceFormat::CpimPidf);
    }
}
