//! `application/dialog-info+xml` (RFC 4235): parsing one NOTIFY body into a [`DialogInfo`],
//! and the line state of one dialog. Merging successive bodies is [`DialogState`]'s job.
//!
//! Parsing is lenient where PBXs are sloppy: children in any order (Asterisk puts
//! `<remote>`/`<local>` before `<state>`), unknown elements skipped, a missing `state`
//! attribute read as full, a root without a namespace accepted. A `<dialog>` without a
//! `<state>` says nothing and is dropped (Kamailio's empty `<dialog/>` for Bria).

use super::error::BodyError;
use super::status::LineState;
use super::xml::{Item, Ns, XmlStream, push_text};

pub use super::dialog_state::{DialogState, MAX_DIALOGS, Resync};

/// Who sent the dialog's initial INVITE, from the watched entity's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The watched entity called out.
    Initiator,
    /// The watched entity is being called.
    Recipient,
}

/// One `<dialog>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogEntry {
    /// The `id` attribute (the merge key; Asterisk keeps it constant across calls).
    pub id: String,
    /// `call-id` (chan_sip with `notifycid`: `pickup-<callid>`, usable with Replaces).
    pub call_id: Option<String>,
    /// `local-tag`.
    pub local_tag: Option<String>,
    /// `remote-tag`.
    pub remote_tag: Option<String>,
    /// `direction`.
    pub direction: Option<Direction>,
    /// `<state>`, lower-cased: `trying|proceeding|early|confirmed|terminated`.
    pub state: String,
    /// `<state event=…>` (`rejected`, `remote-bye`, …), for terminated dialogs.
    pub event: Option<String>,
    /// `<state code=…>` (the final response code, e.g. 486).
    pub code: Option<u16>,
    /// `<remote><identity>` URI.
    pub remote_identity: Option<String>,
    /// `<remote><identity display=…>`.
    pub remote_display: Option<String>,
    /// `<remote><target uri=…>`.
    pub remote_target: Option<String>,
    /// `<local><identity>` URI (Asterisk puts the *caller* here too: do not read it as the
    /// called party).
    pub local_identity: Option<String>,
    /// The local target carries `<param pname="+sip.rendering" pvalue="no"/>` (on hold).
    pub held: bool,
}

impl DialogEntry {
    fn new(id: String) -> Self {
        Self {
            id,
            call_id: None,
            local_tag: None,
            remote_tag: None,
            direction: None,
            state: String::new(),
            event: None,
            code: None,
            remote_identity: None,
            remote_display: None,
            remote_target: None,
            local_identity: None,
            held: false,
        }
    }

    /// `trying`, `proceeding` or `early`.
    pub fn is_early(&self) -> bool {
        matches!(self.state.as_str(), "trying" | "proceeding" | "early")
    }

    /// An early dialog that is not outgoing: the watched phone is ringing (row 25).
    pub fn is_ringing(&self) -> bool {
        self.is_early() && self.direction != Some(Direction::Initiator)
    }

    /// `terminated`.
    pub fn is_terminated(&self) -> bool {
        self.state == "terminated"
    }

    /// The line state this one dialog shows (PRESENCE.md rows 25–29). Unknown state words
    /// count as idle.
    pub fn line_state(&self) -> LineState {
        if self.is_ringing() {
            LineState::Ringing { caller: self.remote_label() }
        } else if self.is_early() {
            LineState::Busy { peer: self.remote_label() }
        } else if self.state == "confirmed" {
            if self.held { LineState::Held } else { LineState::Busy { peer: self.remote_label() } }
        } else {
            LineState::Idle
        }
    }

    /// The other party as shown on a lamp: `"Bob (2002)"` (display + URI user), `"2002"`
    /// without a display name, `"Anonymous"` for `sip:anonymous@anonymous.invalid` or an
    /// `anonymous` user; `None` when the body names nobody.
    pub fn remote_label(&self) -> Option<String> {
        let uri = self.remote_identity.as_deref().or(self.remote_target.as_deref());
        let parts = uri.and_then(uri_user_host);
        if let Some((user, host)) = parts
            && (user.eq_ignore_ascii_case("anonymous") || host.eq_ignore_ascii_case("anonymous.invalid"))
        {
            return Some("Anonymous".to_owned());
        }
        let user = parts.map(|(u, _)| u).filter(|u| !u.is_empty());
        let display = self.remote_display.as_deref().map(str::trim).filter(|d| !d.is_empty());
        match (display, user) {
            (Some(d), Some(u)) if d != u => Some(format!("{d} ({u})")),
            (Some(d), _) => Some(d.to_owned()),
            (None, Some(u)) => Some(u.to_owned()),
            (None, None) => None,
        }
    }
}

