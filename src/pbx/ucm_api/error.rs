//! Why a UCM API operation failed, with the UCM's documented `status` codes named.
//!
//! No variant ever carries the API password, the login token or the session cookie.

use std::fmt;

/// `status` values of the UCM HTTPS API that Lampboard names.
///
/// Only `-6` (cookie error) is confirmed by public material (PRESENCE.md §2); the others follow
/// Grandstream's API table as transcribed by third parties and are tagged **[?]** until checked on
/// a real UCM. Unknown codes are reported with their number, never guessed.
pub mod status {
    /// Success.
    pub const OK: i64 = 0;
    /// Invalid parameters (a missing or unknown field) [?].
    pub const INVALID_PARAMETERS: i64 = -1;
    /// The request needs a logged-in session [?].
    pub const NEED_AUTHENTICATION: i64 = -5;
    /// Cookie error: the session cookie is unknown or expired.
    pub const COOKIE_ERROR: i64 = -6;
    /// The UCM timed out internally [?].
    pub const SYSTEM_TIMEOUT: i64 = -8;
    /// Abnormal system error on the UCM [?].
    pub const SYSTEM_ERROR: i64 = -9;
    /// A field has a value the UCM does not accept [?].
    pub const INVALID_VALUE: i64 = -15;
    /// No such item (for example an unknown extension) [?].
    pub const NO_SUCH_ITEM: i64 = -16;
    /// The action is not supported by this firmware [?].
    pub const UNSUPPORTED: i64 = -19;
    /// The UCM could not store the update [?].
    pub const UPDATE_FAILED: i64 = -25;
    /// Wrong API user or password [?].
    pub const WRONG_PASSWORD: i64 = -37;
    /// The API user lacks the permission for this action [?].
    pub const NO_PERMISSION: i64 = -47;
    /// Login refused for now (too many failures, or the address is not permitted) [?].
    pub const LOGIN_RESTRICTED: i64 = -68;
    /// Login forbidden for this user [?].
    pub const LOGIN_FORBIDDEN: i64 = -70;

    /// A short English meaning of a `status` code, or `None` for a code Lampboard does not know.
    pub fn meaning(code: i64) -> Option<&'static str> {
        Some(match code {
            OK => "success",
            INVALID_PARAMETERS => "invalid parameters (a field is missing or not known)",
            NEED_AUTHENTICATION => "not logged in",
            COOKIE_ERROR => "session cookie invalid or expired",
            SYSTEM_TIMEOUT => "the UCM timed out",
            SYSTEM_ERROR => "internal error on the UCM",
            INVALID_VALUE => "a field has an invalid value",
            NO_SUCH_ITEM => "no such item (unknown extension?)",
            UNSUPPORTED => "action not supported by this UCM firmware",
            UPDATE_FAILED => "the UCM could not store the change",
            WRONG_PASSWORD => "wrong API user name or password",
            NO_PERMISSION => "the API user has no permission for this",
            LOGIN_RESTRICTED => "login restricted (too many attempts, or this address is not permitted)",
            LOGIN_FORBIDDEN => "login forbidden for this user",
            _ => return None,
        })
    }
}

/// A failed UCM API operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UcmError {
    /// The configuration cannot be used (no password, not an `https://` URL, …).
    Config(String),
    /// The CA file could not be read or holds no certificate.
    CaFile(String),
    /// The UCM's certificate was refused (unknown issuer, wrong name, expired, …). Verification
    /// is never switched off: give the UCM's CA with `ca_file` instead.
    Certificate(String),
    /// The UCM could not be reached (refused, unreachable, TLS handshake broken off).
    Connect(String),
    /// No answer within the configured timeout.
    Timeout,
    /// The HTTP layer answered something other than 200.
    Http(u16),
    /// The answer is not the UCM's JSON envelope, or lacks a field it must have.
    BadResponse(String),
    /// Login refused: wrong API user name or password (UCM status -37). Not retried.
    WrongPassword,
    /// Login refused for another reason (restricted, forbidden), with the UCM status.
    LoginRefused {
        /// The UCM `status` code.
        code: i64,
    },
    /// The session cookie was refused again right after a fresh login (UCM status -6).
    CookieRejected,
    /// The API user may not do this (UCM status -47).
    PermissionDenied {
        /// The API action that was refused.
        action: String,
    },
    /// Any other non-zero UCM `status`.
    Api {
        /// The API action that failed.
        action: String,
        /// The UCM `status` code.
        code: i64,
    },
    /// The settings to send break a rule of the UCM (text too long, too many whitelist entries…).
    InvalidSettings(String),
    /// The UCM accepted the change, but reading the account back shows something else.
    NotApplied {
        /// What was sent.
        wanted: String,
        /// What `getSIPAccount` shows.
        got: String,
    },
}

impl fmt::Display for UcmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UcmError::Config(why) => write!(f, "UCM API configuration: {why}"),
            UcmError::CaFile(why) => write!(f, "UCM CA file: {why}"),
            UcmError::Certificate(why) => write!(
                f,
                "the UCM's TLS certificate is not trusted ({why}); give its CA certificate (PEM) as the CA file"
            ),
            UcmError::Connect(why) => write!(f, "cannot reach the UCM: {why}"),
            UcmError::Timeout => f.write_str("the UCM did not answer in time"),
            UcmError::Http(code) => write!(f, "the UCM answered HTTP {code} (is the URL the API, …:8089/api?)"),
            UcmError::BadResponse(why) => write!(f, "unexpected answer from the UCM API: {why}"),
            UcmError::WrongPassword => {
                f.write_str("the UCM refused the login: wrong API user name or password (status -37)")
            }
            UcmError::LoginRefused { code } => {
                write!(f, "the UCM refused the login: {} (status {code})", status::meaning(*code).unwrap_or("unknown"))
            }
            UcmError::CookieRejected => {
                f.write_str("the UCM refused the session cookie even after a fresh login (status -6)")
            }
            UcmError::PermissionDenied { action } => {
                write!(f, "the UCM API user has no permission for {action} (status -47)")
            }
            UcmError::Api { action, code } => match status::meaning(*code) {
                Some(m) => write!(f, "UCM {action} failed: {m} (status {code})"),
                None => write!(f, "UCM {action} failed with status {code}"),
            },
            UcmError::InvalidSettings(why) => write!(f, "settings not accepted for the UCM: {why}"),
            UcmError::NotApplied { wanted, got } => {
                write!(f, "the UCM took the change but reads back {got:?} instead of {wanted:?}")
            }
        }
    }
}

impl std::error::Error for UcmError {}
