//! The UCM's own view of a SIP account's presence and forwarding, as typed Rust, with the UCM's
//! field names and values (PRESENCE.md §2).
//!
//! [`UcmAccountSettings`] is deliberately neutral: it knows the UCM's words, not Lampboard's
//! forwarding rules. Every field is optional; `None` means "leave as it is on the UCM" in an
//! update and "not in the answer" in a read-back.

use super::error::UcmError;
use crate::presence::status::UserStatus;
use serde_json::{Map, Value};

/// Longest custom status text the UCM takes (`presence_def_script`), in characters.
pub const MAX_CUSTOM_TEXT: usize = 64;
/// Most entries a UCM whitelist (`dndwhitelist`, `fwdwhitelist`) takes.
pub const MAX_WHITELIST_ENTRIES: usize = 10;

/// The UCM's `presence_status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UcmPresenceStatus {
    /// `available`.
    Available,
    /// `away`.
    Away,
    /// `chat`.
    Chat,
    /// `dnd` (the UCM GUI couples it with `dnd=yes`).
    Dnd,
    /// `userdef`: the custom status, whose text is `presence_def_script`.
    Userdef,
    /// `unavailable`.
    Unavailable,
}

impl UcmPresenceStatus {
    /// All six, in the UCM GUI's order.
    pub const ALL: [UcmPresenceStatus; 6] = [
        UcmPresenceStatus::Available,
        UcmPresenceStatus::Away,
        UcmPresenceStatus::Chat,
        UcmPresenceStatus::Dnd,
        UcmPresenceStatus::Userdef,
        UcmPresenceStatus::Unavailable,
    ];

    /// The five statuses that have an entry in the per-status forwarding list (no `dnd`: DND
    /// ignores forwarding).
    pub const WITH_FORWARDING: [UcmPresenceStatus; 5] = [
        UcmPresenceStatus::Available,
        UcmPresenceStatus::Away,
        UcmPresenceStatus::Chat,
        UcmPresenceStatus::Userdef,
        UcmPresenceStatus::Unavailable,
    ];

    /// The UCM's word.
    pub fn as_str(self) -> &'static str {
        match self {
            UcmPresenceStatus::Available => "available",
            UcmPresenceStatus::Away => "away",
            UcmPresenceStatus::Chat => "chat",
            UcmPresenceStatus::Dnd => "dnd",
            UcmPresenceStatus::Userdef => "userdef",
            UcmPresenceStatus::Unavailable => "unavailable",
        }
    }

    /// Reads the UCM's word (exact, lower case); `None` for anything else.
    pub fn from_ucm(word: &str) -> Option<UcmPresenceStatus> {
        UcmPresenceStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// The UCM status for one of Lampboard's six; `None` for [`UserStatus::Unknown`].
    pub fn from_user_status(status: &UserStatus) -> Option<UcmPresenceStatus> {
        Some(match status {
            UserStatus::Available => UcmPresenceStatus::Available,
            UserStatus::Away => UcmPresenceStatus::Away,
            UserStatus::Chat => UcmPresenceStatus::Chat,
            UserStatus::Dnd => UcmPresenceStatus::Dnd,
            UserStatus::Unavailable => UcmPresenceStatus::Unavailable,
            UserStatus::Custom(_) => UcmPresenceStatus::Userdef,
            UserStatus::Unknown => return None,
        })
    }

    /// Lampboard's status for this one; `userdef` takes `custom_text` (empty if absent).
    pub fn to_user_status(self, custom_text: Option<&str>) -> UserStatus {
        match self {
            UcmPresenceStatus::Available => UserStatus::Available,
            UcmPresenceStatus::Away => UserStatus::Away,
            UcmPresenceStatus::Chat => UserStatus::Chat,
            UcmPresenceStatus::Dnd => UserStatus::Dnd,
            UcmPresenceStatus::Userdef => UserStatus::Custom(custom_text.unwrap_or_default().to_owned()),
            UcmPresenceStatus::Unavailable => UserStatus::Unavailable,
        }
    }
}

/// A UCM time type (`cfu_timetype`, `dnd_timetype`, …): when a rule applies. The meanings are
/// the UCM GUI's option order plus its manual's labels **[inf]**; `8` is accepted but its
/// meaning is not known **[?]**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UcmTimeType {
    /// `0`: all the time.
    AllTime,
    /// `1`: office time.
    OfficeTime,
    /// `2`: out of office time.
    OutOfOfficeTime,
    /// `3`: holiday.
    Holiday,
    /// `4`: out of holiday.
    OutOfHoliday,
    /// `5`: out of office time or holiday.
    OutOfOfficeTimeOrHoliday,
    /// `6`: specific time (the account's own time conditions).
    SpecificTime,
    /// `8`: a value the UCM lists, meaning not known.
    Code8,
}

