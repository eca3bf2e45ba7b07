//! A private virtual X server for the window tests (Xvfb from tests/testbed/install-deps.sh),
//! and a child-process guard that kills on drop.
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
                .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
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
