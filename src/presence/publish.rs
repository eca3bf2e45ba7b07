//! The PIDF body we PUBLISH for our own status (PRESENCE.md §5).
//!
//! Foreign watchers (Linphone, Bria-like clients, Kamailio's merge) read the RPID part:
//!
//! | status | `<basic>` | activities | first `<dm:note>` |
//! |---|---|---|---|
//! | Available | open | none | Available |
//! | Away | open | `<rpid:away/>` | Away |
//! | Chat | open | `<rpid:other>chat</rpid:other>` | Chat |
//! | DND | open | `<rpid:busy/>` | Do Not Disturb |
//! | Unavailable | closed | none | Unavailable |
//! | Custom | open | `<rpid:other>TEXT</rpid:other>` | TEXT |
//!
//! plus `<rpid:on-the-phone/>` while in a call. The tuple's `<note>` repeats the label for
//! watchers that read only the tuple (Zoiper-style); the user's own note, if any, is a
//! second `<dm:note>`. Our own clients read the private `lb:` elements instead, which carry
//! the exact status word, the custom text and the note verbatim, so all six statuses and
//! the text round-trip losslessly through [`super::parse_presence`] + [`super::interpret`].
//!
//! Text is XML-escaped; characters XML 1.0 cannot carry (C0 controls other than tab, LF and
//! CR) are dropped; tab/LF/CR are written as character references so they survive parsing.

use super::status::UserStatus;
use super::xml::{NS_DATA_MODEL, NS_LAMPBOARD, NS_PIDF, NS_RPID};

/// Longest custom status text we publish, in characters (the UCM's limit).
pub const MAX_CUSTOM_TEXT_CHARS: usize = 64;

/// The prefix-free namespace name of Lampboard's private presence elements.
pub const LAMPBOARD_PRESENCE_NS: &str = NS_LAMPBOARD;

/// `text` cut to at most [`MAX_CUSTOM_TEXT_CHARS`] characters (on a character boundary).
pub fn clamp_custom_text(text: &str) -> &str {
    match text.char_indices().nth(MAX_CUSTOM_TEXT_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Builds the PIDF document for `entity` (the presentity URI, e.g. `sip:1001@pbx`).
///
/// `note` is the user's free note (empty counts as none); `on_the_phone` adds
/// `<rpid:on-the-phone/>`. Custom text is clamped with [`clamp_custom_text`]. Tuple and
/// person ids are fixed (`lb-t`, `lb-p`); see [`build_pidf_for_device`] when several of
/// the user's devices publish for the same presentity.
pub fn build_pidf(entity: &str, status: &UserStatus, note: Option<&str>, on_the_phone: bool) -> String {
    build_pidf_for_device(entity, "", status, note, on_the_phone)
}

/// Like [`build_pidf`], with tuple/person ids made from `device` (`lb-t-<device>`,
/// `lb-p-<device>`, non-name characters replaced by `_`) so that a server merging several
/// publications (Kamailio keeps the first tuple of each id) keeps every device's tuple.
pub fn build_pidf_for_device(
    entity: &str,
    device: &str,
    status: &UserStatus,
    note: Option<&str>,
    on_the_phone: bool,
) -> String {
    let mut out = String::with_capacity(768);
    let custom_text = match status {
        UserStatus::Custom(text) => Some(clamp_custom_text(text)),
        _ => None,
    };
    let label = custom_text.unwrap_or_else(|| status.label());
    let note = note.filter(|n| !n.is_empty());

    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"");
    out.push_str(NS_PIDF);
    out.push_str("\" xmlns:dm=\"");
    out.push_str(NS_DATA_MODEL);
    out.push_str("\" xmlns:rpid=\"");
    out.push_str(NS_RPID);
    out.push_str("\" xmlns:lb=\"");
    out.push_str(NS_LAMPBOARD);
    out.push_str("\" entity=\"");
    push_escaped(&mut out, entity);
    out.push_str("\">\n <tuple id=\"lb-t");
    push_id_suffix(&mut out, device);
    out.push_str("\">\n  <status><basic>");
    out.push_str(if *status == UserStatus::Unavailable { "closed" } else { "open" });
    out.push_str("</basic></status>\n  <note>");
    push_escaped(&mut out, label);
    out.push_str("</note>\n </tuple>\n <dm:person id=\"lb-p");
    push_id_suffix(&mut out, device);
    out.push_str("\">\n");

    let mut activities = String::new();
    match status {
        UserStatus::Away => activities.push_str("<rpid:away/>"),
        UserStatus::Dnd => activities.push_str("<rpid:busy/>"),
        UserStatus::Chat => activities.push_str("<rpid:other>chat</rpid:other>"),
        UserStatus::Custom(_) => {
            activities.push_str("<rpid:other>");
            push_escaped(&mut activities, label);
            activities.push_str("</rpid:other>");
        }
        UserStatus::Available | UserStatus::Unavailable | UserStatus::Unknown => {}
    }
    if on_the_phone {
        activities.push_str("<rpid:on-the-phone/>");
    }
    if !activities.is_empty() {
        out.push_str("  <rpid:activities>");
        out.push_str(&activities);
        out.push_str("</rpid:activities>\n");
    }

    out.push_str("  <lb:status>");
    out.push_str(status.as_str());
    out.push_str("</lb:status>\n");
    if let Some(text) = custom_text {
        out.push_str("  <lb:text>");
        push_escaped(&mut out, text);
        out.push_str("</lb:text>\n");
    }
    if let Some(note) = note {
        out.push_str("  <lb:note>");
        push_escaped(&mut out, note);
        out.push_str("</lb:note>\n");
    }

    out.push_str("  <dm:note>");
    push_escaped(&mut out, label);
    out.push_str("</dm:note>\n");
    if let Some(note) = note.filter(|n| *n != label) {
        out.push_str("  <dm:note>");
        push_escaped(&mut out, note);
        out.push_str("</dm:note>\n");
    }
    out.push_str(" </dm:person>\n</presence>\n");
    out
}

/// Appends `-<device>` with every character outside `[A-Za-z0-9._-]` replaced by `_`.
fn push_id_suffix(out: &mut String, device: &str) {
    if device.is_empty() {
        return;
    }
    out.push('-');
    out.extend(device.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }));
}

/// Appends `text` escaped for both element content and attribute values (characters XML
/// cannot carry are left out). Shared by every XML body we write.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_text_is_clamped_on_a_char_boundary() {
        let long = "é".repeat(70);
        assert_eq!(clamp_custom_text(&long).chars().count(), 64);
        assert_eq!(clamp_custom_text("short"), "short");
    }

    #[test]
    fn text_and_entity_are_escaped() {
        let body = build_pidf("sip:a\"b@x", &UserStatus::Custom("<b>&\u{1}".into()), Some("x'y"), false);
        assert!(body.contains("entity=\"sip:a&quot;b@x\""));
        assert!(body.contains("<rpid:other>&lt;b&gt;&amp;</rpid:other>"));
        assert!(body.contains("<lb:note>x&apos;y</lb:note>"));
    }

    #[test]
    fn device_ids_are_names() {
        let body = build_pidf_for_device("sip:a@x", "desk phone/1", &UserStatus::Available, None, false);
        assert!(body.contains("id=\"lb-t-desk_phone_1\""));
        assert!(body.contains("id=\"lb-p-desk_phone_1\""));
    }
}