/// The user and host parts of a `sip:`/`sips:`/`tel:` URI (angle brackets and parameters
/// removed). `tel:` has an empty host.
fn uri_user_host(uri: &str) -> Option<(&str, &str)> {
    let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let (scheme, rest) = uri.split_once(':')?;
    if scheme.eq_ignore_ascii_case("tel") {
        let number = rest.split(';').next().unwrap_or(rest);
        return Some((number, ""));
    }
    if !(scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")) {
        return None;
    }
    let (userinfo, hostport) = rest.split_once('@')?;
    let user = userinfo.split([';', ':']).next().unwrap_or(userinfo);
    let host = hostport.split([';', ':', '?', '>']).next().unwrap_or(hostport);
    Some((user, host))
}

/// One parsed dialog-info document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogInfo {
    /// The `version` attribute.
    pub version: Option<u32>,
    /// `state="full"` (or missing); false for `partial`.
    pub full: bool,
    /// The `entity` attribute.
    pub entity: Option<String>,
    /// The dialogs with a `<state>`, in document order.
    pub dialogs: Vec<DialogEntry>,
}

/// Parses a dialog-info body.
pub fn parse_dialog_info(body: &[u8]) -> Result<DialogInfo, BodyError> {
    let mut x = XmlStream::new(body)?;
    let (ns, el) = x.root(b"dialog-info")?;
    if !matches!(ns, Ns::DialogInfo | Ns::None) {
        return Err(BodyError::WrongNamespace);
    }
    let version = match x.attr(&el, b"version")? {
        Some(v) => {
            Some(v.trim().parse::<u32>().map_err(|_| BodyError::malformed("dialog-info version is not a number"))?)
        }
        None => None,
    };
    let full = !x.attr(&el, b"state")?.is_some_and(|s| s.trim().eq_ignore_ascii_case("partial"));
    let entity = x.attr_string(&el, b"entity")?;
    let dialogs = parse_dialogs(&mut x, ns)?;
    Ok(DialogInfo { version, full, entity, dialogs })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Local,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    State,
    Identity(Side),
}

