//! RFC 4662 resource lists (eventlists): `application/rlmi+xml` documents ([`parse_rlmi`])
//! and the state of one list subscription across NOTIFYs ([`EventList`]).
//!
//! A list NOTIFY is `multipart/related;type="application/rlmi+xml"`: one RLMI part names
//! the resources and their subscription instances, and each instance's `cid` points at the
//! part (PIDF, dialog-info, or a nested list) that carries its state. [`EventList::apply`]
//! takes such a body and returns one [`ResourceUpdate`] per instance (with its part), per
//! resource listed without instances, and per resource a full-state NOTIFY dropped. The
//! parts are handed on as bytes: the caller feeds them to [`parse_presence`] or
//! [`parse_dialog_info`] for the resource's lamp. See `shared/docs/PRESENCE.md` §1.7 (Asterisk)
//! and §2 (Grandstream UCM Eventlist).
//!
//! [`parse_presence`]: super::parse_presence
//! [`parse_dialog_info`]: super::parse_dialog_info

use super::error::BodyError;
use super::multipart::{MAX_MULTIPART_LEN, MediaType, Multipart, MultipartError, Part, parse_multipart_as};
use super::xml::{Item, Ns, XmlStream, push_text};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Largest RLMI document accepted, in bytes: the multipart limit, since the RLMI of a long
/// list outgrows the 64 KiB of a single presence body.
pub const MAX_LIST_LEN: usize = MAX_MULTIPART_LEN;

/// Most resources an [`EventList`] keeps. A body naming more, or partial updates that
/// would grow the list past it, are refused with [`EventListError::TooManyResources`].
pub const MAX_RESOURCES: usize = 4096;

/// The media type of RLMI documents.
pub const RLMI_TYPE: &str = "application/rlmi+xml";

/// A `<name>` of a list or resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The `xml:lang` attribute.
    pub lang: Option<String>,
    /// The name, trimmed.
    pub text: String,
}

/// The state of one back-end subscription (`<instance state=…>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// `active`: the state is being reported.
    Active,
    /// `pending`: waiting for authorisation.
    Pending,
    /// `terminated`: the back-end subscription ended; see the instance's `reason`.
    Terminated,
}

impl InstanceState {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Active => "active",
            InstanceState::Pending => "pending",
            InstanceState::Terminated => "terminated",
        }
    }
}

/// One `<instance>`: one subscription to the resource made by the list server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The `id` attribute (empty when missing).
    pub id: String,
    /// The `state` attribute.
    pub state: InstanceState,
    /// The `reason` attribute (`rejected`, `noresource`, `timeout`, …; RFC 6665 reasons),
    /// sent with `terminated`.
    pub reason: Option<String>,
    /// The `cid` attribute: the Content-ID of the part with this instance's state, as sent.
    pub cid: Option<String>,
}

/// One `<resource>` and what the list knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The `uri` attribute: the resource's key.
    pub uri: String,
    /// The `<name>`s, in document order.
    pub names: Vec<Name>,
    /// The `<instance>`s, in document order; none when the server has no subscription to
    /// the resource (yet).
    pub instances: Vec<Instance>,
}

impl Resource {
    /// The first name, for a label.
    pub fn name(&self) -> Option<&str> {
        self.names.first().map(|n| n.text.as_str())
    }

    /// The best instance state: active over pending over terminated; `None` without
    /// instances.
    pub fn state(&self) -> Option<InstanceState> {
        [InstanceState::Active, InstanceState::Pending, InstanceState::Terminated]
            .into_iter()
            .find(|s| self.instances.iter().any(|i| i.state == *s))
    }
}

/// One parsed RLMI document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RlmiList {
    /// The list's `uri` attribute.
    pub uri: Option<String>,
    /// The `version` attribute (required).
    pub version: u32,
    /// The `fullState` attribute (required): true when every resource is listed.
    pub full: bool,
    /// The list's `<name>`s.
    pub names: Vec<Name>,
    /// The resources, in document order.
    pub resources: Vec<Resource>,
}

