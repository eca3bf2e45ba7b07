//! Keys from a Grandstream phone provisioning file (`<gs_provision>`): presence-watcher, BLF
//! and speed-dial keys become wall keys with their value (the extension), description (the
//! label) and account; keys in other modes are counted, not imported.
//!
//! Two forms are read:
//!
//! * **P-values** (`<config version="1">`, `<P323>2</P323>`). The numbers follow Grandstream's
//!   config templates for GXP2130/2135/2140/2160/2170 firmware 1.0.11.16 and GXP17xx 1.0.1.106
//!   (as published in wazo-platform/wazo-provd-plugins,
//!   `plugins/wazo-grandstream/docs/config-template/gxp2130_40_60_70_35_config_1.0.11.16.txt`
//!   and `gxp17xx_config_1.0.1.106.txt`):
//!   - physical MPK 1–7: mode P323–P329, account/name/value P301+3(n−1), P302+3(n−1),
//!     P303+3(n−1); MPK 8–18: mode/account/name/value at P353+4(n−8)…+3; MPK 19–24 at
//!     P1440+4(n−19)…+3. Modes: 0 speed dial, 1 BLF, 2 presence watcher, 4 speed dial via
//!     active account (−1 none, 3 eventlist BLF, 5 DTMF, 6 voice mail, …);
//!   - extension-module MPK 1–160: mode/account/description/value at P23000+5(n−1)…+3, same modes;
//!   - fixed (line) VPK 1–4: mode P1363+2(n−1), account P1364+2(n−1), description
//!     P1465+2(n−1), value P1466+2(n−1). Line-key modes: 0 default (line), 1 shared line,
//!     10 speed dial, 11 BLF, **12 presence watcher** (the seed guide's "P-value 12"),
//!     13 eventlist BLF, 14 speed dial via active account;
//!   - VPK 7–48: mode/account/description/value at P23800+4(n−7)…+3. These are line keys on
//!     some models and dynamic keys (MPK modes) on others; the file does not say which, so
//!     modes 10, 11, 12, 14 are read as line-key modes and 0, 1, 2, 4 as MPK modes.
//! * **Named items** (`<config version="2">`, GRP261x firmware 1.0.5.15 template
//!   `grp261x_config_v2_1.0.5.15.xml`): `<item name="pks.mpk.1.keyMode">PresenceWatcher</item>`
//!   with `.account` (`Account1`), `.description` and `.value`, for `pks.vpk.N` and `pks.mpk.N`
//!   alike. Mode aliases: `SpeedDial` (0), `BLF` (1), `PresenceWatcher` (2),
//!   `SpeedDialViaActiveAccount` (4); the seed guide's mode string `presencewatcher` is the
//!   same alias in lower case.
//!
//! No DTD is read: a `<!DOCTYPE>` with an internal subset is refused, and only the five XML
//! entities and character references are resolved.

use super::{
    Collector, Import, ImportError, ImportedKey, KeyKind, MAX_LABEL_CHARS, RowIssue, WallEntry, clip, line_col,
    normalize_ext, prepare,
};
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::collections::HashMap;

/// Most XML events read (a bound far above any real provisioning file).
const MAX_EVENTS: usize = 4_000_000;

/// How a slot's mode numbers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbering {
    /// Physical, extension-module and dynamic keys: 0 speed dial, 1 BLF, 2 presence watcher.
    Mpk,
    /// Line keys (fixed VPKs): 10 speed dial, 11 BLF, 12 presence watcher.
    Line,
    /// VPK 7–48: either, see the module docs.
    Either,
}

/// One programmable key's four P-values.
struct Slot {
    name: String,
    group: &'static str,
    mode: u32,
    account: u32,
    label: u32,
    value: u32,
    numbering: Numbering,
}

fn slots() -> Vec<Slot> {
    let mut v = Vec::new();
    let mut add = |name: String, group, mode, account, label, value, numbering| {
        v.push(Slot { name, group, mode, account, label, value, numbering });
    };
    for n in 1..=7u32 {
        let b = 301 + 3 * (n - 1);
        add(format!("MPK {n}"), "MPK", 322 + n, b, b + 1, b + 2, Numbering::Mpk);
    }
    for n in 8..=18u32 {
        let b = 353 + 4 * (n - 8);
        add(format!("MPK {n}"), "MPK", b, b + 1, b + 2, b + 3, Numbering::Mpk);
    }
    for n in 19..=24u32 {
        let b = 1440 + 4 * (n - 19);
        add(format!("MPK {n}"), "MPK", b, b + 1, b + 2, b + 3, Numbering::Mpk);
    }
    for n in 1..=4u32 {
        let (m, l) = (1363 + 2 * (n - 1), 1465 + 2 * (n - 1));
        add(format!("VPK {n}"), "VPK", m, m + 1, l, l + 1, Numbering::Line);
    }
    for n in 7..=48u32 {
        let b = 23800 + 4 * (n - 7);
        add(format!("VPK {n}"), "VPK", b, b + 1, b + 2, b + 3, Numbering::Either);
    }
    for n in 1..=160u32 {
        let b = 23000 + 5 * (n - 1);
        add(format!("EXT {n}"), "Extension module", b, b + 1, b + 2, b + 3, Numbering::Mpk);
    }
    v
}

