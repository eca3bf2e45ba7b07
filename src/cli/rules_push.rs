//! `lampboard rules push --ucm-url URL --user EXT [--file F]`: sends the forwarding rules to
//! a Grandstream UCM through its HTTPS API (status, per-status forwarding list, DND,
//! whitelists), so the PBX enforces them while Lampboard is closed. Prints
//! `{"event":"ucm_applied",…}` or `{"event":"ucm_failed",…}`.

use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::pbx::ucm_api::{UcmConfig, push_rules};
use clap::Args;
use std::path::PathBuf;

/// `lampboard rules push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The rules file (default: $XDG_CONFIG_HOME/lampboard/rules.toml).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The UCM API: a host (→ `https://HOST:8089/api`) or a URL. Password from
    /// `LAMPBOARD_UCM_PASSWORD`.
    #[arg(long)]
    pub ucm_url: String,
    /// The UCM API user.
    #[arg(long, default_value = "cdrapi")]
    pub ucm_user: String,
    /// Extra CA certificate(s) to trust for the UCM API (PEM).
    #[arg(long)]
    pub ucm_ca_file: Option<PathBuf>,
    /// The extension whose rules these are.
    #[arg(long)]
    pub user: String,
}

/// Runs `lampboard rules push`; returns the exit code.
pub fn run(a: &PushArgs) -> i32 {
    let path = match &a.file {
        Some(p) => p.clone(),
        None => match crate::forwarding::file::default_path() {
            Some(p) => p,
            None => {
                eprintln!("lampboard: no config directory for the rules file; use --file");
                return EXIT_USAGE;
            }
        },
    };
    let rules = match crate::forwarding::file::load(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lampboard: {e}");
            return EXIT_USAGE;
        }
    };
    let cfg = match UcmConfig::from_env(&UcmConfig::url_for(&a.ucm_url), &a.ucm_user, a.ucm_ca_file.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lampboard: {e}");
            return EXIT_USAGE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lampboard: cannot start the runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match rt.block_on(push_rules(&cfg, &a.user, &rules)) {
        Ok(applied) => {
            let line = serde_json::json!({
                "event": "ucm_applied",
                "extension": applied.extension,
                "status": applied.status.as_str(),
                "label": applied.status.label(),
                "applied_changes": applied.applied_changes,
            });
            println!("{line}");
            0
        }
        Err(e) => {
            println!("{}", serde_json::json!({"event": "ucm_failed", "extension": a.user, "reason": e.to_string()}));
            eprintln!("lampboard: the UCM API failed: {e}");
            EXIT_FAILURE
        }
    }
}
