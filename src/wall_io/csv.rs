//! A small RFC 4180 CSV reader and writer that keeps line and column numbers, for the wall
//! and contacts importers. It reads what spreadsheets write: quoted fields with `""` for a
//! quote, line breaks inside quotes, CRLF or LF, and a comma, semicolon (European Excel) or
//! tab as the delimiter (guessed from the header line).

use super::ImportError;

/// Most columns a row may have (Outlook's contact export has about 90).
pub const MAX_COLUMNS: usize = 512;

/// One field of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The text, unquoted.
    pub text: String,
    /// 1-based column (in characters) where the field starts.
    pub column: usize,
}

/// One row (record) of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line where the row starts.
    pub line: usize,
    /// Its fields.
    pub fields: Vec<Field>,
}

impl Record {
    /// The text of field `i`, trimmed ("" when the row is shorter).
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.text.trim())
    }

    /// The column of field `i` (the end of the row when it is shorter).
    pub fn column(&self, i: usize) -> usize {
        self.fields.get(i).or(self.fields.last()).map_or(1, |f| f.column)
    }

    fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.text.trim().is_empty())
    }
}

/// The delimiter of the header line: the most frequent of `,` `;` and tab outside quotes.
pub fn guess_delimiter(text: &str) -> char {
    let mut counts = [(',', 0usize), (';', 0), ('\t', 0)];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            _ if !quoted => {
                if let Some(e) = counts.iter_mut().find(|(d, _)| *d == c) {
                    e.1 += 1;
                }
            }
            _ => {}
        }
    }
    // Ties go to the comma (first in the list).
    counts.iter().fold((',', 0), |best, &(d, n)| if n > best.1 { (d, n) } else { best }).0
}

/// Reads all rows of `text` (BOM already removed), leaving out blank rows.
pub fn read(text: &str, delimiter: char) -> Result<Vec<Record>, ImportError> {
    let mut rows = Vec::new();
    let mut chars = text.char_indices().peekable();
    let (mut line, mut col) = (1usize, 1usize);
    let mut row = Record { line: 1, fields: Vec::new() };
    let mut field = Field { text: String::new(), column: 1 };
    let mut at_field_start = true;
    let mut quoted: Option<(usize, usize)> = None; // where the open quote is
    let mut after_quote = false;
    let end_field = |row: &mut Record, field: &mut Field, line: usize, col: usize| -> Result<(), ImportError> {
        if row.fields.len() >= MAX_COLUMNS {
            return Err(ImportError::at(line, format!("more than {MAX_COLUMNS} columns")));
        }
        row.fields.push(std::mem::replace(field, Field { text: String::new(), column: col }));
        Ok(())
    };
    while let Some((_, c)) = chars.next() {
        if quoted.is_some() {
            if c == '"' {
                if chars.peek().map(|&(_, n)| n) == Some('"') {
                    chars.next();
                    field.text.push('"');
                    col += 2;
                    continue;
                }
                quoted = None;
                after_quote = true;
                col += 1;
                continue;
            }
            field.text.push(c);
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            continue;
        }
        let newline = c == '\n' || c == '\r';
        if c == delimiter || newline {
            end_field(&mut row, &mut field, line, col + 1)?;
            at_field_start = true;
            after_quote = false;
            if newline {
                if c == '\r' && chars.peek().map(|&(_, n)| n) == Some('\n') {
                    chars.next();
                }
                let done = std::mem::replace(&mut row, Record { line: line + 1, fields: Vec::new() });
                if !done.is_blank() {
                    rows.push(done);
                }
                line += 1;
                col = 1;
                field.column = 1;
            } else {
                col += 1;
            }
            continue;
        }
        if after_quote {
            if c == ' ' || c == '\t' {
                col += 1;
                continue;
            }
            return Err(ImportError::at_col(
                line,
                col,
                format!("unexpected {c:?} after a closing quote (a quote inside a quoted field is written \"\")"),
            ));
        }
        if at_field_start && c == '"' && field.text.trim().is_empty() {
            field.text.clear();
            quoted = Some((line, col));
            at_field_start = false;
            col += 1;
            continue;
        }
        at_field_start = false;
        field.text.push(c);
        col += 1;
    }
    if let Some((l, c)) = quoted {
        return Err(ImportError::at_col(l, c, "this quote is never closed"));
    }
    if !field.text.is_empty() || !row.fields.is_empty() {
        end_field(&mut row, &mut field, line, col)?;
    }
    if !row.is_blank() {
        rows.push(row);
    }
    Ok(rows)
}

/// Appends one CSV row (CRLF-terminated), quoting fields that need it.
pub fn write_row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let needs = f.contains([',', '"', '\r', '\n', ';', '\t']) || f.starts_with(' ') || f.ends_with(' ');
        if needs {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Record]) -> Vec<Vec<&str>> {
        rows.iter().map(|r| r.fields.iter().map(|f| f.text.as_str()).collect()).collect()
    }

    #[test]
    fn quoted_fields_commas_quotes_and_line_breaks() {
        let rows = read("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n\n", ',').unwrap();
        assert_eq!(texts(&rows), vec![vec!["a", "b"], vec!["x, y", "say \"hi\""], vec!["two\nlines", "z"]]);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(rows[1].fields[1].column, 8);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = read("a,b\n\"open,b\n", ',').unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        let e = read("a,b\n\"x\"y,b\n", ',').unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(4)));
    }

    #[test]
    fn delimiter_is_guessed_from_the_header() {
        assert_eq!(guess_delimiter("page;label;extension\n1,2,3,4"), ';');
        assert_eq!(guess_delimiter("a\tb\tc"), '\t');
        assert_eq!(guess_delimiter("\"a;b\",c"), ',');
    }

    #[test]
    fn written_rows_read_back() {
        let mut out = String::new();
        write_row(&mut out, &["plain", "with, comma", "with \"quote\"", " padded", "two\nlines"]);
        let rows = read(&out, ',').unwrap();
        assert_eq!(texts(&rows), vec![vec!["plain", "with, comma", "with \"quote\"", " padded", "two\nlines"]]);
    }
}
