//! G.722 and Opus against another implementation: Lampboard calls baresip (spandsp's G.722,
//! libopus) through Kamailio on loopback; each side plays a tone and records the other.
//! Our decoder must find baresip's tone, and baresip's decoder must find ours — for G.722 a
//! 5 kHz tone, which lives in the upper sub-band, so both QMF halves are checked.

mod common;

use common::{Baresip, Kamailio, account_cmd, testbed};
use lampboard::media::{dominant_frequency, goertzel, read_wav_file};
use std::path::Path;
use std::process::Command;

fn tone(path: &Path, freq: u32, secs: u32, rate: u32) {
    let st = testbed("tone.sh")
        .args([path.to_str().unwrap(), &freq.to_string(), &secs.to_string(), &rate.to_string()])
        .output()
        .unwrap();
    assert!(st.status.success(), "tone.sh: {}", String::from_utf8_lossy(&st.stderr));
}

/// The recording holds `freq`: dominant frequency within ±2 %, SNR ≥ 20 dB, over its middle.
fn assert_tone(path: &Path, freq: f64, what: &str) {
    let wav = read_wav_file(path).unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    let n = wav.samples.len();
    assert!(n as u32 > wav.sample_rate, "{what}: at least a second recorded ({n} samples)");
    let mid = &wav.samples[n / 4..n * 3 / 4];
    let top = f64::from(wav.sample_rate) / 2.0 - 100.0;
    let f = dominant_frequency(mid, wav.sample_rate, 200.0..top).expect("a tone");
    assert!((f - freq).abs() <= freq * 0.02, "{what}: dominant {f} Hz, want {freq} Hz ±2 %");
    let m = goertzel(mid, wav.sample_rate, freq);
    assert!(m.snr_db >= 20.0, "{what}: SNR {:.1} dB", m.snr_db);
}

#[test]
fn g722_and_opus_interoperate_with_baresip() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let theirs = tmp.path().join("tone1k-16k.wav");
    tone(&theirs, 1000, 60, 16000);
    for (codec, ours_hz, rate) in [("G722", 5000, 16000), ("opus", 1200, 48000)] {
        let ours = tmp.path().join(format!("ours-{codec}.wav"));
        tone(&ours, ours_hz, 5, rate);
        let dir = tmp.path().join(format!("b-{codec}"));
        let heard = tmp.path().join(format!("baresip-heard-{codec}.wav"));
        let out = testbed("baresip.sh")
            .args(["start", dir.to_str().unwrap(), "1811", &k.password("1811"), &k.sip_port.to_string()])
            .env("KAMAILIO_RUNDIR", k.dir())
            .env("PLAY", theirs.to_str().unwrap())
            .env("RECORD", heard.to_str().unwrap())
            .env("CODECS", codec)
            .output()
            .expect("baresip.sh");
        assert!(out.status.success(), "baresip start: {}", String::from_utf8_lossy(&out.stderr));
        let _b = Baresip(dir.clone());
        let rec = tmp.path().join(format!("rec-{codec}.wav"));
        let out = account_cmd(&k, &["call", "1811", "--duration", "4", "--codec", codec], "1812")
            .args(["--record", rec.to_str().unwrap(), "--play", ours.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let media: serde_json::Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|v: &serde_json::Value| v["event"] == "media")
            .expect("media event");
        assert!(media["codec"].as_str().unwrap_or("").eq_ignore_ascii_case(codec), "{media}");
        assert!(media["rx_packets"].as_u64().unwrap() >= 100, "{media}");
        assert_eq!(media["malformed"], 0, "{media}");
        assert_tone(&rec, 1000.0, &format!("{codec}: we heard baresip"));
        let r =
            testbed("baresip.sh").args(["record", dir.to_str().unwrap(), heard.to_str().unwrap()]).output().unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        // baresip records Opus as stereo: keep the left channel (sox is a test dependency).
        let mono = tmp.path().join(format!("baresip-heard-{codec}-mono.wav"));
        let sox = Command::new("sox").args([heard.to_str().unwrap(), mono.to_str().unwrap(), "remix", "1"]).output();
        assert!(sox.is_ok_and(|o| o.status.success()), "sox remix (tests/testbed/install-deps.sh installs sox)");
        assert_tone(&mono, f64::from(ours_hz), &format!("{codec}: baresip heard us"));
    }
}
