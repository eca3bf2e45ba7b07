//! `lampboard presence set available|away|chat|dnd|unavailable|custom [--note TEXT]
//! [--duration SECS] [--via publish,feature-codes]`: sets our own status on every backend
//! named — PUBLISH (RFC 3903) and/or the PBX's presence feature code (`*48` + the status
//! digit as RFC 4733 DTMF).

use super::{AccountArgs, feature_calls, prepare, session};
use crate::api::{Command, Event};
use crate::pbx::ucm_api::{UcmConfig, apply_status};
use crate::presence::status::UserStatus;
use crate::ua::feature_codes::{FeatureAction, FeatureCall, FeatureOutcome};
use clap::{Args, Subcommand};
use std::time::Duration;

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
    /// Where the status goes: `publish` (PUBLISH to a presence server), `feature-codes`
    /// (dial the PBX's presence code and send the status digit); comma-separated for several.
    #[arg(long, value_delimiter = ',', default_value = "publish")]
    pub via: Vec<String>,
    /// The PBX's presence feature code (default: the account's PBX profile, UCM `*48`).
    #[arg(long)]
    pub presence_code: Option<String>,
    /// How long the PBX's prompt plays before the digit is sent, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub prompt_ms: u64,
    /// The UCM HTTPS API (`--via ucm-api`): a host (→ `https://HOST:8089/api`) or a URL. The
    /// API password comes from `LAMPBOARD_UCM_PASSWORD`.
    #[arg(long)]
    pub ucm_url: Option<String>,
    /// The UCM API user.
    #[arg(long, default_value = "cdrapi")]
    pub ucm_user: String,
    /// Extra CA certificate(s) to trust for the UCM API (PEM).
    #[arg(long)]
    pub ucm_ca_file: Option<std::path::PathBuf>,
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
    for v in &args.via {
        if !matches!(v.as_str(), "publish" | "feature-codes" | "ucm-api") {
            eprintln!("lampboard: unknown --via {v:?} (publish, feature-codes, ucm-api)");
            return super::EXIT_USAGE;
        }
    }
    if args.via.iter().any(|v| v == "ucm-api") {
        let code = via_ucm_api(args);
        if code != 0 || args.via.iter().all(|v| v == "ucm-api") {
            return code;
        }
    }
    let cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let publish = args.via.iter().any(|v| v == "publish");
    let mut codes = cfg.account.feature_codes.clone();
    if let Some(c) = &args.presence_code {
        codes.presence = c.clone();
    }
    let plan = match UserStatus::parse(&args.status, args.note.as_deref()) {
        Some(s) if args.via.iter().any(|v| v == "feature-codes") => Some(codes.plan(&FeatureAction::Presence(s))),
        _ => None,
    };
    // A status left on the server by an earlier run is modified, not duplicated.
    let state = etag_file(&cfg.account.aor());
    let etag = state.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).map(|s| s.trim().to_string());
    let mut initial = Vec::new();
    if publish {
        initial.push(Command::SetPresence { status: args.status.clone(), note: args.note.clone(), etag });
    }
    let hold = args.duration.is_some();
    let ctl = session::Control { keep_presence: !hold, ..Default::default() };
    let prompt = Duration::from_millis(args.prompt_ms);
    let start_at_once = !cfg.register_on_start;
    // Each backend reports; the run succeeds when every one of them did.
    let mut published = !publish;
    let coded = plan.is_none();
    let finish = |published: bool, coded: bool, ctl: &mut session::Control| {
        if published && coded {
            ctl.ok = true;
            if !hold {
                ctl.stop = true;
            }
        }
    };
    let start = |plan: &mut Option<_>, call: &mut Option<FeatureCall>, ctl: &mut session::Control| {
        if let Some(p) = plan.take() {
            *call = Some(feature_calls::start(p, prompt, ctl));
        }
    };
    // (the call in progress, the plan not started yet, whether the code went through)
    let call_cell = std::cell::RefCell::new((None::<FeatureCall>, plan, coded));
    session::run_ticking(
        cfg,
        initial,
        args.duration,
        ctl,
        |ev, ctl| {
            let (call, plan, coded) = &mut *call_cell.borrow_mut();
            match ev {
                Event::Registered { .. } => start(plan, call, ctl),
                Event::Published { etag, .. } => {
                    published = true;
                    if let (Some(path), Some(tag)) = (&state, etag) {
                        let _ = path.parent().map(std::fs::create_dir_all);
                        if let Err(e) = std::fs::write(path, tag) {
                            tracing::warn!(%e, "cannot remember the entity tag");
                        }
                    }
                }
                Event::Unpublished { .. } => {
                    if let Some(path) = &state {
                        let _ = std::fs::remove_file(path);
                    }
                }
                Event::PublishFailed { reason, retry_in_ms: None, .. } => {
                    ctl.fail(format!("publishing failed: {reason}"))
                }
                Event::PublishFailed { reason, .. } if !hold => ctl.fail(format!("publishing failed: {reason}")),
                _ => {}
            }
            match feature_calls::on_event(call, ev, ctl) {
                Some(FeatureOutcome::Done) => *coded = true,
                Some(FeatureOutcome::Failed(why)) => ctl.fail(format!("the presence feature code failed: {why}")),
                None => {}
            }
            finish(published, *coded, ctl);
        },
        |now, ctl| {
            let (call, plan, _) = &mut *call_cell.borrow_mut();
            if start_at_once {
                start(plan, call, ctl);
            }
            feature_calls::on_tick(call, now, ctl);
        },
    )
}

/// Sets the status through the UCM HTTPS API and reads it back; prints
/// `{"event":"ucm_applied",…}` or `{"event":"ucm_failed",…}`.
fn via_ucm_api(args: &SetArgs) -> i32 {
    let Some(url) = &args.ucm_url else {
        eprintln!("lampboard: --via ucm-api needs --ucm-url HOST_OR_URL");
        return super::EXIT_USAGE;
    };
    let cfg = match UcmConfig::from_env(&UcmConfig::url_for(url), &args.ucm_user, args.ucm_ca_file.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lampboard: {e}");
            return super::EXIT_USAGE;
        }
    };
    let Some(status) = UserStatus::parse(&args.status, args.note.as_deref()) else { return super::EXIT_USAGE };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lampboard: cannot start the runtime: {e}");
            return super::EXIT_FAILURE;
        }
    };
    let Some(ext) = args.account.user.clone().or_else(|| {
        let cfg = crate::config::Paths::platform()?;
        let c = crate::config::load_or_default(&cfg.config_file).ok()?;
        let a = match &args.account.account {
            Some(n) => c.account(n)?.clone(),
            None => c.default_account()?.clone(),
        };
        Some(a.extension.clone())
    }) else {
        eprintln!("lampboard: --via ucm-api needs the extension: --user EXT or --account NAME");
        return super::EXIT_USAGE;
    };
    match rt.block_on(apply_status(&cfg, &ext, &status, args.note.as_deref())) {
        Ok(a) => {
            let line = serde_json::json!({
                "event": "ucm_applied",
                "extension": a.extension,
                "status": a.status.as_str(),
                "label": a.status.label(),
                "applied_changes": a.applied_changes,
            });
            println!("{line}");
            0
        }
        Err(e) => {
            println!("{}", serde_json::json!({"event": "ucm_failed", "extension": ext, "reason": e.to_string()}));
            eprintln!("lampboard: the UCM API failed: {e}");
            super::EXIT_FAILURE
        }
    }
}
