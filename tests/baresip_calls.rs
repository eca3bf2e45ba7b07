//! Audio really flows, measured, against baresip through Kamailio on loopback:
//! Lampboard calls baresip (which plays a tone) and records it; baresip calls
//! `lampboard answer --play` and records it; DTMF sent by baresip arrives as digits.
//! Each codec both sides have (PCMU, PCMA).

mod common;

use common::{Baresip, Kamailio, Running, account_cmd, start_baresip, testbed};
use lampboard::media::{dominant_frequency, goertzel, read_wav_file};
use std::path::Path;
use std::time::Duration;

fn tone(path: &Path, freq: u32, secs: u32) {
    let st = testbed("tone.sh")
        .args([path.to_str().unwrap(), &freq.to_string(), &secs.to_string(), "8000"])
        .output()
        .unwrap();
    assert!(st.status.success(), "tone.sh: {}", String::from_utf8_lossy(&st.stderr));
}

fn baresip(k: &Kamailio, dir: &Path, ext: &str, env: &[(&str, &str)]) -> Baresip {
    start_baresip(k, dir, ext, env)
}

/// The recording holds the tone: dominant frequency within ±2 %, SNR ≥ 20 dB, over its middle.
fn assert_tone(path: &Path, freq: f64) {
    let wav = read_wav_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let n = wav.samples.len();
    assert!(n as u32 > wav.sample_rate, "at least a second recorded ({n} samples)");
    let mid = &wav.samples[n / 4..n * 3 / 4];
    let f = dominant_frequency(mid, wav.sample_rate, 200.0..3400.0).expect("a tone");
    assert!((f - freq).abs() <= freq * 0.02, "dominant {f} Hz, want {freq} Hz ±2 %");
    let m = goertzel(mid, wav.sample_rate, freq);
    assert!(m.snr_db >= 20.0, "SNR {} dB", m.snr_db);
}

#[test]
fn lampboard_calls_baresip_and_records_its_tone() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("tone1k.wav");
    tone(&play, 1000, 60);
    for codec in ["PCMU", "PCMA"] {
        let _b = baresip(
            &k,
            &tmp.path().join(format!("b-{codec}")),
            "1801",
            &[("PLAY", play.to_str().unwrap()), ("CODECS", codec)],
        );
        let rec = tmp.path().join(format!("rec-{codec}.wav"));
        let out = account_cmd(&k, &["call", "1801", "--duration", "3", "--codec", codec], "1802")
            .args(["--record", rec.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("\"state\":\"answered\""), "{stdout}");
        let media: serde_json::Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|v: &serde_json::Value| v["event"] == "media")
            .expect("media event");
        assert_eq!(media["codec"], codec);
        assert!(media["rx_packets"].as_u64().unwrap() >= 100, "{media}");
        assert!(media["tx_packets"].as_u64().unwrap() >= 100, "{media}");
        assert_eq!(media["malformed"], 0);
        assert_tone(&rec, 1000.0);
    }
}

#[test]
fn baresip_calls_lampboard_answer_and_hears_its_tone_and_dtmf_arrives() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("tone1200.wav");
    tone(&play, 1200, 60);
    let heard = tmp.path().join("baresip-heard.wav");
    let dir = tmp.path().join("b");
    let _b = baresip(&k, &dir, "1902", &[("RECORD", heard.to_str().unwrap()), ("ANSWER", "manual")]);
    let mut a = Running::spawn({
        let mut c = account_cmd(&k, &["answer", "--count", "1"], "1901");
        c.args(["--play", play.to_str().unwrap()]);
        c
    });
    a.wait_event("registered", Duration::from_secs(10)).expect("registered");
    let dial =
        testbed("baresip.sh").args(["cmd", dir.to_str().unwrap(), "dial", "sip:1901@127.0.0.1"]).output().unwrap();
    assert!(dial.status.success());
    let answered = a.wait_event("call", Duration::from_secs(10));
    assert!(answered.is_some(), "{:?}", a.seen);
    let est = testbed("baresip.sh").args(["wait", dir.to_str().unwrap(), "ESTABLISHED", "10"]).output().unwrap();
    assert!(est.status.success(), "call established: {}", String::from_utf8_lossy(&est.stderr));
    std::thread::sleep(Duration::from_secs(2));
    let _ = testbed("baresip.sh").args(["cmd", dir.to_str().unwrap(), "sndcode", "1"]).output();
    std::thread::sleep(Duration::from_millis(600));
    let _ = testbed("baresip.sh").args(["cmd", dir.to_str().unwrap(), "sndcode", "#"]).output();
    std::thread::sleep(Duration::from_secs(1));
    let _ = testbed("baresip.sh").args(["cmd", dir.to_str().unwrap(), "hangup"]).output();
    a.wait_event("media", Duration::from_secs(10)).unwrap_or_else(|| panic!("media stats: {:?}", a.seen));
    let (code, seen) = a.wait(Duration::from_secs(15));
    assert_eq!(code, 0, "{seen:?}");
    let digits: String =
        seen.iter().filter(|v| v["event"] == "dtmf").map(|v| v["digit"].as_str().unwrap_or("")).collect();
    assert_eq!(digits, "1#", "DTMF digits sent are the digits received: {seen:?}");
    let rec = testbed("baresip.sh").args(["record", dir.to_str().unwrap(), heard.to_str().unwrap()]).output().unwrap();
    assert!(rec.status.success(), "{}", String::from_utf8_lossy(&rec.stderr));
    assert_tone(&heard, 1200.0);
}
