//! Contacts from vCard files (RFC 2426 vCard 3.0, RFC 6350 vCard 4.0, and the 2.1 files
//! older phones export): `FN` (or `N`) is the label, the best `TEL` the number. Folded lines
//! are unfolded, `\,` `\;` `\\` `\n` are unescaped, `TEL;VALUE=uri:tel:+1-555…` is read as a
//! number, and 2.1's quoted-printable names are decoded. A `TEL` marked preferred (`PREF=1`,
//! `TYPE=pref`) wins, then work numbers, then the rest in file order; fax and pager numbers
//! are not used.

use super::contacts_csv::ContactOptions;
use super::{
    Collector, Import, ImportError, ImportedKey, MAX_LABEL_CHARS, MAX_PAGE_CHARS, RowIssue, WallEntry, clip,
    normalize_ext, prepare,
};

/// Longest unfolded property line read (a photo can be long; it is skipped, not stored).
const MAX_LINE: usize = 1024 * 1024;

/// One unfolded content line and the file line it starts on.
struct Line<'a> {
    at: usize,
    text: std::borrow::Cow<'a, str>,
}

/// Unfolds: a line that starts with a space or tab continues the previous one (RFC 6350 3.2);
/// a quoted-printable line ending in `=` continues on the next (vCard 2.1).
fn unfold(text: &str) -> Result<Vec<Line<'_>>, ImportError> {
    let mut out: Vec<Line<'_>> = Vec::new();
    let mut qp_soft = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let n = i + 1;
        let continues = (raw.starts_with(' ') || raw.starts_with('\t')) && !out.is_empty();
        if continues || qp_soft {
            let Some(last) = out.last_mut() else { continue };
            let part = if continues { &raw[1..] } else { raw };
            let t = last.text.to_mut();
            if qp_soft {
                t.pop(); // the soft break's '='
            }
            if t.len() + part.len() > MAX_LINE {
                return Err(ImportError::at(last.at, "a property longer than 1 MiB"));
            }
            t.push_str(part);
        } else if raw.trim().is_empty() {
            qp_soft = false;
            continue;
        } else {
            out.push(Line { at: n, text: raw.into() });
        }
        let last = out.last().map(|l| l.text.as_ref()).unwrap_or("");
        qp_soft = last.ends_with('=') && last.to_ascii_uppercase().contains("QUOTED-PRINTABLE");
    }
    Ok(out)
}

/// A property: name (upper case, group dropped), parameters (upper-case names), raw value.
struct Prop<'a> {
    name: String,
    params: Vec<(String, String)>,
    value: &'a str,
}

fn split_prop(line: &str) -> Option<Prop<'_>> {
    // The value starts at the first ':' outside a quoted parameter value.
    let mut quoted = false;
    let colon = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        c == ':' && !quoted
    })?;
    let (head, value) = (&line[..colon.0], &line[colon.0 + 1..]);
    let mut parts = head.split(';');
    let name = parts.next()?.trim();
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    for p in parts {
        match p.split_once('=') {
            Some((k, v)) => {
                for v in v.split(',') {
                    params.push((k.trim().to_ascii_uppercase(), v.trim().trim_matches('"').to_owned()));
                }
            }
            // vCard 2.1: `TEL;WORK;VOICE:` means TYPE=WORK, TYPE=VOICE.
            None => params.push(("TYPE".into(), p.trim().to_owned())),
        }
    }
    Some(Prop { name, params, value })
}

impl Prop<'_> {
    fn has(&self, key: &str, value: &str) -> bool {
        self.params.iter().any(|(k, v)| k == key && v.eq_ignore_ascii_case(value))
    }

    fn text(&self) -> String {
        let raw =
            if self.has("ENCODING", "QUOTED-PRINTABLE") { quoted_printable(self.value) } else { self.value.to_owned() };
        unescape(&raw)
    }
}

/// `\,` `\;` `\:` `\\` and `\n`/`\N` (RFC 6350 3.4).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn quoted_printable(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(h) = std::str::from_utf8(h)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One card being read.
#[derive(Default)]
struct Card {
    begin: usize,
    name: Option<String>,
    n: Option<String>,
    org: Option<String>,
    /// (rank, order, line, number): lower rank is better.
    tels: Vec<(u8, usize, usize, String)>,
}

impl Card {
    fn label(&self) -> String {
        self.name
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| self.n.clone())
            .or_else(|| self.org.clone())
            .unwrap_or_default()
    }
}