impl UcmTimeType {
    /// The UCM's number.
    pub fn code(self) -> u8 {
        match self {
            UcmTimeType::AllTime => 0,
            UcmTimeType::OfficeTime => 1,
            UcmTimeType::OutOfOfficeTime => 2,
            UcmTimeType::Holiday => 3,
            UcmTimeType::OutOfHoliday => 4,
            UcmTimeType::OutOfOfficeTimeOrHoliday => 5,
            UcmTimeType::SpecificTime => 6,
            UcmTimeType::Code8 => 8,
        }
    }

    /// Reads the UCM's number; `None` outside `0..=6, 8`.
    pub fn from_code(code: u64) -> Option<UcmTimeType> {
        Some(match code {
            0 => UcmTimeType::AllTime,
            1 => UcmTimeType::OfficeTime,
            2 => UcmTimeType::OutOfOfficeTime,
            3 => UcmTimeType::Holiday,
            4 => UcmTimeType::OutOfHoliday,
            5 => UcmTimeType::OutOfOfficeTimeOrHoliday,
            6 => UcmTimeType::SpecificTime,
            8 => UcmTimeType::Code8,
            _ => return None,
        })
    }
}

/// What kind of target a forward goes to (`cfu_destination_type`, …). The numbers follow a
/// third-party list **[?]**; the UCM GUI treats `0` and `7` as "none" and `2` as an external
/// number. Unknown numbers are kept as [`UcmDestinationType::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UcmDestinationType {
    /// `0`: no forward.
    None,
    /// `1`: a local extension.
    Extension,
    /// `2`: a custom (external) number.
    Custom,
    /// `3`: a voicemail box.
    Voicemail,
    /// `4`: a ring group.
    RingGroup,
    /// `5`: a call queue.
    Queue,
    /// `6`: a voicemail group.
    VoicemailGroup,
    /// Any other number (the GUI uses `7` for "none" too).
    Other(u8),
}

impl UcmDestinationType {
    /// The UCM's number.
    pub fn code(self) -> u8 {
        match self {
            UcmDestinationType::None => 0,
            UcmDestinationType::Extension => 1,
            UcmDestinationType::Custom => 2,
            UcmDestinationType::Voicemail => 3,
            UcmDestinationType::RingGroup => 4,
            UcmDestinationType::Queue => 5,
            UcmDestinationType::VoicemailGroup => 6,
            UcmDestinationType::Other(n) => n,
        }
    }

    /// Reads the UCM's number; `None` above 255.
    pub fn from_code(code: u64) -> Option<UcmDestinationType> {
        Some(match code {
            0 => UcmDestinationType::None,
            1 => UcmDestinationType::Extension,
            2 => UcmDestinationType::Custom,
            3 => UcmDestinationType::Voicemail,
            4 => UcmDestinationType::RingGroup,
            5 => UcmDestinationType::Queue,
            6 => UcmDestinationType::VoicemailGroup,
            n => UcmDestinationType::Other(u8::try_from(n).ok()?),
        })
    }
}

/// One forward (CFU, CFN or CFB) of one presence status. An empty `target` means off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UcmForward {
    /// The number or extension calls go to; empty = off.
    pub target: String,
    /// When the forward applies.
    pub time_type: UcmTimeType,
    /// What kind of target it is.
    pub destination_type: UcmDestinationType,
}

impl UcmForward {
    /// No forward.
    pub fn off() -> UcmForward {
        UcmForward {
            target: String::new(),
            time_type: UcmTimeType::AllTime,
            destination_type: UcmDestinationType::None,
        }
    }

    /// A forward to `target` applying at `time_type`: an extension when `target_is_local`,
    /// else a custom (external) number. An empty `target` gives [`UcmForward::off`].
    pub fn to(target: &str, time_type: UcmTimeType, target_is_local: bool) -> UcmForward {
        let target = target.trim();
        if target.is_empty() {
            return UcmForward::off();
        }
        let destination_type = if target_is_local { UcmDestinationType::Extension } else { UcmDestinationType::Custom };
        UcmForward { target: target.to_owned(), time_type, destination_type }
    }

