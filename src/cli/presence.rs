//! `lampboard presence set available|away|chat|dnd|unavailable|custom [--note TEXT]
//! [--duration SECS]`: publishes our own status (PUBLISH, RFC 3903).

use super::{AccountArgs, prepare, session};
use crate::api::{Command, Event};
use crate::presence::status::UserStatus;
use clap::{Args, Subcommand};

/// `lampboard presence …`.
#[derive(Debug, Subcommand)]
pub enum PresenceAction {
    /// Set our status.
    Set(SetArgs),
}

/// `lampboard presence set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// available, away, chat, dnd, unavailable or custom.
    pub status: String,
    /// A note; for `custom` the status text itself (up to 64 characters, as on a UCM).
    #[arg(long)]
    pub note: Option<String>,
    /// Keep the status this many seconds (refreshing it), then remove it and exit. Without it
    /// the status is published once and stays on the server until it expires.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Where the entity tag of our published state is kept between runs
/// (`$XDG_STATE_HOME/lampboard/publish/AOR.etag`, or under `~/.local/state`).
fn etag_file(aor: &str) -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/state")))?;
    let name: String =
        aor.chars().map(|c| if c.is_ascii_alphanumeric() || "@.-".contains(c) { c } else { '_' }).collect();
    Some(base.join("lampboard/publish").join(format!("{name}.etag")))
}

/// Runs the presence subcommands; returns the exit code.
pub fn run(action: &PresenceAction) -> i32 {
    let PresenceAction::Set(args) = action;
    if args.status == "custom" && args.note.as_deref().is_none_or(str::is_empty) {
        eprintln!("lampboard: custom needs its text: --note TEXT");
        return super::EXIT_USAGE;
    }
    if args.note.as_ref().is_some_and(|n| n.chars().count() > 64) {
        eprintln!("lampboard: the note is longer than 64 characters");
        return super::EXIT_USAGE;
    }
    if UserStatus::parse(&args.status, args.note.as_deref()).is_none() {
        eprintln!("lampboard: unknown status {:?} (available, away, chat, dnd, unavailable, custom)", args.status);
        return super::EXIT_USAGE;
    }
    let cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // A status left on the server by an earlier run is modified, not duplicated.
    let state = etag_file(&cfg.account.aor());
    let etag = state.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).map(|s| s.trim().to_string());
    let set = Command::SetPresence { status: args.status.clone(), note: args.note.clone(), etag };
    let hold = args.duration.is_some();
    let ctl = session::Control { keep_presence: !hold, ..Default::default() };
    session::run(cfg, vec![set], args.duration, ctl, move |ev, ctl| match ev {
        Event::Published { etag, .. } => {
            ctl.ok = true;
            if let (Some(path), Some(tag)) = (&state, etag) {
                let _ = path.parent().map(std::fs::create_dir_all);
                if let Err(e) = std::fs::write(path, tag) {
                    tracing::warn!(%e, "cannot remember the entity tag");
                }
            }
            if !hold {
                ctl.stop = true;
            }
        }
        Event::Unpublished { .. } => {
            if let Some(path) = &state {
                let _ = std::fs::remove_file(path);
            }
        }
        Event::PublishFailed { reason, retry_in_ms: None, .. } => ctl.fail(format!("publishing failed: {reason}")),
        Event::PublishFailed { reason, .. } if !hold => ctl.fail(format!("publishing failed: {reason}")),
        _ => {}
    })
}
