//! Secrets kept in this process only: for tests, and the session-only fallback when no
//! keyring service is running.

use super::{SecretError, SecretStore};
use std::collections::HashMap;
use std::sync::Mutex;

/// An in-memory [`SecretStore`]; nothing outlives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, String>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding the lock cannot leave the map half-updated (single
        // insert/remove calls), so a poisoned lock is still usable.
        self.secrets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        Ok(self.map().get(key).cloned())
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        super::keyring::check_key(key)?;
        if secret.is_empty() {
            return Err(SecretError::Invalid("empty password".into()));
        }
        self.map().insert(key.to_string(), secret.to_string());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, SecretError> {
        Ok(self.map().remove(key).is_some())
    }

    fn describe(&self) -> String {
        "memory (this session only)".into()
    }

    fn is_persistent(&self) -> bool {
        false
    }
}
