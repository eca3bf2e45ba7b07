//! Account management shared by `lampboard account …` and the console's account wizard:
//! an account goes into the config file (atomic save, the other accounts kept) and its
//! passwords go ONLY into a [`SecretStore`] ([`secrets::sip_key`], [`secrets::ucm_api_key`]).
//!
//! Saving is all or nothing as far as the two stores allow: everything is validated before a
//! secret is written, and when the config file cannot be written afterwards the secrets are
//! put back as they were. Secret stores may block (D-Bus): call these from a worker thread,
//! not from a UI frame.

use crate::config::{self, Account, Config, ConfigError};
use crate::secrets::{self, SecretError, SecretStore};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The passwords to store with an account; `None` leaves the stored one as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewSecrets {
    /// The SIP password (stored under [`secrets::sip_key`]).
    pub sip: Option<String>,
    /// The UCM API password (stored under [`secrets::ucm_api_key`]).
    pub ucm_api: Option<String>,
}

impl fmt::Debug for NewSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a secret, only whether there is one.
        f.debug_struct("NewSecrets")
            .field("sip", &self.sip.as_ref().map(|_| "***"))
            .field("ucm_api", &self.ucm_api.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Why an account could not be saved, removed or made the default.
#[derive(Debug)]
pub enum AccountError {
    /// The config file could not be read, or the result would not be a valid config
    /// (the field path says which value, e.g. `accounts[0].server`).
    Config(ConfigError),
    /// The secret store refused; nothing was changed.
    Secret(SecretError),
    /// No account has this name.
    NoSuchAccount(String),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::Config(e) => write!(f, "{e}"),
            AccountError::Secret(e) => write!(f, "{e}; the account was not saved"),
            AccountError::NoSuchAccount(n) => write!(f, "no account is called {n:?}"),
        }
    }
}

impl std::error::Error for AccountError {}

impl AccountError {
    /// True for problems of the user's input or of the file as written (a bad value, an
    /// unknown account, a file that cannot be read or parsed), as opposed to a failing
    /// keyring or a file that cannot be written.
    pub fn is_usage(&self) -> bool {
        match self {
            AccountError::NoSuchAccount(_) => true,
            AccountError::Secret(_) => false,
            AccountError::Config(ConfigError::Io { action, .. }) => *action == "read",
            AccountError::Config(_) => true,
        }
    }
}

/// What [`save_account`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// An account of that name was replaced.
    pub replaced: bool,
    /// The account is now the default one.
    pub is_default: bool,
    /// The SIP password was stored.
    pub password_stored: bool,
    /// The UCM API password was stored.
    pub ucm_api_password_stored: bool,
}

/// The config with `account` added (or replacing the one of the same name), made the default
/// when `make_default` or when it is the only account; validated, nothing written.
pub fn with_account(mut config: Config, account: Account, make_default: bool) -> Result<(Config, bool), ConfigError> {
    let name = account.name.clone();
    let replaced = config.upsert_account(account);
    if make_default || config.accounts.len() == 1 {
        config.default_account = Some(name);
    }
    config::to_toml(&config)?;
    Ok((config, replaced))
}

/// Adds `account` to the config file at `path` (or replaces the one with its name), stores
/// the given passwords in `store`, and writes the file atomically. Other accounts stay.
pub fn save_account(
    path: &Path,
    store: Option<&dyn SecretStore>,
    account: Account,
    secrets: &NewSecrets,
    make_default: bool,
) -> Result<Saved, AccountError> {
    let name = account.name.clone();
    let current = config::load_or_default(path).map_err(AccountError::Config)?;
    // Everything is checked before a secret is written.
    let (config, replaced) = with_account(current, account, make_default).map_err(AccountError::Config)?;
    let writes: Vec<(String, &str)> =
        [(secrets::sip_key(&name), secrets.sip.as_deref()), (secrets::ucm_api_key(&name), secrets.ucm_api.as_deref())]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
    let undo = match (store, writes.is_empty()) {
        (_, true) => Vec::new(),
        (None, false) => {
            return Err(AccountError::Secret(SecretError::NoService("no secret store is open".into())));
        }
        (Some(store), false) => write_secrets(store, &writes).map_err(AccountError::Secret)?,
    };
    if let Err(e) = config::save(&config, path) {
        if let Some(store) = store {
            restore(store, undo);
        }
        return Err(AccountError::Config(e));
    }
    Ok(Saved {
        replaced,
        is_default: config.default_account.as_deref() == Some(name.as_str()),
        password_stored: secrets.sip.is_some(),
        ucm_api_password_stored: secrets.ucm_api.is_some(),
    })
}

