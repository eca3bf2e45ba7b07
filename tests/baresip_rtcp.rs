//! RTCP against a real peer: Lampboard calls baresip through Kamailio on loopback for long
//! enough that both sides exchange several reports (RFC 3550: about every 5 s). baresip's
//! reports arrive (`rtcp_rx > 0`), ours go out, and the round-trip time computed from its
//! LSR/DLSR is that of loopback: non-negative and small.

mod common;

use common::{Kamailio, account_cmd, start_baresip, testbed};

#[test]
fn baresip_reports_arrive_and_give_a_sane_round_trip() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("tone.wav");
    let st = testbed("tone.sh").args([play.to_str().unwrap(), "800", "60", "8000"]).output().unwrap();
    assert!(st.status.success(), "tone.sh: {}", String::from_utf8_lossy(&st.stderr));
    let _b = start_baresip(&k, &tmp.path().join("b"), "1811", &[("PLAY", play.to_str().unwrap())]);
    let out = account_cmd(&k, &["call", "1811", "--duration", "14", "--codec", "PCMU"], "1812")
        .args(["--record", tmp.path().join("rec.wav").to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let media: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &serde_json::Value| v["event"] == "media")
        .unwrap_or_else(|| panic!("media event in {stdout}"));
    eprintln!("media: {media}");
    let rx = media["rtcp_rx"].as_u64().expect("rtcp_rx");
    let tx = media["rtcp_tx"].as_u64().expect("rtcp_tx");
    assert!(rx >= 1, "baresip's RTCP reached us: {media}");
    assert!(tx >= 2, "we sent reports every ~5 s and a BYE: {media}");
    let rtt = media["rtt_ms"].as_f64().unwrap_or_else(|| panic!("an RTT from baresip's LSR/DLSR: {media}"));
    assert!((0.0..50.0).contains(&rtt), "loopback RTT {rtt} ms");
    assert_eq!(media["remote_lost"].as_i64(), Some(0), "baresip lost none of ours on loopback: {media}");
    let first = media["first_audio_ms"].as_f64().expect("first audio");
    assert!(first < 1000.0, "audio within a second of the answer: {first} ms");
}