    /// True when the forward is off (empty target).
    pub fn is_off(&self) -> bool {
        self.target.is_empty()
    }
}

/// The forwarding of one presence status: one entry of `sip_presence_settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UcmStatusForwarding {
    /// The status this entry belongs to (never `dnd`).
    pub presence_status: UcmPresenceStatus,
    /// Call Forward Unconditional.
    pub cfu: UcmForward,
    /// Call Forward No answer.
    pub cfn: UcmForward,
    /// Call Forward Busy.
    pub cfb: UcmForward,
}

impl UcmStatusForwarding {
    /// An entry for `status` with all three forwards off.
    pub fn off(status: UcmPresenceStatus) -> UcmStatusForwarding {
        UcmStatusForwarding {
            presence_status: status,
            cfu: UcmForward::off(),
            cfn: UcmForward::off(),
            cfb: UcmForward::off(),
        }
    }

    /// The UCM's JSON object, every value a string as the UCM GUI sends them.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("presence_status".into(), self.presence_status.as_str().into());
        for (name, fwd) in [("cfu", &self.cfu), ("cfn", &self.cfn), ("cfb", &self.cfb)] {
            m.insert(name.into(), fwd.target.clone().into());
            m.insert(format!("{name}_timetype"), fwd.time_type.code().to_string().into());
            m.insert(format!("{name}_destination_type"), fwd.destination_type.code().to_string().into());
        }
        Value::Object(m)
    }

    /// Reads one entry as the UCM returns it (numbers as strings or as JSON numbers; missing
    /// forwards are off).
    pub fn from_json(v: &Value) -> Result<UcmStatusForwarding, UcmError> {
        let obj = v.as_object().ok_or_else(|| bad("a presence settings entry is not an object"))?;
        let word = text_field(obj, "presence_status")?.ok_or_else(|| bad("presence settings entry without status"))?;
        let presence_status = UcmPresenceStatus::from_ucm(&word)
            .ok_or_else(|| bad(format!("unknown presence_status {word:?} in presence settings")))?;
        let fwd = |name: &str| -> Result<UcmForward, UcmError> {
            let target = text_field(obj, name)?.unwrap_or_default();
            let time_type = match number_field(obj, &format!("{name}_timetype"))? {
                None => UcmTimeType::AllTime,
                Some(n) => UcmTimeType::from_code(n).ok_or_else(|| bad(format!("{name}_timetype {n} unknown")))?,
            };
            let destination_type = match number_field(obj, &format!("{name}_destination_type"))? {
                None if target.is_empty() => UcmDestinationType::None,
                None => UcmDestinationType::Custom,
                Some(n) => UcmDestinationType::from_code(n)
                    .ok_or_else(|| bad(format!("{name}_destination_type {n} out of range")))?,
            };
            Ok(UcmForward { target, time_type, destination_type })
        };
        Ok(UcmStatusForwarding { presence_status, cfu: fwd("cfu")?, cfn: fwd("cfn")?, cfb: fwd("cfb")? })
    }
}

/// Which field name carries the per-status forwarding list in `updateSIPAccount`: Grandstream's
/// API table says `sip_presence_settings`, its own example and the GUI say `presence_settings`
/// **[?]**. Read-back accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PresenceListField {
    /// `sip_presence_settings` (the API table; default).
    #[default]
    SipPresenceSettings,
    /// `presence_settings` (the GUI and the API's add example).
    PresenceSettings,
}

impl PresenceListField {
    /// The JSON field name.
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceListField::SipPresenceSettings => "sip_presence_settings",
            PresenceListField::PresenceSettings => "presence_settings",
        }
    }
}

/// A SIP account's presence and forwarding as the UCM keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UcmAccountSettings {
    /// `presence_status`.
    pub presence_status: Option<UcmPresenceStatus>,
    /// `presence_def_script`: the custom status text (up to 64 characters).
    pub presence_def_script: Option<String>,
    /// The per-status forwarding list; when sent it must hold exactly the five statuses of
    /// [`UcmPresenceStatus::WITH_FORWARDING`] (the UCM wants the whole list).
    pub presence_settings: Option<Vec<UcmStatusForwarding>>,
    /// `dnd` (`yes`/`no`).
    pub dnd: Option<bool>,
    /// `dnd_timetype`: when DND applies.
    pub dnd_timetype: Option<UcmTimeType>,
    /// `dndwhitelist`: callers that ring through DND (UCM patterns, up to 10).
    pub dnd_whitelist: Option<Vec<String>>,
    /// `fwdwhitelist`: callers never forwarded (UCM patterns, up to 10).
    pub fwd_whitelist: Option<Vec<String>>,
}

