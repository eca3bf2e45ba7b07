//! The OS keyring through `keyring-core` and the per-OS store crates: Secret Service over
//! D-Bus on Linux (pure Rust crypto), the login Keychain on macOS, Credential Manager on
//! Windows.

use super::{SERVICE, SecretError, SecretStore};
use keyring_core::{CredentialStore, Entry, Error};
use std::fmt;
use std::sync::Arc;

/// Secrets in a `keyring-core` credential store (the OS keyring, or a mock in tests).
pub struct KeyringStore {
    store: Arc<CredentialStore>,
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore").field("vendor", &self.store.vendor()).finish()
    }
}

impl KeyringStore {
    /// Connects to the OS keyring. On Linux this needs a D-Bus session bus and a Secret
    /// Service (gnome-keyring, KWallet, KeePassXC…); without one the error is
    /// [`SecretError::NoService`].
    pub fn os() -> Result<KeyringStore, SecretError> {
        let store: Arc<CredentialStore> = os_store().map_err(|e| classify(&e))?;
        Ok(KeyringStore { store })
    }

    /// Uses the given `keyring-core` store (e.g. `keyring_core::mock::Store::new()` in tests).
    pub fn with_store(store: Arc<CredentialStore>) -> KeyringStore {
        KeyringStore { store }
    }

    fn entry(&self, key: &str) -> Result<Entry, SecretError> {
        check_key(key)?;
        Entry::new_in_store(&self.store, SERVICE, key).map_err(|e| classify(&e))
    }
}

#[cfg(target_os = "linux")]
fn os_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn os_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn os_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn os_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(Error::NotSupportedByStore("no OS keyring support for this platform".into()))
}

/// Keys are account names (plus a `/suffix`): short, printable, no control characters.
pub(super) fn check_key(key: &str) -> Result<(), SecretError> {
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(SecretError::Invalid(format!("bad key {key:?}")));
    }
    Ok(())
}

/// Sorts a keyring error into ours; the message never contains the secret.
fn classify(e: &Error) -> SecretError {
    let text = e.to_string();
    let lower = format!("{e:?} {text}").to_ascii_lowercase();
    let no_service = [
        "org.freedesktop.secrets",
        "serviceunknown",
        "service unknown",
        "was not provided by any",
        "dbus_session_bus_address",
        "no such file or directory",
        "connection refused",
        "not supported by store",
    ];
    match e {
        Error::NoStorageAccess(_) => SecretError::Locked(text),
        Error::TooLong(..) | Error::Invalid(..) | Error::BadEncoding(_) => SecretError::Invalid(text),
        Error::NotSupportedByStore(_) | Error::NoDefaultStore => SecretError::NoService(text),
        Error::PlatformFailure(_) if no_service.iter().any(|n| lower.contains(n)) => SecretError::NoService(text),
        _ => SecretError::Backend(text),
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(&e)),
        }
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        if secret.is_empty() {
            return Err(SecretError::Invalid("empty password".into()));
        }
        self.entry(key)?.set_password(secret).map_err(|e| classify(&e))
    }

    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(classify(&e)),
        }
    }

    fn describe(&self) -> String {
        format!("OS keyring ({})", self.store.vendor())
    }

    fn is_persistent(&self) -> bool {
        true
    }
}
