//! The configuration file: a versioned TOML document (`version = 1`) with the accounts, the
//! default account, the wall layout, audio device names and UI preferences.
//!
//! It never holds a password: those are in the OS keyring ([`crate::secrets`]); a file with
//! a `password` key is refused. Loading and saving live in [`mod@file`]: a bad file is an error
//! with its line, column and field, and a failed load or save never replaces a good file.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub mod account;
pub mod file;
pub mod settings;
pub mod wall;

pub use account::{Account, FeatureCodes, PbxProfile, PresenceBackend, UcmApi};
pub use file::{ConfigError, load, load_or_default, parse, save, to_toml};
pub use wall::{KeyKind, Wall, WallKey, WallPage};

/// The config format this build reads and writes.
pub const CONFIG_VERSION: u32 = 1;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Format version ([`CONFIG_VERSION`]).
    pub version: u32,
    /// Name of the account used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_account: Option<String>,
    /// Audio devices.
    #[serde(default, skip_serializing_if = "is_default")]
    pub audio: Audio,
    /// UI preferences.
    #[serde(default, skip_serializing_if = "is_default")]
    pub prefs: Prefs,
    /// SIP accounts.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The wall layout.
    #[serde(default, skip_serializing_if = "is_default")]
    pub wall: Wall,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: CONFIG_VERSION,
            default_account: None,
            audio: Audio::default(),
            prefs: Prefs::default(),
            accounts: Vec::new(),
            wall: Wall::default(),
        }
    }
}

/// Audio device names (as the audio backend lists them); none = the system default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audio {
    /// Microphone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Speaker / headset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Where the ring tone plays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring: Option<String>,
    /// Codecs offered and accepted in calls, best first (`opus`, `G722`, `PCMU`, `PCMA`);
    /// none = all of them in that order. Codecs left out are not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<Vec<String>>,
}

/// Window position and size in logical points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometry {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// UI preferences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefs {
    /// Key size on the wall in points; none = the theme's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<f32>,
    /// The main window's last geometry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Geometry>,
    /// Dark theme (none = follow the system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dark: Option<bool>,
    /// Start minimised.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub start_minimised: bool,
    /// Which LED the keys show: `presence` (default), `line` or `idle-dark`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub led_profile: Option<String>,
}

impl Config {
    /// The account called `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The default account: the named one, or the only one.
    pub fn default_account(&self) -> Option<&Account> {
        match &self.default_account {
            Some(n) => self.account(n),
            None if self.accounts.len() == 1 => self.accounts.first(),
            None => None,
        }
    }

    /// Adds `account`, or replaces the one with the same name; returns whether it replaced one.
    pub fn upsert_account(&mut self, account: Account) -> bool {
        match self.accounts.iter_mut().find(|a| a.name == account.name) {
            Some(slot) => {
                *slot = account;
                true
            }
            None => {
                self.accounts.push(account);
                false
            }
        }
    }

    /// Removes the account called `name` (and clears it as the default); returns it.
    pub fn remove_account(&mut self, name: &str) -> Option<Account> {
        let i = self.accounts.iter().position(|a| a.name == name)?;
        if self.default_account.as_deref() == Some(name) {
            self.default_account = None;
        }
        Some(self.accounts.remove(i))
    }

    /// Checks what the types cannot: unique account names, the default exists, valid fields.
    /// `Err((field, message))` with the field as a path (`accounts[1].server`).
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (i, a) in self.accounts.iter().enumerate() {
            a.validate().map_err(|(f, m)| (format!("accounts[{i}].{f}"), m))?;
            if self.accounts[..i].iter().any(|b| b.name == a.name) {
                return Err((format!("accounts[{i}].name"), format!("{:?} is used by another account", a.name)));
            }
        }
        if let Some(d) = &self.default_account
            && self.account(d).is_none()
        {
            return Err(("default_account".into(), format!("no account is called {d:?}")));
        }
        if let Some(codecs) = &self.audio.codecs {
            settings::validate_codecs(codecs).map_err(|m| ("audio.codecs".to_string(), m))?;
        }
        if let Some(k) = self.prefs.key_size
            && !(8.0..=1000.0).contains(&k)
        {
            return Err(("prefs.key_size".into(), "must be between 8 and 1000".into()));
        }
        self.wall.validate()
    }
}

/// Where Lampboard keeps its files on this platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file (`…/lampboard/config.toml` in the platform config dir).
    pub config_file: PathBuf,
    /// The data dir (call history, logs).
    pub data_dir: PathBuf,
}

impl Paths {
    /// The platform dirs (XDG on Linux, honouring `XDG_CONFIG_HOME`/`XDG_DATA_HOME`;
    /// `~/Library/Application Support` on macOS; `%APPDATA%` on Windows). `None` when the
    /// home directory cannot be found.
    pub fn platform() -> Option<Paths> {
        let dirs = directories::ProjectDirs::from("", "", "lampboard")?;
        Some(Paths { config_file: dirs.config_dir().join("config.toml"), data_dir: dirs.data_dir().to_path_buf() })
    }

    /// The call history database in the data dir.
    pub fn history_db(&self) -> PathBuf {
        self.data_dir.join("history.sqlite3")
    }
}
