//! Contacts from CSV: Outlook's export (`First Name`, `Last Name`, `Business Phone`, `Mobile
//! Phone`…), Google's (`Name` or `First Name`/`Last Name`, `Phone 1 - Value`…, several numbers
//! in one cell separated by ` ::: `) or a plain `name,number` list. Each contact becomes one
//! key with its best number: an extension or work number before mobile and home numbers.

use super::csv::{self, Record};
use super::{
    Collector, Import, ImportError, ImportedKey, KeyKind, MAX_LABEL_CHARS, MAX_PAGE_CHARS, RowIssue, WallEntry, clip,
    normalize_ext, prepare,
};

/// What the imported contacts become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactOptions {
    /// The key type (speed dial for outside numbers, presence for colleagues).
    pub kind: KeyKind,
    /// The page the keys go on.
    pub page: String,
}

impl Default for ContactOptions {
    fn default() -> Self {
        Self { kind: KeyKind::SpeedDial, page: "Contacts".into() }
    }
}

/// Full-name columns, best first.
const NAME: [&str; 5] = ["name", "display name", "full name", "fn", "contact"];
/// Name parts, in the order they are joined.
const NAME_PARTS: [&str; 4] = ["first name", "given name", "middle name", "last name"];
const FAMILY: [&str; 2] = ["family name", "surname"];
/// Company columns (a label when there is no name).
const COMPANY: [&str; 4] = ["company", "organization name", "organization 1 - name", "organisation"];
/// Number columns, best first.
const NUMBERS: [&str; 22] = [
    "extension",
    "ext",
    "number",
    "phone",
    "phone number",
    "telephone",
    "tel",
    "business phone",
    "work phone",
    "company main phone",
    "business phone 2",
    "primary phone",
    "phone 1 - value",
    "phone 2 - value",
    "phone 3 - value",
    "mobile phone",
    "mobile",
    "cell phone",
    "home phone",
    "home phone 2",
    "other phone",
    "phone 4 - value",
];

/// Reads contacts from CSV text.
pub fn import(text: &str, opts: &ContactOptions) -> Result<Import, ImportError> {
    let text = prepare(text)?;
    let rows = csv::read(text, csv::guess_delimiter(text))?;
    let Some((header, rows)) = rows.split_first() else {
        return Err(ImportError::file("the file is empty"));
    };
    let heads: Vec<String> = header.fields.iter().map(|f| f.text.trim().to_lowercase()).collect();
    let col = |name: &str| heads.iter().position(|h| h == name);
    let numbers: Vec<(usize, &str)> = NUMBERS.iter().filter_map(|n| col(n).map(|i| (i, *n))).collect();
    if numbers.is_empty() {
        return Err(ImportError::at(
            header.line,
            "no phone number column (e.g. `number`, `phone`, `Business Phone`, `Phone 1 - Value`)",
        ));
    }
    let name = NAME.iter().find_map(|n| col(n));
    let parts: Vec<usize> = NAME_PARTS.iter().chain(FAMILY.iter()).filter_map(|n| col(n)).collect();
    let company = COMPANY.iter().find_map(|n| col(n));
    let page = clip(&opts.page, MAX_PAGE_CHARS);
    let mut out = Collector::default();
    for row in rows {
        let label = contact_name(row, name, &parts, company);
        let Some((i, head, raw)) = best_number(row, &numbers) else {
            let who = if label.is_empty() { "a contact".to_owned() } else { label.clone() };
            out.skip(RowIssue {
                line: row.line,
                column: None,
                field: None,
                message: format!("{who}: no phone number"),
            });
            continue;
        };
        let ext = match normalize_ext(&raw) {
            Ok(e) => e,
            Err(m) => {
                let issue =
                    RowIssue { line: row.line, column: Some(row.column(i)), field: Some(head.to_owned()), message: m };
                out.error(issue)?;
                continue;
            }
        };
        let label = if label.is_empty() { ext.clone() } else { clip(&label, MAX_LABEL_CHARS) };
        let entry = WallEntry { page: page.clone(), label, ext, kind: opts.kind };
        out.key(ImportedKey { entry, line: row.line, slot: None, account: None })?;
    }
    Ok(out.finish())
}

fn contact_name(row: &Record, name: Option<usize>, parts: &[usize], company: Option<usize>) -> String {
    if let Some(n) = name.map(|i| row.get(i)).filter(|s| !s.is_empty()) {
        return n.to_owned();
    }
    let joined = parts.iter().map(|&i| row.get(i)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    if !joined.is_empty() {
        return joined;
    }
    company.map(|i| row.get(i).to_owned()).unwrap_or_default()
}

/// The first non-empty number in preference order (the first of several in one cell).
fn best_number<'a>(row: &Record, numbers: &[(usize, &'a str)]) -> Option<(usize, &'a str, String)> {
    numbers.iter().find_map(|&(i, head)| {
        let cell = row.get(i);
        let first = cell.split(":::").map(str::trim).find(|s| !s.is_empty())?;
        Some((i, head, first.to_owned()))
    })
}
