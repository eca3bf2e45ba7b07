//! The forwarding rules: the UCM model of per-status Call Forward Always (CFU), No Answer
//! (CFNA) and Busy (CFB), Do Not Disturb, the two whitelists, and the calendar (office hours,
//! holidays, time zone) that time conditions refer to.
//!
//! Field names follow the UCM where it has one (PRESENCE.md §2: `cfu`, `dnd`, the
//! whitelists); CFNA is the UCM's `cfn`. Values that can be wrong (patterns, targets, time
//! conditions, the zone) are parsed while deserializing, so a bad rules file is refused with
//! its position; cross-field checks are in [`Rules::validate`].

use super::pattern::Pattern;
use super::timecond::{Calendar, Period, TimeCondition};
use crate::presence::status::UserStatus;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest custom status text, in characters (as on the UCM).
pub const MAX_CUSTOM_TEXT: usize = 64;
/// Longest forward target, in characters.
pub const MAX_TARGET_LEN: usize = 128;
/// The UCM's whitelist size.
pub const DEFAULT_WHITELIST_MAX: usize = 10;
/// The UCM's default ring timeout in seconds (UCM6200/630x manuals: 60 s, valid 3–600).
pub const DEFAULT_RING_TIMEOUT: u32 = 60;
/// Accepted ring timeouts, in seconds.
pub const RING_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 3..=600;

/// Which of the six statuses a per-status entry belongs to (the UCM's `presence_status`
/// words, with `custom` for the UCM's `userdef`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    /// Available (the default).
    #[default]
    Available,
    /// Away.
    Away,
    /// Chat.
    Chat,
    /// Do Not Disturb: setting this status switches DND on (as the UCM GUI couples them).
    Dnd,
    /// Unavailable.
    Unavailable,
    /// The custom status (its text is [`Rules::custom_text`]).
    Custom,
}

impl StatusKind {
    /// All six, in the UCM's `*48` order minus Unavailable first: available, away, chat,
    /// dnd, unavailable, custom.
    pub const ALL: [StatusKind; 6] = [
        StatusKind::Available,
        StatusKind::Away,
        StatusKind::Chat,
        StatusKind::Dnd,
        StatusKind::Unavailable,
        StatusKind::Custom,
    ];

    /// The kind of a presence status; `Unknown` (never a status of our own) counts as Available.
    pub fn of(status: &UserStatus) -> StatusKind {
        match status {
            UserStatus::Available | UserStatus::Unknown => StatusKind::Available,
            UserStatus::Away => StatusKind::Away,
            UserStatus::Chat => StatusKind::Chat,
            UserStatus::Dnd => StatusKind::Dnd,
            UserStatus::Unavailable => StatusKind::Unavailable,
            UserStatus::Custom(_) => StatusKind::Custom,
        }
    }

    /// `available|away|chat|dnd|unavailable|custom`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StatusKind::Available => "available",
            StatusKind::Away => "away",
            StatusKind::Chat => "chat",
            StatusKind::Dnd => "dnd",
            StatusKind::Unavailable => "unavailable",
            StatusKind::Custom => "custom",
        }
    }

    /// Parses the words [`UserStatus::parse`] accepts, plus `custom`/`userdef` without text.
    pub fn parse(word: &str) -> Option<StatusKind> {
        UserStatus::parse(word, Some("")).map(|s| StatusKind::of(&s))
    }

    /// The presence status with `custom_text` for the custom kind.
    pub fn to_user_status(self, custom_text: &str) -> UserStatus {
        match self {
            StatusKind::Available => UserStatus::Available,
            StatusKind::Away => UserStatus::Away,
            StatusKind::Chat => UserStatus::Chat,
            StatusKind::Dnd => UserStatus::Dnd,
            StatusKind::Unavailable => UserStatus::Unavailable,
            StatusKind::Custom => UserStatus::Custom(custom_text.to_string()),
        }
    }
}

/// A forward target: an extension, a number, or a SIP URI (`sip:bob@example.com`). Never
/// empty (an empty target in the file means "off" and becomes `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target(String);

impl Target {
    /// Checks a target: 1–128 characters, no spaces, control characters, `<`, `>` or `"`.
    pub fn parse(s: &str) -> Result<Target, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty target (use none to switch a forward off)".into());
        }
        if t.chars().count() > MAX_TARGET_LEN {
            return Err(format!("target longer than {MAX_TARGET_LEN} characters"));
        }
        if let Some(c) = t.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"')) {
            return Err(format!("target {t:?} contains {c:?}"));
        }
        Ok(Target(t.to_string()))
    }

    /// The target as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An optional target in the file: a missing key or `""` means off.