impl UcmAccountSettings {
    /// Settings that change nothing; fill in the fields to send.
    pub fn new() -> UcmAccountSettings {
        UcmAccountSettings::default()
    }

    /// Only the own status: `presence_status`, the custom text for `userdef`, and `dnd` coupled
    /// as the UCM GUI does (`dnd` ⇔ `dnd=yes`). `None` for [`UserStatus::Unknown`].
    pub fn presence_only(status: &UserStatus) -> Option<UcmAccountSettings> {
        let ucm = UcmPresenceStatus::from_user_status(status)?;
        let text = match status {
            UserStatus::Custom(t) => Some(t.trim().to_owned()),
            _ => None,
        };
        Some(UcmAccountSettings {
            presence_status: Some(ucm),
            presence_def_script: text,
            dnd: Some(ucm == UcmPresenceStatus::Dnd),
            ..UcmAccountSettings::default()
        })
    }

    /// The five forwarding entries with every forward off, in the UCM's order.
    pub fn forwarding_all_off() -> Vec<UcmStatusForwarding> {
        UcmPresenceStatus::WITH_FORWARDING.into_iter().map(UcmStatusForwarding::off).collect()
    }

    /// Lampboard's status, when `presence_status` is known.
    pub fn user_status(&self) -> Option<UserStatus> {
        self.presence_status.map(|s| s.to_user_status(self.presence_def_script.as_deref()))
    }

    /// Checks the UCM's limits, then gives the fields of an `updateSIPAccount` request (without
    /// `action`, `cookie` and `extension`), exactly as the UCM expects them.
    pub fn to_update_fields(&self, list_field: PresenceListField) -> Result<Map<String, Value>, UcmError> {
        self.validate()?;
        let mut m = Map::new();
        if let Some(s) = self.presence_status {
            m.insert("presence_status".into(), s.as_str().into());
        }
        if let Some(t) = &self.presence_def_script {
            m.insert("presence_def_script".into(), t.clone().into());
        }
        if let Some(list) = &self.presence_settings {
            m.insert(list_field.as_str().into(), Value::Array(list.iter().map(UcmStatusForwarding::to_json).collect()));
        }
        if let Some(d) = self.dnd {
            m.insert("dnd".into(), if d { "yes" } else { "no" }.into());
        }
        if let Some(t) = self.dnd_timetype {
            m.insert("dnd_timetype".into(), t.code().to_string().into());
        }
        if let Some(w) = &self.dnd_whitelist {
            m.insert("dndwhitelist".into(), w.join(",").into());
        }
        if let Some(w) = &self.fwd_whitelist {
            m.insert("fwdwhitelist".into(), w.join(",").into());
        }
        if m.is_empty() {
            return Err(UcmError::InvalidSettings("nothing to update".into()));
        }
        Ok(m)
    }

    fn validate(&self) -> Result<(), UcmError> {
        let invalid = |s: String| Err(UcmError::InvalidSettings(s));
        if let Some(t) = &self.presence_def_script {
            if t.chars().count() > MAX_CUSTOM_TEXT {
                return invalid(format!("the custom status text is longer than {MAX_CUSTOM_TEXT} characters"));
            }
            if t.chars().any(char::is_control) {
                return invalid("the custom status text holds control characters".into());
            }
        }
        if self.presence_status == Some(UcmPresenceStatus::Userdef)
            && self.presence_def_script.as_deref().is_none_or(|t| t.trim().is_empty())
        {
            return invalid("the custom status needs its text".into());
        }
        if let Some(list) = &self.presence_settings {
            for want in UcmPresenceStatus::WITH_FORWARDING {
                let n = list.iter().filter(|e| e.presence_status == want).count();
                if n != 1 {
                    return invalid(format!(
                        "the forwarding list must hold {} exactly once (has it {n} times); the UCM wants the whole list",
                        want.as_str()
                    ));
                }
            }
            if let Some(e) = list.iter().find(|e| e.presence_status == UcmPresenceStatus::Dnd) {
                return invalid(format!("the forwarding list has no {} entry on the UCM", e.presence_status.as_str()));
            }
            for e in list {
                for (name, f) in [("cfu", &e.cfu), ("cfn", &e.cfn), ("cfb", &e.cfb)] {
                    if !f.target.chars().all(|c| c.is_ascii_alphanumeric() || "+*#-_.".contains(c)) {
                        return invalid(format!(
                            "{name} target {:?} of {} is not a number",
                            f.target,
                            e.presence_status.as_str()
                        ));
                    }
                }
            }
        }
        for (name, list) in [("DND whitelist", &self.dnd_whitelist), ("forward whitelist", &self.fwd_whitelist)] {
            let Some(list) = list else { continue };
            if list.len() > MAX_WHITELIST_ENTRIES {
                return invalid(format!(
                    "the {name} has {} entries; the UCM takes {MAX_WHITELIST_ENTRIES}",
                    list.len()
                ));
            }
            if let Some(bad) =
                list.iter().find(|p| p.is_empty() || p.contains(',') || p.chars().any(char::is_whitespace))
            {
                return invalid(format!("{name} entry {bad:?} is empty or holds a comma or a space"));
            }
        }
        Ok(())
    }

