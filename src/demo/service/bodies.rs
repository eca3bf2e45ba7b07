//! The NOTIFY bodies of the demo service, sans-IO: a colleague's presence as PIDF (the
//! product's own [`build_pidf`], whose RPID part is what PBXs send and whose `lb:` part
//! round-trips all six statuses) and their line as RFC 4235 dialog-info, the way Asterisk
//! writes it (one dialog, `state="full"`, the caller in `<remote>`, ids for a pickup).

use crate::presence::publish::push_escaped;
use crate::presence::{LineState, UserStatus, build_pidf};

/// The ids of a ringing colleague's dialog, as a directed pickup needs them (RFC 3891:
/// `to_tag` is the colleague's tag, `from_tag` the caller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogIds {
    /// Call-ID of the (simulated) call.
    pub call_id: String,
    /// The colleague's tag (dialog-info `local-tag`).
    pub local_tag: String,
    /// The caller's tag (dialog-info `remote-tag`).
    pub remote_tag: String,
}

/// The PIDF document of `entity` with `status` and `note`; `None` for an unknown status
/// (the NOTIFY then carries no body: "nothing known"). An offline line gets the closed
/// tuple a PBX sends for a phone that is not registered.
pub fn presence_body(entity: &str, status: &UserStatus, note: Option<&str>, line: &LineState) -> Option<String> {
    if *status == UserStatus::Unknown {
        return None;
    }
    if *line == LineState::Offline {
        // The phone is gone: what a registrar's presence says then (a closed tuple and the
        // "Unavailable" note, Asterisk's wording), read by watchers as an offline line.
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"");
        push_escaped(&mut out, entity);
        out.push_str("\">\n <tuple id=\"phone\">\n  <status><basic>closed</basic></status>\n");
        out.push_str("  <note>Unavailable</note>\n </tuple>\n</presence>\n");
        return Some(out);
    }
    let on_the_phone = matches!(line, LineState::Busy { .. } | LineState::Held);
    Some(build_pidf(entity, status, note, on_the_phone))
}

/// The dialog-info document (full state) of `entity`'s line at `version`. Idle, offline and
/// unknown lines have no dialog; a ringing line names its caller and carries `ids` (when
/// given) so a watcher can pick the call up; a busy line names the peer; a held one marks
/// the local target `+sip.rendering=no`.
pub fn dialog_body(entity: &str, domain: &str, version: u32, line: &LineState, ids: Option<&DialogIds>) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"");
    out.push_str(&version.to_string());
    out.push_str("\" state=\"full\" entity=\"");
    push_escaped(&mut out, entity);
    out.push_str("\">\n");
    let (state, direction, party, held) = match line {
        LineState::Ringing { caller } => ("early", "recipient", caller.as_deref(), false),
        LineState::Busy { peer } => ("confirmed", "initiator", peer.as_deref(), false),
        LineState::Held => ("confirmed", "initiator", None, true),
        LineState::Idle | LineState::Offline | LineState::Unknown => {
            out.push_str("</dialog-info>\n");
            return out;
        }
    };
    out.push_str(" <dialog id=\"line1\"");
    if let Some(ids) = ids {
        for (name, value) in [("call-id", &ids.call_id), ("local-tag", &ids.local_tag), ("remote-tag", &ids.remote_tag)]
        {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            push_escaped(&mut out, value);
            out.push('"');
        }
    }
    out.push_str(" direction=\"");
    out.push_str(direction);
    out.push_str("\">\n  <state>");
    out.push_str(state);
    out.push_str("</state>\n");
    if let Some(party) = party {
        let (display, user) = split_party(party);
        let uri = format!("sip:{user}@{domain}");
        out.push_str("  <remote><identity");
        if let Some(d) = display {
            out.push_str(" display=\"");
            push_escaped(&mut out, d);
            out.push('"');
        }
        out.push('>');
        push_escaped(&mut out, &uri);
        out.push_str("</identity><target uri=\"");
        push_escaped(&mut out, &uri);
        out.push_str("\"/></remote>\n");
    }
    out.push_str("  <local><identity>");
    push_escaped(&mut out, entity);
    out.push_str("</identity><target uri=\"");
    push_escaped(&mut out, entity);
    if held {
        out.push_str("\"><param pname=\"+sip.rendering\" pvalue=\"no\"/></target></local>\n");
    } else {
        out.push_str("\"/></local>\n");
    }
    out.push_str(" </dialog>\n</dialog-info>\n");
    out
}