/// Parses an `application/rlmi+xml` document.
///
/// The root must be `<list>` in the RLMI namespace (or, leniently, in none). `version` and
/// `fullState` are required (RFC 4662 §5.2; the merge cannot work without them), so are a
/// resource's `uri` and an instance's `state` (`active|pending|terminated`, case-insensitive);
/// a missing instance `id` reads as empty. Unknown elements and attributes are skipped.
/// Documents over [`MAX_LIST_LEN`] give [`BodyError::TooLarge`].
pub fn parse_rlmi(body: &[u8]) -> Result<RlmiList, BodyError> {
    let mut x = XmlStream::with_limit(body, MAX_LIST_LEN)?;
    let (ns, el) = x.root(b"list")?;
    if !matches!(ns, Ns::Rlmi | Ns::None) {
        return Err(BodyError::WrongNamespace);
    }
    let uri = x.attr_string(&el, b"uri")?;
    let version = x
        .attr(&el, b"version")?
        .ok_or_else(|| BodyError::malformed("RLMI list without a version"))?
        .trim()
        .parse::<u32>()
        .map_err(|_| BodyError::malformed("RLMI version is not a number"))?;
    let full = match x.attr(&el, b"fullState")?.as_deref().map(str::trim) {
        Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(_) => return Err(BodyError::malformed("RLMI fullState is not a boolean")),
        None => return Err(BodyError::malformed("RLMI list without fullState")),
    };
    let mut list = RlmiList { uri, version, full, names: Vec::new(), resources: Vec::new() };
    parse_children(&mut x, ns, &mut list)?;
    Ok(list)
}

fn parse_children(x: &mut XmlStream<'_>, ns: Ns, list: &mut RlmiList) -> Result<(), BodyError> {
    let mut current: Option<(Resource, usize)> = None;
    let mut capture: Option<(Option<String>, usize)> = None;
    let mut buf = String::new();
    loop {
        let item = x.next_item()?;
        match item {
            Item::Eof => return Ok(()),
            Item::Text(_) | Item::Char(_) => {
                if capture.is_some() {
                    push_text(&mut buf, &item);
                }
            }
            Item::Start { ns: el_ns, el, depth } => {
                if el_ns != ns || capture.is_some() {
                    continue;
                }
                match (el.local_name().as_ref(), depth, current.as_mut()) {
                    (b"name", 2, None) | (b"name", 3, Some(_)) => {
                        capture = Some((x.attr_string(&el, b"xml:lang")?, depth));
                    }
                    (b"resource", 2, None) => {
                        let uri = x
                            .attr(&el, b"uri")?
                            .map(|u| u.trim().to_owned())
                            .filter(|u| !u.is_empty())
                            .ok_or_else(|| BodyError::malformed("RLMI resource without a uri"))?;
                        current = Some((Resource { uri, names: Vec::new(), instances: Vec::new() }, depth));
                    }
                    (b"instance", 3, Some((resource, _))) => {
                        let state = match x.attr(&el, b"state")?.as_deref().map(str::trim) {
                            Some(s) if s.eq_ignore_ascii_case("active") => InstanceState::Active,
                            Some(s) if s.eq_ignore_ascii_case("pending") => InstanceState::Pending,
                            Some(s) if s.eq_ignore_ascii_case("terminated") => InstanceState::Terminated,
                            Some(_) => return Err(BodyError::malformed("unknown RLMI instance state")),
                            None => return Err(BodyError::malformed("RLMI instance without a state")),
                        };
                        resource.instances.push(Instance {
                            id: x.attr(&el, b"id")?.map(|i| i.trim().to_owned()).unwrap_or_default(),
                            state,
                            reason: x.attr(&el, b"reason")?.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
                            cid: x.attr(&el, b"cid")?.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
                        });
                    }
                    _ => {}
                }
            }
            Item::End { depth } => {
                if let Some((lang, capture_depth)) = capture.take_if(|(_, d)| *d == depth) {
                    let text = buf.trim();
                    if !text.is_empty() {
                        let name = Name { lang, text: text.to_owned() };
                        match current.as_mut() {
                            Some((resource, _)) if capture_depth == 3 => resource.names.push(name),
                            _ => list.names.push(name),
                        }
                    }
                    buf.clear();
                }
                if let Some((resource, _)) = current.take_if(|(_, d)| *d == depth) {
                    list.resources.push(resource);
                }
            }
        }
    }
}