    /// Reads the `response` object of a `getSIPAccount` answer. The fields may sit in
    /// `response.extension` or directly in `response`; the forwarding list may be called
    /// `sip_presence_settings` or `presence_settings` and may come as an array or as a string
    /// holding one. Fields that are absent stay `None`.
    pub fn from_get_response(response: &Value) -> Result<UcmAccountSettings, UcmError> {
        let top = response.as_object().ok_or_else(|| bad("getSIPAccount response is not an object"))?;
        let obj = match top.get("extension") {
            Some(Value::Object(inner)) => inner,
            _ => top,
        };
        let presence_status = match text_field(obj, "presence_status")? {
            None => None,
            Some(w) if w.is_empty() => None,
            Some(w) => {
                Some(UcmPresenceStatus::from_ucm(&w).ok_or_else(|| bad(format!("unknown presence_status {w:?}")))?)
            }
        };
        let list = obj.get("sip_presence_settings").or_else(|| obj.get("presence_settings"));
        let presence_settings = match list {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                Some(items.iter().map(UcmStatusForwarding::from_json).collect::<Result<_, _>>()?)
            }
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => {
                let parsed: Value = serde_json::from_str(s).map_err(|e| bad(format!("presence settings: {e}")))?;
                let items = parsed.as_array().ok_or_else(|| bad("presence settings string is not a JSON list"))?;
                Some(items.iter().map(UcmStatusForwarding::from_json).collect::<Result<_, _>>()?)
            }
            Some(_) => return Err(bad("presence settings are neither a list nor a string")),
        };
        let dnd = match text_field(obj, "dnd")?.as_deref() {
            None | Some("") => None,
            Some("yes") => Some(true),
            Some("no") => Some(false),
            Some(other) => return Err(bad(format!("dnd is {other:?}, not yes/no"))),
        };
        let dnd_timetype = match number_field(obj, "dnd_timetype")? {
            None => None,
            Some(n) => Some(UcmTimeType::from_code(n).ok_or_else(|| bad(format!("dnd_timetype {n} unknown")))?),
        };
        let split = |s: Option<String>| {
            s.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        };
        Ok(UcmAccountSettings {
            presence_status,
            presence_def_script: text_field(obj, "presence_def_script")?,
            presence_settings,
            dnd,
            dnd_timetype,
            dnd_whitelist: split(text_field(obj, "dndwhitelist")?),
            fwd_whitelist: split(text_field(obj, "fwdwhitelist")?),
        })
    }
}

fn bad(why: impl Into<String>) -> UcmError {
    UcmError::BadResponse(why.into())
}

/// A text field; `null` counts as absent.
fn text_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, UcmError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad(format!("{name} is not text"))),
    }
}

