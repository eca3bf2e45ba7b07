//! The UCM's own view of a SIP account's presence and forwarding, as typed Rust, with the UCM's
//! field names and values (PRESENCE.md §2).
//!
//! [`UcmAccountSettings`] is deliberately neutral: it knows the UCM's words, not Lampboard's
//! forwarding rules. Every field is optional; `None` means "leave as it is on the UCM" in an
//! update and "not in the answer" in a read-back.

use super::error::UcmError;
use super::forwarding::{UcmStatusForwarding, UcmTimeType};
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

pub(super) fn bad(why: impl Into<String>) -> UcmError {
    UcmError::BadResponse(why.into())
}

/// A text field; `null` counts as absent.
pub(super) fn text_field(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, UcmError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad(format!("{name} is not text"))),
    }
}

/// A small non-negative number, sent as a JSON number or a string of digits; `null` or `""`
/// count as absent.
pub(super) fn number_field(obj: &Map<String, Value>, name: &str) -> Result<Option<u64>, UcmError> {
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