/// A list NOTIFY body that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventListError {
    /// The Content-Type or the multipart body is unreadable.
    Multipart(MultipartError),
    /// The Content-Type is neither `multipart/*` nor `application/rlmi+xml`; the string is
    /// its `type/subtype` (at most 64 characters).
    UnsupportedType(String),
    /// No RLMI part: no part with the `start` Content-ID and none labelled
    /// `application/rlmi+xml`.
    NoRlmi,
    /// The RLMI document is unreadable.
    Rlmi(BodyError),
    /// A partial-state document did not follow the last version: a NOTIFY was lost, so the
    /// caller must refresh the subscription to get full state. Until a full-state document
    /// arrives, partial ones are refused with the same error.
    Resync,
    /// The list would hold more than [`MAX_RESOURCES`] resources; nothing was applied.
    TooManyResources,
}

impl fmt::Display for EventListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventListError::Multipart(e) => write!(f, "resource list body: {e}"),
            EventListError::UnsupportedType(t) => write!(f, "resource list body of type {t}"),
            EventListError::NoRlmi => f.write_str("resource list body without an RLMI part"),
            EventListError::Rlmi(e) => write!(f, "RLMI document: {e}"),
            EventListError::Resync => f.write_str("RLMI version gap: full state needed (refresh the subscription)"),
            EventListError::TooManyResources => write!(f, "resource list longer than {MAX_RESOURCES} resources"),
        }
    }
}

impl std::error::Error for EventListError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventListError::Multipart(e) => Some(e),
            EventListError::Rlmi(e) => Some(e),
            _ => None,
        }
    }
}

impl From<MultipartError> for EventListError {
    fn from(e: MultipartError) -> Self {
        EventListError::Multipart(e)
    }
}

impl From<BodyError> for EventListError {
    fn from(e: BodyError) -> Self {
        EventListError::Rlmi(e)
    }
}

/// The body an instance's `cid` points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePart {
    /// The part's Content-Type (`text/plain` when it has none). `to_string()` gives a
    /// header value again, for a nested list's [`EventList::apply`].
    pub content_type: MediaType,
    /// The part's content.
    pub body: Vec<u8>,
}

impl ResourcePart {
    fn from_part(part: &Part<'_>) -> Self {
        ResourcePart { content_type: part.content_type_or_default(), body: part.body.to_vec() }
    }

    /// True when the part is a list itself (`multipart/*` or RLMI): feed it to an
    /// [`EventList`] of its own.
    pub fn is_list(&self) -> bool {
        self.content_type.is_multipart() || self.content_type.is(RLMI_TYPE)
    }
}

/// What a NOTIFY said about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceChange {
    /// One of the resource's instances, with its state (and reason).
    Instance(Instance),
    /// The resource is listed without instances: the server has no state for it (yet).
    NoInstance,
    /// A full-state document no longer lists the resource: drop its lamp.
    Removed,
}

/// One change for the lamps, from [`EventList::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUpdate {
    /// The resource's URI.
    pub uri: String,
    /// What changed.
    pub change: ResourceChange,
    /// The part the instance's `cid` names. `None` without a `cid`, and also when the
    /// `cid` names no part of the body: the update still carries the instance state (the
    /// `cid` stays visible in [`ResourceChange::Instance`] for a log line).
    pub part: Option<ResourcePart>,
}

