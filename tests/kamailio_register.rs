//! `lampboard register` against a real Kamailio on loopback: UDP, TCP, TLS, IPv6, SHA-256,
//! wrong passwords, 423, un-REGISTER, and re-registration after a server restart.

mod common;

use common::{Kamailio, Running, lampboard};
use std::process::Command;
use std::time::{Duration, Instant};

fn register_cmd(k: &Kamailio, ext: &str, extra: &[&str]) -> Command {
    let mut c = lampboard();
    c.args(["register", "--server", &format!("127.0.0.1:{}", k.sip_port), "--user", ext]);
    c.args(extra);
    c.env("LAMPBOARD_PASSWORD", k.password(ext));
    c
}

fn events(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn names(ev: &[serde_json::Value]) -> Vec<String> {
    ev.iter().map(|e| e["event"].as_str().unwrap_or("?").to_string()).collect()
}

fn assert_once_ok(k: &Kamailio, ext: &str, extra: &[&str]) {
    let out = register_cmd(k, ext, extra).arg("--once").output().expect("run lampboard");
    let ev = events(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "events {ev:?}\nstderr {}\nkamailio:\n{}",
        String::from_utf8_lossy(&out.stderr),
        k.log()
    );
    let reg = ev.iter().find(|e| e["event"] == "registered").expect("registered event");
    assert_eq!(reg["aor"], format!("sip:{ext}@127.0.0.1"));
    assert!(reg["expires"].as_u64().unwrap() > 0);
    assert!(names(&ev).contains(&"unregistered".to_string()), "{ev:?}");
    assert!(!k.has_binding(ext), "un-REGISTER on exit removed the binding:\n{}", k.ul_dump());
}

#[test]
fn register_once_over_udp() {
    let k = Kamailio::start(&[]);
    assert_once_ok(&k, "1001", &[]);
}

#[test]
fn register_once_over_tcp() {
    let k = Kamailio::start(&[]);
    assert_once_ok(&k, "1002", &["--transport", "tcp"]);
}

#[test]
fn register_once_over_ipv6() {
    let k = Kamailio::start(&[]);
    let out = lampboard()
        .args([
            "register",
            "--server",
            &format!("[::1]:{}", k.sip_port),
            "--user",
            "1003",
            "--domain",
            "127.0.0.1",
            "--once",
        ])
        .env("LAMPBOARD_PASSWORD", k.password("1003"))
        .output()
        .unwrap();
    let ev = events(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{ev:?} {}", String::from_utf8_lossy(&out.stderr));
    let reg = ev.iter().find(|e| e["event"] == "registered").unwrap();
    assert!(reg["contacts"].to_string().contains("[::1]"), "contact is an IPv6 address: {reg}");
}

#[test]
fn register_once_over_tls_with_ca_file_and_refuses_unknown_ca() {
    let k = Kamailio::start(&[("WITH_TLS", "1")]);
    let ca = k.dir().join("ca.pem");
    let tls = |extra: &[&str]| {
        let mut c = lampboard();
        c.args([
            "register",
            "--server",
            &format!("127.0.0.1:{}", k.tls_port),
            "--user",
            "1004",
            "--transport",
            "tls",
            "--once",
        ]);
        c.args(extra).env("LAMPBOARD_PASSWORD", k.password("1004"));
        c.output().unwrap()
    };
    let ok = tls(&["--ca-file", ca.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(names(&events(&ok.stdout)).contains(&"registered".to_string()));
    // Without the CA the certificate is not trusted: a clear error, exit 3.
    let bad = tls(&[]);
    assert_eq!(bad.status.code(), Some(3));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("certificate"), "stderr names the certificate problem: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line message: {err}");
}

#[test]
fn sha256_challenge() {
    let k = Kamailio::start(&[("AUTH_ALG", "SHA-256")]);
    assert_once_ok(&k, "1005", &[]);
    // The answer really used SHA-256 (the engine traces every message it sends).
    let out = register_cmd(&k, "1005", &["--once"]).env("LAMPBOARD_LOG", "lampboard=trace").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(trace.contains("algorithm=SHA-256"), "REGISTER answered with SHA-256");
    assert!(!trace.contains("algorithm=MD5"));
}

#[test]
fn wrong_password_fails_clearly_and_stops() {
    for variant in ["401", "403"] {
        let k = Kamailio::start(&[("WRONG_PASSWORD", variant)]);
        let t = Instant::now();
        let out = lampboard()
            .args(["register", "--server", &format!("127.0.0.1:{}", k.sip_port), "--user", "1006", "--once"])
            .env("LAMPBOARD_PASSWORD", "not-the-password")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "variant {variant}");
        let ev = events(&out.stdout);
        let failed: Vec<_> = ev.iter().filter(|e| e["event"] == "registration_failed").collect();
        assert_eq!(failed.len(), 1, "one failure, no retry loop: {ev:?}");
        assert_eq!(failed[0]["code"], variant.parse::<u64>().unwrap());
        assert!(failed[0]["retry_in_ms"].is_null(), "it does not retry by itself");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.to_lowercase().contains("password") || err.contains("403"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(10));
        // And without --once it stops too instead of looping.
        let out = lampboard()
            .args(["register", "--server", &format!("127.0.0.1:{}", k.sip_port), "--user", "1006", "--duration", "20"])
            .env("LAMPBOARD_PASSWORD", "not-the-password")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        let registers = k.log().matches("REGISTER").count();
        assert!(registers < 20, "no loop of REGISTERs ({registers} log lines)");
    }
}

#[test]
fn interval_too_brief_is_corrected_from_min_expires() {
    let k = Kamailio::start(&[]);
    let out = register_cmd(&k, "1007", &["--expires", "20", "--once"]).output().unwrap();
    let ev = events(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{ev:?} {}", String::from_utf8_lossy(&out.stderr));
    let reg = ev.iter().find(|e| e["event"] == "registered").unwrap();
    assert_eq!(reg["expires"], 60, "Min-Expires of the test registrar");
}

#[test]
fn binding_exists_while_running_and_goes_on_interrupt() {
    let k = Kamailio::start(&[]);
    let mut r = Running::spawn(register_cmd(&k, "1008", &[]));
    r.wait_event("registered", Duration::from_secs(10)).expect("registered");
    assert!(k.has_binding("1008"), "{}", k.ul_dump());
    let (code, ev) = r.interrupt_and_wait(Duration::from_secs(10));
    assert_eq!(code, 0, "{ev:?}");
    assert!(names(&ev).contains(&"unregistered".to_string()));
    assert!(!k.has_binding("1008"), "{}", k.ul_dump());
}

fn reregisters_after_restart(transport: &str, ext: &str) {
    let k = Kamailio::start(&[]);
    let mut r =
        Running::spawn(register_cmd(&k, ext, &["--transport", transport, "--keepalive", "1", "--duration", "90"]));
    r.wait_event("registered", Duration::from_secs(10)).expect("first registration");
    k.stop();
    std::thread::sleep(Duration::from_secs(3));
    k.start_again();
    // The restarted registrar keeps bindings in memory only: the binding it shows below can
    // only come from a new REGISTER (over TCP that can be done before this line runs).
    let t = Instant::now();
    r.wait_event("registered", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no re-registration within 30 s over {transport}; events {:?}", r.seen));
    assert!(k.has_binding(ext));
    eprintln!("{transport}: re-registered {:?} after the restart", t.elapsed());
    let (code, _) = r.interrupt_and_wait(Duration::from_secs(10));
    assert_eq!(code, 0);
}

#[test]
fn reregisters_after_server_restart_udp() {
    reregisters_after_restart("udp", "1009");
}

#[test]
fn reregisters_after_server_restart_tcp() {
    reregisters_after_restart("tcp", "1010");
}
