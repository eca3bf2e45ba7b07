//! The first README command's promise: `lampboard` with no arguments opens a window named
//! "Lampboard" (here on a virtual X server, rendered by Mesa in software).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Killer(std::process::Child);
impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn no_arguments_opens_the_lampboard_window() {
    assert!(
        Command::new("Xvfb").arg("-help").stderr(Stdio::null()).status().is_ok(),
        "Xvfb is not installed: run tests/testbed/install-deps.sh"
    );
    let display = (90..140)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display");
    let disp = format!(":{display}");
    let _x = Killer(
        Command::new("Xvfb")
            .args([&disp, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb"),
    );
    let sock = format!("/tmp/.X11-unix/X{display}");
    let t = Instant::now();
    while !Path::new(&sock).exists() {
        assert!(t.elapsed() < Duration::from_secs(10), "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Its own instance socket and dirs: no other running Lampboard or configured account counts.
    let home = tempfile::tempdir().expect("temp dir");
    let mut app = Killer(
        Command::new(env!("CARGO_BIN_EXE_lampboard"))
            .env("LAMPBOARD_INSTANCE_SOCKET", home.path().join("instance.sock"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("DISPLAY", &disp)
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lampboard"),
    );
    let t = Instant::now();
    loop {
        if let Some(st) = app.0.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            app.0.stderr.take().unwrap().read_to_string(&mut err).ok();
            panic!("lampboard exited ({st}) instead of showing a window: {err}");
        }
        let tree = Command::new("xwininfo").args(["-root", "-tree", "-display", &disp]).output().expect("xwininfo");
        if String::from_utf8_lossy(&tree.stdout).contains("\"Lampboard\"") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no window named Lampboard within 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}
