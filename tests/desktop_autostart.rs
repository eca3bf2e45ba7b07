//! Start at login: `lampboard autostart on|off|status --dir D` writes, reports and removes the
//! login item; on Linux the XDG autostart entry passes `desktop-file-validate` (when installed).

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, switch: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lampboard"))
        .args(["autostart", switch, "--dir"])
        .arg(dir)
        .output()
        .expect("run lampboard");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn on_status_off_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("autostart");
    let v = run(&dir, "status");
    assert_eq!((v["event"].as_str(), v["enabled"].as_bool()), (Some("autostart"), Some(false)));
    let v = run(&dir, "on");
    assert_eq!(v["enabled"], true);
    let file = std::path::PathBuf::from(v["location"].as_str().unwrap());
    assert!(file.starts_with(&dir), "{file:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(env!("CARGO_BIN_EXE_lampboard")), "{text}");
    // Idempotent, and status agrees.
    assert_eq!(run(&dir, "on")["enabled"], true);
    assert_eq!(run(&dir, "status")["enabled"], true);
    if cfg!(target_os = "linux") && Command::new("desktop-file-validate").arg("--help").output().is_ok() {
        let out = Command::new("desktop-file-validate").arg(&file).output().unwrap();
        assert!(out.status.success() && out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    }
    assert_eq!(run(&dir, "off")["enabled"], false);
    assert!(!file.exists());
    assert_eq!(run(&dir, "off")["enabled"], false, "off twice is fine");
}

#[test]
fn an_entry_switched_off_in_the_desktop_settings_counts_as_off() {
    let tmp = tempfile::tempdir().unwrap();
    let v = run(tmp.path(), "on");
    let file = v["location"].as_str().unwrap().to_string();
    if cfg!(target_os = "macos") {
        return;
    }
    let text = std::fs::read_to_string(&file).unwrap().replace("X-GNOME-Autostart-enabled=true", "Hidden=true");
    std::fs::write(&file, text).unwrap();
    assert_eq!(run(tmp.path(), "status")["enabled"], false);
}

#[test]
fn an_unwritable_place_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lampboard"))
        .args(["autostart", "on", "--dir"])
        .arg(blocker.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("autostart") && err.contains("sub"), "{err}");
}
