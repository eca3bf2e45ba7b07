//! Directed pickup by feature code, against a scripted PBX (SIPp, tests/testbed/sipp/
//! pickup_pbx.xml) standing in for a UCM: its dialog-info for the ringing colleague has no
//! call-id or tags (as Asterisk PJSIP sends it), so `lampboard pickup` cannot build a
//! Replaces header and dials the PBX's pickup code instead (`**` + extension, the account's
//! default UCM codes). The PBX's pickup service answers and bridges the caller, whose voice is
//! a 1500 Hz tone streamed by SIPp; Lampboard must hear it (Goertzel, ±2 %, SNR ≥ 20 dB).

mod common;
#[path = "support/transfer_audio.rs"]
mod transfer_audio;

use common::lampboard;
use lampboard::media::g711::encode_ulaw;
use serde_json::Value;
use std::process::{Command, Stdio};
use transfer_audio::{assert_tone, tone};

const CALLER_TONE: f64 = 1500.0;

/// A UDP port on 127.0.0.1 that is free right now.
fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

/// 60 s of the caller's tone as raw 8 kHz µ-law (what SIPp's rtp_stream sends as PT 0).
fn caller_voice(path: &std::path::Path) {
    let pcm: Vec<i16> = (0..8000 * 60)
        .map(|i| (16000.0 * (2.0 * std::f64::consts::PI * CALLER_TONE * f64::from(i) / 8000.0).sin()) as i16)
        .collect();
    std::fs::write(path, encode_ulaw(&pcm)).expect("write the tone");
}

#[test]
fn pickup_without_dialog_ids_dials_the_pbx_code_and_talks_with_the_caller() {
    assert!(
        Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
        "sipp is not installed: run tests/testbed/install-deps.sh"
    );
    let tmp = tempfile::tempdir().unwrap();
    caller_voice(&tmp.path().join("pickup_tone.ulaw"));
    let ours = tone(&tmp.path().join("ours.wav"), 700, 30);
    let heard = tmp.path().join("heard.wav");
    let port = free_udp_port();
    let scenario = format!("{}/tests/testbed/sipp/pickup_pbx.xml", env!("CARGO_MANIFEST_DIR"));
    let pbx = Command::new("timeout")
        .args(["-k", "3", "50", "sipp", "-sf", &scenario, "-i", "127.0.0.1", "-bind_local", "-p", &port.to_string()])
        .args(["-m", "2", "-nostdin", "-aa", "-timeout", "45s", "-timeout_error", "-trace_msg"])
        .args(["-message_file", "pbx.log"])
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp");
    std::thread::sleep(std::time::Duration::from_millis(500));

    let out = lampboard()
        .args(["pickup", "1991", "--wait", "15", "--duration", "3", "--no-register"])
        .args(["--server", &format!("127.0.0.1:{port}"), "--user", "1990"])
        .args(["--play", ours.to_str().unwrap(), "--record", heard.to_str().unwrap()])
        .env("LAMPBOARD_PASSWORD", "unused")
        .output()
        .unwrap();
    let seen: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let pbx = pbx.wait_with_output().unwrap();
    let log = std::fs::read_to_string(tmp.path().join("pbx.log")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{seen:#?}\n{}", String::from_utf8_lossy(&out.stderr));
    // The lamp rang without ids, so the pickup went to the code, was answered and hung up by us.
    assert!(seen.iter().any(|v| v["event"] == "lamp" && v["line"] == "ringing"), "{seen:#?}");
    let calls: Vec<&Value> = seen.iter().filter(|v| v["event"] == "call").collect();
    assert!(calls.iter().all(|v| v["remote"] == "sip:**1991@127.0.0.1"), "{calls:#?}");
    assert!(calls.iter().any(|v| v["state"] == "answered"), "{calls:#?}");
    assert!(calls.iter().any(|v| v["state"] == "ended" && v["reason"] == "hung up"), "{calls:#?}");
    let media = seen.iter().find(|v| v["event"] == "media").expect("media statistics");
    assert_eq!(media["codec"], "PCMU");
    assert!(media["rx_packets"].as_u64().unwrap_or(0) >= 100, "{media}");
    assert!(!log.contains("Replaces:"), "no Replaces without dialog ids");
    // SIPp checked the Request-URI (**1991) and the whole sequence, BYE included.
    assert_eq!(pbx.status.code(), Some(0), "the PBX scenario failed:\n{log}");
    assert_tone(&heard, CALLER_TONE, "we hear the picked-up caller");
}