/// The previous value of each key written, to put back when a later step fails.
type Undo = Vec<(String, Option<String>)>;

/// Writes `writes`; on a failure puts back what was written before and returns the error.
fn write_secrets(store: &dyn SecretStore, writes: &[(String, &str)]) -> Result<Undo, SecretError> {
    let mut undo = Undo::new();
    for (key, secret) in writes {
        let step = store.get(key).and_then(|old| store.set(key, secret).map(|()| old));
        match step {
            Ok(old) => undo.push((key.clone(), old)),
            Err(e) => {
                restore(store, undo);
                return Err(e);
            }
        }
    }
    Ok(undo)
}

/// Puts the secrets of `undo` back (best effort: this already is the failure path).
fn restore(store: &dyn SecretStore, undo: Undo) {
    for (key, old) in undo.into_iter().rev() {
        let _ = match old {
            Some(v) => store.set(&key, &v),
            None => store.delete(&key).map(|_| ()),
        };
    }
}

/// What [`remove_account`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The keyring entries were deleted (`Ok(false)`: there were none).
    pub password_deleted: Result<bool, String>,
}

/// Removes the account `name` from the config file at `path`, then its secrets from
/// `store`. The account is gone even when the store cannot be reached (a stale entry is
/// said in [`Removed::password_deleted`], no reason to fail).
pub fn remove_account(path: &Path, store: Option<&dyn SecretStore>, name: &str) -> Result<Removed, AccountError> {
    let mut config = config::load_or_default(path).map_err(AccountError::Config)?;
    if config.remove_account(name).is_none() {
        return Err(AccountError::NoSuchAccount(name.to_string()));
    }
    config::save(&config, path).map_err(AccountError::Config)?;
    let password_deleted = match store {
        Some(store) => {
            let sip = store.delete(&secrets::sip_key(name));
            let _ = store.delete(&secrets::ucm_api_key(name));
            sip.map_err(|e| e.to_string())
        }
        None => Err("no secret store is open".to_string()),
    };
    Ok(Removed { password_deleted })
}

/// Makes `name` the default account in the config file at `path`.
pub fn set_default(path: &Path, name: &str) -> Result<(), AccountError> {
    let mut config = config::load_or_default(path).map_err(AccountError::Config)?;
    if config.account(name).is_none() {
        return Err(AccountError::NoSuchAccount(name.to_string()));
    }
    config.default_account = Some(name.to_string());
    config::save(&config, path).map_err(AccountError::Config)
}

/// Where a secret store comes from: given, or opened once on first use (the OS keyring's
/// D-Bus connection then happens on the worker that first needs it, not at start).
#[derive(Clone)]
pub struct SecretSource {
    opened: Arc<Mutex<Option<StoreResult>>>,
    open: Option<Arc<OpenStore>>,
}

/// A secret store, or why there is none.
pub type StoreResult = Result<Arc<dyn SecretStore>, String>;

/// Opens the secret store (e.g. the OS keyring).
pub type OpenStore = dyn Fn() -> StoreResult + Send + Sync;

impl SecretSource {
    /// A store already opened (or why there is none).
    pub fn ready(store: Result<Arc<dyn SecretStore>, String>) -> SecretSource {
        SecretSource { opened: Arc::new(Mutex::new(Some(store))), open: None }
    }

    /// A store that `open` opens on the first [`SecretSource::get`].
    pub fn lazy(open: impl Fn() -> Result<Arc<dyn SecretStore>, String> + Send + Sync + 'static) -> SecretSource {
        SecretSource { opened: Arc::new(Mutex::new(None)), open: Some(Arc::new(open)) }
    }

