//! The real `lampboard --demo` window under Xvfb (Mesa in software): start to first frame,
//! resident memory with 1,000 keys, and how often an idle console repaints over 10 s (steady
//! wall, one ringing key, a call going on, the office live).
//!
//! Uses `target/release/lampboard` when it exists, else `target/debug/lampboard` (or the
//! binary in `LAMPBOARD_BIN`), and says which: build the release binary first for the
//! figures that count (`cargo build --release --bin lampboard`). Then
//! `cargo bench --bench startup` (or, without building the bench in release,
//! `cargo test --bench startup`). `STARTUP_RUNS` sets the runs per figure (default 5).
//!
//! The app reports its frames on stderr (`src/ui/frame_report.rs`:
//! `LAMPBOARD_REPORT_FIRST_FRAME`, `LAMPBOARD_COUNT_FRAMES`); the demo office's size and
//! stillness come from `LAMPBOARD_DEMO_KEYS` / `LAMPBOARD_DEMO_STILL` (`src/demo/mod.rs`).

#[path = "../tests/support/xvfb.rs"]
mod xvfb;
use xvfb::{Killer, Xvfb};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Longest wait for the first frame (a busy machine, a debug build, software GL).
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(90);
/// Frames drawn before resident memory is read (the wall laid out and drawn more than once).
const RSS_AFTER_FRAMES: usize = 10;
/// Longest wait for those frames (the demo office changes about every 1.5 s).
const RSS_TIMEOUT: Duration = Duration::from_secs(30);
/// Settling time before counting idle repaints, and the counting window.
const IDLE_SETTLE: Duration = Duration::from_secs(3);
const IDLE_WINDOW: Duration = Duration::from_secs(10);

/// One line of the app's stderr with the time it was read.
type Line = (Instant, String);

/// The app being measured: its process and its stderr lines.
struct App {
    child: Killer,
    lines: Receiver<Line>,
    spawned: Instant,
    _home: tempfile::TempDir,
}

/// What the app said about its first frame.
struct FirstFrame {
    /// From spawn to the line, measured here.
    wall_ms: f64,
    /// From the window request to the end of the first `ui()` pass, measured by the app.
    app_ms: f64,
    keys: usize,
}

fn binary() -> (PathBuf, &'static str) {
    if let Some(p) = std::env::var_os("LAMPBOARD_BIN") {
        return (PathBuf::from(p), "LAMPBOARD_BIN");
    }
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    for profile in ["release", "debug"] {
        let p = target.join(profile).join("lampboard");
        if p.exists() {
            return (p, profile);
        }
    }
    (PathBuf::from(env!("CARGO_BIN_EXE_lampboard")), "cargo's build of this bench")
}

impl App {
    fn start(bin: &Path, display: &str, env: &[(&str, &str)]) -> App {
        // Its own instance socket and dirs: no other running Lampboard or configured account counts.
        let home = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(bin);
        cmd.arg("--demo")
            .env("LAMPBOARD_INSTANCE_SOCKET", home.path().join("instance.sock"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("DISPLAY", display)
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("LAMPBOARD_REPORT_FIRST_FRAME", "1")
            .env("LAMPBOARD_COUNT_FRAMES", "1")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("LAMPBOARD_DEMO_KEYS")
            .env_remove("LAMPBOARD_DEMO_STILL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let spawned = Instant::now();
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        App { child: Killer(child), lines, spawned, _home: home }
    }

    /// The next line before `deadline`; panics with the app's last words if it exits.
    fn next_line(&mut self, deadline: Instant, what: &str) -> Option<Line> {
        match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => Some(l),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.0.wait().map(|s| s.to_string()).unwrap_or_default();
                panic!("lampboard exited ({status}) while waiting for {what}");
            }
        }
    }

    fn first_frame(&mut self) -> FirstFrame {
        let deadline = Instant::now() + FIRST_FRAME_TIMEOUT;
        let mut other = Vec::new();
        while let Some((at, line)) = self.next_line(deadline, "the first frame") {
            match event(&line) {
                Some(v) if v["event"] == "first_frame" => {
                    return FirstFrame {
                        wall_ms: at.duration_since(self.spawned).as_secs_f64() * 1000.0,
                        app_ms: v["ms"].as_f64().unwrap_or(f64::NAN),
                        keys: v["keys"].as_u64().unwrap_or(0) as usize,
                    };
                }
                Some(_) => {}
                None if other.len() < 20 => other.push(line),
                None => {}
            }
        }
        panic!("no first frame within {FIRST_FRAME_TIMEOUT:?}; stderr: {}", other.join("\n"));
    }

    /// Waits for `n` more frames (or `timeout`); returns how many came.
    fn frames(&mut self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut seen = 0;
        while seen < n {
            let Some((_, line)) = self.next_line(deadline, "frames") else { break };
            if event(&line).is_some_and(|v| v["event"] == "frame") {
                seen += 1;
            }
        }
        seen
    }

    /// Frames drawn in the next `window` (after dropping what came before).
    fn count_frames(&mut self, window: Duration) -> usize {
        while self.lines.try_recv().is_ok() {}
        let deadline = Instant::now() + window;
        let mut n = 0;
        while let Some((_, line)) = self.next_line(deadline, "idle frames") {
            if event(&line).is_some_and(|v| v["event"] == "frame") {
                n += 1;
            }
        }
        n
    }

    /// `(VmRSS, VmHWM, RssAnon)` in MiB from `/proc/PID/status` (what is not anonymous is
    /// mapped files: the binary, and under Xvfb mostly Mesa's software renderer and LLVM).
    fn memory_mib(&self) -> (f64, f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.0.id())).expect("/proc status");
        let kib = |key: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no {key} in /proc status"))
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0, kib("RssAnon:") / 1024.0)
    }
}

