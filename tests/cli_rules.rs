//! `lampboard rules show|set|check` as a user runs it: JSON lines on stdout, exit 2 with a
//! clear message on bad input, and the rules file never touched by a refused change.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lampboard(args: &[&str], config_home: &Path) -> Run {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_lampboard"))
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .env("TZ", "UTC")
        .output()
        .expect("run lampboard");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The one JSON line of a successful run.
fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {}", run.stdout);
    serde_json::from_str(lines[0]).expect("JSON")
}

fn set(file: &str, extra: &[&str], home: &Path) -> Run {
    let mut args = vec!["rules", "set", "--file", file];
    args.extend_from_slice(extra);
    lampboard(&args, home)
}

#[test]
fn show_set_check_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    let f = file.to_str().unwrap();

    let shown = json(&lampboard(&["rules", "show", "--file", f], dir.path()));
    assert_eq!(shown["event"], "rules");
    assert_eq!(shown["status"], "available");
    assert_eq!(shown["ring_timeout"], 60);
    assert_eq!(shown["per_status"]["away"]["cfu"], Value::Null);
    assert!(!file.exists(), "show never writes");

    let out = json(&set(
        f,
        &[
            "--status",
            "away",
            "--cfu",
            "2000",
            "--cfu-time",
            "out-of-office",
            "--cfna",
            "3000",
            "--office-hours",
            "mon-fri 08:00-17:00",
            "--holidays",
            "2026-12-24..2026-12-26",
            "--time-zone",
            "Europe/Berlin",
            "--fwd-whitelist",
            "_10XX, 1999",
            "--own-status",
            "away",
        ],
        dir.path(),
    ));
    assert_eq!(out["event"], "rules");
    assert_eq!(out["per_status"]["away"]["cfu"], "2000");
    assert_eq!(out["per_status"]["away"]["cfu_time"], "out-of-office");
    assert_eq!(out["fwd_whitelist"], serde_json::json!(["_10XX", "1999"]));
    assert_eq!(out["zone_in_effect"], "Europe/Berlin");
    let shown = json(&lampboard(&["rules", "show", "--file", f], dir.path()));
    assert_eq!(shown["per_status"]["away"]["cfna"], "3000");
    assert_eq!(shown["status"], "away");

    let check = |extra: &[&str]| {
        let mut args = vec!["rules", "check", "--file", f];
        args.extend_from_slice(extra);
        json(&lampboard(&args, dir.path()))
    };
    // Christmas Eve 18:00 Berlin: out of office → CFU.
    let d = check(&["--caller", "1005", "--at", "2026-12-24T18:00"]);
    assert_eq!(d["event"], "decision");
    assert_eq!(d["action"], "ring", "1005 is on the forward whitelist: {d}");
    let d = check(&["--caller", "sip:3001@pbx", "--at", "2026-12-24T18:00"]);
    assert_eq!(
        (&d["action"], &d["target"], &d["kind"], &d["code"]),
        (&"forward".into(), &"2000".into(), &"cfu".into(), &302.into())
    );
    assert!(d["reason"].as_str().unwrap().contains("CFU"), "{d}");
    assert_eq!(d["at"], "2026-12-24T18:00:00+01:00[Europe/Berlin]");
    // 10:00 local is office time: no CFU; rung out → CFNA.
    let d = check(&["--caller", "3001", "--at", "2026-12-23T10:00", "--rung-out"]);
    assert_eq!((&d["action"], &d["kind"], &d["target"]), (&"forward".into(), &"cfna".into(), &"3000".into()), "{d}");
    // The same instant given in UTC with Z: 09:00Z = 10:00 local.
    let d = check(&["--caller", "3001", "--at", "2026-12-23T09:00Z"]);
    assert_eq!(d["action"], "ring", "{d}");
    assert_eq!(d["kind"], Value::Null);
    // Busy without CFB: 486.
    let d = check(&["--caller", "3001", "--at", "2026-12-23T10:00", "--busy"]);
    assert_eq!((&d["action"], &d["code"]), (&"reject".into(), &486.into()), "{d}");
    // Another status has no forwards.
    let d = check(&["--caller", "3001", "--at", "2026-12-24T18:00", "--status", "chat"]);
    assert_eq!(d["action"], "ring", "{d}");

    // DND with 480 and a DND whitelist.
    json(&set(f, &["--dnd", "on", "--dnd-code", "480", "--dnd-whitelist", "_20XX"], dir.path()));
    let d = check(&["--caller", "3001", "--at", "2026-12-24T18:00"]);
    assert_eq!((&d["action"], &d["code"]), (&"reject".into(), &480.into()), "{d}");
    let d = check(&["--caller", "\"Boss\" <sip:2001@pbx>", "--at", "2026-12-24T18:00"]);
    assert_eq!(d["action"], "ring", "{d}");
    assert_eq!(d["caller"], "2001");
}

