//! `lampboard watch` against a SIPp notifier that sends what Asterisk (PJSIP + the Digium
//! supplement) sends for each of the six statuses (tests/testbed/sipp/asterisk_notifier.xml).

mod common;

use common::{Running, lampboard};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn watch_reads_each_asterisk_status() {
    let port = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testbed/sipp/asterisk_notifier.xml");
    let mut sipp = Command::new("timeout")
        .args(["60", "sipp", "-sf", scenario, "-i", "127.0.0.1", "-bind_local", "-p", &port.to_string()])
        .args(["-m", "1", "-nostdin", "-aa", "-timeout", "40s", "-timeout_error", "-trace_msg", "-message_file"])
        .arg(dir.path().join("notifier.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp (tests/testbed/install-deps.sh installs it)");
    std::thread::sleep(Duration::from_millis(500));
    let mut c = lampboard();
    c.args(["watch", &format!("sip:1001@127.0.0.1:{port}"), "--events", "presence", "--duration", "30"]);
    c.args(["--server", &format!("127.0.0.1:{port}"), "--user", "2000", "--no-register"]);
    c.env("LAMPBOARD_PASSWORD", "unused");
    let mut w = Running::spawn(c);
    let ext = format!("sip:1001@127.0.0.1:{port}");
    let want = [
        ("available", None, "green"),
        ("away", None, "green"),
        ("chat", None, "red"),
        ("dnd", None, "red"),
        ("unavailable", None, "off"),
        ("custom", Some("InMeeting"), "green"),
    ];
    for (status, note, led) in want {
        let lamp = w
            .wait_lamp(&ext, Duration::from_secs(10), |v| v["status"] == status)
            .unwrap_or_else(|| panic!("never saw {status}: {:?}", w.lamps_of(&ext)));
        assert_eq!(lamp["led"], led, "{lamp}");
        assert_eq!(lamp["fresh"], true, "{lamp}");
        if let Some(n) = note {
            assert_eq!(lamp["note"], n);
        }
    }
    // terminated;reason=noresource: the subscription stops for good and says why.
    let failed = w
        .wait_lamp(&ext, Duration::from_secs(10), |v| v["freshness"] == "failed")
        .unwrap_or_else(|| panic!("no failed lamp: {:?}", w.lamps_of(&ext)));
    assert!(failed["reason"].as_str().unwrap_or("").contains("noresource"), "{failed}");
    let st = sipp.wait().unwrap();
    assert!(st.success(), "the notifier saw every NOTIFY answered with 200");
    let (code, _) = w.interrupt_and_wait(Duration::from_secs(10));
    assert_eq!(code, 0);
}
