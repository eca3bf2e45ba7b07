//! Import and export of the wall and of contacts, without IO: every function takes the
//! file's text (or bytes) and returns keys, or returns the text to write.
//!
//! * [`wall_csv`]: the wall as CSV (`page,label,extension,type`), read and written.
//! * [`wall_json`]: the wall as versioned JSON, read and written.
//! * [`grandstream`]: keys from a Grandstream phone provisioning file (`<gs_provision>`, both
//!   the P-value and the named-item form): presence-watcher, BLF and speed-dial keys.
//! * [`contacts_csv`] and [`vcard`]: contacts (Outlook/Google/plain CSV, vCard 3.0/4.0) as
//!   speed-dial or presence keys.
//! * [`persist`]: writes a wall into the config file (the one piece that touches the disk).
//!
//! Every importer refuses input over [`MAX_INPUT_BYTES`] and walls over [`MAX_KEYS`] keys with
//! an [`ImportError`] that names the line (and column or field when known). Problems in single
//! rows do not stop an import: the row is left out and listed in [`Import::errors`] or
//! [`Import::skipped`]; a second key for the same extension is listed in
//! [`Import::duplicates`] instead of being added twice. Nothing here panics on bad input.

pub mod contacts_csv;
pub mod csv;
pub mod grandstream;
pub mod persist;
pub mod vcard;
pub mod wall_csv;
pub mod wall_json;

pub use crate::config::KeyKind;
use crate::config::{Wall, WallKey, WallPage};
use std::collections::HashMap;
use std::fmt;

/// Largest file any importer reads (8 MiB: a 10,000-line contacts export is far smaller).
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// Most keys one import may produce: the wall's own limit, so an import can always be saved.
pub const MAX_KEYS: usize = crate::config::wall::MAX_KEYS;

/// Longest label kept (the key editor's limit); longer labels are cut at a character boundary.
pub const MAX_LABEL_CHARS: usize = 64;

/// Longest extension, number or URI accepted (the key editor's limit).
pub const MAX_EXT_CHARS: usize = 128;

/// Longest page name kept (the key editor's limit).
pub const MAX_PAGE_CHARS: usize = 32;

/// The page imported keys land on when the file names none.
pub const DEFAULT_PAGE: &str = "Imported";

/// One key of the wall as the files carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallEntry {
    /// The page (group) the key sits on.
    pub page: String,
    /// The name shown on the key.
    pub label: String,
    /// Extension, number or SIP URI.
    pub ext: String,
    /// What the key does.
    pub kind: KeyKind,
}

impl WallEntry {
    /// A key of `kind` for `ext` labelled `label` on `page`.
    pub fn new(page: &str, label: &str, ext: &str, kind: KeyKind) -> Self {
        Self { page: page.to_owned(), label: label.to_owned(), ext: ext.to_owned(), kind }
    }
}

/// A key read from a file, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKey {
    /// The key.
    pub entry: WallEntry,
    /// 1-based line of the file where the key starts.
    pub line: usize,
    /// The phone key it came from (`"MPK 3"`, `"VPK 7"`, `"pks.mpk.2"`), for provisioning files.
    pub slot: Option<String>,
    /// The phone account it used (1-based), for provisioning files.
    pub account: Option<u8>,
}

/// A problem with one row, entry or key of a file (the rest is still imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The column, property or key the problem is in, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A second key for an extension that is already on the list (not imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The extension.
    pub ext: String,
    /// The line of the key left out.
    pub line: usize,
    /// The line of the key kept (`None`: the key is already on the wall).
    pub first_line: Option<usize>,
}

/// What an import read: the keys, and what it left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// The keys, in file order, each extension once.
    pub keys: Vec<ImportedKey>,
    /// Keys left out because their extension came earlier.
    pub duplicates: Vec<Duplicate>,
    /// Rows or keys left out because they are wrong (bad number, unknown type…).
    pub errors: Vec<RowIssue>,
    /// Rows or keys left out on purpose (no number, a key mode Lampboard does not show…).
    pub skipped: Vec<RowIssue>,
    /// Provisioning files: keys in other modes, by mode name (e.g. `"Voice Mail": 2`).
    pub other_modes: Vec<(String, usize)>,
}

impl Import {
    /// The imported keys without their origin.
    pub fn entries(&self) -> Vec<WallEntry> {
        self.keys.iter().map(|k| k.entry.clone()).collect()
    }

