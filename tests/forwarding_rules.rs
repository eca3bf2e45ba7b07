//! The decision function (every status × rule × whitelist × time condition), time
//! conditions across the Europe/Berlin DST changes, and the rules file (errors with line
//! and field, the previous file kept, atomic save).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use lampboard::forwarding::file;
use lampboard::forwarding::{
    Action, Decision, ForwardKind, Pattern, Period, Rules, StatusKind, Target, TimeCondition, Zone, decide,
};
use lampboard::presence::status::UserStatus;

const ZONE: &str = "Europe/Berlin";

/// A local Berlin wall-clock time as an instant.
fn local(s: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = s.parse().expect("test time");
    dt.to_zoned(TimeZone::get(ZONE).expect("tz db")).expect("in range").timestamp()
}

fn utc(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn target(s: &str) -> Target {
    Target::parse(s).expect("test target")
}

/// Berlin rules with office hours Mon–Fri 08:00–17:00 and Christmas holidays; nothing on.
fn base() -> Rules {
    Rules {
        time_zone: Some(Zone::parse(ZONE).expect("tz db")),
        office_hours: vec![Period::parse("mon-fri 08:00-17:00").expect("period")],
        holidays: vec![Period::parse("2026-12-24..2026-12-26").expect("period")],
        ..Rules::default()
    }
}

const OFFICE: &str = "2026-06-10T10:00"; // a Wednesday
const NIGHT: &str = "2026-06-10T22:00";
const HOLIDAY: &str = "2026-12-24T10:00"; // a Thursday, inside office hours but a holiday

fn forward(t: &str, kind: ForwardKind) -> Action {
    Action::Forward { target: target(t), kind }
}

fn run(rules: &Rules, status: &UserStatus, at: &str, caller: &str, busy: bool, rung_out: bool) -> Decision {
    decide(rules, status, local(at), caller, busy, rung_out)
}

#[test]
fn defaults_ring_everyone() {
    let rules = Rules::default();
    assert_eq!(rules.status, StatusKind::Available);
    assert_eq!(rules.ring_timeout, 60);
    assert_eq!(rules.dnd_code, 486);
    assert_eq!(rules.whitelist_max, 10);
    rules.validate().expect("defaults are valid");
    let d = decide(&rules, &UserStatus::Available, utc("2026-06-10T08:00Z"), "sip:1005@pbx", false, false);
    assert_eq!(d.action, Action::Ring);
    let d = decide(&rules, &UserStatus::Available, utc("2026-06-10T08:00Z"), "1005", true, false);
    assert_eq!(d.action, Action::Reject { code: 486 }, "busy without CFB: Busy Here");
}

/// The same table for each of the six statuses: each status has its own targets, so a
/// decision naming `{status}-cfu` proves the entry of the right status was used.
#[test]
fn every_status_rule_whitelist_and_time_condition() {
    let statuses = [
        UserStatus::Available,
        UserStatus::Away,
        UserStatus::Chat,
        UserStatus::Unavailable,
        UserStatus::Custom("In a meeting".into()),
    ];
    for status in &statuses {
        let kind = StatusKind::of(status);
        let name = kind.as_str();
        let t = |rule: &str| format!("{name}-{rule}");
        let mut rules = base();
        for other in StatusKind::ALL {
            let e = rules.per_status.get_mut(other);
            e.cfu = Some(target(&format!("{}-cfu", other.as_str())));
            e.cfb = Some(target(&format!("{}-cfb", other.as_str())));
            e.cfna = Some(target(&format!("{}-cfna", other.as_str())));
        }
        rules.fwd_whitelist = vec![Pattern::parse("_10XX").unwrap()];
        rules.dnd_whitelist = vec![Pattern::parse("_20XX").unwrap()];
        let with = |f: &dyn Fn(&mut Rules)| {
            let mut r = rules.clone();
            f(&mut r);
            r.validate().expect("test rules are valid");
            r
        };
        let entry =
            |f: fn(&mut lampboard::forwarding::StatusRules)| with(&move |r: &mut Rules| f(r.per_status.get_mut(kind)));
        let no_cfu = entry(|e| e.cfu = None);
        let only_cfna = entry(|e| {
            e.cfu = None;
            e.cfb = None;
        });
        let nothing = entry(|e| {
            e.cfu = None;
            e.cfb = None;
            e.cfna = None;
        });
        let cfu_office = entry(|e| e.cfu_time = TimeCondition::OfficeHours);
        let cfu_out_of_office = entry(|e| e.cfu_time = TimeCondition::OutOfOfficeHours);
        let cfu_holiday = entry(|e| e.cfu_time = TimeCondition::Holidays);
        let cfu_ooo_or_holiday = entry(|e| e.cfu_time = TimeCondition::OutOfOfficeOrHolidays);
        let cfu_specific = entry(|e| e.cfu_time = TimeCondition::parse("wed 09:00-11:00; 2026-12-24").unwrap());
        let cfb_office = entry(|e| {
            e.cfu = None;
            e.cfb_time = TimeCondition::OfficeHours;
        });
        let cfna_night = entry(|e| {
            e.cfu = None;
            e.cfna_time = TimeCondition::OutOfOfficeHours;
        });
        let dnd = with(&|r| r.dnd = true);
        let dnd_480 = with(&|r| {
            r.dnd = true;
            r.dnd_code = 480;
        });
        let dnd_office = with(&|r| {
            r.dnd = true;
            r.dnd_time = TimeCondition::OfficeHours;
        });

        let cfu = forward(&t("cfu"), ForwardKind::Cfu);
        let cfb = forward(&t("cfb"), ForwardKind::Cfb);
        let cfna = forward(&t("cfna"), ForwardKind::Cfna);
        let busy_here = Action::Reject { code: 486 };
        // (label, rules, at, caller, busy, rung_out, expected)
        let table: Vec<(&str, &Rules, &str, &str, bool, bool, Action)> = vec![
            ("CFU always", &rules, OFFICE, "3001", false, false, cfu.clone()),
            ("CFU also when busy", &rules, OFFICE, "3001", true, false, cfu.clone()),
            ("CFU also when rung out", &rules, NIGHT, "3001", false, true, cfu.clone()),
            ("fwd whitelist rings", &rules, OFFICE, "1005", false, false, Action::Ring),
            ("fwd whitelist as URI", &rules, OFFICE, "\"Bob\" <sip:1005@pbx>", false, false, Action::Ring),
            ("fwd whitelist busy", &rules, OFFICE, "1005", true, false, busy_here.clone()),
            ("fwd whitelist rung out", &rules, OFFICE, "1005", false, true, Action::Ring),
            ("CFB when busy", &no_cfu, OFFICE, "3001", true, false, cfb.clone()),
            ("CFNA when rung out", &no_cfu, OFFICE, "3001", false, true, cfna.clone()),
            ("rings before timeout", &no_cfu, OFFICE, "3001", false, false, Action::Ring),
            ("busy without CFB", &only_cfna, OFFICE, "3001", true, false, busy_here.clone()),
            ("nothing set: rings", &nothing, OFFICE, "3001", false, false, Action::Ring),
            ("nothing set, rung out: keeps ringing", &nothing, OFFICE, "3001", false, true, Action::Ring),
            ("CFU office, in office", &cfu_office, OFFICE, "3001", false, false, cfu.clone()),
            ("CFU office, at night", &cfu_office, NIGHT, "3001", false, false, Action::Ring),
            ("CFU office, at night, busy", &cfu_office, NIGHT, "3001", true, false, cfb.clone()),
            ("CFU office, holiday is office time", &cfu_office, HOLIDAY, "3001", false, false, cfu.clone()),
            ("CFU out of office, in office", &cfu_out_of_office, OFFICE, "3001", false, false, Action::Ring),
            ("CFU out of office, at night", &cfu_out_of_office, NIGHT, "3001", false, false, cfu.clone()),
            ("CFU holiday, on a holiday", &cfu_holiday, HOLIDAY, "3001", false, false, cfu.clone()),
            ("CFU holiday, workday", &cfu_holiday, OFFICE, "3001", false, false, Action::Ring),
            ("CFU ooo-or-holiday, holiday", &cfu_ooo_or_holiday, HOLIDAY, "3001", false, false, cfu.clone()),
            ("CFU ooo-or-holiday, night", &cfu_ooo_or_holiday, NIGHT, "3001", false, false, cfu.clone()),
            ("CFU ooo-or-holiday, office", &cfu_ooo_or_holiday, OFFICE, "3001", false, false, Action::Ring),
            ("CFU specific, weekly", &cfu_specific, OFFICE, "3001", false, false, cfu.clone()),
            ("CFU specific, date", &cfu_specific, HOLIDAY, "3001", false, false, cfu.clone()),
            ("CFU specific, outside", &cfu_specific, NIGHT, "3001", false, false, Action::Ring),
            ("CFB office, in office", &cfb_office, OFFICE, "3001", true, false, cfb.clone()),
            ("CFB office, at night", &cfb_office, NIGHT, "3001", true, false, busy_here.clone()),
            ("CFNA out of office, night", &cfna_night, NIGHT, "3001", false, true, cfna.clone()),
            ("CFNA out of office, office", &cfna_night, OFFICE, "3001", false, true, Action::Ring),
            ("DND rejects", &dnd, OFFICE, "3001", false, false, busy_here.clone()),
            ("DND ignores fwd whitelist", &dnd, OFFICE, "1005", false, false, busy_here.clone()),
            ("DND 480", &dnd_480, OFFICE, "3001", false, false, Action::Reject { code: 480 }),
            ("DND whitelist rings, no CFU", &dnd, OFFICE, "2005", false, false, Action::Ring),
            ("DND whitelist, rung out, no CFNA", &dnd, OFFICE, "2005", false, true, Action::Ring),
            ("DND whitelist, busy", &dnd_480, OFFICE, "2005", true, false, busy_here.clone()),
            ("DND office, in office", &dnd_office, OFFICE, "3001", false, false, busy_here.clone()),
            ("DND office, at night: CFU", &dnd_office, NIGHT, "3001", false, false, cfu.clone()),
            ("DND office, at night: fwd whitelist", &dnd_office, NIGHT, "1005", false, false, Action::Ring),
        ];
        for (label, r, at, caller, busy, rung_out, expected) in table {
            let d = run(r, status, at, caller, busy, rung_out);
            assert_eq!(d.action, expected, "{name}: {label}: {}", d.reason);
            assert!(!d.reason.is_empty(), "{name}: {label}: a reason");
        }
    }
}

#[test]
fn the_dnd_status_is_dnd_and_its_own_entry_applies_outside_the_dnd_time() {
    let mut rules = base();
    rules.per_status.dnd.cfu = Some(target("dnd-cfu"));
    rules.per_status.available.cfu = Some(target("available-cfu"));
    rules.dnd_whitelist = vec![Pattern::parse("1005").unwrap()];
    let d = run(&rules, &UserStatus::Dnd, OFFICE, "3001", false, false);
    assert_eq!(d.action, Action::Reject { code: 486 }, "{}", d.reason);
    assert!(d.reason.contains("DND"), "{}", d.reason);
    let d = run(&rules, &UserStatus::Dnd, OFFICE, "1005", false, false);
    assert_eq!(d.action, Action::Ring, "{}", d.reason);
    rules.dnd_time = TimeCondition::OfficeHours;
    let d = run(&rules, &UserStatus::Dnd, NIGHT, "3001", false, false);
    assert_eq!(d.action, forward("dnd-cfu", ForwardKind::Cfu), "{}", d.reason);
    // The DND switch with another status: that status' entry applies outside the DND time.
    rules.dnd = true;
    let d = run(&rules, &UserStatus::Available, NIGHT, "3001", false, false);
    assert_eq!(d.action, forward("available-cfu", ForwardKind::Cfu), "{}", d.reason);
    let d = run(&rules, &UserStatus::Available, OFFICE, "3001", false, false);
    assert_eq!(d.action, Action::Reject { code: 486 }, "{}", d.reason);
}

#[test]
fn reasons_say_what_happened() {
    let mut rules = base();
    rules.per_status.away.cfu = Some(target("2000"));
    rules.per_status.away.cfu_time = TimeCondition::OutOfOfficeHours;
    let d = run(&rules, &UserStatus::Away, NIGHT, "3001", false, false);
    assert_eq!(d.reason, "CFU (away) (time condition out-of-office) to 2000");
    let d = run(&rules, &UserStatus::Away, OFFICE, "3001", false, false);
    assert_eq!(d.reason, "rings (CFU time condition out-of-office does not hold)");
    rules.fwd_whitelist = vec![Pattern::parse("_10XX").unwrap()];
    let d = run(&rules, &UserStatus::Away, NIGHT, "sip:1005@pbx", false, false);
    assert_eq!(d.reason, "1005 is on the forward whitelist (_10XX): rings, never forwarded");
}

#[test]
fn busy_follows_call_waiting() {
    let mut rules = Rules::default();
    assert!(!rules.is_busy(1), "call waiting on: a second call can ring");
    rules.call_waiting = false;
    assert!(rules.is_busy(1));
    assert!(!rules.is_busy(0));
}

fn holds(cond: &str, office: &[&str], at: Timestamp) -> bool {
    let office: Vec<Period> = office.iter().map(|p| Period::parse(p).unwrap()).collect();
    let zone = TimeZone::get(ZONE).unwrap();
    let cal = lampboard::forwarding::Calendar { office_hours: &office, holidays: &[], zone: &zone };
    TimeCondition::parse(cond).unwrap().holds(&cal, at)
}

#[test]
fn office_hours_stay_in_local_time_across_both_dst_changes() {
    let office = ["mon-fri 08:00-17:00"];
    // Friday before the spring change: CET, UTC+1.
    assert!(!holds("office", &office, utc("2026-03-27T06:59Z")));
    assert!(holds("office", &office, utc("2026-03-27T07:00Z")));
    assert!(holds("office", &office, utc("2026-03-27T15:59Z")));
    assert!(!holds("office", &office, utc("2026-03-27T16:00Z")));
    // Monday after it: CEST, UTC+2: 08:00 local is 06:00Z.
    assert!(!holds("office", &office, utc("2026-03-30T05:59Z")));
    assert!(holds("office", &office, utc("2026-03-30T06:00Z")));
    assert!(holds("office", &office, utc("2026-03-30T14:59Z")));
    assert!(!holds("office", &office, utc("2026-03-30T15:00Z")));
    // Friday before the autumn change (CEST) and Monday after it (CET).
    assert!(holds("office", &office, utc("2026-10-23T06:00Z")));
    assert!(!holds("office", &office, utc("2026-10-26T06:30Z")), "07:30 CET");
    assert!(holds("office", &office, utc("2026-10-26T07:00Z")), "08:00 CET");
    assert!(holds("out-of-office", &office, utc("2026-10-26T06:30Z")));
}

#[test]
fn a_range_across_the_skipped_hour_is_wall_clock_time() {
    let p = ["sun 01:00-04:00"];
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z.
    assert!(!holds("office", &p, utc("2026-03-28T23:59Z")));
    assert!(holds("office", &p, utc("2026-03-29T00:00Z")));
    assert!(holds("office", &p, utc("2026-03-29T00:59Z")), "01:59 CET");
    assert!(holds("office", &p, utc("2026-03-29T01:00Z")), "03:00 CEST, right after the jump");
    assert!(holds("office", &p, utc("2026-03-29T01:59Z")));
    assert!(!holds("office", &p, utc("2026-03-29T02:00Z")), "04:00 CEST");
    // A window inside the skipped hour never happens that day, and does a week later.
    let inside = ["sun 02:15-02:45"];
    let day_start = utc("2026-03-28T22:00Z");
    let minutes = (0..24 * 60).filter(|m| holds("office", &inside, day_start + jiff::SignedDuration::from_mins(*m)));
    assert_eq!(minutes.count(), 0);
    assert!(holds("office", &inside, utc("2026-04-05T00:30Z")), "02:30 CEST a week later");
}

#[test]
fn the_repeated_autumn_hour_is_inside_twice() {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:00-03:00 local lasts two hours.
    let p = ["sun 02:00-03:00"];
    assert!(!holds("office", &p, utc("2026-10-24T23:59Z")), "01:59 CEST");
    assert!(holds("office", &p, utc("2026-10-25T00:30Z")), "02:30 CEST");
    assert!(holds("office", &p, utc("2026-10-25T01:30Z")), "02:30 CET");
    assert!(!holds("office", &p, utc("2026-10-25T02:00Z")), "03:00 CET");
}

#[test]
fn windows_cross_midnight_from_the_named_day() {
    let p = ["fri 22:00-06:00"];
    assert!(!holds("office", &p, local("2026-06-12T21:59")));
    assert!(holds("office", &p, local("2026-06-12T22:00")));
    assert!(holds("office", &p, local("2026-06-13T05:59")), "Saturday morning");
    assert!(!holds("office", &p, local("2026-06-13T06:00")));
    assert!(!holds("office", &p, local("2026-06-13T23:00")), "Saturday night is not Friday's");
    let dates = ["2026-12-31 22:00-02:00"];
    assert!(holds("office", &dates, local("2027-01-01T01:00")));
    assert!(!holds("office", &dates, local("2027-01-01T22:30")));
}

#[test]
fn a_decision_across_the_spring_change() {
    let mut rules = base();
    rules.per_status.available.cfu = Some(target("2000"));
    rules.per_status.available.cfu_time = TimeCondition::OfficeHours;
    let before = decide(&rules, &UserStatus::Available, utc("2026-03-30T05:30Z"), "3001", false, false);
    assert_eq!(before.action, Action::Ring, "07:30 CEST: {}", before.reason);
    let after = decide(&rules, &UserStatus::Available, utc("2026-03-30T06:30Z"), "3001", false, false);
    assert_eq!(after.action, forward("2000", ForwardKind::Cfu), "08:30 CEST: {}", after.reason);
}

// ---- the rules file ----

fn full_rules() -> Rules {
    let mut r = base();
    r.status = StatusKind::Custom;
    r.custom_text = "In a meeting".into();
    r.ring_timeout = 25;
    r.call_waiting = false;
    r.dnd = true;
    r.dnd_code = 480;
    r.dnd_time = TimeCondition::parse("mon-fri 12:00-13:00").unwrap();
    r.dnd_whitelist = vec![Pattern::parse("_20XX").unwrap(), Pattern::parse("1005").unwrap()];
    r.fwd_whitelist = vec![Pattern::parse("_1[1-5]X.").unwrap()];
    r.per_status.away.cfu = Some(target("sip:bob@example.com"));
    r.per_status.away.cfu_time = TimeCondition::OutOfOfficeOrHolidays;
    r.per_status.custom.cfna = Some(target("*97"));
    r.per_status.chat.cfb = Some(target("+4930123456"));
    r.per_status.chat.cfb_time = TimeCondition::parse("sat,sun; 2026-12-24..2026-12-26 12:00-24:00").unwrap();
    r
}

#[test]
fn rules_survive_a_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/rules.toml");
    let rules = full_rules();
    file::save(&path, &rules).expect("save");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[per_status.away]"), "{text}");
    assert!(text.contains("cfu = \"sip:bob@example.com\""), "{text}");
    assert_eq!(file::load(&path).expect("load"), rules);
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("rules.toml")], "no temporary file left");
    // A missing file is the defaults for load_or_default, and an error for load.
    let missing = dir.path().join("none.toml");
    assert_eq!(file::load_or_default(&missing).unwrap(), Rules::default());
    assert!(file::load(&missing).is_err());
}

