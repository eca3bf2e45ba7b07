//! `lampboard autostart [on|off|status]`: start the desktop app at login (see
//! [`crate::desktop::autostart`]); prints `{"event":"autostart","enabled":…,"location":…}`.

use crate::desktop::autostart::Autostart;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// What to do with the login item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Start Lampboard at login.
    On,
    /// Do not.
    Off,
    /// Only report.
    Status,
}

/// Options of `lampboard autostart`.
#[derive(Debug, Args)]
pub struct AutostartArgs {
    /// on, off or status (the default).
    #[arg(value_enum, default_value = "status")]
    pub switch: Switch,
    /// Keep the login item in this directory instead of the platform's (tests, portable installs).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &AutostartArgs) -> i32 {
    let target = match &args.dir {
        Some(d) => Ok(Autostart::in_dir(d)),
        None => Autostart::platform(),
    };
    let result = target.and_then(|t| {
        if args.switch != Switch::Status {
            t.set(args.switch == Switch::On, &program())?;
        }
        Ok((t.is_enabled()?, t.location()))
    });
    match result {
        Ok((enabled, location)) => {
            let line = serde_json::json!({"event": "autostart", "enabled": enabled, "location": location});
            println!("{line}");
            0
        }
        Err(e) => {
            eprintln!("lampboard: autostart: {e}");
            super::EXIT_FAILURE
        }
    }
}

/// The program to start: the AppImage itself when running from one, else this executable.
fn program() -> PathBuf {
    std::env::var_os("APPIMAGE")
        .map(PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("lampboard"))
}
