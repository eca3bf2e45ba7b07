//! Test bed helpers: a private Kamailio per test (tests/testbed/kamailio.sh) on free loopback
//! ports, and the `lampboard` binary run as a user would run it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running Kamailio in its own directory; stopped on drop.
pub struct Kamailio {
    dir: tempfile::TempDir,
    /// UDP and TCP port on 127.0.0.1 and [::1].
    pub sip_port: u16,
    /// TLS port on 127.0.0.1 (when started with TLS).
    pub tls_port: u16,
    users: HashMap<String, String>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/kamailio.sh")
}

/// A port that is free for UDP and TCP on 127.0.0.1 and [::1] (and the next one for TLS).
fn free_port_pair() -> u16 {
    use std::net::{TcpListener, UdpSocket};
    for _ in 0..200 {
        let probe = UdpSocket::bind("127.0.0.1:0").expect("bind probe");
        let p = probe.local_addr().expect("addr").port();
        drop(probe);
        if p > 65000 {
            continue;
        }
        let ok = [p, p + 1].iter().all(|&q| {
            UdpSocket::bind(("127.0.0.1", q)).is_ok()
                && TcpListener::bind(("127.0.0.1", q)).is_ok()
                && UdpSocket::bind(("::1", q)).is_ok()
                && TcpListener::bind(("::1", q)).is_ok()
        });
        if ok {
            return p;
        }
    }
    panic!("no free port pair on loopback")
}

impl Kamailio {
    /// Starts Kamailio with options passed as environment (`WITH_TLS=1`, `AUTH_ALG=SHA-256`,
    /// `WRONG_PASSWORD=403`). Panics with the log when it cannot start: the test bed is
    /// installed by `tests/testbed/install-deps.sh` (the README's test command runs it).
    pub fn start(opts: &[(&str, &str)]) -> Kamailio {
        assert!(
            Command::new("kamailio").arg("-v").stdout(Stdio::null()).status().is_ok(),
            "kamailio is not installed: run tests/testbed/install-deps.sh (or the README's test command)"
        );
        let dir = tempfile::Builder::new().prefix("lbk").tempdir_in("/tmp").expect("temp dir");
        for attempt in 0..3 {
            let port = free_port_pair();
            let out = Command::new("bash")
                .arg(script())
                .args(["start", &dir.path().to_string_lossy(), &port.to_string(), &(port + 1).to_string()])
                .envs(opts.iter().copied())
                .output()
                .expect("run kamailio.sh");
            if out.status.success() {
                let users = std::fs::read_to_string(dir.path().join("users.csv"))
                    .expect("users.csv")
                    .lines()
                    .filter_map(|l| l.split_once(',').map(|(u, p)| (u.to_string(), p.to_string())))
                    .collect();
                return Kamailio { dir, sip_port: port, tls_port: port + 1, users };
            }
            if attempt == 2 {
                panic!(
                    "kamailio.sh start failed:\n{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        unreachable!()
    }

    /// The run directory (users.csv, ca.pem, kamailio.log…).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The generated password of an extension.
    pub fn password(&self, ext: &str) -> String {
        self.users.get(ext).cloned().unwrap_or_else(|| panic!("no user {ext}"))
    }

    /// `kamcmd ul.dump`: the registrar's current bindings.
    pub fn ul_dump(&self) -> String {
        let ctl = format!("unix:{}/ctl.sock", self.dir.path().display());
        let out = Command::new("kamcmd").args(["-s", &ctl, "ul.dump"]).output().expect("kamcmd");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// True when the registrar holds a binding for `ext`.
    pub fn has_binding(&self, ext: &str) -> bool {
        let dump = self.ul_dump();
        dump.contains(&format!("AoR: {ext}")) || dump.contains(&format!("AoR: {ext}@"))
    }

    /// Stops the server (the directory stays for `start_again`).
    pub fn stop(&self) {
        self.run("stop");
    }

    /// Starts the server again on the same ports with the same users (bindings are lost:
    /// usrloc lives in memory).
    pub fn start_again(&self) {
        self.run("restart");
    }

    fn run(&self, what: &str) {
        let out = Command::new("bash")
            .arg(script())
            .args([what, &self.dir.path().to_string_lossy()])
            .output()
            .expect("run kamailio.sh");
        assert!(out.status.success(), "kamailio.sh {what}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The Kamailio log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kamailio.log")).unwrap_or_default()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["stop", &self.dir.path().to_string_lossy()]).output();
    }
}

/// The `lampboard` binary under test.
pub fn lampboard() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lampboard"));
    c.env_remove("LAMPBOARD_PASSWORD");
    c
}

/// A running `lampboard` subcommand whose stdout JSON lines are read as they come.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    /// Every event seen so far.
    pub seen: Vec<serde_json::Value>,
}