impl ResourceUpdate {
    /// The instance state, for [`ResourceChange::Instance`].
    pub fn state(&self) -> Option<InstanceState> {
        match &self.change {
            ResourceChange::Instance(i) => Some(i.state),
            _ => None,
        }
    }

    /// The instance's `reason`, for [`ResourceChange::Instance`].
    pub fn reason(&self) -> Option<&str> {
        match &self.change {
            ResourceChange::Instance(i) => i.reason.as_deref(),
            _ => None,
        }
    }

    /// The instance id, for [`ResourceChange::Instance`].
    pub fn instance_id(&self) -> Option<&str> {
        match &self.change {
            ResourceChange::Instance(i) => Some(&i.id),
            _ => None,
        }
    }
}

/// One list subscription: the RLMI state merged across NOTIFYs (RFC 4662 §5), in list
/// order, for the UI. The resources' own bodies are not kept: they go to the caller in the
/// [`ResourceUpdate`]s. Make a new `EventList` (or [`EventList::reset`]) for a new
/// subscription dialog: versions are scoped to one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventList {
    uri: Option<String>,
    names: Vec<Name>,
    version: Option<u32>,
    resources: Vec<Resource>,
    needs_full: bool,
}

impl EventList {
    /// An empty list, before the first NOTIFY.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one NOTIFY body, given its Content-Type header value.
    ///
    /// * The body is `multipart/related` (any `multipart/*` is read the same way; a
    ///   `multipart/signed` wrapper is opened and its signature not checked), or a bare
    ///   `application/rlmi+xml` document (no parts, so no instance bodies).
    /// * The RLMI part is the one whose Content-ID is the `start` parameter; without
    ///   `start` (Asterisk), or when `start` names no part, it is the first part labelled
    ///   `application/rlmi+xml`. An unlabelled part is never taken for it.
    /// * Each instance's `cid` is looked up among the parts of the same multipart, angle
    ///   brackets stripped, ASCII case-insensitively. A `cid` naming no part gives an update
    ///   without a part (see [`ResourceUpdate::part`]).
    /// * Versions: a full-state document replaces the resource set, and resources it no
    ///   longer lists come back as [`ResourceChange::Removed`]; one with a version not above
    ///   the last is stale and ignored (empty result), except version 0, accepted as a
    ///   restart.
    ///   A partial document must carry `last + 1`: each resource it lists replaces that
    ///   resource (names kept when it sends none), new ones are appended; an older or equal
    ///   version is ignored, a gap returns [`EventListError::Resync`]. A partial document
    ///   before any full one is taken as the baseline.
    ///
    /// The updates come in document order, one per instance (or one
    /// [`ResourceChange::NoInstance`] for a resource without instances), then the removals.
    /// On error the state is unchanged (except that a version gap sets
    /// [`EventList::needs_full_state`]).
    pub fn apply(&mut self, content_type: &str, body: &[u8]) -> Result<Vec<ResourceUpdate>, EventListError> {
        let media_type = MediaType::parse(content_type)?;
        if media_type.is(RLMI_TYPE) {
            let list = parse_rlmi(body)?;
            return self.apply_list(list, None);
        }
        if !media_type.is_multipart() {
            return Err(EventListError::UnsupportedType(media_type.essence.chars().take(64).collect()));
        }
        let multipart = parse_multipart_as(media_type, body)?;
        let (root, level) = locate_rlmi(&multipart)?;
        let list = parse_rlmi(root.body)?;
        self.apply_list(list, Some(level))
    }

