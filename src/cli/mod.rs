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

pub mod account;
pub mod autostart;
pub mod call;
pub mod devices;
pub mod feature_calls;
pub mod history;
pub mod pickup;
pub mod presence;
pub mod rules;
pub mod rules_push;
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
    /// Pick up a colleague's ringing call (directed pickup) and talk with the caller.
    Pickup(pickup::PickupArgs),
    /// List the sound devices as JSON lines.
    Devices(devices::DevicesArgs),
    /// Start the desktop app at login: on, off, or status.
    Autostart(autostart::AutostartArgs),
    /// Own presence status.
    Presence {
        /// What to do.
        #[command(subcommand)]
        action: presence::PresenceAction,
    },
    /// Call-forwarding rules: show, change, and test them (no PBX needed).
    Rules {
        /// What to do.
        #[command(subcommand)]
        action: rules::RulesAction,
    },
    /// Configured accounts (config file + OS keyring).
    Account {
        /// What to do.
        #[command(subcommand)]
        action: account::AccountAction,
    },
    /// Call history, one JSON line per call, newest first.
    History(history::HistoryArgs),
}

/// Options shared by every subcommand that uses an account. `--account NAME` (or, with
/// neither it nor `--server`, the default account of the config file) takes the server, user
/// and password from the config and the keyring; flags given explicitly override the config.
#[derive(Debug, Args, Clone)]
pub struct AccountArgs {
    /// A configured account (`lampboard account add`); default: the config's default account
    /// when `--server` is not given.
    #[arg(long)]
    pub account: Option<String>,
    /// Registrar / proxy: HOST, HOST:PORT, IPv4, [IPv6]:PORT. A domain without port uses DNS SRV/NAPTR.
    #[arg(long)]
    pub server: Option<String>,
    /// The extension (user part of the address of record).
    #[arg(long)]
    pub user: Option<String>,
    /// SIP domain of the address of record (default: the server's host).
    #[arg(long)]
    pub domain: Option<String>,
    /// Authentication user name, if it differs from the extension.
    #[arg(long)]
    pub auth_user: Option<String>,
    /// Transport [default: udp, or the account's].
    #[arg(long, value_parser = parse_transport)]
    pub transport: Option<TransportKind>,
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
    /// Also print every SIP message sent and received, as `sip_message` JSON lines.
    #[arg(long)]
    pub sip_trace: bool,
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
        let (Some(server), Some(user)) = (&self.server, &self.user) else {
            return Err("--server and --user are required (or --account NAME of a configured account)".into());
        };
        let spec = engine::dns::ServerSpec::parse(server)?;
        let account = AccountConfig {
            feature_codes: Default::default(),
            user: user.clone(),
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
            server: server.clone(),
            transport: self.transport.unwrap_or(TransportKind::Udp),
            ca_file: self.ca_file.clone(),
            timers: TimerConfig::default(),
            register_on_start: !self.no_register,
            audio: Default::default(),
            policy: None,
            sip_trace: self.sip_trace,
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
///
/// With `--account NAME` (or no `--server` and a default account in the config), server,
/// user, domain… come from the config file where no flag gives them, and the password from
/// `LAMPBOARD_PASSWORD` or else the keyring entry of the account.
pub fn prepare(account: &AccountArgs) -> Result<EngineConfig, i32> {
    let fail = |code: i32, m: &str| {
        eprintln!("lampboard: {m}");
        code
    };
    let (args, configured) = account.with_config().map_err(|m| fail(EXIT_USAGE, &m))?;
    let password = match (password_from_env(), &configured) {
        (Some(p), _) => p,
        (None, Some(name)) => {
            let store = account::secret_store(false)
                .map_err(|(code, m)| fail(code, &format!("{m}; or set LAMPBOARD_PASSWORD for this run")))?;
            match store.get(&crate::secrets::sip_key(name)) {
                Ok(Some(p)) => p,
                Ok(None) => {
                    return Err(fail(
                        EXIT_USAGE,
                        &format!(
                            "no password for account {name:?} in the keyring: set LAMPBOARD_PASSWORD or run `lampboard account add {name} …` again"
                        ),
                    ));
                }
                Err(e) => return Err(fail(EXIT_FAILURE, &format!("{e}; or set LAMPBOARD_PASSWORD for this run"))),
            }
        }
        (None, None) => {
            return Err(fail(
                EXIT_USAGE,
                "no password: set LAMPBOARD_PASSWORD or use --account NAME (passwords are never command-line arguments)",
            ));
        }
    };
    let mut cfg = args.engine_config(password).map_err(|e| fail(EXIT_USAGE, &e))?;
    // The configured account's PBX profile brings its feature codes (pickup, park, *48…).
    if let Some(name) = &configured
        && let Ok(path) = account::config_path()
        && let Ok(config) = crate::config::load_or_default(&path)
        && let Some(a) = config.account(name)
    {
        cfg.account.feature_codes = cfg.account.feature_codes.clone().with_profile(&a.effective_feature_codes());
    }
    Ok(cfg)
}

impl AccountArgs {
    /// These options completed from the config file: the account named by `--account`, or the
    /// default account when neither `--account` nor `--server` is given. Returns the options and
    /// the name of the configured account used, if any. Explicit flags win.
    pub fn with_config(&self) -> Result<(AccountArgs, Option<String>), String> {
        if self.account.is_none() && self.server.is_some() {
            return Ok((self.clone(), None));
        }
        let path = account::config_path().map_err(|(_, m)| m)?;
        let config = crate::config::load_or_default(&path).map_err(|e| e.to_string())?;
        let found = match &self.account {
            Some(name) => Some(config.account(name).ok_or_else(|| {
                format!("no account is called {name:?} in {} (see `lampboard account list`)", path.display())
            })?),
            None => config.default_account(),
        };
        match found {
            Some(a) => Ok((self.overlaid_on(a), Some(a.name.clone()))),
            None => Ok((self.clone(), None)),
        }
    }

    /// These options with every flag not given taken from `a`.
    pub fn overlaid_on(&self, a: &crate::config::Account) -> AccountArgs {
        let mut out = self.clone();
        // Through an outbound proxy the requests go to the proxy; the account's server is
        // then the domain of the address of record.
        let (server, domain) = match &a.outbound_proxy {
            Some(proxy) => {
                let host = if a.server.contains(':') { format!("[{}]", a.server) } else { a.server.clone() };
                (proxy.clone(), Some(a.domain.clone().unwrap_or(host)))
            }
            None => (a.server_spec(), a.domain.clone()),
        };
        out.account = Some(a.name.clone());
        out.server = self.server.clone().or(Some(server));
        out.user = self.user.clone().or_else(|| Some(a.extension.clone()));
        out.domain = self.domain.clone().or(domain);
        out.auth_user = self.auth_user.clone().or_else(|| a.auth_user.clone());
        out.transport = self.transport.or(Some(a.transport));
        out.display_name = self.display_name.clone().or_else(|| a.display_name.clone());
        out
    }
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
