//! The wall as CSV: a header `page,label,extension,type` and one row per key, in wall order.
//! `type` is `presence`, `blf` or `speed_dial`. Reading is tolerant: the columns may come in
//! any order and under common other names (`group`, `name`, `number`, `ext`, `kind`), a
//! semicolon or tab may be the delimiter, `label`, `page` and `type` may be missing
//! (defaults: the number, [`DEFAULT_PAGE`], presence).

use super::csv::{self, Record};
use super::{
    Collector, DEFAULT_PAGE, Import, ImportError, ImportedKey, KeyKind, MAX_LABEL_CHARS, MAX_PAGE_CHARS, RowIssue,
    WallEntry, clip, kind_word, normalize_ext, parse_kind, prepare,
};

/// The header Lampboard writes.
pub const HEADER: [&str; 4] = ["page", "label", "extension", "type"];

/// The wall as CSV text (UTF-8, CRLF line ends, no byte-order mark).
pub fn export(entries: &[WallEntry]) -> String {
    let mut out = String::new();
    csv::write_row(&mut out, &HEADER);
    for e in entries {
        csv::write_row(&mut out, &[&e.page, &e.label, &e.ext, kind_word(e.kind)]);
    }
    out
}

/// Which column holds what.
struct Columns {
    page: Option<usize>,
    label: Option<usize>,
    ext: usize,
    kind: Option<usize>,
}

fn columns(header: &Record) -> Result<Columns, ImportError> {
    let find = |names: &[&str]| {
        header.fields.iter().position(|f| {
            let h = f.text.trim().to_lowercase();
            names.contains(&h.as_str())
        })
    };
    let ext = find(&["extension", "ext", "number", "value", "user id", "userid", "uri"]).ok_or_else(|| {
        ImportError::at(
            header.line,
            "no `extension` column: the first line must name the columns (page,label,extension,type)",
        )
    })?;
    Ok(Columns {
        page: find(&["page", "group", "module"]),
        label: find(&["label", "name", "description"]),
        ext,
        kind: find(&["type", "kind", "mode"]),
    })
}

/// Reads a wall from CSV text.
pub fn import(text: &str) -> Result<Import, ImportError> {
    let text = prepare(text)?;
    let rows = csv::read(text, csv::guess_delimiter(text))?;
    let Some((header, rows)) = rows.split_first() else {
        return Err(ImportError::file("the file is empty"));
    };
    let cols = columns(header)?;
    let mut out = Collector::default();
    for row in rows {
        let issue = |i: usize, field: &str, message: String| RowIssue {
            line: row.line,
            column: Some(row.column(i)),
            field: Some(field.to_owned()),
            message,
        };
        let ext = match normalize_ext(row.get(cols.ext)) {
            Ok(e) => e,
            Err(m) => {
                out.error(issue(cols.ext, "extension", m))?;
                continue;
            }
        };
        let kind = match cols.kind.map(|i| (i, row.get(i))) {
            None | Some((_, "")) => KeyKind::Presence,
            Some((i, word)) => match parse_kind(word) {
                Some(k) => k,
                None => {
                    let m = format!("unknown type {word:?} (presence, blf or speed_dial)");
                    out.error(issue(i, "type", m))?;
                    continue;
                }
            },
        };
        let label = cols.label.map(|i| clip(row.get(i), MAX_LABEL_CHARS)).filter(|l| !l.is_empty());
        let page = cols.page.map(|i| clip(row.get(i), MAX_PAGE_CHARS)).filter(|p| !p.is_empty());
        let entry = WallEntry {
            page: page.unwrap_or_else(|| DEFAULT_PAGE.to_owned()),
            label: label.unwrap_or_else(|| ext.clone()),
            ext,
            kind,
        };
        out.key(ImportedKey { entry, line: row.line, slot: None, account: None })?;
    }
    Ok(out.finish())
}
