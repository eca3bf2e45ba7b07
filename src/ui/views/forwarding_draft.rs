//! The forwarding editor's draft: the rules as the user types them (plain text per field),
//! checked live into [`Rules`] with one message per bad field. No egui here, so the
//! validation is testable on its own.

use crate::forwarding::{Pattern, Period, Rules, StatusKind, StatusRules, Target, TimeCondition, Zone};
use std::collections::BTreeMap;

/// The text fields of one status's forwards (empty target = off, empty time = always).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusDraft {
    /// CFU target.
    pub cfu: String,
    /// CFU time condition.
    pub cfu_time: String,
    /// CFNA target.
    pub cfna: String,
    /// CFNA time condition.
    pub cfna_time: String,
    /// CFB target.
    pub cfb: String,
    /// CFB time condition.
    pub cfb_time: String,
}

/// Which forward of a status a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// Call Forward Always.
    Cfu,
    /// Call Forward No Answer.
    Cfna,
    /// Call Forward Busy.
    Cfb,
}

impl Forward {
    /// The three, in the order the editor shows them.
    pub const ALL: [Forward; 3] = [Forward::Cfu, Forward::Cfna, Forward::Cfb];

    /// `cfu|cfna|cfb` (the rules file's field prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            Forward::Cfu => "cfu",
            Forward::Cfna => "cfna",
            Forward::Cfb => "cfb",
        }
    }

    /// `CFU|CFNA|CFB`, as shown.
    pub fn label(self) -> &'static str {
        match self {
            Forward::Cfu => "CFU",
            Forward::Cfna => "CFNA",
            Forward::Cfb => "CFB",
        }
    }

    /// What the forward does, for the tooltip.
    pub fn help(self) -> &'static str {
        match self {
            Forward::Cfu => "Call Forward Always: every call goes there",
            Forward::Cfna => "Call Forward No Answer: after the ring timeout",
            Forward::Cfb => "Call Forward Busy: while you cannot take another call",
        }
    }
}

impl StatusDraft {
    /// The target and time fields of `f`, to edit.
    pub fn fields_mut(&mut self, f: Forward) -> (&mut String, &mut String) {
        match f {
            Forward::Cfu => (&mut self.cfu, &mut self.cfu_time),
            Forward::Cfna => (&mut self.cfna, &mut self.cfna_time),
            Forward::Cfb => (&mut self.cfb, &mut self.cfb_time),
        }
    }

    fn of(r: &StatusRules) -> Self {
        let t = |t: &Option<Target>| t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default();
        StatusDraft {
            cfu: t(&r.cfu),
            cfu_time: r.cfu_time.to_string(),
            cfna: t(&r.cfna),
            cfna_time: r.cfna_time.to_string(),
            cfb: t(&r.cfb),
            cfb_time: r.cfb_time.to_string(),
        }
    }
}

/// Field path → what is wrong with it, e.g. `per_status.away.cfu` → `target "a b" contains ' '`.
pub type FieldErrors = BTreeMap<String, String>;

/// The rules being edited, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesDraft {
    /// The forwards of each status, in [`StatusKind::ALL`] order.
    pub per_status: [StatusDraft; 6],
    /// Our own status: the one whose forwards apply.
    pub status: StatusKind,
    /// The custom status's text (needed when the status is custom).
    pub custom_text: String,
    /// Ring timeout in seconds (3–600).
    pub ring_timeout: String,
    /// Call waiting.
    pub call_waiting: bool,
    /// The DND switch.
    pub dnd: bool,
    /// DND's response code (486 or 480).
    pub dnd_code: u16,
    /// DND's time condition.
    pub dnd_time: String,
    /// The forward whitelist, one pattern a line (commas also separate).
    pub fwd_whitelist: String,
    /// The DND whitelist, one pattern a line (commas also separate).
    pub dnd_whitelist: String,
    /// CFNA announces the forward with 181 Call Is Being Forwarded before the 302.
    pub cfna_181: bool,
    /// The IANA time zone the time conditions are read in; empty = this computer's zone.
    pub time_zone: String,
    /// Office hours, one period a line (`;` also separates): `mon-fri 08:00-17:00`.
    pub office_hours: String,
    /// Holidays, one period a line (`;` also separates): `2026-12-24..2026-12-26`.
    pub holidays: String,
    /// What the editor does not show (whitelist size, …) is kept from here.
    base: Rules,
}