/// `N:Family;Given;Additional;Prefix;Suffix` → "Given Additional Family".
fn n_to_name(value: &str) -> Option<String> {
    // Split on unescaped ';' first, then unescape each part.
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in value.chars() {
        if esc {
            cur.push('\\');
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == ';' {
            parts.push(unescape(&std::mem::take(&mut cur)));
        } else {
            cur.push(c);
        }
    }
    parts.push(unescape(&cur));
    let get = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
    let name = [get(1), get(2), get(0)].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// Reads contacts from vCard text (one or many cards).
pub fn import(text: &str, opts: &ContactOptions) -> Result<Import, ImportError> {
    let text = prepare(text)?;
    let lines = unfold(text)?;
    let page = clip(&opts.page, MAX_PAGE_CHARS);
    let mut out = Collector::default();
    let mut card: Option<Card> = None;
    let mut cards = 0usize;
    for line in &lines {
        let Some(prop) = split_prop(&line.text) else {
            if card.is_some() {
                let message = "not a vCard property (NAME:value)".to_owned();
                out.error(RowIssue { line: line.at, column: Some(1), field: None, message })?;
                continue;
            }
            return Err(ImportError::at_col(line.at, 1, "not a vCard line (expected BEGIN:VCARD)"));
        };
        match (prop.name.as_str(), card.as_mut()) {
            ("BEGIN", None) if prop.value.trim().eq_ignore_ascii_case("VCARD") => {
                card = Some(Card { begin: line.at, ..Card::default() });
            }
            ("BEGIN", Some(c)) if prop.value.trim().eq_ignore_ascii_case("VCARD") => {
                return Err(ImportError::at(
                    line.at,
                    format!("BEGIN:VCARD inside the card that began on line {}", c.begin),
                ));
            }
            ("END", Some(_)) if prop.value.trim().eq_ignore_ascii_case("VCARD") => {
                let Some(done) = card.take() else { continue };
                cards += 1;
                finish(&mut out, done, opts, &page)?;
            }
            ("END", None) if prop.value.trim().eq_ignore_ascii_case("VCARD") => {
                return Err(ImportError::at(line.at, "END:VCARD without BEGIN:VCARD"));
            }
            (_, None) => {
                return Err(ImportError::at_col(
                    line.at,
                    1,
                    format!("{} outside a card (expected BEGIN:VCARD)", prop.name),
                ));
            }
            ("FN", Some(c)) => c.name = Some(prop.text().trim().to_owned()),
            ("N", Some(c)) => {
                let qp = prop.has("ENCODING", "QUOTED-PRINTABLE");
                c.n = if qp { n_to_name(&quoted_printable(prop.value)) } else { n_to_name(prop.value) };
            }
            ("ORG", Some(c)) => {
                c.org = Some(prop.text().split(';').next().unwrap_or("").trim().to_owned()).filter(|s| !s.is_empty())
            }
            ("TEL", Some(c)) => {
                if prop.has("TYPE", "FAX") || prop.has("TYPE", "PAGER") {
                    continue;
                }
                let pref = prop.has("TYPE", "PREF") || prop.params.iter().any(|(k, _)| k == "PREF");
                let work = prop.has("TYPE", "WORK");
                let rank = match (pref, work) {
                    (true, _) => 0,
                    (false, true) => 1,
                    _ => 2,
                };
                let order = c.tels.len();
                c.tels.push((rank, order, line.at, prop.text().trim().to_owned()));
            }
            _ => {}
        }
    }
    if let Some(c) = card {
        return Err(ImportError::at(c.begin, "the card that begins here has no END:VCARD (truncated file?)"));
    }
    if cards == 0 {
        return Err(ImportError::file("no BEGIN:VCARD in the file"));
    }
    Ok(out.finish())
}

fn finish(out: &mut Collector, mut card: Card, opts: &ContactOptions, page: &str) -> Result<(), ImportError> {
    let label = card.label();
    card.tels.sort();
    let Some((_, _, line, number)) = card.tels.into_iter().find(|t| !t.3.is_empty()) else {
        let who = if label.is_empty() { "a card".to_owned() } else { label };
        out.skip(RowIssue {
            line: card.begin,
            column: None,
            field: Some("TEL".into()),
            message: format!("{who}: no phone number"),
        });
        return Ok(());
    };
    let ext = match normalize_ext(&number) {
        Ok(e) => e,
        Err(m) => return out.error(RowIssue { line, column: None, field: Some("TEL".into()), message: m }),
    };
    let label = if label.is_empty() { ext.clone() } else { clip(&label, MAX_LABEL_CHARS) };
    let entry = WallEntry { page: page.to_owned(), label, ext, kind: opts.kind };
    out.key(ImportedKey { entry, line: card.begin, slot: None, account: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_qp() {
        assert_eq!(unescape(r"Berg\, Anna\; \\x\nY"), "Berg, Anna; \\x Y");
        assert_eq!(quoted_printable("J=C3=BCrgen"), "Jürgen");
        assert_eq!(n_to_name(r"Berg;Anna;;Dr.;").as_deref(), Some("Anna Berg"));
        assert_eq!(n_to_name(r"O\;Neil;Pat").as_deref(), Some("Pat O;Neil"));
    }
}
