//! PRACK (RFC 3262) against SIPp: `lampboard call` PRACKs a SIPp callee's reliable 180
//! (tests/testbed/sipp/uas_100rel.xml, direct, no registrar), and a SIPp caller requiring
//! 100rel (uac_100rel.xml) through Kamailio gets a reliable 180 from `lampboard answer`,
//! PRACKs it and is answered.

mod common;

use common::{Kamailio, Running, account_cmd, lampboard};
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

fn scenario(name: &str) -> String {
    format!("{}/tests/testbed/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The SIPp message trace, for assertion messages and checks.
fn trace(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn lampboard_call_pracks_a_reliable_180() {
    let port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("callee.log");
    let mut sipp = Command::new("timeout")
        .args(["40", "sipp", "-sf", &scenario("uas_100rel.xml"), "-i", "127.0.0.1", "-bind_local"])
        .args(["-p", &port.to_string(), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error"])
        .args(["-trace_msg", "-message_file"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp (tests/testbed/install-deps.sh installs it)");
    std::thread::sleep(Duration::from_millis(500));
    let out = lampboard()
        .args(["call", "1001", "--duration", "2", "--server", &format!("127.0.0.1:{port}")])
        .args(["--user", "2000", "--no-register", "--record"])
        .arg(dir.path().join("rec.wav"))
        .env("LAMPBOARD_PASSWORD", "unused")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"state\":\"answered\""), "{stdout}");
    let st = sipp.wait().unwrap();
    let t = trace(&log);
    assert!(st.success(), "SIPp saw Supported: 100rel, a PRACK with the right RAck, ACK and BYE:\n{t}");
    let pracks = t.lines().filter(|l| l.starts_with("PRACK ")).count();
    assert_eq!(pracks, 1, "one PRACK for RSeq 1:\n{t}");
    assert!(t.contains("RAck: 1 1 INVITE"), "{t}");
}

#[test]
fn sipp_caller_requiring_100rel_gets_a_reliable_180_from_lampboard_answer() {
    let k = Kamailio::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut callee =
        Running::spawn(account_cmd(&k, &["answer", "--count", "1", "--after-rings", "1", "--duration", "3"], "1821"));
    callee.wait_event("registered", Duration::from_secs(10)).expect("lampboard answer registered");
    let log = dir.path().join("caller.log");
    let port = free_udp_port();
    let st = Command::new("timeout")
        .args(["60", "sipp", &format!("127.0.0.1:{}", k.sip_port), "-sf", &scenario("uac_100rel.xml")])
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1", "-nostdin", "-s", "1822"])
        .args(["-ap", &k.password("1822"), "-key", "target", "1821", "-d", "1000"])
        .args(["-timeout", "40s", "-timeout_error", "-trace_msg", "-message_file"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("sipp");
    let t = trace(&log);
    assert!(st.success(), "reliable 180, PRACK answered 200, INVITE answered, BYE answered:\n{t}");
    let ringing = t.split("SIP/2.0 180").nth(1).expect("a 180 in the trace");
    assert!(ringing.contains("Require: 100rel") && ringing.contains("RSeq:"), "{t}");
    let (code, events) = callee.wait(Duration::from_secs(20));
    assert_eq!(code, 0, "{events:?}");
    assert!(events.iter().any(|e| e["event"] == "call" && e["state"] == "answered"), "{events:?}");
}
