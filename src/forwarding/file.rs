//! The rules file: TOML at `$XDG_CONFIG_HOME/lampboard/rules.toml` (the platform config dir
//! elsewhere), always as a path parameter so tests and `--file` can point anywhere.
//!
//! Reading never changes the file. Every error says where: line and column when the file
//! has them, and the dotted field (`per_status.away.cfu`, `fwd_whitelist[2]`). Saving
//! validates first and writes atomically (a temporary file in the same directory, synced,
//! then renamed over the old one), so a failed save or a bad edit keeps the previous rules.

use super::model::Rules;
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The file name inside the config directory.
pub const FILE_NAME: &str = "rules.toml";

/// Why the rules file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFileError {
    /// The file, when there is one.
    pub path: Option<PathBuf>,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The dotted field, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RulesFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RulesFileError {}

impl RulesFileError {
    fn io(path: &Path, what: &str, e: &std::io::Error) -> Self {
        RulesFileError {
            path: Some(path.to_path_buf()),
            line: None,
            column: None,
            field: None,
            message: format!("cannot {what}: {e}"),
        }
    }

    fn with_path(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }
}

/// `$XDG_CONFIG_HOME/lampboard/rules.toml` on Linux (`~/.config/…` without it), the
/// platform config directory elsewhere; `None` when there is no home directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lampboard").map(|d| d.config_dir().join(FILE_NAME))
}

/// Parses and validates rules from TOML text.
pub fn parse(text: &str) -> Result<Rules, RulesFileError> {
    let rules: Rules = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let mut span = e.span();
        let mut field = span.as_ref().and_then(|s| field_at_offset(text, s.start));
        if let Some((f, s)) = field.as_deref().and_then(|f| array_element(text, f, &message)) {
            (field, span) = (Some(f), Some(s));
        }
        let (line, column) = span.map(|s| line_col(text, s.start)).unzip();
        RulesFileError { path: None, line, column, field, message }
    })?;
    rules.validate().map_err(|e| {
        let span = DeTable::parse(text).ok().and_then(|t| span_of(t.get_ref(), &e.field));
        let (line, column) = span.map(|s| line_col(text, s.start)).unzip();
        RulesFileError { path: None, line, column, field: Some(e.field), message: e.message }
    })?;
    Ok(rules)
}

/// The rules as TOML text (with a header comment); validates first.
pub fn to_toml(rules: &Rules) -> Result<String, RulesFileError> {
    rules.validate().map_err(|e| RulesFileError {
        path: None,
        line: None,
        column: None,
        field: Some(e.field),
        message: e.message,
    })?;
    let body = toml::to_string(rules).map_err(|e| RulesFileError {
        path: None,
        line: None,
        column: None,
        field: None,
        message: format!("cannot write the rules as TOML: {e}"),
    })?;
    Ok(format!("# Lampboard call-forwarding rules (README: \"Call forwarding rules\").\n\n{body}"))
}

/// Loads the rules at `path`. A missing file is an error here; see [`load_or_default`].
pub fn load(path: &Path) -> Result<Rules, RulesFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| RulesFileError::io(path, "read the rules", &e))?;
    parse(&text).map_err(|e| e.with_path(path))
}

/// Loads the rules at `path`, or the defaults when the file does not exist yet.
pub fn load_or_default(path: &Path) -> Result<Rules, RulesFileError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Rules::default()),
        _ => load(path),
    }
}

/// Validates `rules` and writes them to `path` atomically (parent directories are created).
/// On any error the previous file is left as it was.
pub fn save(path: &Path, rules: &Rules) -> Result<(), RulesFileError> {
    let text = to_toml(rules).map_err(|e| e.with_path(path))?;
    // Never write what we could not read back.
    parse(&text)
        .map_err(|e| RulesFileError { message: format!("internal: written rules do not read back: {e}"), ..e })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| RulesFileError::io(&dir, "create the directory", &e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| FILE_NAME.into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RulesFileError::io(path, "save the rules", &e)
    })
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// The dotted field at byte `offset`: from the parsed document when it parses, else from the
/// line itself (`key = …` under the last `[table]` header).
fn field_at_offset(text: &str, offset: usize) -> Option<String> {
    if let Ok(doc) = DeTable::parse(text)
        && let Some(path) = field_in_table(doc.get_ref(), offset)
    {
        return Some(path);
    }
    guess_field(text, offset)
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && (offset < span.end || span.is_empty() && offset == span.start)
}

fn field_in_table(table: &DeTable<'_>, offset: usize) -> Option<String> {
    for (key, value) in table.iter() {
        if contains(&key.span(), offset) {
            return Some(key.get_ref().to_string());
        }
        if let Some(rest) = field_in_value(value, offset) {
            return Some(if rest.is_empty() {
                key.get_ref().to_string()
            } else if rest.starts_with('[') {
                format!("{}{rest}", key.get_ref())
            } else {
                format!("{}.{rest}", key.get_ref())
            });
        }
    }
    None
}

/// The path below `value` containing `offset` ("" = the value itself).
fn field_in_value(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(t) => field_in_table(t, offset).or_else(|| contains(&value.span(), offset).then(String::new)),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(rest) = field_in_value(item, offset) {
                    let sep = if rest.is_empty() || rest.starts_with('[') { "" } else { "." };
                    return Some(format!("[{i}]{sep}{rest}"));
                }
            }
            contains(&value.span(), offset).then(String::new)
        }
        _ => contains(&value.span(), offset).then(String::new),
    }
}

/// The span of the value at a dotted path (`a.b`, `list[2]`).
fn span_of(table: &DeTable<'_>, path: &str) -> Option<Range<usize>> {
    value_at(table, path).map(Spanned::span)
}

/// The value at a dotted path (`a.b`, `list[2]`); a path through a non-table stops there.
fn value_at<'a, 'i>(table: &'a DeTable<'i>, path: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    let mut parts = path.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        let (name, index) = match part.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let value = current.get(name)?;
        let value = match (index, value.get_ref()) {
            (Some(i), DeValue::Array(items)) => items.get(i)?,
            _ => value,
        };
        if parts.peek().is_none() {
            return Some(value);
        }
        match value.get_ref() {
            DeValue::Table(t) => current = t,
            _ => return Some(value),
        }
    }
    None
}

/// An error about one entry of a list is reported by toml at the whole list; the entry is
/// the one whose quoted text the message names (`fwd_whitelist[1]` and its position).
fn array_element(text: &str, field: &str, message: &str) -> Option<(String, Range<usize>)> {
    let doc = DeTable::parse(text).ok()?;
    let value = value_at(doc.get_ref(), field)?;
    let DeValue::Array(items) = value.get_ref() else {
        return None;
    };
    items.iter().enumerate().find_map(|(i, item)| match item.get_ref() {
        DeValue::String(s) if message.contains(&format!("{:?}", s.trim())) => {
            Some((format!("{field}[{i}]"), item.span()))
        }
        _ => None,
    })
}

/// For a file that does not parse: the key on the line of `offset`, under the last header.
fn guess_field(text: &str, offset: usize) -> Option<String> {
    let (line_no, _) = line_col(text, offset);
    let mut table = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if i + 1 == line_no {
            let key = t.split_once('=')?.0.trim().trim_matches('"');
            if key.is_empty() {
                return None;
            }
            return Some(if table.is_empty() { key.to_string() } else { format!("{table}.{key}") });
        }
        if t.starts_with('[') && !t.starts_with("[[") {
            table = t.trim_start_matches('[').split(']').next().unwrap_or_default().trim().to_string();
        }
    }
    None
}
