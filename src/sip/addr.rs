//! name-addr / addr-spec values of From, To, Contact, Route (RFC 3261 §20, §25.1).
//!
//! A syntax-level parser that keeps the URI as text, so `tel:` URIs and display names with
//! escaped quotes are handled, yet rejects what RFC 4475 calls invalid: unbalanced quotes,
//! non-token display names, spaces inside `<…>`, an addr-spec with `?`/`,` outside `<…>`.

use super::message::is_token;

/// A parsed name-addr with its header parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameAddr {
    /// Display name, unquoted and unescaped.
    pub display: Option<String>,
    /// The URI as written (without `<>`).
    pub uri: String,
    /// Header parameters (`tag`, `expires`, `+sip.instance`, …) in order; names lower-cased.
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    /// A name-addr for a URI with no display name.
    pub fn new(uri: impl Into<String>) -> Self {
        Self { display: None, uri: uri.into(), params: Vec::new() }
    }

    /// The value of a parameter (case-insensitive name); `Some("")` for a flag.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// Adds or replaces a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        self.params.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.params.push((name.to_ascii_lowercase(), value.map(str::to_string)));
    }

    /// Serialises as `"Display" <uri>;params`.
    pub fn to_header(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.display {
            s.push('"');
            for c in d.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push_str("\" ");
        }
        s.push('<');
        s.push_str(&self.uri);
        s.push('>');
        for (n, v) in &self.params {
            s.push(';');
            s.push_str(n);
            if let Some(v) = v {
                s.push('=');
                if v.contains(|c: char| c.is_whitespace() || "<>\",;".contains(c)) {
                    s.push('"');
                    s.push_str(&v.replace('\\', "\\\\").replace('"', "\\\""));
                    s.push('"');
                } else {
                    s.push_str(v);
                }
            }
        }
        s
    }

    /// The user part of a sip/sips URI, or the number of a tel URI.
    pub fn user(&self) -> Option<&str> {
        uri_user(&self.uri)
    }
}

/// The user part of a `sip:`/`sips:` URI or the number of a `tel:` URI.
pub fn uri_user(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    if scheme.eq_ignore_ascii_case("tel") {
        return rest.split(';').next();
    }
    let (user, _) = rest.split_once('@')?;
    Some(user.split(';').next().unwrap_or(user))
}

/// Parses one name-addr or addr-spec with parameters.
pub fn parse_name_addr(s: &str) -> Result<NameAddr, String> {
    let (na, rest) = parse_one(s)?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected text after address: {:.30}", rest.trim()));
    }
    Ok(na)
}

/// Parses a comma-separated list of name-addrs (Contact, Route).
pub fn parse_name_addr_list(s: &str) -> Result<Vec<NameAddr>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let (na, r) = parse_one(rest)?;
        out.push(na);
        let r = r.trim_start();
        match r.strip_prefix(',') {
            Some(r) => rest = r,
            None if r.is_empty() => return Ok(out),
            None => return Err(format!("unexpected text in list: {r:.30}")),
        }
    }
}

