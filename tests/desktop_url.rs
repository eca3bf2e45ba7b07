//! Click-to-call: the links `lampboard` takes as its first argument, and the hand-off of such a
//! link from a later launch to the running instance (real binary, two processes).

#[path = "support/xvfb.rs"]
mod xvfb;
use xvfb::{Killer, Xvfb};

use lampboard::desktop::single::{Acquired, Message, acquire};
use lampboard::desktop::url::{UrlError, call_scheme, dial_target};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn lampboard(socket: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lampboard"));
    c.env("LAMPBOARD_INSTANCE_SOCKET", socket).env_remove("LAMPBOARD_LOG");
    c
}

#[test]
fn links_from_browsers_become_dial_targets() {
    let cases = [
        ("tel:+49-30-123", "+4930123"),
        ("tel:+49%2030%20123;phone-context=+49", "+4930123"),
        ("tel:(030)%20123.456", "030123456"),
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("sips:7001@pbx.example.com;transport=tls", "sips:7001@pbx.example.com;transport=tls"),
        ("sip:bob@example.com?Call-Info=evil", "sip:bob@example.com"),
        ("callto://+49-30-123/", "+4930123"),
        ("callto:carol@example.com", "sip:carol@example.com"),
        ("callto:7001", "7001"),
    ];
    for (link, want) in cases {
        assert_eq!(dial_target(link).as_deref(), Ok(want), "{link}");
    }
    assert_eq!(dial_target("tel:;x=1"), Err(UrlError::Empty));
    assert_eq!(dial_target("tel:+49 30 12x"), Err(UrlError::BadNumber('x')));
    assert_eq!(call_scheme("https://example.com"), None);
}

#[test]
fn a_later_launch_hands_its_link_to_the_running_instance() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("lampboard.sock");
    // This test plays the running instance.
    let Ok(Acquired::Primary(first)) = acquire(&socket, &Message::Focus) else { panic!("the test is first") };
    let (tx, rx) = mpsc::channel();
    first.spawn(move |m| tx.send(m).unwrap()).unwrap();

    let out = lampboard(&socket).arg("tel:+49-30-123").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Message::Dial("+4930123".into()));

    let out = lampboard(&socket).arg("SIP:alice@example.com").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Message::Dial("sip:alice@example.com".into()));

    // A plain second launch only brings the first to the front.
    let out = lampboard(&socket).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Message::Focus);
}

#[test]
fn a_link_that_cannot_be_dialled_exits_2_without_forwarding() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("lampboard.sock");
    let out = lampboard(&socket).arg("tel:call-me-maybe").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot dial"), "{out:?}");
    assert!(!socket.exists(), "no instance was started");
}

/// Both ends real: a console on the demo office under Xvfb, then `lampboard tel:…`.
#[test]
fn the_running_console_dials_a_link_from_a_second_launch() {
    let x = Xvfb::start(140..190);
    let disp = x.display.clone();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("lampboard.sock");
    let mut first = Killer(
        lampboard(&socket)
            .arg("--demo")
            .env("DISPLAY", &disp)
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("LAMPBOARD_LOG", "warn,lampboard::desktop=info")
            .env("LAMPBOARD_LOG_DIR", dir.path().join("logs"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lampboard"),
    );
    let (lines, log) = mpsc::channel();
    let stderr = first.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(l);
        }
    });
    let t = Instant::now();
    while !socket.exists() {
        assert!(first.0.try_wait().unwrap().is_none(), "the first lampboard exited");
        assert!(t.elapsed() < Duration::from_secs(60), "the first lampboard did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = lampboard(&socket).arg("callto://+49-30-123").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let t = Instant::now();
    let mut seen = Vec::new();
    loop {
        let left = Duration::from_secs(60).saturating_sub(t.elapsed());
        match log.recv_timeout(left) {
            Ok(l) if l.contains("command from another launch") => {
                assert!(l.contains("+4930123"), "{l}");
                break;
            }
            Ok(l) => seen.push(l),
            Err(_) => panic!("the console never passed the link on; its log: {seen:#?}"),
        }
    }
    assert!(first.0.try_wait().unwrap().is_none(), "the console still runs");
    // The desktop app also logs to a daily file in its log dir.
    // (The file layer writes just after stderr's: wait for it.)
    let logs: Vec<_> = std::fs::read_dir(dir.path().join("logs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let t = Instant::now();
    loop {
        let text = std::fs::read_to_string(&logs[0]).unwrap();
        if text.contains("command from another launch") && text.contains("+4930123") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the log file lacks the dial: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