fn de_opt_target<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Target>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() { Ok(None) } else { Target::parse(&s).map(Some).map_err(serde::de::Error::custom) }
}

/// The forwards of one status. A `None` target is off; the time conditions default to always.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusRules {
    /// Call Forward Always (unconditional) target.
    #[serde(deserialize_with = "de_opt_target")]
    pub cfu: Option<Target>,
    /// When CFU applies.
    pub cfu_time: TimeCondition,
    /// Call Forward No Answer target (after [`Rules::ring_timeout`]); the UCM's `cfn`.
    #[serde(deserialize_with = "de_opt_target")]
    pub cfna: Option<Target>,
    /// When CFNA applies.
    pub cfna_time: TimeCondition,
    /// Call Forward Busy target.
    #[serde(deserialize_with = "de_opt_target")]
    pub cfb: Option<Target>,
    /// When CFB applies.
    pub cfb_time: TimeCondition,
}

/// One [`StatusRules`] per status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerStatus {
    /// While Available.
    pub available: StatusRules,
    /// While Away.
    pub away: StatusRules,
    /// While Chat.
    pub chat: StatusRules,
    /// While DND (applies only when the DND time condition does not hold).
    pub dnd: StatusRules,
    /// While Unavailable.
    pub unavailable: StatusRules,
    /// While the custom status is set.
    pub custom: StatusRules,
}

impl PerStatus {
    /// The entry of `kind`.
    pub fn get(&self, kind: StatusKind) -> &StatusRules {
        match kind {
            StatusKind::Available => &self.available,
            StatusKind::Away => &self.away,
            StatusKind::Chat => &self.chat,
            StatusKind::Dnd => &self.dnd,
            StatusKind::Unavailable => &self.unavailable,
            StatusKind::Custom => &self.custom,
        }
    }

    /// The entry of `kind`, to edit.
    pub fn get_mut(&mut self, kind: StatusKind) -> &mut StatusRules {
        match kind {
            StatusKind::Available => &mut self.available,
            StatusKind::Away => &mut self.away,
            StatusKind::Chat => &mut self.chat,
            StatusKind::Dnd => &mut self.dnd,
            StatusKind::Unavailable => &mut self.unavailable,
            StatusKind::Custom => &mut self.custom,
        }
    }
}

/// An IANA time zone, checked against the tz database when read.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// Looks up an IANA name (`Europe/Berlin`, `UTC`).
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        TimeZone::get(name)
            .map(|tz| Zone { name: name.to_string(), tz })
            .map_err(|_| format!("unknown time zone {name:?} (an IANA name such as Europe/Berlin)"))
    }

    /// The system's zone (`TZ`, `/etc/localtime`), or UTC when it has no IANA name.
    pub fn system() -> Zone {
        let tz = TimeZone::system();
        match tz.iana_name() {
            Some(name) => Zone { name: name.to_string(), tz },
            None => Zone { name: "UTC".into(), tz: TimeZone::UTC },
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Zone::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// All forwarding rules of one account. `Rules::default()` is status Available with every
/// forward off, DND off, UCM defaults elsewhere, and the system's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Our own current status (the rules of this status apply).
    pub status: StatusKind,
    /// The custom status text (up to 64 characters; needed when `status` is custom).
    pub custom_text: String,
    /// Seconds an incoming call rings before CFNA (UCM default 60, 3–600).
    pub ring_timeout: u32,
    /// Whether a second call may ring while we are in a call (if not, we are "busy").
    pub call_waiting: bool,
    /// Call forward no answer sends 181 Call Is Being Forwarded before its 302 (default off:
    /// the 302 alone). Enforced locally only; the PBX backends have no such field.
    pub cfna_181: bool,
    /// Do Not Disturb switch (the DND status switches it on too).
    pub dnd: bool,
    /// The SIP response code DND rejects with: 486 Busy Here (default) or 480.
    pub dnd_code: u16,
    /// DND applies only while this holds (default always).
    pub dnd_time: TimeCondition,
    /// Callers DND does not reject (UCM patterns).
    pub dnd_whitelist: Vec<Pattern>,
    /// Callers never forwarded: they ring directly (UCM patterns).
    pub fwd_whitelist: Vec<Pattern>,
    /// Most entries per whitelist (10 on the UCM).
    pub whitelist_max: usize,
    /// The zone time conditions are read in; `None` = the system's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Zone>,
    /// Office hours (for the office / out-of-office conditions), e.g. `mon-fri 08:00-17:00`.
    pub office_hours: Vec<Period>,
    /// Holidays (for the holiday conditions), e.g. `2026-12-24..2026-12-26`.
    pub holidays: Vec<Period>,
    /// The forwards of each status.
    pub per_status: PerStatus,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            status: StatusKind::Available,
            custom_text: String::new(),
            ring_timeout: DEFAULT_RING_TIMEOUT,
            call_waiting: true,
            cfna_181: false,
            dnd: false,
            dnd_code: 486,
            dnd_time: TimeCondition::Always,
            dnd_whitelist: Vec::new(),
            fwd_whitelist: Vec::new(),
            whitelist_max: DEFAULT_WHITELIST_MAX,
            time_zone: None,
            office_hours: Vec::new(),
            holidays: Vec::new(),
            per_status: PerStatus::default(),
        }
    }
}

