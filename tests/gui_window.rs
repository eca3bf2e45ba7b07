//! The first README command's promise: `lampboard` with no arguments opens a window named
//! "Lampboard" (here on a virtual X server, rendered by Mesa in software).

#[path = "support/xvfb.rs"]
mod xvfb;
use xvfb::{Killer, Xvfb};

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn no_arguments_opens_the_lampboard_window() {
    let x = Xvfb::start(90..140);
    let disp = x.display.clone();
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
