//! Time conditions (UCM "time type"): always, office hours, out of office hours, holidays,
//! out of holidays, out of office hours or holiday, and specific periods.
//!
//! Everything is evaluated in **local wall-clock time** of the rules' time zone, so a period
//! `mon-fri 08:00-17:00` starts at 08:00 local time on both sides of a DST change, exactly
//! as a PBX evaluates it. Consequences: on the spring-forward day a period inside the
//! skipped hour (Europe/Berlin 02:00–03:00) never holds and one that spans it lasts one hour
//! less; on the fall-back day the repeated hour is inside a period twice.
//!
//! Text form (used in the rules file and on the command line):
//!
//! * keywords: `always`, `office`, `out-of-office`, `holiday`, `out-of-holiday`,
//!   `out-of-office-or-holiday`;
//! * otherwise a `;`-separated list of specific periods (an optional `specific:` prefix is
//!   allowed), each either weekly — `mon-fri 08:00-17:00`, `sat,sun`, `daily 22:00-06:00`,
//!   `fri-mon` — or dated — `2026-12-24`, `2026-12-24..2026-12-26 12:00-24:00`. Without a
//!   time window the whole day is meant. A window whose end is before its start crosses
//!   midnight: `fri 22:00-06:00` is Friday 22:00 to Saturday 06:00 (the day names the start).

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use std::fmt;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
/// Minutes in a day: a window may end at `24:00`.
const DAY_MINUTES: u16 = 24 * 60;

/// Why a time condition or period could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    /// The text as written.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid time {:?}: {}", self.text, self.message)
    }
}

impl std::error::Error for TimeError {}

fn terr(text: &str, message: impl Into<String>) -> TimeError {
    TimeError { text: text.to_string(), message: message.into() }
}

/// A daily time window in minutes after local midnight; `end <= start` is impossible
/// except through midnight crossing (`end < start`). The whole day is `0..1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, minutes after midnight (0..1440).
    pub start: u16,
    /// End, minutes after midnight (1..=1440); smaller than `start` for "crosses midnight".
    pub end: u16,
}

impl Window {
    /// The whole day.
    pub const WHOLE_DAY: Window = Window { start: 0, end: DAY_MINUTES };

    fn crosses_midnight(&self) -> bool {
        self.end < self.start
    }

    fn parse(full: &str, s: &str) -> Result<Window, TimeError> {
        let (a, b) = s.split_once('-').ok_or_else(|| terr(full, "a time window is HH:MM-HH:MM"))?;
        let start = parse_hhmm(full, a.trim())?;
        let end = parse_hhmm(full, b.trim())?;
        if start == DAY_MINUTES {
            return Err(terr(full, "a window cannot start at 24:00"));
        }
        if start == end {
            return Err(terr(full, "the window is empty (start equals end)"));
        }
        let end = if end == 0 { DAY_MINUTES } else { end };
        Ok(Window { start, end })
    }
}

fn parse_hhmm(full: &str, s: &str) -> Result<u16, TimeError> {
    let bad = || terr(full, format!("{s:?} is not a time HH:MM (00:00-24:00)"));
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}-{:02}:{:02}", self.start / 60, self.start % 60, self.end / 60, self.end % 60)
    }
}

/// A set of weekdays, bit 0 = Monday … bit 6 = Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySet(pub u8);

impl DaySet {
    /// Whether the set contains the weekday of `date`.
    pub fn contains(&self, date: Date) -> bool {
        let i = date.weekday().to_monday_zero_offset();
        self.0 & (1 << i) != 0
    }

