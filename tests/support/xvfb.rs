//! A private virtual X server for the window tests (Xvfb from tests/testbed/install-deps.sh),
//! a private D-Bus session bus, and a child-process guard that kills on drop.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (and reaped) on drop.
pub struct Killer(pub Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running Xvfb; stopped on drop.
pub struct Xvfb {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    _server: Killer,
}

impl Xvfb {
    /// Starts Xvfb (1280×800×24) on the first free display in `range` (each test file uses its
    /// own range, so tests running at the same time never share one) and waits for its socket.
    /// `-noreset`: by default the server resets when its last client leaves, and a window
    /// opened during that reset fails with "Failed to open connection to X server".
    pub fn start(range: std::ops::Range<u32>) -> Xvfb {
        assert!(
            Command::new("Xvfb").arg("-help").stderr(Stdio::null()).status().is_ok(),
            "Xvfb is not installed: run tests/testbed/install-deps.sh"
        );
        let n = range
            .into_iter()
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display");
        let display = format!(":{n}");
        let server = Killer(
            Command::new("Xvfb")
                .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb"),
        );
        let t = Instant::now();
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            assert!(t.elapsed() < Duration::from_secs(10), "Xvfb did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Xvfb { display, _server: server }
    }
}

/// Whether `tool` is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

/// A private session bus (`dbus-daemon --session`): the daemon (stopped on drop) and its
/// address, for `DBUS_SESSION_BUS_ADDRESS`.
pub fn private_bus() -> (Killer, String) {
    use std::io::BufRead;
    let mut child = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-daemon");
    let mut line = String::new();
    let out = child.stdout.take().expect("piped stdout");
    std::io::BufReader::new(out).read_line(&mut line).expect("the bus address");
    (Killer(child), line.trim().to_string())
}