#[test]
fn refused_changes_exit_2_and_leave_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    let f = file.to_str().unwrap();
    json(&set(f, &["--status", "away", "--cfu", "2000"], dir.path()));
    let before = std::fs::read(&file).unwrap();

    // (arguments, part of the stderr message)
    let cases: &[(&[&str], &str)] = &[
        (&["--fwd-whitelist", "1005,_1[5-"], "fwd_whitelist[1]: invalid pattern \"_1[5-\" at position 3"),
        (&["--ring-timeout", "1"], "ring_timeout"),
        (&["--dnd-code", "404"], "dnd_code"),
        (&["--dnd", "maybe"], "not on or off"),
        (&["--status", "away", "--cfu-time", "office"], "per_status.away.cfu_time"),
        (&["--status", "away", "--cfu-time", "mon 25:00-26:00"], "per_status.away.cfu_time"),
        (&["--status", "holiday", "--cfu", "2000"], "unknown status"),
        (&["--status", "away", "--cfb", "20 00"], "per_status.away.cfb"),
        (&["--cfu", "2000"], "--status"),
        (&["--own-status", "custom", "--custom-text", &"x".repeat(65)], "custom_text"),
        (&["--own-status", "custom"], "custom_text"),
        (&["--time-zone", "Mars/Olympus"], "time_zone"),
        (&["--fwd-whitelist", "1,2,3,4,5,6,7,8,9,10,11"], "11 entries, at most 10"),
        (&["--office-hours", "mon-fri 8-17"], "office_hours[0]"),
    ];
    for (args, message) in cases {
        let run = set(f, args, dir.path());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: nothing on stdout: {}", run.stdout);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(std::fs::read(&file).unwrap(), before, "{args:?}: the file is untouched");
    }
    // A larger configured whitelist allows it.
    json(&set(f, &["--whitelist-max", "11", "--fwd-whitelist", "1,2,3,4,5,6,7,8,9,10,11"], dir.path()));
}

#[test]
fn a_broken_file_is_reported_with_line_and_field_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    let f = file.to_str().unwrap();
    let broken = "dnd = true\n\n[per_status.away]\ncfu = \"2000\"\ncfu_time = \"sun 07:00-07:00\"\n";
    std::fs::write(&file, broken).unwrap();
    for args in [
        vec!["rules", "show", "--file", f],
        vec!["rules", "set", "--file", f, "--dnd", "off"],
        vec!["rules", "check", "--file", f, "--caller", "1005"],
    ] {
        let run = lampboard(&args, dir.path());
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("line 5"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("per_status.away.cfu_time"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("empty"), "{args:?}: {}", run.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), broken, "{args:?}");
    }
    // --from starts from another (good) file and replaces the broken one.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "ring_timeout = 20\n").unwrap();
    let out =
        json(&lampboard(&["rules", "set", "--file", f, "--from", good.to_str().unwrap(), "--dnd", "on"], dir.path()));
    assert_eq!((&out["ring_timeout"], &out["dnd"]), (&20.into(), &true.into()));
    assert!(std::fs::read_to_string(&file).unwrap().contains("ring_timeout = 20"));
}

#[test]
fn the_default_file_is_under_xdg_config_home() {
    let dir = tempfile::tempdir().unwrap();
    let out = json(&lampboard(&["rules", "set", "--status", "chat", "--cfb", "4000"], dir.path()));
    let expected = dir.path().join("lampboard").join("rules.toml");
    assert_eq!(out["file"], expected.to_str().unwrap());
    assert!(std::fs::read_to_string(&expected).unwrap().contains("cfb = \"4000\""));
    let d = json(&lampboard(&["rules", "check", "--caller", "1005", "--status", "chat", "--busy"], dir.path()));
    assert_eq!((&d["action"], &d["kind"], &d["target"]), (&"forward".into(), &"cfb".into(), &"4000".into()));
}