impl Running {
    /// Spawns the command with piped stdout/stderr.
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn lampboard");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: serde_json::Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Running { child, lines: rx, seen: Vec::new() }
    }

    /// Waits for an event named `name` (up to `within`); returns it.
    pub fn wait_event(&mut self, name: &str, within: Duration) -> Option<serde_json::Value> {
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == name {
                        return Some(v);
                    }
                }
                Err(_) => return None,
            }
        }
        None
    }

    /// Sends SIGINT (as Ctrl-C would) and waits for the exit code.
    pub fn interrupt_and_wait(self, within: Duration) -> (i32, Vec<serde_json::Value>) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        self.wait(within)
    }

    /// Waits for the exit code; collects the remaining events.
    pub fn wait(mut self, within: Duration) -> (i32, Vec<serde_json::Value>) {
        let end = Instant::now() + within;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                while let Ok(v) = self.lines.recv_timeout(Duration::from_millis(300)) {
                    self.seen.push(v);
                }
                return (st.code().unwrap_or(-1), std::mem::take(&mut self.seen));
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("lampboard did not exit in time; events: {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Waits for a lamp event of `ext` that satisfies `pred`.
    pub fn wait_lamp(
        &mut self,
        ext: &str,
        within: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        self.wait_where("lamp", within, |v| v["ext"] == ext && pred(v))
    }

    /// Waits for an event named `name` that satisfies `pred`.
    pub fn wait_where(
        &mut self,
        name: &str,
        within: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == name && pred(&v) {
                        return Some(v);
                    }
                }
                Err(_) => return None,
            }
        }
        None
    }

    /// Lamp events of `ext` seen so far.
    pub fn lamps_of(&self, ext: &str) -> Vec<serde_json::Value> {
        self.seen.iter().filter(|v| v["event"] == "lamp" && v["ext"] == ext).cloned().collect()
    }
}

/// `lampboard SUBCOMMAND --server 127.0.0.1:PORT --user EXT` with the password set and the
/// pacing raised for a local server.
pub fn account_cmd(k: &Kamailio, sub: &[&str], ext: &str) -> Command {
    let mut c = lampboard();
    c.args(sub);
    c.args(["--server", &format!("127.0.0.1:{}", k.sip_port), "--user", ext, "--rate", "500", "--window", "50"]);
    c.env("LAMPBOARD_PASSWORD", k.password(ext));
    c
}

/// `bash tests/testbed/SCRIPT` (kamailio.sh, baresip.sh, tone.sh…).
pub fn testbed(script: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(format!("{}/tests/testbed/{script}", env!("CARGO_MANIFEST_DIR")));
    c
}

/// A baresip run by tests/testbed/baresip.sh in its directory; stopped on drop.
pub struct Baresip(pub PathBuf);

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = testbed("baresip.sh").args(["stop", self.0.to_str().unwrap_or_default()]).output();
    }
}

/// Starts baresip in `dir` as `ext`, registered to `k`; `env` is baresip.sh's (ANSWER, PLAY,
/// RECORD, CODECS…).
pub fn start_baresip(k: &Kamailio, dir: &Path, ext: &str, env: &[(&str, &str)]) -> Baresip {
    let out = testbed("baresip.sh")
        .args(["start", dir.to_str().unwrap_or_default(), ext, &k.password(ext), &k.sip_port.to_string()])
        .env("KAMAILIO_RUNDIR", k.dir())
        .envs(env.iter().copied())
        .output()
        .expect("baresip.sh (tests/testbed/install-deps.sh installs baresip)");
    assert!(out.status.success(), "baresip start: {}", String::from_utf8_lossy(&out.stderr));
    Baresip(dir.to_path_buf())
}

/// The DTMF digits a baresip logged as received (RFC 4733 events, one per end of event), in
/// order.
pub fn dtmf_received(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
    log.lines()
        .filter(|l| l.starts_with("received event: '") && l.ends_with("(end=1)"))
        .filter_map(|l| l.chars().nth("received event: '".len()))
        .collect()
}
