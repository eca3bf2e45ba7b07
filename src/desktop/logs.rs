//! The desktop app's log files: in the platform's log directory, one file a day
//! (`lampboard.YYYY-MM-DD.log`), the last [`KEEP_FILES`] kept. The headless subcommands log to
//! stderr only; the desktop app to both.
//!
//! Directory: `LAMPBOARD_LOG_DIR` if set; else `$XDG_STATE_HOME/lampboard/logs` (Linux,
//! `~/.local/state/…`), `~/Library/Logs/Lampboard` (macOS), `%LOCALAPPDATA%\lampboard\logs`
//! (Windows).

use std::path::PathBuf;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// How many daily files are kept (older ones are deleted when a new day starts).
pub const KEEP_FILES: usize = 7;

/// Where the log files go on this platform (see the module docs); `None` without a home dir.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("LAMPBOARD_LOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if cfg!(target_os = "macos") {
        return Some(directories::BaseDirs::new()?.home_dir().join("Library").join("Logs").join("Lampboard"));
    }
    let dirs = directories::ProjectDirs::from("", "", "lampboard")?;
    Some(dirs.state_dir().unwrap_or(dirs.data_local_dir()).join("logs"))
}

/// The rotating file writer in `dir` (created when missing).
pub fn appender(dir: &std::path::Path) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("lampboard")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| format!("cannot log to {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn writes_a_dated_file_in_the_dir() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("a").join("logs");
        let mut w = appender(&logs).unwrap();
        w.write_all(b"hello\n").unwrap();
        w.flush().unwrap();
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].to_string_lossy().into_owned();
        assert!(name.starts_with("lampboard.") && name.ends_with(".log"), "{name}");
        assert_eq!(std::fs::read_to_string(logs.join(&files[0])).unwrap(), "hello\n");
    }
}
