//! Secrets (SIP passwords, the UCM API password): never in the config file, never on the
//! command line, never in logs.
//!
//! [`SecretStore`] is the interface; [`KeyringStore`] keeps secrets in the OS keyring
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) through
//! `keyring-core`, [`MemoryStore`] keeps them for this process only (tests, and the
//! session-only fallback when no keyring service is running). Entries are named service
//! [`SERVICE`] + user = the account name ([`sip_key`], [`ucm_api_key`]).
//!
//! Keyring calls block (D-Bus round trips): call them from a plain thread or
//! `spawn_blocking`, not from the UI thread's frame.

use std::fmt;
use std::sync::Arc;

mod keyring;
mod memory;

pub use keyring::KeyringStore;
pub use memory::MemoryStore;

/// The keyring service name of every Lampboard entry.
pub const SERVICE: &str = "lampboard";

/// The environment variable that chooses the store (a test hook): unset or `os` = the OS
/// keyring; `memory:` = this process only, nothing persists.
pub const STORE_ENV: &str = "LAMPBOARD_SECRET_STORE";

/// The keyring user name of an account's SIP password: the account name itself.
pub fn sip_key(account: &str) -> String {
    account.to_string()
}

/// The keyring user name of an account's UCM API password.
pub fn ucm_api_key(account: &str) -> String {
    format!("{account}/ucm-api")
}

/// Why a secret could not be read, stored or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// No keyring service is running (no D-Bus session, or nothing owns
    /// `org.freedesktop.secrets`). The detail is the platform's message.
    NoService(String),
    /// The keyring is there but locked, or the user refused access.
    Locked(String),
    /// The key or secret cannot be stored (empty, too long, not UTF-8…).
    Invalid(String),
    /// Any other failure of the platform store.
    Backend(String),
}

impl SecretError {
    /// True when falling back to a session-only secret is the sensible offer.
    pub fn is_no_service(&self) -> bool {
        matches!(self, SecretError::NoService(_))
    }
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::NoService(d) => write!(
                f,
                "no Secret Service running (is a keyring such as gnome-keyring or KWallet started?): {d} — \
                 the password can be kept for this session only"
            ),
            SecretError::Locked(d) => write!(f, "the keyring is locked or refused access: {d}"),
            SecretError::Invalid(d) => write!(f, "cannot store this secret: {d}"),
            SecretError::Backend(d) => write!(f, "keyring error: {d}"),
        }
    }
}

impl std::error::Error for SecretError {}

/// Where secrets are kept. Implementations are cheap to share (`Arc<dyn SecretStore>`).
pub trait SecretStore: Send + Sync {
    /// The secret stored under `key`, `None` if there is none.
    fn get(&self, key: &str) -> Result<Option<String>, SecretError>;
    /// Stores (or replaces) the secret under `key`.
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError>;
    /// Deletes the secret under `key`; `Ok(false)` when there was none.
    fn delete(&self, key: &str) -> Result<bool, SecretError>;
    /// A short human description ("OS keyring (Secret Service)", "memory, this session only").
    fn describe(&self) -> String;
    /// Whether secrets outlive this process.
    fn is_persistent(&self) -> bool;
}

/// The store chosen for this process, and why when it is not the OS keyring.
pub struct OpenedStore {
    /// The store to use.
    pub store: Arc<dyn SecretStore>,
    /// Set when the OS keyring was wanted but is not available, so secrets are kept for this
    /// session only: show it to the user.
    pub fallback: Option<SecretError>,
}

impl fmt::Debug for OpenedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedStore").field("store", &self.store.describe()).field("fallback", &self.fallback).finish()
    }
}

/// Opens the store named by `spec` (the value of [`STORE_ENV`]): `None`/`""`/`os` = the OS
/// keyring, falling back to a session-only memory store (with the reason) when no keyring
/// service runs; `memory:` = memory only. An unknown spec is an error.
pub fn open(spec: Option<&str>) -> Result<OpenedStore, SecretError> {
    match spec.map(str::trim).unwrap_or("") {
        "" | "os" => Ok(match KeyringStore::os() {
            Ok(s) => OpenedStore { store: Arc::new(s), fallback: None },
            Err(e) if e.is_no_service() => OpenedStore { store: Arc::new(MemoryStore::new()), fallback: Some(e) },
            Err(e) => return Err(e),
        }),
        s if s.starts_with("memory:") => Ok(OpenedStore { store: Arc::new(MemoryStore::new()), fallback: None }),
        other => Err(SecretError::Invalid(format!("{STORE_ENV}={other:?}: use `os` or `memory:`"))),
    }
}

/// [`open`] with the spec from the environment ([`STORE_ENV`]).
pub fn open_from_env() -> Result<OpenedStore, SecretError> {
    open(std::env::var(STORE_ENV).ok().as_deref())
}
