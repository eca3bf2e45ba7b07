//! `lampboard rules show|set|check`: edit the call-forwarding rules file and test a decision
//! without a PBX. Output is one JSON line; bad input exits 2 with the reason on stderr and
//! leaves the file untouched.

use super::EXIT_USAGE;
use crate::forwarding::decide::{Action, ForwardKind, decide};
use crate::forwarding::file;
use crate::forwarding::model::{Rules, StatusKind, Target, Zone};
use crate::forwarding::pattern::{Pattern, caller_number};
use crate::forwarding::timecond::{Period, TimeCondition};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `lampboard rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print the rules as one JSON line.
    Show(ShowArgs),
    /// Change the rules (validated, saved atomically) and print them.
    Set(Box<SetArgs>),
    /// Print what would happen to a call.
    Check(CheckArgs),
    /// Send the rules to a Grandstream UCM (HTTPS API), so the PBX enforces them too.
    Push(Box<super::rules_push::PushArgs>),
}

/// `lampboard rules show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The rules file (default: $XDG_CONFIG_HOME/lampboard/rules.toml).
    #[arg(long)]
    pub file: Option<PathBuf>,
}

/// `lampboard rules set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The rules file (default: $XDG_CONFIG_HOME/lampboard/rules.toml).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Start from the rules in this file instead of the current ones.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// The status whose forwards --cfu/--cfna/--cfb/--*-time change
    /// (available, away, chat, dnd, unavailable, custom).
    #[arg(long)]
    pub status: Option<String>,
    /// Call Forward Always target of --status, or `none`.
    #[arg(long, requires = "status")]
    pub cfu: Option<String>,
    /// Call Forward No Answer target of --status, or `none`.
    #[arg(long, requires = "status")]
    pub cfna: Option<String>,
    /// Call Forward Busy target of --status, or `none`.
    #[arg(long, requires = "status")]
    pub cfb: Option<String>,
    /// CFU time condition of --status: always, office, out-of-office, holiday, out-of-holiday,
    /// out-of-office-or-holiday, or periods like "mon-fri 08:00-17:00; 2026-12-24".
    #[arg(long, requires = "status")]
    pub cfu_time: Option<String>,
    /// CFNA time condition of --status.
    #[arg(long, requires = "status")]
    pub cfna_time: Option<String>,
    /// CFB time condition of --status.
    #[arg(long, requires = "status")]
    pub cfb_time: Option<String>,
    /// Our own current status.
    #[arg(long)]
    pub own_status: Option<String>,
    /// The custom status text (up to 64 characters).
    #[arg(long)]
    pub custom_text: Option<String>,
    /// Seconds before Call Forward No Answer (3-600).
    #[arg(long)]
    pub ring_timeout: Option<u32>,
    /// Do Not Disturb.
    #[arg(long, value_parser = parse_on_off)]
    pub dnd: Option<bool>,
    /// The response code of DND: 486 or 480.
    #[arg(long)]
    pub dnd_code: Option<u16>,
    /// DND time condition (same forms as --cfu-time).
    #[arg(long)]
    pub dnd_time: Option<String>,
    /// Forward whitelist: comma-separated UCM patterns ("" or none empties it).
    #[arg(long)]
    pub fwd_whitelist: Option<String>,
    /// DND whitelist: comma-separated UCM patterns ("" or none empties it).
    #[arg(long)]
    pub dnd_whitelist: Option<String>,
    /// Most entries per whitelist.
    #[arg(long)]
    pub whitelist_max: Option<usize>,
    /// Call waiting (off: a second call while in a call counts as busy).
    #[arg(long, value_parser = parse_on_off)]
    pub call_waiting: Option<bool>,
    /// IANA time zone of the time conditions, or `system`.
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Office hours: ";"-separated periods ("mon-fri 08:00-17:00"), or none.
    #[arg(long)]
    pub office_hours: Option<String>,
    /// Holidays: ";"-separated periods ("2026-12-24..2026-12-26"), or none.
    #[arg(long)]
    pub holidays: Option<String>,
}