/// A party as the simulation names it — `"Anna Berg (1001)"`, `"+49 30 5550 1234"`,
/// `"Parcel service"` — as (display name, URI user part).
pub fn split_party(party: &str) -> (Option<&str>, String) {
    let party = party.trim();
    if let Some(open) = party.rfind(" (")
        && let Some(inner) = party[open + 2..].strip_suffix(')')
        && !inner.is_empty()
        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return (Some(&party[..open]), inner.to_owned());
    }
    if !party.is_empty() && party.chars().all(|c| c.is_ascii_digit() || c == '+' || c == ' ') {
        return (None, party.chars().filter(|c| *c != ' ').collect());
    }
    if party.eq_ignore_ascii_case("unknown") || party.is_empty() {
        return (None, "anonymous".to_owned());
    }
    // A named outside party without a number: a made-up public number.
    (Some(party), "0800555010".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::{DialogState, StatusMap, interpret, parse_dialog_info, parse_presence};

    fn line_of(body: &str) -> LineState {
        let mut d = DialogState::default();
        d.apply(parse_dialog_info(body.as_bytes()).expect("parses")).expect("full state");
        d.line_state()
    }

    #[test]
    fn lines_round_trip_through_the_watcher_parser() {
        let e = "sip:1001@demo.invalid";
        let ids = DialogIds { call_id: "c1".into(), local_tag: "lt".into(), remote_tag: "rt".into() };
        let ringing = LineState::Ringing { caller: Some("Anna Berg (1002)".into()) };
        assert_eq!(line_of(&dialog_body(e, "demo.invalid", 1, &ringing, Some(&ids))), ringing);
        let busy = LineState::Busy { peer: Some("+44 20 7946 0321".into()) };
        assert_eq!(
            line_of(&dialog_body(e, "demo.invalid", 2, &busy, None)),
            LineState::Busy { peer: Some("+442079460321".into()) }
        );
        assert_eq!(line_of(&dialog_body(e, "demo.invalid", 3, &LineState::Held, None)), LineState::Held);
        assert_eq!(line_of(&dialog_body(e, "demo.invalid", 4, &LineState::Idle, None)), LineState::Idle);
        let info = parse_dialog_info(dialog_body(e, "demo.invalid", 5, &ringing, Some(&ids)).as_bytes()).unwrap();
        assert_eq!(info.dialogs[0].call_id.as_deref(), Some("c1"));
        assert_eq!(info.dialogs[0].local_tag.as_deref(), Some("lt"));
    }

    #[test]
    fn statuses_round_trip_and_unknown_has_no_body() {
        let e = "sip:1001@demo.invalid";
        for s in [UserStatus::Away, UserStatus::Dnd, UserStatus::Custom("Lunch until 13:30".into())] {
            let body = presence_body(e, &s, None, &LineState::Idle).expect("a body");
            let view = interpret(&parse_presence(body.as_bytes()).unwrap(), &StatusMap::default());
            assert_eq!(view.status, s);
        }
        assert!(presence_body(e, &UserStatus::Unknown, None, &LineState::Idle).is_none());
    }

    #[test]
    fn unavailable_reads_as_offline() {
        let e = "sip:1001@demo.invalid";
        let body = presence_body(e, &UserStatus::Unavailable, None, &LineState::Offline).unwrap();
        let view = interpret(&parse_presence(body.as_bytes()).unwrap(), &StatusMap::default());
        assert_eq!(view.status, UserStatus::Unavailable);
        assert_eq!(view.line, Some(LineState::Offline), "{body}");
    }

    #[test]
    fn parties_split() {
        assert_eq!(split_party("Anna Berg (1002)"), (Some("Anna Berg"), "1002".to_owned()));
        assert_eq!(split_party("+49 30 5550 1234"), (None, "+493055501234".to_owned()));
        assert_eq!(split_party("Unknown"), (None, "anonymous".to_owned()));
        assert_eq!(split_party("A <b> & \"c\"").0, Some("A <b> & \"c\""));
    }
}
