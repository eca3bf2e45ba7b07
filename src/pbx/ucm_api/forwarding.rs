//! One entry of the UCM's per-status forwarding list (`sip_presence_settings`): CFU, CFN and
//! CFB with their time types and destination types, in the UCM's own numbers.

use super::error::UcmError;
use super::model::{UcmPresenceStatus, bad, number_field, text_field};
use serde_json::{Map, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