fn parse_dialogs(x: &mut XmlStream<'_>, ns: Ns) -> Result<Vec<DialogEntry>, BodyError> {
    let mut dialogs = Vec::new();
    let mut current: Option<(DialogEntry, bool, usize)> = None; // (entry, has state, depth)
    let mut side: Option<(Side, usize)> = None;
    let mut target: Option<(Side, usize)> = None;
    let mut capture: Option<(Capture, usize)> = None;
    let mut buf = String::new();
    loop {
        let item = x.next_item()?;
        match item {
            Item::Eof => return Ok(dialogs),
            Item::Text(_) | Item::Char(_) => {
                if capture.is_some() {
                    push_text(&mut buf, &item);
                }
            }
            Item::Start { ns: el_ns, el, depth } => {
                if el_ns != ns || capture.is_some() {
                    continue;
                }
                let local = el.local_name();
                let Some((entry, has_state, dialog_depth)) = current.as_mut() else {
                    if local.as_ref() == b"dialog" && depth == 2 {
                        let id = x.attr_string(&el, b"id")?.unwrap_or_default();
                        let mut entry = DialogEntry::new(id);
                        entry.call_id = x.attr_string(&el, b"call-id")?;
                        entry.local_tag = x.attr_string(&el, b"local-tag")?;
                        entry.remote_tag = x.attr_string(&el, b"remote-tag")?;
                        entry.direction = x.attr(&el, b"direction")?.and_then(|d| match d.trim() {
                            "initiator" => Some(Direction::Initiator),
                            "recipient" => Some(Direction::Recipient),
                            _ => None,
                        });
                        current = Some((entry, false, depth));
                    }
                    continue;
                };
                match (local.as_ref(), side) {
                    (b"state", None) if depth == *dialog_depth + 1 => {
                        *has_state = true;
                        entry.event = x.attr_string(&el, b"event")?;
                        entry.code = x.attr(&el, b"code")?.and_then(|c| c.trim().parse().ok());
                        capture = Some((Capture::State, depth));
                    }
                    (b"local", None) if depth == *dialog_depth + 1 => side = Some((Side::Local, depth)),
                    (b"remote", None) if depth == *dialog_depth + 1 => side = Some((Side::Remote, depth)),
                    (b"identity", Some((s, side_depth))) if depth == side_depth + 1 => {
                        if s == Side::Remote {
                            entry.remote_display = x.attr_string(&el, b"display")?;
                        }
                        capture = Some((Capture::Identity(s), depth));
                    }
                    (b"target", Some((s, side_depth))) if depth == side_depth + 1 => {
                        if s == Side::Remote {
                            entry.remote_target = x.attr_string(&el, b"uri")?;
                        }
                        target = Some((s, depth));
                    }
                    (b"param", Some(_)) => {
                        if let Some((Side::Local, target_depth)) = target
                            && depth == target_depth + 1
                        {
                            let name = x.attr(&el, b"pname")?;
                            let value = x.attr(&el, b"pvalue")?;
                            if name.is_some_and(|n| n.trim().eq_ignore_ascii_case("+sip.rendering"))
                                && value.is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
                            {
                                entry.held = true;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Item::End { depth } => {
                if let Some((what, capture_depth)) = capture
                    && capture_depth == depth
                {
                    if let Some((entry, _, _)) = current.as_mut() {
                        let text = buf.trim();
                        let value = (!text.is_empty()).then(|| text.to_owned());
                        match what {
                            Capture::State => entry.state = text.to_ascii_lowercase(),
                            Capture::Identity(Side::Remote) => entry.remote_identity = value,
                            Capture::Identity(Side::Local) => entry.local_identity = value,
                        }
                    }
                    buf.clear();
                    capture = None;
                }
                if target.is_some_and(|(_, d)| d == depth) {
                    target = None;
                }
                if side.is_some_and(|(_, d)| d == depth) {
                    side = None;
                }
                if current.as_ref().is_some_and(|(_, _, d)| *d == depth)
                    && let Some((entry, true, _)) = current.take()
                {
                    dialogs.push(entry);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(display: Option<&str>, uri: Option<&str>) -> DialogEntry {
        let mut e = DialogEntry::new("x".into());
        e.remote_display = display.map(str::to_owned);
        e.remote_identity = uri.map(str::to_owned);
        e
    }

    #[test]
    fn labels() {
        let label = |d, u| entry(d, u).remote_label();
        assert_eq!(label(Some("Bob"), Some("sip:2002@pbx.example")).as_deref(), Some("Bob (2002)"));
        assert_eq!(label(None, Some("<sips:2002@pbx.example;transport=tls>")).as_deref(), Some("2002"));
        assert_eq!(label(Some("2002"), Some("sip:2002@pbx")).as_deref(), Some("2002"));
        assert_eq!(label(None, Some("sip:anonymous@anonymous.invalid")).as_deref(), Some("Anonymous"));
        assert_eq!(label(None, Some("tel:+4930123;phone-context=x")).as_deref(), Some("+4930123"));
        assert_eq!(label(None, None), None);
        assert_eq!(label(Some("Reception"), Some("urn:x:y")).as_deref(), Some("Reception"));
    }

    #[test]
    fn empty_dialog_and_unknown_elements_are_ignored() {
        let info = parse_dialog_info(
            br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="2" state="full" entity="sip:a@x">
                <dialog></dialog>
                <dialog id="d1"><x:ext xmlns:x="urn:example"><state>early</state></x:ext><state>confirmed</state></dialog>
            </dialog-info>"#,
        )
        .unwrap();
        assert_eq!(info.dialogs.len(), 1);
        assert_eq!(info.dialogs[0].state, "confirmed");
        assert_eq!(info.version, Some(2));
        assert!(info.full);
    }

    #[test]
    fn bad_version_is_malformed() {
        let r =
            parse_dialog_info(br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="x" state="full"/>"#);
        assert!(matches!(r, Err(BodyError::Malformed(_))));
    }
}
