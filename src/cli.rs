//! Headless subcommands: clients of the engine that print one JSON object per line.
//!
//! Public contract (scripts depend on it): flags and JSON fields are only ever added.
//! Exit codes: 0 ok, 2 usage, 3 network or authentication failure.

use crate::api::{Command, Event};
use crate::engine::{self, EngineConfig};
use crate::sip::TransportKind;
use crate::sip::transaction::TimerConfig;
use crate::ua::AccountConfig;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit code for usage errors (clap uses it too).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for network and authentication failures.
pub const EXIT_FAILURE: i32 = 3;

/// The `lampboard` command line.
#[derive(Debug, Parser)]
#[command(
    name = "lampboard",
    version,
    about = "SIP softphone and attendant console (no arguments: the desktop app)"
)]
pub struct Cli {
    /// Open the app with the embedded demo office instead of a PBX.
    #[arg(long)]
    pub demo: bool,
    /// A headless subcommand; none opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Sub>,
}

/// Headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Register an account and report the outcome as JSON lines.
    Register(RegisterArgs),
}

/// Options shared by every subcommand that uses an account.
#[derive(Debug, Args, Clone)]
pub struct AccountArgs {
    /// Registrar / proxy: HOST, HOST:PORT, IPv4, [IPv6]:PORT. A domain without port uses DNS SRV/NAPTR.
    #[arg(long)]
    pub server: String,
    /// The extension (user part of the address of record).
    #[arg(long)]
    pub user: String,
    /// SIP domain of the address of record (default: the server's host).
    #[arg(long)]
    pub domain: Option<String>,
    /// Authentication user name, if it differs from the extension.
    #[arg(long)]
    pub auth_user: Option<String>,
    /// Transport.
    #[arg(long, default_value = "udp", value_parser = parse_transport)]
    pub transport: TransportKind,
    /// Display name.
    #[arg(long)]
    pub display_name: Option<String>,
    /// Extra CA certificate file (PEM) to trust for TLS; verification stays on.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Requested registration lifetime in seconds.
    #[arg(long, default_value_t = 600)]
    pub expires: u32,
    /// Seconds between CRLF keep-alives to the server (0 = off).
    #[arg(long, default_value_t = 25)]
    pub keepalive: u64,
}

/// `lampboard register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
    /// Exit 0 after the first successful registration (un-registering first); fail on the first error.
    #[arg(long, conflicts_with = "duration")]
    pub once: bool,
    /// Stay registered this many seconds, then un-register and exit.
    #[arg(long)]
    pub duration: Option<u64>,
}

fn parse_transport(s: &str) -> Result<TransportKind, String> {
    TransportKind::parse(s).ok_or_else(|| format!("unknown transport {s:?} (udp, tcp, tls)"))
}

/// Where the password comes from: `LAMPBOARD_PASSWORD` (never a command-line argument).
pub fn password_from_env() -> Option<String> {
    std::env::var("LAMPBOARD_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
}

impl AccountArgs {
    /// The engine configuration for these options.
    pub fn engine_config(&self, password: String) -> Result<EngineConfig, String> {
        let spec = engine::dns::ServerSpec::parse(&self.server)?;
        let account = AccountConfig {
            user: self.user.clone(),
            domain: self.domain.clone().unwrap_or_else(|| spec.uri_host()),
            auth_user: self.auth_user.clone(),
            password,
            display_name: self.display_name.clone(),
            expires: self.expires,
            keepalive: Duration::from_secs(self.keepalive),
        };
        Ok(EngineConfig {
            account,
            server: self.server.clone(),
            transport: self.transport,
            ca_file: self.ca_file.clone(),
            timers: TimerConfig::default(),
            register_on_start: true,
        })
    }
}

/// Prints an event as one JSON line.
pub fn print_event(e: &Event) {
    if let Ok(line) = serde_json::to_string(e) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Runs `lampboard register`; returns the exit code.
pub fn register(args: &RegisterArgs) -> i32 {
    let Some(password) = password_from_env() else {
        eprintln!(
            "lampboard: no password: set LAMPBOARD_PASSWORD (passwords are never command-line arguments)"
        );
        return EXIT_USAGE;
    };
    let cfg = match args.account.engine_config(password) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lampboard: {e}");
            return EXIT_USAGE;
        }
    };
    let handle = match engine::spawn(cfg, Arc::new(|| {})) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("lampboard: cannot start the engine: {e}");
            return EXIT_FAILURE;
        }
    };
    let interrupted = ctrlc_flag();
    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs(d));
    let mut registered_once = false;
    let mut failure: Option<String> = None;
    let mut stopping = false;
    loop {
        let stop_now = interrupted.load(std::sync::atomic::Ordering::Relaxed)
            || deadline.is_some_and(|d| Instant::now() >= d);
        if stop_now && !stopping {
            stopping = true;
            handle.send(Command::Shutdown);
        }
        let ev = match handle.events.recv_timeout(Duration::from_millis(200)) {
            Ok(ev) => ev,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if ev != Event::Stopped {
            print_event(&ev);
        }
        match &ev {
            Event::Registered { .. } => {
                registered_once = true;
                failure = None;
                if args.once && !stopping {
                    stopping = true;
                    handle.send(Command::Shutdown);
                }
            }
            Event::RegistrationFailed {
                code,
                reason,
                retry_in_ms,
                ..
            } => {
                let text = match code {
                    Some(c) => format!("registration failed: {c} {reason}"),
                    None => format!("registration failed: {reason}"),
                };
                if retry_in_ms.is_none() || (args.once && !registered_once) {
                    // The first reason is the telling one (a TLS error before "transport error").
                    failure.get_or_insert(text);
                    if !stopping {
                        stopping = true;
                        handle.send(Command::Shutdown);
                    }
                }
            }
            Event::NetworkError { reason } if args.once && !registered_once => {
                failure.get_or_insert(format!("network error: {reason}"));
                if !stopping {
                    stopping = true;
                    handle.send(Command::Shutdown);
                }
            }
            Event::Stopped => break,
            _ => {}
        }
    }
    handle.join();
    match failure {
        Some(f) if !registered_once || args.once => {
            eprintln!("lampboard: {f}");
            EXIT_FAILURE
        }
        _ if !registered_once => {
            eprintln!("lampboard: never registered");
            EXIT_FAILURE
        }
        _ => 0,
    }
}

/// A flag set by SIGINT/SIGTERM, so a subcommand can un-register before it exits.
fn ctrlc_flag() -> Arc<std::sync::atomic::AtomicBool> {
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = flag.clone();
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    let (Ok(mut a), Ok(mut b)) = (
                        signal(SignalKind::interrupt()),
                        signal(SignalKind::terminate()),
                    ) else {
                        return;
                    };
                    tokio::select! { _ = a.recv() => {}, _ = b.recv() => {} }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
            });
            f.store(true, std::sync::atomic::Ordering::Relaxed);
        });
    flag
}