/// `lampboard rules check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The rules file (default: $XDG_CONFIG_HOME/lampboard/rules.toml).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The caller: a number, a SIP URI or a name-addr.
    #[arg(long)]
    pub caller: String,
    /// When: local time in the rules' zone (2026-12-24T18:00), or with an offset / Z
    /// (default: now).
    #[arg(long)]
    pub at: Option<String>,
    /// Our status at that time (default: the status in the rules).
    #[arg(long)]
    pub status: Option<String>,
    /// We cannot take another call.
    #[arg(long)]
    pub busy: bool,
    /// The call rang the ring timeout unanswered.
    #[arg(long)]
    pub rung_out: bool,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(format!("{s:?} is not on or off")),
    }
}

/// Runs `lampboard rules …`; returns the exit code.
pub fn run(action: &RulesAction) -> i32 {
    let result = match action {
        RulesAction::Push(a) => return super::rules_push::run(a),
        RulesAction::Show(a) => show(a),
        RulesAction::Set(a) => set(a),
        RulesAction::Check(a) => check(a),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("lampboard: {message}");
            EXIT_USAGE
        }
    }
}

fn rules_path(file: &Option<PathBuf>) -> Result<PathBuf, String> {
    file.clone()
        .or_else(file::default_path)
        .ok_or_else(|| "no config directory (no HOME): give the rules file with --file".to_string())
}

#[derive(Serialize)]
struct RulesLine<'a> {
    event: &'static str,
    file: &'a Path,
    zone_in_effect: String,
    #[serde(flatten)]
    rules: &'a Rules,
}

fn print_line<T: Serialize>(value: &T) -> Result<(), String> {
    let line = serde_json::to_string(value).map_err(|e| format!("cannot print JSON: {e}"))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Ok(())
}

fn print_rules(path: &Path, rules: &Rules) -> Result<(), String> {
    print_line(&RulesLine { event: "rules", file: path, zone_in_effect: rules.zone().name().to_string(), rules })
}

fn show(args: &ShowArgs) -> Result<(), String> {
    let path = rules_path(&args.file)?;
    let rules = file::load_or_default(&path).map_err(|e| e.to_string())?;
    print_rules(&path, &rules)
}

fn set(args: &SetArgs) -> Result<(), String> {
    let path = rules_path(&args.file)?;
    let mut rules = match &args.from {
        Some(from) => file::load(from).map_err(|e| e.to_string())?,
        None => file::load_or_default(&path).map_err(|e| e.to_string())?,
    };
    apply(&mut rules, args)?;
    rules.validate().map_err(|e| format!("field `{}`: {}", e.field, e.message))?;
    file::save(&path, &rules).map_err(|e| e.to_string())?;
    print_rules(&path, &rules)
}

fn status_kind(word: &str) -> Result<StatusKind, String> {
    StatusKind::parse(word)
        .ok_or_else(|| format!("unknown status {word:?} (available, away, chat, dnd, unavailable, custom)"))
}

fn is_none_word(s: &str) -> bool {
    s.trim().is_empty() || s.trim().eq_ignore_ascii_case("none") || s.trim().eq_ignore_ascii_case("off")
}

fn target(field: &str, s: &str) -> Result<Option<Target>, String> {
    if is_none_word(s) { Ok(None) } else { Target::parse(s).map(Some).map_err(|e| format!("{field}: {e}")) }
}

fn condition(field: &str, s: &str) -> Result<TimeCondition, String> {
    TimeCondition::parse(s).map_err(|e| format!("{field}: {e}"))
}

fn patterns(field: &str, s: &str) -> Result<Vec<Pattern>, String> {
    if is_none_word(s) {
        return Ok(Vec::new());
    }
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .enumerate()
        .map(|(i, p)| Pattern::parse(p).map_err(|e| format!("{field}[{i}]: {e}")))
        .collect()
}

fn periods(field: &str, s: &str) -> Result<Vec<Period>, String> {
    if is_none_word(s) {
        return Ok(Vec::new());
    }
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .enumerate()
        .map(|(i, p)| Period::parse(p).map_err(|e| format!("{field}[{i}]: {e}")))
        .collect()
}