    /// A one-line summary for a preview: "12 keys, 1 duplicate, 2 errors, 3 skipped".
    pub fn summary(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut s = plural(self.keys.len(), "key", "keys");
        if !self.duplicates.is_empty() {
            s.push_str(&format!(", {}", plural(self.duplicates.len(), "duplicate", "duplicates")));
        }
        if !self.errors.is_empty() {
            s.push_str(&format!(", {}", plural(self.errors.len(), "error", "errors")));
        }
        if !self.skipped.is_empty() {
            s.push_str(&format!(", {} skipped", self.skipped.len()));
        }
        let other: usize = self.other_modes.iter().map(|(_, n)| n).sum();
        if other > 0 {
            s.push_str(&format!(", {} in other modes", plural(other, "key", "keys")));
        }
        s
    }

    /// Adds `key` unless its extension is already there (then it is a [`Duplicate`]);
    /// refuses to grow past [`MAX_KEYS`].
    fn push(&mut self, key: ImportedKey, seen: &mut HashMap<String, usize>) -> Result<(), ImportError> {
        let norm = ext_identity(&key.entry.ext);
        if let Some(&first) = seen.get(&norm) {
            self.duplicates.push(Duplicate { ext: key.entry.ext, line: key.line, first_line: Some(first) });
            return Ok(());
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(ImportError::at(key.line, format!("more than {MAX_KEYS} keys: split the file")));
        }
        seen.insert(norm, key.line);
        self.keys.push(key);
        Ok(())
    }
}

/// Collects keys while an importer runs (duplicates, limit).
#[derive(Debug, Default)]
pub(crate) struct Collector {
    import: Import,
    seen: HashMap<String, usize>,
}

impl Collector {
    pub(crate) fn key(&mut self, key: ImportedKey) -> Result<(), ImportError> {
        self.import.push(key, &mut self.seen)
    }

    pub(crate) fn error(&mut self, issue: RowIssue) -> Result<(), ImportError> {
        // A file that is wrong on every line is not worth listing line by line.
        if self.import.errors.len() >= MAX_KEYS {
            return Err(ImportError::at(issue.line, format!("more than {MAX_KEYS} bad rows; is this the right file?")));
        }
        self.import.errors.push(issue);
        Ok(())
    }

    pub(crate) fn skip(&mut self, issue: RowIssue) {
        if self.import.skipped.len() < MAX_KEYS {
            self.import.skipped.push(issue);
        }
    }

    pub(crate) fn other_mode(&mut self, mode: String) {
        match self.import.other_modes.iter_mut().find(|(m, _)| *m == mode) {
            Some((_, n)) => *n += 1,
            None => self.import.other_modes.push((mode, 1)),
        }
    }

    pub(crate) fn finish(self) -> Import {
        self.import
    }
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    /// An error about the whole file.
    pub fn file(message: impl Into<String>) -> Self {
        Self { line: None, column: None, message: message.into() }
    }

    /// An error at `line`.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), column: None, message: message.into() }
    }

    /// An error at `line`, `column`.
    pub fn at_col(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), column: Some(column), message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Refuses input over [`MAX_INPUT_BYTES`]; strips a UTF-8 byte-order mark.
pub(crate) fn prepare(text: &str) -> Result<&str, ImportError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ImportError::file(format!(
            "the file has {} bytes; at most {MAX_INPUT_BYTES} are read",
            text.len()
        )));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Reads `bytes` as UTF-8 text (with or without a byte-order mark); a clear error with the
/// line of the first bad byte otherwise.
pub fn decode_utf8(bytes: &[u8]) -> Result<String, ImportError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ImportError::file(format!(
            "the file has {} bytes; at most {MAX_INPUT_BYTES} are read",
            bytes.len()
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ImportError::at(line, "the file is not UTF-8 text (save it as UTF-8 and try again)"))
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A page name as typed (trimmed, cut to [`MAX_PAGE_CHARS`]).
pub fn clip_page(s: &str) -> String {
    clip(s, MAX_PAGE_CHARS)
}

/// Cuts `s` (trimmed) to `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_owned(),
        None => s.to_owned(),
    }
}

/// Checks and tidies an extension, number or SIP URI from a file. Phone numbers and `tel:`
/// URIs lose their visual separators and parameters (`+49 (30) 555-12 34` → `+49305551234`);
/// SIP URIs are kept as written. `Err` says what is wrong.
pub fn normalize_ext(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("no number".into());
    }
    if s.chars().count() > MAX_EXT_CHARS {
        return Err(format!("longer than {MAX_EXT_CHARS} characters"));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character U+{:04X}", c as u32));
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("sip:") || lower.starts_with("sips:") {
        if s.contains(char::is_whitespace) || s.contains(['<', '>', '"']) {
            return Err("a SIP URI may not contain spaces, quotes or angle brackets".into());
        }
        return Ok(s.to_owned());
    }
    let s = lower.strip_prefix("tel:").map(|_| &s[4..]).unwrap_or(s);
    // tel: URIs and numbers: drop parameters and the visual separators of RFC 3966.
    let s = s.split(';').next().unwrap_or(s);
    let cleaned: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}')).collect();
    if cleaned.is_empty() {
        return Err("no number".into());
    }
    if let Some(c) = cleaned.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '+' | '*' | '#' | '_' | '@'))) {
        return Err(format!("{c:?} is not allowed in a number"));
    }
    if cleaned[1..].contains('+') {
        return Err("'+' is only allowed at the start of a number".into());
    }
    Ok(cleaned)
}