/// Parses one entry; returns it and the unparsed remainder (starting at `,` or end).
fn parse_one(s: &str) -> Result<(NameAddr, &str), String> {
    let s = s.trim_start();
    let mut display = None;
    let after_display;
    if let Some(q) = s.strip_prefix('"') {
        let (text, rest) = read_quoted(q)?;
        display = Some(text);
        after_display = rest.trim_start();
        if !after_display.starts_with('<') {
            return Err("quoted display name not followed by <".into());
        }
    } else if let Some(lt) = s.find('<') {
        let head = &s[..lt];
        if head.contains(':') {
            // `<` belongs to something after the first entry; treat as addr-spec below.
            after_display = s;
        } else {
            let name = head.trim();
            if !name.is_empty() {
                if !name.split_whitespace().all(is_token) {
                    return Err(format!("display name has non-token characters: {name:.30}"));
                }
                display = Some(name.to_string());
            }
            after_display = &s[lt..];
        }
    } else {
        after_display = s;
    }
    let (uri, mut rest) = if let Some(inner) = after_display.strip_prefix('<') {
        let end = inner.find('>').ok_or("unterminated <")?;
        let uri = &inner[..end];
        if uri.is_empty() || uri.contains(char::is_whitespace) {
            return Err("whitespace or nothing inside <>".into());
        }
        (uri.to_string(), &inner[end + 1..])
    } else {
        let end = after_display.find([';', ',']).unwrap_or(after_display.len());
        let uri = after_display[..end].trim_end();
        if uri.is_empty() || uri.contains(char::is_whitespace) || uri.contains(['?', '<', '>', '"']) {
            return Err("addr-spec must be enclosed in <> (it has spaces, ? or quotes)".into());
        }
        (uri.to_string(), &after_display[end..])
    };
    if !uri.contains(':') {
        return Err("URI has no scheme".into());
    }
    let mut params = Vec::new();
    loop {
        let r = rest.trim_start();
        let Some(p) = r.strip_prefix(';') else {
            rest = r;
            break;
        };
        let end = param_end(p)?;
        let (name, value) = match p[..end].split_once('=') {
            Some((n, v)) => (n.trim(), Some(unquote(v.trim())?)),
            None => (p[..end].trim(), None),
        };
        if !is_token(name) {
            return Err(format!("empty or bad parameter name: {name:.20}"));
        }
        params.push((name.to_ascii_lowercase(), value));
        rest = &p[end..];
    }
    Ok((NameAddr { display, uri, params }, rest))
}

/// Index of the end of a parameter (next `;` or `,` outside quotes).
fn param_end(p: &str) -> Result<usize, String> {
    let mut in_q = false;
    let mut esc = false;
    for (i, c) in p.char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' if in_q => esc = true,
            '"' => in_q = !in_q,
            ';' | ',' if !in_q => return Ok(i),
            _ => {}
        }
    }
    if in_q { Err("unterminated quoted parameter".into()) } else { Ok(p.len()) }
}

fn unquote(v: &str) -> Result<String, String> {
    match v.strip_prefix('"') {
        Some(q) => {
            let (text, rest) = read_quoted(q)?;
            if !rest.trim().is_empty() {
                return Err("text after quoted value".into());
            }
            Ok(text)
        }
        None => Ok(v.to_string()),
    }
}

/// Reads a quoted string body (after the opening quote); returns text and the rest.
fn read_quoted(q: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = q.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            '"' => return Ok((out, &q[i + 1..])),
            _ => out.push(c),
        }
    }
    Err("unterminated quoted string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_uri_and_escaped_quotes() {
        let a = parse_name_addr(r#""Alice \"the boss\"" <tel:+4930123>;tag=abc"#).unwrap();
        assert_eq!(a.display.as_deref(), Some(r#"Alice "the boss""#));
        assert_eq!(a.uri, "tel:+4930123");
        assert_eq!(a.param("tag"), Some("abc"));
        assert_eq!(a.user(), Some("+4930123"));
        let b = parse_name_addr("tel:+1-201-555-0123;tag=x").unwrap();
        assert_eq!(b.uri, "tel:+1-201-555-0123");
        assert_eq!(b.param("tag"), Some("x"));
    }

    #[test]
    fn rejects_rfc4475_shapes() {
        assert!(parse_name_addr(r#""Mr J. User <sip:j.user@example.com>"#).is_err());
        assert!(parse_name_addr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").is_err());
        assert!(parse_name_addr(r#""Watson, Thomas" < sip:t.watson@example.org >"#).is_err());
        assert!(parse_name_addr("sip:user@example.com?Route=%3Csip:x%3E").is_err());
        assert!(parse_name_addr("<sip:a@b>;;;").is_err());
    }

    #[test]
    fn contact_list_and_round_trip() {
        let l =
            parse_name_addr_list(r#"<sip:a@b>;expires=60, "B" <sip:c@d;transport=tcp>;+sip.instance="<urn:uuid:1>""#)
                .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].param("expires"), Some("60"));
        assert_eq!(l[1].param("+sip.instance"), Some("<urn:uuid:1>"));
        assert_eq!(parse_name_addr(&l[1].to_header()).unwrap().uri, "sip:c@d;transport=tcp");
        let nodisp = parse_name_addr("sip:joe@example.org;tag=1").unwrap();
        assert_eq!(nodisp.uri, "sip:joe@example.org");
        let lws = parse_name_addr("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(lws.display.as_deref(), Some("caller"));
    }
}
