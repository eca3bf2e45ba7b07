//! `lampboard watch EXT... [--events presence,dialog] [--duration SECS]`: one JSON line per
//! lamp change (`{"event":"lamp","ext":"1002","status":"away",…}`).

use super::{AccountArgs, prepare, session};
use crate::api::{Command, Event};
use clap::Args;

/// `lampboard watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Extensions (resolved in the account's domain) or full SIP URIs.
    #[arg(required_unless_present = "list")]
    pub targets: Vec<String>,
    /// A resource list on the server (RFC 4662, e.g. a UCM Eventlist): one subscription for
    /// the whole wall, falling back to one per extension when the server does not take it.
    #[arg(long)]
    pub list: Option<String>,
    /// Event packages to subscribe to for each colleague.
    #[arg(long, default_value = "presence,dialog", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Watch this many seconds, then un-SUBSCRIBE and exit (default: until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Runs `lampboard watch`; returns the exit code.
pub fn run(args: &WatchArgs) -> i32 {
    for e in &args.events {
        if !matches!(e.as_str(), "presence" | "dialog") {
            eprintln!("lampboard: unknown event package {e:?} (presence, dialog)");
            return super::EXIT_USAGE;
        }
    }
    let cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let watch = Command::Watch { targets: args.targets.clone(), events: args.events.clone(), list: args.list.clone() };
    let ctl = session::Control { ok: true, ..Default::default() };
    session::run(cfg, vec![watch], args.duration, ctl, |_ev: &Event, _ctl| {})
}