/// The form two extensions are compared in for duplicates (case-insensitive, `sip:` dropped).
pub fn ext_identity(ext: &str) -> String {
    let e = ext.trim().to_lowercase();
    e.strip_prefix("sip:").or_else(|| e.strip_prefix("sips:")).unwrap_or(&e).to_owned()
}

/// The key types as the files spell them (`presence`, `blf`, `speed_dial`).
pub fn kind_word(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Presence => "presence",
        KeyKind::Blf => "blf",
        KeyKind::SpeedDial => "speed_dial",
    }
}

/// Reads a key type, tolerantly: `presence`, `presence watcher`, `presencewatcher`, `blf`,
/// `busy lamp field`, `speed dial`, `speed_dial`, `speeddial`, `dial` (any case).
pub fn parse_kind(word: &str) -> Option<KeyKind> {
    let w: String = word.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    match w.as_str() {
        "presence" | "presencewatcher" | "watcher" | "pw" => Some(KeyKind::Presence),
        "blf" | "busylampfield" | "busylamp" => Some(KeyKind::Blf),
        "speeddial" | "speed" | "dial" | "sd" => Some(KeyKind::SpeedDial),
        _ => None,
    }
}

/// Groups `entries` into config pages (in order of first appearance) for the config file.
pub fn to_config_wall(entries: &[WallEntry]) -> Wall {
    let mut pages: Vec<WallPage> = Vec::new();
    for e in entries {
        let key = WallKey::new(e.kind, &e.ext, Some(&e.label));
        match pages.iter_mut().find(|p| p.name == e.page) {
            Some(p) => p.keys.push(key),
            None => pages.push(WallPage { name: e.page.clone(), keys: vec![key] }),
        }
    }
    Wall { pages }
}

/// The keys of a config wall, in order (a key's section, when set, is its page, as the
/// console shows it).
pub fn from_config_wall(wall: &Wall) -> Vec<WallEntry> {
    wall.pages
        .iter()
        .flat_map(|p| {
            p.keys.iter().map(move |k| WallEntry {
                page: k.group.clone().unwrap_or_else(|| p.name.clone()),
                label: k.label.clone().unwrap_or_else(|| k.ext.clone()),
                ext: k.ext.clone(),
                kind: k.kind,
            })
        })
        .collect()
}

/// How an import is applied to the wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// After the keys already there (keys whose extension is already on the wall are left out).
    Append,
    /// Instead of the keys already there.
    Replace,
}

/// The wall after applying `import` to `existing` with `how`, and the imported keys left out
/// because their extension is already on the wall (appending only).
pub fn apply(existing: &[WallEntry], import: &Import, how: Apply) -> (Vec<WallEntry>, Vec<Duplicate>) {
    match how {
        Apply::Replace => (import.entries(), Vec::new()),
        Apply::Append => {
            let have: std::collections::HashSet<String> = existing.iter().map(|e| ext_identity(&e.ext)).collect();
            let mut wall = existing.to_vec();
            let mut dups = Vec::new();
            for k in &import.keys {
                if have.contains(&ext_identity(&k.entry.ext)) {
                    dups.push(Duplicate { ext: k.entry.ext.clone(), line: k.line, first_line: None });
                } else if wall.len() < MAX_KEYS {
                    wall.push(k.entry.clone());
                }
            }
            (wall, dups)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_tidied_and_bad_ones_refused() {
        assert_eq!(normalize_ext(" +49 (30) 555-12 34 ").unwrap(), "+49305551234");
        assert_eq!(normalize_ext("tel:+1-555-0100;ext=5").unwrap(), "+15550100");
        assert_eq!(normalize_ext("sip:anna@pbx.example").unwrap(), "sip:anna@pbx.example");
        assert_eq!(normalize_ext("*48").unwrap(), "*48");
        assert!(normalize_ext("").is_err());
        assert!(normalize_ext("12,34").is_err());
        assert!(normalize_ext("1+2").is_err());
        assert!(normalize_ext(&"1".repeat(200)).is_err());
    }

    #[test]
    fn lines_and_columns_count_characters() {
        assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn clip_cuts_at_characters() {
        assert_eq!(clip("  Ännchen  ", 3), "Änn");
        assert_eq!(clip("abc", 10), "abc");
    }
}