/// What a key mode means for the wall.
enum Mode {
    /// Not set (−1 / None): nothing to count.
    Empty,
    /// A key Lampboard shows.
    Key(KeyKind),
    /// Another mode, by name.
    Other(String),
}

const MPK_MODES: [&str; 21] = [
    "Speed Dial",
    "BLF",
    "Presence Watcher",
    "Eventlist BLF",
    "Speed Dial via active account",
    "Dial DTMF",
    "Voice Mail",
    "Call Return",
    "Transfer",
    "Call Park",
    "Intercom",
    "LDAP Search",
    "Conference",
    "Multicast Paging",
    "Record",
    "Call Log",
    "Monitored Call Park",
    "Menu",
    "XML Application",
    "Information",
    "Message",
];

fn mpk_mode(n: i64) -> Mode {
    match n {
        -1 => Mode::Empty,
        0 | 4 => Mode::Key(KeyKind::SpeedDial),
        1 => Mode::Key(KeyKind::Blf),
        2 => Mode::Key(KeyKind::Presence),
        _ => Mode::Other(
            usize::try_from(n).ok().and_then(|i| MPK_MODES.get(i)).map_or(format!("mode {n}"), |s| (*s).to_owned()),
        ),
    }
}

fn line_mode(n: i64) -> Mode {
    match n {
        -1 => Mode::Empty,
        0 => Mode::Other("Line".into()),
        1 => Mode::Other("Shared line".into()),
        10 | 14 => Mode::Key(KeyKind::SpeedDial),
        11 => Mode::Key(KeyKind::Blf),
        12 => Mode::Key(KeyKind::Presence),
        // Above the line modes the list is the MPK list shifted by ten.
        n if n > 12 => mpk_mode(n - 10),
        n => Mode::Other(format!("mode {n}")),
    }
}

fn mode_of(numbering: Numbering, n: i64) -> Mode {
    match numbering {
        Numbering::Mpk => mpk_mode(n),
        Numbering::Line => line_mode(n),
        Numbering::Either => match n {
            10..=12 | 14 => line_mode(n),
            _ => mpk_mode(n),
        },
    }
}

/// A named-form mode: an alias (`PresenceWatcher`) or a number in the MPK list.
fn named_mode(raw: &str) -> Mode {
    let alias: String = raw.chars().filter(|c| c.is_alphanumeric() || *c == '-').collect::<String>().to_lowercase();
    if let Ok(n) = alias.parse::<i64>() {
        return mpk_mode(n);
    }
    match alias.as_str() {
        "" | "none" => Mode::Empty,
        "speeddial" | "speeddialviaactiveaccount" => Mode::Key(KeyKind::SpeedDial),
        "blf" => Mode::Key(KeyKind::Blf),
        "presencewatcher" => Mode::Key(KeyKind::Presence),
        _ => Mode::Other(raw.trim().to_owned()),
    }
}

/// A value read from the file, with the byte offset of its element.
#[derive(Debug, Clone)]
struct Val {
    text: String,
    at: usize,
}

/// The P-values and named items of a file, in file order.
#[derive(Default)]
struct Values {
    p: HashMap<u32, Val>,
    items: HashMap<String, Val>,
    item_order: Vec<String>,
}

/// Reads keys from the text of a Grandstream provisioning file.
pub fn import(text: &str) -> Result<Import, ImportError> {
    let text = prepare(text)?;
    let values = read_values(text)?;
    let mut out = Collector::default();
    if values.p.is_empty() && values.items.is_empty() {
        return Err(ImportError::file("no P-values and no <item> settings in the file"));
    }
    for slot in slots() {
        let Some(mode) = values.p.get(&slot.mode) else { continue };
        let (line, _) = line_col(text, mode.at);
        let field = format!("P{}", slot.mode);
        let Ok(n) = mode.text.trim().parse::<i64>() else {
            let message = format!("{}: mode {:?} is not a number", slot.name, mode.text.trim());
            out.error(RowIssue { line, column: None, field: Some(field), message })?;
            continue;
        };
        let get = |p: u32| values.p.get(&p).map_or("", |v| v.text.as_str());
        let account = get(slot.account).trim().parse::<u8>().ok().and_then(|a| a.checked_add(1));
        let raw = Raw {
            slot: slot.name.clone(),
            group: slot.group,
            line,
            label: get(slot.label),
            value: get(slot.value),
            account,
        };
        take(&mut out, mode_of(slot.numbering, n), raw, &format!("P{}", slot.value))?;
    }
    for prefix in &values.item_order {
        let Some(mode) = values.items.get(&format!("{prefix}.keymode")) else { continue };
        let (line, _) = line_col(text, mode.at);
        let get = |f: &str| values.items.get(&format!("{prefix}.{f}")).map_or("", |v| v.text.as_str());
        let account = account_alias(get("account"));
        let (name, group) = named_slot(prefix);
        let raw = Raw { slot: name, group, line, label: get("description"), value: get("value"), account };
        take(&mut out, named_mode(&mode.text), raw, &format!("{prefix}.value"))?;
    }
    Ok(out.finish())
}

