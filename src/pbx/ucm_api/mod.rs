//! The Grandstream UCM HTTPS API backend: sets our own presence status (and, through
//! [`UcmAccountSettings`], the per-status forwarding, DND and whitelists) on the UCM, and reads
//! it back (PRESENCE.md §2 and §5).
//!
//! * [`model`] and [`forwarding`]: the UCM's own field names and values as typed Rust (neutral:
//!   no Lampboard rules);
//! * [`protocol`]: sans-IO request bodies, the md5 login token, answer and error-code reading;
//! * [`client`]: the async [`UcmClient`] on reqwest (rustls; certificate verification always on);
//! * [`apply_status`]: one call for `lampboard presence set --via ucm-api`.

pub mod client;
pub mod config;
pub mod error;
pub mod forwarding;
pub mod from_rules;
pub mod model;
pub mod protocol;
mod tls;

pub use client::{UcmClient, UpdateOutcome};
pub use config::UcmConfig;
pub use error::UcmError;
pub use forwarding::{UcmDestinationType, UcmForward, UcmStatusForwarding, UcmTimeType};
pub use model::{PresenceListField, UcmAccountSettings, UcmPresenceStatus};

use crate::presence::status::UserStatus;

/// What [`apply_status`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The extension changed.
    pub extension: String,
    /// The status as `getSIPAccount` reads it back afterwards.
    pub status: UserStatus,
    /// `applyChanges` was called because the UCM asked for it.
    pub applied_changes: bool,
    /// The whole read-back (presence, forwarding, DND, whitelists as the UCM has them).
    pub read_back: UcmAccountSettings,
}

/// Pushes Lampboard's forwarding rules (status, per-status forwarding list, DND, whitelists)
/// to `extension` on the UCM and confirms the status by reading it back.
pub async fn push_rules(
    cfg: &UcmConfig,
    extension: &str,
    rules: &crate::forwarding::Rules,
) -> Result<Applied, UcmError> {
    let settings = from_rules::settings_from_rules(rules);
    let mut client = UcmClient::new(cfg)?;
    let outcome = client.update_account(extension, &settings).await?;
    let read_back = client.get_account(extension).await?;
    let wanted = rules.user_status();
    let got = read_back.user_status();
    if let Some(g) = &got
        && *g != wanted
    {
        return Err(UcmError::NotApplied { wanted: wanted.label().to_owned(), got: g.label().to_owned() });
    }
    Ok(Applied {
        extension: extension.to_owned(),
        status: got.unwrap_or(wanted),
        applied_changes: outcome.applied_changes,
        read_back,
    })
}

/// Sets the own status of `extension` on the UCM and confirms it by reading it back: login,
/// `updateSIPAccount`, `applyChanges` if asked, `getSIPAccount`. `text` is the custom status text
/// (used for [`UserStatus::Custom`] only). A read-back that disagrees is an error
/// ([`UcmError::NotApplied`]); one without `presence_status` is accepted as it stands.
pub async fn apply_status(
    cfg: &UcmConfig,
    extension: &str,
    status: &UserStatus,
    text: Option<&str>,
) -> Result<Applied, UcmError> {
    let mut client = UcmClient::new(cfg)?;
    let outcome = client.set_presence(extension, status, text).await?;
    let read_back = client.get_account(extension).await?;
    let wanted = match (status, text) {
        (UserStatus::Custom(_), Some(t)) => UserStatus::Custom(t.trim().to_owned()),
        (UserStatus::Custom(t), None) => UserStatus::Custom(t.trim().to_owned()),
        (s, _) => s.clone(),
    };
    let got = read_back.user_status();
    if let Some(got) = &got
        && *got != wanted
    {
        return Err(UcmError::NotApplied { wanted: wanted.label().to_owned(), got: got.label().to_owned() });
    }
    Ok(Applied {
        extension: extension.to_owned(),
        status: got.unwrap_or(wanted),
        applied_changes: outcome.applied_changes,
        read_back,
    })
}