    /// The store; may block the first time (call it on a worker thread).
    pub fn get(&self) -> Result<Arc<dyn SecretStore>, String> {
        // Held while opening, so two workers never open the store twice; a poisoned lock
        // holds at worst no result yet, which is then opened again.
        let mut slot = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let opened = match &self.open {
                Some(f) => f(),
                None => Err("no secret store".to_string()),
            };
            *slot = Some(opened);
        }
        slot.clone().unwrap_or_else(|| Err("no secret store".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    /// A memory store whose `set` fails for one key.
    struct Flaky {
        inner: MemoryStore,
        fail_for: String,
    }

    impl SecretStore for Flaky {
        fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
            if key == self.fail_for {
                return Err(SecretError::Locked("refused in the test".into()));
            }
            self.inner.set(key, secret)
        }
        fn delete(&self, key: &str) -> Result<bool, SecretError> {
            self.inner.delete(key)
        }
        fn describe(&self) -> String {
            "flaky".into()
        }
        fn is_persistent(&self) -> bool {
            false
        }
    }

    fn both(sip: &str, ucm: &str) -> NewSecrets {
        NewSecrets { sip: Some(sip.into()), ucm_api: Some(ucm.into()) }
    }

    #[test]
    fn save_keeps_other_accounts_and_puts_passwords_only_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let store = MemoryStore::new();
        save_account(&path, Some(&store), Account::new("lab", "lab.invalid", "2001"), &both("pw-lab", "u1"), false)
            .unwrap();
        let s =
            save_account(&path, Some(&store), Account::new("office", "pbx.invalid", "1001"), &both("pw-o", "u2"), true)
                .unwrap();
        assert!(s.is_default && !s.replaced && s.password_stored);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("name = \"lab\"") && text.contains("name = \"office\""), "{text}");
        assert!(!text.contains("pw-") && !text.contains("u1") && !text.contains("u2"), "{text}");
        assert_eq!(store.get(&secrets::sip_key("office")).unwrap().as_deref(), Some("pw-o"));
        assert_eq!(store.get(&secrets::ucm_api_key("lab")).unwrap().as_deref(), Some("u1"));
        // Editing without a new password keeps the stored one.
        let s = save_account(
            &path,
            Some(&store),
            Account::new("lab", "lab2.invalid", "2001"),
            &NewSecrets::default(),
            false,
        )
        .unwrap();
        assert!(s.replaced && !s.password_stored);
        assert_eq!(store.get(&secrets::sip_key("lab")).unwrap().as_deref(), Some("pw-lab"));
    }

    #[test]
    fn a_refused_secret_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let store = Flaky { inner: MemoryStore::new(), fail_for: secrets::ucm_api_key("office") };
        store.inner.set(&secrets::sip_key("office"), "old-pw").unwrap();
        let e =
            save_account(&path, Some(&store), Account::new("office", "pbx.invalid", "1001"), &both("new", "u"), false)
                .unwrap_err();
        assert!(matches!(e, AccountError::Secret(SecretError::Locked(_))) && !e.is_usage(), "{e}");
        assert!(!path.exists(), "no config written");
        assert_eq!(store.get(&secrets::sip_key("office")).unwrap().as_deref(), Some("old-pw"), "put back");
        // Invalid input is refused before any secret is touched.
        let e = save_account(&path, Some(&store), Account::new("office", "pbx:5060", "1001"), &both("x", "y"), false)
            .unwrap_err();
        assert!(e.is_usage(), "{e}");
        assert_eq!(store.get(&secrets::sip_key("office")).unwrap().as_deref(), Some("old-pw"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_config_that_cannot_be_written_puts_the_secrets_back() {
        // Nothing can be created in /proc/self, not even by root.
        let path = Path::new("/proc/self/lampboard-test-config.toml");
        let store = MemoryStore::new();
        store.set(&secrets::sip_key("office"), "old-pw").unwrap();
        let e =
            save_account(path, Some(&store), Account::new("office", "pbx.invalid", "1001"), &both("new", "u"), false)
                .unwrap_err();
        assert!(matches!(e, AccountError::Config(ConfigError::Io { .. })) && !e.is_usage(), "{e}");
        assert_eq!(store.get(&secrets::sip_key("office")).unwrap().as_deref(), Some("old-pw"));
        assert_eq!(store.get(&secrets::ucm_api_key("office")).unwrap(), None);
    }

    #[test]
    fn remove_and_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let store = MemoryStore::new();
        for n in ["a", "b"] {
            save_account(&path, Some(&store), Account::new(n, "pbx.invalid", "1001"), &both("pw", "u"), false).unwrap();
        }
        set_default(&path, "b").unwrap();
        assert_eq!(config::load(&path).unwrap().default_account.as_deref(), Some("b"));
        assert!(matches!(set_default(&path, "zz"), Err(AccountError::NoSuchAccount(_))));
        let r = remove_account(&path, Some(&store), "b").unwrap();
        assert_eq!(r.password_deleted, Ok(true));
        let cfg = config::load(&path).unwrap();
        assert!(cfg.account("b").is_none() && cfg.default_account.is_none());
        assert_eq!(store.get(&secrets::ucm_api_key("b")).unwrap(), None);
        assert!(remove_account(&path, Some(&store), "b").unwrap_err().is_usage());
    }
}
