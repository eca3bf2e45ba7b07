//! `lampboard account add|list|remove|default`: accounts in the config file, passwords in
//! the OS keyring. Output: one JSON object per line; never a secret.
//!
//! The password of `account add` comes from `LAMPBOARD_PASSWORD`, or is prompted for (without
//! echo) when stdin is a terminal. Test hook: `LAMPBOARD_SECRET_STORE=memory:` keeps secrets
//! in memory for the process only (see [`crate::secrets::STORE_ENV`]).

use super::{EXIT_FAILURE, EXIT_USAGE, parse_transport};
use crate::config::{self, Account, Config, Paths, PbxProfile, UcmApi};
use crate::secrets::{self, SecretStore};
use crate::sip::TransportKind;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// `lampboard account …`.
#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// Add an account (or replace the one with the same name); stores its password in the keyring.
    Add(AddArgs),
    /// List the accounts, one JSON line each (no secrets).
    List,
    /// Remove an account and its keyring entries.
    Remove {
        /// The account's name.
        name: String,
    },
    /// Make an account the default one.
    Default {
        /// The account's name.
        name: String,
    },
}

/// `lampboard account add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account's name (letters, digits, '.', '-', '_'); also names its keyring entry.
    pub name: String,
    /// Registrar / proxy: HOST, HOST:PORT, IPv4, `[IPv6]:PORT`.
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
    /// Outbound proxy (`HOST[:PORT]`).
    #[arg(long)]
    pub outbound_proxy: Option<String>,
    /// PBX profile: grandstream_ucm, asterisk, kamailio or generic (feature codes, presence).
    #[arg(long, default_value = "generic", value_parser = parse_profile)]
    pub profile: PbxProfile,
    /// Grandstream UCM HTTPS API URL (its password: LAMPBOARD_UCM_API_PASSWORD).
    #[arg(long, requires = "ucm_api_user")]
    pub ucm_api_url: Option<String>,
    /// Grandstream UCM HTTPS API user.
    #[arg(long, requires = "ucm_api_url")]
    pub ucm_api_user: Option<String>,
    /// Make it the default account.
    #[arg(long)]
    pub default: bool,
    /// Store no password (the server needs none, or LAMPBOARD_PASSWORD is given at run time).
    #[arg(long)]
    pub no_password: bool,
}

fn parse_profile(s: &str) -> Result<PbxProfile, String> {
    PbxProfile::parse(s).ok_or_else(|| format!("unknown profile {s:?} (grandstream_ucm, asterisk, kamailio, generic)"))
}

/// A failure with its exit code and one-line message.
type Failure = (i32, String);

/// The config file path, or a usage failure when there is no home directory.
pub fn config_path() -> Result<PathBuf, Failure> {
    Paths::platform()
        .map(|p| p.config_file)
        .ok_or((EXIT_USAGE, "cannot find the home directory for the config file".to_string()))
}

/// Loads the config (an empty one when there is no file yet).
pub fn load_config() -> Result<(Config, PathBuf), Failure> {
    let path = config_path()?;
    let config = config::load_or_default(&path).map_err(|e| (EXIT_USAGE, e.to_string()))?;
    Ok((config, path))
}

/// The secret store of this process (OS keyring, or the `LAMPBOARD_SECRET_STORE` test hook);
/// `allow_session_only` accepts a memory fallback when no keyring service runs.
pub fn secret_store(allow_session_only: bool) -> Result<std::sync::Arc<dyn SecretStore>, Failure> {
    let opened = secrets::open_from_env().map_err(|e| (EXIT_USAGE, e.to_string()))?;
    match opened.fallback {
        Some(e) if !allow_session_only => Err((EXIT_FAILURE, e.to_string())),
        Some(e) => {
            eprintln!("lampboard: {e}; using it for this session only");
            Ok(opened.store)
        }
        None => Ok(opened.store),
    }
}

/// Runs `lampboard account …`; returns the exit code.
pub fn run(action: &AccountAction) -> i32 {
    let result = match action {
        AccountAction::Add(args) => add(args),
        AccountAction::List => list(),
        AccountAction::Remove { name } => remove(name),
        AccountAction::Default { name } => set_default(name),
    };
    match result {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("lampboard: {message}");
            code
        }
    }
}