/// A rule that is well-formed but not acceptable, with the field it is in
/// (`per_status.away.cfu_time`, `fwd_whitelist`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Dotted path of the field, as in the rules file.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RuleError {}

fn rule_err(field: impl Into<String>, message: impl Into<String>) -> RuleError {
    RuleError { field: field.into(), message: message.into() }
}

impl Rules {
    /// Our own status as a presence status.
    pub fn user_status(&self) -> UserStatus {
        self.status.to_user_status(&self.custom_text)
    }

    /// The zone in effect: [`Rules::time_zone`], or the system's.
    pub fn zone(&self) -> Zone {
        self.time_zone.clone().unwrap_or_else(Zone::system)
    }

    /// Whether we count as busy with `active_calls` calls up: in a call with call waiting off.
    pub fn is_busy(&self, active_calls: usize) -> bool {
        active_calls > 0 && !self.call_waiting
    }

    /// The calendar the time conditions of these rules are evaluated with.
    pub fn calendar<'a>(&'a self, zone: &'a TimeZone) -> Calendar<'a> {
        Calendar { office_hours: &self.office_hours, holidays: &self.holidays, zone }
    }

    /// Cross-field checks the types cannot make: text length, ranges, whitelist sizes, and
    /// office-hour conditions without office hours. The first problem found is returned.
    pub fn validate(&self) -> Result<(), RuleError> {
        let len = self.custom_text.chars().count();
        if len > MAX_CUSTOM_TEXT {
            return Err(rule_err("custom_text", format!("{len} characters, at most {MAX_CUSTOM_TEXT}")));
        }
        if self.status == StatusKind::Custom && self.custom_text.trim().is_empty() {
            return Err(rule_err("custom_text", "the custom status needs a text"));
        }
        if !RING_TIMEOUT_RANGE.contains(&self.ring_timeout) {
            return Err(rule_err(
                "ring_timeout",
                format!(
                    "{} s is outside {}-{} s",
                    self.ring_timeout,
                    RING_TIMEOUT_RANGE.start(),
                    RING_TIMEOUT_RANGE.end()
                ),
            ));
        }
        if !matches!(self.dnd_code, 486 | 480) {
            return Err(rule_err("dnd_code", format!("{} is not 486 or 480", self.dnd_code)));
        }
        if self.whitelist_max == 0 || self.whitelist_max > 1000 {
            return Err(rule_err("whitelist_max", "must be 1-1000"));
        }
        for (field, list) in [("fwd_whitelist", &self.fwd_whitelist), ("dnd_whitelist", &self.dnd_whitelist)] {
            if list.len() > self.whitelist_max {
                return Err(rule_err(
                    field,
                    format!("{} entries, at most {} (whitelist_max)", list.len(), self.whitelist_max),
                ));
            }
        }
        let mut conditions = vec![("dnd_time".to_string(), &self.dnd_time)];
        for kind in StatusKind::ALL {
            let e = self.per_status.get(kind);
            let base = format!("per_status.{}", kind.as_str());
            conditions.push((format!("{base}.cfu_time"), &e.cfu_time));
            conditions.push((format!("{base}.cfna_time"), &e.cfna_time));
            conditions.push((format!("{base}.cfb_time"), &e.cfb_time));
        }
        if self.office_hours.is_empty()
            && let Some((field, c)) = conditions.iter().find(|(_, c)| c.uses_office_hours())
        {
            return Err(rule_err(field.clone(), format!("\"{c}\" needs office_hours, and none are set")));
        }
        Ok(())
    }
}