#[test]
fn a_partial_file_fills_in_defaults_and_empty_targets_are_off() {
    let rules = file::parse("dnd = true\n[per_status.away]\ncfu = \"\"\ncfb = \"2000\"\n").expect("valid");
    assert!(rules.dnd);
    assert_eq!(rules.per_status.away.cfu, None);
    assert_eq!(rules.per_status.away.cfb, Some(target("2000")));
    assert_eq!(rules.ring_timeout, 60);
}

/// (file text, line, field, part of the message)
#[test]
fn invalid_files_say_line_and_field() {
    let table: &[(&str, usize, &str, &str)] = &[
        ("dnd = true\nfwd_whitelist = [\"1005\", \"_1[5-\"]\n", 2, "fwd_whitelist[1]", "\"_1[5-\""),
        ("ring_timeout = \"abc\"\n", 1, "ring_timeout", ""),
        ("dnd = true\nring_timeout =\n", 2, "ring_timeout", ""),
        ("ring_timeout = 2\n", 1, "ring_timeout", "outside 3-600"),
        ("dnd_code = 404\n", 1, "dnd_code", "486 or 480"),
        (
            "\n\n[per_status.away]\ncfu = \"2000\"\ncfu_time = \"mon 25:00-26:00\"\n",
            5,
            "per_status.away.cfu_time",
            "25:00",
        ),
        ("[per_status.away]\ncfu = \"20 00\"\n", 2, "per_status.away.cfu", "contains"),
        ("[per_status.away]\ncfx = \"2000\"\n", 2, "per_status.away.cfx", "unknown field"),
        ("[per_status.holiday]\ncfu = \"2000\"\n", 1, "per_status.holiday", "unknown field"),
        ("time_zone = \"Mars/Olympus\"\n", 1, "time_zone", "unknown time zone"),
        ("custom_text = \"x\"\nstatus = \"custom\"\ncustom_text2 = 1\n", 3, "custom_text2", "unknown field"),
        (
            "status = \"custom\"\ncustom_text = \"12345678901234567890123456789012345678901234567890123456789012345\"\n",
            2,
            "custom_text",
            "65 characters, at most 64",
        ),
        ("status = \"custom\"\n", 0, "custom_text", "needs a text"),
        (
            "fwd_whitelist = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]\n",
            1,
            "fwd_whitelist",
            "11 entries, at most 10",
        ),
        ("[per_status.chat]\ncfu = \"2000\"\ncfu_time = \"office\"\n", 3, "per_status.chat.cfu_time", "office_hours"),
        ("holidays = [\"2026-02-30\"]\n", 1, "holidays[0]", "not a date"),
    ];
    for &(text, line, field, message) in table {
        let err = file::parse(text).expect_err(text);
        assert_eq!(err.field.as_deref(), Some(field), "{text:?}: {err}");
        if line > 0 {
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
        }
        assert!(err.message.contains(message), "{text:?}: {err}");
        assert!(err.to_string().contains(&format!("field `{field}`")), "{err}");
    }
    // A bigger configured whitelist takes 11 entries.
    let eleven =
        "whitelist_max = 11\nfwd_whitelist = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]\n";
    assert_eq!(file::parse(eleven).expect("valid").fwd_whitelist.len(), 11);
}

#[test]
fn a_bad_file_or_bad_rules_never_replace_the_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    file::save(&path, &full_rules()).unwrap();
    let good = std::fs::read_to_string(&path).unwrap();

    let mut bad = full_rules();
    bad.custom_text = "x".repeat(65);
    let err = file::save(&path, &bad).expect_err("invalid rules are not saved");
    assert_eq!(err.field.as_deref(), Some("custom_text"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);

    // A file broken by hand is refused on load and stays as it is (nothing rewrites it).
    let broken = good.replace("ring_timeout = 25", "ring_timeout = [");
    std::fs::write(&path, &broken).unwrap();
    let err = file::load(&path).expect_err("broken");
    assert_eq!(err.path.as_deref(), Some(path.as_path()));
    assert!(err.line.is_some(), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}