fn print(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn add(args: &AddArgs) -> Result<(), Failure> {
    let usage = |m: String| (EXIT_USAGE, m);
    if !config::account::valid_name(&args.name) {
        return Err(usage(format!("bad account name {:?}: use letters, digits, '.', '-', '_'", args.name)));
    }
    let spec = crate::engine::dns::ServerSpec::parse(&args.server).map_err(usage)?;
    let mut account = Account::new(&args.name, &spec.host, &args.user);
    account.port = spec.port;
    account.transport = args.transport;
    account.domain = args.domain.clone();
    account.auth_user = args.auth_user.clone();
    account.display_name = args.display_name.clone();
    account.outbound_proxy = args.outbound_proxy.clone();
    account.profile = args.profile;
    if let (Some(url), Some(user)) = (&args.ucm_api_url, &args.ucm_api_user) {
        account.ucm_api = Some(UcmApi { url: url.clone(), user: user.clone() });
    }
    let (config, path) = load_config()?;
    // Check everything before a password is asked for or a secret is stored.
    crate::accounts::with_account(config, account.clone(), args.default).map_err(|e| usage(e.to_string()))?;
    let password = if args.no_password { None } else { Some(read_password(&args.name)?) };
    let ucm_password = std::env::var("LAMPBOARD_UCM_API_PASSWORD").ok().filter(|p| !p.is_empty());
    let new = crate::accounts::NewSecrets { sip: password, ucm_api: ucm_password };
    let store = if new.sip.is_some() || new.ucm_api.is_some() { Some(secret_store(false)?) } else { None };
    let saved = crate::accounts::save_account(&path, store.as_deref(), account, &new, args.default).map_err(|e| {
        let code = if e.is_usage() { EXIT_USAGE } else { EXIT_FAILURE };
        match e {
            crate::accounts::AccountError::Secret(s) => (code, format!("{s}; the account was not added")),
            e => (code, e.to_string()),
        }
    })?;
    let store_name = store.map(|s| s.describe());
    print(&json!({
        "event": "account_added",
        "name": args.name,
        "replaced": saved.replaced,
        "default": saved.is_default,
        "password_stored": saved.password_stored,
        "ucm_api_password_stored": saved.ucm_api_password_stored,
        "secret_store": store_name,
        "config": path.display().to_string(),
    }));
    Ok(())
}

/// The password for a new account: `LAMPBOARD_PASSWORD`, or a prompt on a terminal.
fn read_password(name: &str) -> Result<String, Failure> {
    if let Some(p) = super::password_from_env() {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err((
            EXIT_USAGE,
            "no password: set LAMPBOARD_PASSWORD, run on a terminal to be asked, or pass --no-password".into(),
        ));
    }
    eprint!("Password for {name}: ");
    let _ = std::io::stderr().flush();
    let echo_off = set_echo(false);
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if echo_off {
        set_echo(true);
        eprintln!();
    }
    read.map_err(|e| (EXIT_USAGE, format!("cannot read the password: {e}")))?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err((EXIT_USAGE, "empty password (use --no-password for an account without one)".into()));
    }
    Ok(p)
}

/// Turns terminal echo on or off with `stty` (Unix); returns whether it worked.
fn set_echo(on: bool) -> bool {
    if cfg!(unix) {
        std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    } else {
        false
    }
}

/// The JSON line of one account (no secrets; the feature codes and presence backends in force).
pub fn account_json(a: &Account, is_default: bool) -> serde_json::Value {
    let codes: serde_json::Map<String, serde_json::Value> = a
        .effective_feature_codes()
        .entries()
        .iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), json!(v))))
        .collect();
    json!({
        "event": "account",
        "name": a.name,
        "server": a.server_spec(),
        "transport": a.transport,
        "extension": a.extension,
        "domain": a.domain,
        "auth_user": a.auth_user,
        "display_name": a.display_name,
        "outbound_proxy": a.outbound_proxy,
        "profile": a.profile,
        "presence_backends": a.effective_presence_backends(),
        "feature_codes": codes,
        "ucm_api": a.ucm_api,
        "default": is_default,
    })
}

fn list() -> Result<(), Failure> {
    let (config, _) = load_config()?;
    let default = config.default_account().map(|a| a.name.clone());
    for a in &config.accounts {
        print(&account_json(a, default.as_deref() == Some(a.name.as_str())));
    }
    Ok(())
}

fn remove(name: &str) -> Result<(), Failure> {
    let path = config_path()?;
    // The account goes from the config even when the keyring cannot be reached: a stale
    // entry is said, but is no reason to fail.
    let store = secret_store(false);
    let removed = crate::accounts::remove_account(&path, store.as_ref().ok().map(|s| s.as_ref()), name)
        .map_err(account_failure)?;
    let deleted = match (&store, removed.password_deleted) {
        (Err((_, e)), _) => Err(e.clone()),
        (Ok(_), d) => d,
    };
    if let Err(e) = &deleted {
        eprintln!("lampboard: the password of {name:?} could not be deleted from the keyring: {e}");
    }
    print(&json!({"event": "account_removed", "name": name, "password_deleted": deleted.unwrap_or(false)}));
    Ok(())
}

/// The exit code and message of a failed account change.
fn account_failure(e: crate::accounts::AccountError) -> Failure {
    (if e.is_usage() { EXIT_USAGE } else { EXIT_FAILURE }, e.to_string())
}

fn set_default(name: &str) -> Result<(), Failure> {
    let path = config_path()?;
    crate::accounts::set_default(&path, name).map_err(account_failure)?;
    print(&json!({"event": "account_default", "name": name}));
    Ok(())
}
