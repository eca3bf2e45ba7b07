//! The wall as JSON, versioned so a later Lampboard can read what this one wrote:
//!
//! ```json
//! { "format": "lampboard-wall", "version": 1,
//!   "pages": [ { "name": "Front desk",
//!                "keys": [ { "type": "presence", "ext": "1002", "label": "Anna Berg" } ] } ] }
//! ```
//!
//! A file of a newer `version` is refused rather than guessed at; syntax errors name the line
//! and column (from serde_json).

use super::{
    Collector, Import, ImportError, ImportedKey, KeyKind, MAX_LABEL_CHARS, MAX_PAGE_CHARS, RowIssue, WallEntry, clip,
    line_col, normalize_ext, prepare,
};
use serde::{Deserialize, Serialize};

/// The `format` field of a wall file.
pub const FORMAT: &str = "lampboard-wall";

/// The version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    version: u32,
    #[serde(default)]
    pages: Vec<Page>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    name: String,
    #[serde(default)]
    keys: Vec<Key>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Key {
    #[serde(rename = "type", default)]
    kind: KeyKind,
    ext: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

/// The wall as pretty-printed JSON; pages in order of first appearance.
pub fn export(entries: &[WallEntry]) -> String {
    let mut pages: Vec<Page> = Vec::new();
    for e in entries {
        let key = Key { kind: e.kind, ext: e.ext.clone(), label: Some(e.label.clone()) };
        match pages.iter_mut().find(|p| p.name == e.page) {
            Some(p) => p.keys.push(key),
            None => pages.push(Page { name: e.page.clone(), keys: vec![key] }),
        }
    }
    let doc = Doc { format: FORMAT.to_owned(), version: VERSION, pages };
    // Serialising plain strings and numbers cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Reads a wall from JSON text.
pub fn import(text: &str) -> Result<Import, ImportError> {
    let text = prepare(text)?;
    // The envelope first, so a newer version is named as such and not as a schema error.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ImportError::at_col(e.line(), e.column(), e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(ImportError::file(format!("format {other:?} is not a Lampboard wall ({FORMAT:?})"))),
        None => return Err(ImportError::file(format!("no \"format\": {FORMAT:?} field: is this a Lampboard wall?"))),
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(ImportError::file(format!(
                "wall version {v} was written by a newer Lampboard (this one reads version {VERSION})"
            )));
        }
        None => return Err(ImportError::file("no numeric \"version\" field")),
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| ImportError::at_col(e.line(), e.column(), e.to_string()))?;
    let mut out = Collector::default();
    // serde_json keeps no positions per value: find each key's line by its `"ext"` in order.
    let mut lines = ExtLines::new(text);
    for (p, page) in doc.pages.iter().enumerate() {
        let name = clip(&page.name, MAX_PAGE_CHARS);
        for (k, key) in page.keys.iter().enumerate() {
            let line = lines.next_line();
            let ext = match normalize_ext(&key.ext) {
                Ok(e) => e,
                Err(m) => {
                    let field = format!("pages[{p}].keys[{k}].ext");
                    out.error(RowIssue { line, column: None, field: Some(field), message: m })?;
                    continue;
                }
            };
            if name.is_empty() {
                let field = format!("pages[{p}].name");
                let message = "a page needs a name".to_owned();
                out.error(RowIssue { line, column: None, field: Some(field), message })?;
                continue;
            }
            let label = key.label.as_deref().map(|l| clip(l, MAX_LABEL_CHARS)).filter(|l| !l.is_empty());
            let entry =
                WallEntry { page: name.clone(), label: label.unwrap_or_else(|| ext.clone()), ext, kind: key.kind };
            out.key(ImportedKey { entry, line, slot: None, account: None })?;
        }
    }
    Ok(out.finish())
}

/// Finds the lines of successive `"ext"` members in the text.
struct ExtLines<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> ExtLines<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn next_line(&mut self) -> usize {
        match self.text[self.at..].find("\"ext\"") {
            Some(i) => {
                self.at += i + 5;
                line_col(self.text, self.at - 5).0
            }
            None => line_col(self.text, self.text.len()).0,
        }
    }
}