    fn apply_list(
        &mut self,
        list: RlmiList,
        parts: Option<&Multipart<'_>>,
    ) -> Result<Vec<ResourceUpdate>, EventListError> {
        let v = list.version;
        if list.full {
            if self.version.is_some_and(|last| v <= last && v != 0) {
                return Ok(Vec::new());
            }
        } else {
            if self.needs_full {
                return Err(EventListError::Resync);
            }
            if let Some(last) = self.version {
                if v <= last {
                    return Ok(Vec::new());
                }
                if last.checked_add(1) != Some(v) {
                    self.needs_full = true;
                    return Err(EventListError::Resync);
                }
            }
        }

        let mut updates = Vec::new();
        for resource in &list.resources {
            if resource.instances.is_empty() {
                updates.push(ResourceUpdate {
                    uri: resource.uri.clone(),
                    change: ResourceChange::NoInstance,
                    part: None,
                });
            }
            for instance in &resource.instances {
                let part = instance
                    .cid
                    .as_deref()
                    .and_then(|cid| parts.and_then(|p| p.part_by_cid(cid)))
                    .map(ResourcePart::from_part);
                updates.push(ResourceUpdate {
                    uri: resource.uri.clone(),
                    change: ResourceChange::Instance(instance.clone()),
                    part,
                });
            }
        }

        if list.full {
            let mut next: Vec<Resource> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for resource in list.resources {
                match index.get(&resource.uri) {
                    Some(&i) => merge(&mut next[i], resource),
                    None => {
                        if next.len() == MAX_RESOURCES {
                            return Err(EventListError::TooManyResources);
                        }
                        index.insert(resource.uri.clone(), next.len());
                        next.push(resource);
                    }
                }
            }
            for old in &self.resources {
                if !index.contains_key(&old.uri) {
                    updates.push(ResourceUpdate { uri: old.uri.clone(), change: ResourceChange::Removed, part: None });
                }
            }
            self.resources = next;
            self.needs_full = false;
        } else {
            let mut index: HashMap<String, usize> =
                self.resources.iter().enumerate().map(|(i, r)| (r.uri.clone(), i)).collect();
            let added: HashSet<&str> =
                list.resources.iter().map(|r| r.uri.as_str()).filter(|u| !index.contains_key(*u)).collect();
            if self.resources.len() + added.len() > MAX_RESOURCES {
                return Err(EventListError::TooManyResources);
            }
            for resource in list.resources {
                match index.get(&resource.uri) {
                    Some(&i) => merge(&mut self.resources[i], resource),
                    None => {
                        index.insert(resource.uri.clone(), self.resources.len());
                        self.resources.push(resource);
                    }
                }
            }
        }
        self.version = Some(v);
        if list.uri.is_some() {
            self.uri = list.uri;
        }
        if !list.names.is_empty() {
            self.names = list.names;
        }
        Ok(updates)
    }

    /// The resources, in list order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The resource with this exact URI.
    pub fn resource(&self, uri: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.uri == uri.trim())
    }

    /// The list's URI, from the last document that sent one.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// The list's names.
    pub fn names(&self) -> &[Name] {
        &self.names
    }

    /// The list's first name, for a heading.
    pub fn name(&self) -> Option<&str> {
        self.names.first().map(|n| n.text.as_str())
    }

    /// The version of the last document applied.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// True after a version gap, until a full-state document arrives.
    pub fn needs_full_state(&self) -> bool {
        self.needs_full
    }

    /// Forgets everything (a new subscription restarts the versions).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// A resource listed again (a partial update, or twice in one document): its instances
/// are the new ones; its names too, when it sends any.
fn merge(old: &mut Resource, new: Resource) {
    old.instances = new.instances;
    if !new.names.is_empty() {
        old.names = new.names;
    }
}

