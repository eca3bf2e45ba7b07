//! UCM (Asterisk-style) dial patterns for the forward and DND whitelists, and how a caller
//! is reduced to the number such a pattern is matched against.
//!
//! Syntax (one pattern per whitelist entry; a leading `_` is allowed and means nothing more):
//!
//! | element | matches |
//! | --- | --- |
//! | `0`–`9`, `*`, `#`, `+` | itself |
//! | `X` / `x` | one digit `0`–`9` |
//! | `Z` / `z` | one digit `1`–`9` |
//! | `N` / `n` | one digit `2`–`9` |
//! | `[135]`, `[1-5]`, `[0-38]` | one character from the set (digits, ranges of digits, `*#+`) |
//! | `.` | one or more characters of any kind |
//! | `!` | zero or more characters of any kind |
//!
//! A pattern must match the whole caller number. Anything else (letters other than
//! `XZN`, spaces, an unclosed `[`, an empty set, a reversed range) is an error naming the
//! pattern and the 1-based character position.

use std::fmt;

/// One compiled element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    /// One character from a set of inclusive ranges.
    Set(Vec<(char, char)>),
    /// Exactly one character of any kind (the first half of `.`).
    Any,
    /// Zero or more characters of any kind (`!`, the second half of `.`).
    Star,
}

impl Elem {
    fn accepts(&self, c: char) -> bool {
        match self {
            Elem::Set(ranges) => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi),
            Elem::Any | Elem::Star => true,
        }
    }
}

/// A dial pattern parsed once; matching is linear in the pattern length times the number
/// length (no backtracking blow-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    elems: Vec<Elem>,
}

/// Why a pattern could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// The 1-based character position of the problem (of the `[` for an unclosed set).
    pub position: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pattern {:?} at position {}: {}", self.pattern, self.position, self.message)
    }
}

impl std::error::Error for PatternError {}

/// Longest pattern accepted, in characters.
pub const MAX_PATTERN_LEN: usize = 64;

fn is_literal(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | '+')
}

impl Pattern {
    /// Parses a UCM pattern (see the module docs). Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let source = text.trim().to_string();
        let err = |position: usize, message: &str| PatternError {
            pattern: source.clone(),
            position,
            message: message.to_string(),
        };
        let chars: Vec<char> = source.chars().collect();
        if chars.is_empty() {
            return Err(err(1, "empty pattern"));
        }
        if chars.len() > MAX_PATTERN_LEN {
            return Err(err(MAX_PATTERN_LEN + 1, &format!("longer than {MAX_PATTERN_LEN} characters")));
        }
        let mut elems = Vec::new();
        let mut i = usize::from(chars[0] == '_');
        if i == chars.len() {
            return Err(err(2, "nothing after the leading '_'"));
        }
        while i < chars.len() {
            let c = chars[i];
            match c {
                'X' | 'x' => elems.push(Elem::Set(vec![('0', '9')])),
                'Z' | 'z' => elems.push(Elem::Set(vec![('1', '9')])),
                'N' | 'n' => elems.push(Elem::Set(vec![('2', '9')])),
                '.' => {
                    elems.push(Elem::Any);
                    elems.push(Elem::Star);
                }
                '!' => elems.push(Elem::Star),
                '[' => {
                    let (set, next) = parse_set(&chars, i).map_err(|(pos, msg)| err(pos + 1, &msg))?;
                    elems.push(Elem::Set(set));
                    i = next;
                    continue;
                }
                ']' => return Err(err(i + 1, "']' without '['")),
                '_' => return Err(err(i + 1, "'_' is only allowed as the first character")),
                c if is_literal(c) => elems.push(Elem::Set(vec![(c, c)])),
                c => return Err(err(i + 1, &format!("unexpected character {c:?}"))),
            }
            i += 1;
        }
        Ok(Pattern { source, elems })
    }

    /// The pattern as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `number` (already reduced, see [`caller_number`]) matches the whole pattern.
    pub fn matches(&self, number: &str) -> bool {
        // NFA simulation: `live[k]` = "the first k elements have consumed the input so far".
        let n = self.elems.len();
        let mut live = vec![false; n + 1];
        live[0] = true;
        self.close(&mut live);
        for c in number.chars() {
            let mut next = vec![false; n + 1];
            for (k, elem) in self.elems.iter().enumerate() {
                if !live[k] || !elem.accepts(c) {
                    continue;
                }
                match elem {
                    Elem::Star => next[k] = true,
                    Elem::Set(_) | Elem::Any => next[k + 1] = true,
                }
            }
            self.close(&mut next);
            if !next.iter().any(|&b| b) {
                return false;
            }
            live = next;
        }
        live[n]
    }

    /// A `Star` may match nothing: being before it means being after it too.
    fn close(&self, live: &mut [bool]) {
        for (k, elem) in self.elems.iter().enumerate() {
            if live[k] && *elem == Elem::Star {
                live[k + 1] = true;
            }
        }
    }
}