    fn parse(full: &str, s: &str) -> Result<DaySet, TimeError> {
        let lower = s.to_ascii_lowercase();
        if matches!(lower.as_str(), "daily" | "everyday" | "*") {
            return Ok(DaySet(0x7f));
        }
        let day = |name: &str| -> Result<u8, TimeError> {
            let i =
                DAY_NAMES.iter().position(|d| *d == name).or_else(|| FULL_DAY_NAMES.iter().position(|d| *d == name));
            let i = i.ok_or_else(|| terr(full, format!("{name:?} is not a day (mon … sun, daily) or a date")))?;
            // `i` is an index into a 7-element array.
            Ok(i as u8)
        };
        let mut bits = 0u8;
        for part in lower.split(',') {
            let part = part.trim();
            if let Some((a, b)) = part.split_once('-') {
                let (a, b) = (day(a.trim())?, day(b.trim())?);
                // A range may wrap around the week: fri-mon.
                let mut d = a;
                for _ in 0..7 {
                    bits |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            } else {
                bits |= 1 << day(part)?;
            }
        }
        Ok(DaySet(bits))
    }
}

impl fmt::Display for DaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 & 0x7f == 0x7f {
            return f.write_str("daily");
        }
        let mut parts = Vec::new();
        let mut d = 0;
        while d < 7 {
            if self.0 & (1 << d) == 0 {
                d += 1;
                continue;
            }
            let start = d;
            while d + 1 < 7 && self.0 & (1 << (d + 1)) != 0 {
                d += 1;
            }
            match d - start {
                0 => parts.push(DAY_NAMES[start].to_string()),
                1 => parts.push(format!("{},{}", DAY_NAMES[start], DAY_NAMES[d])),
                _ => parts.push(format!("{}-{}", DAY_NAMES[start], DAY_NAMES[d])),
            }
            d += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// One specific period: weekly on some days, or on a date / date range; each with a daily
/// window (the whole day by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// Every week on `days`, during `window` (starting on those days).
    Weekly {
        /// The days the window starts on.
        days: DaySet,
        /// The daily window.
        window: Window,
    },
    /// Every day from `from` to `to` (inclusive), during `window`.
    Dates {
        /// First day.
        from: Date,
        /// Last day (inclusive), not before `from`.
        to: Date,
        /// The daily window.
        window: Window,
    },
}

impl Period {
    /// Parses one period (see the module docs).
    pub fn parse(text: &str) -> Result<Period, TimeError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(terr(text, "empty period"));
        }
        let (head, rest) = match t.split_once(char::is_whitespace) {
            Some((h, r)) => (h, r.trim()),
            None => (t, ""),
        };
        let window = if rest.is_empty() { Window::WHOLE_DAY } else { Window::parse(t, rest)? };
        if head.starts_with(|c: char| c.is_ascii_digit()) {
            let (a, b) = head.split_once("..").unwrap_or((head, head));
            let date = |s: &str| s.parse::<Date>().map_err(|_| terr(t, format!("{s:?} is not a date YYYY-MM-DD")));
            let (from, to) = (date(a)?, date(b)?);
            if to < from {
                return Err(terr(t, "the date range ends before it starts"));
            }
            Ok(Period::Dates { from, to, window })
        } else {
            Ok(Period::Weekly { days: DaySet::parse(t, head)?, window })
        }
    }

    /// The daily window.
    pub fn window(&self) -> Window {
        match *self {
            Period::Weekly { window, .. } | Period::Dates { window, .. } => window,
        }
    }

    /// Whether the window starts on `date`.
    fn starts_on(&self, date: Date) -> bool {
        match *self {
            Period::Weekly { days, .. } => days.contains(date),
            Period::Dates { from, to, .. } => from <= date && date <= to,
        }
    }

    /// Whether local wall-clock time `local` is inside this period.
    pub fn holds_at(&self, local: DateTime) -> bool {
        let window = self.window();
        let date = local.date();
        let minute = u16::try_from(local.hour()).unwrap_or(0) * 60 + u16::try_from(local.minute()).unwrap_or(0);
        if window.crosses_midnight() {
            let from_yesterday = date.yesterday().is_ok_and(|d| self.starts_on(d));
            (self.starts_on(date) && minute >= window.start) || (from_yesterday && minute < window.end)
        } else {
            self.starts_on(date) && window.start <= minute && minute < window.end
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, window) = match self {
            Period::Weekly { days, window } => (days.to_string(), window),
            Period::Dates { from, to, window } if from == to => (from.to_string(), window),
            Period::Dates { from, to, window } => (format!("{from}..{to}"), window),
        };
        if *window == Window::WHOLE_DAY { f.write_str(&head) } else { write!(f, "{head} {window}") }
    }
}

/// When a forward (or DND) applies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeCondition {
    /// Always (UCM time type 0).
    #[default]
    Always,
    /// During office hours (1).
    OfficeHours,
    /// Outside office hours (2).
    OutOfOfficeHours,
    /// On holidays (3).
    Holidays,
    /// Outside holidays (4).
    OutOfHolidays,
    /// Outside office hours, or on a holiday (5).
    OutOfOfficeOrHolidays,
    /// During any of these periods (6).
    Specific(Vec<Period>),
}

/// The office hours and holidays a condition refers to, and the zone they are read in.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    /// Office hours (any period kind).
    pub office_hours: &'a [Period],
    /// Holidays (any period kind; usually dates).
    pub holidays: &'a [Period],
    /// The zone whose wall-clock time the periods are in.
    pub zone: &'a TimeZone,
}

