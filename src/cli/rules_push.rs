//! `lampboard rules push [--via ucm-api|feature-codes] …`: sends the forwarding rules to the
//! PBX so it enforces them while Lampboard is closed — to a Grandstream UCM through its HTTPS
//! API (status, per-status forwarding list, DND, whitelists; prints `{"event":"ucm_applied",…}`
//! or `{"event":"ucm_failed",…}`), or to any Asterisk-style PBX with its feature codes (DND,
//! CFU, CFB, CFNA of the current status; one `{"event":"feature_code",…}` line per code).

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
    /// `ucm-api` (default) or `feature-codes`.
    #[arg(long, default_value = "ucm-api")]
    pub via: String,
    /// The UCM API: a host (→ `https://HOST:8089/api`) or a URL. Password from
    /// `LAMPBOARD_UCM_PASSWORD`.
    #[arg(long)]
    pub ucm_url: Option<String>,
    /// The UCM API user.
    #[arg(long, default_value = "cdrapi")]
    pub ucm_user: String,
    /// Extra CA certificate(s) to trust for the UCM API (PEM).
    #[arg(long)]
    pub ucm_ca_file: Option<PathBuf>,
    /// A feature code other than the profile's, e.g. `--code cfu_on=*21` (keys: dnd_on,
    /// dnd_off, cfu_on, cfu_off, cfb_on, cfb_off, cfna_on, cfna_off); repeatable.
    #[arg(long = "code")]
    pub codes: Vec<String>,
    /// How long the PBX's prompt plays before digits are sent (feature codes), in ms.
    #[arg(long, default_value_t = 1500)]
    pub prompt_ms: u64,
    /// The account (its `--user` is the extension whose rules these are).
    #[command(flatten)]
    pub account: super::AccountArgs,
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
    match a.via.as_str() {
        "ucm-api" => {}
        "feature-codes" => return via_feature_codes(a, &rules),
        other => {
            eprintln!("lampboard: unknown --via {other:?} (ucm-api, feature-codes)");
            return EXIT_USAGE;
        }
    }
    let (Some(url), Some(user)) = (&a.ucm_url, &a.account.user) else {
        eprintln!("lampboard: --via ucm-api needs --ucm-url and --user EXT");
        return EXIT_USAGE;
    };
    let cfg = match UcmConfig::from_env(&UcmConfig::url_for(url), &a.ucm_user, a.ucm_ca_file.clone()) {
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
    match rt.block_on(push_rules(&cfg, user, &rules)) {
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
            println!("{}", serde_json::json!({"event": "ucm_failed", "extension": user, "reason": e.to_string()}));
            eprintln!("lampboard: the UCM API failed: {e}");
            EXIT_FAILURE
        }
    }
}

/// DND, CFU, CFB and CFNA of the current status, each set with its feature code.
fn via_feature_codes(a: &PushArgs, rules: &crate::forwarding::Rules) -> i32 {
    use crate::ua::feature_codes::FeatureAction;
    let cfg = match super::prepare(&a.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // `--code` sets the forwarding codes only, on top of the profile's.
    const KEYS: [&str; 8] = ["dnd_on", "dnd_off", "cfu_on", "cfu_off", "cfb_on", "cfb_off", "cfna_on", "cfna_off"];
    let mut over = crate::config::account::FeatureCodes::default();
    for kv in &a.codes {
        let Some((k, v)) = kv.split_once('=') else {
            eprintln!("lampboard: --code wants KEY=CODE, not {kv:?}");
            return EXIT_USAGE;
        };
        match over.slot_mut(k).filter(|_| KEYS.contains(&k)) {
            Some(slot) => *slot = Some(v.to_string()),
            None => {
                eprintln!("lampboard: unknown feature code {k:?}");
                return EXIT_USAGE;
            }
        }
    }
    let codes = cfg.account.feature_codes.clone().with_profile(&over);
    let r = rules.per_status.get(rules.status);
    let target = |t: &Option<crate::forwarding::Target>| t.as_ref().map(|t| t.as_str().to_string());
    let dnd = rules.dnd || rules.status == crate::forwarding::StatusKind::Dnd;
    let plans = [
        FeatureAction::Dnd(dnd),
        FeatureAction::Cfu(target(&r.cfu)),
        FeatureAction::Cfb(target(&r.cfb)),
        FeatureAction::Cfna(target(&r.cfna)),
    ]
    .iter()
    .map(|act| codes.plan(act))
    .collect();
    super::feature_calls::run(cfg, plans, std::time::Duration::from_millis(a.prompt_ms))
}