/// Parses `[...]` starting at `chars[open] == '['`; returns the ranges and the index after
/// `]`, or (0-based position, message).
/// Inclusive character ranges of a `[...]` set.
type Ranges = Vec<(char, char)>;

fn parse_set(chars: &[char], open: usize) -> Result<(Ranges, usize), (usize, String)> {
    let mut ranges = Vec::new();
    let mut i = open + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' {
            if ranges.is_empty() {
                return Err((open, "empty set '[]'".to_string()));
            }
            return Ok((ranges, i + 1));
        }
        if !is_literal(c) {
            return Err((i, format!("unexpected character {c:?} in a set (digits, ranges like 1-5, * # +)")));
        }
        if chars.get(i + 1) == Some(&'-') {
            let Some(&hi) = chars.get(i + 2) else {
                return Err((open, "unclosed '['".to_string()));
            };
            if !(c.is_ascii_digit() && hi.is_ascii_digit()) {
                return Err((i + 1, "a range needs a digit on each side of '-'".to_string()));
            }
            if hi < c {
                return Err((i, format!("reversed range {c}-{hi}")));
            }
            ranges.push((c, hi));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    Err((open, "unclosed '['".to_string()))
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

impl TryFrom<String> for Pattern {
    type Error = PatternError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Pattern::parse(&s)
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.source
    }
}

impl serde::Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Pattern::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Reduces a caller as it appears in SIP to the number whitelist patterns are matched against.
///
/// Accepted forms: a bare number (`1005`), a URI (`sip:1005@pbx`, `sips:…`, `tel:+49301234`),
/// or a name-addr with or without display name (`"Bob" <sip:1005@pbx;user=phone>;tag=x`,
/// `Bob <sip:1005@pbx>`). Steps: keep what is inside `<…>` if present (the display name is
/// never used: it is chosen by the caller and proves nothing); drop a `sip:`/`sips:`/`tel:`
/// scheme (any case); keep the user part before `@`; drop user parameters after `;`;
/// percent-decode (`%2B` → `+`); remove the RFC 3966 visual separators `-`, `.`, `(`, `)`
/// and spaces. `anonymous` stays `anonymous` (it matches only `.`/`!`-style patterns).
pub fn caller_number(caller: &str) -> String {
    let mut s = caller.trim();
    if let (Some(open), Some(close)) = (s.find('<'), s.rfind('>'))
        && open < close
    {
        s = &s[open + 1..close];
    }
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let s = ["sips:", "sip:", "tel:"]
        .iter()
        .find(|scheme| lower.starts_with(*scheme))
        .map_or(s, |scheme| &s[scheme.len()..]);
    let user = s.split('@').next().unwrap_or_default();
    let user = user.split(';').next().unwrap_or_default();
    percent_decode(user).chars().filter(|c| !matches!(c, '-' | '.' | '(' | ')') && !c.is_whitespace()).collect()
}

/// Decodes `%HH` escapes that form ASCII; anything else is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
            && v.is_ascii()
        {
            out.push(char::from(v));
            i += 3;
            continue;
        }
        // `s` is valid UTF-8 and `i` is on a char boundary (we only ever skip ASCII bytes).
        let c = s[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_needs_at_least_one_character() {
        let p = Pattern::parse("_10.").unwrap();
        assert!(!p.matches("10"));
        assert!(p.matches("100"));
        assert!(p.matches("10999"));
        let p = Pattern::parse("_10!").unwrap();
        assert!(p.matches("10"));
    }

    #[test]
    fn caller_forms_reduce_to_the_user_part() {
        assert_eq!(caller_number("\"Bob\" <sip:1005@pbx;user=phone>;tag=abc"), "1005");
        assert_eq!(caller_number("tel:+49-30-1234;phone-context=x"), "+49301234");
        assert_eq!(caller_number("SIP:%2B4930@pbx"), "+4930");
        assert_eq!(caller_number(" 1005 "), "1005");
    }
}