/// The RLMI part and the multipart whose parts its `cid`s name. A `multipart/signed`
/// wrapper is opened: its first part is the signed content.
fn locate_rlmi<'m, 'a>(multipart: &'m Multipart<'a>) -> Result<(&'m Part<'a>, &'m Multipart<'a>), EventListError> {
    if multipart.content_type.is("multipart/signed") {
        let first = multipart.parts.first().ok_or(EventListError::NoRlmi)?;
        return match &first.nested {
            Some(inner) => locate_rlmi(inner),
            None if first.content_type.as_ref().is_some_and(|t| t.is(RLMI_TYPE)) => Ok((first, multipart)),
            None => Err(EventListError::NoRlmi),
        };
    }
    if let Some(root) = multipart.start().and_then(|start| multipart.part_by_cid(start)) {
        return Ok((root, multipart));
    }
    multipart
        .parts
        .iter()
        .find(|p| p.content_type.as_ref().is_some_and(|t| t.is(RLMI_TYPE)))
        .map(|p| (p, multipart))
        .ok_or(EventListError::NoRlmi)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "urn:ietf:params:xml:ns:rlmi";

    fn rlmi(version: u32, full: bool, resources: &str) -> String {
        format!(r#"<list xmlns="{NS}" uri="sip:l@x" version="{version}" fullState="{full}">{resources}</list>"#)
    }

    fn apply(list: &mut EventList, body: &str) -> Result<Vec<ResourceUpdate>, EventListError> {
        list.apply("application/rlmi+xml", body.as_bytes())
    }

    #[test]
    fn parses_names_instances_and_skips_unknown_elements() {
        let body = format!(
            r#"<?xml version="1.0"?><r:list xmlns:r="{NS}" xmlns:x="urn:x" uri="sip:l@x" version="7" fullState="1">
                <r:name xml:lang="en"> Team </r:name><x:name>not mine</x:name>
                <r:resource uri=" sip:a@x "><r:name>Alice</r:name><x:instance id="no" state="active"/>
                  <r:instance id="i1" state="Terminated" reason="rejected" cid="&lt;c1&gt;"/>
                  <r:instance state="pending"/></r:resource>
                <r:resource uri="sip:b@x"/>
            </r:list>"#
        );
        let list = parse_rlmi(body.as_bytes()).unwrap();
        assert_eq!((list.version, list.full, list.uri.as_deref()), (7, true, Some("sip:l@x")));
        assert_eq!(list.names, [Name { lang: Some("en".into()), text: "Team".into() }]);
        assert_eq!(list.resources.len(), 2);
        let a = &list.resources[0];
        assert_eq!((a.uri.as_str(), a.name()), ("sip:a@x", Some("Alice")));
        assert_eq!(a.instances.len(), 2);
        assert_eq!(a.instances[0].reason.as_deref(), Some("rejected"));
        assert_eq!(a.instances[0].cid.as_deref(), Some("<c1>"));
        assert_eq!(a.instances[1].id, "");
        assert_eq!(a.state(), Some(InstanceState::Pending));
        assert_eq!(list.resources[1].state(), None);
    }

    #[test]
    fn required_attributes() {
        let bad = [
            format!(r#"<list xmlns="{NS}" fullState="true"/>"#),
            format!(r#"<list xmlns="{NS}" version="1"/>"#),
            format!(r#"<list xmlns="{NS}" version="-1" fullState="true"/>"#),
            format!(r#"<list xmlns="{NS}" version="1" fullState="yes"/>"#),
            rlmi(1, true, "<resource/>"),
            rlmi(1, true, r#"<resource uri="sip:a@x"><instance id="1"/></resource>"#),
            rlmi(1, true, r#"<resource uri="sip:a@x"><instance id="1" state="busy"/></resource>"#),
        ];
        for body in bad {
            assert!(matches!(parse_rlmi(body.as_bytes()), Err(BodyError::Malformed(_))), "{body}");
        }
        assert_eq!(
            parse_rlmi(br#"<list xmlns="urn:ietf:params:xml:ns:rmli" version="1" fullState="true"/>"#),
            Err(BodyError::WrongNamespace)
        );
        assert_eq!(parse_rlmi(b"<presence/>"), Err(BodyError::UnexpectedRoot("presence".into())));
        assert!(parse_rlmi(br#"<list version="0" fullState="false"/>"#).is_ok(), "no namespace is accepted");
    }

    #[test]
    fn versions_full_partial_and_gaps() {
        let mut l = EventList::new();
        let r = |u: &str, s: &str| format!(r#"<resource uri="{u}"><instance id="1" state="{s}"/></resource>"#);
        let up = apply(&mut l, &rlmi(3, true, &(r("sip:a@x", "active") + &r("sip:b@x", "active")))).unwrap();
        assert_eq!(up.len(), 2);
        // Stale and duplicate documents are ignored.
        assert!(apply(&mut l, &rlmi(3, true, "")).unwrap().is_empty());
        assert!(apply(&mut l, &rlmi(2, false, &r("sip:a@x", "pending"))).unwrap().is_empty());
        assert_eq!(l.resources().len(), 2);
        // In order: merged.
        let up = apply(&mut l, &rlmi(4, false, &r("sip:c@x", "pending"))).unwrap();
        assert_eq!(up[0].state(), Some(InstanceState::Pending));
        assert_eq!(l.resources().iter().map(|r| r.uri.as_str()).collect::<Vec<_>>(), ["sip:a@x", "sip:b@x", "sip:c@x"]);
        // A gap: refused until full state.
        assert_eq!(apply(&mut l, &rlmi(6, false, "")), Err(EventListError::Resync));
        assert_eq!(apply(&mut l, &rlmi(5, false, "")), Err(EventListError::Resync));
        assert!(l.needs_full_state());
        let up = apply(&mut l, &rlmi(7, true, &r("sip:b@x", "active"))).unwrap();
        assert!(!l.needs_full_state());
        let removed: Vec<_> =
            up.iter().filter(|u| u.change == ResourceChange::Removed).map(|u| u.uri.as_str()).collect();
        assert_eq!(removed, ["sip:a@x", "sip:c@x"]);
        // Version 0 restarts.
        apply(&mut l, &rlmi(0, true, "")).unwrap();
        assert_eq!(l.version(), Some(0));
        assert!(l.resources().is_empty());
        l.reset();
        assert_eq!(l.version(), None);
    }

    #[test]
    fn resource_count_is_bounded() {
        let mut l = EventList::new();
        let many: String =
            (0..=MAX_RESOURCES).map(|i| format!(r#"<resource uri="sip:{i}@x"/>"#)).collect::<Vec<_>>().concat();
        assert_eq!(apply(&mut l, &rlmi(0, true, &many)), Err(EventListError::TooManyResources));
        assert_eq!(l, EventList::new());
        let most: String =
            (0..MAX_RESOURCES).map(|i| format!(r#"<resource uri="sip:{i}@x"/>"#)).collect::<Vec<_>>().concat();
        apply(&mut l, &rlmi(0, true, &most)).unwrap();
        let one_more = rlmi(1, false, r#"<resource uri="sip:new@x"/>"#);
        assert_eq!(apply(&mut l, &one_more), Err(EventListError::TooManyResources));
        assert_eq!(l.resources().len(), MAX_RESOURCES);
        assert_eq!(l.version(), Some(0));
    }

    #[test]
    fn unsupported_types_and_missing_rlmi() {
        let mut l = EventList::new();
        assert_eq!(
            l.apply("application/pidf+xml", b"<presence/>"),
            Err(EventListError::UnsupportedType("application/pidf+xml".into()))
        );
        let body = b"--b\r\nContent-Type: application/pidf+xml\r\n\r\n<presence/>\r\n--b--";
        assert_eq!(l.apply("multipart/related;boundary=b", body), Err(EventListError::NoRlmi));
        assert!(matches!(
            l.apply("multipart/related", body),
            Err(EventListError::Multipart(MultipartError::NoBoundary))
        ));
        assert!(matches!(l.apply("nonsense", body), Err(EventListError::Multipart(MultipartError::BadContentType(_)))));
    }
}