/// One key as read, before its mode is applied.
struct Raw<'a> {
    slot: String,
    group: &'static str,
    line: usize,
    label: &'a str,
    value: &'a str,
    account: Option<u8>,
}

fn take(out: &mut Collector, mode: Mode, raw: Raw<'_>, value_field: &str) -> Result<(), ImportError> {
    let kind = match mode {
        Mode::Empty => return Ok(()),
        Mode::Other(name) => {
            out.other_mode(name);
            return Ok(());
        }
        Mode::Key(k) => k,
    };
    if raw.value.trim().is_empty() {
        let message = format!("{}: no value (extension)", raw.slot);
        out.skip(RowIssue { line: raw.line, column: None, field: Some(value_field.to_owned()), message });
        return Ok(());
    }
    let ext = match normalize_ext(raw.value) {
        Ok(e) => e,
        Err(m) => {
            let message = format!("{}: {m}", raw.slot);
            return out.error(RowIssue { line: raw.line, column: None, field: Some(value_field.to_owned()), message });
        }
    };
    let label = clip(raw.label, MAX_LABEL_CHARS);
    let label = if label.is_empty() { ext.clone() } else { label };
    let entry = WallEntry { page: raw.group.to_owned(), label, ext, kind };
    out.key(ImportedKey { entry, line: raw.line, slot: Some(raw.slot), account: raw.account })
}

/// `Account1` / `1`-based alias or a 0-based number → the 1-based account.
fn account_alias(raw: &str) -> Option<u8> {
    let t = raw.trim();
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("account") {
        Some(n) => n.trim().parse::<u8>().ok().filter(|&n| n > 0),
        None => t.parse::<u8>().ok().and_then(|n| n.checked_add(1)),
    }
}

/// `pks.mpk.3` → ("MPK 3", "MPK"); other prefixes are shown as written.
fn named_slot(prefix: &str) -> (String, &'static str) {
    let parts: Vec<&str> = prefix.split('.').collect();
    match parts.as_slice() {
        ["pks", "mpk", n] => (format!("MPK {n}"), "MPK"),
        ["pks", "vpk", n] => (format!("VPK {n}"), "VPK"),
        _ if prefix.contains("ext") => (prefix.to_owned(), "Extension module"),
        _ => (prefix.to_owned(), "Phone keys"),
    }
}

/// What element the text being read belongs to.
enum Capture {
    None,
    P(u32, usize),
    Item(String, usize),
}