/// A frame report line as JSON (`None` for other stderr lines).
fn event(line: &str) -> Option<serde_json::Value> {
    line.starts_with("{\"event\"").then(|| serde_json::from_str(line).ok()).flatten()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fmt_runs(v: &[f64]) -> String {
    v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ")
}

fn main() {
    let runs: usize = std::env::var("STARTUP_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5).clamp(1, 50);
    let (bin, which) = binary();
    println!("startup: {} ({which} build), Xvfb 1280x800, Mesa software GL, {runs} runs per figure", bin.display());
    let x = Xvfb::start(150..200);

    for (name, keys) in [("demo wall (49 keys)", None), ("1,000 keys", Some("1000"))] {
        let (mut wall, mut app) = (Vec::new(), Vec::new());
        let (mut rss, mut hwm, mut anon) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let env: Vec<(&str, &str)> = keys.map(|k| ("LAMPBOARD_DEMO_KEYS", k)).into_iter().collect();
            let mut a = App::start(&bin, &x.display, &env);
            let f = a.first_frame();
            let want = keys.map_or(49, |k| k.parse().unwrap_or(0));
            assert_eq!(f.keys, want, "the wall has {} keys, not {want}: is the demo the simulated office?", f.keys);
            wall.push(f.wall_ms);
            app.push(f.app_ms);
            let n = a.frames(RSS_AFTER_FRAMES, RSS_TIMEOUT);
            let (r, h, an) = a.memory_mib();
            rss.push(r);
            hwm.push(h);
            anon.push(an);
            if n < RSS_AFTER_FRAMES {
                println!("  (only {n} frames within {RSS_TIMEOUT:?} before reading memory)");
            }
        }
        println!(
            "{name:>20}: start to first frame median {:.0} ms (runs: {}; window request to first frame {:.0} ms); \
             resident after {RSS_AFTER_FRAMES} frames median {:.1} MiB (peak {:.1} MiB, anonymous {:.1} MiB)",
            median(wall.clone()),
            fmt_runs(&wall),
            median(app),
            median(rss),
            median(hwm),
            median(anon),
        );
    }

    for (name, still) in [
        ("1,000 keys, steady", Some("1")),
        ("1,000 keys, one ringing", Some("ringing")),
        ("1,000 keys, a call going on", Some("call")),
        ("1,000 keys, office live", None),
    ] {
        let mut env = vec![("LAMPBOARD_DEMO_KEYS", "1000")];
        env.extend(still.map(|s| ("LAMPBOARD_DEMO_STILL", s)));
        let mut a = App::start(&bin, &x.display, &env);
        a.first_frame();
        std::thread::sleep(IDLE_SETTLE);
        let n = a.count_frames(IDLE_WINDOW);
        println!("{name:>28}: {n} frames in {IDLE_WINDOW:?} ({:.1}/s)", n as f64 / IDLE_WINDOW.as_secs_f64());
    }
}
