//! `cargo bench --bench watch_kamailio`: 1,000 watched colleagues against a real Kamailio on
//! loopback (started by tests/testbed/kamailio.sh). Prints the time from start until every
//! lamp is known, the SUBSCRIBE pacing used, and the peak resident memory of `lampboard watch`.
//!
//! `WATCH_N` (default 1000), `WATCH_RATE` (default 1000 per second) and `WATCH_WINDOW`
//! (default 100) change the run; `WATCH_RATE=20 WATCH_WINDOW=10` measures the default pacing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let n: usize = env_or("WATCH_N", 1000);
    let rate: f64 = env_or("WATCH_RATE", 1000.0);
    let window: usize = env_or("WATCH_WINDOW", 100);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/testbed/kamailio.sh");
    let dir = tempfile::Builder::new().prefix("lbbench").tempdir_in("/tmp").expect("temp dir");
    let port = 47000 + (std::process::id() % 1000) as u16 * 2;
    let st = Command::new("bash")
        .arg(&script)
        .args(["start", &dir.path().to_string_lossy(), &port.to_string(), &(port + 1).to_string()])
        .status()
        .expect("kamailio.sh");
    assert!(st.success(), "kamailio did not start (tests/testbed/install-deps.sh installs it)");
    let users = std::fs::read_to_string(dir.path().join("users.csv")).expect("users.csv");
    let password = users.lines().find_map(|l| l.strip_prefix("2999,")).expect("user 2999").to_string();
    let targets: Vec<String> = (0..n).map(|i| (1000 + i).to_string()).collect();

    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lampboard"))
        .arg("watch")
        .args(&targets)
        .args(["--events", "presence", "--duration", "120", "--server", &format!("127.0.0.1:{port}")])
        .args(["--user", "2999", "--rate", &rate.to_string(), "--window", &window.to_string()])
        .env("LAMPBOARD_PASSWORD", password)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lampboard watch");
    let pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let mut known = std::collections::HashSet::new();
    let mut all_known = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        // Known: a NOTIFY delivered its state (or the subscription failed for good).
        if v["event"] == "lamp" && (v["freshness"] == "fresh" || v["freshness"] == "failed") {
            known.insert(v["ext"].as_str().unwrap_or_default().to_string());
        }
        if known.len() == n {
            all_known = Some(start.elapsed());
            break;
        }
        if start.elapsed() > Duration::from_secs(110) {
            break;
        }
    }
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.to_string()))
        .unwrap_or_else(|| "VmHWM: ?".into());
    let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status();
    let t_quit = Instant::now();
    let _ = child.wait();
    let quit = t_quit.elapsed();
    let _ = Command::new("bash").arg(&script).args(["stop", &dir.path().to_string_lossy()]).output();
    match all_known {
        Some(t) => println!("{n} lamps known in {:.2} s (rate {rate}/s, window {window})", t.as_secs_f64()),
        None => println!("only {} of {n} lamps known after {:.1} s", known.len(), start.elapsed().as_secs_f64()),
    }
    println!("peak resident memory of lampboard watch: {}", rss.trim_start_matches("VmHWM:").trim());
    println!("un-SUBSCRIBE and exit took {:.2} s", quit.as_secs_f64());
}
