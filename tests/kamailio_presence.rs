//! Presence against a real Kamailio on loopback: Lampboard publishes each of the six
//! statuses for one account and `lampboard watch` on another sees them exactly; a restart of
//! the server makes lamps stale, then fresh again, never wrongly idle.

mod common;

use common::{Kamailio, Running, account_cmd};
use std::time::Duration;

fn publish(k: &Kamailio, ext: &str, status: &str, note: Option<&str>) {
    let mut c = account_cmd(k, &["presence", "set", status], ext);
    if let Some(n) = note {
        c.args(["--note", n]);
    }
    let out = c.output().expect("run lampboard presence set");
    assert_eq!(
        out.status.code(),
        Some(0),
        "presence set {status}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"event\":\"published\""));
}

#[test]
fn watcher_sees_each_published_status() {
    let k = Kamailio::start(&[]);
    let mut w = Running::spawn(account_cmd(&k, &["watch", "1102", "--events", "presence"], "1103"));
    w.wait_lamp("1102", Duration::from_secs(10), |v| v["freshness"] != "pending" && v["freshness"] != "unknown")
        .unwrap_or_else(|| panic!("first lamp: {:?}\n{}", w.seen, k.log()));
    let cases: [(&str, Option<&str>, &str, &str); 6] = [
        ("away", Some("Out to lunch"), "away", "green"),
        ("dnd", None, "dnd", "red"),
        ("custom", Some("InMeeting"), "custom", "green"),
        ("chat", None, "chat", "red"),
        ("unavailable", None, "unavailable", "off"),
        ("available", None, "available", "green"),
    ];
    for (status, note, want, led) in cases {
        publish(&k, "1102", status, note);
        let lamp = w
            .wait_lamp("1102", Duration::from_secs(10), |v| v["status"] == want)
            .unwrap_or_else(|| panic!("watcher never saw {want}: {:?}", w.lamps_of("1102")));
        assert_eq!(lamp["led"], led, "{lamp}");
        assert_eq!(lamp["fresh"], true);
        if status == "custom" {
            assert_eq!(lamp["note"], "InMeeting");
        }
        if let Some(n) = note.filter(|_| status == "away") {
            assert_eq!(lamp["note"], n);
        }
    }
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
}

#[test]
fn restart_makes_lamps_stale_then_fresh_never_wrongly_idle() {
    let k = Kamailio::start(&[]);
    // 1202 holds "away" (refreshing it); 1203 watches presence and dialog.
    let mut holder = Running::spawn({
        let mut c = account_cmd(&k, &["presence", "set", "away", "--duration", "120"], "1202");
        c.args(["--keepalive", "1"]);
        c
    });
    holder.wait_event("published", Duration::from_secs(10)).expect("published");
    let mut w = Running::spawn({
        let mut c = account_cmd(&k, &["watch", "1202", "--events", "presence,dialog"], "1203");
        c.args(["--keepalive", "1"]);
        c
    });
    w.wait_lamp("1202", Duration::from_secs(10), |v| v["status"] == "away" && v["fresh"] == true)
        .unwrap_or_else(|| panic!("away before the restart: {:?}", w.lamps_of("1202")));
    k.stop();
    w.wait_lamp("1202", Duration::from_secs(15), |v| v["freshness"] == "stale")
        .unwrap_or_else(|| panic!("stale while the server is down: {:?}", w.lamps_of("1202")));
    std::thread::sleep(Duration::from_secs(2));
    // While the server is down nothing may claim to be current (no lamp drops to idle).
    let _ = w.wait_lamp("1202", Duration::from_millis(500), |_| false);
    let down = w.lamps_of("1202");
    let stale_at = down.iter().position(|v| v["freshness"] == "stale").unwrap();
    for v in &down[stale_at..] {
        assert_eq!(v["fresh"], false, "shown as current while the server is down: {v}");
        assert_ne!(v["line"], "idle", "shown idle while the server is down: {v}");
    }
    k.start_again();
    let fresh = w
        .wait_lamp("1202", Duration::from_secs(30), |v| v["status"] == "away" && v["fresh"] == true)
        .unwrap_or_else(|| panic!("fresh again within 30 s: {:?}", w.lamps_of("1202")));
    assert_eq!(fresh["led"], "green");
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
    let (code, _) = holder.interrupt_and_wait(Duration::from_secs(15));
    assert_eq!(code, 0);
}