impl Calendar<'_> {
    /// Local wall-clock time of `now`.
    pub fn local(&self, now: Timestamp) -> DateTime {
        now.to_zoned(self.zone.clone()).datetime()
    }
}

fn any_holds(periods: &[Period], local: DateTime) -> bool {
    periods.iter().any(|p| p.holds_at(local))
}

impl TimeCondition {
    /// Parses the text form (see the module docs).
    pub fn parse(text: &str) -> Result<TimeCondition, TimeError> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "always" | "all" => TimeCondition::Always,
            "office" | "office-hours" | "office-time" => TimeCondition::OfficeHours,
            "out-of-office" | "out-of-office-hours" | "out-of-office-time" => TimeCondition::OutOfOfficeHours,
            "holiday" | "holidays" => TimeCondition::Holidays,
            "out-of-holiday" | "out-of-holidays" => TimeCondition::OutOfHolidays,
            "out-of-office-or-holiday" | "out-of-office-or-holidays" => TimeCondition::OutOfOfficeOrHolidays,
            _ => {
                let list = if lower.starts_with("specific:") { &t["specific:".len()..] } else { t };
                let periods = list
                    .split(';')
                    .filter(|p| !p.trim().is_empty())
                    .map(Period::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                if periods.is_empty() {
                    return Err(terr(
                        text,
                        "empty: use always, office, out-of-office, holiday, out-of-holiday, out-of-office-or-holiday or periods like \"mon-fri 08:00-17:00\"",
                    ));
                }
                TimeCondition::Specific(periods)
            }
        })
    }

    /// Whether the condition holds at `now`.
    pub fn holds(&self, cal: &Calendar<'_>, now: Timestamp) -> bool {
        let local = cal.local(now);
        match self {
            TimeCondition::Always => true,
            TimeCondition::OfficeHours => any_holds(cal.office_hours, local),
            TimeCondition::OutOfOfficeHours => !any_holds(cal.office_hours, local),
            TimeCondition::Holidays => any_holds(cal.holidays, local),
            TimeCondition::OutOfHolidays => !any_holds(cal.holidays, local),
            TimeCondition::OutOfOfficeOrHolidays => {
                !any_holds(cal.office_hours, local) || any_holds(cal.holidays, local)
            }
            TimeCondition::Specific(periods) => any_holds(periods, local),
        }
    }

    /// Whether the condition refers to the office hours.
    pub fn uses_office_hours(&self) -> bool {
        matches!(
            self,
            TimeCondition::OfficeHours | TimeCondition::OutOfOfficeHours | TimeCondition::OutOfOfficeOrHolidays
        )
    }

    /// The UCM API's `*_timetype` number (0 always … 6 specific); see PRESENCE.md §2.
    pub fn ucm_timetype(&self) -> u8 {
        match self {
            TimeCondition::Always => 0,
            TimeCondition::OfficeHours => 1,
            TimeCondition::OutOfOfficeHours => 2,
            TimeCondition::Holidays => 3,
            TimeCondition::OutOfHolidays => 4,
            TimeCondition::OutOfOfficeOrHolidays => 5,
            TimeCondition::Specific(_) => 6,
        }
    }
}

impl fmt::Display for TimeCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeCondition::Always => f.write_str("always"),
            TimeCondition::OfficeHours => f.write_str("office"),
            TimeCondition::OutOfOfficeHours => f.write_str("out-of-office"),
            TimeCondition::Holidays => f.write_str("holiday"),
            TimeCondition::OutOfHolidays => f.write_str("out-of-holiday"),
            TimeCondition::OutOfOfficeOrHolidays => f.write_str("out-of-office-or-holiday"),
            TimeCondition::Specific(periods) => {
                let parts: Vec<String> = periods.iter().map(ToString::to_string).collect();
                f.write_str(&parts.join("; "))
            }
        }
    }
}

macro_rules! text_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_serde!(TimeCondition);
text_serde!(Period);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_print_as_they_parse() {
        for s in ["mon-fri 08:00-17:00", "sat,sun", "daily 22:00-06:00", "2026-12-24..2026-12-26 12:00-24:00"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Period::parse("fri-mon").unwrap().to_string(), "mon,fri-sun");
    }

    #[test]
    fn bad_times_are_errors() {
        assert!(Period::parse("mon 25:00-26:00").is_err());
        assert!(Period::parse("mon 08:00-08:00").is_err());
        assert!(Period::parse("someday").is_err());
        assert!(Period::parse("2026-02-30").is_err());
        assert!(TimeCondition::parse(" ; ").is_err());
    }
}
