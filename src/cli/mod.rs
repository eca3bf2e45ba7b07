//! Headless subcommands: clients of the engine that print one JSON object per line.
//!
//! Public contract (scripts depend on it): flags and JSON fields are only ever added.
//! Exit codes: 0 ok, 2 usage, 3 network or authentication failure.

use crate::api::Event;
use crate::engine::{self, EngineConfig};
use crate::sip::TransportKind;
use crate::sip::transaction::TimerConfig;
use crate::ua::AccountConfig;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub mod call;
pub mod devices;
pub mod presence;
pub mod session;
pub mod watch;

/// Exit code for usage errors (clap uses it too).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for network and authentication failures.
pub const EXIT_FAILURE: i32 = 3;

/// The `lampboard` command line.
#[derive(Debug, Parser)]
#[command(name = "lampboard", version, about = "SIP softphone and attendant console (no arguments: the desktop app)")]
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
    /// Watch colleagues' presence and lines; one JSON line per lamp change.
    Watch(watch::WatchArgs),
    /// Call a number or colleague; audio from/to WAV files or the sound devices.
    Call(call::CallArgs),
    /// Wait for incoming calls and answer them; audio from/to WAV files or the sound devices.
    Answer(call::AnswerArgs),
    /// List the sound devices as JSON lines.
    Devices(devices::DevicesArgs),
    /// Own presence status.
    Presence {
        /// What to do.
        #[command(subcommand)]
        action: presence::PresenceAction,
    },
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
    /// SUBSCRIBE requests per second at most (initial, refresh, retry); the default is gentle
    /// enough for a Grandstream UCM. Raise it for a local Kamailio.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// SUBSCRIBE transactions in flight at most.
    #[arg(long, default_value_t = 10)]
    pub window: usize,
    /// Requested subscription lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub sub_expires: u32,
    /// Audio codecs in order of preference (opus, G722, PCMU, PCMA).
    #[arg(long, value_delimiter = ',', default_value = "opus,G722,PCMU,PCMA")]
    pub codec: Vec<String>,
    /// Do not REGISTER (watch or publish only, e.g. straight against a presence server).
    #[arg(long)]
    pub no_register: bool,
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
    std::env::var("LAMPBOARD_PASSWORD").ok().filter(|p| !p.is_empty())
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
            codecs: self.codec.iter().filter_map(|c| codec_spec(c).parse::<crate::sdp::Codec>().ok()).collect(),
            subscribe: crate::sip::subscription::SubscribeConfig {
                expires: self.sub_expires,
                rate: self.rate.max(0.1),
                window: self.window.max(1),
                ..Default::default()
            },
        };
        Ok(EngineConfig {
            account,
            server: self.server.clone(),
            transport: self.transport,
            ca_file: self.ca_file.clone(),
            timers: TimerConfig::default(),
            register_on_start: !self.no_register,
            audio: Default::default(),
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

/// Reads the password and builds the engine configuration, or returns the exit code.
pub fn prepare(account: &AccountArgs) -> Result<EngineConfig, i32> {
    let Some(password) = password_from_env() else {
        eprintln!("lampboard: no password: set LAMPBOARD_PASSWORD (passwords are never command-line arguments)");
        return Err(EXIT_USAGE);
    };
    account.engine_config(password).map_err(|e| {
        eprintln!("lampboard: {e}");
        EXIT_USAGE
    })
}

/// Runs `lampboard register`; returns the exit code.
pub fn register(args: &RegisterArgs) -> i32 {
    let cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let once = args.once;
    let ctl = session::Control { fail_fast: once, ..Default::default() };
    session::run(cfg, Vec::new(), args.duration, ctl, move |ev, ctl| {
        if let Event::Registered { .. } = ev {
            ctl.ok = true;
            if once {
                ctl.stop = true;
            }
        }
    })
}

/// `PCMU` → `PCMU/8000`; a full `name/rate[/channels]` stays as written.
fn codec_spec(name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    match name.to_ascii_uppercase().as_str() {
        "OPUS" => "opus/48000/2".into(),
        n => format!("{n}/8000"),
    }
}
