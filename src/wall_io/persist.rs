//! Writing the wall into the config file (`[wall]` of `config.toml`), the same file the
//! desktop app reads its keys from at start. The rest of the file is kept as it is; the
//! save is atomic ([`crate::config::save`]).

use super::{WallEntry, to_config_wall};
use crate::config::{self, ConfigError};
use std::path::Path;

/// Replaces the wall in the config file at `path` with `entries` (creating the file with
/// defaults when it does not exist). A config that does not load is not overwritten.
pub fn save_wall(path: &Path, entries: &[WallEntry]) -> Result<(), ConfigError> {
    let mut cfg = config::load_or_default(path)?;
    cfg.wall = to_config_wall(entries);
    cfg.validate().map_err(|(field, message)| ConfigError::Invalid { path: path.to_path_buf(), field, message })?;
    config::save(&cfg, path)
}

/// The wall stored in the config file at `path` (empty when the file does not exist).
pub fn load_wall(path: &Path) -> Result<Vec<WallEntry>, ConfigError> {
    Ok(super::from_config_wall(&config::load_or_default(path)?.wall))
}