/// A small non-negative number, sent as a JSON number or a string of digits; `null` or `""`
/// count as absent.
fn number_field(obj: &Map<String, Value>, name: &str) -> Result<Option<u64>, UcmError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(format!("{name} is not a small number"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(format!("{name} {s:?} is not a number"))),
        Some(_) => Err(bad(format!("{name} is not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presence_only_couples_dnd_and_carries_the_custom_text() {
        let s = UcmAccountSettings::presence_only(&UserStatus::Custom("In a meeting".into())).unwrap();
        let f = s.to_update_fields(PresenceListField::default()).unwrap();
        assert_eq!(
            Value::Object(f),
            json!({"presence_status": "userdef", "presence_def_script": "In a meeting", "dnd": "no"})
        );
        let s = UcmAccountSettings::presence_only(&UserStatus::Dnd).unwrap();
        let f = s.to_update_fields(PresenceListField::default()).unwrap();
        assert_eq!(Value::Object(f), json!({"presence_status": "dnd", "dnd": "yes"}));
        assert!(UcmAccountSettings::presence_only(&UserStatus::Unknown).is_none());
    }

    #[test]
    fn limits_are_enforced_with_clear_errors() {
        let long = "x".repeat(65);
        let s = UcmAccountSettings::presence_only(&UserStatus::Custom(long)).unwrap();
        let e = s.to_update_fields(PresenceListField::default()).unwrap_err();
        assert!(e.to_string().contains("longer than 64"), "{e}");
        let s = UcmAccountSettings::presence_only(&UserStatus::Custom("  ".into())).unwrap();
        assert!(s.to_update_fields(PresenceListField::default()).unwrap_err().to_string().contains("needs its text"));
        let s = UcmAccountSettings {
            fwd_whitelist: Some((0..11).map(|i| format!("10{i}")).collect()),
            ..UcmAccountSettings::new()
        };
        assert!(s.to_update_fields(PresenceListField::default()).unwrap_err().to_string().contains("11 entries"));
        let mut list = UcmAccountSettings::forwarding_all_off();
        list.pop();
        let s = UcmAccountSettings { presence_settings: Some(list), ..UcmAccountSettings::new() };
        let e = s.to_update_fields(PresenceListField::default()).unwrap_err().to_string();
        assert!(e.contains("unavailable exactly once"), "{e}");
        assert!(UcmAccountSettings::new().to_update_fields(PresenceListField::default()).is_err());
    }

    #[test]
    fn forwarding_entry_round_trips_and_reads_numbers_too() {
        let e = UcmStatusForwarding {
            presence_status: UcmPresenceStatus::Away,
            cfu: UcmForward::to("1002", UcmTimeType::OutOfOfficeTime, true),
            cfn: UcmForward::to("+15551234", UcmTimeType::AllTime, false),
            cfb: UcmForward::off(),
        };
        let j = e.to_json();
        assert_eq!(j["cfu_timetype"], "2");
        assert_eq!(j["cfu_destination_type"], "1");
        assert_eq!(j["cfn_destination_type"], "2");
        assert_eq!(j["cfb"], "");
        assert_eq!(UcmStatusForwarding::from_json(&j).unwrap(), e);
        let numeric = json!({"presence_status": "chat", "cfu": "7", "cfu_timetype": 6, "cfu_destination_type": 1});
        let r = UcmStatusForwarding::from_json(&numeric).unwrap();
        assert_eq!(r.cfu.time_type, UcmTimeType::SpecificTime);
        assert!(r.cfb.is_off());
        assert!(UcmStatusForwarding::from_json(&json!({"presence_status": "busy"})).is_err());
        assert!(UcmStatusForwarding::from_json(&json!({"presence_status": "away", "cfu_timetype": "7"})).is_err());
    }

    #[test]
    fn get_response_nested_or_flat_with_list_as_string() {
        let list = serde_json::to_string(&json!([{"presence_status": "away", "cfu": "1003", "cfu_timetype": "0",
            "cfu_destination_type": "1"}]))
        .unwrap();
        let nested = json!({"extension": {"presence_status": "userdef", "presence_def_script": "Lunch", "dnd": "no",
            "dnd_timetype": "0", "dndwhitelist": "1001, 1002", "fwdwhitelist": "", "presence_settings": list}});
        let s = UcmAccountSettings::from_get_response(&nested).unwrap();
        assert_eq!(s.user_status(), Some(UserStatus::Custom("Lunch".into())));
        assert_eq!(s.dnd_whitelist.as_deref(), Some(&["1001".to_owned(), "1002".to_owned()][..]));
        assert_eq!(s.fwd_whitelist.as_deref(), Some(&[][..]));
        assert_eq!(s.presence_settings.unwrap()[0].cfu.target, "1003");
        let flat = json!({"presence_status": "chat", "dnd": "maybe"});
        assert!(UcmAccountSettings::from_get_response(&flat).unwrap_err().to_string().contains("maybe"));
        let flat = json!({"presence_status": "chat"});
        let s = UcmAccountSettings::from_get_response(&flat).unwrap();
        assert_eq!(s.presence_status, Some(UcmPresenceStatus::Chat));
        assert_eq!(s.dnd, None);
    }
}