/// Applies the flags of `rules set` to `rules`.
fn apply(rules: &mut Rules, a: &SetArgs) -> Result<(), String> {
    if let Some(word) = &a.status {
        let kind = status_kind(word)?;
        let base = format!("per_status.{}", kind.as_str());
        let e = rules.per_status.get_mut(kind);
        if let Some(t) = &a.cfu {
            e.cfu = target(&format!("{base}.cfu"), t)?;
        }
        if let Some(t) = &a.cfna {
            e.cfna = target(&format!("{base}.cfna"), t)?;
        }
        if let Some(t) = &a.cfb {
            e.cfb = target(&format!("{base}.cfb"), t)?;
        }
        if let Some(c) = &a.cfu_time {
            e.cfu_time = condition(&format!("{base}.cfu_time"), c)?;
        }
        if let Some(c) = &a.cfna_time {
            e.cfna_time = condition(&format!("{base}.cfna_time"), c)?;
        }
        if let Some(c) = &a.cfb_time {
            e.cfb_time = condition(&format!("{base}.cfb_time"), c)?;
        }
    }
    if let Some(word) = &a.own_status {
        rules.status = status_kind(word)?;
    }
    if let Some(text) = &a.custom_text {
        rules.custom_text = text.trim().to_string();
    }
    if let Some(v) = a.ring_timeout {
        rules.ring_timeout = v;
    }
    if let Some(v) = a.dnd {
        rules.dnd = v;
    }
    if let Some(v) = a.dnd_code {
        rules.dnd_code = v;
    }
    if let Some(c) = &a.dnd_time {
        rules.dnd_time = condition("dnd_time", c)?;
    }
    if let Some(s) = &a.fwd_whitelist {
        rules.fwd_whitelist = patterns("fwd_whitelist", s)?;
    }
    if let Some(s) = &a.dnd_whitelist {
        rules.dnd_whitelist = patterns("dnd_whitelist", s)?;
    }
    if let Some(v) = a.whitelist_max {
        rules.whitelist_max = v;
    }
    if let Some(v) = a.call_waiting {
        rules.call_waiting = v;
    }
    if let Some(z) = &a.time_zone {
        rules.time_zone = if z.trim().eq_ignore_ascii_case("system") {
            None
        } else {
            Some(Zone::parse(z).map_err(|e| format!("time_zone: {e}"))?)
        };
    }
    if let Some(s) = &a.office_hours {
        rules.office_hours = periods("office_hours", s)?;
    }
    if let Some(s) = &a.holidays {
        rules.holidays = periods("holidays", s)?;
    }
    Ok(())
}

/// `--at`: an instant with offset (`…Z`, `…+01:00`), a zoned time (`…[Europe/Berlin]`), or
/// a local date-time in `zone` (the "compatible" choice in a DST gap or fold).
fn parse_at(s: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(z) = s.parse::<jiff::Zoned>() {
        return Ok(z.timestamp());
    }
    let dt: jiff::civil::DateTime =
        s.parse().map_err(|_| format!("--at {s:?}: not a time (2026-12-24T18:00, with an optional offset or Z)"))?;
    dt.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|e| format!("--at {s:?}: {e}"))
}

#[derive(Serialize)]
struct DecisionLine<'a> {
    event: &'static str,
    action: &'static str,
    target: Option<&'a str>,
    kind: Option<ForwardKind>,
    code: Option<u16>,
    reason: &'a str,
    caller: String,
    status: &'static str,
    at: String,
}

fn check(args: &CheckArgs) -> Result<(), String> {
    let path = rules_path(&args.file)?;
    let rules = file::load_or_default(&path).map_err(|e| e.to_string())?;
    let zone = rules.zone();
    let now = match &args.at {
        Some(s) => parse_at(s, zone.tz())?,
        None => Timestamp::now(),
    };
    let status = match &args.status {
        Some(word) => status_kind(word)?.to_user_status(&rules.custom_text),
        None => rules.user_status(),
    };
    let d = decide(&rules, &status, now, &args.caller, args.busy, args.rung_out);
    let (target, kind, code) = match &d.action {
        Action::Ring => (None, None, None),
        Action::Forward { target, kind } => (Some(target.as_str()), Some(*kind), Some(302)),
        Action::Reject { code } => (None, None, Some(*code)),
    };
    print_line(&DecisionLine {
        event: "decision",
        action: d.action.as_str(),
        target,
        kind,
        code,
        reason: &d.reason,
        caller: caller_number(&args.caller),
        status: StatusKind::of(&status).as_str(),
        at: now.to_zoned(zone.tz().clone()).to_string(),
    })
}
