//! The wall layout: pages of keys, like a phone's extension modules. Each key watches a
//! colleague (presence watcher or BLF) or is a speed dial; an optional group name lets the
//! UI draw sections inside a page.

use serde::{Deserialize, Serialize};

/// What a key on the wall does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Presence watcher: status icon + label colour + LED with the line overlaid.
    #[default]
    Presence,
    /// Busy lamp field: the line state only.
    Blf,
    /// Speed dial: no subscription, a call on click.
    SpeedDial,
}

/// One key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallKey {
    /// What the key does.
    #[serde(rename = "type", default)]
    pub kind: KeyKind,
    /// Extension, number or SIP URI.
    pub ext: String,
    /// Label shown on the key (default: what the server says, or the extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Section inside the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl WallKey {
    /// A key of `kind` for `ext`.
    pub fn new(kind: KeyKind, ext: &str, label: Option<&str>) -> WallKey {
        WallKey { kind, ext: ext.to_string(), label: label.map(str::to_string), group: None }
    }
}

/// One page of keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallPage {
    /// The page's title.
    pub name: String,
    /// The keys, in display order.
    #[serde(default)]
    pub keys: Vec<WallKey>,
}

/// The whole wall.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wall {
    /// Pages, in order.
    #[serde(default)]
    pub pages: Vec<WallPage>,
}

/// Most keys a wall may hold (the UI is measured with 1,000).
pub const MAX_KEYS: usize = 5000;

impl Wall {
    /// Every key of every page, in order.
    pub fn keys(&self) -> impl Iterator<Item = &WallKey> {
        self.pages.iter().flat_map(|p| p.keys.iter())
    }

    /// The extensions to watch, each once, in wall order: `(presence, dialog)`. Presence
    /// watcher keys need both packages (the line overlays the status), BLF keys only
    /// `dialog`, speed dials nothing.
    pub fn watch_targets(&self) -> (Vec<String>, Vec<String>) {
        let (mut presence, mut dialog) = (Vec::new(), Vec::new());
        let add = |list: &mut Vec<String>, ext: &String| {
            if !list.contains(ext) {
                list.push(ext.clone());
            }
        };
        for k in self.keys() {
            match k.kind {
                KeyKind::Presence => {
                    add(&mut presence, &k.ext);
                    add(&mut dialog, &k.ext);
                }
                KeyKind::Blf => add(&mut dialog, &k.ext),
                KeyKind::SpeedDial => {}
            }
        }
        (presence, dialog)
    }

    /// Checks the layout; `Err((field, message))` with the field as a path.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let total: usize = self.pages.iter().map(|p| p.keys.len()).sum();
        if total > MAX_KEYS {
            return Err(("wall.pages".into(), format!("{total} keys; at most {MAX_KEYS}")));
        }
        for (i, page) in self.pages.iter().enumerate() {
            if page.name.trim().is_empty() {
                return Err((format!("wall.pages[{i}].name"), "must not be empty".into()));
            }
            for (j, key) in page.keys.iter().enumerate() {
                let ext = key.ext.trim();
                if ext.is_empty() || ext.contains(char::is_whitespace) {
                    return Err((format!("wall.pages[{i}].keys[{j}].ext"), "must be an extension or SIP URI".into()));
                }
            }
        }
        Ok(())
    }
}
