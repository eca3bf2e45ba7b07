//! Audio checks shared by the transfer and pickup tests: tones for the peers to play, and
//! the Goertzel check of a recording (dominant frequency within ±2 %, SNR ≥ 20 dB).
#![allow(dead_code)]

use lampboard::media::{dominant_frequency, goertzel, read_wav_file};
use std::path::{Path, PathBuf};
use std::process::Command;

fn testbed(script: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(format!("{}/tests/testbed/{script}", env!("CARGO_MANIFEST_DIR")));
    c
}

/// Writes an 8 kHz mono tone of `freq` Hz lasting `secs` (tests/testbed/tone.sh).
pub fn tone(path: &Path, freq: u32, secs: u32) -> PathBuf {
    let st = testbed("tone.sh")
        .args([path.to_str().expect("utf-8 path"), &freq.to_string(), &secs.to_string(), "8000"])
        .output()
        .expect("tone.sh");
    assert!(st.status.success(), "tone.sh: {}", String::from_utf8_lossy(&st.stderr));
    path.to_path_buf()
}

/// The middle half of a recording holds `freq`: dominant frequency within ±2 % and SNR ≥ 20 dB.
/// `what` names the recording in failure messages.
pub fn assert_tone(path: &Path, freq: f64, what: &str) {
    let wav = read_wav_file(path).unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    let n = wav.samples.len();
    assert!(n as u32 > wav.sample_rate, "{what}: at least a second recorded ({n} samples)");
    let mid = &wav.samples[n / 4..n * 3 / 4];
    let f = dominant_frequency(mid, wav.sample_rate, 200.0..3400.0).unwrap_or_else(|| panic!("{what}: no tone"));
    assert!((f - freq).abs() <= freq * 0.02, "{what}: dominant {f} Hz, want {freq} Hz ±2 %");
    let m = goertzel(mid, wav.sample_rate, freq);
    assert!(m.snr_db >= 20.0, "{what}: SNR {} dB at {freq} Hz", m.snr_db);
}

/// Copies the received audio of the newest finished call of the baresip in `dir` to `out`.
pub fn baresip_heard(dir: &Path, out: &Path) {
    let rec = testbed("baresip.sh")
        .args(["record", dir.to_str().expect("utf-8 path"), out.to_str().expect("utf-8 path")])
        .output()
        .expect("baresip.sh record");
    assert!(rec.status.success(), "baresip.sh record: {}", String::from_utf8_lossy(&rec.stderr));
}

/// `listcalls` of the baresip in `dir` (the ctrl_tcp reply's text).
pub fn baresip_calls(dir: &Path) -> String {
    let out = testbed("baresip.sh")
        .args(["cmd", dir.to_str().expect("utf-8 path"), "listcalls"])
        .output()
        .expect("baresip.sh cmd");
    String::from_utf8_lossy(&out.stdout).replace("\\n", "\n")
}

/// Number of calls `listcalls` shows.
pub fn active_calls(listing: &str) -> Option<u32> {
    let at = listing.find("Active calls (")? + "Active calls (".len();
    listing[at..].split(')').next()?.parse().ok()
}
