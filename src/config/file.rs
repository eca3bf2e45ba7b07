//! Reading and writing the config file.
//!
//! * A bad file is an error naming the file, line, column and field (`accounts[1].port`).
//! * A file of a newer format (`version` above [`CONFIG_VERSION`]) is refused, never guessed at.
//! * A `password` (or `secret`) key anywhere is refused: secrets live in the keyring.
//! * Saving writes a temp file in the same directory, fsyncs it, renames it over the old
//!   file and fsyncs the directory: a crash or a failed save leaves the old file whole.

use super::{CONFIG_VERSION, Config};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the config could not be loaded or saved.
#[derive(Debug)]
pub enum ConfigError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    Parse {
        /// The file (empty when parsing a string).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field, as a path (`accounts[0].port`), when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer Lampboard (or has no usable `version`).
    Version {
        /// The file.
        path: PathBuf,
        /// The version found (`None`: missing or not a number).
        found: Option<i64>,
    },
    /// The values are well-formed but inconsistent (duplicate names, unknown default…).
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, as a path.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { path, action, source } => write!(f, "cannot {action} {}: {source}", path.display()),
            ConfigError::Parse { path, line, column, field, message } => {
                write!(f, "{}:{line}:{column}: ", path.display())?;
                if let Some(field) = field {
                    write!(f, "field `{field}`: ")?;
                }
                write!(f, "{message}")
            }
            ConfigError::Version { path, found: Some(v) } => write!(
                f,
                "{}: config version {v} is not supported by this Lampboard (it reads version {CONFIG_VERSION}); \
                 use a newer Lampboard or restore a backup",
                path.display()
            ),
            ConfigError::Version { path, found: None } => {
                write!(f, "{}: no `version = {CONFIG_VERSION}` line: is this a Lampboard config?", path.display())
            }
            ConfigError::Invalid { path, field, message } => {
                write!(f, "{}: field `{field}`: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Keys that would hold a secret; refused anywhere in the file.
const SECRET_KEYS: [&str; 4] = ["password", "passwd", "secret", "api_password"];

/// Parses config text; `path` only labels errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        ConfigError::Parse { path: path.to_path_buf(), line, column, field: field_at(text, offset), message }
    };
    // First as plain TOML: syntax errors, the version, and secrets, before the schema.
    let doc: toml::Table = toml::from_str(text).map_err(|e| at(e.span().map_or(0, |s| s.start), e.message().into()))?;
    match doc.get("version").and_then(toml::Value::as_integer) {
        Some(v) if v == i64::from(CONFIG_VERSION) => {}
        found => return Err(ConfigError::Version { path: path.to_path_buf(), found }),
    }
    if let Some(key) = find_secret_key(&doc) {
        let offset = find_key_offset(text, key).unwrap_or(0);
        return Err(at(
            offset,
            format!("`{key}` is not allowed here: passwords live in the OS keyring (`lampboard account add`)"),
        ));
    }
    let config: Config = toml::from_str(text).map_err(|e| at(e.span().map_or(0, |s| s.start), e.message().into()))?;
    config.validate().map_err(|(field, message)| ConfigError::Invalid { path: path.to_path_buf(), field, message })?;
    Ok(config)
}

/// The TOML text of `config` (validated first).
pub fn to_toml(config: &Config) -> Result<String, ConfigError> {
    let invalid = |field: String, message: String| ConfigError::Invalid { path: PathBuf::new(), field, message };
    config.validate().map_err(|(f, m)| invalid(f, m))?;
    let body = toml::to_string_pretty(config).map_err(|e| invalid(String::new(), e.to_string()))?;
    Ok(format!("# Lampboard configuration. Passwords are not kept here but in the OS keyring.\n{body}"))
}

/// Loads the config file at `path`; a missing file is an `Io` error with kind `NotFound`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    })?;
    parse(&text, path)
}

/// Loads the config file at `path`, or the empty default when there is none yet.
pub fn load_or_default(path: &Path) -> Result<Config, ConfigError> {
    match load(path) {
        Err(ConfigError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        other => other,
    }
}

/// Saves `config` at `path` atomically (temp file, fsync, rename, fsync of the directory).
/// On any error the previous file is untouched.
pub fn save(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let text = to_toml(config).map_err(|e| match e {
        ConfigError::Invalid { field, message, .. } => {
            ConfigError::Invalid { path: path.to_path_buf(), field, message }
        }
        other => other,
    })?;
    let io = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| ConfigError::Io { path: p, action, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io("create the directory", &dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "config".into());
    // Unique per process and per save, so two saves never share a temp file.
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ConfigError::Io { path: tmp, action: "write", source });
    }
    if let Err(source) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(ConfigError::Io { path: path.to_path_buf(), action: "replace", source });
    }
    // The rename is durable once the directory entry is on disk (not possible on Windows).
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

/// The field at byte `offset`: the table header above it (with array indices) and the key
/// on its line, as `accounts[1].port`. Best effort: `None` when the line has no key.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let (line_no, _) = line_col(text, offset);
    let mut arrays: HashMap<String, usize> = HashMap::new();
    let mut table = String::new();
    let mut key = None;
    for (i, raw) in text.lines().enumerate().take(line_no) {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            // A new element of `name` restarts the arrays nested in it.
            arrays.retain(|k, _| !k.starts_with(&format!("{name}.")));
            *arrays.entry(name.clone()).or_insert(0) += 1;
            table = indexed(&name, &arrays);
            key = None;
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = indexed(name.trim(), &arrays);
            key = None;
        } else if i + 1 == line_no {
            key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty());
        }
    }
    match (table.is_empty(), key) {
        (true, k) => k,
        (false, Some(k)) => Some(format!("{table}.{k}")),
        (false, None) => Some(table),
    }
}

/// `wall.pages.keys` → `wall.pages[1].keys[3]` using the element counts seen so far.
fn indexed(name: &str, arrays: &HashMap<String, usize>) -> String {
    let mut out = String::new();
    let mut prefix = String::new();
    for seg in name.split('.') {
        if !prefix.is_empty() {
            prefix.push('.');
            out.push('.');
        }
        prefix.push_str(seg.trim());
        out.push_str(seg.trim());
        if let Some(n) = arrays.get(&prefix) {
            out.push_str(&format!("[{}]", n - 1));
        }
    }
    out
}

/// The first secret-looking key anywhere in the document.
fn find_secret_key(table: &toml::Table) -> Option<&'static str> {
    fn walk(v: &toml::Value) -> Option<&'static str> {
        match v {
            toml::Value::Table(t) => find_secret_key(t),
            toml::Value::Array(a) => a.iter().find_map(walk),
            _ => None,
        }
    }
    for (k, v) in table {
        if let Some(s) = SECRET_KEYS.iter().find(|s| k.eq_ignore_ascii_case(s)) {
            return Some(s);
        }
        if let Some(s) = walk(v) {
            return Some(s);
        }
    }
    None
}

/// Byte offset of the line that assigns `key` (for the error position).
fn find_key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches('"').eq_ignore_ascii_case(key)
        {
            return Some(offset + (line.len() - t.len()));
        }
        offset += line.len();
    }
    None
}
