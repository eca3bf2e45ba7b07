//! The desktop app remembers its window: size and position moved by the user come back on the
//! next start (eframe persistence, saved every 30 s and on exit), and it carries our icon.
//! Under Xvfb, moved by xdotool.

#[path = "support/xvfb.rs"]
mod xvfb;
use xvfb::{Killer, Xvfb};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(disp: &str, home: &Path) -> Killer {
    Killer(
        Command::new(env!("CARGO_BIN_EXE_lampboard"))
            .arg("--demo")
            .env("DISPLAY", disp)
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("LAMPBOARD_INSTANCE_SOCKET", home.join("lampboard.sock"))
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("LAMPBOARD_LOG_DIR")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(home.join("stderr.log")).map_or(Stdio::null(), Stdio::from))
            .spawn()
            .expect("start lampboard"),
    )
}

/// The window id of "Lampboard", waiting up to 60 s.
fn window(disp: &str, app: &mut Killer, home: &Path) -> String {
    let t = Instant::now();
    loop {
        if let Some(st) = app.0.try_wait().unwrap() {
            let log = std::fs::read_to_string(home.join("stderr.log")).unwrap_or_default();
            panic!("lampboard exited ({st}):\n{log}");
        }
        let out = Command::new("xdotool").args(["search", "--name", "^Lampboard$"]).env("DISPLAY", disp).output();
        let out = out.expect("xdotool is not installed: run tests/testbed/install-deps.sh");
        if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next() {
            return id.to_owned();
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no Lampboard window within 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// (x, y, width, height) as xwininfo reports them.
fn geometry(disp: &str, id: &str) -> (i32, i32, i32, i32) {
    let out = Command::new("xwininfo").args(["-id", id, "-display", disp]).output().expect("xwininfo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| -> i32 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().parse().unwrap()))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    (field("Absolute upper-left X:"), field("Absolute upper-left Y:"), field("Width:"), field("Height:"))
}

#[test]
fn window_size_and_position_come_back() {
    let x = Xvfb::start(190..240);
    let disp = x.display.clone();
    let home = tempfile::tempdir().unwrap();
    let mut app = start(&disp, home.path());
    let id = window(&disp, &mut app, home.path());
    assert_eq!(geometry(&disp, &id), (0, 0, 1280, 800), "first start: the default size");
    // Our window icon (64×64) is set.
    let t = Instant::now();
    loop {
        let out = Command::new("xprop").args(["-id", &id, "-display", &disp, "_NET_WM_ICON"]).output().expect("xprop");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains("Icon (64 x 64)") || text.starts_with("_NET_WM_ICON(CARDINAL) = 64, 64") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no 64×64 window icon: {}", &text[..text.len().min(200)]);
        std::thread::sleep(Duration::from_millis(200));
    }
    for args in [vec!["windowsize", &id, "900", "600"], vec!["windowmove", &id, "50", "60"]] {
        let st = Command::new("xdotool").args(args).env("DISPLAY", &disp).status().unwrap();
        assert!(st.success());
    }
    // eframe saves every 30 s (a killed app does not save on exit).
    let saved = home.path().join("data").join("lampboard").join("app.ron");
    let t = Instant::now();
    while !saved.exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "no {} within 60 s", saved.display());
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_millis(500));
    drop(app);
    let mut app = start(&disp, home.path());
    let id = window(&disp, &mut app, home.path());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(geometry(&disp, &id), (50, 60, 900, 600), "second start: where the user left it");
}