fn read_values(text: &str) -> Result<Values, ImportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let err_at = |reader: &Reader<&[u8]>, message: String| {
        let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
        let (l, c) = line_col(text, at);
        ImportError::at_col(l, c, message)
    };
    let pos = |reader: &Reader<&[u8]>| usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    // Our own complaints point at the start of the event they are about.
    let own = |at: usize, message: String| {
        let (l, c) = line_col(text, at);
        ImportError::at_col(l, c, message)
    };
    let mut values = Values::default();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut capture = Capture::None;
    let mut buf = String::new();
    for _ in 0..MAX_EVENTS {
        let before = pos(&reader);
        let event = reader.read_event().map_err(|e| err_at(&reader, format!("not well-formed XML: {e}")))?;
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(el) | Event::Empty(el) if depth == 0 => {
                if root_seen {
                    return Err(own(before, "a second root element".into()));
                }
                root_seen = true;
                if el.local_name().as_ref() != b"gs_provision" {
                    let name = String::from_utf8_lossy(el.local_name().as_ref()).into_owned();
                    let (l, _) = line_col(text, before);
                    return Err(ImportError::at(
                        l,
                        format!("<{name}> is not a Grandstream provisioning file (<gs_provision>)"),
                    ));
                }
                if is_start {
                    depth = 1;
                }
            }
            Event::Start(el) => {
                depth += 1;
                let name = el.local_name();
                let name = name.as_ref();
                capture = if name.len() > 1
                    && (name[0] == b'P' || name[0] == b'p')
                    && name[1..].iter().all(u8::is_ascii_digit)
                {
                    std::str::from_utf8(&name[1..])
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .map_or(Capture::None, |n| Capture::P(n, before))
                } else if name == b"item" {
                    match el.try_get_attribute("name") {
                        Ok(Some(a)) => {
                            let v = a
                                .normalized_value(XmlVersion::Implicit1_0)
                                .map_err(|e| own(before, format!("bad item name: {e}")))?;
                            Capture::Item(v.trim().to_lowercase(), before)
                        }
                        Ok(None) => Capture::None,
                        Err(e) => return Err(own(before, format!("bad attribute: {e}"))),
                    }
                } else {
                    Capture::None
                };
                buf.clear();
            }
            Event::Empty(el) => {
                // `<P323/>` or `<item name="…"/>`: an empty value.
                let name = el.local_name();
                if name.as_ref() == b"item"
                    && let Ok(Some(a)) = el.try_get_attribute("name")
                    && let Ok(v) = a.normalized_value(XmlVersion::Implicit1_0)
                {
                    store_item(&mut values, v.trim().to_lowercase(), Val { text: String::new(), at: before });
                }
            }
            Event::End(_) => {
                if depth == 0 {
                    return Err(own(before, "unmatched end tag".into()));
                }
                depth -= 1;
                match std::mem::replace(&mut capture, Capture::None) {
                    Capture::P(n, at) => {
                        values.p.insert(n, Val { text: std::mem::take(&mut buf), at });
                    }
                    Capture::Item(name, at) => {
                        store_item(&mut values, name, Val { text: std::mem::take(&mut buf), at })
                    }
                    Capture::None => {}
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| own(before, format!("bad text: {e}")))?;
                if depth == 0 && !s.trim().is_empty() {
                    return Err(own(before, "text outside the root element".into()));
                }
                if !matches!(capture, Capture::None) {
                    buf.push_str(&s);
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| own(before, format!("bad CDATA: {e}")))?;
                if !matches!(capture, Capture::None) {
                    buf.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| own(before, format!("bad character reference: {e}")))? {
                    Some(c) => c,
                    None => match &*r {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => {
                            let name = String::from_utf8_lossy(other).into_owned();
                            return Err(own(
                                before,
                                format!("unknown entity &{name}; (only the five XML entities are allowed)"),
                            ));
                        }
                    },
                };
                if !matches!(capture, Capture::None) {
                    buf.push(c);
                }
            }
            Event::DocType(d) if d.contains(&b'[') => {
                return Err(own(before, "a DOCTYPE with its own entity definitions is refused".into()));
            }
            Event::Eof => {
                if depth > 0 {
                    let (l, _) = line_col(text, text.len());
                    return Err(ImportError::at(l, "the file ends inside <gs_provision> (truncated?)"));
                }
                if !root_seen {
                    return Err(ImportError::file("no XML element in the file: is this a provisioning file?"));
                }
                return Ok(values);
            }
            _ => {}
        }
    }
    Err(ImportError::file("the file has too many XML elements"))
}

fn store_item(values: &mut Values, name: String, val: Val) {
    if let Some(prefix) = name.strip_suffix(".keymode")
        && !values.item_order.iter().any(|p| p == prefix)
    {
        values.item_order.push(prefix.to_owned());
    }
    values.items.insert(name, val);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_p_value_table_has_no_overlaps() {
        let mut seen = std::collections::HashSet::new();
        for s in slots() {
            for p in [s.mode, s.account, s.label, s.value] {
                assert!(seen.insert(p), "P{p} used twice ({})", s.name);
            }
        }
    }

    #[test]
    fn modes_read_per_numbering() {
        assert!(matches!(mode_of(Numbering::Mpk, 2), Mode::Key(KeyKind::Presence)));
        assert!(matches!(mode_of(Numbering::Line, 12), Mode::Key(KeyKind::Presence)));
        assert!(matches!(mode_of(Numbering::Line, 11), Mode::Key(KeyKind::Blf)));
        assert!(matches!(mode_of(Numbering::Either, 2), Mode::Key(KeyKind::Presence)));
        assert!(matches!(mode_of(Numbering::Either, 12), Mode::Key(KeyKind::Presence)));
        assert!(matches!(mode_of(Numbering::Mpk, 6), Mode::Other(ref s) if s == "Voice Mail"));
        assert!(matches!(named_mode("presencewatcher"), Mode::Key(KeyKind::Presence)));
        assert!(matches!(named_mode("PresenceWatcher"), Mode::Key(KeyKind::Presence)));
        assert!(matches!(named_mode("None"), Mode::Empty));
        assert_eq!(account_alias("Account2"), Some(2));
        assert_eq!(account_alias("0"), Some(1));
    }
}
