//! Where and how to reach a UCM's HTTPS API. The password is never stored in config files: it
//! comes from the keyring, or from the `LAMPBOARD_UCM_PASSWORD` environment variable.

use super::error::UcmError;
use super::model::PresenceListField;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The UCM's default HTTPS API port.
pub const DEFAULT_PORT: u16 = 8089;
/// Default limit for connecting and for each whole request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach one UCM's API.
#[derive(Clone)]
pub struct UcmConfig {
    /// The API URL, e.g. `https://ucm.example:8089/api`; must be `https://`.
    pub base_url: String,
    /// The API user (UCM: "API Settings" user, e.g. `cdrapi`).
    pub user: String,
    /// The API password (never logged; `Debug` shows it redacted).
    pub password: String,
    /// A PEM file of CA certificates trusted in addition to the platform's roots (for a UCM with
    /// a self-signed or private-CA certificate). Verification is never turned off.
    pub ca_file: Option<PathBuf>,
    /// Limit for connecting and for each whole request.
    pub timeout: Duration,
    /// The field name of the per-status forwarding list in updates (see [`PresenceListField`]).
    pub presence_list_field: PresenceListField,
}

impl fmt::Debug for UcmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UcmConfig")
            .field("base_url", &self.base_url)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("presence_list_field", &self.presence_list_field)
            .finish()
    }
}

impl UcmConfig {
    /// The environment variable the CLI reads the API password from.
    pub const PASSWORD_ENV: &'static str = "LAMPBOARD_UCM_PASSWORD";

    /// A configuration for `base_url` (a full URL, or just a host name / address, which becomes
    /// `https://HOST:8089/api`), with the default timeout and no CA file.
    pub fn new(base_url: &str, user: &str, password: &str) -> UcmConfig {
        UcmConfig {
            base_url: UcmConfig::url_for(base_url),
            user: user.to_owned(),
            password: password.to_owned(),
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
            presence_list_field: PresenceListField::default(),
        }
    }

    /// Like [`UcmConfig::new`], with the password from `LAMPBOARD_UCM_PASSWORD`.
    pub fn from_env(base_url: &str, user: &str, ca_file: Option<PathBuf>) -> Result<UcmConfig, UcmError> {
        let password = std::env::var(UcmConfig::PASSWORD_ENV)
            .map_err(|_| UcmError::Config(format!("set {} to the UCM API password", UcmConfig::PASSWORD_ENV)))?;
        Ok(UcmConfig { ca_file, ..UcmConfig::new(base_url, user, &password) })
    }

    /// `https://HOST:8089/api` for a bare host (or `host:port`); a URL with a scheme is kept.
    pub fn url_for(host_or_url: &str) -> String {
        let s = host_or_url.trim();
        if s.contains("://") {
            s.to_owned()
        } else if s.contains(':') && !s.starts_with('[') && s.matches(':').count() == 1 {
            format!("https://{s}/api")
        } else {
            format!("https://{s}:{DEFAULT_PORT}/api")
        }
    }

    /// The parsed URL; refuses anything but `https://` with a host (the password and the cookie
    /// never travel in clear text).
    pub fn checked_url(&self) -> Result<reqwest::Url, UcmError> {
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| UcmError::Config(format!("API URL {:?}: {e}", self.base_url)))?;
        if url.scheme() != "https" {
            return Err(UcmError::Config(format!("API URL {:?} is not https://", self.base_url)));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UcmError::Config(format!("API URL {:?} has no host", self.base_url)));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UcmError::Config("put the API user and password in the settings, not in the URL".into()));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_to_the_api_port_and_https() {
        assert_eq!(UcmConfig::url_for("ucm.example"), "https://ucm.example:8089/api");
        assert_eq!(UcmConfig::url_for("10.0.0.5:8443"), "https://10.0.0.5:8443/api");
        assert_eq!(UcmConfig::url_for("https://pbx/api"), "https://pbx/api");
        assert!(UcmConfig::new("http://pbx:8089/api", "u", "p").checked_url().is_err());
        assert!(UcmConfig::new("https://u:p@pbx/api", "u", "p").checked_url().is_err());
        assert!(UcmConfig::new("pbx", "u", "p").checked_url().is_ok());
    }

    #[test]
    fn debug_hides_the_password() {
        let c = UcmConfig::new("pbx", "cdrapi", "s3cret-pass");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