/// Index of `kind` in [`StatusKind::ALL`].
pub fn status_index(kind: StatusKind) -> usize {
    StatusKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn patterns_text(list: &[Pattern]) -> String {
    list.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("\n")
}

fn periods_text(list: &[Period]) -> String {
    list.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

/// Parses office hours or holidays: every period, or one message naming every bad one.
/// Periods are separated by new lines or `;` (commas belong to day lists: `sat,sun`).
pub fn parse_periods(text: &str) -> Result<Vec<Period>, String> {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in text.split(['\n', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        match Period::parse(item) {
            Ok(p) => good.push(p),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if bad.is_empty() { Ok(good) } else { Err(bad.join("; ")) }
}

/// Parses the time zone field: empty = the system's zone (`None`), else an IANA name.
pub fn parse_zone(text: &str) -> Result<Option<Zone>, String> {
    if text.trim().is_empty() { Ok(None) } else { Zone::parse(text).map(Some) }
}

/// The forward field path of `kind`/`f` (`per_status.away.cfu`), `_time` appended for the condition.
pub fn field_path(kind: StatusKind, f: Forward, time: bool) -> String {
    format!("per_status.{}.{}{}", kind.as_str(), f.as_str(), if time { "_time" } else { "" })
}

fn parse_target(text: &str) -> Result<Option<Target>, String> {
    if text.trim().is_empty() { Ok(None) } else { Target::parse(text).map(Some) }
}

fn parse_time(text: &str) -> Result<TimeCondition, String> {
    if text.trim().is_empty() {
        Ok(TimeCondition::Always)
    } else {
        TimeCondition::parse(text).map_err(|e| e.to_string())
    }
}

/// Parses a whitelist: every pattern, or one message naming every bad one.
pub fn parse_whitelist(text: &str) -> Result<Vec<Pattern>, String> {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in text.split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()) {
        match Pattern::parse(item) {
            Ok(p) => good.push(p),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if bad.is_empty() { Ok(good) } else { Err(bad.join("; ")) }
}

impl RulesDraft {
    /// The draft showing `rules`.
    pub fn from_rules(rules: &Rules) -> Self {
        RulesDraft {
            per_status: StatusKind::ALL.map(|k| StatusDraft::of(rules.per_status.get(k))),
            status: rules.status,
            custom_text: rules.custom_text.clone(),
            ring_timeout: rules.ring_timeout.to_string(),
            call_waiting: rules.call_waiting,
            dnd: rules.dnd,
            dnd_code: rules.dnd_code,
            dnd_time: rules.dnd_time.to_string(),
            fwd_whitelist: patterns_text(&rules.fwd_whitelist),
            dnd_whitelist: patterns_text(&rules.dnd_whitelist),
            cfna_181: rules.cfna_181,
            time_zone: rules.time_zone.as_ref().map(|z| z.name().to_owned()).unwrap_or_default(),
            office_hours: periods_text(&rules.office_hours),
            holidays: periods_text(&rules.holidays),
            base: rules.clone(),
        }
    }

    /// The rules the draft was started from (and that fill what the editor does not show).
    pub fn base(&self) -> &Rules {
        &self.base
    }

    /// The forwards of `kind`, to edit.
    pub fn status_mut(&mut self, kind: StatusKind) -> &mut StatusDraft {
        &mut self.per_status[status_index(kind)]
    }

    /// The rules the draft says, or every field that is wrong (field path → message).
    /// The rules are also checked as a whole ([`Rules::validate`]).
    pub fn build(&self) -> Result<Rules, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut rules = self.base.clone();
        let mut note = |field: String, r: Result<(), String>| {
            if let Err(m) = r {
                errors.insert(field, m);
            }
        };
        for (i, kind) in StatusKind::ALL.into_iter().enumerate() {
            let d = &self.per_status[i];
            let e = rules.per_status.get_mut(kind);
            let texts = [
                (Forward::Cfu, &d.cfu, &d.cfu_time),
                (Forward::Cfna, &d.cfna, &d.cfna_time),
                (Forward::Cfb, &d.cfb, &d.cfb_time),
            ];
            for (f, target, time) in texts {
                let (t_slot, c_slot) = match f {
                    Forward::Cfu => (&mut e.cfu, &mut e.cfu_time),
                    Forward::Cfna => (&mut e.cfna, &mut e.cfna_time),
                    Forward::Cfb => (&mut e.cfb, &mut e.cfb_time),
                };
                note(field_path(kind, f, false), parse_target(target).map(|t| *t_slot = t));
                note(field_path(kind, f, true), parse_time(time).map(|c| *c_slot = c));
            }
        }
        note(
            "ring_timeout".into(),
            self.ring_timeout
                .trim()
                .parse::<u32>()
                .map(|s| rules.ring_timeout = s)
                .map_err(|_| format!("{:?} is not a number of seconds", self.ring_timeout.trim())),
        );
        rules.status = self.status;
        rules.custom_text = self.custom_text.trim().to_owned();
        rules.call_waiting = self.call_waiting;
        rules.dnd = self.dnd;
        rules.dnd_code = self.dnd_code;
        note("dnd_time".into(), parse_time(&self.dnd_time).map(|c| rules.dnd_time = c));
        note("fwd_whitelist".into(), parse_whitelist(&self.fwd_whitelist).map(|l| rules.fwd_whitelist = l));
        note("dnd_whitelist".into(), parse_whitelist(&self.dnd_whitelist).map(|l| rules.dnd_whitelist = l));
        rules.cfna_181 = self.cfna_181;
        note("time_zone".into(), parse_zone(&self.time_zone).map(|z| rules.time_zone = z));
        note("office_hours".into(), parse_periods(&self.office_hours).map(|l| rules.office_hours = l));
        note("holidays".into(), parse_periods(&self.holidays).map(|l| rules.holidays = l));
        if !errors.is_empty() {
            return Err(errors);
        }
        rules.validate().map_err(|e| FieldErrors::from([(e.field, e.message)]))?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_of_rules_builds_the_same_rules() {
        let mut rules = Rules::default();
        rules.per_status.away.cfu = Some(Target::parse("2000").unwrap());
        rules.fwd_whitelist = vec![Pattern::parse("_10XX").unwrap()];
        rules.ring_timeout = 25;
        rules.time_zone = Some(Zone::parse("Europe/Berlin").unwrap());
        rules.office_hours =
            vec![Period::parse("mon-fri 08:00-17:00").unwrap(), Period::parse("sat 09:00-12:00").unwrap()];
        rules.holidays = vec![Period::parse("2026-12-24..2026-12-26").unwrap()];
        rules.cfna_181 = true;
        let draft = RulesDraft::from_rules(&rules);
        assert_eq!(draft.per_status[1].cfu, "2000");
        assert_eq!(draft.time_zone, "Europe/Berlin");
        assert_eq!(draft.office_hours, "mon-fri 08:00-17:00\nsat 09:00-12:00");
        assert_eq!(draft.build().unwrap(), rules);
    }

    #[test]
    fn the_calendar_fields_are_checked() {
        let mut draft = RulesDraft::from_rules(&Rules::default());
        draft.time_zone = "Mars/Olympus".into();
        draft.office_hours = "mon-fri 08:00-17:00; sat,sun 25:00-26:00".into();
        draft.holidays = "2026-12-24\nchristmas".into();
        let errors = draft.build().unwrap_err();
        assert!(errors["time_zone"].contains("Mars/Olympus"), "{errors:?}");
        assert!(errors["office_hours"].contains("sat,sun 25:00-26:00"), "{errors:?}");
        assert!(!errors["office_hours"].contains("mon-fri"), "{errors:?}");
        assert!(errors["holidays"].contains("christmas") && !errors["holidays"].contains("2026-12-24"), "{errors:?}");
        // An office condition without office hours is refused by Rules::validate.
        draft.time_zone = " ".into();
        draft.office_hours.clear();
        draft.holidays = "2026-12-24".into();
        draft.status_mut(StatusKind::Available).cfu_time = "office".into();
        let errors = draft.build().unwrap_err();
        assert!(errors["per_status.available.cfu_time"].contains("needs office_hours"), "{errors:?}");
        draft.office_hours = "mon-fri 08:00-17:00".into();
        let rules = draft.build().unwrap();
        assert_eq!((rules.time_zone, rules.office_hours.len(), rules.holidays.len()), (None, 1, 1));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut draft = RulesDraft::from_rules(&Rules::default());
        draft.fwd_whitelist = "1001\n1[23, 9X".into();
        draft.ring_timeout = "2".into();
        draft.status_mut(StatusKind::Away).cfb_time = "someday".into();
        let errors = draft.build().unwrap_err();
        assert!(errors["fwd_whitelist"].contains("\"1[23\""), "{errors:?}");
        assert!(!errors["fwd_whitelist"].contains("9X"));
        assert!(errors["per_status.away.cfb_time"].contains("someday"));
        // Range checks come from Rules::validate once the fields parse.
        draft.fwd_whitelist.clear();
        draft.status_mut(StatusKind::Away).cfb_time.clear();
        let errors = draft.build().unwrap_err();
        assert!(errors["ring_timeout"].contains("outside"), "{errors:?}");
        draft.ring_timeout = "20".into();
        draft.status = StatusKind::Custom;
        assert!(draft.build().unwrap_err()["custom_text"].contains("needs a text"));
        draft.custom_text = " Back at 3 ".into();
        let rules = draft.build().unwrap();
        assert_eq!(
            (rules.status, rules.custom_text.as_str(), rules.ring_timeout),
            (StatusKind::Custom, "Back at 3", 20)
        );
    }
}
